"""What the Step Functions service holds (DescribeExecution and every GetExecutionHistory event, error
causes included) must contain none of a scenario's PII in the hardened profile, and does in the baseline
profile, which proves the search would notice. The functions' own log groups are checked as well."""

from __future__ import annotations

import json

import pytest

from contract.onboarding import ONBOARDING
from scenarios import SCENARIOS, Scenario
from tests.support.stepfunctions import CorpusRun, leaks, service_view

BY_NAME = pytest.mark.parametrize("case", SCENARIOS, ids=[s.name for s in SCENARIOS])


@BY_NAME
def test_hardened_service_data_holds_no_pii(case: Scenario, hardened_corpus: CorpusRun) -> None:
    result = hardened_corpus.results[case.application_id]
    view = service_view(result)
    assert len(result.history) >= 6 and len(view) > 50  # the search has something to look at
    assert leaks(view, case.searchable_pii()) == set()


def test_hardened_history_covers_inputs_results_and_error_causes(hardened_corpus: CorpusRun) -> None:
    """The search above reads every kind of event that could carry data, error causes included."""
    kinds = {e["type"] for r in hardened_corpus.results.values() for e in r.history}
    assert {"ExecutionStarted", "TaskScheduled", "TaskSucceeded", "TaskFailed", "TaskStateExited",
            "TaskSubmitted", "TaskTimedOut", "ExecutionSucceeded"} <= kinds
    causes = [e["taskFailedEventDetails"].get("cause", "") for r in hardened_corpus.results.values()
              for e in r.history if e["type"] == "TaskFailed"]
    assert any("INVALID_APPLICATION" in cause for cause in causes)


@BY_NAME
def test_baseline_service_data_exposes_pii(case: Scenario, baseline_corpus: CorpusRun) -> None:
    view = service_view(baseline_corpus.results[case.application_id])
    assert leaks(view, case.searchable_pii()) == set(case.searchable_pii())


def test_baseline_error_causes_expose_pii(baseline_corpus: CorpusRun) -> None:
    checked: set[str] = set()
    unavailable = {step.unavailable for step in ONBOARDING.steps}  # recorded by the state machine, raised by no task
    for case in SCENARIOS:
        if case.expected.reason is None or case.name.startswith("review_") or case.expected.reason in unavailable:
            continue  # no business error, or the reviewer's answer (a decision only, in both profiles)
        result = baseline_corpus.results[case.application_id]
        causes = [e["taskFailedEventDetails"]["cause"] for e in result.history
                  if e["type"] == "TaskFailed" and e["taskFailedEventDetails"]["error"] == case.expected.reason]
        assert causes and leaks(causes, case.searchable_pii()), case.name
        checked.add(case.expected.reason)
    # Every reason a step rejects with was seen leaking in the baseline (the review's reasons are the reviewer's).
    assert checked == {reason for step in ONBOARDING.all_steps for reason in step.rejections}


def test_hardened_execution_input_is_a_claim_check_reference(hardened_corpus: CorpusRun) -> None:
    for case in SCENARIOS:
        started = json.loads(hardened_corpus.results[case.application_id].description["input"])
        assert set(started) == {"application_id", "submission", "review_timeout_seconds"}
        assert set(started["submission"]) == {"claim_check"}
        assert started["submission"]["claim_check"]["key"] == f"submissions/{case.application_id}.json"


@BY_NAME
def test_hardened_function_logs_hold_no_pii(case: Scenario, hardened_corpus: CorpusRun) -> None:
    lines = [line for function in hardened_corpus.lambda_logs.values() for line in function]
    assert any(case.application_id in line for line in lines)  # the logs are there and name the application
    assert leaks(lines, case.searchable_pii()) == set()
