"""Helpers of the Temporal reliability tests: start many onboardings, play the reviewer, inspect what the service
recorded, and prove every side effect happened exactly once (per application and in total, per table)."""

from __future__ import annotations

import asyncio
import uuid
from collections import Counter, defaultdict
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from temporalio.api.enums.v1 import EventType
from temporalio.api.workflow.v1 import PendingActivityInfo
from temporalio.client import Client, WorkflowHandle, WorkflowUpdateRPCTimeoutOrCancelledError

from local.temporal import TemporalStack
from onboarding.adapters.dynamodb import PARTITION_KEY, SORT_KEY
from onboarding.models import Account, Charge, OutboxMessage, Outcome, ReviewRequest
from ops.starter import StarterError, start_onboarding, submit_review
from scenarios import Scenario, new_application_id
from tests.support.side_effects import SideEffects, matches_expected

# Long enough that no decision is late under load; the timeout scenario gets its own short value.
DECIDED_REVIEW_TIMEOUT_SECONDS = 3600


def new_task_queue(purpose: str) -> str:
    return f"{purpose}-{uuid.uuid4().hex[:8]}"


@dataclass(frozen=True)
class Run:
    scenario: Scenario
    application_id: str


def plan_runs(scenarios: Iterable[Scenario]) -> list[Run]:
    return [Run(scenario, new_application_id()) for scenario in scenarios]


def review_timeout_for(scenario: Scenario, timeout_seconds: int) -> int:
    """``timeout_seconds`` for a scenario that expects a window to pass (the review times out, or the operator's
    window for a pending compensation closes: the workflow uses the review timeout for both), a long timeout for
    the others so that no decision is late under load."""
    expects_timeout = scenario.expected.review_requested and scenario.review_decision is None
    expects_window_to_close = scenario.expected.compensation_pending
    return timeout_seconds if expects_timeout or expects_window_to_close else DECIDED_REVIEW_TIMEOUT_SECONDS


async def start_runs(
    client: Client, runs: Iterable[Run], *, task_queue: str, review_timeout_seconds: int
) -> dict[str, WorkflowHandle[Any, Outcome]]:
    async def start(run: Run) -> tuple[str, WorkflowHandle[Any, Outcome]]:
        handle = await start_onboarding(
            client, run.scenario.application(application_id=run.application_id), task_queue=task_queue,
            review_timeout_seconds=review_timeout_for(run.scenario, review_timeout_seconds),
        )
        return run.application_id, handle

    return dict(await asyncio.gather(*(start(run) for run in runs)))


async def outcomes(handles: Mapping[str, WorkflowHandle[Any, Outcome]], *, within: float = 240) -> dict[str, Outcome]:
    """Every workflow's result. ``within`` only turns a hang into a clear failure; no timing is asserted."""
    ids = list(handles)
    tasks = {i: asyncio.ensure_future(handles[i].result()) for i in ids}
    _, waiting = await asyncio.wait(tasks.values(), timeout=within)
    if waiting:
        for task in waiting:
            task.cancel()
        open_ids = [i for i, task in tasks.items() if task in waiting]
        raise AssertionError(f"{len(open_ids)} of {len(ids)} workflows still open after {within} s: "
                             f"{await describe_open(handles, open_ids[:5])}")
    return {i: task.result() for i, task in tasks.items()}


async def describe_open(handles: Mapping[str, WorkflowHandle[Any, Outcome]], ids: Iterable[str]) -> dict[str, Any]:
    """Status, pending activities (type, attempt, last failure) of workflows that did not finish: what a hang
    needs to be understood."""
    found: dict[str, Any] = {}
    for workflow_id in ids:
        described = await handles[workflow_id].describe()
        found[workflow_id] = {
            "status": described.status.name if described.status else None,
            "pending": [(p.activity_type.name, p.attempt, p.last_failure.message)
                        for p in described.raw_description.pending_activities],
            "history_length": described.history_length,
        }
    return found


class Reviewer:
    """Works through the review queue (the reviews table) as a human reviewer would: a pending review of a run
    that expects a decision gets it. A decision refused because the workflow is not awaiting it yet (its
    ``request_review`` activity wrote the queue entry but its result is not yet processed) is retried next round."""

    def __init__(self, client: Client, stack: TemporalStack, runs: Iterable[Run]) -> None:
        self._client = client
        self._stack = stack
        self._pending = {run.application_id: run.scenario.review_decision for run in runs
                         if run.scenario.review_decision is not None}

    async def run(self, interval: float = 0.5) -> None:
        while self._pending:
            queued = await asyncio.to_thread(scan, self._stack, self._stack.resources.tables["reviews"])
            for item in queued:  # recorded by the workflow: an update that timed out on its way had arrived
                if item["pk"] in self._pending and "decision" in item:
                    del self._pending[item["pk"]]
            waiting = [item["pk"] for item in queued if item["pk"] in self._pending and "decision" not in item]
            decided = await asyncio.gather(*(self._decide(application_id) for application_id in waiting))
            for application_id, accepted in zip(waiting, decided, strict=True):
                if accepted:
                    del self._pending[application_id]
            await asyncio.sleep(interval)

    async def _decide(self, application_id: str) -> bool:
        decision = self._pending[application_id]
        assert decision is not None
        try:
            await submit_review(self._client, application_id, decision)
        except StarterError:  # not awaiting it yet: next round
            return False
        except WorkflowUpdateRPCTimeoutOrCancelledError:  # a loaded worker did not answer in time: next round
            return False
        return True


def scan(stack: TemporalStack, table: str) -> list[dict[str, Any]]:
    """Every item of a table (strongly consistent), keys included, numbers as ints."""
    items, kwargs = [], {"ConsistentRead": True}
    resource = stack.aws.resource("dynamodb").Table(table)
    while True:
        page = resource.scan(**kwargs)
        items += [{k: int(v) if isinstance(v, Decimal) else v for k, v in item.items()} for item in page["Items"]]
        if "LastEvaluatedKey" not in page:
            return items
        kwargs["ExclusiveStartKey"] = page["LastEvaluatedKey"]


def stored_side_effects(stack: TemporalStack) -> tuple[dict[str, SideEffects], Counter[str]]:
    """Every side effect in the stack's tables, grouped by application id, and the number of items per table. One
    scan per table, instead of four reads per application."""
    tables = {role: scan(stack, name) for role, name in stack.resources.tables.items()}

    def model(item: dict[str, Any]) -> dict[str, Any]:
        return {k: v for k, v in item.items() if k not in (PARTITION_KEY, SORT_KEY)}

    grouped: dict[str, dict[str, list[dict[str, Any]]]] = defaultdict(lambda: defaultdict(list))
    for role, items in tables.items():
        for item in items:
            grouped[item[PARTITION_KEY]][role].append(model(item))
    effects = {
        application_id: SideEffects(
            account=Account.model_validate(found["ledger"][0]) if found["ledger"] else None,
            charges=tuple(Charge.model_validate(item) for item in found["charges"]),
            outbox=tuple(OutboxMessage.model_validate(item) for item in found["outbox"]),
            review=ReviewRequest.model_validate(found["reviews"][0]) if found["reviews"] else None,
        )
        for application_id, found in grouped.items()
    }
    return effects, Counter({role: len(items) for role, items in tables.items()})


async def exactly_once_problems(
    stack: TemporalStack, runs: Iterable[Run], results: Mapping[str, Outcome]
) -> dict[str, Any]:
    """Differences from the scenarios' expectations, per application and in table totals (empty when none).

    Per application: outcome, account, charges, outbox and review as each scenario expects (so a duplicated charge
    or message shows as a count of 2). In total: the tables hold exactly the expected number of items, so nothing
    was written under another key either. Use tables that only these runs wrote to
    (``TemporalStack.with_new_tables``).
    """
    runs = list(runs)
    effects, stored = await asyncio.to_thread(stored_side_effects, stack)
    nothing = SideEffects(account=None, charges=(), outbox=(), review=None)
    problems: dict[str, Any] = {
        run.application_id: diff for run in runs
        if (diff := matches_expected(run.scenario, results[run.application_id],
                                     effects.get(run.application_id, nothing)))
    }
    expected = expected_item_counts(run.scenario for run in runs)
    if expected != stored:
        problems["table totals"] = {"expected": dict(expected), "stored": dict(stored)}
    return problems


def expected_item_counts(scenarios: Iterable[Scenario]) -> Counter[str]:
    counts: Counter[str] = Counter(ledger=0, charges=0, outbox=0, reviews=0)
    for scenario in scenarios:
        expected = scenario.expected
        counts["ledger"] += expected.account_status is not None
        counts["charges"] += expected.approved_charges + expected.declined_charges
        counts["outbox"] += expected.outbox_messages
        counts["reviews"] += expected.review_requested
    return counts


def table_item_counts(stack: TemporalStack) -> Counter[str]:
    return stored_side_effects(stack)[1]


async def pending_activities(client: Client, workflow_id: str) -> list[PendingActivityInfo]:
    described = await client.get_workflow_handle(workflow_id).describe()
    return list(described.raw_description.pending_activities)


async def started_attempts(client: Client, workflow_id: str) -> dict[str, int]:
    """Activity type -> the attempt its recorded start had. With a retry policy the service records one started
    event per activity, for its final attempt: 2 means the first attempt was lost and the activity ran again."""
    history = await client.get_workflow_handle(workflow_id).fetch_history()
    types = {event.event_id: event.activity_task_scheduled_event_attributes.activity_type.name
             for event in history.events if event.event_type == EventType.EVENT_TYPE_ACTIVITY_TASK_SCHEDULED}
    return {types[event.activity_task_started_event_attributes.scheduled_event_id]:
            event.activity_task_started_event_attributes.attempt
            for event in history.events if event.event_type == EventType.EVENT_TYPE_ACTIVITY_TASK_STARTED}
