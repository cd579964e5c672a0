"""``python -m tests.mutation [MODULE ...]`` (``make mutation``): mutmut over the security core, one module at a time.

For each target (:mod:`tests.mutation.targets`; all of them, or the ones named) a fresh work directory
``build/mutation/<module>/`` gets links to the repository's packages and tests and a ``pyproject.toml`` holding the
repository's pytest settings and ``[tool.mutmut]``, narrowed to the target (``only_mutate``, its package as
``source_paths``, its tests as ``pytest_add_cli_args_test_selection``). ``mutmut run`` runs there (its log:
``build/mutation/<module>/mutmut.log``) while a progress bar follows its verdicts. Then ``reports/mutation.json``
gets the module's entry (:func:`tests.mutation.results.summary`); running a subset updates only those entries.

Exit status: 0 when every module run scores at least ``--min-score`` (0.95) of its non-equivalent mutants;
1 when one scores lower; 2 when mutmut fails (its clean run fails, say) or the equivalents file is stale.
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import subprocess
import sys
import time
import tomllib
from pathlib import Path
from typing import Any

from rich.console import Console
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TaskID, TextColumn, TimeElapsedColumn

from tests.mutation.constants import constant_mutants, prepare_constants, run_constant_mutants
from tests.mutation.results import Mutant, StaleEquivalentError, load_equivalents, read_mutants, summary
from tests.mutation.targets import TARGETS, Target, target

ROOT = Path(__file__).resolve().parents[2]
WORK = ROOT / "build" / "mutation"
REPORT = ROOT / "reports" / "mutation.json"
# Data a package finds beside itself (contract.onboarding reads the ASL from state_machines/ next to contract/).
DATA = ("state_machines",)
console = Console(stderr=True)


def _toml_value(value: Any) -> str:
    # JSON strings, numbers, booleans and lists of them are valid TOML.
    return json.dumps(value)


def prepare(item: Target) -> Path:
    """A fresh work directory for ``item``: links to the packages and tests, and its own pyproject.toml."""
    workdir = WORK / item.slug
    shutil.rmtree(workdir, ignore_errors=True)
    workdir.mkdir(parents=True)
    (workdir / item.package).symlink_to(ROOT / item.package)
    (workdir / "tests").symlink_to(ROOT / "tests")
    for data in DATA:
        (workdir / data).symlink_to(ROOT / data)
    project = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))["tool"]
    mutmut = {
        **project["mutmut"],
        "source_paths": [item.package],
        "only_mutate": [item.path],
        "pytest_add_cli_args_test_selection": list(item.tests),
        "also_copy": [*project["mutmut"].get("also_copy", []), *DATA],
    }
    lines = ["[tool.pytest.ini_options]"]
    lines += [f"{key} = {_toml_value(value)}" for key, value in project["pytest"]["ini_options"].items()]
    lines += ["", "[tool.mutmut]"] + [f"{key} = {_toml_value(value)}" for key, value in mutmut.items()]
    (workdir / "pyproject.toml").write_text("\n".join(lines) + "\n", encoding="utf-8")
    return workdir


def _verdicts(meta: Path) -> tuple[int, int]:
    """(mutants with a verdict, mutants) so far, from mutmut's meta file (absent until mutants exist)."""
    try:
        codes = json.loads(meta.read_text(encoding="utf-8"))["exit_code_by_key"]
    except (OSError, ValueError, KeyError):
        return 0, 0
    return sum(1 for code in codes.values() if code is not None), len(codes)


def run_target(item: Target, workers: int, progress: Progress) -> tuple[dict[str, Any], float]:
    missing = [path for path in item.tests if not (ROOT / path.split("::")[0]).exists()]
    if missing:
        raise FileNotFoundError(f"{item.path}: test paths not found: {', '.join(missing)}")
    workdir = prepare(item)
    meta = workdir / "mutants" / f"{item.path}.meta"
    task = progress.add_task(item.path, total=None)
    started = time.monotonic()
    environment = {**os.environ, "PYTHONDONTWRITEBYTECODE": "1"}
    with (workdir / "mutmut.log").open("w", encoding="utf-8") as log:
        process = subprocess.Popen(
            [str(Path(sys.executable).with_name("mutmut")), "run", "--max-children", str(workers)],
            cwd=workdir, stdout=log, stderr=subprocess.STDOUT, env=environment)
        while process.poll() is None:
            done, total = _verdicts(meta)
            progress.update(task, completed=done, total=total or None)
            time.sleep(0.5)
    elapsed = time.monotonic() - started
    done, total = _verdicts(meta)
    progress.update(task, completed=done, total=total)
    if process.returncode != 0 or total == 0:
        raise RuntimeError(f"mutmut failed on {item.path} (exit {process.returncode}); see {workdir / 'mutmut.log'}")
    source = (ROOT / item.path).read_text(encoding="utf-8")
    mutants = read_mutants(workdir, item.path, source) + run_constants(item, workdir, source, progress, task)
    elapsed = time.monotonic() - started
    entry = summary(item.path, mutants, load_equivalents())
    entry["tests"] = list(item.tests)
    entry["seconds"] = round(elapsed, 1)
    return entry, elapsed


def run_constants(item: Target, workdir: Path, source: str, progress: Progress, task: TaskID) -> list[Mutant]:
    """The module-level constants' mutants (:mod:`tests.mutation.constants`), run after mutmut's."""
    made = constant_mutants(item.slug, source)
    if not made:
        return []
    done = progress.tasks[task].completed
    progress.update(task, total=done + len(made))
    clean = prepare_constants(workdir, item.package, item.tests)
    verdicts = []
    statuses = run_constant_mutants(workdir, item.path, made, item.tests, timeout=max(60.0, 10 * clean))
    for mutant, status in zip(made, statuses, strict=True):
        if status.startswith("error"):
            raise RuntimeError(f"pytest could not run on {mutant.name} ({status})")
        verdicts.append(Mutant(mutant.name, status, mutant.line, mutant.before, mutant.after))
        progress.advance(task)
    return verdicts


def _write(path: Path, report: dict[str, Any]) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(report, indent=2, ensure_ascii=False) + "\n", encoding="utf-8")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m tests.mutation", description=__doc__.split("\n\n")[0])
    parser.add_argument("modules", nargs="*", help="targets to run (default: all), e.g. workers/codec.py")
    parser.add_argument("--workers", type=int, default=int(os.environ.get("MUTATION_WORKERS", "1")),
                        help="mutmut --max-children (default 1, or MUTATION_WORKERS)")
    parser.add_argument("--min-score", type=float, default=0.95)
    parser.add_argument("--out", type=Path, default=REPORT)
    args = parser.parse_args(argv)
    chosen = [target(name) for name in args.modules] if args.modules else list(TARGETS)
    load_equivalents()  # a malformed file fails before minutes of mutation

    report: dict[str, Any] = {"modules": {}}
    if args.modules and args.out.exists():
        report = json.loads(args.out.read_text(encoding="utf-8"))
    started = time.monotonic()
    columns = (TextColumn("{task.description:<30}"), BarColumn(), MofNCompleteColumn(), TimeElapsedColumn())
    report["workers"] = args.workers
    report["tool"] = "mutmut 3.8.1"
    try:
        with Progress(*columns, console=console) as progress:
            for item in chosen:
                entry, _ = run_target(item, args.workers, progress)
                report["modules"][item.path] = entry
                _write(args.out, report)  # each module as it finishes: an interrupted run keeps what it measured
    except (RuntimeError, FileNotFoundError, StaleEquivalentError) as error:
        console.print(f"[red]{error}[/red]")
        return 2
    if not args.modules:
        report["seconds"] = round(time.monotonic() - started, 1)
    _write(args.out, report)

    low = []
    for path, entry in report["modules"].items():
        if path not in {item.path for item in chosen}:
            continue
        console.print(f"{path:<30} {entry['score']:7.1%}  {entry['mutants']:4d} mutants, {entry['killed']} killed, "
                      f"{entry['timed_out']} timed out, {entry['survived']} survived, {entry['no_tests']} untested, "
                      f"{entry['equivalent']} equivalent  ({entry['seconds']} s)")
        for mutant in entry["surviving"]:
            if "equivalent" not in mutant:
                console.print(f"    line {mutant['line']}: {mutant['change']}  [{mutant['status']}]", markup=False,
                              highlight=False)
        if entry["score"] < args.min_score:
            low.append(path)
    console.print(f"report: {args.out}")
    if low:
        console.print(f"[red]below {args.min_score:.0%}: {', '.join(low)}[/red]")
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
