"""The Temporal side of the exposure audit, on histories built from the real protobuf types."""

from __future__ import annotations

import base64
from collections.abc import Callable
from typing import Any

import pytest
from pydantic import SecretStr
from temporalio.api.enums.v1 import EventType

from comparison.audit.evidence import TemporalEvidence, audit_temporal
from comparison.audit.exposure import ExposureAudit, TemporalChannel
from comparison.audit.pii import PiiValue
from comparison.onboarding import pii_from_scenarios
from scenarios import SCENARIOS, scenario
from tests.comparison import temporal_history
from tests.comparison.temporal_history import TemporalHistory

SCENARIO = scenario("review_approved")
APPLICATION = SCENARIO.application()
VALUES = pii_from_scenarios([SCENARIO])
EMAIL = str(APPLICATION["applicant"]["email"])
EMAIL_INDEX = next(i for i, v in enumerate(VALUES) if v.value.get_secret_value() == EMAIL)
SAFE_INPUT = {"application_id": SCENARIO.application_id, "claim": "ref-1"}


def audit(history: TemporalHistory, **evidence: Any) -> ExposureAudit:
    fields: dict[str, Any] = {"label": SCENARIO.name, "workflow_id": SCENARIO.application_id,
                              "history": history.to_dicts(), **evidence}
    return audit_temporal([TemporalEvidence(**fields)], VALUES)


def hits_by_channel(result: ExposureAudit) -> dict[str, int]:
    return {name: channel.plaintext_hits for name, channel in result.channels.items()}


def _plant_workflow_input(h: TemporalHistory) -> dict[str, Any]:
    h.start({"application_id": SCENARIO.application_id, "email": EMAIL})
    return {}


def _plant_activity_result(h: TemporalHistory) -> dict[str, Any]:
    h.start(SAFE_INPUT)
    h.activity("lookup", SAFE_INPUT, {"contact": {"email": EMAIL}})
    return {}


def _plant_failure_message(h: TemporalHistory) -> dict[str, Any]:
    h.start(SAFE_INPUT)
    h.activity("validate", SAFE_INPUT, failure=(f"invalid email {EMAIL}", "Traceback (most recent call last): ..."))
    return {}


def _plant_stack_trace(h: TemporalHistory) -> dict[str, Any]:
    h.start(SAFE_INPUT)
    h.fail("rejected", f'  File "steps.py", line 9, in validate\n    check({EMAIL!r})')
    return {}


def _plant_signal(h: TemporalHistory) -> dict[str, Any]:
    h.start(SAFE_INPUT)
    h.signal("review_decision", {"decision": "APPROVE", "reviewer_note": f"called {EMAIL}"})
    return {}


def _plant_update(h: TemporalHistory) -> dict[str, Any]:
    h.start(SAFE_INPUT)
    h.update("review_decision", {"decision": "APPROVE"}, {"contact": EMAIL})
    return {}


def _plant_memo(h: TemporalHistory) -> dict[str, Any]:
    h.start(SAFE_INPUT, memo={"contact": EMAIL})
    return {}


def _plant_header(h: TemporalHistory) -> dict[str, Any]:
    h.start(SAFE_INPUT, headers={"x-user": EMAIL})
    return {}


def _plant_search_attribute_in_history(h: TemporalHistory) -> dict[str, Any]:
    h.start(SAFE_INPUT, search_attributes={"ApplicantEmail": EMAIL})
    return {}


def _plant_described_search_attribute(h: TemporalHistory) -> dict[str, Any]:
    h.start(SAFE_INPUT)
    return {"search_attributes": {"ApplicantEmail": EMAIL}}


def _plant_workflow_id(h: TemporalHistory) -> dict[str, Any]:
    h.start(SAFE_INPUT)
    return {"workflow_id": f"onboarding-{EMAIL}"}


def _plant_activity_id(h: TemporalHistory) -> dict[str, Any]:
    h.start(SAFE_INPUT)
    h.activity("notify", SAFE_INPUT, None, activity_id=f"notify-{EMAIL}")
    return {}


PLANTS: list[tuple[str, TemporalChannel, Callable[[TemporalHistory], dict[str, Any]]]] = [
    ("workflow input", TemporalChannel.WORKFLOW_INPUT, _plant_workflow_input),
    ("activity result", TemporalChannel.ACTIVITY_IO, _plant_activity_result),
    ("failure message", TemporalChannel.FAILURES, _plant_failure_message),
    ("stack trace", TemporalChannel.FAILURES, _plant_stack_trace),
    ("signal input", TemporalChannel.SIGNALS_UPDATES, _plant_signal),
    ("update result", TemporalChannel.SIGNALS_UPDATES, _plant_update),
    ("memo", TemporalChannel.SEARCH_ATTRIBUTES_MEMO_HEADERS, _plant_memo),
    ("header", TemporalChannel.SEARCH_ATTRIBUTES_MEMO_HEADERS, _plant_header),
    ("search attribute in history", TemporalChannel.SEARCH_ATTRIBUTES_MEMO_HEADERS,
     _plant_search_attribute_in_history),
    ("described search attribute", TemporalChannel.SEARCH_ATTRIBUTES_MEMO_HEADERS, _plant_described_search_attribute),
    ("workflow id", TemporalChannel.IDENTIFIERS, _plant_workflow_id),
    ("activity id", TemporalChannel.IDENTIFIERS, _plant_activity_id),
]


@pytest.mark.parametrize(("where", "channel", "plant"), PLANTS, ids=[p[0] for p in PLANTS])
def test_finds_a_planted_value_in_its_channel_and_nowhere_else(
    where: str, channel: TemporalChannel, plant: Callable[[TemporalHistory], dict[str, Any]]
) -> None:
    history = TemporalHistory(encrypt=False)
    evidence = plant(history)
    result = audit(history, **evidence)
    hits = result.channel(channel).hits
    assert [hit.value_index for hit in hits] == [EMAIL_INDEX], where
    assert hits[0].label == f"{SCENARIO.name}.applicant.email"
    assert hits_by_channel(result) == {c.value: (1 if c is channel else 0) for c in TemporalChannel}
    assert result.total_hits == 1


def test_a_value_only_inside_an_encrypted_payload_is_not_counted() -> None:
    history = TemporalHistory(encrypt=False)
    history.start(SAFE_INPUT)
    scheduled = history.add(EventType.EVENT_TYPE_ACTIVITY_TASK_SCHEDULED)
    scheduled.activity_task_scheduled_event_attributes.input.payloads.append(
        temporal_history.encrypted_payload(APPLICATION, leak_plaintext=True))
    stored = history.to_dicts()[-1]["activityTaskScheduledEventAttributes"]["input"]["payloads"][0]
    leaked = base64.b64decode(stored["data"])
    assert EMAIL.encode() in leaked  # the ciphertext bytes really do contain the value
    result = audit(history)
    assert result.total_hits == 0
    assert result.channel(TemporalChannel.ACTIVITY_IO).ciphertext_payloads == 1


def test_the_same_bytes_as_a_plain_payload_are_counted() -> None:
    history = TemporalHistory(encrypt=False)
    history.start(SAFE_INPUT)
    history.activity("validate", APPLICATION, None)
    assert audit(history).channel(TemporalChannel.ACTIVITY_IO).values_exposed == len(VALUES)


def test_hardened_history_exposes_nothing_and_baseline_exposes_every_channel_it_uses() -> None:
    hardened = audit(temporal_history.onboarding_history(APPLICATION, encrypt=True))
    baseline = audit(temporal_history.onboarding_history(APPLICATION, encrypt=False))
    assert hardened.total_hits == 0
    assert hardened.channel(TemporalChannel.WORKFLOW_INPUT).ciphertext_payloads >= 2  # input and result
    assert hardened.channel(TemporalChannel.FAILURES).ciphertext_payloads == 1  # encoded failure attributes
    assert baseline.channel(TemporalChannel.WORKFLOW_INPUT).values_exposed == len(VALUES)
    assert baseline.channel(TemporalChannel.ACTIVITY_IO).values_exposed == len(VALUES)
    assert baseline.channel(TemporalChannel.IDENTIFIERS).plaintext_hits == 0


def test_encoded_failure_attributes_in_clear_are_still_read() -> None:
    """The failure converter moves message and stack into a payload; without a codec an operator reads it."""
    history = TemporalHistory(encrypt=False)
    history.start(SAFE_INPUT)
    failure = history.failure("x", "y", "BusinessRejection")
    failure.message = "Encoded failure"
    failure.encoded_attributes.CopyFrom(temporal_history.plain_payload({"message": f"bad {EMAIL}", "stack_trace": ""}))
    history.add(EventType.EVENT_TYPE_WORKFLOW_EXECUTION_FAILED).workflow_execution_failed_event_attributes.failure.CopyFrom(
        failure)
    assert audit(history).channel(TemporalChannel.FAILURES).plaintext_hits == 1


@pytest.mark.parametrize(("form", "transform"), [
    (lambda v: base64.b64encode(v.encode()).decode(), "base64"),
    (lambda v: "prefix:" + base64.urlsafe_b64encode(v.encode()).decode(), "base64"),
    (lambda v: v.upper(), "case_changed"),
    (lambda v: v.replace("@", "%40"), "url_encoded"),
], ids=["base64-token", "base64-embedded", "upper-case", "url-encoded"])
def test_trivially_reversible_forms_inside_plain_payloads_are_found(
    form: Callable[[str], str], transform: str
) -> None:
    history = TemporalHistory(encrypt=False)
    history.start(SAFE_INPUT)
    history.activity("lookup", SAFE_INPUT, {"blob": form(EMAIL)})
    hits = audit(history).channel(TemporalChannel.ACTIVITY_IO).hits
    assert [(h.value_index, h.transform) for h in hits] == [(EMAIL_INDEX, transform)]


def test_digits_without_separators_are_found() -> None:
    national_id = str(APPLICATION["applicant"]["national_id"])
    history = TemporalHistory(encrypt=False)
    history.start({"ssn": national_id.replace("-", "")})
    hits = audit(history).channel(TemporalChannel.WORKFLOW_INPUT).hits
    assert [h.transform for h in hits] == ["digits_only"]


def test_snake_case_history_json_is_audited_the_same() -> None:
    history = temporal_history.onboarding_history(APPLICATION, encrypt=False)
    camel = audit_temporal([TemporalEvidence(label="x", workflow_id="w", history=history.to_dicts())], VALUES)
    snake = audit_temporal([TemporalEvidence(label="x", workflow_id="w", history=history.to_dicts(snake_case=True))],
                           VALUES)
    assert hits_by_channel(camel) == hits_by_channel(snake)
    assert camel.total_hits > 0


def test_the_result_never_contains_a_searched_value() -> None:
    all_values = pii_from_scenarios(SCENARIOS)
    evidence = [TemporalEvidence(label=s.name, workflow_id=s.application_id,
                                 history=temporal_history.onboarding_history(s.application(), encrypt=False).to_dicts())
                for s in SCENARIOS]
    result = audit_temporal(evidence, all_values)
    text = result.model_dump_json()
    assert result.total_hits > 0
    assert not [v.label for v in all_values if v.value.get_secret_value().casefold() in text.casefold()]


def test_a_label_carrying_pii_is_refused_without_echoing_it() -> None:
    history = TemporalHistory(encrypt=False)
    history.start(SAFE_INPUT)
    with pytest.raises(ValueError, match=r"evidence\[0\]\.label") as caught:
        audit_temporal([TemporalEvidence(label=f"run-{EMAIL}", workflow_id="w", history=history.to_dicts())], VALUES)
    assert EMAIL not in str(caught.value)


def test_pii_value_validation_never_echoes_the_value() -> None:
    with pytest.raises(ValueError, match="shorter than") as short:
        PiiValue(label="s.f", value=SecretStr("abc"))
    assert "abc" not in str(short.value)
    with pytest.raises(ValueError, match="must not contain") as inside:
        PiiValue(label="s.secretvalue1", value=SecretStr("secretvalue1"))
    assert "secretvalue1" not in str(inside.value)
