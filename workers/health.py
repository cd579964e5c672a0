"""Container health check: ``python -m workers.health`` exits 0 while the worker's health file is fresh.

The worker touches the file every ``WORKER_HEALTH_INTERVAL_SECONDS`` while it is running and the Temporal service
answers; it stops touching it when polling stops (shutdown, lost connection). This runs
every 30 seconds inside the container and must start fast (it imports only the standard library and the
variable names of :mod:`contract.environment`).
"""

from __future__ import annotations

import os
import sys
import time
from pathlib import Path

from contract.environment import WORKER_HEALTH_FILE as ENV_HEALTH_FILE
from contract.environment import WORKER_HEALTH_MAX_AGE_SECONDS as ENV_HEALTH_MAX_AGE

DEFAULT_HEALTH_FILE = "/tmp/worker-health"  # noqa: S108 - the container's only writable path is a private /tmp volume
DEFAULT_MAX_AGE_SECONDS = 60.0


def problem(path: Path, *, max_age_seconds: float, now: float | None = None) -> str | None:
    """Why the worker is unhealthy, or None when the file was refreshed within ``max_age_seconds``."""
    try:
        modified = path.stat().st_mtime
    except FileNotFoundError:
        return f"health file {path} does not exist (worker not started, or shut down)"
    age = (time.time() if now is None else now) - modified
    if age > max_age_seconds:
        return f"health file {path} is stale ({age:.0f}s old, limit {max_age_seconds:.0f}s): the worker stopped polling"
    return None


def main() -> int:
    path = Path(os.environ.get(ENV_HEALTH_FILE) or DEFAULT_HEALTH_FILE)
    try:
        max_age = float(os.environ.get(ENV_HEALTH_MAX_AGE) or DEFAULT_MAX_AGE_SECONDS)
    except ValueError:
        print(f"{ENV_HEALTH_MAX_AGE} must be a number of seconds", file=sys.stderr)
        return 2
    reason = problem(path, max_age_seconds=max_age)
    if reason is not None:
        print(reason, file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
