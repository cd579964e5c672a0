"""One run of the whole scenario corpus per protection profile, shared by the scenario, parity and exposure
tests (each run takes a few seconds: retry back-off and the review timeout are real waits).

The corpus runs the definition taken from the synthesized CDK template (what deploys), not the ASL file.
"""

from __future__ import annotations

import pytest

from contract.definition import DefinitionTemplate
from contract.profile import Profile
from local.onboarding import OnboardingStepFunctions, onboarding_definition
from scenarios import DEMO_REVIEW_TIMEOUT_SECONDS, SCENARIOS
from tests.support.side_effects import SideEffects
from tests.support.stepfunctions import CorpusRun

DECISIONS = {scenario.application_id: scenario.review_decision for scenario in SCENARIOS}


def run_corpus(profile: Profile, definition: DefinitionTemplate) -> CorpusRun:
    with OnboardingStepFunctions(profile=profile, review_timeout_seconds=DEMO_REVIEW_TIMEOUT_SECONDS,
                            definition=definition) as sfn:
        results = sfn.run_onboardings([scenario.application() for scenario in SCENARIOS],
                                      reviewer=DECISIONS.__getitem__)
        adapters = sfn.adapters()
        return CorpusRun(
            results=results,
            side_effects={app_id: SideEffects.of(adapters, app_id) for app_id in results},
            lambda_logs=sfn.lambda_log_messages(),
        )


@pytest.fixture(scope="session")
def deployed_definition() -> DefinitionTemplate:
    """The state machine definition of the synthesized StepFunctions stack (synthesized once per process)."""
    return onboarding_definition()


@pytest.fixture(scope="session")
def hardened_corpus(deployed_definition: DefinitionTemplate) -> CorpusRun:
    return run_corpus(Profile.HARDENED, deployed_definition)


@pytest.fixture(scope="session")
def baseline_corpus(deployed_definition: DefinitionTemplate) -> CorpusRun:
    return run_corpus(Profile.BASELINE, deployed_definition)
