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
import json
import os
import re
import shutil
import signal
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
                for changed in sorted({number - 1, number + 1} - {number, -1}):
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


# Third-party modules the tests import, loaded once before forking so each mutant's run skips their import time.
# None of the repository's packages: each forked run must import the target module afresh, with its mutant.
_PRELOAD = ("pytest", "pytest_asyncio", "hypothesis", "pydantic", "cryptography.hazmat.primitives.ciphers.aead",
            "boto3", "botocore", "moto", "temporalio.client", "temporalio.converter", "phonenumbers",
            "email_validator", "stdnum.us.ssn")


def run_constant_mutants(workdir: Path, module_path: str, mutants: list[ConstantMutant], tests: tuple[str, ...],
                         timeout: float) -> Iterator[str]:
    """The verdict (``killed``, ``survived``, ``timeout``) of the target's tests on each mutant, in order.

    A helper process (``python -m tests.mutation.constants``) runs in ``workdir/constants``, which holds copies of
    the package and the tests, so the copy shadows the installed package (the current directory comes first on
    ``sys.path``); it forks one pytest run per mutant after writing the mutant into the copy."""
    scratch = workdir / "constants"
    sources = scratch / "mutants.json"
    sources.write_text(json.dumps([mutant.source for mutant in mutants]), encoding="utf-8")
    with subprocess.Popen(
        [sys.executable, "-m", "tests.mutation.constants", module_path, str(timeout), *tests],
        cwd=scratch, stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True,
        # A mutant the size of the original, written within the same second, must never run from a stale .pyc.
        env={**os.environ, "PYTHONDONTWRITEBYTECODE": "1"},
    ) as helper:
        assert helper.stdout is not None
        for line in helper.stdout:
            yield line.strip()
    (scratch / module_path).write_text((workdir / module_path).read_text(encoding="utf-8"), encoding="utf-8")
    if helper.returncode != 0:
        raise RuntimeError(f"the constants' helper failed on {module_path} (exit {helper.returncode})")


def _helper(module_path: str, timeout: float, tests: list[str]) -> int:
    """In ``workdir/constants``: one forked pytest run per mutant of ``mutants.json``; prints each verdict."""
    import importlib

    for name in _PRELOAD:
        importlib.import_module(name)
    import pytest

    target = Path(module_path)
    original = target.read_text(encoding="utf-8")
    for source in json.loads(Path("mutants.json").read_text(encoding="utf-8")):
        target.write_text(source, encoding="utf-8")
        child = os.fork()
        if child == 0:  # pragma: no cover - the forked run
            os.dup2(os.open(os.devnull, os.O_WRONLY), 1)
            os.dup2(os.open(os.devnull, os.O_WRONLY), 2)
            os._exit(int(pytest.main(["-x", "-q", "-p", "no:cacheprovider", "--rootdir=.", *tests])))
        deadline = time.monotonic() + timeout
        while (waited := os.waitpid(child, os.WNOHANG))[0] == 0 and time.monotonic() < deadline:
            time.sleep(0.05)
        if waited[0] == 0:
            os.kill(child, signal.SIGKILL)
            os.waitpid(child, 0)
            verdict = "timeout"
        else:
            code = os.waitstatus_to_exitcode(waited[1])
            # failed, interrupted (an import error), internal error; 0 passed; anything else is a broken run
            verdict = "killed" if code in {1, 2, 3} else "survived" if code == 0 else f"error {code}"
        print(verdict, flush=True)
    target.write_text(original, encoding="utf-8")
    return 0


def prepare_constants(workdir: Path, package: str, tests: tuple[str, ...]) -> float:
    """Copy the package and the tests into ``workdir/constants``; return the seconds of one clean run of the tests,
    which must pass (or every mutant would look killed)."""
    scratch = workdir / "constants"
    shutil.rmtree(scratch, ignore_errors=True)
    scratch.mkdir()
    shutil.copytree(workdir / package, scratch / package, ignore=shutil.ignore_patterns("__pycache__"))
    shutil.copytree(workdir / "tests", scratch / "tests", ignore=shutil.ignore_patterns("__pycache__"))
    shutil.copy(workdir / "pyproject.toml", scratch / "pyproject.toml")
    for data in ("state_machines",):  # what a package finds beside itself (see tests.mutation.__main__.DATA)
        shutil.copytree(workdir / data, scratch / data)
    started = time.monotonic()
    completed = subprocess.run(
        [sys.executable, "-m", "pytest", "-x", "-q", "-p", "no:cacheprovider", "--rootdir=.", *tests],
        cwd=scratch, capture_output=True, check=False, env={**os.environ, "PYTHONDONTWRITEBYTECODE": "1"})
    if completed.returncode != 0:
        raise RuntimeError(f"the clean run of {', '.join(tests)} failed in {scratch}: "
                           + completed.stdout.decode(errors="replace")[-2000:])
    return time.monotonic() - started


if __name__ == "__main__":
    sys.exit(_helper(sys.argv[1], float(sys.argv[2]), sys.argv[3:]))
