"""Synthesize each app configuration once per test session; every infra test reads these results."""

from __future__ import annotations

import dataclasses
import os
import time
from collections.abc import Iterator

import pytest

from infra.blueprint import Sources
from infra.bundle import build_durable_bundle, build_lambda_bundle, build_worker_context
from infra.onboarding import onboarding_sources
from infra.paths import DURABLE_BUNDLE, LAMBDA_BUNDLE, REPO_ROOT
from infra.synthesis import Synthesis, project_context, synthesize

EGRESS_MODES = ("nat", "privatelink")
os.environ.setdefault("JSII_SILENCE_WARNING_DEPRECATED_NODE_VERSION", "1")


@pytest.fixture(scope="session")
def sources(tmp_path_factory: pytest.TempPathFactory) -> Sources:
    """What deploys, built from the working tree into this session's own folders: tests running beside these (other
    xdist workers synthesize from ``build/``) never see a bundle half rebuilt. The dependencies come from the
    repository's cache (``build/*-deps``, by requirement hash: only the sources are copied when it is current)."""
    root = tmp_path_factory.mktemp("bundles")
    return dataclasses.replace(
        onboarding_sources(),
        lambda_bundle=build_lambda_bundle(out=root / "lambda", deps=REPO_ROOT / f"{LAMBDA_BUNDLE}-deps"),
        durable_bundle=build_durable_bundle(out=root / "durable", deps=REPO_ROOT / f"{DURABLE_BUNDLE}-deps"),
        worker_context=build_worker_context(out=root / "worker"),
    )


@pytest.fixture(scope="session")
def syntheses(sources: Sources, tmp_path_factory: pytest.TempPathFactory) -> Iterator[dict[str, Synthesis]]:
    started = time.perf_counter()
    result = {
        mode: synthesize({**project_context(), "egress_mode": mode}, outdir=tmp_path_factory.mktemp(f"cdk-{mode}"),
                         sources=sources)
        for mode in EGRESS_MODES
    }
    print(f"\n[infra] synthesized {len(result)} configurations in {time.perf_counter() - started:.1f}s")
    yield result


@pytest.fixture(scope="session", params=EGRESS_MODES)
def synthesis(request: pytest.FixtureRequest, syntheses: dict[str, Synthesis]) -> Synthesis:
    return syntheses[request.param]
