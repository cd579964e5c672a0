"""The local runner answers reviews in time: a local review waits seconds, and submitting a corpus on a loaded
machine can take longer than that, so reviews are offered while submissions are still going in."""

from __future__ import annotations

from local.onboarding import OnboardingResult, OnboardingStepFunctions
from local.stepfunctions.runner import LocalStepFunctions
from scenarios import SCENARIOS, new_application_id

# Scenarios that end without a reviewer or a retry's backoff: the test is about when reviews are offered.
QUICK = [case for case in SCENARIOS if not case.expected.review_requested
         and case.identity_transient_failures == 0 and case.funding_transient_failures == 0][:3]


def test_reviews_are_offered_while_submissions_are_still_going_in() -> None:
    applications = {new_application_id(): case for case in QUICK}
    seen: list[int] = []  # how many executions existed at each offer

    def offer(runner: LocalStepFunctions, running: set[str]) -> None:
        listed = runner.stepfunctions.list_executions(stateMachineArn=runner.state_machine_arn)
        seen.append(len(listed["executions"]))
        assert running <= applications.keys()

    with OnboardingStepFunctions(prefix="offers") as sfn:
        results = sfn.run([case.application(key) for key, case in applications.items()], answer_reviews=offer,
                          answer_every_seconds=0)
    assert seen[0] < len(applications)  # offered before the last submission went in
    statuses = {}
    for key, result in results.items():
        outcome = OnboardingResult.of(result).outcome
        assert outcome is not None, applications[key].name
        statuses[key] = outcome.status
    assert statuses == {key: case.expected.status for key, case in applications.items()}
