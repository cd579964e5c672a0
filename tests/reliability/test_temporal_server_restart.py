"""The Temporal dev server stopped and started again on its database file while onboardings await review.

The worker process keeps running through the outage (it reconnects by itself). After the restart the reviewer
sends the decisions, and the onboarding nobody reviews times out on a timer that was set before the restart.
"""

from __future__ import annotations

from contextlib import ExitStack
from dataclasses import replace
from pathlib import Path

from contract.onboarding import ONBOARDING
from contract.profile import Profile
from local.aws import AwsEmulation
from local.processes import free_port
from local.temporal import temporal_dev_server, temporal_stack, wait_for_temporal, worker_process
from onboarding.models import Outcome
from ops.starter import current_step
from scenarios import SCENARIOS_BY_NAME
from tests.support.temporal import wait_for_step
from tests.support.temporal_totals import (
    Reviewer,
    exactly_once_problems,
    new_task_queue,
    outcomes,
    plan_runs,
    start_runs,
)
from workers.messages import Step

REVIEWED = ("review_approved", "review_declined", "transient_identity_then_review_approved", "review_timeout")
# Spans the restart (a few seconds) with room to spare, and is still short enough to wait for.
REVIEW_TIMEOUT_SECONDS = 15


async def test_onboardings_awaiting_review_resume_after_a_server_restart(
    temporal_aws: AwsEmulation, tmp_path: Path
) -> None:
    port, database = free_port(), tmp_path / "temporal.sqlite"
    runs, task_queue = plan_runs(SCENARIOS_BY_NAME[name] for name in REVIEWED), new_task_queue("restart")
    # The server in service: the first one, then the restarted one. Either is stopped after the worker.
    with ExitStack() as serving:
        server = serving.enter_context(temporal_dev_server(tmp_path, db_file=database, port=port))
        before = temporal_stack(ONBOARDING, temporal_aws, await wait_for_temporal(server), tmp_path)
        with worker_process(before.worker_env(Profile.HARDENED, task_queue), tmp_path) as worker:
            client = before.client(Profile.HARDENED)
            await start_runs(client, runs, task_queue=task_queue, review_timeout_seconds=REVIEW_TIMEOUT_SECONDS)
            for run in runs:
                await wait_for_step(client, run.application_id, Step.AWAITING_REVIEW)
            serving.close()  # stops the server; its database file stays
            server = serving.enter_context(temporal_dev_server(tmp_path, db_file=database, port=port))
            after = replace(before, connection=await wait_for_temporal(server))
            client = after.client(Profile.HARDENED)
            for run in runs:  # all still waiting, the timeout's timer included
                assert await current_step(client, run.application_id) == Step.AWAITING_REVIEW.value
            await Reviewer(client, after, runs).run()
            results = await outcomes({run.application_id: client.get_workflow_handle(
                run.application_id, result_type=Outcome) for run in runs})
            assert worker.process.poll() is None  # the same worker process rode out the outage
    assert await exactly_once_problems(after, runs, results) == {}
