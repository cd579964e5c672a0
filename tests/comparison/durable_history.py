"""Builds durable execution histories in the shape boto3's ``get_durable_execution_history`` returns (with
``IncludeExecutionData``): ``ExecutionStarted`` with the input, then per step ``StepStarted`` and ``StepSucceeded``
(or ``StepFailed`` with its error and retry details), an ``InvocationCompleted`` per invocation, and
``ExecutionSucceeded`` with the result. Step results are sealed envelopes (hardened) or the JSON itself (baseline).
"""

from __future__ import annotations

import base64
import hashlib
import json
from typing import Any

ENVELOPE = {"envelope": 1, "metadata": {"encoding": base64.b64encode(b"binary/encrypted").decode()},
            "data": base64.b64encode(b"\x00" * 48).decode()}


class DurableHistory:
    def __init__(self, *, sealed: bool) -> None:
        self.events: list[dict[str, Any]] = []
        self.sealed = sealed
        self._operations = 0

    def _add(self, event_type: str, details: dict[str, Any] | None = None, **fields: Any) -> None:
        event = {"EventType": event_type, "EventId": len(self.events) + 1,
                 "EventTimestamp": f"2026-01-05T09:00:{len(self.events):02d}+00:00", **fields}
        if details is not None:
            event[f"{event_type}Details"] = details
        self.events.append(event)

    def _payload(self, value: Any) -> dict[str, Any]:
        return {"Payload": json.dumps(ENVELOPE if self.sealed else value), "Truncated": False}

    def start(self, execution_input: Any, name: str) -> None:
        self._add("ExecutionStarted", {"Input": {"Payload": json.dumps(execution_input), "Truncated": False},
                                       "ExecutionTimeout": 300}, Id="execution", Name=name)

    def step(self, name: str, result: Any, *, failures: int = 0, error: tuple[str, str] | None = None) -> None:
        self._operations += 1
        operation = hashlib.blake2b(str(self._operations).encode()).hexdigest()[:64]
        for attempt in range(1, failures + 1):
            self._add("StepStarted", {}, SubType="Step", Id=operation, Name=name)
            self._add("StepFailed", {"Error": {"Payload": {"ErrorType": "TransientProviderError",
                                                           "ErrorMessage": "IDENTITY_PROVIDER_UNAVAILABLE"},
                                               "Truncated": False},
                                     "RetryDetails": {"CurrentAttempt": attempt, "NextAttemptDelaySeconds": 1}},
                      SubType="Step", Id=operation, Name=name)
            self._add("InvocationCompleted")
        self._add("StepStarted", {}, SubType="Step", Id=operation, Name=name)
        if error is not None:
            self._add("StepFailed", {"Error": {"Payload": {"ErrorType": error[0], "ErrorMessage": error[1]},
                                               "Truncated": False}}, SubType="Step", Id=operation, Name=name)
            return
        self._add("StepSucceeded", {"Result": self._payload(result)}, SubType="Step", Id=operation, Name=name)

    def succeed(self, result: Any) -> None:
        self._add("InvocationCompleted")
        self._add("ExecutionSucceeded", {"Result": {"Payload": json.dumps(result), "Truncated": False}})


def onboarding_history(application: dict[str, Any], *, sealed: bool) -> DurableHistory:
    """A run of the main path: the submission's steps, each result holding the application (as validate's does)."""
    history = DurableHistory(sealed=sealed)
    application_id = str(application["application_id"])
    source = {"sealed": json.dumps(ENVELOPE)} if sealed else {"inline": application}
    history.start({"application_id": application_id, "submission": source, "review_timeout_seconds": 60},
                  application_id)
    history.step("open_submission", application)
    history.step("validate", {"application": application, "today": "2026-01-05"})
    for name in ("screen_sanctions", "verify_identity", "assess_risk", "open_account", "fund_account", "notify"):
        history.step(name, {"application_id": application_id, "step": name})
    history.succeed({"application_id": application_id, "status": "APPROVED", "reason": None})
    return history
