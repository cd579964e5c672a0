"""The template gates the demo runs itself: cfn-lint for real on templates written to disk, and a gate that cannot
run named with the command that runs it."""

from __future__ import annotations

import json
from pathlib import Path

from comparison.report.gates import checkov_result, start_gates
from tests.comparison.access.mini import mini_templates


def test_cfn_lint_runs_on_the_templates_and_a_missing_checkov_is_named(tmp_path: Path) -> None:
    templates = mini_templates()
    running = start_gates(templates, tmp_path / "cdk.out", checkov=tmp_path / "no-checkov" / "bin" / "checkov")
    tools, missing = running.results(timeout=300)
    assert sorted(path.name for path in (tmp_path / "cdk.out").iterdir()) == sorted(
        f"{stack}.template.json" for stack in templates)
    [lint] = tools
    assert lint.tool == "cfn-lint" and lint.passed + lint.failed == len(templates)
    assert "W3005 ignored" in lint.detail
    [checkov] = missing
    assert checkov.gate == "checkov" and "not installed" in checkov.why and checkov.how.startswith("make checkov")


def test_only_a_template_with_an_error_fails_cfn_lint(tmp_path: Path) -> None:
    valid = {"Resources": {"Topic": {"Type": "AWS::SNS::Topic", "Properties": {"KmsMasterKeyId": "alias/x"}}}}
    broken = {"Resources": {"Topic": {"Type": "AWS::SNS::Topic", "Properties": {"NoSuchProperty": 1}}}}
    tools, _ = start_gates({"Valid": valid, "Broken": broken}, tmp_path, checkov=tmp_path / "absent").results(
        timeout=300)
    [lint] = tools
    assert (lint.passed, lint.failed) == (1, 1)
    assert lint.detail.startswith("2 templates: 1 errors")


def test_checkov_s_summary_is_read_from_its_json_output() -> None:
    # The output of `checkov -d <dir> --framework cloudformation --compact --quiet --skip-download -o json` on the
    # blueprint's four nat templates (checkov 3.3.30).
    output = json.dumps({"check_type": "cloudformation", "results": {"failed_checks": []}, "summary": {
        "passed": 355, "failed": 0, "skipped": 14, "parsing_errors": 0, "resource_count": 102,
        "checkov_version": "3.3.30"}}, indent=4)
    result = checkov_result(output, 4)
    assert result is not None
    assert (result.tool, result.passed, result.failed, result.skipped) == ("checkov", 355, 0, 14)
    assert result.detail == "4 templates, 102 resources, CloudFormation checks (checkov 3.3.30)"
    assert checkov_result("Traceback (most recent call last):", 4) is None
