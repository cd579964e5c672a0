"""The onboarding deployment's sources: the only infra module that names the process.

``app.py`` (``cdk synth``), the compliance report and the tooling that synthesizes in process all deploy these.
"""

from __future__ import annotations

from pathlib import Path

from contract.onboarding import DEFINITION_FILE, ONBOARDING, ONBOARDING_FUNCTIONS
from infra.blueprint import Sources
from infra.paths import DURABLE_BUNDLE, LAMBDA_BUNDLE, REPO_ROOT, WORKER_CONTEXT

# The durable function's entry point inside build/durable (durable_functions/handler.py, onboarding's binding).
DURABLE_HANDLER = "durable_functions.handler.handler"


def onboarding_sources(repo_root: Path = REPO_ROOT) -> Sources:
    return Sources(process=ONBOARDING, functions=ONBOARDING_FUNCTIONS, definition=repo_root / DEFINITION_FILE,
                   lambda_bundle=repo_root / LAMBDA_BUNDLE, worker_context=repo_root / WORKER_CONTEXT,
                   durable_bundle=repo_root / DURABLE_BUNDLE, durable_handler=DURABLE_HANDLER)
