"""Driving the corpus through a Lambda durable function: start each execution, play the reviewer, collect evidence.

A client's view of the deployed architecture, with boto3 only: a start callable (``lambda:Invoke`` with
``DurableExecutionName`` on a deployment, :func:`ops.durable.invoke_starter`; the emulator's start route locally),
the review queue and :func:`ops.durable.decide` for review decisions (``SendDurableExecutionCallbackSuccess``), and
``GetDurableExecution`` until each execution ends. The hardened client seals the submission and each answer under
the function's key before they leave (``keys``); the baseline client sends them in clear.
"""

from __future__ import annotations

import contextlib
import json
import threading
import time
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from comparison.audit.evidence import DurableEvidence
from comparison.engines.runs import Finished, Planned, Progress, finished_line
from envelope.key_cache import DataKeyCache
from onboarding.adapters.dynamodb import DynamoReviewQueue
from onboarding.models import Outcome
from ops.durable import Start, decide, start_onboarding
from ops.reviewer import ReviewError

POLL_SECONDS = 0.2
_RUNNING = frozenset({"RUNNING", "PENDING"})


class Cancelled(Exception):
    """The caller asked the run to stop (e.g. the demo was interrupted)."""


@dataclass(frozen=True)
class DurableTarget:
    """Where the executions run: how to start one, a boto3 ``lambda`` client for the durable-execution APIs, the
    review queue, and the client's sealing keys (None: the baseline profile)."""

    start: Start
    lambda_client: Any
    reviews_table: Any  # boto3 DynamoDB Table resource of the review queue
    keys: DataKeyCache | None
    function_name: str


def run_on_durable(
    target: DurableTarget, planned: Sequence[Planned], *, label: str, progress: Progress,
    review_timeout_seconds: int, timeout_seconds: float = 300.0, cancel: threading.Event | None = None,
) -> list[Finished]:
    arns = {item.application_id: start_onboarding(target.start, item.application, keys=target.keys,
                                                  review_timeout_seconds=review_timeout_seconds)
            for item in planned}
    reviews = DynamoReviewQueue(target.reviews_table)
    waiting_review = {item.application_id: item.scenario.review_decision for item in planned
                      if item.scenario.review_decision is not None}
    finished: dict[str, Finished] = {}
    deadline = time.monotonic() + timeout_seconds
    while len(finished) < len(planned):
        # Reviews first in every round: a decision is on the clock (the review timeout), the status reads are not.
        for application_id in [a for a in waiting_review if a not in finished]:
            _review(application_id, waiting_review, reviews, target)
        for item in planned:
            if item.application_id in finished:
                continue
            described = target.lambda_client.get_durable_execution(DurableExecutionArn=arns[item.application_id])
            if described["Status"] not in _RUNNING:
                finished[item.application_id] = done = _finished(item, described, arns[item.application_id])
                progress(finished_line(label, done))
        if cancel is not None and cancel.is_set():
            raise Cancelled("the durable-function run was cancelled")
        if time.monotonic() > deadline:
            running = sorted(i.scenario.name for i in planned if i.application_id not in finished)
            raise TimeoutError(f"durable executions still running: {', '.join(running)}")
        time.sleep(POLL_SECONDS)
    return [finished[item.application_id] for item in planned]


def collect_durable_evidence(target: DurableTarget, finished: Sequence[Finished]) -> list[DurableEvidence]:
    """What the service stores for each execution: its history with execution data, and its description."""
    evidence = []
    for item in finished:
        if item.execution_arn is None:
            continue
        described = dict(target.lambda_client.get_durable_execution(DurableExecutionArn=item.execution_arn))
        described.pop("ResponseMetadata", None)
        evidence.append(DurableEvidence(
            label=item.planned.scenario.name, history=history(target.lambda_client, item.execution_arn),
            describe_execution=_jsonable(described),
            identifiers=[item.planned.application_id, item.execution_arn, target.function_name]))
    return evidence


def history(lambda_client: Any, arn: str) -> list[dict[str, Any]]:
    """Every ``GetDurableExecutionHistory`` event of an execution, with its execution data, as JSON-ready dicts."""
    events: list[dict[str, Any]] = []
    kwargs: dict[str, Any] = {"DurableExecutionArn": arn, "IncludeExecutionData": True}
    while True:
        page = lambda_client.get_durable_execution_history(**kwargs)
        events += [_jsonable(event) for event in page.get("Events", [])]
        if not page.get("NextMarker"):
            return events
        kwargs["Marker"] = page["NextMarker"]


def _jsonable(value: dict[str, Any]) -> dict[str, Any]:
    converted: dict[str, Any] = json.loads(json.dumps(value, default=_timestamp))
    return converted


def _timestamp(value: object) -> str:
    if isinstance(value, datetime):
        return value.isoformat()
    raise TypeError(type(value).__name__)


def _review(application_id: str, waiting: dict[str, Any], reviews: DynamoReviewQueue, target: DurableTarget) -> None:
    """Decide once the review step has stored its callback id (a read by key: no scan of a shared review table)."""
    review = reviews.get(application_id)
    if review is None or review.task_token is None or review.decision is not None:
        return
    with contextlib.suppress(ReviewError):  # e.g. the review expired first: the outcome shows what happened
        decide(application_id, waiting.pop(application_id), reviews=reviews, lambda_client=target.lambda_client,
               keys=target.keys)


def _finished(item: Planned, described: dict[str, Any], arn: str) -> Finished:
    status = described["Status"]
    result = described.get("Result")
    outcome = Outcome.model_validate_json(result) if status == "SUCCEEDED" and result else None
    started = described["StartTimestamp"]
    stopped = described.get("EndTimestamp") or started
    return Finished(item, outcome, None if outcome else f"Execution{status.title()}",
                    (stopped - started).total_seconds(), execution_arn=arn)
