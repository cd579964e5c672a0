"""A worker process (``python -m workers``, the container entrypoint) SIGKILLed in the middle of activities.

"In the middle" is made exact, with no hook in production code: the worker reaches DynamoDB through a fault proxy
that lets chosen writes through to the table but holds their responses back. So when the worker is killed, each of
these activities has committed its side effect and not reported it: the worst moment to die. The service notices
the lost attempts only when their start-to-close timeout (30 s) expires, then retries them on the restarted
worker. Every workflow must complete as its scenario expects, with every side effect exactly once.
"""

from __future__ import annotations

import asyncio

from contract.profile import Profile
from local.temporal import TemporalStack, worker_process
from scenarios import DEMO_REVIEW_TIMEOUT_SECONDS, SCENARIOS_BY_NAME
from tests.support.fault_proxy import Hold, dynamodb_write, fault_proxy
from tests.support.temporal import onboarding_adapters
from tests.support.temporal_totals import (
    Reviewer,
    Run,
    exactly_once_problems,
    new_task_queue,
    outcomes,
    pending_activities,
    plan_runs,
    start_runs,
    started_attempts,
)

# Scenario -> (the DynamoDB write whose response is held, the activity it belongs to).
HELD = {
    "approved_low_risk": ("PutItem", "ledger", "open_account"),
    "approved_savings": ("PutItem", "charges", "fund_account"),
    "identity_transient_then_approved": ("PutItem", "outbox", "notify"),
    "funding_declined": ("UpdateItem", "ledger", "close_account"),
    "review_approved": ("PutItem", "reviews", "request_review"),
}
UNHELD = ("sanctions_match", "review_timeout")  # in flight too (a finished one; one in its review timer)


async def test_a_worker_killed_mid_activity_is_replaced_and_nothing_happens_twice(temporal: TemporalStack) -> None:
    runs = plan_runs(SCENARIOS_BY_NAME[name] for name in (*HELD, *UNHELD))
    client, task_queue = temporal.client(Profile.HARDENED), new_task_queue("crash")
    with fault_proxy(temporal.aws.endpoint) as proxy:
        holds: dict[str, Hold] = {}
        for run in runs:
            if run.scenario.name in HELD:
                operation, role, _ = HELD[run.scenario.name]
                table = temporal.resources.tables[role]
                holds[run.application_id] = proxy.hold(dynamodb_write(operation, table, run.application_id))
        env = {**temporal.worker_env(Profile.HARDENED, task_queue), "AWS_ENDPOINT_URL_DYNAMODB": proxy.endpoint}
        with worker_process(env, temporal.workdir) as doomed:
            # The timeout scenario's 20 s timer spans the crash and the 30 s wait for the lost attempts.
            handles = await start_runs(client, runs, task_queue=task_queue,
                                       review_timeout_seconds=DEMO_REVIEW_TIMEOUT_SECONDS * 4)
            reached = await asyncio.gather(*(asyncio.to_thread(hold.reached.wait, 120) for hold in holds.values()))
            assert all(reached)
            # The service agrees: each held activity is started and not finished.
            for run in runs:
                if run.scenario.name in HELD:
                    pending = await pending_activities(client, run.application_id)
                    assert [(a.activity_type.name, a.attempt) for a in pending] == [(HELD[run.scenario.name][2], 1)]
            doomed.process.kill()
            doomed.process.wait()
        assert_side_effects_committed_before_the_crash(temporal, runs)
        proxy.release_all()  # the held responses are dropped: their caller is gone
        with worker_process(env, temporal.workdir):
            await Reviewer(client, temporal, runs).run()
            results = await outcomes(handles)
    assert await exactly_once_problems(temporal, runs, results) == {}
    for run in runs:
        if run.scenario.name in HELD:
            activity = HELD[run.scenario.name][2]
            assert (await started_attempts(client, run.application_id))[activity] == 2, run.scenario.name


def assert_side_effects_committed_before_the_crash(temporal: TemporalStack, runs: list[Run]) -> None:
    adapters = onboarding_adapters(temporal)
    by_name = {run.scenario.name: run.application_id for run in runs}
    assert adapters.ledger.get(by_name["approved_low_risk"]) is not None
    assert len(adapters.charges.for_application(by_name["approved_savings"])) == 1
    assert len(adapters.outbox.for_application(by_name["identity_transient_then_approved"])) == 1
    closed = adapters.ledger.get(by_name["funding_declined"])
    assert closed is not None and closed.status == "CLOSED"
    assert adapters.reviews.get(by_name["review_approved"]) is not None
