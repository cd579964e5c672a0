"""Scenario runs for the comparison tests, from the reference in-process run of the real business steps.

Stands in for the engines (which report the same :class:`ScenarioRun` shape): the facts are real, the outcome's
and the side effects read back through the ports (:func:`comparison.onboarding.onboarding_run`).
"""

from __future__ import annotations

from datetime import date

from comparison.models import Engine, ScenarioRun
from comparison.onboarding import onboarding_run
from contract.profile import Profile
from onboarding.adapters.memory import in_memory_adapters
from onboarding.models import Application, Outcome, ReviewDecision
from onboarding.ports import Adapters
from onboarding.steps import run_onboarding
from scenarios import SCENARIOS, Scenario

TODAY = date(2026, 6, 1)


def run_in_memory(scenario: Scenario) -> tuple[Outcome, Adapters]:
    """The scenario through the real steps on in-memory stores: its outcome and the stores it wrote."""
    adapters = in_memory_adapters()

    def reviewer(_: Application) -> ReviewDecision | None:
        return scenario.review_decision

    return run_onboarding(scenario.application(), adapters=adapters, today=TODAY, reviewer=reviewer), adapters


def reference_run(scenario: Scenario, engine: Engine, profile: Profile = Profile.HARDENED) -> ScenarioRun:
    outcome, adapters = run_in_memory(scenario)
    return onboarding_run(engine, profile, scenario, scenario.application_id, outcome=outcome, adapters=adapters,
                          duration_seconds=0.01)


def all_reference_runs(profiles: tuple[Profile, ...] = tuple(Profile),
                       engines: tuple[Engine, ...] = tuple(Engine)) -> list[ScenarioRun]:
    return [reference_run(s, e, p) for s in SCENARIOS for e in engines for p in profiles]
