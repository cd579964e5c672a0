"""Mutants of module-level constants, which mutmut cannot make.

mutmut 3.8 mutates only inside top-level functions and methods: each mutant is a variant of one function behind a
trampoline chosen at call time, and a module-level statement runs once, at import, before any mutant is chosen
(``mutmut.mutation.file_mutation.combine_mutations_to_source`` copies it unchanged). The format constants, limits and
patterns of the security core live at module level on purpose (they are public names other packages import), so
``make mutation`` makes their mutants itself, with mutmut's own operators, and runs the target's tests once per mutant
on a copy of the package that holds the change:

- a number ``n`` -> ``n + 1`` and ``n - 1`` (mutmut makes ``n + 1`` only; the limits need both sides checked);
- a number inside a regular expression's repetition (``\\d{13,19}``) -> one more and one fewer;
- a string or bytes literal -> ``"XX" + s + "XX"`` (mutmut's string operator).

Named ``<module>.<CONSTANT>__const_<n>`` (``n`` counts the mutants of that assignment), stable while it is unchanged.
"""

from __future__ import annotations

import ast
import re
import shutil
import subprocess
import sys
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

_REPEAT = re.compile(r"\{(\d+)(?:,(\d+))?\}")


@dataclass(frozen=True)
class ConstantMutant:
    name: str
    line: int
    before: str  # the original line (stripped)
    after: str  # the mutated line (stripped)
    source: str  # the whole mutated module


def _targets(node: ast.Assign | ast.AnnAssign) -> str:
    names = node.targets if isinstance(node, ast.Assign) else [node.target]
    return "_".join(target.id for target in names if isinstance(target, ast.Name)) or "constant"


def _replacements(constant: ast.Constant) -> Iterator[object]:
    value = constant.value
    if isinstance(value, bool) or value is None:
        return
    if isinstance(value, int | float):
        yield value + 1
        yield value - 1
    elif isinstance(value, str | bytes):
        text = value if isinstance(value, str) else value.decode("latin-1")
        for match in _REPEAT.finditer(text):
            for group in (1, 2):
                if match.group(group) is None:
                    continue
                start, end = match.span(group)
                number = int(match.group(group))
                for changed in {number + 1, max(number - 1, 0)} - {number}:
                    new = text[:start] + str(changed) + text[end:]
                    yield new if isinstance(value, str) else new.encode("latin-1")
        yield "XX" + value + "XX" if isinstance(value, str) else b"XX" + value + b"XX"


def constant_mutants(module: str, source: str) -> list[ConstantMutant]:
    """Every mutant of the module-level assignments of ``source`` (``module`` is its dotted name)."""
    tree = ast.parse(source)
    lines = source.splitlines(keepends=True)
    offsets = [0]
    for line in lines:
        offsets.append(offsets[-1] + len(line.encode()))
    raw = source.encode()
    mutants = []
    for statement in tree.body:
        if not isinstance(statement, ast.Assign | ast.AnnAssign) or statement.value is None:
            continue
        count = 0
        for node in ast.walk(statement.value):
            if not isinstance(node, ast.Constant) or node.end_lineno is None or node.end_col_offset is None:
                continue
            start = offsets[node.lineno - 1] + node.col_offset
            end = offsets[node.end_lineno - 1] + node.end_col_offset
            for replacement in _replacements(node):
                count += 1
                mutated = (raw[:start] + repr(replacement).encode() + raw[end:]).decode()
                number = node.lineno
                mutants.append(ConstantMutant(
                    name=f"{module}.{_targets(statement)}__const_{count}", line=number,
                    before=lines[number - 1].strip(), after=mutated.splitlines()[number - 1].strip(), source=mutated))
    return mutants


def run_constant_mutant(workdir: Path, module_path: str, mutant: ConstantMutant, tests: tuple[str, ...],
                        timeout: float) -> str:
    """The verdict (``killed``, ``survived``, ``timeout``) of the target's tests on a copy holding ``mutant``.

    ``workdir/constants`` holds a copy of the package and the tests; pytest runs there, so the copy shadows the
    installed package (the current directory comes first on ``sys.path``)."""
    scratch = workdir / "constants"
    target = scratch / module_path
    target.write_text(mutant.source, encoding="utf-8")
    try:
        completed = subprocess.run(
            [sys.executable, "-m", "pytest", "-x", "-q", "-p", "no:cacheprovider", "--rootdir=.", *tests],
            cwd=scratch, capture_output=True, timeout=timeout, check=False)
    except subprocess.TimeoutExpired:
        return "timeout"
    finally:
        target.write_text((workdir / module_path).read_text(encoding="utf-8"), encoding="utf-8")
    if completed.returncode in {1, 2, 3}:  # failed, interrupted (an import error), internal error
        return "killed"
    if completed.returncode == 0:
        return "survived"
    raise RuntimeError(f"pytest exited {completed.returncode} on {mutant.name}: "
                       + completed.stdout.decode(errors="replace")[-2000:])


def prepare_constants(workdir: Path, package: str, tests: tuple[str, ...]) -> float:
    """Copy the package and the tests into ``workdir/constants``; return the seconds of one clean run of the tests,
    which must pass (or every mutant would look killed)."""
    scratch = workdir / "constants"
    shutil.rmtree(scratch, ignore_errors=True)
    scratch.mkdir()
    shutil.copytree(workdir / package, scratch / package, ignore=shutil.ignore_patterns("__pycache__"))
    shutil.copytree(workdir / "tests", scratch / "tests", ignore=shutil.ignore_patterns("__pycache__"))
    shutil.copy(workdir / "pyproject.toml", scratch / "pyproject.toml")
    started = time.monotonic()
    completed = subprocess.run(
        [sys.executable, "-m", "pytest", "-x", "-q", "-p", "no:cacheprovider", "--rootdir=.", *tests],
        cwd=scratch, capture_output=True, check=False)
    if completed.returncode != 0:
        raise RuntimeError(f"the clean run of {', '.join(tests)} failed in {scratch}: "
                           + completed.stdout.decode(errors="replace")[-2000:])
    return time.monotonic() - started
