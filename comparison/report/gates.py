"""The template gates the demo can run on its own synthesis, without ``make synth``: cfn-lint and checkov.

Each runs as a subprocess in the background (:func:`start_gates`, at the lowest CPU priority) while the engines
run; :meth:`RunningGates.results` waits for them and returns a :class:`~comparison.report.compliance.ToolResult` per
tool that ran and a :class:`~comparison.report.compliance.MissingGate` per tool that could not, saying how to run it.
The commands and options are those of ``make synth`` (cfn-lint ignores W3005, as there; checkov on the
CloudFormation framework).
"""

from __future__ import annotations

import contextlib
import json
import os
import subprocess
import sys
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from comparison.report.compliance import MissingGate, ToolResult

GATE_TIMEOUT_SECONDS = 600
CFN_LINT_IGNORED = ("W3005",)  # as in `make synth`: DependsOn already implied (CDK writes both)


@dataclass
class RunningGates:
    processes: dict[str, subprocess.Popen[str]] = field(default_factory=dict)
    templates: int = 0
    missing: list[MissingGate] = field(default_factory=list)

    def results(self, timeout: float = GATE_TIMEOUT_SECONDS) -> tuple[list[ToolResult], list[MissingGate]]:
        tools: list[ToolResult] = []
        missing = list(self.missing)
        for name, process in self.processes.items():
            try:
                output, errors = process.communicate(timeout=timeout)
            except subprocess.TimeoutExpired:
                process.kill()
                process.communicate()
                missing.append(MissingGate(gate=name, why=f"did not finish within {timeout:.0f} s",
                                           how="make synth (runs it on both egress modes)"))
                continue
            parsed = _PARSERS[name](output, self.templates)
            if parsed is None:
                missing.append(MissingGate(gate=name, why=f"unreadable output (exit status {process.returncode}): "
                                           + (errors.strip().splitlines() or ["no message"])[-1][:200],
                                           how="make synth (runs it on both egress modes)"))
            else:
                tools.append(parsed)
        return tools, missing

    def stop(self) -> None:
        for process in self.processes.values():
            if process.poll() is None:
                process.kill()
                process.communicate()


def start_gates(templates: dict[str, dict[str, Any]], directory: Path, *, checkov: Path) -> RunningGates:
    """Write ``templates`` (stack id -> template) into ``directory`` and start cfn-lint and checkov on them."""
    directory.mkdir(parents=True, exist_ok=True)
    paths = []
    for stack, template in templates.items():
        path = directory / f"{stack}.template.json"
        path.write_text(json.dumps(template), encoding="utf-8")
        paths.append(path)
    running = RunningGates(templates=len(paths))
    cfn_lint = Path(sys.executable).with_name("cfn-lint")
    if cfn_lint.exists():
        running.processes["cfn-lint"] = _start([str(cfn_lint), "--format", "json", "--non-zero-exit-code", "none",
                                                "--ignore-checks", *CFN_LINT_IGNORED, "--", *map(str, paths)])
    else:
        running.missing.append(MissingGate(gate="cfn-lint", why=f"not installed beside {sys.executable}",
                                           how="make install (the dev extra), then make demo"))
    if checkov.exists():
        running.processes["checkov"] = _start([str(checkov), "-d", str(directory), "--framework", "cloudformation",
                                               "--compact", "--quiet", "--skip-download", "-o", "json"])
    else:
        running.missing.append(MissingGate(gate="checkov", why=f"not installed at {checkov} (it lives in its own "
                                           "virtual environment)",
                                           how="make checkov (installs it), then make demo; make synth runs it too"))
    return running


def _start(command: Sequence[str]) -> subprocess.Popen[str]:
    process = subprocess.Popen(command, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)  # noqa: S603
    # At the lowest CPU priority: the gates must never slow down the executions running beside them (a review
    # answered late times out). Set from here rather than in the child: the demo's process has threads.
    with contextlib.suppress(ProcessLookupError):  # already ended: nothing to slow down
        os.setpriority(os.PRIO_PROCESS, process.pid, 19)
    return process


def cfn_lint_result(output: str, templates: int) -> ToolResult | None:
    try:
        matches = json.loads(output or "[]")
    except json.JSONDecodeError:
        return None
    if not isinstance(matches, list):
        return None
    levels = [str(match.get("Level", "")) for match in matches]
    failing = {str(match.get("Filename")) for match in matches if match.get("Level") == "Error"}
    return ToolResult(tool="cfn-lint", passed=templates - len(failing), failed=len(failing),
                      detail=f"{templates} templates: {levels.count('Error')} errors, {levels.count('Warning')} "
                             f"warnings, {levels.count('Informational')} informational (W3005 ignored)")


def checkov_result(output: str, templates: int) -> ToolResult | None:
    try:
        data = json.loads(output or "null")
    except json.JSONDecodeError:
        return None
    reports = data if isinstance(data, list) else [data]
    summaries = [report.get("summary", {}) for report in reports if isinstance(report, dict)]
    if not summaries:
        return None
    total = {key: sum(int(summary.get(key, 0)) for summary in summaries) for key in ("passed", "failed", "skipped")}
    resources = sum(int(summary.get("resource_count", 0)) for summary in summaries)
    unparsed = sum(int(summary.get("parsing_errors", 0)) for summary in summaries)
    version = next((str(s["checkov_version"]) for s in summaries if s.get("checkov_version")), "")
    return ToolResult(tool="checkov", **total, detail=(
        f"{templates} templates, {resources} resources, CloudFormation checks"
        + (f", {unparsed} templates not parsed" if unparsed else "") + (f" (checkov {version})" if version else "")))


_PARSERS = {"cfn-lint": cfn_lint_result, "checkov": checkov_result}
