"""Driving the corpus through a Lambda durable function: start each execution, play the reviewer, collect evidence.

A client's view of the deployed architecture, with boto3 only: a start callable (``lambda:Invoke`` with
``DurableExecutionName`` on a deployment, :func:`ops.durable.invoke_starter`; the emulator's start route locally),
the review queue and :func:`ops.durable.decide` for review decisions (``SendDurableExecutionCallbackSuccess``), and
``GetDurableExecution`` until each execution ends. The hardened client seals the submission and each answer under
the function's key before they leave (``keys``); the baseline client sends them in clear.
"""

from __future__ import annotations

import json
import threading
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from comparison.audit.evidence import DurableEvidence
from comparison.engines.runs import Finished, Planned, Progress, poll_until_finished, review_when_due
from envelope.key_cache import DataKeyCache
from onboarding.adapters.dynamodb import DynamoReviewQueue
from onboarding.models import Outcome, ReviewDecision
from ops.durable import Start, decide, start_onboarding

_RUNNING = frozenset({"RUNNING", "PENDING"})


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

    def review(application_id: str, decision: ReviewDecision) -> bool:
        return review_when_due(reviews, application_id, lambda: decide(
            application_id, decision, reviews=reviews, lambda_client=target.lambda_client, keys=target.keys))

    def ended(item: Planned) -> Finished | None:
        arn = arns[item.application_id]
        described = target.lambda_client.get_durable_execution(DurableExecutionArn=arn)
        return None if described["Status"] in _RUNNING else _finished(item, described, arn)

    return poll_until_finished(planned, engine="durable-function", review=review, ended=ended, label=label,
                               progress=progress, timeout_seconds=timeout_seconds, cancel=cancel)


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


def _finished(item: Planned, described: dict[str, Any], arn: str) -> Finished:
    status = described["Status"]
    result = described.get("Result")
    outcome = Outcome.model_validate_json(result) if status == "SUCCEEDED" and result else None
    started = described["StartTimestamp"]
    stopped = described.get("EndTimestamp") or started
    return Finished(item, outcome, None if outcome else f"Execution{status.title()}",
                    (stopped - started).total_seconds(), execution_arn=arn)
