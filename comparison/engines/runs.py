"""Runs of the scenario corpus on an engine: the plan (a fresh application id per scenario), what each execution
ended with, and the :class:`~comparison.models.ScenarioRun` the report reads (its facts through the onboarding
binding, :mod:`comparison.onboarding`).

Both engine drivers (:mod:`comparison.engines.temporal`, :mod:`comparison.engines.stepfunctions`) take a plan and
return one :class:`Finished` per planned execution; the local demo and the deployed audit share them.
"""

from __future__ import annotations

import re
import threading
import time
import uuid
from collections.abc import Callable, Iterable
from concurrent.futures import Future
from dataclasses import dataclass
from typing import Any, TextIO, TypeVar

from comparison.models import Engine, ScenarioRun
from comparison.onboarding import onboarding_run
from contract.onboarding import ONBOARDING
from contract.profile import Profile
from onboarding.models import Outcome
from onboarding.ports import Adapters
from scenarios import Scenario

Progress = Callable[[str], None]
T = TypeVar("T")


@dataclass(frozen=True)
class Planned:
    scenario: Scenario
    application_id: str  # fresh for every engine and profile: runs never share an execution or its side effects

    @property
    def application(self) -> dict[str, Any]:
        return self.scenario.application(application_id=self.application_id)


def plan(scenarios: Iterable[Scenario]) -> list[Planned]:
    """A fresh application id per scenario (an opaque id the process accepts: no PII can become one)."""
    planned = [Planned(scenario, f"app_{uuid.uuid4().hex}") for scenario in scenarios]
    if any(not re.fullmatch(ONBOARDING.id_pattern, item.application_id) for item in planned):
        raise ValueError(f"plan: application ids must match {ONBOARDING.id_pattern}")
    return planned


@dataclass(frozen=True)
class Finished:
    planned: Planned
    outcome: Outcome | None  # None when the execution ended without a business outcome
    error: str | None  # then: a type or status name, never a message
    duration_seconds: float
    execution_arn: str | None = None  # Step Functions and durable functions: the execution's ARN

    def describe(self) -> str:
        if self.outcome is None:
            return f"no outcome ({self.error})"
        text = " ".join(part for part in (self.outcome.status.value, self.outcome.reason) if part)
        return text + (" (compensated)" if self.outcome.compensated else "")


def scenario_run(engine: Engine, profile: Profile, finished: Finished, adapters: Adapters) -> ScenarioRun:
    """The report's view of one execution: its facts, from its outcome and the side effects read back through the
    ports (:func:`comparison.onboarding.onboarding_run`)."""
    return onboarding_run(engine, profile, finished.planned.scenario, finished.planned.application_id,
                          outcome=finished.outcome, adapters=adapters, error=finished.error,
                          duration_seconds=round(finished.duration_seconds, 3))


class ProgressPrinter:
    """Progress lines with the elapsed time, safe to call from several threads."""

    def __init__(self, stream: TextIO, *, started: float | None = None) -> None:
        self._stream = stream
        self._started = time.monotonic() if started is None else started
        self._lock = threading.Lock()

    def __call__(self, message: str) -> None:
        with self._lock:
            self._stream.write(f"[{time.monotonic() - self._started:6.1f}s] {message}\n")
            self._stream.flush()

    @property
    def elapsed(self) -> float:
        return time.monotonic() - self._started


def finished_line(label: str, finished: Finished) -> str:
    expected = finished.planned.scenario.expected
    wanted = " ".join(part for part in (expected.status.value, expected.reason) if part)
    got = finished.describe()
    mark = "ok" if got.split(" (")[0] == wanted else "UNEXPECTED"
    return f"{label:<24} {finished.planned.scenario.name:<40} {got:<40} {finished.duration_seconds:5.1f}s {mark}"


def in_background(work: Callable[[], T], *, name: str) -> tuple[Future[T], threading.Thread]:
    """Run ``work`` in a daemon thread (it never holds up an interrupted exit); the future carries its result."""
    future: Future[T] = Future()

    def run() -> None:
        try:
            future.set_result(work())
        except BaseException as error:
            future.set_exception(error)

    thread = threading.Thread(target=run, name=name, daemon=True)
    thread.start()
    return future, thread
