"""What this worker registers: the onboarding workflow, its activities and its stores.

The one module of the worker that names the process; :mod:`workers.worker` checks the activities against
:data:`contract.onboarding.ONBOARDING` when the worker is built.
"""

from __future__ import annotations

from collections.abc import Mapping

from contract.onboarding import ONBOARDING
from contract.profile import Profile
from onboarding.adapters.dynamodb import TableNames, dynamodb_adapters
from onboarding.adapters.memory import in_memory_adapters
from onboarding.ports import Adapters
from workers.activities import OnboardingActivities
from workers.worker import WorkerRegistration
from workers.workflows import OnboardingWorkflow


def onboarding_stores(tables: Mapping[str, str] | None) -> Adapters:
    """DynamoDB stores for the given tables (by role), or in-memory stores for ``None`` (local development)."""
    return in_memory_adapters() if tables is None else dynamodb_adapters(TableNames(**tables))


def onboarding_activities(stores: Adapters, profile: Profile) -> OnboardingActivities:
    return OnboardingActivities(stores, profile=profile)


ONBOARDING_WORKER = WorkerRegistration(
    process=ONBOARDING,
    workflows=[OnboardingWorkflow],
    activities=onboarding_activities,
    stores=onboarding_stores,
    engine_activities=("record_review_decision",),
)
