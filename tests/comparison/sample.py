"""A complete sample report from synthetic histories, built with the real audit, cost model and parity.

Used by the report tests, and to render a page to look at (``python -m tests.comparison.sample DIR``).
"""

from __future__ import annotations

import json
import sys
from pathlib import Path

from comparison.access.model import AccessSurface
from comparison.access.surface import access_surface
from comparison.access.templates import TemplateSet
from comparison.audit.evidence import (
    DurableEvidence,
    StepFunctionsEvidence,
    TemporalEvidence,
    audit_durable,
    audit_stepfunctions,
    audit_temporal,
)
from comparison.audit.exposure import ExposureAudit
from comparison.audit.pii import PiiValue
from comparison.cost.assumptions import Assumptions, Origin, load_assumptions
from comparison.cost.compare import compare_costs, measure_stepfunctions, measure_temporal
from comparison.cost.durable import measure_durable
from comparison.models import Engine
from comparison.onboarding import ACCESS_STORES, ENGINE_OPERATORS, FACTS, corpus, pii_from_scenarios
from comparison.report.compliance import ComplianceSummary
from comparison.report.write import ComparisonReport, build_scenarios, write_reports
from contract.profile import Profile
from scenarios import SCENARIOS, Scenario
from tests.comparison import durable_history, sfn_history, temporal_history
from tests.comparison.access.mini import mini_templates
from tests.comparison.runs import all_reference_runs

EXECUTION_ARN = "arn:aws:states:us-east-1:123456789012:execution:onboarding:{}"


def _temporal(item: Scenario, *, encrypt: bool) -> TemporalEvidence:
    history = temporal_history.onboarding_history(item.application(), encrypt=encrypt)
    if item.name == "funding_declined":
        card = item.application()["funding"]["card_number"]
        history.activity("fund_account", item.application()["funding"],
                         failure=(f"card {card} declined", f'File "steps.py", in fund_account: charge({card!r})'))
    return TemporalEvidence(label=item.name, workflow_id=item.application_id, history=history.to_dicts(),
                            search_attributes={"ApplicationId": item.application_id})


def _stepfunctions(item: Scenario, *, hardened: bool) -> StepFunctionsEvidence:
    claim = {"application_id": item.application_id, "claim": "s3://claims/" + item.application_id}
    execution_input = claim if hardened else item.application()
    history = sfn_history.onboarding_history(execution_input)
    if not hardened:
        history.task("FundAccount", "fund_account", execution_input, None, error=(
            "FUNDING_DECLINED", json.dumps({"errorMessage": f"card {item.application()['funding']['card_number']} "
                                                            "declined"})))
    arn = EXECUTION_ARN.format(item.application_id)
    logs = [sfn_history.log_event(e, arn, include_execution_data=not hardened) for e in history.events]
    return StepFunctionsEvidence(label=item.name, history=history.events, log_events=logs,
                                 describe_execution={"executionArn": arn, "name": item.application_id,
                                                     "input": json.dumps(execution_input)})


def _durable(item: Scenario, *, hardened: bool) -> DurableEvidence:
    history = durable_history.onboarding_history(item.application(), sealed=hardened)
    if not hardened:
        history.step("fund_account", None, error=(
            "StepFailed", f"card {item.application()['funding']['card_number']} declined"))
    return DurableEvidence(label=item.name, history=history.events, describe_execution={
        "DurableExecutionArn": f"arn:aws:lambda:us-east-1:123456789012:function:onboarding-durable:1/durable-execution/"
                               f"{item.application_id}/1", "DurableExecutionName": item.application_id,
        "Status": "SUCCEEDED"}, identifiers=[item.application_id])


def sample_compliance() -> ComplianceSummary:
    packs = ("AwsSolutions", "HIPAA.Security", "NIST.800.53.R5", "PCI.DSS.321")
    return ComplianceSummary.model_validate({
        "source": "Sample: cdk-nag, cfn-lint and checkov results written by hand (test data).",
        "stacks": {stack: {pack: {"findings": 0, "acknowledged": acknowledged} for pack in packs}
                   for stack, acknowledged in (("Foundation", 2), ("Network", 1), ("TemporalWorkers", 3),
                                               ("StepFunctions", 4))},
        "tools": [{"tool": "cfn-lint", "passed": 4, "failed": 0, "detail": "4 templates: 0 errors"}],
        "missing": [{"gate": "checkov", "why": "not installed", "how": "make checkov"}],
    })


def sample_access() -> AccessSurface:
    """The access surface of the small deployment the access tests use (tests/comparison/access/mini.py)."""
    return access_surface(TemplateSet(mini_templates()), ACCESS_STORES, ENGINE_OPERATORS,
                          source="small sample templates (test data)")


def sample_assumptions() -> Assumptions:
    """The dated assumptions with a slower Lambda, so the sample's cost curves cross and the page shows a crossover."""
    return load_assumptions().replaced({"stepfunctions.lambda_billed_ms_per_invocation": {"value": 500}},
                                       origin=Origin.OVERRIDE, source="the sample report (tests/comparison/sample.py)")


def sample_report() -> tuple[ComparisonReport, tuple[PiiValue, ...]]:
    values = pii_from_scenarios(SCENARIOS)
    temporal = {encrypt: [_temporal(s, encrypt=encrypt) for s in SCENARIOS] for encrypt in (True, False)}
    sfn = {hardened: [_stepfunctions(s, hardened=hardened) for s in SCENARIOS] for hardened in (True, False)}
    durable = {hardened: [_durable(s, hardened=hardened) for s in SCENARIOS] for hardened in (True, False)}
    exposure: dict[Engine, dict[Profile, ExposureAudit]] = {
        Engine.TEMPORAL: {Profile.HARDENED: audit_temporal(temporal[True], values),
                          Profile.BASELINE: audit_temporal(temporal[False], values)},
        Engine.STEPFUNCTIONS: {Profile.HARDENED: audit_stepfunctions(sfn[True], values),
                               Profile.BASELINE: audit_stepfunctions(sfn[False], values)},
        Engine.DURABLE: {Profile.HARDENED: audit_durable(durable[True], values),
                         Profile.BASELINE: audit_durable(durable[False], values)},
    }
    cost = compare_costs(measure_temporal([e.history for e in temporal[True]]),
                         measure_stepfunctions([e.history for e in sfn[True]], [e.log_events for e in sfn[True]]),
                         sample_assumptions(), durable=measure_durable([e.history for e in durable[True]]))
    report = ComparisonReport(
        facts=list(FACTS),
        scenarios=build_scenarios(all_reference_runs(), corpus()),
        exposure=exposure,
        cost=cost,
        access=sample_access(),
        compliance=sample_compliance(),
        notes=["Sample report from synthetic histories (test data), not from an engine run."],
    )
    return report, values


if __name__ == "__main__":
    built, pii = sample_report()
    paths = write_reports(built, Path(sys.argv[1] if len(sys.argv) > 1 else "reports"), pii=pii)
    print(paths.html)
