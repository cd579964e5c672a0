"""mutmut's verdicts for one target, read back from its work directory, and the score with equivalents set aside.

mutmut (3.8) writes one ``mutants/<module>.meta`` JSON per mutated file: ``exit_code_by_key`` maps each mutant's
name (``<module>.x_<function>__mutmut_<n>``, or ``xǁ<Class>ǁ<method>`` for a method) to the exit code of the tests
run against it; :data:`mutmut.stats.status_by_exit_code` names those codes (``killed``, ``survived``, ``timeout``,
``no tests``, ...). The change of each mutant is mutmut's own diff of the function (``get_diff_for_mutant``).

Score = detected / (mutants - equivalent), where detected = killed + timed out (a mutant that makes the tests hang
is caught by the timeout) and every other verdict (survived, no tests) counts against it.
"""

from __future__ import annotations

import ast
import json
import os
import tomllib
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from mutmut.mutation.diff_apply import get_diff_for_mutant
from mutmut.stats import status_by_exit_code

EQUIVALENT_FILE = Path(__file__).with_name("equivalent.toml")
DETECTED = frozenset({"killed", "timeout", "caught by type check", "segfault"})


@dataclass(frozen=True)
class Mutant:
    name: str
    status: str
    line: int  # 1-based line of the original module the change is on
    before: str  # the original line (stripped)
    after: str  # the mutated line (stripped); "" when the mutant removes it

    @property
    def change(self) -> str:
        return f"{self.before} -> {self.after}"


@dataclass(frozen=True)
class Equivalent:
    mutant: str
    change: str
    reason: str


class StaleEquivalentError(RuntimeError):
    """An entry of the equivalents file no longer names a surviving mutant with that change."""


def load_equivalents(path: Path = EQUIVALENT_FILE) -> dict[str, Equivalent]:
    """``{mutant name: entry}`` from the equivalents file (``[[equivalent]]`` tables of mutant, change, reason)."""
    document = tomllib.loads(path.read_text(encoding="utf-8"))
    entries = [Equivalent(**entry) for entry in document.get("equivalent", [])]
    for entry in entries:
        if not entry.reason.strip() or "\n" in entry.reason:
            raise ValueError(f"{path.name}: {entry.mutant} needs a one-line reason")
    names = [entry.mutant for entry in entries]
    duplicates = sorted({name for name in names if names.count(name) > 1})
    if duplicates:
        raise ValueError(f"{path.name}: listed twice: {', '.join(duplicates)}")
    return {entry.mutant: entry for entry in entries}


@contextmanager
def _inside(directory: Path) -> Iterator[None]:
    previous = Path.cwd()
    os.chdir(directory)
    try:
        yield
    finally:
        os.chdir(previous)


def read_mutants(workdir: Path, module_path: str, source: str) -> list[Mutant]:
    """Every mutant of ``module_path`` with its verdict, from ``workdir/mutants`` (after ``mutmut run``)."""
    meta = json.loads((workdir / "mutants" / f"{module_path}.meta").read_text(encoding="utf-8"))
    spans = _function_spans(source)
    lines = source.splitlines()
    mutants = []
    with _inside(workdir):
        for name, exit_code in sorted(meta["exit_code_by_key"].items(), key=lambda item: _order(item[0])):
            before, after = _changed_lines(get_diff_for_mutant(name, path=module_path))
            function = name.rsplit(".", 1)[1].split("__mutmut_")[0]
            start, end = spans[function]
            line = next((number for number in range(start, end + 1) if lines[number - 1].strip() == before), start)
            mutants.append(Mutant(name, status_by_exit_code[exit_code], line, before, after))
    return mutants


def _order(name: str) -> tuple[str, int]:
    stem, _, number = name.rpartition("__mutmut_")
    return stem, int(number)


def _changed_lines(diff: str) -> tuple[str, str]:
    """The first removed line and the line that replaced it, stripped, from a unified diff."""
    removed = [line[1:].strip() for line in diff.splitlines() if line.startswith("-") and not line.startswith("---")]
    added = [line[1:].strip() for line in diff.splitlines() if line.startswith("+") and not line.startswith("+++")]
    return (removed[0] if removed else ""), (added[0] if added else "")


def _function_spans(source: str) -> dict[str, tuple[int, int]]:
    """mutmut's key of each top-level function and method (``x_name``, ``xǁClassǁname``) -> its line span."""
    spans: dict[str, tuple[int, int]] = {}
    tree = ast.parse(source)

    def span(node: ast.FunctionDef | ast.AsyncFunctionDef) -> tuple[int, int]:
        start = min([node.lineno, *(decorator.lineno for decorator in node.decorator_list)])
        return start, node.end_lineno or node.lineno

    for node in tree.body:
        if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef):
            spans[f"x_{node.name}"] = span(node)
        elif isinstance(node, ast.ClassDef):
            for method in node.body:
                if isinstance(method, ast.FunctionDef | ast.AsyncFunctionDef):
                    spans[f"xǁ{node.name}ǁ{method.name}"] = span(method)
    return spans


def summary(module_path: str, mutants: list[Mutant], equivalents: dict[str, Equivalent]) -> dict[str, Any]:
    """The report entry of one module; raises StaleEquivalentError when the equivalents file disagrees."""
    by_name = {mutant.name: mutant for mutant in mutants}
    prefix = module_path.removesuffix(".py").replace("/", ".") + "."
    listed = {name: entry for name, entry in equivalents.items() if name.startswith(prefix)}
    stale = []
    for name, entry in listed.items():
        mutant = by_name.get(name)
        if mutant is None or mutant.change != entry.change or mutant.status in DETECTED:
            found = "absent" if mutant is None else f"{mutant.status}: {mutant.change}"
            stale.append(f"{name} (listed: {entry.change}; now {found})")
    if stale:
        raise StaleEquivalentError(f"{module_path}: stale entries in {EQUIVALENT_FILE.name}: " + "; ".join(stale))
    counts = {status: sum(1 for m in mutants if m.status == status) for status in sorted({m.status for m in mutants})}
    detected = sum(1 for m in mutants if m.status in DETECTED)
    scored = len(mutants) - len(listed)
    surviving = [m for m in mutants if m.status not in DETECTED]
    return {
        "mutants": len(mutants),
        "killed": counts.get("killed", 0),
        "survived": counts.get("survived", 0),
        "timed_out": counts.get("timeout", 0),
        "no_tests": counts.get("no tests", 0),
        "equivalent": len(listed),
        "score": round(detected / scored, 4) if scored else 1.0,
        "statuses": counts,
        "surviving": [
            {"mutant": m.name, "status": m.status, "line": m.line, "change": m.change,
             **({"equivalent": listed[m.name].reason} if m.name in listed else {})}
            for m in surviving
        ],
    }
