"""The comparison's own import rules: a platform that knows no domain, and no sideways imports inside it.

The platform (models, parity, histories, audit, cost, report) compares plain facts of any engines; only the binding
(``comparison.onboarding``), the engine drivers and the entry points may name the onboarding process.
"""

from __future__ import annotations

import ast
import subprocess
import sys
from pathlib import Path

import pytest

from comparison.models import Engine
from comparison.onboarding import FACTS

ROOT = Path(__file__).resolve().parents[2]
COMPARISON = ROOT / "comparison"
PLATFORM = ("comparison.models", "comparison.parity", "comparison.histories", "comparison.audit", "comparison.cost",
            "comparison.report", "comparison.access")
# The domain, and every module that names the onboarding process.
DOMAIN = ("onboarding", "scenarios", "contract.onboarding", "workers.registration", "lambdas.registration",
          "local.onboarding", "ops", "infra.onboarding")
# Modules that render or compare: engines and facts come to them as data.
GENERIC = ("parity.py", "report/model.py", "report/formatting.py", "report/text.py", "report/html.py",
           "report/assemble.py", "report/write.py", "report/access.py", "access/surface.py", "access/evaluate.py",
           "access/services.py", "access/model.py")


def _module(path: Path) -> str:
    parts = path.relative_to(ROOT).with_suffix("").parts
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def platform_modules() -> list[str]:
    found = [_module(path) for path in sorted(COMPARISON.rglob("*.py"))]
    modules = [m for m in found if any(m == p or m.startswith(p + ".") for p in PLATFORM)]
    assert {"comparison.audit.pii", "comparison.cost.compare", "comparison.report.html",
            "comparison.access.evaluate"} <= set(modules)
    return modules


def imports_of(path: Path) -> set[str]:
    names: set[str] = set()
    for node in ast.walk(ast.parse(path.read_text(), filename=str(path))):
        if isinstance(node, ast.Import):
            names.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            names.add(node.module)
            names.update(f"{node.module}.{alias.name}" for alias in node.names)
    return names


def _within(name: str, packages: tuple[str, ...]) -> bool:
    return any(name == package or name.startswith(package + ".") for package in packages)


def test_importing_the_platform_loads_nothing_of_the_domain() -> None:
    """Directly or through anything it imports, at run time: checked on a fresh interpreter's sys.modules."""
    code = (
        "import importlib, sys\n"
        f"for name in {platform_modules()!r}:\n"
        "    importlib.import_module(name)\n"
        f"domain = {DOMAIN!r}\n"
        "print('\\n'.join(sorted(m for m in sys.modules if any(m == d or m.startswith(d + '.') for d in domain))))\n"
    )
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True, cwd=ROOT)
    assert result.stdout.strip() == ""


def test_the_cost_model_does_not_import_the_audit() -> None:
    for path in (COMPARISON / "cost").rglob("*.py"):
        assert not {name for name in imports_of(path) if _within(name, ("comparison.audit",))}, path


def test_the_html_renderer_does_not_import_the_text_renderer() -> None:
    assert not {name for name in imports_of(COMPARISON / "report" / "html.py")
                if _within(name, ("comparison.report.text",))}


@pytest.mark.parametrize("relative", GENERIC)
def test_parity_and_the_renderers_name_no_engine_and_no_onboarding_fact(relative: str) -> None:
    tree = ast.parse((COMPARISON / relative).read_text())
    members = {f"Engine.{engine.name}" for engine in Engine}
    named = {ast.unparse(node) for node in ast.walk(tree) if isinstance(node, ast.Attribute)} & members
    assert named == set(), relative
    strings = {node.value for node in ast.walk(tree) if isinstance(node, ast.Constant) and isinstance(node.value, str)}
    assert strings & {spec.name for spec in FACTS} == set(), relative
