"""The synth-time gates: every finding of the four packs acknowledged with a reason, none stale, and the gate
really fails synth on an unacknowledged finding."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from aws_cdk import App, Stack
from aws_cdk import aws_s3 as s3

from comparison.report.compliance import ComplianceSummary
from infra.compliance.acknowledgement import Acknowledgement
from infra.compliance.gates import PACKS, classify, enforce
from infra.compliance.report import build_report, passed
from infra.synthesis import Synthesis


def test_every_finding_is_acknowledged_and_no_acknowledgement_is_stale(synthesis: Synthesis) -> None:
    acks = [ack for stack in synthesis.blueprint.acknowledgements().values() for ack in stack]
    result = classify(synthesis.findings, acks)
    assert synthesis.findings, "the packs found nothing at all: they did not run"
    assert [(f.rule_id, f.path) for f in result.unacknowledged] == []
    assert [(a.rule_id, a.path) for a in result.stale] == []
    assert {f.pack for f in synthesis.findings} <= set(PACKS)


def test_acknowledgements_are_specific(synthesis: Synthesis) -> None:
    acks = [ack for stack in synthesis.blueprint.acknowledgements().values() for ack in stack]
    for ack in acks:
        assert "/" in ack.path, f"{ack.rule_id} acknowledged for a whole stack"
    # One reason text per resource and rule family, not one blanket sentence for everything.
    assert len({ack.reason for ack in acks}) > len(acks) / 4


def test_report_lists_findings_per_stack_and_pack(syntheses: dict[str, Synthesis], tmp_path: Path) -> None:
    report = build_report(syntheses)
    assert passed(report)
    out = tmp_path / "compliance.json"
    out.write_text(json.dumps(report))
    loaded = json.loads(out.read_text())
    summary = ComplianceSummary.model_validate(loaded)  # the shape the comparison report reads
    assert summary.unacknowledged == 0
    assert summary.acknowledged == sum(len(s.findings) for s in syntheses.values())
    for mode, synthesis in syntheses.items():
        stacks = loaded["egress_modes"][mode]["stacks"]
        assert set(stacks) == {stack.stack_name for stack in synthesis.blueprint.stacks}
        counted = sum(entry["findings"] for packs in stacks.values() for entry in packs.values())
        assert counted == len(synthesis.findings)
        for packs in stacks.values():
            assert set(packs) == set(PACKS)
            for entry in packs.values():
                assert all(item["reason"] for item in entry["acknowledged"])


def _app_with_unencrypted_bucket(tmp_path: Path) -> tuple[App, s3.Bucket]:
    app = App(outdir=str(tmp_path))
    bucket = s3.Bucket(Stack(app, "Probe"), "Plain")
    return app, bucket


def test_gate_fails_synth_on_an_unacknowledged_finding(tmp_path: Path) -> None:
    app, _ = _app_with_unencrypted_bucket(tmp_path)
    enforce(app, [])
    with pytest.raises(RuntimeError, match="AwsSolutions-S10"):
        app.synth()


def test_gate_passes_once_every_finding_is_acknowledged(tmp_path: Path) -> None:
    from infra.compliance.gates import raw_findings

    probe_app, probe_bucket = _app_with_unencrypted_bucket(tmp_path / "probe")
    findings = raw_findings(probe_app)
    app, bucket = _app_with_unencrypted_bucket(tmp_path / "gated")
    assert probe_bucket.node.path == bucket.node.path
    enforce(app, [Acknowledgement(scope=bucket, rule_id=rule,
                                  reason="probe bucket used only to prove the gate accepts acknowledgements")
                  for rule in sorted({f.rule_id for f in findings})])
    app.synth()
