"""Ending a process that used the Temporal SDK.

The SDK's Rust runtime keeps native threads that may still call into Python while the interpreter finalizes; when
that races, CPython aborts ("PyGILState_Release: thread state ... must be current", SIGABRT, exit status 134) after
an otherwise clean stop (temporalio/sdk-python#300). An orchestrator then records a crash for a graceful SIGTERM.
Once logs and output are flushed nothing is left to finalize, so these processes skip finalization.
"""

from __future__ import annotations

import logging
import os
import sys
from typing import NoReturn


def exit_now(code: int) -> NoReturn:
    logging.shutdown()  # flushes every handler
    sys.stdout.flush()
    sys.stderr.flush()
    os._exit(code)
