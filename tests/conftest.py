"""Fixtures shared by every test package: no real AWS account, a fixed date, and the Temporal dev-server stack."""

from __future__ import annotations

import os
from collections.abc import AsyncIterator, Iterator
from dataclasses import dataclass
from datetime import date

import pytest
from temporalio.client import Client

from contract.onboarding import ONBOARDING
from local.aws import AwsEmulation, moto_server
from local.temporal import DevServer, TemporalStack, temporal_dev_server, wait_for_temporal
from local.temporal import temporal_stack as onboarding_stack

# Never let a test reach a real AWS account, whatever the developer's shell has configured.
os.environ.update(
    AWS_ACCESS_KEY_ID="testing",
    AWS_SECRET_ACCESS_KEY="testing",
    AWS_SESSION_TOKEN="testing",
    AWS_DEFAULT_REGION="us-east-1",
)
os.environ.pop("AWS_PROFILE", None)

# A fixed "today" so date-dependent rules (age, card expiry) are reproducible.
TODAY = date(2026, 11, 24)

# -- parallel runs (pytest-xdist, ``make test``: ``-n 2 --dist loadgroup``) -------------------------------------------
# A group runs whole on one worker process. Each module is a group, so its module-scoped stack (moto server, tables)
# is built once; a folder whose modules share an expensive session fixture is one group, so that fixture is built
# once too: tests/infra (one synthesis per app configuration), tests/lambdas (one corpus run per profile). Every
# stack binds free ports and its own temporary folders, so groups run side by side; session fixtures used across
# folders (the dev server, the synthesized definition) are built once per worker.
SHARED_SESSION_FOLDERS = ("infra", "lambdas")


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    for item in items:
        parts = item.nodeid.split("::")[0].split("/")
        folder = parts[1] if len(parts) > 2 and parts[0] == "tests" else None
        group = f"tests/{folder}" if folder in SHARED_SESSION_FOLDERS else item.nodeid.split("::")[0]
        item.add_marker(pytest.mark.xdist_group(group))


# -- fixtures on a real dev server ---------------------------------------------------------------------------------
# Used by the end-to-end tests of the worker and the reliability tests. moto keeps one state per process and a module
# that uses moto in process (``mock_aws``) resets it on exit, so each module gets its own moto server.


@dataclass(frozen=True)
class TemporalServer:
    """A running dev server and a client of it without codec."""

    server: DevServer
    connection: Client


@pytest.fixture(scope="session")
async def temporal_server(tmp_path_factory: pytest.TempPathFactory) -> AsyncIterator[TemporalServer]:
    """The session's dev server (in memory), stopped when the session ends."""
    with temporal_dev_server(tmp_path_factory.mktemp("temporal-server")) as server:
        yield TemporalServer(server, await wait_for_temporal(server))


@pytest.fixture(scope="module")
def temporal_aws() -> Iterator[AwsEmulation]:
    """The module's moto server."""
    with moto_server() as aws:
        yield aws


@pytest.fixture(scope="module")
def temporal_stack(
    temporal_server: TemporalServer, temporal_aws: AwsEmulation, tmp_path_factory: pytest.TempPathFactory
) -> TemporalStack:
    """The module's stack: the session's dev server, the module's moto, its own tables and payload key alias."""
    return onboarding_stack(ONBOARDING, temporal_aws, temporal_server.connection,
                              tmp_path_factory.mktemp("temporal"))


@pytest.fixture
def temporal(temporal_stack: TemporalStack) -> TemporalStack:
    """The module's stack with fresh, empty tables for this test."""
    return temporal_stack.with_new_tables()
