"""The real-world corpus end to end on Step Functions (moto's interpreter, the real handlers, hardened): one valid
variant typed as on a phone is approved exactly as the reference process approves it (its normalized phone keeps it
out of review, so every step after ``validate`` saw the normalized form), and one look-alike is refused with its
codes after ``validate`` alone. Neither leaves a typed value in what the service stores."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC

import pytest

from contract.profile import Profile
from local.onboarding import OnboardingStepFunctions
from onboarding.adapters.memory import in_memory_adapters
from onboarding.models import OutcomeStatus, RejectionReason
from onboarding.steps import run_onboarding
from scenarios import new_application_id
from scenarios.real_world import END_TO_END_LOOK_ALIKE, END_TO_END_VARIANT
from tests.support.side_effects import SideEffects
from tests.support.stepfunctions import leaks, payload_values, service_view


@pytest.fixture(scope="module")
def sfn() -> Iterator[OnboardingStepFunctions]:
    with OnboardingStepFunctions(profile=Profile.HARDENED, prefix="real-world") as runner:
        yield runner


def test_a_variant_typed_on_a_phone_is_approved_as_the_reference_process_approves_it(
    sfn: OnboardingStepFunctions,
) -> None:
    application_id = new_application_id()
    submission = END_TO_END_VARIANT.application(application_id)
    result = sfn.wait_onboarding(sfn.submit(submission))
    assert result.outcome is not None and result.outcome.status is OutcomeStatus.APPROVED
    reference_adapters = in_memory_adapters()
    reference = run_onboarding(END_TO_END_VARIANT.application(application_id), adapters=reference_adapters,
                               today=result.description["startDate"].astimezone(UTC).date(), reviewer=lambda _a: None)
    assert result.outcome == reference
    effects = SideEffects.of(sfn.adapters(), application_id)
    assert effects.review is None  # read as typed, the phone would have made it a review case
    assert effects.without_task_token() == SideEffects.of(reference_adapters, application_id)
    assert leaks(service_view(result), payload_values(submission)) == set()


def test_a_look_alike_is_refused_with_its_codes_and_nothing_else_runs(sfn: OnboardingStepFunctions) -> None:
    application_id = new_application_id()
    submission = END_TO_END_LOOK_ALIKE.application(application_id)
    result = sfn.wait_onboarding(sfn.submit(submission))
    assert result.outcome is not None
    assert (result.outcome.reason, result.outcome.error_codes) == (
        RejectionReason.INVALID_APPLICATION, END_TO_END_LOOK_ALIKE.expected_errors)
    tasks = [e["stateEnteredEventDetails"]["name"] for e in result.history
             if e["type"] == "TaskStateEntered"]
    assert tasks == ["Validate"]
    assert SideEffects.of(sfn.adapters(), application_id).empty
    (error,) = END_TO_END_LOOK_ALIKE.expected_errors
    typed = submission["applicant"]["national_id"]
    assert error.field == "applicant.national_id" and leaks(service_view(result), {typed}) == set()
    assert leaks(service_view(result), payload_values(submission)) == set()
