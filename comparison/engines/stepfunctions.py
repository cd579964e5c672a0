"""Driving the corpus through Step Functions: submit through ``intake``, play the reviewer, collect evidence.

A client's view of the deployed architecture, with boto3 clients only: ``lambda:Invoke`` of the intake function
(claim check, then ``StartExecution``), the review queue and :func:`ops.reviewer.decide` for review decisions
(``SendTaskSuccess``/``SendTaskFailure``), ``DescribeExecution`` until each execution ends. The same code runs
against moto locally and against a deployed environment.
"""

from __future__ import annotations

import contextlib
import json
import threading
import time
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from comparison.audit.collect import stepfunctions_evidence
from comparison.audit.evidence import StepFunctionsEvidence
from comparison.engines.runs import Finished, Planned, Progress, finished_line
from onboarding.adapters.dynamodb import DynamoReviewQueue
from onboarding.models import Outcome
from ops.reviewer import ReviewError, decide

POLL_SECONDS = 0.2
_ENDED = {"FAILED": "ExecutionFailed", "TIMED_OUT": "ExecutionTimedOut", "ABORTED": "ExecutionAborted"}


class Cancelled(Exception):
    """The caller asked the run to stop (e.g. the demo was interrupted)."""


@dataclass(frozen=True)
class StepFunctionsTarget:
    """Where the executions run: boto3 clients and the names a client of the architecture needs."""

    lambda_client: Any
    stepfunctions: Any
    reviews_table: Any  # boto3 DynamoDB Table resource of the review queue
    intake_function: str  # name or ARN
    state_machine_arn: str
    logs: Any | None = None  # boto3 CloudWatch Logs client, to read the state machine's log group
    log_group: str | None = None


def run_on_stepfunctions(
    target: StepFunctionsTarget, planned: Sequence[Planned], *, label: str, progress: Progress,
    timeout_seconds: float = 300.0, cancel: threading.Event | None = None,
) -> list[Finished]:
    arns: dict[str, str] = {}
    for item in planned:
        _check(cancel)
        arns[item.application_id] = _submit(target, item)
    reviews = DynamoReviewQueue(target.reviews_table)
    waiting_review = {item.application_id: item.scenario.review_decision for item in planned
                      if item.scenario.review_decision is not None}
    finished: dict[str, Finished] = {}
    deadline = time.monotonic() + timeout_seconds
    while len(finished) < len(planned):
        # Reviews first in every round: a decision is on the clock (the review timeout), the status reads are not.
        for application_id in [a for a in waiting_review if a not in finished]:
            _review(application_id, waiting_review, reviews, target.stepfunctions)
        for item in planned:
            if item.application_id in finished:
                continue
            described = target.stepfunctions.describe_execution(executionArn=arns[item.application_id])
            if described["status"] != "RUNNING":
                finished[item.application_id] = done = _finished(item, described)
                progress(finished_line(label, done))
        _check(cancel)
        if time.monotonic() > deadline:
            running = sorted(i.scenario.name for i in planned if i.application_id not in finished)
            raise TimeoutError(f"Step Functions executions still running: {', '.join(running)}")
        time.sleep(POLL_SECONDS)
    return [finished[item.application_id] for item in planned]


def collect_stepfunctions_evidence(target: StepFunctionsTarget, finished: Sequence[Finished]
                                   ) -> list[StepFunctionsEvidence]:
    return [stepfunctions_evidence(target.stepfunctions, item.execution_arn, label=item.planned.scenario.name,
                                   logs=target.logs, log_group=target.log_group)
            for item in finished if item.execution_arn is not None]


def _check(cancel: threading.Event | None) -> None:
    if cancel is not None and cancel.is_set():
        raise Cancelled("the Step Functions run was cancelled")


def _submit(target: StepFunctionsTarget, item: Planned) -> str:
    response = target.lambda_client.invoke(FunctionName=target.intake_function,
                                           Payload=json.dumps(item.application).encode())
    payload = json.loads(response["Payload"].read())
    if response.get("FunctionError"):
        # The error type only: intake's messages hold codes, but nothing from a response goes further unread.
        raise RuntimeError(f"intake refused scenario {item.scenario.name}: {payload.get('errorType')}")
    arn: str = payload["execution_arn"]
    return arn


def _review(application_id: str, waiting: dict[str, Any], reviews: DynamoReviewQueue, stepfunctions: Any) -> None:
    """Decide once the review task has stored its token (a read by key: no scan of a shared review table)."""
    review = reviews.get(application_id)
    if review is None or review.task_token is None or review.decision is not None:
        return
    with contextlib.suppress(ReviewError):  # e.g. the review expired first: the outcome shows what happened
        decide(application_id, waiting.pop(application_id), reviews=reviews, stepfunctions=stepfunctions)


def _finished(item: Planned, described: dict[str, Any]) -> Finished:
    status = described["status"]
    output = described.get("output")
    outcome = Outcome.model_validate_json(output) if status == "SUCCEEDED" and output else None
    stop = described.get("stopDate") or described["startDate"]
    return Finished(item, outcome, None if outcome else _ENDED.get(status, "NoOutput"),
                    (stop - described["startDate"]).total_seconds(), execution_arn=described["executionArn"])
