"""The report model: everything the side-by-side comparison measured, and its JSON form.

Generic over the process (cases and facts come from its binding, e.g. ``comparison.onboarding.corpus()``) and over
the engines (every :class:`~comparison.models.Engine` that ran gets its column). ``render_json`` is
``reports/comparison.json``, ``ComparisonReport.model_dump(mode="json")``::

    title, generated_at
    engines[]                      the engines compared, in column order ("temporal", "stepfunctions", ...)
    facts[]                        {name, role, label}: the facts compared, in order; role outcome | effect | check
    scenarios[]
      name, description
      expected.<fact>              the case's expected value of each fact
      runs.<engine>.<profile>      {business_id, facts.<fact>, error, duration_seconds}
      parity                       every profile in parity
      parity_by_profile.<profile>  {scenario, profile, matches_expected.<engine>, engines_agree, parity, mismatches[]}
    exposure.<engine>.<profile>    {engine, executions, values_searched, total_hits,
                                    channels.<channel>.{plaintext_hits, values_exposed, strings_scanned,
                                                        ciphertext_payloads, hits[], hits_omitted}}
    cost                           null, or {engines.<engine>.{per_execution, usd_per_million_executions,
                                    fixed_monthly_usd, monthly[], price_table_date}, volumes[], crossovers[],
                                    price_table, config, curve[].{executions_per_month, usd.<engine>},
                                    assumptions.{as_of, note, entries[].{name, low, typical, high, unit, source,
                                    origin}}, sensitivity.<case>.{monthly_usd.<engine>[], usd_per_million_executions,
                                    fixed_monthly_usd, crossovers[]}}: the typical case in full, every case of the
                                    assumptions (low, typical, high) in sensitivity; per_execution holds counts only
    access                         null, or who can read each store (comparison.access.model):
                                    {source, limits[], principals[], <engine>.{operator, operator_holds_key,
                                    stores[].{store, holds, resources[], key, key_kind, operator.{name, holds_key, how},
                                    readers[].{principal, principal_id, kind, via, conditions[]}}}}
    compliance                     null, or {generated_at, source, stacks[].{stack, packs[]}, tools[], missing[]}
    notes[]

Fact values are codes, counts and flags (a list for a set of codes); ``hits[]`` name a value by label, never by
value. Profiles are ``hardened`` and ``baseline``.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Sequence
from datetime import UTC, datetime

from pydantic import BaseModel, ConfigDict, Field, field_validator, model_validator

from comparison.access.model import AccessSurface
from comparison.audit.exposure import ExposureAudit, channel_names
from comparison.cost.compare import CostComparison
from comparison.models import Corpus, Engine, Facts, FactSpec, ScenarioRun
from comparison.parity import ParityResult, parity
from comparison.report.compliance import ComplianceSummary
from contract.profile import Profile


class RunSummary(BaseModel):
    """One engine's run of one case in one profile, as the report keeps it."""

    model_config = ConfigDict(frozen=True)

    business_id: str
    facts: Facts
    error: str | None = None
    duration_seconds: float | None = None

    @classmethod
    def of(cls, run: ScenarioRun) -> RunSummary:
        return cls(business_id=run.business_id, facts=run.facts, error=run.error,
                   duration_seconds=run.duration_seconds)


class ScenarioComparison(BaseModel):
    model_config = ConfigDict(frozen=True)

    name: str
    description: str
    expected: Facts
    runs: dict[Engine, dict[Profile, RunSummary]]  # engine -> profile -> run; an engine or profile may be absent
    parity: bool
    parity_by_profile: dict[Profile, ParityResult]

    def run(self, engine: Engine, profile: Profile) -> RunSummary | None:
        return self.runs.get(engine, {}).get(profile)


# Reports list the first hits of each channel (with the count of the rest): enough to find the leak.
HITS_LISTED_PER_CHANNEL = 20


class ComparisonReport(BaseModel):
    """The whole comparison. ``engines`` defaults to every engine with a run or an exposure audit, in
    :class:`Engine` order; ``title`` to "<engine> vs <engine>: side by side"."""

    title: str = ""
    generated_at: datetime = Field(default_factory=lambda: datetime.now(UTC))
    engines: list[Engine] = Field(default_factory=list)
    facts: list[FactSpec]
    scenarios: list[ScenarioComparison]
    exposure: dict[Engine, dict[Profile, ExposureAudit]]
    cost: CostComparison | None = None
    access: AccessSurface | None = None
    compliance: ComplianceSummary | None = None
    notes: list[str] = Field(default_factory=list)

    @field_validator("exposure", mode="after")
    @classmethod
    def _list_few_hits(
        cls, exposure: dict[Engine, dict[Profile, ExposureAudit]]
    ) -> dict[Engine, dict[Profile, ExposureAudit]]:
        return {engine: {profile: audit.trimmed(HITS_LISTED_PER_CHANNEL) for profile, audit in audits.items()}
                for engine, audits in exposure.items()}

    @model_validator(mode="after")
    def _defaults(self) -> ComparisonReport:
        if not self.engines:
            present = {engine for scenario in self.scenarios for engine in scenario.runs} | set(self.exposure)
            self.engines = [engine for engine in Engine if engine in present]
        if not self.title:
            self.title = " vs ".join(engine.display_name for engine in self.engines) + ": side by side"
        return self

    @property
    def scenarios_in_parity(self) -> int:
        return sum(1 for scenario in self.scenarios if scenario.parity)

    def exposure_total(self, engine: Engine, profile: Profile) -> int | None:
        audit = self.exposure.get(engine, {}).get(profile)
        return None if audit is None else audit.total_hits

    def channels(self, engine: Engine) -> list[str]:
        """The exposure channels of an engine's audits, in audit order (none when it was not audited)."""
        return channel_names(self.exposure.get(engine, {}).values())


def build_scenarios(
    runs: Iterable[ScenarioRun], corpus: Corpus, *, engines: Sequence[Engine] | None = None,
) -> list[ScenarioComparison]:
    """Group the runs by case and profile and decide parity for each, over ``engines`` (by default every engine
    with a run, in :class:`Engine` order) and every profile that ran."""
    by_key: dict[tuple[str, Profile, Engine], ScenarioRun] = {}
    for run in runs:
        key = (run.scenario, run.profile, run.engine)
        if key in by_key:
            raise ValueError(f"runs: more than one {run.engine.value} run of {run.scenario} ({run.profile.value})")
        by_key[key] = run
    known = {case.name for case in corpus.cases}
    unknown = sorted({name for name, _, _ in by_key if name not in known})
    if unknown:
        raise ValueError(f"runs: unknown scenario(s): {', '.join(unknown)}")
    compared = list(engines) if engines is not None else [e for e in Engine if any(k[2] is e for k in by_key)]
    stray = sorted({key[2].value for key in by_key if key[2] not in compared})
    if stray:
        raise ValueError(f"runs: of engine(s) not compared: {', '.join(stray)}")
    profiles = [p for p in Profile if any(key[1] is p for key in by_key)] or [Profile.HARDENED]
    result: list[ScenarioComparison] = []
    for case in corpus.cases:
        per_profile: dict[Profile, ParityResult] = {}
        for profile in profiles:
            present = [by_key[key] for engine in compared if (key := (case.name, profile, engine)) in by_key]
            per_profile[profile] = (parity(case.expected, present, engines=compared) if present
                                    else _none_ran(case.name, profile, compared))
        result.append(ScenarioComparison(
            name=case.name,
            description=case.description,
            expected=case.expected,
            runs={engine: {p: RunSummary.of(by_key[(case.name, p, engine)]) for p in Profile
                           if (case.name, p, engine) in by_key} for engine in compared},
            parity=all(item.parity for item in per_profile.values()),
            parity_by_profile=per_profile,
        ))
    return result


def _none_ran(scenario: str, profile: Profile, engines: Sequence[Engine]) -> ParityResult:
    """A case no engine ran in this profile is, by definition, not in parity."""
    return ParityResult(scenario=scenario, profile=profile, matches_expected=dict.fromkeys(engines, False),
                        engines_agree=False, parity=False,
                        mismatches=(f"no run from: {', '.join(engine.value for engine in engines)}",))


def render_json(report: ComparisonReport) -> str:
    return json.dumps(report.model_dump(mode="json"), indent=2, sort_keys=False) + "\n"
