"""Builds Temporal histories from the real protobuf types, as an operator would fetch them (JSON, no codec).

``encrypt=True`` stands in for the hardened profile: payloads are AES-256-GCM ciphertext with the codec's
``binary/encrypted`` encoding and failures carry encoded (encrypted) attributes. ``encrypt=False`` is the
baseline: ``json/plain`` payloads and plaintext failure messages and stack traces.
"""

from __future__ import annotations

import json
import os
from datetime import UTC, datetime, timedelta
from typing import Any

from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from google.protobuf.json_format import MessageToDict
from temporalio.api.common.v1 import Payload, Payloads
from temporalio.api.enums.v1 import EventType
from temporalio.api.failure.v1 import Failure
from temporalio.api.history.v1 import HistoryEvent

_KEY = AESGCM.generate_key(bit_length=256)
START = datetime(2026, 1, 5, 9, 0, tzinfo=UTC)


def plain_payload(value: Any) -> Payload:
    return Payload(metadata={"encoding": b"json/plain"}, data=json.dumps(value).encode())


def encrypted_payload(value: Any, *, leak_plaintext: bool = False) -> Payload:
    """Codec-style ciphertext. ``leak_plaintext`` makes the *ciphertext bytes* contain the plaintext too,
    to prove the audit never searches inside an encrypted payload."""
    plaintext = json.dumps(value).encode()
    nonce = os.urandom(12)
    ciphertext = nonce + AESGCM(_KEY).encrypt(nonce, plaintext, b"binary/encrypted")
    return Payload(
        metadata={"encoding": b"binary/encrypted", "encryption-key-id": b"alias/onboarding-payloads",
                  "wrapped-data-key": os.urandom(48)},
        data=ciphertext + (plaintext if leak_plaintext else b""),
    )


class TemporalHistory:
    def __init__(self, *, encrypt: bool) -> None:
        self.encrypt = encrypt
        self.events: list[HistoryEvent] = []

    def payload(self, value: Any) -> Payload:
        return encrypted_payload(value) if self.encrypt else plain_payload(value)

    def payloads(self, *values: Any) -> Payloads:
        return Payloads(payloads=[self.payload(v) for v in values])

    def failure(self, message: str, stack: str, error_type: str) -> Failure:
        failure = Failure(source="PythonSDK")
        failure.application_failure_info.type = error_type
        failure.application_failure_info.non_retryable = True
        if self.encrypt:  # DefaultFailureConverterWithEncodedAttributes + codec
            failure.message = "Encoded failure"
            failure.encoded_attributes.CopyFrom(self.payload({"message": message, "stack_trace": stack}))
        else:
            failure.message = message
            failure.stack_trace = stack
        return failure

    def add(self, event_type: int) -> HistoryEvent:
        event = HistoryEvent(event_id=len(self.events) + 1, event_type=event_type)  # type: ignore[arg-type]
        event.event_time.FromDatetime(START + timedelta(milliseconds=250 * len(self.events)))
        self.events.append(event)
        return event

    def workflow_task(self) -> int:
        """A scheduled/started/completed workflow task; returns the completed event id."""
        self.add(EventType.EVENT_TYPE_WORKFLOW_TASK_SCHEDULED).workflow_task_scheduled_event_attributes.attempt = 1
        self.add(EventType.EVENT_TYPE_WORKFLOW_TASK_STARTED).workflow_task_started_event_attributes.identity = (
            "1234@worker-host")
        completed = self.add(EventType.EVENT_TYPE_WORKFLOW_TASK_COMPLETED)
        completed.workflow_task_completed_event_attributes.scheduled_event_id = completed.event_id - 2
        return completed.event_id

    def start(self, workflow_input: Any, *, memo: dict[str, Any] | None = None,
              headers: dict[str, Any] | None = None, search_attributes: dict[str, Any] | None = None) -> None:
        event = self.add(EventType.EVENT_TYPE_WORKFLOW_EXECUTION_STARTED)
        attrs = event.workflow_execution_started_event_attributes
        attrs.workflow_type.name = "OnboardingWorkflow"
        attrs.task_queue.name = "onboarding"
        attrs.input.CopyFrom(self.payloads(workflow_input))
        attrs.identity = "client@operator-host"
        for key, value in (memo or {}).items():
            attrs.memo.fields[key].CopyFrom(self.payload(value))
        for key, value in (headers or {}).items():
            attrs.header.fields[key].CopyFrom(self.payload(value))
        for key, value in (search_attributes or {}).items():  # search attributes are never encrypted
            attrs.search_attributes.indexed_fields[key].CopyFrom(plain_payload(value))
        self.workflow_task()

    def activity(self, name: str, argument: Any, result: Any = None, *, attempts: int = 1,
                 activity_id: str | None = None, failure: tuple[str, str] | None = None) -> None:
        """An activity that succeeds (or, with ``failure``, fails for good) on attempt ``attempts``."""
        scheduled = self.add(EventType.EVENT_TYPE_ACTIVITY_TASK_SCHEDULED)
        attrs = scheduled.activity_task_scheduled_event_attributes
        attrs.activity_id = activity_id or str(scheduled.event_id)
        attrs.activity_type.name = name
        attrs.input.CopyFrom(self.payloads(argument))
        started = self.add(EventType.EVENT_TYPE_ACTIVITY_TASK_STARTED)
        started_attrs = started.activity_task_started_event_attributes
        started_attrs.scheduled_event_id = scheduled.event_id
        started_attrs.attempt = attempts
        if attempts > 1:
            started_attrs.last_failure.CopyFrom(
                self.failure("identity provider temporarily unavailable", "Traceback ...", "TransientProviderError"))
        if failure is None:
            done = self.add(EventType.EVENT_TYPE_ACTIVITY_TASK_COMPLETED)
            done.activity_task_completed_event_attributes.scheduled_event_id = scheduled.event_id
            done.activity_task_completed_event_attributes.result.CopyFrom(self.payloads(result))
        else:
            done = self.add(EventType.EVENT_TYPE_ACTIVITY_TASK_FAILED)
            done.activity_task_failed_event_attributes.scheduled_event_id = scheduled.event_id
            done.activity_task_failed_event_attributes.failure.CopyFrom(self.failure(*failure, "BusinessRejection"))
        self.workflow_task()

    def timer(self, seconds: int = 5) -> None:
        event = self.add(EventType.EVENT_TYPE_TIMER_STARTED)
        event.timer_started_event_attributes.timer_id = str(event.event_id)
        event.timer_started_event_attributes.start_to_fire_timeout.FromSeconds(seconds)

    def signal(self, name: str, argument: Any) -> None:
        event = self.add(EventType.EVENT_TYPE_WORKFLOW_EXECUTION_SIGNALED)
        event.workflow_execution_signaled_event_attributes.signal_name = name
        event.workflow_execution_signaled_event_attributes.input.CopyFrom(self.payloads(argument))
        self.workflow_task()

    def update(self, name: str, argument: Any, result: Any) -> None:
        accepted = self.add(EventType.EVENT_TYPE_WORKFLOW_EXECUTION_UPDATE_ACCEPTED)
        attrs = accepted.workflow_execution_update_accepted_event_attributes
        attrs.protocol_instance_id = "update-1"
        attrs.accepted_request.meta.update_id = "update-1"
        attrs.accepted_request.input.name = name
        attrs.accepted_request.input.args.CopyFrom(self.payloads(argument))
        completed = self.add(EventType.EVENT_TYPE_WORKFLOW_EXECUTION_UPDATE_COMPLETED)
        completed.workflow_execution_update_completed_event_attributes.meta.update_id = "update-1"
        completed.workflow_execution_update_completed_event_attributes.outcome.success.CopyFrom(self.payloads(result))
        self.workflow_task()

    def complete(self, result: Any) -> None:
        event = self.add(EventType.EVENT_TYPE_WORKFLOW_EXECUTION_COMPLETED)
        event.workflow_execution_completed_event_attributes.result.CopyFrom(self.payloads(result))

    def fail(self, message: str, stack: str) -> None:
        event = self.add(EventType.EVENT_TYPE_WORKFLOW_EXECUTION_FAILED)
        event.workflow_execution_failed_event_attributes.failure.CopyFrom(self.failure(message, stack, "Rejected"))

    def to_dicts(self, *, snake_case: bool = False) -> list[dict[str, Any]]:
        return [MessageToDict(event, preserving_proto_field_name=snake_case) for event in self.events]


def onboarding_history(application: dict[str, Any], *, encrypt: bool, review: str = "signal",
                       identity_attempts: int = 3) -> TemporalHistory:
    """A realistic approved onboarding with a retried identity check and a manual review."""
    history = TemporalHistory(encrypt=encrypt)
    application_id = application["application_id"]
    history.start(application, memo={"channel": "web"}, search_attributes={"ApplicationId": application_id})
    history.activity("validate", application, {"valid": True})
    history.activity("screen_sanctions", application["applicant"], {"listed": False})
    history.activity("verify_identity", application["applicant"], {"verified": True}, attempts=identity_attempts)
    history.activity("assess_risk", application, {"level": "MEDIUM", "score": 45})
    history.activity("request_review", {"application_id": application_id, "risk_level": "MEDIUM"}, None)
    history.timer(5)
    if review == "signal":
        history.signal("review_decision", {"decision": "APPROVE"})
    else:
        history.update("review_decision", {"decision": "APPROVE"}, {"accepted": True})
    history.activity("open_account", application, {"account_id": "acct_0001"})
    history.activity("fund_account", application["funding"], {"approved": True})
    history.activity("notify", {"application_id": application_id, "account_id": "acct_0001"}, None)
    history.complete({"status": "APPROVED", "account_id": "acct_0001"})
    return history
