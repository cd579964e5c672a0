"""Acceptance of ``make demo``: two real runs per session (``python -m comparison.demo`` in a subprocess, as make
runs it), then what they must show: the same cost figures twice, every section filled, the page rendered by a real
browser; and interrupted runs leave no process behind."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import IO, Any

import pytest

from comparison.audit.exposure import CHANNELS, DurableChannel, StepFunctionsChannel, TemporalChannel
from comparison.demo import CHECKOV
from comparison.models import Engine
from contract.profile import Profile
from infra.compliance.gates import PACKS
from infra.compliance.report import EGRESS_MODES
from scenarios import SCENARIOS
from tests.comparison.page import open_report

ROOT = Path(__file__).resolve().parents[2]
DEMO = [sys.executable, "-m", "comparison.demo"]


@dataclass(frozen=True)
class DemoRun:
    returncode: int
    output: str
    report: dict[str, Any]
    out: Path


def run_demo(out: Path) -> DemoRun:
    # No compliance summary: the demo must not depend on `make synth` having run.
    result = subprocess.run([*DEMO, "--out", str(out), "--compliance", str(out / "absent.json")], cwd=ROOT,
                            capture_output=True, text=True, timeout=600, check=False)
    report = json.loads((out / "comparison.json").read_text()) if (out / "comparison.json").exists() else {}
    return DemoRun(result.returncode, result.stdout + result.stderr, report, out)


@pytest.fixture(scope="module")
def demo(tmp_path_factory: pytest.TempPathFactory) -> DemoRun:
    return run_demo(tmp_path_factory.mktemp("demo"))


@pytest.fixture(scope="module")
def demo_again(demo: DemoRun, tmp_path_factory: pytest.TempPathFactory) -> DemoRun:
    """A second run on the same commit, after the first."""
    return run_demo(tmp_path_factory.mktemp("demo-again"))


def test_the_demo_succeeds_and_writes_the_three_reports(demo: DemoRun) -> None:
    assert demo.returncode == 0, demo.output
    for name in ("comparison.json", "comparison.md", "comparison.html"):
        assert (demo.out / name).stat().st_size > 0, name
    html = (demo.out / "comparison.html").read_text()
    assert "<svg" in html and "<script" not in html


def test_every_scenario_is_in_parity_in_both_profiles(demo: DemoRun) -> None:
    scenarios = demo.report["scenarios"]
    assert [s["name"] for s in scenarios] == [s.name for s in SCENARIOS]
    assert demo.report["engines"] == [engine.value for engine in Engine]
    for scenario in scenarios:
        assert scenario["parity"], scenario["name"]
        assert set(scenario["runs"]) == {engine.value for engine in Engine}
        for runs in scenario["runs"].values():
            assert set(runs) == {profile.value for profile in Profile}
        assert all(result["parity"] for result in scenario["parity_by_profile"].values()), scenario["name"]


def test_every_run_used_its_own_application_id(demo: DemoRun) -> None:
    ids = [run["business_id"] for s in demo.report["scenarios"] for runs in s["runs"].values()
           for run in runs.values()]
    assert len(ids) == len(set(ids)) == len(SCENARIOS) * len(Engine) * len(Profile)
    assert not {s.application_id for s in SCENARIOS} & set(ids)


def test_hardened_stores_no_plaintext_on_any_engine(demo: DemoRun) -> None:
    for engine in Engine:
        audit = demo.report["exposure"][engine.value]["hardened"]
        assert audit["total_hits"] == 0, engine
        assert audit["executions"] == len(SCENARIOS)
    temporal = demo.report["exposure"]["temporal"]["hardened"]["channels"]
    assert temporal[TemporalChannel.WORKFLOW_INPUT]["ciphertext_payloads"] >= len(SCENARIOS)
    assert temporal[TemporalChannel.FAILURES]["ciphertext_payloads"] > 0  # encoded failures, not absent ones
    durable = demo.report["exposure"]["durable"]["hardened"]["channels"]
    assert durable[DurableChannel.OPERATION_DATA]["ciphertext_payloads"] >= len(SCENARIOS)  # sealed, not absent


# Where each engine's baseline shows the application beyond its input: Temporal and Step Functions in their failures
# (an exception's text); the durable function's errors carry codes in both profiles, its step results do not.
@pytest.mark.parametrize(("engine", "errors"), [(Engine.TEMPORAL, TemporalChannel.FAILURES),
                                                (Engine.STEPFUNCTIONS, StepFunctionsChannel.ERRORS_CAUSES),
                                                (Engine.DURABLE, DurableChannel.OPERATION_DATA)])
def test_baseline_shows_plaintext_on_every_engine_beyond_its_input(
    demo: DemoRun, engine: Engine, errors: TemporalChannel | StepFunctionsChannel | DurableChannel
) -> None:
    audit = demo.report["exposure"][engine.value]["baseline"]
    assert audit["total_hits"] > 0
    assert audit["channels"][errors.value]["plaintext_hits"] > 0
    # Hits name where and which value (by label), never the value.
    values = {value for s in SCENARIOS for value in s.searchable_pii()}
    assert not [v for v in values if v in json.dumps(demo.report)]


def test_the_report_has_the_documented_keys(demo: DemoRun) -> None:
    for scenario in demo.report["scenarios"]:
        assert {"name", "expected", "runs", "parity", "parity_by_profile"} <= scenario.keys()
    for engine in Engine:
        for profile in Profile:
            audit = demo.report["exposure"][engine.value][profile.value]
            assert isinstance(audit["total_hits"], int)
            for channel in CHANNELS[engine]:
                assert isinstance(audit["channels"][channel.value]["plaintext_hits"], int)
        cost = demo.report["cost"]["engines"][engine.value]
        assert cost["per_execution"] and cost["usd_per_million_executions"] > 0 and cost["price_table_date"]


def test_the_demo_shows_progress_and_the_side_by_side_table(demo: DemoRun) -> None:
    results = [line for line in demo.output.splitlines() if line.rstrip().endswith((" ok", "UNEXPECTED"))]
    assert len(results) == len(SCENARIOS) * len(Engine) * len(Profile)
    assert all(line.rstrip().endswith(" ok") for line in results)
    assert f"parity: {len(SCENARIOS)}/{len(SCENARIOS)} scenarios" in demo.output
    assert "the synthesized StepFunctions stack template" in demo.output  # what deploys is what ran
    assert any("moto emits no execution log events" in note for note in demo.report["notes"])


# The usage an execution's path decides. On a loaded machine a transient error (a local AWS call refused under load)
# can make one run retry a step the other did not: its report counts the extra attempt, rightly. Sizes follow the
# counts; a size that moved on its own would be a machine-dependent input leaking into the cost.
PATH_COUNTS = {
    "temporal": {"actions", "actions.activity_attempts"},
    "stepfunctions": {"state_transitions", "retries", "lambda_invocations"},
    "durable": {"durable_operations", "lambda_invocations"},
}
PATH_SIZES = {"temporal": {"history_bytes"}, "stepfunctions": set(), "durable": {"data_written_bytes"}}


def test_two_runs_give_the_same_cost_section_byte_for_byte(demo: DemoRun, demo_again: DemoRun) -> None:
    # Both runs in parity first: a run whose execution went another way (a review answered too late on a loaded
    # machine) counts other usage, rightly.
    assert demo.returncode == 0, demo.output
    assert demo_again.returncode == 0, demo_again.output
    first, second = (run.report["cost"] for run in (demo, demo_again))
    usage = {engine: (first["engines"][engine]["per_execution"], second["engines"][engine]["per_execution"])
             for engine in first["engines"]}
    retried = {engine for engine, (one, other) in usage.items() if one != other}
    if not retried:  # the same executions: the same section, byte for byte
        assert json.dumps(first, indent=2) == json.dumps(second, indent=2)
    for engine in retried:  # one run retried a step: only its path's figures moved, by whole attempts
        one, other = usage[engine]
        moved = {name for name in one.keys() | other.keys() if one.get(name) != other.get(name)}
        assert moved <= PATH_COUNTS[engine] | PATH_SIZES[engine], (engine, moved)
        assert moved & PATH_COUNTS[engine], (engine, "a size moved while every count stayed the same")
        for name in moved & PATH_COUNTS[engine]:
            attempts = (other[name] - one[name]) * len(SCENARIOS)  # per-execution means over the corpus
            assert attempts == round(attempts), (engine, name, attempts)
    for engine in usage.keys() - retried:
        assert first["engines"][engine] == second["engines"][engine], engine
    for part in ("volumes", "price_table", "config", "assumptions"):  # the inputs that are not counted
        assert first[part] == second[part], part
    # ... while what the machine timed differs (each run its own ids and durations): the cost reads none of it.
    assert demo.report["scenarios"] != demo_again.report["scenarios"]
    counted = demo.report["cost"]["engines"]
    assert counted["temporal"]["per_execution"]["actions"] > 0
    assert counted["stepfunctions"]["per_execution"]["state_transitions"] > 0
    assert counted["durable"]["per_execution"]["durable_operations"] > 0
    assert {entry["name"] for entry in demo.report["cost"]["assumptions"]["entries"]} >= {
        "stepfunctions.lambda_billed_ms_per_invocation", "temporal.open_hours_per_execution"}
    assert set(demo.report["cost"]["sensitivity"]) == {"low", "typical", "high"}


def test_the_access_section_comes_from_the_synthesized_templates(demo: DemoRun) -> None:
    access = demo.report["access"]
    assert access["source"].startswith("synthesized templates (egress mode ")
    for engine in Engine:
        stores = access[engine.value]["stores"]
        assert stores and all(store["readers"] for store in stores), engine
    [payloads] = [s for s in access["temporal"]["stores"] if s["store"] == "payloads in the Temporal service"]
    assert payloads["operator"] == {**payloads["operator"], "name": "Temporal Cloud", "holds_key": False}
    assert access["temporal"]["operator_holds_key"] is False
    assert access["stepfunctions"]["operator_holds_key"] is True


def test_the_compliance_section_is_filled_on_a_fresh_clone(demo: DemoRun) -> None:
    """Without `make synth`: cdk-nag from the demo's own synthesis, the other gates run or named with their command."""
    compliance = demo.report["compliance"]
    mode = demo.report["access"]["source"].split("egress mode ")[1].rstrip(")")
    assert compliance["stacks"] and all(stack["stack"].endswith(f"({mode})") for stack in compliance["stacks"])
    assert {pack["pack"] for stack in compliance["stacks"] for pack in stack["packs"]} == set(PACKS)
    ran = {tool["tool"] for tool in compliance["tools"]}
    missing = {gate["gate"]: gate for gate in compliance["missing"]}
    assert "cfn-lint" in ran
    assert ("checkov" in ran) == CHECKOV.exists() and ("checkov" in missing) != CHECKOV.exists()
    others = [m for m in EGRESS_MODES if m != mode]
    assert [name for name in missing if "egress mode" in name] == [
        f"cdk-nag, cfn-lint and checkov on egress mode {m}" for m in others]
    assert all(gate["how"].startswith("make ") for gate in missing.values())
    html = (demo.out / "comparison.html").read_text()
    assert "No compliance summary" not in html and "No access surface" not in html and "No cost model" not in html


def test_every_section_renders_in_a_real_browser_without_console_errors(demo: DemoRun) -> None:
    page = open_report(demo.out / "comparison.html")
    assert page.errors == []
    assert page.sections == ["parity", "exposure", "cost", "access", "compliance", "notes"]
    for section, size in page.section_sizes.items():
        assert size["height"] > 20 and size["text"] > 20, (section, size)  # laid out, and not empty
    assert len(page.chart_widths) == 2 and min(page.chart_widths) > 100
    stores = sum(len(demo.report["access"][engine.value]["stores"]) for engine in Engine)
    assert page.matrix_cells == stores * (len(demo.report["access"]["principals"]) + 1)  # + the operator row
    assert page.sensitivity_rows == len(demo.report["cost"]["sensitivity"]) * len(Engine)


# --- interruption --------------------------------------------------------------------------------------------------


def _processes() -> dict[int, tuple[int, str]]:
    """pid -> (parent pid, start time) of every process, from /proc."""
    found = {}
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            try:
                fields = (entry / "stat").read_text().rsplit(")", 1)[1].split()
            except OSError:
                continue
            found[int(entry.name)] = (int(fields[1]), fields[19])
    return found


def descendants(root: int) -> dict[int, str]:
    """Every process below ``root`` (children in their own sessions included), with its start time."""
    table = _processes()
    found: dict[int, str] = {}
    frontier = [root]
    while frontier:
        parent = frontier.pop()
        for pid, (ppid, started) in table.items():
            if ppid == parent and pid not in found:
                found[pid] = started
                frontier.append(pid)
    return found


def alive(processes: dict[int, str]) -> list[int]:
    table = _processes()
    return [pid for pid, started in processes.items() if pid in table and table[pid][1] == started]


@pytest.fixture
def started_demo(tmp_path: Path) -> Iterator[subprocess.Popen[str]]:
    process = subprocess.Popen([*DEMO, "--out", str(tmp_path)], cwd=ROOT, stdout=subprocess.PIPE,
                               stderr=subprocess.STDOUT, text=True, start_new_session=True)
    try:
        yield process
    finally:
        if process.poll() is None:  # the test failed before interrupting it
            os.killpg(process.pid, signal.SIGKILL)
            process.wait()
        assert process.stdout is not None
        process.stdout.close()


def read_until(stream: IO[str], marker: str) -> list[str]:
    lines = []
    for line in stream:
        lines.append(line)
        if marker in line:
            return lines
    raise AssertionError(f"the demo ended before printing {marker!r}:\n{''.join(lines)}")


def command(pid: int) -> bytes:
    try:
        return Path(f"/proc/{pid}/cmdline").read_bytes()
    except OSError:  # ended meanwhile
        return b""


def wait_for(condition: Callable[[], bool], attempts: int = 300) -> None:
    for _ in range(attempts):
        if condition():
            return
        time.sleep(0.1)
    raise AssertionError("condition never held")


@pytest.mark.parametrize(
    ("sig", "marker", "expect"),
    [
        # During synthesis: the dev server, both workers and the CDK's node process are up.
        (signal.SIGTERM, "synthesizing the CDK app", "node"),
        # During the runs: Step Functions executions in flight in a thread, Temporal workflows running.
        (signal.SIGINT, "temporal/", "temporal"),
    ],
    ids=["sigterm-during-synth", "sigint-during-runs"],
)
def test_an_interrupted_demo_leaves_no_process_behind(
    started_demo: subprocess.Popen[str], sig: signal.Signals, marker: str, expect: str
) -> None:
    assert started_demo.stdout is not None
    read_until(started_demo.stdout, marker)

    def children_up() -> bool:
        commands = [command(pid) for pid in alive(descendants(started_demo.pid))]
        workers = sum(b"-m\x00workers" in c for c in commands)  # one per profile
        return workers == len(Profile) and any(expect.encode() in c for c in commands)

    wait_for(children_up)
    children = descendants(started_demo.pid)
    started_demo.send_signal(sig)
    output, _ = started_demo.communicate(timeout=300)  # a bound for a loaded machine, not a measurement
    assert started_demo.returncode == 130, output
    assert "interrupted: every process the demo started has been stopped" in output
    assert alive(children) == []
