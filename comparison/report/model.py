"""The report model: everything the side-by-side comparison measured, and its JSON form.

``ComparisonReport.model_dump(mode="json")`` is ``reports/comparison.json``; its top-level keys follow
DESIGN section 7: ``scenarios[]`` (``name``, ``expected``, ``temporal``, ``stepfunctions``, ``parity``),
``exposure.<engine>.<profile>.channels.<channel>.plaintext_hits`` and ``.total_hits``, and
``cost.<engine>`` (measured counts per execution, ``usd_per_million_executions``, ``price_table_date``).
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Sequence
from datetime import UTC, datetime
from typing import Any

from pydantic import BaseModel, ConfigDict, Field, field_validator

from comparison.audit.exposure import ExposureAudit
from comparison.cost.compare import CostComparison
from comparison.models import Engine, ScenarioRun
from comparison.parity import ParityResult, expected_facts, missing_run_result, parity, run_facts
from comparison.report.compliance import ComplianceSummary
from contract.profile import Profile
from scenarios import SCENARIOS, Scenario


class RunSummary(BaseModel):
    model_config = ConfigDict(frozen=True)

    application_id: str
    status: str | None
    reason: str | None
    compensated: bool | None
    error_codes: tuple[str, ...]
    account_status: str | None
    approved_charges: int
    declined_charges: int
    outbox_messages: int
    review_requested: bool
    error: str | None = None
    duration_seconds: float | None = None

    @classmethod
    def of(cls, run: ScenarioRun) -> RunSummary:
        facts = run_facts(run)
        facts.pop("has_account_id")
        return cls(application_id=run.application_id, error=run.error, duration_seconds=run.duration_seconds,
                   **facts)


class ScenarioComparison(BaseModel):
    model_config = ConfigDict(frozen=True)

    name: str
    description: str
    expected: dict[str, Any]
    temporal: dict[Profile, RunSummary]
    stepfunctions: dict[Profile, RunSummary]
    parity: bool
    parity_by_profile: dict[Profile, ParityResult]


# Reports list the first hits of each channel (with the count of the rest): enough to find the leak.
HITS_LISTED_PER_CHANNEL = 20


class ComparisonReport(BaseModel):
    title: str = "Temporal vs AWS Step Functions: side by side"
    generated_at: datetime = Field(default_factory=lambda: datetime.now(UTC))
    scenarios: list[ScenarioComparison]
    exposure: dict[Engine, dict[Profile, ExposureAudit]]
    cost: CostComparison | None = None
    compliance: ComplianceSummary | None = None
    notes: list[str] = Field(default_factory=list)

    @field_validator("exposure", mode="after")
    @classmethod
    def _list_few_hits(
        cls, exposure: dict[Engine, dict[Profile, ExposureAudit]]
    ) -> dict[Engine, dict[Profile, ExposureAudit]]:
        return {engine: {profile: audit.trimmed(HITS_LISTED_PER_CHANNEL) for profile, audit in audits.items()}
                for engine, audits in exposure.items()}

    @property
    def scenarios_in_parity(self) -> int:
        return sum(1 for scenario in self.scenarios if scenario.parity)

    def exposure_total(self, engine: Engine, profile: Profile) -> int | None:
        audit = self.exposure.get(engine, {}).get(profile)
        return None if audit is None else audit.total_hits


def build_scenarios(runs: Iterable[ScenarioRun], scenarios: Sequence[Scenario] = SCENARIOS) -> list[ScenarioComparison]:
    """Group the engines' runs by scenario and profile and decide parity for each."""
    by_key: dict[tuple[str, Profile, Engine], ScenarioRun] = {}
    for run in runs:
        key = (run.scenario, run.profile, run.engine)
        if key in by_key:
            raise ValueError(f"runs: more than one {run.engine.value} run of {run.scenario} ({run.profile.value})")
        by_key[key] = run
    known = {scenario.name for scenario in scenarios}
    unknown = sorted({name for name, _, _ in by_key if name not in known})
    if unknown:
        raise ValueError(f"runs: unknown scenario(s): {', '.join(unknown)}")
    profiles = [p for p in Profile if any(key[1] is p for key in by_key)] or [Profile.HARDENED]
    result: list[ScenarioComparison] = []
    for scenario in scenarios:
        per_profile: dict[Profile, ParityResult] = {}
        for profile in profiles:
            t_run = by_key.get((scenario.name, profile, Engine.TEMPORAL))
            s_run = by_key.get((scenario.name, profile, Engine.STEPFUNCTIONS))
            if t_run is None or s_run is None:
                missing = [e for e, r in ((Engine.TEMPORAL, t_run), (Engine.STEPFUNCTIONS, s_run)) if r is None]
                per_profile[profile] = missing_run_result(scenario.name, profile, missing)
            else:
                per_profile[profile] = parity(scenario.expected, t_run, s_run)
        result.append(ScenarioComparison(
            name=scenario.name,
            description=scenario.description,
            expected=expected_facts(scenario.expected),
            temporal=_summaries(by_key, scenario.name, Engine.TEMPORAL),
            stepfunctions=_summaries(by_key, scenario.name, Engine.STEPFUNCTIONS),
            parity=all(item.parity for item in per_profile.values()),
            parity_by_profile=per_profile,
        ))
    return result


def _summaries(
    by_key: dict[tuple[str, Profile, Engine], ScenarioRun], name: str, engine: Engine
) -> dict[Profile, RunSummary]:
    return {p: RunSummary.of(by_key[(name, p, engine)]) for p in Profile if (name, p, engine) in by_key}


def render_json(report: ComparisonReport) -> str:
    return json.dumps(report.model_dump(mode="json"), indent=2, sort_keys=False) + "\n"
