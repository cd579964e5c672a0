"""Scenario runs for the comparison tests, from the reference in-process run of the real business steps.

Stands in for the engines (which report the same :class:`ScenarioRun` shape): outcome and side effects are
real, read back through the ports with :func:`side_effects_snapshot`.
"""

from __future__ import annotations

from datetime import date

from comparison.models import Engine, ScenarioRun, side_effects_snapshot
from contract.profile import Profile
from onboarding.adapters.memory import in_memory_adapters
from onboarding.models import Application, ReviewDecision
from onboarding.process import run_onboarding
from scenarios import SCENARIOS, Scenario

TODAY = date(2026, 6, 1)


def reference_run(scenario: Scenario, engine: Engine, profile: Profile = Profile.HARDENED) -> ScenarioRun:
    adapters = in_memory_adapters()

    def reviewer(_: Application) -> ReviewDecision | None:
        return scenario.review_decision

    outcome = run_onboarding(scenario.application(), adapters=adapters, today=TODAY, reviewer=reviewer)
    effects = side_effects_snapshot(scenario.application_id, ledger=adapters.ledger, charges=adapters.charges,
                                    outbox=adapters.outbox, reviews=adapters.reviews)
    return ScenarioRun(engine=engine, profile=profile, scenario=scenario.name,
                       application_id=scenario.application_id, outcome=outcome, side_effects=effects,
                       duration_seconds=0.01)


def all_reference_runs(profiles: tuple[Profile, ...] = tuple(Profile)) -> list[ScenarioRun]:
    return [reference_run(s, e, p) for s in SCENARIOS for e in Engine for p in profiles]
