"""Load: 100 onboardings submitted at once to moto's interpreter with the real handlers, every one completing with
its corpus outcome and exactly its corpus side effects.

The mix cycles through the scenario corpus under unique ids: approvals, every rejection, transient identity
faults (real retry back-off), compensation after a declined card, and reviews, which the reviewer command
(``python -m ops.reviewer approve|decline APP_ID``, called in process) answers as they appear. The scenario
whose review is left to time out is not in the mix: its wait is the review timeout itself, which here must be
long enough for a reviewer working through a queue of reviews under load (the scenario tests cover it).

Exactly once is checked twice: per application (its account, charges, messages, review), and over whole tables,
where a duplicate under any key would be one item too many. Nothing is lost: the functions were invoked exactly
as often as the executions' histories say, plus one ``intake`` call per submission.
"""

from __future__ import annotations

import itertools
from collections import Counter

from comparison.cost.usage import count_lambda_usage
from local.onboarding import OnboardingStepFunctions
from onboarding.models import ReviewDecision
from ops import reviewer
from scenarios import SCENARIOS, Scenario, new_application_id
from tests.support.side_effects import SideEffects
from tests.support.stepfunctions_totals import StoreTotals, claim_check_keys

ONBOARDINGS = 100
MIX = [case for case in SCENARIOS if case.review_decision is not None or not case.expected.review_requested]
REVIEW_TIMEOUT_SECONDS = 240
VERBS = {ReviewDecision.APPROVE: "approve", ReviewDecision.DECLINE: "decline"}


def test_a_hundred_onboardings_at_once_complete_exactly_once() -> None:
    cases: dict[str, Scenario] = {new_application_id(): case for case in itertools.islice(itertools.cycle(MIX),
                                                                                          ONBOARDINGS)}
    answers: list[tuple[str, int]] = []

    def review(application_id: str) -> ReviewDecision | None:
        decision = cases[application_id].review_decision
        assert decision is not None, "a review was requested for a scenario that has none"
        answers.append((application_id, reviewer.main([VERBS[decision], application_id])))
        return None  # answered above, through the command

    with OnboardingStepFunctions(prefix="load", review_timeout_seconds=REVIEW_TIMEOUT_SECONDS) as sfn:
        results = sfn.run_onboardings([case.application(application_id) for application_id, case in cases.items()],
                          reviewer=review, timeout_seconds=600)
        adapters = sfn.adapters()
        effects = {application_id: SideEffects.of(adapters, application_id) for application_id in cases}
        totals = StoreTotals.of(sfn)
        claim_checks = claim_check_keys(sfn)
        invoked = Counter(invocation.function for invocation in sfn.router.invocations)
        intake = sfn.resources.function_name("intake")

    assert len(results) == ONBOARDINGS and len({case.name for case in cases.values()}) == len(MIX)
    for application_id, case in cases.items():
        result, expected = results[application_id], case.expected
        assert result.status == "SUCCEEDED", (case.name, result.description.get("error"))
        outcome = result.outcome
        assert outcome is not None
        assert (outcome.status, outcome.reason, outcome.compensated, outcome.error_codes) == (
            expected.status, expected.reason, expected.compensated, expected.error_codes), case.name
        found = effects[application_id]
        assert (found.account.status if found.account else None) == expected.account_status, case.name
        assert sorted(c.approved for c in found.charges) == [False] * expected.declined_charges + [
            True] * expected.approved_charges, case.name
        assert len(found.outbox) == expected.outbox_messages, case.name
        assert (found.review is not None) is expected.review_requested, case.name
        if found.review is not None:
            assert found.review.decision is case.review_decision, case.name

    reviewed = [application_id for application_id, case in cases.items() if case.expected.review_requested]
    assert sorted(answers) == sorted((application_id, 0) for application_id in reviewed)  # one answer each
    assert totals == StoreTotals.expected([case.expected for case in cases.values()], claim_checks=ONBOARDINGS)
    assert len(claim_checks) == ONBOARDINGS
    from_histories = sum(count_lambda_usage(result.history).invocations for result in results.values())
    assert invoked[intake] == ONBOARDINGS
    assert sum(invoked.values()) - invoked[intake] == from_histories
