"""The reference process over the scenario corpus: every branch, its outcome and its side effects."""

from __future__ import annotations

import pytest

from onboarding.adapters.memory import (
    InMemoryChargeStore,
    InMemoryLedger,
    InMemoryOutbox,
    InMemoryReviewQueue,
    in_memory_adapters,
)
from onboarding.errors import TransientProviderError
from onboarding.models import Application, Outcome, OutcomeStatus, RejectionReason, ReviewDecision
from onboarding.ports import Adapters
from onboarding.steps import run_onboarding
from scenarios import SCENARIOS, Scenario, scenario
from scenarios.bad_inputs import BAD_INPUTS, BadInput
from scenarios.faults import FAULT_CASES, FaultCase
from tests.conftest import TODAY
from tests.support.down_stores import with_store_down
from tests.support.side_effects import SideEffects, matches_expected

CASES = SCENARIOS + tuple(fault.scenario for fault in FAULT_CASES)


def _run(s: Scenario, adapters: Adapters) -> Outcome:
    return run_onboarding(s.application(), adapters=adapters, today=TODAY, reviewer=lambda _a: s.review_decision)


def test_corpus_covers_every_outcome_reason_and_branch() -> None:
    reasons = {s.expected.reason for s in CASES}  # a store outage cannot be a submission: the fault cases add it
    assert reasons >= set(RejectionReason) | {None}
    assert any(s.identity_transient_failures and s.expected.status is OutcomeStatus.APPROVED for s in SCENARIOS)
    assert any(s.funding_transient_failures and s.expected.status is OutcomeStatus.APPROVED for s in SCENARIOS)
    assert {s.review_decision for s in SCENARIOS if s.expected.review_requested} == {
        ReviewDecision.APPROVE, ReviewDecision.DECLINE, None}
    assert any(s.expected.compensated for s in SCENARIOS)
    # The saga's ends, each reached by a sandbox fault: compensated with and without a refund, and pending.
    assert any(s.expected.compensated and s.expected.refunded_charges for s in SCENARIOS)
    assert any(s.expected.compensated and not s.expected.approved_charges and s.expected.account_status == "CLOSED"
               and s.expected.reason is RejectionReason.FUNDING_UNAVAILABLE for s in SCENARIOS)
    assert any(s.expected.compensation_pending for s in SCENARIOS)
    assert not any(s.expected.compensated and s.expected.compensation_pending for s in CASES)


def test_every_pii_value_is_unique_across_corpora() -> None:
    values = [v for s in CASES for v in s.pii]
    assert len(values) == len(set(values))
    ids = [s.application_id for s in CASES]
    assert len(ids) == len(set(ids))
    bad_payload_strings = {str(b.payload) for b in BAD_INPUTS}
    assert not any(v in text for v in values for text in bad_payload_strings)


def test_searchable_pii_excludes_only_short_values() -> None:
    s = scenario("approved_low_risk")
    assert "123-45-6789" in s.searchable_pii()
    assert "08/31" not in s.searchable_pii()


def test_scenario_lookup_names_the_unknown() -> None:
    with pytest.raises(KeyError, match="unknown scenario 'nope'"):
        scenario("nope")


@pytest.mark.parametrize("s", SCENARIOS, ids=lambda s: s.name)
def test_scenario_outcome_and_side_effects(s: Scenario) -> None:
    adapters = in_memory_adapters()
    outcome = _run(s, adapters)
    expected = s.expected
    assert (outcome.status, outcome.reason, outcome.compensated, outcome.compensation_pending) == (
        expected.status, expected.reason, expected.compensated, expected.compensation_pending)
    assert outcome.error_codes == expected.error_codes
    account = adapters.ledger.get(s.application_id)
    assert (account.status if account else None) == expected.account_status
    charges = adapters.charges.for_application(s.application_id)
    assert sum(c.approved for c in charges) == expected.approved_charges
    assert sum(not c.approved for c in charges) == expected.declined_charges
    assert sum(c.refunded for c in charges) == expected.refunded_charges
    assert len(adapters.outbox.for_application(s.application_id)) == expected.outbox_messages
    review = adapters.reviews.get(s.application_id)
    assert (review is not None) == expected.review_requested
    if expected.status is OutcomeStatus.APPROVED:
        assert account is not None and outcome.account_id == account.account_id


@pytest.mark.parametrize("s", SCENARIOS, ids=lambda s: s.name)
def test_running_a_scenario_twice_duplicates_no_side_effect(s: Scenario) -> None:
    adapters = in_memory_adapters()
    first = _run(s, adapters)
    second = _run(s, adapters)
    assert first == second
    assert len(adapters.charges.for_application(s.application_id)) == (
        s.expected.approved_charges + s.expected.declined_charges)
    assert len(adapters.outbox.for_application(s.application_id)) == s.expected.outbox_messages


@pytest.mark.parametrize("fault", FAULT_CASES, ids=lambda f: f.name)
def test_fault_case_outcome_and_side_effects(fault: FaultCase) -> None:
    adapters = in_memory_adapters()
    down = with_store_down(adapters, fault.down)
    outcome = run_onboarding(fault.scenario.application(), adapters=down, today=TODAY,
                             reviewer=lambda _a: fault.scenario.review_decision)
    assert matches_expected(fault.scenario, outcome, SideEffects.of(adapters, fault.scenario.application_id)) == []


def test_funding_retries_exhausted_compensate_what_the_processor_did() -> None:
    """With fewer attempts than the processor's outage lasts, the same card is unavailable for good: nothing was
    charged, so nothing is refunded; the account is closed."""
    s = scenario("processor_transient_then_approved")
    adapters = in_memory_adapters()
    outcome = run_onboarding(s.application(), adapters=adapters, today=TODAY, reviewer=lambda _a: None,
                             attempts=s.funding_transient_failures)
    assert (outcome.status, outcome.reason, outcome.compensated) == (
        OutcomeStatus.FAILED, RejectionReason.FUNDING_UNAVAILABLE, True)
    assert adapters.charges.for_application(s.application_id) == []
    account = adapters.ledger.get(s.application_id)
    assert account is not None and account.status == "CLOSED"


def test_identity_retries_exhausted_propagate_the_transient_fault() -> None:
    s = scenario("identity_transient_then_approved")
    with pytest.raises(TransientProviderError):
        run_onboarding(s.application(), adapters=in_memory_adapters(), today=TODAY,
                       reviewer=lambda _a: None, identity_attempts=2)


@pytest.mark.parametrize("bad", BAD_INPUTS, ids=lambda b: b.name)
def test_bad_inputs_are_rejected_without_side_effects(bad: BadInput) -> None:
    adapters = in_memory_adapters()
    reviewed: list[Application] = []

    def reviewer(application: Application) -> ReviewDecision:
        reviewed.append(application)
        return ReviewDecision.APPROVE

    outcome = run_onboarding(bad.payload, adapters=adapters, today=TODAY, reviewer=reviewer)
    assert outcome.reason is RejectionReason.INVALID_APPLICATION
    assert outcome.error_codes == bad.expected_errors
    assert reviewed == []
    assert isinstance(adapters.ledger, InMemoryLedger) and adapters.ledger.accounts == {}
    assert isinstance(adapters.charges, InMemoryChargeStore) and adapters.charges.charges == {}
    assert isinstance(adapters.outbox, InMemoryOutbox) and adapters.outbox.messages == {}
    assert isinstance(adapters.reviews, InMemoryReviewQueue) and adapters.reviews.reviews == {}
