"""A Lambda bundle never contains temporalio or aws-cdk-lib: importing every handler (and the reviewer
command) in a fresh interpreter loads neither, nor the local tooling (moto)."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

from contract.registry import TASK_FUNCTIONS

ROOT = Path(__file__).resolve().parents[2]
FORBIDDEN = ("temporalio", "aws_cdk", "constructs", "cdk_nag", "jsii", "moto", "workers", "infra", "comparison")


def test_handlers_import_no_engine_cdk_or_test_tooling() -> None:
    modules = sorted({f.handler.rpartition(".")[0] for f in TASK_FUNCTIONS} | {"ops.reviewer"})
    code = (
        "import importlib, sys\n"
        f"for name in {modules!r}:\n"
        "    module = importlib.import_module(name)\n"
        "    assert name.endswith('reviewer') or callable(module.handler), name\n"
        f"bad = sorted(m for m in sys.modules if m.split('.')[0] in {FORBIDDEN!r} or m.startswith('local.stepfunctions'))\n"
        "print(','.join(bad))\n"
    )
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, cwd=ROOT, check=False)
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == ""
    assert len(modules) == len(TASK_FUNCTIONS) + 1
