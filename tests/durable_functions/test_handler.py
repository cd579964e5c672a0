"""The onboarding durable function on AWS's in-process test runner: every scenario matches the reference run (outcome
and side effects), the steps run in the described order, and what the service stores holds no plaintext when
hardened and does when baseline (the audit can see)."""

from __future__ import annotations

import json

import pytest

from contract.onboarding import ONBOARDING
from onboarding.adapters.memory import in_memory_adapters
from onboarding.models import Outcome
from onboarding.steps import run_onboarding
from scenarios import SCENARIOS
from tests.conftest import TODAY
from tests.durable_functions.conftest import Run
from tests.support.conformance import activity_order_problems, ending_step
from tests.support.side_effects import SideEffects, matches_expected

# The durable engine's own steps: opening the sealed input, recording a review's answer (Temporal has the same).
ENGINE_STEPS = ("open_submission", "record_review_decision")


def _by_name(runs: list[Run]) -> dict[str, Run]:
    return {run.scenario.name: run for run in runs}


@pytest.mark.parametrize("name", [case.name for case in SCENARIOS])
def test_every_scenario_matches_the_reference_run(name: str, hardened_corpus: list[Run]) -> None:
    run = _by_name(hardened_corpus)[name]
    assert run.status == "SUCCEEDED" and run.outcome is not None, name
    outcome = Outcome.model_validate(run.outcome)
    reference_stores = in_memory_adapters()
    reference = run_onboarding(run.scenario.application(run.application_id), adapters=reference_stores, today=TODAY,
                               reviewer=lambda _: run.scenario.review_decision)
    assert outcome == reference
    assert run.effects.without_task_token() == SideEffects.of(reference_stores, run.application_id)
    assert matches_expected(run.scenario, outcome, run.effects) == []


def _top_level_operations(history: list[dict[str, object]]) -> list[str]:
    """Names of the steps and contexts of the execution's root, in the order they started."""
    return [str(event["Name"]) for event in history
            if event["EventType"] in ("StepStarted", "ContextStarted") and not event.get("ParentId")]


def test_the_durable_function_runs_the_described_steps_in_order(hardened_corpus: list[Run]) -> None:
    passes_everything = next(run for run in hardened_corpus if run.scenario.review_decision is not None
                             and run.scenario.expected.account_status == "OPEN"
                             and run.scenario.identity_transient_failures == 0)
    ran = list(dict.fromkeys(_top_level_operations(passes_everything.history)))  # a retried step starts again
    assert activity_order_problems(ONBOARDING, ran, ENGINE_STEPS) == []


def _stored_text(run: Run) -> str:
    return json.dumps(run.history, default=str)


def test_the_hardened_history_holds_no_personal_data(hardened_corpus: list[Run]) -> None:
    for run in hardened_corpus:
        stored = _stored_text(run)
        assert [value for value in run.scenario.searchable_pii() if value in stored] == [], run.scenario.name


def test_the_baseline_history_holds_the_personal_data(baseline_corpus: list[Run]) -> None:
    leaked = {run.scenario.name for run in baseline_corpus
              if any(value in _stored_text(run) for value in run.scenario.searchable_pii())}
    assert leaked == {case.name for case in SCENARIOS}  # the audit's positive control: every scenario shows


def test_errors_carry_reason_codes_only(hardened_corpus: list[Run]) -> None:
    for run in hardened_corpus:
        errors = [event for event in run.history if event["EventType"].endswith("Failed")]
        for event in errors:
            details = next(value for key, value in event.items() if key.endswith("Details"))
            message = json.dumps(details)
            assert not [value for value in run.scenario.searchable_pii() if value in message], run.scenario.name


SAGA_CASES = [case.name for case in SCENARIOS if case.expected.compensated or case.expected.compensation_pending]


@pytest.mark.parametrize("name", SAGA_CASES)
def test_the_durable_function_compensates_with_the_described_compensations(name: str,
                                                                           hardened_corpus: list[Run]) -> None:
    """Every saga case runs the compensations the description derives for its failed step, in order, after every
    step it ran (a pending compensation stops the saga at the one that could not finish)."""
    run = _by_name(hardened_corpus)[name]
    assert run.scenario.expected.reason is not None
    ending = ending_step(ONBOARDING, run.scenario.expected.reason)
    assert ending is not None
    step, rejected = ending
    expected = list(ONBOARDING.compensations_for(step.name, rejected=rejected))
    compensations = {c.name for c in ONBOARDING.compensations}
    ran = list(dict.fromkeys(_top_level_operations(run.history)))
    first = next(index for index, operation in enumerate(ran) if operation in compensations)
    assert all(operation not in compensations for operation in ran[:first])
    if run.scenario.expected.compensation_pending:
        assert ran[first:] == expected[:len(ran[first:])] and len(ran[first:]) <= len(expected)
        assert run.outcome is not None and run.outcome["compensation_pending"] is True
    else:
        assert ran[first:] == expected
