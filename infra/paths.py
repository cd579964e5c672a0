"""Where the infrastructure finds what it deploys, relative to the repository root."""

from __future__ import annotations

from pathlib import Path

REPO_ROOT = Path(__file__).resolve().parent.parent
STATE_MACHINE_DEFINITION = Path("state_machines/onboarding.asl.json")
LAMBDA_BUNDLE = Path("build/lambda")
