"""Runs of the scenario corpus on an engine: the plan (a fresh application id per scenario), what each execution
ended with, and the :class:`~comparison.models.ScenarioRun` the report reads (its facts through the onboarding
binding, :mod:`comparison.onboarding`).

The engine drivers (:mod:`comparison.engines.temporal`, :mod:`comparison.engines.stepfunctions`,
:mod:`comparison.engines.durable`) take a plan and return one :class:`Finished` per planned execution; the local demo
and the deployed audit share them. The two that poll AWS-shaped APIs share :func:`poll_until_finished`.
"""

from __future__ import annotations

import re
import threading
import time
import uuid
from collections.abc import Callable, Iterable, Sequence
from concurrent.futures import Future
from dataclasses import dataclass
from typing import Any, TextIO, TypeVar

from comparison.models import Engine, ScenarioRun
from comparison.onboarding import onboarding_run
from contract.onboarding import ONBOARDING
from contract.profile import Profile
from onboarding.adapters.dynamodb import DynamoReviewQueue
from onboarding.models import Outcome, ReviewDecision
from onboarding.ports import Adapters
from ops.reviewer import CALLBACK_FAILED, ReviewError
from scenarios import Scenario

Progress = Callable[[str], None]
T = TypeVar("T")
POLL_SECONDS = 0.2


class Cancelled(Exception):
    """The caller asked the run to stop (e.g. the demo was interrupted)."""


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


def poll_until_finished(
    planned: Sequence[Planned], *, engine: str, review: Callable[[str, ReviewDecision], bool],
    ended: Callable[[Planned], Finished | None], label: str, progress: Progress, timeout_seconds: float,
    cancel: threading.Event | None,
) -> list[Finished]:
    """Poll until every planned execution has ended; one :class:`Finished` each, in ``planned`` order.

    Every round (``POLL_SECONDS`` apart) first offers the due review decisions, because a decision is on the clock
    (the review timeout) and the status reads are not: ``review(application_id, decision)`` returns True once the
    decision is given or can no longer be, and is not asked again. Then ``ended(item)`` for each execution still
    running: its :class:`Finished` once it has ended, else None.

    Raises :class:`Cancelled` when ``cancel`` is set, TimeoutError naming the scenarios still running (``engine``
    executions) after ``timeout_seconds``.
    """
    waiting_review = {item.application_id: item.scenario.review_decision for item in planned
                      if item.scenario.review_decision is not None}
    finished: dict[str, Finished] = {}
    deadline = time.monotonic() + timeout_seconds
    while len(finished) < len(planned):
        for application_id, decision in list(waiting_review.items()):
            if application_id not in finished and review(application_id, decision):
                del waiting_review[application_id]
        for item in planned:
            if item.application_id not in finished and (done := ended(item)) is not None:
                finished[item.application_id] = done
                progress(finished_line(label, done))
        if cancel is not None and cancel.is_set():
            raise Cancelled(f"the {engine} run was cancelled")
        if time.monotonic() > deadline:
            running = sorted(i.scenario.name for i in planned if i.application_id not in finished)
            raise TimeoutError(f"{engine} executions still running: {', '.join(running)}")
        time.sleep(POLL_SECONDS)
    return [finished[item.application_id] for item in planned]


def review_when_due(reviews: DynamoReviewQueue, application_id: str, give: Callable[[], None]) -> bool:
    """Give a decision (``give``) once the review step has stored its task token or callback id: a read by key, no
    scan of a shared review table. True when it was given or can no longer be (the review expired first, or was
    decided another way: the outcome shows what happened); False while the review is not yet waiting for it, or
    when the callback failed for another reason (tried again next round)."""
    review = reviews.get(application_id)
    if review is None or review.task_token is None or review.decision is not None:
        return False
    try:
        give()
    except ReviewError as error:
        return str(error) != CALLBACK_FAILED
    return True
