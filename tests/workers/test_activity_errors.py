"""A business rejection's failure message: codes only when hardened; the step input too under the baseline
profile (the leaky habit the exposure audit must see in the failure channel, as on the Step Functions side)."""

from __future__ import annotations

import pytest
from temporalio.exceptions import ApplicationError
from temporalio.testing import ActivityEnvironment

from contract.profile import Profile
from onboarding.adapters.memory import in_memory_adapters
from onboarding.models import Application
from scenarios import scenario
from workers.activities import OnboardingActivities

CASE = scenario("sanctions_match")
APPLICATION = Application.model_validate(CASE.application())


def rejection(profile: Profile) -> ApplicationError:
    activities = OnboardingActivities(in_memory_adapters(), profile=profile)
    with pytest.raises(ApplicationError) as raised:
        ActivityEnvironment().run(activities.screen_sanctions, APPLICATION)
    return raised.value


def test_hardened_rejections_carry_the_reason_code_and_no_value() -> None:
    error = rejection(Profile.HARDENED)
    assert error.type == "SANCTIONS_MATCH" and error.non_retryable
    assert [value for value in CASE.searchable_pii() if value in error.message] == []


def test_baseline_rejections_also_carry_the_step_input() -> None:
    error = rejection(Profile.BASELINE)
    assert error.type == "SANCTIONS_MATCH" and error.non_retryable
    assert [value for value in CASE.searchable_pii() if value not in error.message] == []
