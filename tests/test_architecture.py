"""Import boundaries: the domain stays free of engines, cloud SDKs and infrastructure."""

from __future__ import annotations

import ast
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
DOMAIN_FORBIDDEN = ("boto3", "botocore", "temporalio", "aws_cdk", "constructs", "cdk_nag")
PACKAGE_FORBIDDEN = ("workers", "lambdas", "infra", "comparison", "temporalio", "aws_cdk")


def _imported_roots(path: Path) -> set[str]:
    roots: set[str] = set()
    for node in ast.walk(ast.parse(path.read_text(), filename=str(path))):
        if isinstance(node, ast.Import):
            roots.update(alias.name.split(".")[0] for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            roots.add(node.module.split(".")[0])
    return roots


def test_domain_modules_import_no_cloud_sdk_engine_or_cdk() -> None:
    domain = [p for p in (ROOT / "onboarding").rglob("*.py") if "adapters" not in p.relative_to(ROOT).parts]
    assert len(domain) >= 9
    for path in domain:
        assert not _imported_roots(path) & set(DOMAIN_FORBIDDEN), path


def test_onboarding_never_imports_engines_or_infrastructure() -> None:
    for path in (ROOT / "onboarding").rglob("*.py"):
        assert not _imported_roots(path) & set(PACKAGE_FORBIDDEN), path


def test_importing_the_domain_loads_no_forbidden_module_at_run_time() -> None:
    domain = [p.relative_to(ROOT).with_suffix("") for p in (ROOT / "onboarding").rglob("*.py")
              if "adapters" not in p.parts]
    modules = [".".join(path.parts[:-1] if path.name == "__init__" else path.parts) for path in domain]
    assert "scenarios" in modules and "scenarios.bad_inputs" in modules
    code = (
        "import sys\n"
        + "".join(f"import {m}\n" for m in modules)
        + f"bad = sorted(m for m in sys.modules if m.split('.')[0] in {DOMAIN_FORBIDDEN!r})\n"
        + "print(','.join(bad))\n"
    )
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True, cwd=ROOT)
    assert result.stdout.strip() == ""
