"""The Step Functions benchmark's code paths on a tiny scale, so ``make bench`` cannot rot: structure and counts,
never times."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from bench import stepfunctions as bench
from contract.definition import read_definition
from contract.onboarding import DEFINITION_PATH, ONBOARDING_FUNCTIONS
from contract.registry import find_function
from infra.bundle import PYTHON_VERSION, BundleMissingError
from scenarios import scenario

CLEAN = scenario("approved_low_risk")
RETRIED = scenario("identity_transient_then_approved")
# The states an approval passes through, read off the definition: every one is a transition, every Task a Lambda.
APPROVAL_PATH = ("Validate", "ScreenSanctions", "VerifyIdentity", "AssessRisk", "NeedsReview", "OpenAccount",
                 "FundAccount", "Notify", "Approved")


@pytest.fixture(scope="module")
def executions() -> dict[str, object]:
    return bench.measure_executions([CLEAN, RETRIED])


def test_transitions_and_invocations_follow_the_path_and_the_retries(executions: dict[str, object]) -> None:
    states = json.loads(read_definition(DEFINITION_PATH))["States"]
    tasks = sum(states[name]["Type"] == "Task" for name in APPROVAL_PATH)
    rows = executions["scenarios"]
    assert isinstance(rows, dict) and list(rows) == [CLEAN.name, RETRIED.name]
    for case in (CLEAN, RETRIED):
        retries = case.identity_transient_failures
        assert rows[case.name] == {
            "outcome": "APPROVED",
            "state_transitions": len(APPROVAL_PATH) + retries,
            "states_entered": len(APPROVAL_PATH),
            "retries": retries,
            "lambda_invocations": tasks + retries,
            "history_events": rows[case.name]["history_events"],
        }
    mean = executions["per_execution_mean"]
    assert mean == {"state_transitions": len(APPROVAL_PATH) + 1, "retries": 1, "lambda_invocations": tasks + 1}
    assert executions["intake_invocations_per_execution"] == 1
    assert executions["lambda_invocations_routed"] == 2 * tasks + RETRIED.identity_transient_failures


@pytest.fixture(scope="module")
def cold_import() -> dict[str, object]:
    return bench.measure_cold_imports([find_function(ONBOARDING_FUNCTIONS, "validate")], repetitions=1)


def test_cold_import_reports_both_bytecode_situations(cold_import: dict[str, object]) -> None:
    report: dict[str, Any] = cold_import
    function = find_function(ONBOARDING_FUNCTIONS, "validate")
    assert list(report["handlers"]) == [function.name]
    row = report["handlers"][function.name]
    assert set(row) == {"module", "as_built_ms", "without_bytecode_ms", "as_built_cpu_ms", "without_bytecode_cpu_ms",
                        "samples_ms", "as_built_self_time_share"}
    assert row["module"] == function.handler.rpartition(".")[0]
    assert {mode: len(samples) for mode, samples in row["samples_ms"].items()} == {"as_built": 1,
                                                                                   "without_bytecode": 1}
    assert row["as_built_ms"] > 0 and row["without_bytecode_ms"] > 0
    assert row["as_built_cpu_ms"] > 0 and row["without_bytecode_cpu_ms"] > 0
    shares = row["as_built_self_time_share"]
    assert len(shares) == 9 and "other" in shares and "botocore" in shares  # the eight largest and the rest
    assert sum(shares.values()) == pytest.approx(1, abs=0.01)
    assert set(report["median_over_handlers_ms"]) == {"as_built", "without_bytecode"}
    # Measured with the Lambda runtime's Python version, whatever runs the bench.
    assert report["python"].rpartition(".")[0] == PYTHON_VERSION


def test_cold_import_needs_the_bundle(tmp_path: Path) -> None:
    with pytest.raises(BundleMissingError, match="make bundle"):
        bench.measure_cold_imports(ONBOARDING_FUNCTIONS[:1], repetitions=1, bundle=tmp_path)


def test_the_asset_is_measured_per_top_level_package(tmp_path: Path) -> None:
    files = {
        "lambdas/__init__.py": 100, "lambdas/handlers/validate.py": 50, "onboarding/models.py": 70,
        "botocore/data/s3/service-2.json": 1000, "six.py": 30, "_cffi_backend.cpython-312-x86_64-linux-gnu.so": 400,
        "boto3-1.44.5.dist-info/METADATA": 20, "six-1.17.0.dist-info/RECORD": 10,
    }
    for name, size in files.items():
        (tmp_path / name).parent.mkdir(parents=True, exist_ok=True)
        (tmp_path / name).write_bytes(b"x" * size)
    asset = bench.measure_asset(tmp_path)
    assert asset["packages_bytes"] == {"botocore": 1000, "_cffi_backend": 400, "lambdas": 150, "onboarding": 70,
                                       "six": 30, "*.dist-info": 30}
    assert (asset["bytes"], asset["files"]) == (1680, 8)
    assert 0 < asset["zip_bytes"] < asset["bytes"]  # 1,680 repeated bytes deflate well
    assert asset["functions"] == [function.name for function in ONBOARDING_FUNCTIONS]
    with pytest.raises(BundleMissingError, match="make bundle"):
        bench.measure_asset(tmp_path / "missing")


def test_the_sections_serialise_and_summarise(executions: dict[str, object], cold_import: dict[str, object],
                                              tmp_path: Path) -> None:
    (tmp_path / "lambdas").mkdir()
    (tmp_path / "lambdas" / "__init__.py").write_text("")
    sections = {
        "stepfunctions": executions,
        "lambda": {"cold_import_ms": {}, "cold_import": cold_import, "asset": bench.measure_asset(tmp_path)},
    }
    assert json.loads(json.dumps(sections)) == sections
    lines = bench.summary(sections)
    assert len(lines) == 1 + 2 + 3  # header, a row per scenario, mean, cold import, asset
    assert lines[1].split()[0] == CLEAN.name and lines[2].split()[0] == RETRIED.name
