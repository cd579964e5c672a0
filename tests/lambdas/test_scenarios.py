"""Every scenario of the corpus on moto's ASL interpreter with the real handlers: outcome, side effects,
the path through the state machine, and parity with the reference run (``onboarding.steps``)."""

from __future__ import annotations

import json
from datetime import UTC
from typing import Any

import pytest

from contract.onboarding import ONBOARDING
from contract.process import COMPENSATION_PENDING_STATE
from local.stepfunctions.runner import ExecutionResult
from onboarding.adapters.memory import in_memory_adapters
from onboarding.models import OutcomeStatus, RejectionReason
from onboarding.steps import run_onboarding
from scenarios import SCENARIOS, Scenario, scenario
from tests.support.conformance import ending_step
from tests.support.side_effects import SideEffects
from tests.support.stepfunctions import CorpusRun
from workers.workflows import RETRY_POLICY

BY_NAME = pytest.mark.parametrize("case", SCENARIOS, ids=[s.name for s in SCENARIOS])


def _entered(result: ExecutionResult) -> list[str]:
    return [e["stateEnteredEventDetails"]["name"] for e in result.history if "stateEnteredEventDetails" in e]


def _task_failures(result: ExecutionResult, state: str) -> list[dict[str, Any]]:
    """The task failures of one state, in order (a failure belongs to the state entered last before it)."""
    failures, current = [], ""
    for event in result.history:
        if "stateEnteredEventDetails" in event:
            current = event["stateEnteredEventDetails"]["name"]
        elif event["type"] == "TaskFailed" and current == state:
            failures.append(event["taskFailedEventDetails"])
    return failures


def _scheduled_payloads(result: ExecutionResult, function_suffix: str) -> list[dict[str, Any]]:
    payloads = []
    for event in result.history:
        if event["type"] == "TaskScheduled":
            parameters = json.loads(event["taskScheduledEventDetails"]["parameters"])
            if parameters["FunctionName"].endswith(function_suffix):
                payloads.append(parameters["Payload"])
    return payloads


@BY_NAME
def test_outcome_matches_the_corpus(case: Scenario, hardened_corpus: CorpusRun) -> None:
    result = hardened_corpus.results[case.application_id]
    assert result.status == "SUCCEEDED", result.description.get("error")
    assert result.application_id == case.application_id  # execution name = application id
    outcome = result.outcome
    assert outcome is not None
    assert outcome.application_id == case.application_id
    assert outcome.status is case.expected.status
    assert outcome.reason is case.expected.reason
    assert outcome.compensated is case.expected.compensated
    assert outcome.compensation_pending is case.expected.compensation_pending
    assert outcome.error_codes == case.expected.error_codes
    assert (outcome.account_id is not None) is (case.expected.status is OutcomeStatus.APPROVED)


@BY_NAME
def test_side_effects_match_the_corpus(case: Scenario, hardened_corpus: CorpusRun) -> None:
    effects = hardened_corpus.side_effects[case.application_id]
    expected = case.expected
    assert (effects.account.status if effects.account else None) == expected.account_status
    assert sum(c.approved for c in effects.charges) == expected.approved_charges
    assert sum(not c.approved for c in effects.charges) == expected.declined_charges
    assert sum(c.refunded for c in effects.charges) == expected.refunded_charges
    assert len(effects.outbox) == expected.outbox_messages
    assert (effects.review is not None) is expected.review_requested
    if effects.review is not None:
        assert effects.review.task_token  # stored by the review task for the reviewer command
        assert effects.review.decision is case.review_decision


@BY_NAME
def test_identity_attempts_follow_the_retry_count(case: Scenario, hardened_corpus: CorpusRun) -> None:
    result = hardened_corpus.results[case.application_id]
    attempts = [p["attempt"] for p in _scheduled_payloads(result, "verify-identity")]
    failures = [f["error"] for f in _task_failures(result, "VerifyIdentity")]
    assert failures.count("TransientProviderError") == case.identity_transient_failures
    if attempts:
        assert attempts == list(range(1, case.identity_transient_failures + 2))
    if case.identity_transient_failures:
        retried = _task_failures(result, "VerifyIdentity")
        assert all("temporarily unavailable" in e["cause"] for e in retried)


@BY_NAME
def test_funding_attempts_follow_the_retry_count(case: Scenario, hardened_corpus: CorpusRun) -> None:
    """The processor's faults are retried with the attempt budget; a scenario whose processor recovers within it is
    charged on attempt N + 1, one whose processor never answers uses every attempt."""
    result = hardened_corpus.results[case.application_id]
    attempts = [p["attempt"] for p in _scheduled_payloads(result, "fund-account")]
    failures = [f["error"] for f in _task_failures(result, "FundAccount")]
    if case.expected.reason is RejectionReason.FUNDING_UNAVAILABLE:
        assert attempts == list(range(1, RETRY_POLICY.maximum_attempts + 1))
        assert failures == ["TransientProviderError"] * RETRY_POLICY.maximum_attempts
    elif attempts:
        assert failures.count("TransientProviderError") == case.funding_transient_failures
        assert attempts == list(range(1, case.funding_transient_failures + 2))


@BY_NAME
def test_compensations_run_as_the_description_derives_them(case: Scenario, hardened_corpus: CorpusRun) -> None:
    path = _entered(hardened_corpus.results[case.application_id])
    compensation_states = {step.state_name for step in ONBOARDING.compensations}
    ran = [name for name in path if name in compensation_states]
    ending = ending_step(ONBOARDING, case.expected.reason) if case.expected.reason is not None else None
    expected = ([ONBOARDING.step(name).state_name for name in ONBOARDING.compensations_for(ending[0].name,
                                                                                           rejected=ending[1])]
                if ending is not None else [])
    if case.expected.compensation_pending:
        assert ran == expected[:len(ran)] and ran and path[-1] == COMPENSATION_PENDING_STATE
    else:
        assert ran == expected
    if expected and not case.expected.compensation_pending:
        assert path[-1] == "Compensated" and "Notify" not in path[path.index(ran[0]):]


def test_review_waits_for_the_reviewer_or_times_out(hardened_corpus: CorpusRun) -> None:
    for case in SCENARIOS:
        result = hardened_corpus.results[case.application_id]
        types = [e["type"] for e in result.history]
        assert ("TaskSubmitted" in types) is case.expected.review_requested, case.name
        assert ("TaskTimedOut" in types) is (case.name == "review_timeout"), case.name
    declined = hardened_corpus.results[scenario("review_declined").application_id]
    failure = next(e["taskFailedEventDetails"] for e in declined.history if e["type"] == "TaskFailed")
    assert failure["error"] == "REVIEW_DECLINED"  # (moto drops SendTaskFailure's cause; see test_reviewer)


@BY_NAME
def test_parity_with_the_reference_process(case: Scenario, hardened_corpus: CorpusRun) -> None:
    result = hardened_corpus.results[case.application_id]
    # The handlers judge an application on its execution's start date; so does the reference run here.
    started = result.description["startDate"].astimezone(UTC).date()
    adapters = in_memory_adapters()
    reference = run_onboarding(
        case.application(), adapters=adapters, today=started, reviewer=lambda _app: case.review_decision
    )
    assert result.outcome == reference
    local = hardened_corpus.side_effects[case.application_id].without_task_token()
    assert local == SideEffects.of(adapters, case.application_id)


def test_baseline_profile_reaches_the_same_outcomes(baseline_corpus: CorpusRun, hardened_corpus: CorpusRun) -> None:
    for case in SCENARIOS:
        assert baseline_corpus.results[case.application_id].outcome == hardened_corpus.results[
            case.application_id
        ].outcome, case.name
