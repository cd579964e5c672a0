"""Driving the corpus through Step Functions: submit through ``intake``, play the reviewer, collect evidence.

A client's view of the deployed architecture, with boto3 clients only: ``lambda:Invoke`` of the intake function
(claim check, then ``StartExecution``), the review queue and :func:`ops.reviewer.decide` for review decisions
(``SendTaskSuccess``/``SendTaskFailure``), ``DescribeExecution`` until each execution ends. The same code runs
against moto locally and against a deployed environment.
"""

from __future__ import annotations

import json
import threading
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from comparison.audit.collect import stepfunctions_evidence
from comparison.audit.evidence import StepFunctionsEvidence
from comparison.engines.runs import Cancelled, Finished, Planned, Progress, poll_until_finished, review_when_due
from onboarding.adapters.dynamodb import DynamoReviewQueue
from onboarding.models import Outcome, ReviewDecision
from ops.reviewer import decide

_ENDED = {"FAILED": "ExecutionFailed", "TIMED_OUT": "ExecutionTimedOut", "ABORTED": "ExecutionAborted"}


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

    def review(application_id: str, decision: ReviewDecision) -> bool:
        return review_when_due(reviews, application_id, lambda: decide(
            application_id, decision, reviews=reviews, stepfunctions=target.stepfunctions))

    def ended(item: Planned) -> Finished | None:
        described = target.stepfunctions.describe_execution(executionArn=arns[item.application_id])
        return None if described["status"] == "RUNNING" else _finished(item, described)

    return poll_until_finished(planned, engine="Step Functions", review=review, ended=ended, label=label,
                               progress=progress, timeout_seconds=timeout_seconds, cancel=cancel)


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


def _finished(item: Planned, described: dict[str, Any]) -> Finished:
    status = described["status"]
    output = described.get("output")
    outcome = Outcome.model_validate_json(output) if status == "SUCCEEDED" and output else None
    stop = described.get("stopDate") or described["startDate"]
    return Finished(item, outcome, None if outcome else _ENDED.get(status, "NoOutput"),
                    (stop - described["startDate"]).total_seconds(), execution_arn=described["executionArn"])
