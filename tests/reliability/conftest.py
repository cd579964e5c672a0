"""Fixtures of the Temporal reliability tests (the Step Functions half adds its own, named for it).

One dev server for the session. One moto server per test module: moto keeps one state per process, and a module
that uses moto in process (``mock_aws``) resets it on exit, so no moto state outlives its module. Each test takes its
own task queue, worker process and fresh DynamoDB tables (``temporal``), so it can count every side effect it caused.
A test that restarts the server starts its own.
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Iterator

import pytest
from temporalio.testing import WorkflowEnvironment

from local.temporal_stack import AwsEmulator, Stack, aws_emulator
from tests.workers.support import TEMPORAL_CLI, require


@pytest.fixture(scope="session")
async def temporal_server() -> AsyncIterator[WorkflowEnvironment]:
    env = await WorkflowEnvironment.start_local(dev_server_existing_path=require(TEMPORAL_CLI))
    try:
        yield env
    finally:
        await env.shutdown()


@pytest.fixture(scope="module")
def temporal_aws() -> Iterator[AwsEmulator]:
    with aws_emulator() as emulator:
        yield emulator


@pytest.fixture(scope="module")
def temporal_stack(
    temporal_server: WorkflowEnvironment, temporal_aws: AwsEmulator, tmp_path_factory: pytest.TempPathFactory
) -> Stack:
    return Stack(temporal_aws, temporal_server, temporal_server.client.service_client.config.target_host,
                 tmp_path_factory.mktemp("reliability"))


@pytest.fixture
def temporal(temporal_stack: Stack) -> Stack:
    """The servers with fresh, empty tables for this test."""
    return temporal_stack.with_new_tables()
