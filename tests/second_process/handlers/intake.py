"""The library-card entry function: the generic claim check and start, bound to this process."""

from __future__ import annotations

from lambdas.intake import intake_handler
from tests.second_process.handlers.events import LIBRARY_TASKS

handler = intake_handler(LIBRARY_TASKS)
