"""Parity: both engines reach the scenario's expected outcome and leave the same side effects.

Only observable, PII-free facts are compared (statuses, reason codes, counts, field error codes), so
mismatch descriptions can go straight into the report.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from typing import Any

from pydantic import BaseModel, ConfigDict

from comparison.models import Engine, ScenarioRun
from contract.profile import Profile
from onboarding.models import OutcomeStatus
from scenarios import Expected

# The facts compared, in report order.
FACTS: tuple[str, ...] = (
    "status",
    "reason",
    "compensated",
    "error_codes",
    "account_status",
    "approved_charges",
    "declined_charges",
    "outbox_messages",
    "review_requested",
    "has_account_id",
)


class ParityResult(BaseModel):
    model_config = ConfigDict(frozen=True)

    scenario: str
    profile: Profile
    temporal_matches_expected: bool
    stepfunctions_matches_expected: bool
    engines_agree: bool
    parity: bool
    mismatches: tuple[str, ...] = ()


def expected_facts(expected: Expected) -> dict[str, Any]:
    return {
        "status": expected.status.value,
        "reason": expected.reason.value if expected.reason is not None else None,
        "compensated": expected.compensated,
        "error_codes": _codes(f"{e.field}:{e.code}" for e in expected.error_codes),
        "account_status": expected.account_status,
        "approved_charges": expected.approved_charges,
        "declined_charges": expected.declined_charges,
        "outbox_messages": expected.outbox_messages,
        "review_requested": expected.review_requested,
        "has_account_id": expected.status is OutcomeStatus.APPROVED,
    }


def run_facts(run: ScenarioRun) -> dict[str, Any]:
    outcome = run.outcome
    effects = run.side_effects
    return {
        "status": outcome.status.value if outcome is not None else None,
        "reason": outcome.reason.value if outcome is not None and outcome.reason is not None else None,
        "compensated": outcome.compensated if outcome is not None else None,
        "error_codes": _codes(f"{e.field}:{e.code}" for e in outcome.error_codes) if outcome is not None else (),
        "account_status": effects.account_status,
        "approved_charges": effects.approved_charges,
        "declined_charges": effects.declined_charges,
        "outbox_messages": effects.outbox_messages,
        "review_requested": effects.review_requested,
        "has_account_id": outcome is not None and outcome.account_id is not None,
    }


def parity(expected: Expected, temporal_run: ScenarioRun, stepfunctions_run: ScenarioRun) -> ParityResult:
    """Compare both runs (same scenario, same profile) with the expectation and with each other."""
    if temporal_run.engine is not Engine.TEMPORAL:
        raise ValueError("temporal_run: expected a run of engine 'temporal'")
    if stepfunctions_run.engine is not Engine.STEPFUNCTIONS:
        raise ValueError("stepfunctions_run: expected a run of engine 'stepfunctions'")
    if temporal_run.scenario != stepfunctions_run.scenario:
        raise ValueError("stepfunctions_run.scenario: both runs must be of the same scenario")
    if temporal_run.profile is not stepfunctions_run.profile:
        raise ValueError("stepfunctions_run.profile: both runs must use the same profile")

    want = expected_facts(expected)
    got = {Engine.TEMPORAL: run_facts(temporal_run), Engine.STEPFUNCTIONS: run_facts(stepfunctions_run)}
    mismatches: list[str] = []
    for engine, run in ((Engine.TEMPORAL, temporal_run), (Engine.STEPFUNCTIONS, stepfunctions_run)):
        if run.error is not None:
            mismatches.append(f"{engine.value}: run failed with {run.error}")
        mismatches.extend(_diff(want, got[engine], f"{engine.value}: {{fact}} expected {{a}}, got {{b}}"))
    agree_diffs = _diff(
        got[Engine.TEMPORAL], got[Engine.STEPFUNCTIONS], "engines differ on {fact}: temporal {a}, stepfunctions {b}"
    )
    mismatches.extend(agree_diffs)
    temporal_ok = not _diff(want, got[Engine.TEMPORAL], "") and temporal_run.error is None
    sfn_ok = not _diff(want, got[Engine.STEPFUNCTIONS], "") and stepfunctions_run.error is None
    return ParityResult(
        scenario=temporal_run.scenario,
        profile=temporal_run.profile,
        temporal_matches_expected=temporal_ok,
        stepfunctions_matches_expected=sfn_ok,
        engines_agree=not agree_diffs,
        parity=temporal_ok and sfn_ok and not agree_diffs,
        mismatches=tuple(mismatches),
    )


def missing_run_result(scenario: str, profile: Profile, missing: Sequence[Engine]) -> ParityResult:
    """A scenario one engine did not run at all is, by definition, not in parity."""
    names = ", ".join(engine.value for engine in missing)
    return ParityResult(
        scenario=scenario,
        profile=profile,
        temporal_matches_expected=False,
        stepfunctions_matches_expected=False,
        engines_agree=False,
        parity=False,
        mismatches=(f"no run from: {names}",),
    )


def _diff(a: Mapping[str, Any], b: Mapping[str, Any], template: str) -> list[str]:
    return [
        template.format(fact=fact, a=_show(a[fact]), b=_show(b[fact])) for fact in FACTS if a[fact] != b[fact]
    ]


def _codes(codes: Iterable[str]) -> tuple[str, ...]:
    return tuple(sorted(codes))


def _show(value: Any) -> str:
    if isinstance(value, tuple):
        return "[" + ", ".join(value) + "]"
    return "none" if value is None else str(value)
