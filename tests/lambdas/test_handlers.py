"""Handler unit tests, through the Lambda runtime contract (event in, payload or error payload out):
bad input, sanitized errors, claim-check guards, idempotency on duplicate invocation."""

from __future__ import annotations

import json
from collections.abc import Iterator
from datetime import UTC, datetime
from typing import Any

import pytest

from contract.onboarding import ONBOARDING
from contract.profile import Profile
from lambdas.claim_check import encode_submission
from lambdas.registration import ONBOARDING_TASKS
from lambdas.runtime import runtime_for
from lambdas.settings import Settings
from local.onboarding import OnboardingStepFunctions
from scenarios import new_application_id, scenario
from scenarios.bad_inputs import BAD_INPUTS, BadInput, base_application
from tests.support.side_effects import SideEffects
from tests.support.stepfunctions import call, payload_values

USABLE = [bad for bad in BAD_INPUTS if bad.application_id_usable]
STARTED_AT = datetime.now(UTC).isoformat()


@pytest.fixture(scope="module")
def sfn() -> Iterator[Any]:

    with OnboardingStepFunctions(profile=Profile.HARDENED, prefix="unit") as local:
        yield local


def stored(sfn: Any, payload: dict[str, Any]) -> dict[str, Any]:
    """Put ``payload`` in the claim-check bucket as intake does; return the task event's submission."""
    runtime = runtime_for(Settings.from_env(ONBOARDING), ONBOARDING_TASKS.stores)
    ref, _ = runtime.claim_checks.put(payload["application_id"], encode_submission(payload))
    return {"claim_check": ref.model_dump()}


def submission_event(sfn: Any, payload: dict[str, Any], **extra: Any) -> dict[str, Any]:
    return {"application_id": payload["application_id"], "submission": stored(sfn, payload), **extra}


def idempotency_items(sfn: Any) -> list[dict[str, Any]]:
    table = sfn.client("dynamodb")
    items: list[dict[str, Any]] = table.scan(TableName=sfn.resources.idempotency_table)["Items"]
    return items


# -- bad input --------------------------------------------------------------------------------------


@pytest.mark.parametrize("bad", USABLE, ids=[b.name for b in USABLE])
def test_validate_rejects_bad_input_with_codes_only_and_no_side_effect(sfn: Any, bad: BadInput) -> None:
    payload = bad.application(new_application_id())
    answer = call(sfn, "validate", submission_event(sfn, payload, started_at=STARTED_AT))
    assert answer["errorType"] == "INVALID_APPLICATION"
    detail = json.loads(answer["errorMessage"])
    assert detail == {"reason": "INVALID_APPLICATION",
                      "error_codes": [e.model_dump() for e in bad.expected_errors]}
    assert not {value for value in payload_values(payload) if value in json.dumps(answer)}
    assert SideEffects.of(sfn.adapters(), payload["application_id"]).empty


@pytest.mark.parametrize(
    ("event", "fields"),
    [
        ({}, ["application_id", "started_at", "submission"]),
        ({"application_id": "app_../../etc", "submission": {}, "started_at": "x"}, ["application_id"]),
        ({"application_id": "app_0123456789", "submission": {"claim_check": None, "inline": None},
          "started_at": "2026-01-01T00:00:00Z", "Leopold Brightwater": "219-38-4756"}, ["$", "submission"]),
    ],
    ids=["empty", "bad_values", "unexpected_key"],
)
def test_a_malformed_task_event_names_fields_never_values(sfn: Any, event: dict[str, Any], fields: list[str]) -> None:
    answer = call(sfn, "validate", event)
    assert answer["errorType"] == "InvalidTaskInput"
    for field in fields:
        assert field in answer["errorMessage"]
    for value in ("Leopold Brightwater", "219-38-4756", "etc"):
        assert value not in json.dumps(answer)


# -- claim check guards and sanitized errors --------------------------------------------------------


def test_hardened_tasks_refuse_an_inline_application(sfn: Any) -> None:
    payload = base_application() | {"application_id": new_application_id()}
    answer = call(sfn, "validate", {"application_id": payload["application_id"], "submission": {"inline": payload},
                                    "started_at": STARTED_AT})
    assert answer["errorType"] == "InvalidTaskInput"
    assert "submission.inline" in answer["errorMessage"]
    assert not {value for value in payload_values(payload) if value in json.dumps(answer)}


@pytest.mark.parametrize("forged", [{"bucket": "someone-elses-bucket"}, {"key": "submissions/app_0000000000000.json"}])
def test_a_claim_check_reference_must_name_this_applications_object(sfn: Any, forged: dict[str, str]) -> None:
    payload = base_application() | {"application_id": new_application_id()}
    event = submission_event(sfn, payload)
    event["submission"]["claim_check"].update(forged)
    answer = call(sfn, "screen_sanctions", event)
    assert answer["errorType"] == "InvalidTaskInput"
    assert "submission.claim_check" in answer["errorMessage"]


def test_business_errors_carry_the_reason_code_only(sfn: Any) -> None:
    case = scenario("sanctions_match")
    payload = case.application(new_application_id())
    answer = call(sfn, "screen_sanctions", submission_event(sfn, payload))
    assert answer["errorType"] == "SANCTIONS_MATCH"
    assert json.loads(answer["errorMessage"]) == {"reason": "SANCTIONS_MATCH", "error_codes": []}
    assert not {value for value in case.searchable_pii() if value in json.dumps(answer)}


def test_transient_faults_surface_as_the_retryable_error(sfn: Any) -> None:
    case = scenario("identity_transient_then_approved")
    event = submission_event(sfn, case.application(new_application_id()))
    first = call(sfn, "verify_identity", {**event, "attempt": 1})
    assert first["errorType"] == "TransientProviderError"
    assert first["errorMessage"] == "identity_provider temporarily unavailable (attempt 1)"
    third = call(sfn, "verify_identity", {**event, "attempt": case.identity_transient_failures + 1})
    assert third["identity"] == "VERIFIED"


def test_an_unexpected_failure_is_generic_outside_and_detailed_in_the_log_group(sfn: Any) -> None:
    payload = base_application() | {"application_id": new_application_id()}
    event = submission_event(sfn, payload)
    sfn.client("s3").delete_object(Bucket=sfn.resources.bucket, Key=event["submission"]["claim_check"]["key"])
    answer = call(sfn, "screen_sanctions", event)
    assert (answer["errorType"], answer["errorMessage"]) == ("InternalError", "INTERNAL_ERROR")
    logs = sfn.lambda_log_messages()[sfn.resources.function_name("screen_sanctions")]
    detailed = [line for line in logs if payload["application_id"] in line and "unexpected failure" in line]
    assert detailed and "NoSuchKey" in detailed[0]


def test_a_missing_setting_is_named_without_its_value(sfn: Any, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("PROTECTION_PROFILE", "paranoid")
    answer = call(sfn, "validate", {})
    assert answer["errorType"] == "ConfigurationError"
    assert "PROTECTION_PROFILE" in answer["errorMessage"] and "paranoid" not in answer["errorMessage"]


# -- idempotency ------------------------------------------------------------------------------------


def test_open_account_twice_is_one_account_and_one_idempotency_record(sfn: Any) -> None:
    payload = base_application() | {"application_id": new_application_id()}
    event = submission_event(sfn, payload)
    first, second = call(sfn, "open_account", event), call(sfn, "open_account", event)
    assert first == second and first["account_id"].startswith("acct_")
    effects = SideEffects.of(sfn.adapters(), payload["application_id"])
    assert effects.account is not None and effects.account.status == "OPEN"
    keys = [item["id"]["S"] for item in idempotency_items(sfn)]
    assert sum(key.startswith("onboarding.open_account#") for key in keys) >= 1
    assert not any(payload["application_id"] in key for key in keys)  # hashed, like every key


def test_fund_account_twice_charges_once(sfn: Any) -> None:
    payload = base_application() | {"application_id": new_application_id()}
    event = submission_event(sfn, payload)
    call(sfn, "open_account", event)
    funding = {**event, "attempt": 1}
    first, second = call(sfn, "fund_account", funding), call(sfn, "fund_account", funding)
    assert first == second
    assert [c.charge_id for c in SideEffects.of(sfn.adapters(), payload["application_id"]).charges] == [
        first["charge_id"]
    ]


def test_a_declined_card_stays_declined_once_and_compensation_is_idempotent(sfn: Any) -> None:
    payload = scenario("funding_declined").application(new_application_id())
    event = submission_event(sfn, payload)
    call(sfn, "open_account", event)
    answers = [call(sfn, "fund_account", {**event, "attempt": 1}) for _ in range(2)]
    assert [a["errorType"] for a in answers] == ["FUNDING_DECLINED", "FUNDING_DECLINED"]
    closes = [call(sfn, "close_account", {"application_id": payload["application_id"]}) for _ in range(2)]
    assert closes[0] == closes[1] and closes[0]["account_status"] == "CLOSED"
    effects = SideEffects.of(sfn.adapters(), payload["application_id"])
    assert len(effects.charges) == 1 and not effects.charges[0].approved
    assert effects.account is not None and effects.account.status == "CLOSED"


def test_a_charge_is_refunded_once_and_refunding_nothing_is_a_no_op(sfn: Any) -> None:
    nothing = base_application() | {"application_id": new_application_id()}
    assert call(sfn, "refund_charge", submission_event(sfn, nothing, attempt=1))["refunded"] is False
    assert SideEffects.of(sfn.adapters(), nothing["application_id"]).charges == ()
    payload = base_application() | {"application_id": new_application_id()}
    event = submission_event(sfn, payload, attempt=1)
    call(sfn, "fund_account", event)
    answers = [call(sfn, "refund_charge", event) for _ in range(2)]
    assert answers[0] == answers[1] and answers[0]["refunded"] is True
    (charge,) = SideEffects.of(sfn.adapters(), payload["application_id"]).charges
    assert charge.approved and charge.refunded


def test_the_processor_faults_follow_the_attempt_number(sfn: Any) -> None:
    case = scenario("processor_transient_then_approved")
    event = submission_event(sfn, case.application(new_application_id()))
    failing_attempts = range(1, case.funding_transient_failures + 1)
    failing = [call(sfn, "fund_account", {**event, "attempt": n}) for n in failing_attempts]
    assert [(a["errorType"], a["errorMessage"]) for a in failing] == [
        ("TransientProviderError", f"card_processor temporarily unavailable (attempt {n})") for n in failing_attempts]
    charged = call(sfn, "fund_account", {**event, "attempt": case.funding_transient_failures + 1})
    assert charged["charge_id"].startswith("ch_")
    gone = scenario("compensation_pending")
    event = submission_event(sfn, gone.application(new_application_id()), attempt=1)
    assert call(sfn, "fund_account", event)["errorType"] == "TransientProviderError"  # charged, answer lost
    assert call(sfn, "refund_charge", event)["errorType"] == "TransientProviderError"  # refund refused
    (charge,) = SideEffects.of(sfn.adapters(), event["application_id"]).charges
    assert charge.approved and not charge.refunded


def test_notify_twice_sends_one_message(sfn: Any) -> None:
    application_id = new_application_id()
    event = {"application_id": application_id, "account_id": "acct_0123456789abcdef01234567"}
    assert call(sfn, "notify", event) == call(sfn, "notify", event)
    assert len(SideEffects.of(sfn.adapters(), application_id).outbox) == 1


def test_a_retried_review_task_replaces_the_token_until_decided(sfn: Any) -> None:
    application_id = new_application_id()
    for token in ("token-first-attempt", "token-second-attempt"):
        answer = call(sfn, "request_review", {"application_id": application_id, "risk_level": "MEDIUM",
                                              "task_token": token})
        assert answer == {"application_id": application_id, "review": "REQUESTED"}
    review = SideEffects.of(sfn.adapters(), application_id).review
    assert review is not None and review.task_token == "token-second-attempt" and review.decision is None


def test_hardened_results_hold_ids_and_codes_only(sfn: Any) -> None:
    case = scenario("approved_low_risk")
    event = submission_event(sfn, case.application(new_application_id()), started_at=STARTED_AT)
    answers = [call(sfn, "validate", event), call(sfn, "assess_risk", event)]
    assert answers[0] == {"application_id": event["application_id"], "valid": True}
    assert answers[1] == {"application_id": event["application_id"], "risk_level": "LOW"}
