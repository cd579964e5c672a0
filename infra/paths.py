"""Where the infrastructure finds what it deploys, relative to the repository root."""

from __future__ import annotations

from pathlib import Path

REPO_ROOT = Path(__file__).resolve().parent.parent
LAMBDA_BUNDLE = Path("build/lambda")
WORKER_CONTEXT = Path("build/worker")
DURABLE_BUNDLE = Path("build/durable")
