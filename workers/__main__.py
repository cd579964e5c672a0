"""``python -m workers``: the worker process (the container's entrypoint). Configuration: see workers/settings.py."""

from __future__ import annotations

import asyncio
import json
import logging
import sys

from workers import logs
from workers.exit import exit_now
from workers.registration import ONBOARDING_WORKER
from workers.settings import SettingsError, WorkerSettings
from workers.worker import StartupError, run


def main() -> int:
    try:
        settings = WorkerSettings.from_env(process=ONBOARDING_WORKER.process)
    except SettingsError as error:
        # Before logging is configured: one JSON line on stderr, naming variables only.
        print(json.dumps({"level": "ERROR", "logger": "workers", "message": str(error)}), file=sys.stderr)
        return 2
    logs.configure(settings.log_level, safe_message_types=ONBOARDING_WORKER.process.safe_message_errors)
    try:
        asyncio.run(run(settings, ONBOARDING_WORKER))
    except SettingsError as error:  # e.g. an unreadable secret or keyring, found while connecting
        logging.getLogger("workers").error("configuration error: %s", error)
        return 2
    except StartupError as error:
        logging.getLogger("workers").error("%s", error)
        return 1
    except Exception:
        logging.getLogger("workers").exception("worker failed")
        return 1
    return 0


if __name__ == "__main__":
    exit_now(main())
