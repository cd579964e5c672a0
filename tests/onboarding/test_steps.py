from __future__ import annotations

import pytest

from onboarding import steps
from onboarding.adapters.memory import in_memory_adapters
from onboarding.adapters.sandbox import SandboxIdentity
from onboarding.errors import BusinessRejection, TransientProviderError
from onboarding.models import Application, RejectionReason, ReviewDecision, RiskLevel
from onboarding.ports import Adapters
from onboarding.validation import parse_application
from scenarios import scenario
from scenarios.bad_inputs import base_application
from tests.conftest import TODAY


@pytest.fixture
def adapters() -> Adapters:
    return in_memory_adapters()


def _app(name: str) -> Application:
    return parse_application(scenario(name).application(), today=TODAY)


def test_validate_returns_application_or_rejects_with_codes() -> None:
    assert steps.validate(base_application(), today=TODAY).product.value == "checking"
    payload = base_application()
    payload["funding"]["currency"] = "GBP"
    with pytest.raises(BusinessRejection) as raised:
        steps.validate(payload, today=TODAY)
    assert raised.value.reason is RejectionReason.INVALID_APPLICATION
    assert [(e.field, e.code) for e in raised.value.field_errors] == [("funding.currency", "unsupported_currency")]
    assert str(raised.value) == "INVALID_APPLICATION [funding.currency:unsupported_currency]"


def test_screen_sanctions(adapters: Adapters) -> None:
    steps.screen_sanctions(_app("approved_low_risk"), sanctions=adapters.sanctions)
    with pytest.raises(BusinessRejection) as raised:
        steps.screen_sanctions(_app("sanctions_match"), sanctions=adapters.sanctions)
    assert raised.value.reason is RejectionReason.SANCTIONS_MATCH
    assert "Watchlisted" not in str(raised.value)


def test_verify_identity_mismatch_and_transient_faults(adapters: Adapters) -> None:
    with pytest.raises(BusinessRejection) as raised:
        steps.verify_identity(_app("identity_not_verified"), identity=adapters.identity, attempt=1)
    assert raised.value.reason is RejectionReason.IDENTITY_NOT_VERIFIED
    flaky = _app("identity_transient_then_approved")
    for attempt in (1, 2):
        with pytest.raises(TransientProviderError) as fault:
            steps.verify_identity(flaky, identity=adapters.identity, attempt=attempt)
        assert str(fault.value) == f"identity_provider temporarily unavailable (attempt {attempt})"
    steps.verify_identity(flaky, identity=adapters.identity, attempt=3)


def test_identity_attempts_start_at_one() -> None:
    with pytest.raises(ValueError, match="start at 1"):
        SandboxIdentity().verify(_app("approved_low_risk").applicant, attempt=0)


def test_assess_risk_rejects_high_and_flags_medium_for_review() -> None:
    with pytest.raises(BusinessRejection) as raised:
        steps.assess_risk(_app("high_risk"), today=TODAY)
    assert raised.value.reason is RejectionReason.HIGH_RISK
    medium = steps.assess_risk(_app("review_approved"), today=TODAY)
    assert medium.level is RiskLevel.MEDIUM and steps.needs_review(medium)
    low = steps.assess_risk(_app("approved_low_risk"), today=TODAY)
    assert not steps.needs_review(low)


def test_review_request_and_decisions(adapters: Adapters) -> None:
    app = _app("review_declined")
    assessment = steps.assess_risk(app, today=TODAY)
    first = steps.request_review(app.application_id, assessment, reviews=adapters.reviews)
    again = steps.request_review(app.application_id, assessment, reviews=adapters.reviews, task_token="tok-2")
    assert first.task_token is None and again.task_token == "tok-2"
    steps.apply_review_decision(ReviewDecision.APPROVE)
    with pytest.raises(BusinessRejection) as declined:
        steps.apply_review_decision(ReviewDecision.DECLINE)
    assert declined.value.reason is RejectionReason.REVIEW_DECLINED
    with pytest.raises(BusinessRejection) as timed_out:
        steps.apply_review_decision(None)
    assert timed_out.value.reason is RejectionReason.REVIEW_TIMEOUT


def test_open_account_is_idempotent_and_deterministic(adapters: Adapters) -> None:
    app = _app("approved_low_risk")
    first = steps.open_account(app, ledger=adapters.ledger)
    second = steps.open_account(app, ledger=adapters.ledger)
    assert first == second
    assert first.account_id == steps.account_id_for(app.application_id)
    assert first.account_id.startswith("acct_") and app.application_id not in first.account_id


def test_fund_account_charges_once_and_declines(adapters: Adapters) -> None:
    app = _app("approved_low_risk")
    charge = steps.fund_account(app, cards=adapters.cards)
    assert steps.fund_account(app, cards=adapters.cards) == charge
    assert adapters.charges.for_application(app.application_id) == [charge]
    assert charge.amount_cents == app.funding.amount_cents and charge.approved
    declined = _app("funding_declined")
    for _ in range(2):
        with pytest.raises(BusinessRejection) as raised:
            steps.fund_account(declined, cards=adapters.cards)
        assert raised.value.reason is RejectionReason.FUNDING_DECLINED
    assert [c.approved for c in adapters.charges.for_application(declined.application_id)] == [False]


def test_the_sandbox_processor_fails_by_test_card_and_attempt(adapters: Adapters) -> None:
    flaky = _app("processor_transient_then_approved")
    failures = scenario("processor_transient_then_approved").funding_transient_failures
    for attempt in range(1, failures + 1):
        unavailable = rf"card_processor temporarily unavailable \(attempt {attempt}\)"
        with pytest.raises(TransientProviderError, match=unavailable):
            steps.fund_account(flaky, cards=adapters.cards, attempt=attempt)
    assert adapters.charges.for_application(flaky.application_id) == []  # unavailable: nothing charged
    assert steps.fund_account(flaky, cards=adapters.cards, attempt=failures + 1).approved
    down = _app("funding_unavailable")
    for attempt in range(1, 10):
        with pytest.raises(TransientProviderError):
            steps.fund_account(down, cards=adapters.cards, attempt=attempt)
    assert adapters.charges.for_application(down.application_id) == []
    lost = _app("funding_unconfirmed_refunded")
    for attempt in range(1, 4):  # charged on the first attempt, never answered, never charged twice
        with pytest.raises(TransientProviderError):
            steps.fund_account(lost, cards=adapters.cards, attempt=attempt)
    assert [c.approved for c in adapters.charges.for_application(lost.application_id)] == [True]
    with pytest.raises(ValueError, match="start at 1"):
        steps.fund_account(flaky, cards=adapters.cards, attempt=0)


def test_refund_charge_refunds_an_approved_charge_once(adapters: Adapters) -> None:
    app = _app("approved_low_risk")
    assert steps.refund_charge(app, cards=adapters.cards) is None  # nothing charged: nothing to undo
    charge = steps.fund_account(app, cards=adapters.cards)
    refunded = steps.refund_charge(app, cards=adapters.cards)
    assert refunded == charge.model_copy(update={"refunded": True})
    assert steps.refund_charge(app, cards=adapters.cards, attempt=2) == refunded
    declined = _app("funding_declined")
    with pytest.raises(BusinessRejection):
        steps.fund_account(declined, cards=adapters.cards)
    (stored,) = adapters.charges.for_application(declined.application_id)
    assert steps.refund_charge(declined, cards=adapters.cards) == stored and not stored.refunded


def test_a_processor_gone_after_charging_refuses_the_refund(adapters: Adapters) -> None:
    gone = _app("compensation_pending")
    with pytest.raises(TransientProviderError):
        steps.fund_account(gone, cards=adapters.cards)
    for attempt in range(1, 4):
        with pytest.raises(TransientProviderError):
            steps.refund_charge(gone, cards=adapters.cards, attempt=attempt)
    assert [(c.approved, c.refunded) for c in adapters.charges.for_application(gone.application_id)] == [(True, False)]


def test_close_account_compensates_idempotently(adapters: Adapters) -> None:
    app = _app("funding_declined")
    assert steps.close_account(app.application_id, ledger=adapters.ledger) is None
    steps.open_account(app, ledger=adapters.ledger)
    closed = steps.close_account(app.application_id, ledger=adapters.ledger)
    assert closed is not None and closed.status == "CLOSED"
    assert steps.close_account(app.application_id, ledger=adapters.ledger) == closed
    # Re-opening after compensation returns the closed account rather than a second one.
    assert steps.open_account(app, ledger=adapters.ledger).status == "CLOSED"


def test_notify_once(adapters: Adapters) -> None:
    message = steps.notify("app_01JSTEPTEST0001", "acct_1", outbox=adapters.outbox)
    assert steps.notify("app_01JSTEPTEST0001", "acct_1", outbox=adapters.outbox) == message
    assert adapters.outbox.for_application("app_01JSTEPTEST0001") == [message]
    assert message.template == "welcome"
