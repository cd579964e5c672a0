"""From engine runs to the report: parity, the exposure audit per engine and profile, the cost model, compliance.

The demo (both profiles, local engines) and the deployed audit (hardened canaries) both end here, so they write
the same report shape (``reports/comparison.{json,md,html}``, keys documented in :mod:`comparison.report.model`).
Generic: the process comes in as a :class:`~comparison.models.Corpus` and the PII values to search for, the engines
as :class:`ProfileRun` items.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from pathlib import Path

from comparison.access.model import AccessSurface
from comparison.audit.evidence import (
    DurableEvidence,
    ExecutionEvidence,
    StepFunctionsEvidence,
    TemporalEvidence,
    audit_executions,
)
from comparison.audit.exposure import ExposureAudit
from comparison.audit.pii import PiiMatcher, PiiValue
from comparison.audit.textscan import scan_text
from comparison.cost.assumptions import Assumptions
from comparison.cost.compare import CostComparison, compare_costs, measure_stepfunctions, measure_temporal
from comparison.cost.durable import measure_durable
from comparison.models import Corpus, Engine, ScenarioRun
from comparison.report.compliance import ComplianceSummary, load_compliance
from comparison.report.write import ComparisonReport, ReportPaths, build_scenarios, print_side_by_side, write_reports
from contract.profile import Profile

COMPLIANCE_REPORT = Path("reports/compliance.json")


@dataclass
class ProfileRun:
    """One engine's run of the corpus in one profile: the report's runs and what the service stored for each.

    ``evidence`` is ``None`` for an engine the exposure audit cannot read yet (its runs still count for parity);
    ``code_log_lines`` are the business code's own logs (worker, functions), named by ``code_log_source``.
    """

    engine: Engine
    profile: Profile
    runs: list[ScenarioRun]
    evidence: Sequence[ExecutionEvidence] | None = None
    code_log_lines: list[str] = field(default_factory=list)  # not the orchestrator's store: searched for a note
    code_log_source: str = "code log"

    def audit(self, values: Sequence[PiiValue]) -> ExposureAudit | None:
        return None if self.evidence is None else audit_executions(self.engine, self.evidence, values)


def assemble(
    profile_runs: Sequence[ProfileRun], values: Sequence[PiiValue], *, corpus: Corpus, notes: Iterable[str] = (),
    compliance_path: Path = COMPLIANCE_REPORT, assumptions: Assumptions | None = None,
    access: AccessSurface | None = None, compliance: ComplianceSummary | None = None,
) -> ComparisonReport:
    """Parity over the engines that ran, the exposure audit of each engine and profile, the cost model on the
    hardened runs (counted usage priced with ``assumptions``, default the dated file), the access surface, the
    compliance summary (``compliance``, else the one at ``compliance_path``), and the notes."""
    exposure: dict[Engine, dict[Profile, ExposureAudit]] = {}
    for item in profile_runs:
        audit = item.audit(values)
        if audit is not None:
            exposure.setdefault(item.engine, {})[item.profile] = audit
    engines = [engine for engine in Engine if any(item.engine is engine for item in profile_runs)]
    return ComparisonReport(
        engines=engines,
        facts=list(corpus.facts),
        scenarios=build_scenarios((run for item in profile_runs for run in item.runs), corpus, engines=engines),
        exposure=exposure,
        cost=hardened_cost(profile_runs, assumptions),
        access=access,
        compliance=compliance if compliance is not None else load_compliance(compliance_path),
        notes=[*notes, *code_log_notes(profile_runs, values)],
    )


def hardened_cost(profile_runs: Sequence[ProfileRun], assumptions: Assumptions | None = None
                  ) -> CostComparison | None:
    """The cost model on the usage counted in the hardened histories (what would be deployed), when Temporal and
    Step Functions ran (and the durable functions, when they ran too); a pure function of those counts,
    ``assumptions`` and the price table."""
    hardened = [evidence for item in profile_runs if item.profile is Profile.HARDENED
                for evidence in item.evidence or ()]
    temporal = [evidence for evidence in hardened if isinstance(evidence, TemporalEvidence)]
    stepfunctions = [evidence for evidence in hardened if isinstance(evidence, StepFunctionsEvidence)]
    durable = [evidence for evidence in hardened if isinstance(evidence, DurableEvidence)]
    if not temporal or not stepfunctions:
        return None
    return compare_costs(
        measure_temporal([evidence.history for evidence in temporal]),
        measure_stepfunctions([evidence.history for evidence in stepfunctions],
                              [evidence.log_events for evidence in stepfunctions]),
        assumptions,
        durable=measure_durable([evidence.history for evidence in durable]) if durable else None,
    )


def code_log_notes(profile_runs: Sequence[ProfileRun], values: Sequence[PiiValue]) -> list[str]:
    """The business code's own logs (Temporal worker, Lambda functions) are not what the orchestrator stores, so
    they are not an exposure channel; they are searched the same way and reported as a note."""
    matcher = PiiMatcher(values)
    notes = []
    for item in profile_runs:
        if not item.code_log_lines:
            continue
        hits = sum(len(scan_text(line, matcher)) for line in item.code_log_lines)
        notes.append(f"{item.engine.display_name} {item.profile.value}: {len(item.code_log_lines)} "
                     f"{item.code_log_source} lines searched the same way, {hits} plaintext hit(s).")
    return notes


def verdict(report: ComparisonReport) -> list[str]:
    """What must hold for the demo to succeed (empty when everything does)."""
    problems = [f"scenario {s.name} is not in parity" for s in report.scenarios if not s.parity]
    for engine in report.engines:
        hardened = report.exposure_total(engine, Profile.HARDENED)
        baseline = report.exposure_total(engine, Profile.BASELINE)
        if hardened:
            problems.append(f"{engine.display_name} hardened: {hardened} plaintext hit(s)")
        if baseline == 0:
            problems.append(f"{engine.display_name} baseline: no plaintext found (the audit saw nothing)")
    return problems


def publish(report: ComparisonReport, directory: Path, values: Sequence[PiiValue]) -> ReportPaths:
    """Write the three reports (refused if one would contain a searched value) and print the side-by-side table."""
    paths = write_reports(report, directory, pii=values)
    print_side_by_side(report)
    return paths
