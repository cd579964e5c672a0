"""Fixtures: the time-skipping test server with a hardened client, and an in-process worker on in-memory adapters."""

from __future__ import annotations

import uuid
from collections.abc import AsyncIterator
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass

import pytest
from temporalio.client import Client
from temporalio.testing import WorkflowEnvironment

from contract.profile import Profile
from local.temporal import TEMPORAL_TEST_SERVER
from local.temporal import require_binary as require
from onboarding.adapters.memory import in_memory_adapters
from onboarding.ports import Adapters
from tests.support.temporal import keyring_codec
from workers.converter import data_converter, header_codec_behavior
from workers.registration import ONBOARDING_WORKER
from workers.worker import build_worker


@pytest.fixture(scope="session")
async def time_skipping_env() -> AsyncIterator[WorkflowEnvironment]:
    env = await WorkflowEnvironment.start_time_skipping(
        test_server_existing_path=require(TEMPORAL_TEST_SERVER),
        data_converter=data_converter(Profile.HARDENED, codec=keyring_codec()),
    )
    try:
        yield env
    finally:
        await env.shutdown()


@pytest.fixture(scope="session")
def hardened_client(time_skipping_env: WorkflowEnvironment) -> Client:
    """The environment's client (it drives time skipping) with the hardened header policy, as production uses."""
    config = time_skipping_env.client.config()
    config["header_codec_behavior"] = header_codec_behavior(Profile.HARDENED)
    return Client(**config)


@dataclass(frozen=True)
class RunningWorker:
    client: Client
    adapters: Adapters
    task_queue: str


@pytest.fixture(scope="module")
async def ts_worker(hardened_client: Client) -> AsyncIterator[RunningWorker]:
    adapters = in_memory_adapters()
    task_queue = f"onboarding-{uuid.uuid4().hex[:8]}"
    with ThreadPoolExecutor(8) as executor:
        async with build_worker(hardened_client, ONBOARDING_WORKER, task_queue=task_queue, stores=adapters,
                                executor=executor):
            yield RunningWorker(hardened_client, adapters, task_queue)
