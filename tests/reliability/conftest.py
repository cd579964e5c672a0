"""Fixtures of the reliability tests. Temporal: one moto server and one dev server for the session; each test
takes its own task queue, worker process and fresh DynamoDB tables (``Stack.with_new_tables``), so it can count
every side effect it caused. A test that restarts the server starts its own.
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Iterator

import pytest

from tests.temporal.dev_stack import AwsEmulator, Stack, aws_emulator, local_stack


@pytest.fixture(scope="session")
def temporal_aws() -> Iterator[AwsEmulator]:
    with aws_emulator() as emulator:
        yield emulator


@pytest.fixture(scope="session")
async def temporal_stack(temporal_aws: AwsEmulator, tmp_path_factory: pytest.TempPathFactory) -> AsyncIterator[Stack]:
    async with local_stack(temporal_aws, tmp_path_factory.mktemp("reliability")) as stack:
        yield stack


@pytest.fixture
def temporal(temporal_stack: Stack) -> Stack:
    """The session's servers with fresh, empty tables for this test."""
    return temporal_stack.with_new_tables()
