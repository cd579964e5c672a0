"""Shared formatting: amounts, volumes, and facts rendered from their specs alone."""

from __future__ import annotations

from comparison.cost.compare import Crossover
from comparison.models import Engine, FactRole, Facts, FactSpec
from comparison.onboarding import FACTS, SideEffects, expected_facts, run_facts
from comparison.report.formatting import (
    crossings_text,
    effect_labels,
    effects_text,
    fmt_usd,
    fmt_volume,
    outcome_text,
)
from scenarios import scenario

SPECS = (
    FactSpec(name="state", role=FactRole.OUTCOME, label="state"),
    FactSpec(name="retried", role=FactRole.OUTCOME, label="retried"),
    FactSpec(name="parcels", role=FactRole.EFFECT, label="parcels"),
    FactSpec(name="labels", role=FactRole.EFFECT, label="labels"),
    FactSpec(name="carrier", role=FactRole.EFFECT, label="carrier"),
    FactSpec(name="signed", role=FactRole.EFFECT, label="signed"),
    FactSpec(name="internal", role=FactRole.CHECK, label="internal"),
)


def test_amounts_and_volumes() -> None:
    assert (fmt_usd(1234.5), fmt_usd(12.5), fmt_usd(0)) == ("$1,234", "$12.50", "$0.00")
    assert (fmt_volume(10_000), fmt_volume(1_500_000), fmt_volume(1e10), fmt_volume(999)) == (
        "10k", "1.5M", "10B", "999")


def test_facts_render_from_their_specs_whatever_their_names() -> None:
    facts: Facts = {"state": "SHIPPED", "retried": True, "parcels": 2, "labels": ("a:1", "b:2"), "carrier": None,
             "signed": True, "internal": "x"}
    assert outcome_text(SPECS, facts) == "SHIPPED (retried)"
    assert effects_text(SPECS, facts) == "parcels 2, labels [a:1, b:2], signed"
    quiet: Facts = {**facts, "retried": False, "parcels": 0, "labels": (), "signed": False}
    assert (outcome_text(SPECS, quiet), effects_text(SPECS, quiet)) == ("SHIPPED", "")
    assert effect_labels(SPECS) == "parcels, labels, carrier, signed"


def test_no_run_no_outcome_and_errors_are_said_so() -> None:
    nothing = dict.fromkeys((spec.name for spec in SPECS), None)
    assert outcome_text(SPECS, None) == "not run"
    assert outcome_text(SPECS, nothing) == "no outcome"
    assert outcome_text(SPECS, nothing, error="ExecutionTimedOut") == "error: ExecutionTimedOut"
    assert effects_text(SPECS, None) == ""


def test_onboarding_facts_read_as_before() -> None:
    declined = expected_facts(scenario("funding_declined").expected)
    assert outcome_text(FACTS, declined) == "FAILED FUNDING_DECLINED (compensated)"
    assert effects_text(FACTS, declined) == "account CLOSED, declined charges 1"
    reviewed = expected_facts(scenario("review_approved").expected)
    assert (outcome_text(FACTS, reviewed), effects_text(FACTS, reviewed)) == (
        "APPROVED", "account OPEN, approved charges 1, outbox 1, review")
    assert outcome_text(FACTS, run_facts(None, SideEffects())) == "no outcome"


def test_engines_that_never_cross_are_ordered_by_what_they_cost_above_zero() -> None:
    # Step Functions crosses Temporal; the durable function crosses neither. Step Functions and the durable function
    # share their fixed cost (the same keys), so the cheaper per execution is cheaper at every volume above zero.
    crossing = Crossover(executions_per_month=2.5e8, monthly_usd=63_790.0, cheaper_below=Engine.STEPFUNCTIONS,
                         cheaper_above=Engine.TEMPORAL)
    order = {Engine.TEMPORAL: (151.87, 339.0), Engine.STEPFUNCTIONS: (35.85, 251.0), Engine.DURABLE: (35.85, 93.6)}
    text = crossings_text([crossing], order)
    assert "Lambda durable functions cheaper than Step Functions" in text
    assert "Lambda durable functions cheaper than Temporal" in text
    assert "Step Functions cheaper than Lambda" not in text
    no_crossing = crossings_text([], {Engine.STEPFUNCTIONS: (35.85, 251.0), Engine.DURABLE: (35.85, 93.6)})
    assert no_crossing.endswith("Lambda durable functions is cheaper throughout.")
