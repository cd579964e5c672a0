"""The onboarding binding: its facts, read through the ports; its cases; the PII values the audit searches for."""

from __future__ import annotations

from comparison.audit.pii import MIN_VALUE_LENGTH
from comparison.models import FactRole
from comparison.onboarding import (
    FACTS,
    SideEffects,
    corpus,
    expected_facts,
    pii_from_scenarios,
    run_facts,
    side_effects_snapshot,
)
from onboarding.models import Outcome
from scenarios import MIN_SEARCHABLE_PII_LENGTH, SCENARIOS, scenario
from tests.comparison.runs import run_in_memory


def test_snapshot_reads_the_side_effects_through_the_ports() -> None:
    declined = scenario("funding_declined")
    _, adapters = run_in_memory(declined)
    assert side_effects_snapshot(declined.application_id, adapters) == SideEffects(account_status="CLOSED",
                                                                                   declined_charges=1)
    reviewed = scenario("review_approved")
    _, adapters = run_in_memory(reviewed)
    assert side_effects_snapshot(reviewed.application_id, adapters) == SideEffects(
        account_status="OPEN", approved_charges=1, outbox_messages=1, review_requested=True)


def test_every_scenario_is_a_case_with_its_expected_facts_in_fact_order() -> None:
    cases = corpus().cases
    assert [case.name for case in cases] == [s.name for s in SCENARIOS]
    assert [case.description for case in cases] == [s.description for s in SCENARIOS]
    names = [spec.name for spec in FACTS]
    for item, case in zip(SCENARIOS, cases, strict=True):
        assert list(case.expected) == names
        assert case.expected == expected_facts(item.expected)
    assert {spec.role for spec in FACTS} == set(FactRole)


def test_a_run_reports_the_same_facts_as_its_expectation() -> None:
    for item in SCENARIOS:
        outcome, adapters = run_in_memory(item)
        facts = run_facts(outcome, side_effects_snapshot(item.application_id, adapters))
        assert facts == expected_facts(item.expected), item.name
    assert list(run_facts(None, SideEffects())) == [spec.name for spec in FACTS]


def test_field_errors_are_sorted_codes_and_no_outcome_is_no_status() -> None:
    invalid = scenario("invalid_application")
    codes = expected_facts(invalid.expected)["error_codes"]
    assert codes == tuple(sorted(f"{e.field}:{e.code}" for e in invalid.expected.error_codes))
    assert codes and all(":" in code for code in codes)
    assert invalid.expected.reason is not None
    shuffled = Outcome.rejected(invalid.application_id, invalid.expected.reason,
                                error_codes=tuple(reversed(invalid.expected.error_codes)))
    assert run_facts(shuffled, SideEffects())["error_codes"] == codes
    assert run_facts(None, SideEffects())["status"] is None


def test_corpus_values_are_labelled_by_scenario_and_field() -> None:
    values = pii_from_scenarios(SCENARIOS)
    labels = {v.label for v in values}
    assert "approved_low_risk.applicant.address.line1" in labels
    assert "approved_low_risk.funding.card_number" in labels
    assert not any(label.endswith("card_expiry") for label in labels)  # too short to search without false hits
    assert len(values) == len({v.value.get_secret_value() for v in values})


def test_every_searchable_value_of_the_corpus_is_searched() -> None:
    # The corpus decides what is searchable; the audit refuses shorter values, so the two must agree.
    assert MIN_SEARCHABLE_PII_LENGTH >= MIN_VALUE_LENGTH
    searched = {v.value.get_secret_value() for v in pii_from_scenarios(SCENARIOS)}
    assert searched == {value for s in SCENARIOS for value in s.searchable_pii()}
