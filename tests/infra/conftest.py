"""Synthesize each app configuration once per test session; every infra test reads these results."""

from __future__ import annotations

import os
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from infra.bundle import build_durable_bundle, build_lambda_bundle, build_worker_context
from infra.onboarding import onboarding_sources
from infra.synthesis import Synthesis, project_context, synthesize

EGRESS_MODES = ("nat", "privatelink")
os.environ.setdefault("JSII_SILENCE_WARNING_DEPRECATED_NODE_VERSION", "1")


@pytest.fixture(scope="session")
def lambda_bundle() -> Path:
    # Cached by requirement hash: only the source copy runs when dependencies are unchanged.
    build_worker_context()
    build_durable_bundle()
    return build_lambda_bundle()


@pytest.fixture(scope="session")
def syntheses(lambda_bundle: Path, tmp_path_factory: pytest.TempPathFactory) -> Iterator[dict[str, Synthesis]]:
    started = time.perf_counter()
    result = {
        mode: synthesize({**project_context(), "egress_mode": mode}, outdir=tmp_path_factory.mktemp(f"cdk-{mode}"),
                         sources=onboarding_sources())
        for mode in EGRESS_MODES
    }
    print(f"\n[infra] synthesized {len(result)} configurations in {time.perf_counter() - started:.1f}s")
    yield result


@pytest.fixture(scope="session", params=EGRESS_MODES)
def synthesis(request: pytest.FixtureRequest, syntheses: dict[str, Synthesis]) -> Synthesis:
    return syntheses[request.param]
