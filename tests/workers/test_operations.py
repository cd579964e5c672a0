"""Operational surface without a server: the entrypoint's start-up refusal, the health check, JSON logs."""

from __future__ import annotations

import json
import logging
import os
import subprocess
import sys
import time
from pathlib import Path

from local.temporal import clean_environment
from onboarding.errors import TransientProviderError
from workers.health import problem
from workers.logs import SAFE_MESSAGE_TYPES, JsonFormatter
from workers.registration import ONBOARDING_WORKER

SECRETISH = "hunter2-do-not-print"
# The worker's formatter: the codec's safe exception types plus those its process declares (workers/__main__.py).
WORKER_FORMATTER = JsonFormatter((*SAFE_MESSAGE_TYPES, *ONBOARDING_WORKER.process.safe_message_errors))


def run_module(module: str, env: dict[str, str]) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", module], env={**clean_environment(), **env}, capture_output=True,
                          text=True, timeout=60, check=False)


def test_the_worker_refuses_to_start_on_a_bad_setting_naming_it() -> None:
    result = run_module("workers", {"TEMPORAL_AUTH_MODE": SECRETISH, "PAYLOAD_KEY_ID": "local"})
    assert result.returncode == 2
    error = json.loads(result.stderr.strip().splitlines()[-1])
    assert "TEMPORAL_AUTH_MODE" in error["message"]
    assert SECRETISH not in result.stderr + result.stdout


def test_health_problems(tmp_path: Path) -> None:
    health = tmp_path / "health"
    assert "does not exist" in (problem(health, max_age_seconds=60) or "")
    health.touch()
    modified = health.stat().st_mtime
    assert problem(health, max_age_seconds=60, now=modified + 59) is None
    assert "stale" in (problem(health, max_age_seconds=60, now=modified + 61) or "")


def test_the_health_command_exit_codes(tmp_path: Path) -> None:
    health = tmp_path / "health"
    env = {"WORKER_HEALTH_FILE": str(health), "WORKER_HEALTH_MAX_AGE_SECONDS": "60"}
    assert run_module("workers.health", env).returncode == 1
    health.touch()
    assert run_module("workers.health", env).returncode == 0
    stale = time.time() - 120
    os.utime(health, (stale, stale))
    result = run_module("workers.health", env)
    assert result.returncode == 1 and "stale" in result.stderr


def _formatted(error: BaseException) -> dict[str, object]:
    try:
        raise error
    except BaseException:
        record = logging.LogRecord("workers", logging.ERROR, __file__, 1, "activity failed", None, sys.exc_info())
    entry: dict[str, object] = json.loads(WORKER_FORMATTER.format(record))
    return entry


def test_logs_drop_messages_of_unknown_exceptions() -> None:
    entry = _formatted(RuntimeError(f"provider echoed {SECRETISH}"))
    assert SECRETISH not in json.dumps(entry)
    assert entry["message"] == "activity failed"
    assert entry["exception"] == {"type": "builtins.RuntimeError", "frames": entry["exception"]["frames"]}  # type: ignore[index]


def test_logs_keep_messages_built_from_codes() -> None:
    entry = _formatted(TransientProviderError("identity_provider", 2))
    assert entry["exception"]["message"] == "identity_provider temporarily unavailable (attempt 2)"  # type: ignore[index]
