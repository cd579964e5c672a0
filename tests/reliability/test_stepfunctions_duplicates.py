"""The same application id started twice on Step Functions: one execution, one set of side effects.

The execution name is the application id, so Step Functions itself holds the lock: ``StartExecution`` with a used
name returns the running execution when the input is identical, and fails with ``ExecutionAlreadyExists`` when it
differs or once the execution has ended. ``intake`` adds the claim check in front: the first submission under an
id wins, an identical one is answered with the existing execution, a different one is refused
(``APPLICATION_CONFLICT``) before Step Functions is asked.

``tests/lambdas/test_intake.py`` checks intake's answers one at a time. These tests mix both entry points
(intake, and a direct ``StartExecution`` as a retrying client or an operator would send it) around a whole
onboarding that waits for a review, before and after it ends, and count every side effect left behind.
"""

from __future__ import annotations

import json
import time
from typing import Any

import pytest
from botocore.exceptions import ClientError

from lambdas.claim_check import encode_submission, object_key
from local.onboarding import OnboardingStepFunctions
from local.stepfunctions.runner import SubmissionRefused
from onboarding.models import OutcomeStatus, Product, ReviewDecision
from ops import reviewer
from scenarios import new_application_id, scenario
from tests.support.side_effects import SideEffects
from tests.support.stepfunctions import leaks, service_view
from tests.support.stepfunctions_totals import StoreTotals, every_log_message, executions_named, scheduled_functions

CASE = scenario("review_approved")  # waits for the reviewer, so "while it runs" is certain
OTHER = scenario("approved_savings")
STEPS = ("validate", "screen_sanctions", "verify_identity", "assess_risk", "request_review", "open_account",
         "fund_account", "notify")


def start_directly(sfn: OnboardingStepFunctions, name: str, execution_input: str) -> str:
    response = sfn.stepfunctions.start_execution(stateMachineArn=sfn.state_machine_arn, name=name,
                                                 input=execution_input)
    arn: str = response["executionArn"]
    return arn


def wait_for_review(sfn: OnboardingStepFunctions, application_id: str) -> None:
    deadline = time.monotonic() + 30
    while sfn.pending_review(application_id) is None:
        assert time.monotonic() < deadline, "the review was never requested"
        time.sleep(0.1)


def stored_submission(sfn: OnboardingStepFunctions, application_id: str) -> bytes:
    body: bytes = sfn.client("s3").get_object(Bucket=sfn.resources.bucket, Key=object_key(application_id))[
        "Body"].read()
    return body


def test_one_application_started_through_intake_and_start_execution_runs_once() -> None:
    with OnboardingStepFunctions(prefix="twice", review_timeout_seconds=120) as sfn:
        application = CASE.application(new_application_id())
        application_id = application["application_id"]
        arn = sfn.submit(application)
        execution_input = sfn.stepfunctions.describe_execution(executionArn=arn)["input"]

        wait_for_review(sfn, application_id)  # running, and past the first side effect (the review request)
        assert sfn.submit(application) == arn
        assert start_directly(sfn, application_id, execution_input) == arn
        assert reviewer.main(["approve", application_id]) == 0
        result = sfn.wait_onboarding(arn)

        assert sfn.submit(application) == arn  # after the end, intake still answers with the same execution
        with pytest.raises(ClientError) as refused:
            start_directly(sfn, application_id, execution_input)
        assert refused.value.response["Error"]["Code"] == "ExecutionAlreadyExists"

        assert result.outcome is not None and result.outcome.status is OutcomeStatus.APPROVED
        assert len(executions_named(sfn, application_id)) == 1
        assert scheduled_functions(result) == [sfn.resources.function_name(step) for step in STEPS]
        effects = SideEffects.of(sfn.adapters(), application_id)
        assert effects.account is not None and effects.account.status == "OPEN"
        assert [charge.approved for charge in effects.charges] == [True]
        assert len(effects.outbox) == 1
        assert effects.review is not None and effects.review.decision is ReviewDecision.APPROVE
        assert StoreTotals.of(sfn) == StoreTotals.expected([CASE.expected], claim_checks=1)
        assert stored_submission(sfn, application_id) == encode_submission(application)


def test_a_different_payload_under_a_used_id_is_refused_without_pii() -> None:
    with OnboardingStepFunctions(prefix="conflict", review_timeout_seconds=120) as sfn:
        original = CASE.application(new_application_id())
        application_id = original["application_id"]
        other = OTHER.application(application_id)
        arn = sfn.submit(original)
        started = json.loads(sfn.stepfunctions.describe_execution(executionArn=arn)["input"])
        # What a client bypassing intake could send: the other payload inline, or the same reference with
        # other settings. Either is a different input under the same name.
        forged_inputs = [
            json.dumps({**started, "submission": {"inline": other}}),
            json.dumps({**started, "review_timeout_seconds": 1}),
        ]
        errors: list[str] = []

        def refuse_all() -> None:
            with pytest.raises(SubmissionRefused) as conflict:
                sfn.submit(other)
            assert (conflict.value.error, conflict.value.payload["errorMessage"]) == (
                "ApplicationConflict", "APPLICATION_CONFLICT")
            errors.append(json.dumps(conflict.value.payload))
            for forged in forged_inputs:
                with pytest.raises(ClientError) as exists:
                    start_directly(sfn, application_id, forged)
                assert exists.value.response["Error"]["Code"] == "ExecutionAlreadyExists"
                errors.append(str(exists.value))

        wait_for_review(sfn, application_id)
        refuse_all()  # while it runs
        assert reviewer.main(["approve", application_id]) == 0
        result = sfn.wait_onboarding(arn)
        refuse_all()  # after it ended

        assert len(errors) == 6
        pii = {*CASE.searchable_pii(), *OTHER.searchable_pii()}
        texts: list[Any] = [*errors, *service_view(result), *every_log_message(sfn)]
        assert leaks(texts, pii) == set()
        # The one execution ran the first submission, and only it left side effects.
        assert len(executions_named(sfn, application_id)) == 1
        assert result.outcome is not None and result.outcome.status is OutcomeStatus.APPROVED
        effects = SideEffects.of(sfn.adapters(), application_id)
        assert effects.account is not None and effects.account.product is Product.CHECKING
        assert [charge.amount_cents for charge in effects.charges] == [CASE.payload["funding"]["amount_cents"]]
        assert StoreTotals.of(sfn) == StoreTotals.expected([CASE.expected], claim_checks=1)
        assert stored_submission(sfn, application_id) == encode_submission(original)
