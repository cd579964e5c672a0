"""The SDK's floor: what a workflow of N trivial activities costs a worker, with no codec and no domain code.

``python -m bench.floor`` is a worker process like ``python -m workers`` (same SDK, same dev server, the same
activity thread pool and concurrency limits, read from the same variables), serving :class:`FloorWorkflow`: ``n``
activities in sequence, each returning its small argument. The bench runs it in the same run as the onboarding,
with each floor workflow given exactly the activity count its onboarding counterpart scheduled, so the ratio of
worker CPU per workflow (onboarding over floor) says what our code adds to the SDK's own per-activity round trip.

A workflow's argument is its shape, one flag per activity: ``False`` schedules it through the service, ``True`` runs
it as a local activity (in the worker, recorded as a marker). The bench's fourth lane runs the onboarding's shape with
its pure steps local: what moving them would save, measured at the SDK's level.

Environment: ``TEMPORAL_ADDRESS``, ``TEMPORAL_TASK_QUEUE``, ``WORKER_HEALTH_FILE`` (touched once polling, removed on
exit), ``WORKER_MAX_CONCURRENT_ACTIVITIES`` / ``WORKER_MAX_CONCURRENT_WORKFLOW_TASKS`` (default 50 / 50, as
:class:`workers.settings.WorkerSettings`).
"""

from __future__ import annotations

import asyncio
import os
import signal
import sys
from concurrent.futures import ThreadPoolExecutor
from datetime import timedelta
from pathlib import Path
from typing import Any

from temporalio import activity, workflow
from temporalio.client import Client
from temporalio.worker import Worker

from contract import environment as names

FLOOR_WORKFLOW = "SdkFloor"
DEFAULT_CONCURRENCY = 50  # workers.settings.WorkerSettings' defaults for both limits


@activity.defn(name="floor_step")
def floor_step(argument: dict[str, Any]) -> dict[str, Any]:
    """A trivial activity: no I/O, no work; its cost is the SDK's round trip."""
    return argument


@workflow.defn(name=FLOOR_WORKFLOW)
class FloorWorkflow:
    @workflow.run
    async def run(self, shape: list[bool]) -> int:
        """``shape``: one flag per activity, ``True`` for a local one; returns how many ran."""
        for index, local in enumerate(shape):
            execute = workflow.execute_local_activity if local else workflow.execute_activity
            await execute(floor_step, {"index": index}, start_to_close_timeout=timedelta(seconds=30))
        return len(shape)


async def serve(address: str, task_queue: str, health_file: Path, *, activities: int, workflow_tasks: int) -> None:
    client = await Client.connect(address, namespace="default")
    stop = asyncio.Event()
    for sig in (signal.SIGTERM, signal.SIGINT):
        asyncio.get_running_loop().add_signal_handler(sig, stop.set)
    with ThreadPoolExecutor(activities, thread_name_prefix="activity") as executor:
        worker = Worker(client, task_queue=task_queue, workflows=[FloorWorkflow], activities=[floor_step],
                        activity_executor=executor, max_concurrent_activities=activities,
                        max_concurrent_workflow_tasks=workflow_tasks)
        async with worker:
            health_file.touch()
            await stop.wait()
        health_file.unlink(missing_ok=True)


def main() -> int:
    missing = [name for name in (names.TEMPORAL_ADDRESS, names.TEMPORAL_TASK_QUEUE, names.WORKER_HEALTH_FILE)
               if not os.environ.get(name)]
    if missing:
        print(f"environment variable(s) not set: {', '.join(missing)}", file=sys.stderr)
        return 2
    asyncio.run(serve(
        os.environ[names.TEMPORAL_ADDRESS], os.environ[names.TEMPORAL_TASK_QUEUE],
        Path(os.environ[names.WORKER_HEALTH_FILE]),
        activities=int(os.environ.get("WORKER_MAX_CONCURRENT_ACTIVITIES") or DEFAULT_CONCURRENCY),
        workflow_tasks=int(os.environ.get("WORKER_MAX_CONCURRENT_WORKFLOW_TASKS") or DEFAULT_CONCURRENCY)))
    return 0


if __name__ == "__main__":
    sys.exit(main())
