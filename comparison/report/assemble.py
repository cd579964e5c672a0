"""From engine runs to the report: parity, the exposure audit per engine and profile, the cost model, compliance.

The demo (both profiles, local engines) and the deployed audit (hardened canaries) both end here, so they write
the same report shape (``reports/comparison.{json,md,html}``, keys per DESIGN section 7).
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from pathlib import Path

from comparison.audit.evidence import StepFunctionsEvidence, TemporalEvidence, audit_stepfunctions, audit_temporal
from comparison.audit.exposure import ExposureAudit
from comparison.audit.pii import PiiMatcher, PiiValue
from comparison.audit.textscan import scan_text
from comparison.cost.compare import CostComparison, compare_costs, measure_stepfunctions, measure_temporal
from comparison.models import Engine, ScenarioRun
from comparison.report.compliance import load_compliance
from comparison.report.write import ComparisonReport, ReportPaths, build_scenarios, print_side_by_side, write_reports
from contract.profile import Profile
from scenarios import SCENARIOS, Scenario

COMPLIANCE_REPORT = Path("reports/compliance.json")


@dataclass
class ProfileRun:
    """One engine's run of the corpus in one profile: the report's runs and what the service stored for each."""

    engine: Engine
    profile: Profile
    runs: list[ScenarioRun]
    temporal_evidence: list[TemporalEvidence] = field(default_factory=list)
    stepfunctions_evidence: list[StepFunctionsEvidence] = field(default_factory=list)
    code_log_lines: list[str] = field(default_factory=list)  # worker / function logs: not the orchestrator's store

    def audit(self, values: Sequence[PiiValue]) -> ExposureAudit:
        if self.engine is Engine.TEMPORAL:
            return audit_temporal(self.temporal_evidence, values)
        return audit_stepfunctions(self.stepfunctions_evidence, values)


def assemble(
    profile_runs: Sequence[ProfileRun], values: Sequence[PiiValue], *, notes: Iterable[str] = (),
    compliance_path: Path = COMPLIANCE_REPORT, scenarios: Sequence[Scenario] = SCENARIOS,
) -> ComparisonReport:
    exposure: dict[Engine, dict[Profile, ExposureAudit]] = {}
    for item in profile_runs:
        exposure.setdefault(item.engine, {})[item.profile] = item.audit(values)
    return ComparisonReport(
        scenarios=build_scenarios((run for item in profile_runs for run in item.runs), scenarios),
        exposure=exposure,
        cost=hardened_cost(profile_runs),
        compliance=load_compliance(compliance_path),
        notes=[*notes, *code_log_notes(profile_runs, values)],
    )


def hardened_cost(profile_runs: Sequence[ProfileRun]) -> CostComparison | None:
    """The cost model measured on the hardened histories (what would be deployed), when both engines ran."""
    hardened = {item.engine: item for item in profile_runs if item.profile is Profile.HARDENED}
    temporal, stepfunctions = hardened.get(Engine.TEMPORAL), hardened.get(Engine.STEPFUNCTIONS)
    if temporal is None or stepfunctions is None or not temporal.temporal_evidence \
            or not stepfunctions.stepfunctions_evidence:
        return None
    return compare_costs(
        measure_temporal([evidence.history for evidence in temporal.temporal_evidence]),
        measure_stepfunctions([evidence.history for evidence in stepfunctions.stepfunctions_evidence],
                              [evidence.log_events for evidence in stepfunctions.stepfunctions_evidence]),
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
        source = "worker log" if item.engine is Engine.TEMPORAL else "Lambda function log"
        notes.append(f"{item.engine.display_name} {item.profile.value}: {len(item.code_log_lines)} {source} lines "
                     f"searched the same way, {hits} plaintext hit(s).")
    return notes


def verdict(report: ComparisonReport) -> list[str]:
    """What must hold for the demo to succeed (empty when everything does)."""
    problems = [f"scenario {s.name} is not in parity" for s in report.scenarios if not s.parity]
    for engine in Engine:
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
