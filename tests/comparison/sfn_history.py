"""Builds Step Functions histories in the shape boto3's ``get_execution_history`` returns.

Events follow the documented sequence of the optimised Lambda integration
(``arn:aws:states:::lambda:invoke``): ``TaskStateEntered`` -> ``TaskScheduled`` -> ``TaskStarted`` ->
``TaskSucceeded``/``TaskFailed`` (a retry schedules again after the failure) -> ``TaskStateExited``;
callback tasks (``.waitForTaskToken``) add ``TaskSubmitted`` when the invoke returns.
"""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta
from typing import Any

START = datetime(2026, 1, 5, 9, 0, tzinfo=UTC)
REGION = "us-east-1"
ACCOUNT = "123456789012"


def function_arn(name: str) -> str:
    return f"arn:aws:lambda:{REGION}:{ACCOUNT}:function:onboarding-{name}"


def lambda_result(payload: Any) -> str:
    """The TaskSucceeded output of lambda:invoke: the Payload nested in the invoke response, as a string."""
    return json.dumps({"ExecutedVersion": "$LATEST", "Payload": payload, "StatusCode": 200,
                       "SdkHttpMetadata": {"HttpStatusCode": 200}, "SdkResponseMetadata": {"RequestId": "r-1"}})


class SfnHistory:
    def __init__(self) -> None:
        self.events: list[dict[str, Any]] = []
        self.clock_ms = 0.0

    def add(self, event_type: str, details_key: str | None = None, details: dict[str, Any] | None = None,
            *, after_ms: float = 5) -> dict[str, Any]:
        self.clock_ms += after_ms
        event: dict[str, Any] = {
            "timestamp": START + timedelta(milliseconds=self.clock_ms),
            "type": event_type,
            "id": len(self.events) + 1,
            "previousEventId": len(self.events),
        }
        if details_key is not None:
            event[details_key] = details or {}
        self.events.append(event)
        return event

    def start(self, execution_input: Any) -> None:
        self.add("ExecutionStarted", "executionStartedEventDetails", {
            "input": json.dumps(execution_input), "inputDetails": {"truncated": False},
            "roleArn": f"arn:aws:iam::{ACCOUNT}:role/onboarding-states"}, after_ms=0)

    def state(self, state_type: str, name: str, state_input: Any, output: Any) -> None:
        self.add(f"{state_type}StateEntered", "stateEnteredEventDetails",
                 {"name": name, "input": json.dumps(state_input), "inputDetails": {"truncated": False}})
        self.add(f"{state_type}StateExited", "stateExitedEventDetails",
                 {"name": name, "output": json.dumps(output), "outputDetails": {"truncated": False}})

    def task(self, name: str, function: str, parameters: Any, payload: Any, *, failures: int = 0,
             duration_ms: float = 120, error: tuple[str, str] | None = None, callback_after_ms: float | None = None,
             state_input: Any = None, state_output: Any = None) -> None:
        """A Lambda task: ``failures`` failed attempts (retried), then success or, with ``error``, failure."""
        self.add("TaskStateEntered", "stateEnteredEventDetails",
                 {"name": name, "input": json.dumps(state_input or parameters), "inputDetails": {"truncated": False}})
        resource = "invoke.waitForTaskToken" if callback_after_ms is not None else "invoke"
        for attempt in range(failures + 1):
            self.add("TaskScheduled", "taskScheduledEventDetails", {
                "resourceType": "lambda", "resource": resource, "region": REGION,
                "parameters": json.dumps({"FunctionName": function_arn(function), "Payload": parameters}),
                "timeoutInSeconds": 30}, after_ms=1000 * attempt)  # back-off before each retry
            self.add("TaskStarted", "taskStartedEventDetails", {"resourceType": "lambda", "resource": resource})
            last = attempt == failures
            if not last:
                self.add("TaskFailed", "taskFailedEventDetails", {
                    "resourceType": "lambda", "resource": resource, "error": "TransientProviderError",
                    "cause": json.dumps({"errorMessage": "identity temporarily unavailable",
                                         "errorType": "TransientProviderError"})}, after_ms=duration_ms)
            elif error is not None:
                self.add("TaskFailed", "taskFailedEventDetails", {
                    "resourceType": "lambda", "resource": resource, "error": error[0], "cause": error[1]},
                    after_ms=duration_ms)
                return
            elif callback_after_ms is not None:
                self.add("TaskSubmitted", "taskSubmittedEventDetails", {
                    "resourceType": "lambda", "resource": resource, "output": lambda_result(None)},
                    after_ms=duration_ms)
                self.add("TaskSucceeded", "taskSucceededEventDetails", {
                    "resourceType": "lambda", "resource": resource, "output": json.dumps(payload)},
                    after_ms=callback_after_ms)
            else:
                self.add("TaskSucceeded", "taskSucceededEventDetails", {
                    "resourceType": "lambda", "resource": resource, "output": lambda_result(payload)},
                    after_ms=duration_ms)
        self.add("TaskStateExited", "stateExitedEventDetails",
                 {"name": name, "output": json.dumps(state_output or payload), "outputDetails": {"truncated": False}})

    def succeed(self, output: Any) -> None:
        self.add("SucceedStateEntered", "stateEnteredEventDetails", {"name": "Approved", "input": json.dumps(output)})
        self.add("SucceedStateExited", "stateExitedEventDetails", {"name": "Approved", "output": json.dumps(output)})
        self.add("ExecutionSucceeded", "executionSucceededEventDetails",
                 {"output": json.dumps(output), "outputDetails": {"truncated": False}})

    def fail(self, error: str, cause: str) -> None:
        self.add("FailStateEntered", "stateEnteredEventDetails", {"name": "Rejected", "input": "{}"})
        self.add("ExecutionFailed", "executionFailedEventDetails", {"error": error, "cause": cause})


def log_event(event: dict[str, Any], execution_arn: str, *, include_execution_data: bool) -> dict[str, Any]:
    """The CloudWatch Logs record Step Functions writes for a history event (level ALL)."""
    details: dict[str, Any] = {}
    for key, value in event.items():
        if key.endswith("EventDetails"):
            details = {k: v for k, v in value.items() if include_execution_data or k not in ("input", "output",
                                                                                              "parameters", "cause")}
    message = {"id": str(event["id"]), "type": event["type"], "details": details,
               "previous_event_id": str(event["previousEventId"]),
               "event_timestamp": str(int(event["timestamp"].timestamp() * 1000)), "execution_arn": execution_arn}
    return {"logStreamName": "states/onboarding/2026-01-05/00000000", "timestamp": 1767603600000,
            "message": json.dumps(message), "ingestionTime": 1767603600100, "eventId": f"3791{event['id']:08d}"}


def onboarding_history(claim: dict[str, Any], *, identity_failures: int = 2) -> SfnHistory:
    """A realistic approved onboarding: claim check intake, retried identity, risk choice, manual review."""
    history = SfnHistory()
    history.start(claim)
    reference = {"application_id": claim["application_id"], "claim": "s3://claims/app"}
    history.task("Intake", "intake", claim, reference)
    history.task("Validate", "validate", reference, {"valid": True})
    history.task("ScreenSanctions", "screen_sanctions", reference, {"listed": False})
    history.task("VerifyIdentity", "verify_identity", reference, {"verified": True}, failures=identity_failures)
    history.task("AssessRisk", "assess_risk", reference, {"level": "MEDIUM"})
    history.state("Choice", "RiskLevel", {"level": "MEDIUM"}, {"level": "MEDIUM"})
    history.task("RequestReview", "request_review", reference, {"decision": "APPROVE"}, callback_after_ms=4000)
    history.task("OpenAccount", "open_account", reference, {"account_id": "acct_0001"})
    history.task("FundAccount", "fund_account", reference, {"approved": True})
    history.task("Notify", "notify", reference, {"queued": True})
    history.succeed({"status": "APPROVED", "account_id": "acct_0001"})
    return history
