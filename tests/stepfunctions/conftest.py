"""One run of the whole scenario corpus per protection profile, shared by the scenario, parity and exposure
tests (each run takes a few seconds: retry back-off and the review timeout are real waits)."""

from __future__ import annotations

import pytest

from lambdas.local.runner import LocalStepFunctions
from lambdas.settings import Profile
from onboarding.scenarios import DEMO_REVIEW_TIMEOUT_SECONDS, SCENARIOS
from tests.stepfunctions.support import CorpusRun, SideEffects

DECISIONS = {scenario.application_id: scenario.review_decision for scenario in SCENARIOS}


def run_corpus(profile: Profile) -> CorpusRun:
    with LocalStepFunctions(profile=profile, review_timeout_seconds=DEMO_REVIEW_TIMEOUT_SECONDS) as sfn:
        results = sfn.run([scenario.application() for scenario in SCENARIOS], reviewer=DECISIONS.__getitem__)
        adapters = sfn.adapters()
        return CorpusRun(
            results=results,
            side_effects={app_id: SideEffects.of(adapters, app_id) for app_id in results},
            lambda_logs=sfn.lambda_log_messages(),
        )


@pytest.fixture(scope="session")
def hardened_corpus() -> CorpusRun:
    return run_corpus(Profile.HARDENED)


@pytest.fixture(scope="session")
def baseline_corpus() -> CorpusRun:
    return run_corpus(Profile.BASELINE)
