"""Parity: the expected facts on every engine, and a clear account of any difference."""

from __future__ import annotations

import pytest
from pydantic import ValidationError

from comparison.models import Case, Corpus, Engine, FactRole, Facts, FactSpec, ScenarioRun
from comparison.onboarding import SideEffects, corpus, expected_facts, run_facts
from comparison.parity import parity
from comparison.report.model import build_scenarios
from contract.profile import Profile
from onboarding.models import Outcome, OutcomeStatus, RejectionReason
from scenarios import SCENARIOS, scenario
from tests.comparison.runs import all_reference_runs, reference_run

APPROVED = scenario("approved_low_risk")
EXPECTED = expected_facts(APPROVED.expected)


def test_every_corpus_scenario_is_in_parity_when_every_engine_behaves_like_the_reference() -> None:
    for item in SCENARIOS:
        result = parity(expected_facts(item.expected), [reference_run(item, engine) for engine in Engine])
        assert result.parity, (item.name, result.mismatches)
        assert result.mismatches == ()
        assert result.matches_expected == dict.fromkeys(Engine, True)


def test_a_side_effect_difference_breaks_parity_and_is_named() -> None:
    good = reference_run(APPROVED, Engine.STEPFUNCTIONS)
    twice = reference_run(APPROVED, Engine.TEMPORAL)
    twice = twice.model_copy(update={"facts": {**twice.facts, "approved_charges": 2}})
    result = parity(EXPECTED, [twice, good])
    assert not result.parity
    assert (result.matches_expected[Engine.TEMPORAL], result.matches_expected[Engine.STEPFUNCTIONS],
            result.engines_agree) == (False, True, False)
    assert "temporal: approved_charges expected 1, got 2" in result.mismatches
    assert "engines differ on approved_charges: temporal 2, stepfunctions 1" in result.mismatches


def test_engines_agreeing_on_the_wrong_outcome_is_not_parity() -> None:
    wrong = run_facts(Outcome.rejected(APPROVED.application_id, RejectionReason.HIGH_RISK), SideEffects())
    runs = [reference_run(APPROVED, e).model_copy(update={"facts": wrong}) for e in Engine]
    result = parity(EXPECTED, runs)
    assert result.engines_agree
    assert not result.parity
    assert "stepfunctions: status expected APPROVED, got REJECTED" in result.mismatches


def test_an_engine_failure_is_reported_by_type() -> None:
    crashed = ScenarioRun(engine=Engine.STEPFUNCTIONS, profile=Profile.HARDENED, scenario=APPROVED.name,
                          business_id=APPROVED.application_id, facts=run_facts(None, SideEffects()),
                          error="ExecutionTimedOut")
    result = parity(EXPECTED, [reference_run(APPROVED, Engine.TEMPORAL), crashed])
    assert not result.parity
    assert "stepfunctions: run failed with ExecutionTimedOut" in result.mismatches


def test_run_errors_are_type_names_never_messages() -> None:
    with pytest.raises(ValidationError, match="error"):
        ScenarioRun(engine=Engine.TEMPORAL, profile=Profile.HARDENED, scenario=APPROVED.name,
                    business_id=APPROVED.application_id, facts=run_facts(None, SideEffects()),
                    error="card 4111111182736457 declined")


def test_business_ids_must_be_opaque() -> None:
    with pytest.raises(ValidationError, match="business_id"):
        ScenarioRun(engine=Engine.TEMPORAL, profile=Profile.HARDENED, scenario=APPROVED.name,
                    business_id="amelia.hartwell@example.com", facts=run_facts(None, SideEffects()))


def test_facts_are_codes_never_free_text() -> None:
    with pytest.raises(ValidationError, match="fact reason is not a code") as caught:
        ScenarioRun(engine=Engine.TEMPORAL, profile=Profile.HARDENED, scenario=APPROVED.name,
                    business_id=APPROVED.application_id, facts={**EXPECTED, "reason": "Amelia Hartwell-Quince"})
    assert "Amelia" not in str(caught.value)
    with pytest.raises(ValidationError, match="snake_case"):
        Case(name="x", description="x", expected={"Bad Name": 1})


def test_mismatched_arguments_are_refused_by_name() -> None:
    temporal = reference_run(APPROVED, Engine.TEMPORAL)
    with pytest.raises(ValueError, match="more than one temporal run"):
        parity(EXPECTED, [temporal, temporal])
    with pytest.raises(ValueError, match=r"runs\[0\]\.engine"):
        parity(EXPECTED, [reference_run(APPROVED, Engine.STEPFUNCTIONS)], engines=[Engine.TEMPORAL])
    other = reference_run(scenario("high_risk"), Engine.STEPFUNCTIONS)
    with pytest.raises(ValueError, match=r"runs\[1\]\.scenario"):
        parity(EXPECTED, [temporal, other])
    baseline = reference_run(APPROVED, Engine.STEPFUNCTIONS, Profile.BASELINE)
    with pytest.raises(ValueError, match=r"runs\[1\]\.profile"):
        parity(EXPECTED, [temporal, baseline])


def test_a_run_with_other_facts_than_expected_is_refused_naming_them() -> None:
    temporal = reference_run(APPROVED, Engine.TEMPORAL)
    facts = {name: value for name, value in temporal.facts.items() if name != "outbox_messages"}
    with pytest.raises(ValueError, match=r"runs\[0\]\.facts: missing \['outbox_messages'\]"):
        parity(EXPECTED, [temporal.model_copy(update={"facts": {**facts, "extra": 1}})])


def test_parity_is_generic_over_the_facts_and_the_engines_compared() -> None:
    """No onboarding fact and one engine: what is compared is exactly what the caller supplies."""
    expected: Facts = {"colour": "red", "count": 2, "flagged": False}
    run = ScenarioRun(engine=Engine.STEPFUNCTIONS, profile=Profile.BASELINE, scenario="painted", business_id="p_1",
                      facts={"colour": "red", "count": 2, "flagged": 0})
    alone = parity(expected, [run], engines=[Engine.STEPFUNCTIONS])
    # False and 0 are different facts; with one engine compared, the engines trivially agree.
    assert alone.matches_expected == {Engine.STEPFUNCTIONS: False}
    assert alone.engines_agree and not alone.parity
    assert alone.mismatches == ("stepfunctions: flagged expected False, got 0",)
    fixed = parity(expected, [run.model_copy(update={"facts": expected})], engines=[Engine.STEPFUNCTIONS])
    assert fixed.parity
    missing = parity(expected, [run.model_copy(update={"facts": expected})])
    assert not missing.parity
    assert missing.mismatches == (f"no run from: {', '.join(e.value for e in Engine if e is not run.engine)}",)
    assert missing.matches_expected == {e: e is run.engine for e in Engine}


def test_build_scenarios_covers_every_profile_and_flags_missing_runs() -> None:
    runs = [r for r in all_reference_runs()
            if not (r.scenario == "high_risk" and r.engine is Engine.STEPFUNCTIONS and r.profile is Profile.BASELINE)]
    rows = build_scenarios(runs, corpus())
    assert [row.name for row in rows] == [s.name for s in SCENARIOS]
    high_risk = next(row for row in rows if row.name == "high_risk")
    assert not high_risk.parity
    assert high_risk.parity_by_profile[Profile.HARDENED].parity
    assert high_risk.parity_by_profile[Profile.BASELINE].mismatches == ("no run from: stepfunctions",)
    assert sum(row.parity for row in rows) == len(SCENARIOS) - 1
    assert high_risk.runs[Engine.TEMPORAL][Profile.BASELINE].facts["status"] == OutcomeStatus.REJECTED.value


def test_build_scenarios_compares_the_engines_that_ran() -> None:
    only = Engine.TEMPORAL
    rows = build_scenarios(all_reference_runs(engines=(only,)), corpus())
    assert all(row.parity and set(row.runs) == {only} for row in rows)
    assert all(set(result.matches_expected) == {only} for row in rows for result in row.parity_by_profile.values())
    with pytest.raises(ValueError, match="not compared"):
        build_scenarios(all_reference_runs(), corpus(), engines=[only])


def test_build_scenarios_refuses_duplicate_and_unknown_runs() -> None:
    run = reference_run(APPROVED, Engine.TEMPORAL)
    with pytest.raises(ValueError, match="more than one temporal run"):
        build_scenarios([run, run], corpus())
    stray = run.model_copy(update={"scenario": "not_in_corpus"})
    with pytest.raises(ValueError, match="unknown scenario"):
        build_scenarios([stray], corpus())


def test_a_corpus_refuses_cases_whose_facts_are_not_its_facts() -> None:
    facts = (FactSpec(name="status", role=FactRole.OUTCOME, label="status"),
             FactSpec(name="count", role=FactRole.EFFECT, label="count"))
    Corpus(facts, (Case(name="a", description="", expected={"status": "OK", "count": 1}),))
    with pytest.raises(ValueError, match="case b: expected facts must be exactly status, count, in order"):
        Corpus(facts, (Case(name="b", description="", expected={"count": 1, "status": "OK"}),))
    with pytest.raises(ValueError, match="described twice"):
        Corpus((*facts, facts[0]), ())
