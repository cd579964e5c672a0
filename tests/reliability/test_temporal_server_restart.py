"""The Temporal dev server stopped and started again on its database file while onboardings await review.

The worker process keeps running through the outage (it reconnects by itself). After the restart the reviewer
sends the decisions, and the onboarding nobody reviews times out on a timer that was set before the restart.
"""

from __future__ import annotations

import socket
from pathlib import Path

from temporalio.testing import WorkflowEnvironment

from contract.profile import Profile
from local.temporal_stack import AwsEmulator, Stack, worker_process
from onboarding.models import Outcome
from ops.starter import current_step
from scenarios import SCENARIOS_BY_NAME
from tests.reliability.temporal_helpers import (
    Reviewer,
    exactly_once_problems,
    new_task_queue,
    outcomes,
    plan_runs,
    start_runs,
)
from tests.workers.support import TEMPORAL_CLI, require, wait_for_step
from workers.messages import Step

REVIEWED = ("review_approved", "review_declined", "transient_identity_then_review_approved", "review_timeout")
# Spans the restart (a few seconds) with room to spare, and is still short enough to wait for.
REVIEW_TIMEOUT_SECONDS = 15


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


async def start_server(port: int, database: Path) -> WorkflowEnvironment:
    return await WorkflowEnvironment.start_local(
        dev_server_existing_path=require(TEMPORAL_CLI), port=port, dev_server_database_filename=str(database)
    )


async def test_onboardings_awaiting_review_resume_after_a_server_restart(
    temporal_aws: AwsEmulator, tmp_path: Path
) -> None:
    aws, port, database = temporal_aws.with_new_tables(), free_port(), tmp_path / "temporal.sqlite"
    runs, task_queue = plan_runs(SCENARIOS_BY_NAME[name] for name in REVIEWED), new_task_queue("restart")
    server = await start_server(port, database)
    try:
        before = Stack(aws, server, f"127.0.0.1:{port}", tmp_path)
        with worker_process(before.worker_env(Profile.HARDENED, task_queue), tmp_path) as worker:
            client = before.client(Profile.HARDENED)
            await start_runs(client, runs, task_queue=task_queue, review_timeout_seconds=REVIEW_TIMEOUT_SECONDS)
            for run in runs:
                await wait_for_step(client, run.application_id, Step.AWAITING_REVIEW)
            await server.shutdown()
            server = await start_server(port, database)
            after = Stack(aws, server, f"127.0.0.1:{port}", tmp_path)
            client = after.client(Profile.HARDENED)
            for run in runs:  # all still waiting, the timeout's timer included
                assert await current_step(client, run.application_id) == Step.AWAITING_REVIEW.value
            await Reviewer(client, aws, runs).run()
            results = await outcomes({run.application_id: client.get_workflow_handle(
                run.application_id, result_type=Outcome) for run in runs})
            assert worker.process.poll() is None  # the same worker process rode out the outage
    finally:
        await server.shutdown()
    assert await exactly_once_problems(aws, runs, results) == {}
