"""Load: over 500 onboardings at once (every corpus scenario ``COPIES`` times, each under its own id) through one
local worker process (``python -m workers``, KMS and DynamoDB on moto). All complete as their scenarios expect,
every side effect exactly once per application and in the table totals. The reviewer works through the review queue
as they come in.

Tuning comes from the worker's environment only, as in a deployment (``WORKER_MAX_CONCURRENT_*``).
"""

from __future__ import annotations

from contract.profile import Profile
from local.temporal import TemporalStack, worker_process
from scenarios import DEMO_REVIEW_TIMEOUT_SECONDS, SCENARIOS
from tests.support.temporal_totals import (
    Reviewer,
    exactly_once_problems,
    new_task_queue,
    outcomes,
    plan_runs,
    start_runs,
)

COPIES = 32  # of every scenario in the corpus (over 500 onboardings with today's)
WORKER_TUNING = {"WORKER_MAX_CONCURRENT_ACTIVITIES": "50", "WORKER_MAX_CONCURRENT_WORKFLOW_TASKS": "50"}


async def test_five_hundred_onboardings_at_once(temporal: TemporalStack) -> None:
    runs = plan_runs(scenario for _ in range(COPIES) for scenario in SCENARIOS)
    task_queue = new_task_queue("load")
    with worker_process({**temporal.worker_env(Profile.HARDENED, task_queue), **WORKER_TUNING}, temporal.workdir):
        client = temporal.client(Profile.HARDENED)
        handles = await start_runs(client, runs, task_queue=task_queue,
                                   review_timeout_seconds=DEMO_REVIEW_TIMEOUT_SECONDS)
        await Reviewer(client, temporal, runs).run()
        # A bound below the suite's 600 s per-test limit, so that a hang names the open workflows; not a measurement.
        results = await outcomes(handles, within=480)
    assert len(results) == len(runs) >= 500
    assert await exactly_once_problems(temporal, runs, results) == {}
