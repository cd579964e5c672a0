"""Parity: every engine establishes the case's expected facts, and the engines agree with one another.

Generic over the process (facts are plain ``name -> value`` mappings whose names and order the binding supplies)
and over the engines (any set of :class:`~comparison.models.Engine`). Only observable, PII-free facts are
compared (codes, counts, flags), so mismatch descriptions can go straight into the report.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence

from pydantic import BaseModel, ConfigDict

from comparison.models import Engine, FactValue, ScenarioRun
from contract.profile import Profile


class ParityResult(BaseModel):
    """One case in one profile. ``matches_expected`` has one entry per engine compared (``False`` when it did not
    run); ``engines_agree`` compares the engines that ran with one another."""

    model_config = ConfigDict(frozen=True)

    scenario: str
    profile: Profile
    matches_expected: dict[Engine, bool]
    engines_agree: bool
    parity: bool
    mismatches: tuple[str, ...] = ()


def parity(
    expected: Mapping[str, FactValue], runs: Iterable[ScenarioRun], *, engines: Sequence[Engine] = tuple(Engine)
) -> ParityResult:
    """Compare the runs of one case in one profile (at most one per engine) with ``expected`` and each other.

    An engine of ``engines`` without a run is a mismatch ("no run from: ..."); a run of an engine outside
    ``engines``, runs of different cases or profiles, or facts other than the expected ones are refused.
    """
    given = list(runs)
    if not given:
        raise ValueError("runs: at least one run is needed (its case and profile are the result's)")
    first = given[0]
    by_engine: dict[Engine, ScenarioRun] = {}
    for index, run in enumerate(given):
        if run.scenario != first.scenario:
            raise ValueError(f"runs[{index}].scenario: every run must be of case {first.scenario}")
        if run.profile is not first.profile:
            raise ValueError(f"runs[{index}].profile: every run must use profile {first.profile.value}")
        if run.engine not in engines:
            raise ValueError(f"runs[{index}].engine: {run.engine.value} is not one of the engines compared")
        if run.engine in by_engine:
            raise ValueError(f"runs: more than one {run.engine.value} run of {run.scenario} ({run.profile.value})")
        _check_fact_names(expected, run, f"runs[{index}].facts")
        by_engine[run.engine] = run

    ran = [engine for engine in engines if engine in by_engine]
    missing = [engine for engine in engines if engine not in by_engine]
    mismatches = [f"no run from: {', '.join(engine.value for engine in missing)}"] if missing else []
    matches = dict.fromkeys(missing, False)
    for engine in ran:
        run = by_engine[engine]
        if run.error is not None:
            mismatches.append(f"{engine.value}: run failed with {run.error}")
        wrong = [fact for fact in expected if _key(run.facts[fact]) != _key(expected[fact])]
        mismatches += [f"{engine.value}: {fact} expected {_show(expected[fact])}, got {_show(run.facts[fact])}"
                       for fact in wrong]
        matches[engine] = not wrong and run.error is None
    disagreements = [fact for fact in expected if len({_key(by_engine[e].facts[fact]) for e in ran}) > 1]
    mismatches += [f"engines differ on {fact}: "
                   + ", ".join(f"{engine.value} {_show(by_engine[engine].facts[fact])}" for engine in ran)
                   for fact in disagreements]
    return ParityResult(
        scenario=first.scenario,
        profile=first.profile,
        matches_expected={engine: matches[engine] for engine in engines},
        engines_agree=not disagreements,
        parity=not missing and all(matches.values()) and not disagreements,
        mismatches=tuple(mismatches),
    )


def _check_fact_names(expected: Mapping[str, FactValue], run: ScenarioRun, where: str) -> None:
    missing = [name for name in expected if name not in run.facts]
    unknown = [name for name in run.facts if name not in expected]
    if missing or unknown:
        raise ValueError(f"{where}: missing {missing or 'none'}, unknown {unknown or 'none'} (the binding's facts)")


def _key(value: FactValue) -> tuple[str, FactValue]:
    """Hashable and type-aware: ``True`` and ``1`` are different facts."""
    return type(value).__name__, value


def _show(value: FactValue) -> str:
    if isinstance(value, tuple):
        return "[" + ", ".join(value) + "]"
    return "none" if value is None else str(value)
