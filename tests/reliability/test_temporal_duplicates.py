"""The same ``application_id`` started twice: one execution and one set of side effects.

Two layers make it so. The starter's id policies (workflow id = application id; a running execution is returned,
a closed one is never re-run) give one execution, however often and from however many clients it is started. And
should an execution be re-run anyway (a caller bypassing the starter with a permissive reuse policy), every side
effect is keyed by the application id, so the second run finds the first run's effects and adds none.
"""

from __future__ import annotations

import asyncio

from temporalio.client import Client, WorkflowExecutionStatus
from temporalio.common import WorkflowIDReusePolicy

from contract.profile import Profile
from local.temporal import TemporalStack, worker_process
from onboarding.models import Outcome
from scenarios import DEMO_REVIEW_TIMEOUT_SECONDS, SCENARIOS_BY_NAME
from tests.support.temporal_totals import (
    Reviewer,
    Run,
    exactly_once_problems,
    new_task_queue,
    outcomes,
    plan_runs,
    start_runs,
)
from workers.messages import WORKFLOW_NAME, OnboardingInput

SCENARIOS = ("approved_low_risk", "funding_declined", "review_approved", "invalid_application")
STARTS = 4  # concurrent starts per application, spread over two clients (two starter processes' view)


async def executions_of(client: Client, workflow_id: str) -> list[WorkflowExecutionStatus | None]:
    """The executions visibility lists for the id, once it shows the workflow closed (it updates asynchronously)."""
    for _ in range(200):
        statuses = [execution.status async for execution in client.list_workflows(f"WorkflowId = '{workflow_id}'")]
        if statuses and all(status is not WorkflowExecutionStatus.RUNNING for status in statuses):
            return statuses
        await asyncio.sleep(0.05)
    raise AssertionError(f"visibility never showed {workflow_id} closed")


async def test_starting_an_application_again_and_again_is_one_execution(temporal: TemporalStack) -> None:
    runs, task_queue = plan_runs(SCENARIOS_BY_NAME[name] for name in SCENARIOS), new_task_queue("dup")
    clients = [temporal.client(Profile.HARDENED), temporal.client(Profile.HARDENED)]
    with worker_process(temporal.worker_env(Profile.HARDENED, task_queue), temporal.workdir):
        starts = await asyncio.gather(*(
            start_runs(clients[n % 2], runs, task_queue=task_queue, review_timeout_seconds=DEMO_REVIEW_TIMEOUT_SECONDS)
            for n in range(STARTS)
        ))
        await Reviewer(clients[0], temporal, runs).run()
        results = await outcomes(starts[0])
        # After completion the starter returns the closed execution instead of running it again.
        again = await start_runs(clients[1], runs, task_queue=task_queue,
                                 review_timeout_seconds=DEMO_REVIEW_TIMEOUT_SECONDS)
        assert await outcomes(again) == results
    for run in runs:
        run_ids = {(await handles[run.application_id].describe()).run_id for handles in [*starts, again]}
        assert len(run_ids) == 1
        assert await executions_of(clients[0], run.application_id) == [WorkflowExecutionStatus.COMPLETED]
    assert await exactly_once_problems(temporal, runs, results) == {}


async def test_a_forced_second_run_adds_no_side_effect(temporal: TemporalStack) -> None:
    runs = plan_runs(SCENARIOS_BY_NAME[name] for name in ("approved_low_risk", "funding_declined"))
    client, task_queue = temporal.client(Profile.HARDENED), new_task_queue("rerun")
    with worker_process(temporal.worker_env(Profile.HARDENED, task_queue), temporal.workdir):
        first = await asyncio.gather(*(forced_run(client, run, task_queue) for run in runs))
        second = await asyncio.gather(*(forced_run(client, run, task_queue) for run in runs))
    assert second == first  # same outcome, same account id
    for run in runs:
        assert len(await executions_of(client, run.application_id)) == 2  # the bypass really ran it twice
    assert await exactly_once_problems(temporal, runs, dict(
        zip([run.application_id for run in runs], first, strict=True))) == {}


async def forced_run(client: Client, run: Run, task_queue: str) -> Outcome:
    """What a caller bypassing the starter could do: the SDK's permissive reuse policy."""
    request = OnboardingInput(submission=run.scenario.application(application_id=run.application_id))
    handle = await client.start_workflow(
        WORKFLOW_NAME, request, id=run.application_id, task_queue=task_queue, result_type=Outcome,
        id_reuse_policy=WorkflowIDReusePolicy.ALLOW_DUPLICATE,
    )
    outcome: Outcome = await handle.result()
    return outcome
