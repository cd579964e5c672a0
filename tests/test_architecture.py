"""Import boundaries. ``lint-imports`` (run by ``make test``) enforces the layer and no-domain contracts of
pyproject.toml; these tests prove the contracts bite, and keep the domain free of engines, cloud SDKs and
infrastructure at run time too."""

from __future__ import annotations

import ast
import shutil
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
DOMAIN = ("onboarding", "scenarios")  # the business process and its corpora
DOMAIN_FORBIDDEN = ("boto3", "botocore", "temporalio", "aws_cdk", "constructs", "cdk_nag")
PACKAGE_FORBIDDEN = ("contract", "workers", "lambdas", "infra", "ops", "local", "comparison", "bench", "tests",
                     "temporalio", "aws_cdk")
LINT_IMPORTS = Path(sys.executable).parent / "lint-imports"


def _imported_roots(path: Path) -> set[str]:
    roots: set[str] = set()
    for node in ast.walk(ast.parse(path.read_text(), filename=str(path))):
        if isinstance(node, ast.Import):
            roots.update(alias.name.split(".")[0] for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            roots.add(node.module.split(".")[0])
    return roots


def _domain_files(*, with_adapters: bool) -> list[Path]:
    return [p for package in DOMAIN for p in (ROOT / package).rglob("*.py")
            if with_adapters or "adapters" not in p.relative_to(ROOT).parts]


def test_domain_modules_import_no_cloud_sdk_engine_or_cdk() -> None:
    domain = _domain_files(with_adapters=False)
    assert ROOT / "onboarding" / "steps.py" in domain and ROOT / "scenarios" / "__init__.py" in domain
    for path in domain:
        assert not _imported_roots(path) & set(DOMAIN_FORBIDDEN), path


def test_the_domain_never_imports_a_layer_above_it() -> None:
    for path in _domain_files(with_adapters=True):
        assert not _imported_roots(path) & set(PACKAGE_FORBIDDEN), path


def test_importing_the_domain_loads_no_forbidden_module_at_run_time() -> None:
    paths = [p.relative_to(ROOT).with_suffix("") for p in _domain_files(with_adapters=False)]
    modules = [".".join(path.parts[:-1] if path.name == "__init__" else path.parts) for path in paths]
    assert "scenarios" in modules and "scenarios.bad_inputs" in modules
    code = (
        "import sys\n"
        + "".join(f"import {m}\n" for m in modules)
        + f"bad = sorted(m for m in sys.modules if m.split('.')[0] in {DOMAIN_FORBIDDEN!r})\n"
        + "print(','.join(bad))\n"
    )
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True, cwd=ROOT)
    assert result.stdout.strip() == ""


def _lint_copy(tmp_path: Path, edits: dict[str, str]) -> subprocess.CompletedProcess[str]:
    """``lint-imports`` with the project's contracts over a copy of the packages, with ``edits`` (path -> a line
    appended to that module)."""
    config = (ROOT / "pyproject.toml").read_text(encoding="utf-8")
    packages = config.split("root_packages = [", 1)[1].split("]", 1)[0]
    for name in (part.strip().strip('"') for part in packages.split(",")):
        shutil.copytree(ROOT / name, tmp_path / name, ignore=shutil.ignore_patterns("__pycache__"))
    for relative, line in edits.items():
        with (tmp_path / relative).open("a", encoding="utf-8") as module:
            module.write(f"\n{line}\n")
    shutil.copy(ROOT / "pyproject.toml", tmp_path / "pyproject.toml")
    return subprocess.run([str(LINT_IMPORTS), "--no-cache"], capture_output=True, text=True, cwd=tmp_path,
                          env={"PATH": str(LINT_IMPORTS.parent), "PYTHONPATH": str(tmp_path)}, check=False)


def test_the_import_contracts_hold_on_the_code_as_it_is(tmp_path: Path) -> None:
    result = _lint_copy(tmp_path, {})
    assert result.returncode == 0, result.stdout + result.stderr


def test_the_import_contracts_refuse_an_import_against_the_layers_or_into_the_domain(tmp_path: Path) -> None:
    result = _lint_copy(tmp_path, {
        "onboarding/steps.py": "import workers.codec  # the domain reaching up into a runtime",
        "local/aws.py": "import onboarding.steps  # generic tooling reaching into the domain",
        "bench/report.py": "import tests.support.side_effects  # production code importing the tests",
    })
    output = result.stdout
    assert result.returncode != 0
    assert "onboarding.steps -> workers.codec" in output
    assert "local.aws is not allowed to import onboarding" in output
    assert "bench is not allowed to import tests" in output and "bench.report -> tests.support" in output
