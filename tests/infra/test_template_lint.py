"""cfn-lint (no errors) and checkov (no failure; every skip carries a comment) on the synthesized templates."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

from infra.paths import REPO_ROOT
from infra.synthesis import Synthesis

CHECKOV = REPO_ROOT / ".tools" / "checkov" / "bin" / "checkov"


def test_cfn_lint_reports_no_errors(synthesis: Synthesis) -> None:
    templates = sorted(str(p) for p in synthesis.assembly_dir.glob("*.template.json"))
    assert len(templates) == len(synthesis.blueprint.stacks) == 5
    result = subprocess.run(
        [sys.executable, "-m", "cfnlint", "--format", "parseable", "--ignore-checks", "W3005", "--", *templates],
        capture_output=True, text=True, check=False,
    )
    errors = [line for line in result.stdout.splitlines() if ":E" in line]
    assert errors == []
    assert result.returncode & 2 == 0  # bit 2 = errors


def test_checkov_passes_with_commented_skips_only(synthesis: Synthesis) -> None:
    assert CHECKOV.exists(), "checkov is installed by `make checkov` (a prerequisite of `make test`)"
    result = subprocess.run(
        [str(CHECKOV), "-d", str(synthesis.assembly_dir), "--framework", "cloudformation",
         "--compact", "--skip-download", "-o", "json"],
        capture_output=True, text=True, check=False,
    )
    report = json.loads(result.stdout)
    assert report["summary"]["failed"] == 0, [c["check_id"] for c in report["results"]["failed_checks"]]
    assert report["summary"]["passed"] > 100
    skipped = report["results"]["skipped_checks"]
    assert skipped
    for check in skipped:
        assert len(check["check_result"]["suppress_comment"].split()) >= 6, check["check_id"]


def test_every_checkov_skip_in_the_templates_has_a_comment(synthesis: Synthesis) -> None:
    for template in synthesis.templates.values():
        for logical_id, resource in template["Resources"].items():
            for skip in resource.get("Metadata", {}).get("checkov", {}).get("skip", []):
                assert skip["id"].startswith("CKV_") and len(skip["comment"]) > 40, logical_id


def test_assembly_dir_is_a_real_cloud_assembly(synthesis: Synthesis) -> None:
    manifest = json.loads(Path(synthesis.assembly_dir, "manifest.json").read_text())
    assert {"Foundation", "Network", "Workers", "StepFunctions", "Durable"} <= set(manifest["artifacts"])
