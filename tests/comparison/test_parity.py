"""Parity: same expected outcome and side effects on both engines, and a clear account of any difference."""

from __future__ import annotations

import pytest
from pydantic import ValidationError

from comparison.models import Engine, ScenarioRun, SideEffects
from comparison.parity import parity
from comparison.report.model import build_scenarios
from contract.profile import Profile
from onboarding.models import Outcome, OutcomeStatus, RejectionReason
from scenarios import SCENARIOS, scenario
from tests.comparison.runs import all_reference_runs, reference_run

APPROVED = scenario("approved_low_risk")


def test_every_corpus_scenario_is_in_parity_when_both_sides_behave_like_the_reference() -> None:
    for item in SCENARIOS:
        result = parity(item.expected, reference_run(item, Engine.TEMPORAL), reference_run(item, Engine.STEPFUNCTIONS))
        assert result.parity, (item.name, result.mismatches)
        assert result.mismatches == ()


def test_snapshot_reads_the_side_effects_through_the_ports() -> None:
    declined = reference_run(scenario("funding_declined"), Engine.TEMPORAL).side_effects
    assert declined == SideEffects(account_status="CLOSED", declined_charges=1)
    reviewed = reference_run(scenario("review_approved"), Engine.TEMPORAL).side_effects
    assert reviewed == SideEffects(account_status="OPEN", approved_charges=1, outbox_messages=1, review_requested=True)


def test_a_side_effect_difference_breaks_parity_and_is_named() -> None:
    good = reference_run(APPROVED, Engine.STEPFUNCTIONS)
    twice = reference_run(APPROVED, Engine.TEMPORAL).model_copy(
        update={"side_effects": SideEffects(account_status="OPEN", approved_charges=2, outbox_messages=1)})
    result = parity(APPROVED.expected, twice, good)
    assert not result.parity
    assert (result.temporal_matches_expected, result.stepfunctions_matches_expected, result.engines_agree) == (
        False, True, False)
    assert "temporal: approved_charges expected 1, got 2" in result.mismatches
    assert "engines differ on approved_charges: temporal 2, stepfunctions 1" in result.mismatches


def test_engines_agreeing_on_the_wrong_outcome_is_not_parity() -> None:
    wrong = Outcome.rejected(APPROVED.application_id, RejectionReason.HIGH_RISK)
    runs = [reference_run(APPROVED, e).model_copy(update={"outcome": wrong, "side_effects": SideEffects()})
            for e in Engine]
    result = parity(APPROVED.expected, *runs)
    assert result.engines_agree
    assert not result.parity
    assert "stepfunctions: status expected APPROVED, got REJECTED" in result.mismatches


def test_an_engine_failure_is_reported_by_type() -> None:
    crashed = ScenarioRun(engine=Engine.STEPFUNCTIONS, profile=Profile.HARDENED, scenario=APPROVED.name,
                          application_id=APPROVED.application_id, outcome=None, side_effects=SideEffects(),
                          error="ExecutionTimedOut")
    result = parity(APPROVED.expected, reference_run(APPROVED, Engine.TEMPORAL), crashed)
    assert not result.parity
    assert "stepfunctions: run failed with ExecutionTimedOut" in result.mismatches


def test_run_errors_are_type_names_never_messages() -> None:
    with pytest.raises(ValidationError, match="error"):
        ScenarioRun(engine=Engine.TEMPORAL, profile=Profile.HARDENED, scenario=APPROVED.name,
                    application_id=APPROVED.application_id, outcome=None, side_effects=SideEffects(),
                    error="card 4111111182736457 declined")


def test_application_ids_must_be_opaque() -> None:
    with pytest.raises(ValidationError, match="application_id"):
        ScenarioRun(engine=Engine.TEMPORAL, profile=Profile.HARDENED, scenario=APPROVED.name,
                    application_id="amelia.hartwell@example.com", outcome=None, side_effects=SideEffects())


def test_mismatched_arguments_are_refused_by_name() -> None:
    temporal = reference_run(APPROVED, Engine.TEMPORAL)
    with pytest.raises(ValueError, match="temporal_run"):
        parity(APPROVED.expected, reference_run(APPROVED, Engine.STEPFUNCTIONS), temporal)
    other = reference_run(scenario("high_risk"), Engine.STEPFUNCTIONS)
    with pytest.raises(ValueError, match=r"stepfunctions_run\.scenario"):
        parity(APPROVED.expected, temporal, other)
    baseline = reference_run(APPROVED, Engine.STEPFUNCTIONS, Profile.BASELINE)
    with pytest.raises(ValueError, match=r"stepfunctions_run\.profile"):
        parity(APPROVED.expected, temporal, baseline)


def test_build_scenarios_covers_every_profile_and_flags_missing_runs() -> None:
    runs = [r for r in all_reference_runs()
            if not (r.scenario == "high_risk" and r.engine is Engine.STEPFUNCTIONS and r.profile is Profile.BASELINE)]
    rows = build_scenarios(runs)
    assert [row.name for row in rows] == [s.name for s in SCENARIOS]
    high_risk = next(row for row in rows if row.name == "high_risk")
    assert not high_risk.parity
    assert high_risk.parity_by_profile[Profile.HARDENED].parity
    assert high_risk.parity_by_profile[Profile.BASELINE].mismatches == ("no run from: stepfunctions",)
    assert sum(row.parity for row in rows) == len(SCENARIOS) - 1
    assert high_risk.temporal[Profile.BASELINE].status == OutcomeStatus.REJECTED.value


def test_build_scenarios_refuses_duplicate_and_unknown_runs() -> None:
    run = reference_run(APPROVED, Engine.TEMPORAL)
    with pytest.raises(ValueError, match="more than one temporal run"):
        build_scenarios([run, run])
    stray = run.model_copy(update={"scenario": "not_in_corpus"})
    with pytest.raises(ValueError, match="unknown scenario"):
        build_scenarios([stray])
