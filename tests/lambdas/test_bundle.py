"""The handlers import no engine, no CDK and no tooling: importing every handler in a fresh interpreter loads none of
them (the bundle test in tests/infra checks the same of the built asset). The reviewer command, which operators run
outside Lambda, stays as light."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

from contract.onboarding import ONBOARDING_FUNCTIONS

ROOT = Path(__file__).resolve().parents[2]
FORBIDDEN = ("temporalio", "aws_cdk", "constructs", "cdk_nag", "jsii", "moto", "workers", "infra", "comparison",
             "local")
NOT_FOR_HANDLERS = (*FORBIDDEN, "ops", "scenarios", "tests")


def _loaded(modules: list[str], forbidden: tuple[str, ...]) -> str:
    code = (
        "import importlib, sys\n"
        f"for name in {modules!r}:\n"
        "    importlib.import_module(name)\n"
        f"print(','.join(sorted(m for m in sys.modules if m.split('.')[0] in {forbidden!r})))\n"
    )
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, cwd=ROOT, check=False)
    assert result.returncode == 0, result.stderr
    return result.stdout.strip()


def test_handlers_import_no_engine_cdk_or_tooling() -> None:
    modules = sorted({f.handler.rpartition(".")[0] for f in ONBOARDING_FUNCTIONS})
    assert len(modules) == len(ONBOARDING_FUNCTIONS)  # one module per function
    assert _loaded(modules, NOT_FOR_HANDLERS) == ""


def test_every_handler_module_exposes_a_callable_handler() -> None:
    import importlib

    for function in ONBOARDING_FUNCTIONS:
        module_name, _, attribute = function.handler.rpartition(".")
        assert callable(getattr(importlib.import_module(module_name), attribute)), function.name


def test_the_reviewer_command_imports_no_engine_cdk_or_local_tooling() -> None:
    assert _loaded(["ops.reviewer"], FORBIDDEN) == ""
