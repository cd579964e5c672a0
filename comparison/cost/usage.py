"""Counting what each service bills, from the histories of a run.

Temporal Cloud Actions (https://docs.temporal.io/cloud/actions), per execution, from history:
- workflow started: 1 per ``WorkflowExecutionStarted``;
- activity started or retried: per scheduled activity, its attempts (the ``attempt`` of its
  ``ActivityTaskStarted``; history records only the last attempt, earlier ones appear as its count);
  1 when it never started;
- timer started (including the SDK's implicit timers, e.g. ``wait_condition(timeout=...)``): 1 each;
- signal sent (client or workflow): 1 per ``WorkflowExecutionSignaled`` and
  ``SignalExternalWorkflowExecutionInitiated``;
- update received by a worker: 1 per ``WorkflowExecutionUpdateAccepted`` (rejected updates leave no
  history; count them with ``rejected_updates``);
- search attribute upsert: 1 per ``UpsertWorkflowSearchAttributes`` unless it only sets
  ``TemporalChangeVersion``;
- local activities: 1 per workflow task that recorded local activity markers;
- child workflow: 2 per ``StartChildWorkflowExecutionInitiated`` (start + attempted execution);
- workflow execution options updated, Nexus operation scheduled or cancel requested: 1 each.
Workflow completion is not an Action. Queries and activity heartbeats are Actions but leave no history:
the caller passes their counts.

Step Functions Standard (https://aws.amazon.com/step-functions/pricing/): "a state transition each time a
step of your workflow is executed ... including retries": every ``*StateEntered`` event is one
transition and every retry of a task (a ``*Scheduled`` event whose previous event is a failure or timeout
of the same task) is one more.

Lambda: one request per ``TaskScheduled`` of resource type ``lambda`` (optimised integration) or
``LambdaFunctionScheduled`` (legacy ARN). Duration is what the orchestrator observed from started to
the end of the invocation (for ``.waitForTaskToken`` tasks, to ``TaskSubmitted``: the invoke returned,
the wait for the callback is not Lambda time), rounded up to 1 ms as Lambda bills: an upper bound of the
function's own billed duration.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from datetime import datetime
from typing import Any

from pydantic import BaseModel, ConfigDict

from comparison.histories import event_kind, normalise

_LOCAL_ACTIVITY_MARKERS = frozenset({"corelocalactivity", "localactivity"})
_CHANGE_VERSION_ONLY = frozenset({"TemporalChangeVersion"})


class _Frozen(BaseModel):
    model_config = ConfigDict(frozen=True)


class ActionCount(_Frozen):
    by_kind: dict[str, int]
    total: int


class TransitionCount(_Frozen):
    states_entered: int
    retries: int
    total: int


class LambdaUsage(_Frozen):
    invocations: int
    billed_ms: int  # sum over invocations


def count_temporal_actions(
    events: Sequence[Mapping[str, Any]], *, queries: int = 0, heartbeats: int = 0, rejected_updates: int = 0
) -> ActionCount:
    kinds: dict[str, int] = dict.fromkeys(
        ("workflow_started", "activity_attempts", "timers", "signals", "updates", "search_attribute_upserts",
         "local_activities", "child_workflows", "options_updates", "nexus"), 0,
    )
    attempts: dict[str, int] = {}
    local_activity_tasks: set[str] = set()
    for event in events:
        kind = event_kind(event)
        attributes = _attributes(event)
        if kind == "workflowexecutionstarted":
            kinds["workflow_started"] += 1
        elif kind == "activitytaskscheduled":
            attempts[str(event.get("eventId", event.get("event_id")))] = 1
        elif kind == "activitytaskstarted":
            scheduled = str(_get(attributes, "scheduledEventId"))
            attempts[scheduled] = max(attempts.get(scheduled, 1), int(_get(attributes, "attempt") or 1))
        elif kind == "timerstarted":
            kinds["timers"] += 1
        elif kind in ("workflowexecutionsignaled", "signalexternalworkflowexecutioninitiated"):
            kinds["signals"] += 1
        elif kind == "workflowexecutionupdateaccepted":
            kinds["updates"] += 1
        elif kind == "upsertworkflowsearchattributes":
            fields = _get(_get(attributes, "searchAttributes") or {}, "indexedFields") or {}
            kinds["search_attribute_upserts"] += 0 if set(fields) <= _CHANGE_VERSION_ONLY and fields else 1
        elif kind == "markerrecorded" and normalise(str(_get(attributes, "markerName"))) in _LOCAL_ACTIVITY_MARKERS:
            local_activity_tasks.add(str(_get(attributes, "workflowTaskCompletedEventId")))
        elif kind == "startchildworkflowexecutioninitiated":
            kinds["child_workflows"] += 2
        elif kind == "workflowexecutionoptionsupdated":
            kinds["options_updates"] += 1
        elif kind in ("nexusoperationscheduled", "nexusoperationcancelrequested"):
            kinds["nexus"] += 1
    kinds["activity_attempts"] = sum(attempts.values())
    kinds["local_activities"] = len(local_activity_tasks)
    kinds["updates"] += rejected_updates
    kinds["queries"] = queries
    kinds["heartbeats"] = heartbeats
    return ActionCount(by_kind=kinds, total=sum(kinds.values()))


_RETRY_PREDECESSORS = {
    "TaskScheduled": frozenset({"TaskFailed", "TaskTimedOut", "TaskStartFailed", "TaskSubmitFailed"}),
    "LambdaFunctionScheduled": frozenset(
        {"LambdaFunctionFailed", "LambdaFunctionTimedOut", "LambdaFunctionStartFailed"}
    ),
    "ActivityScheduled": frozenset({"ActivityFailed", "ActivityTimedOut"}),
}


def count_state_transitions(events: Sequence[Mapping[str, Any]]) -> TransitionCount:
    by_id = {event["id"]: event for event in events if "id" in event}
    entered = retries = 0
    for position, event in enumerate(events):
        kind = str(event.get("type", ""))
        if kind.endswith("StateEntered"):
            entered += 1
        elif kind in _RETRY_PREDECESSORS:
            previous = _previous(event, position, events, by_id)
            if previous is not None and previous.get("type") in _RETRY_PREDECESSORS[kind]:
                retries += 1
    return TransitionCount(states_entered=entered, retries=retries, total=entered + retries)


def count_lambda_usage(events: Sequence[Mapping[str, Any]]) -> LambdaUsage:
    invocations = billed_ms = 0
    open_calls: dict[Any, dict[str, Any]] = {}  # id of any event in an open invocation's chain -> its state
    last_open: dict[str, Any] | None = None
    call: dict[str, Any] | None
    for position, event in enumerate(events):
        kind = str(event.get("type", ""))
        details = _details(event)
        if kind == "LambdaFunctionScheduled" or (kind == "TaskScheduled" and details.get("resourceType") == "lambda"):
            invocations += 1
            last_open = {"started": None}
            open_calls[event.get("id", position)] = last_open
            continue
        call = open_calls.get(event.get("previousEventId"), last_open if "previousEventId" not in event else None)
        if call is None:
            continue
        open_calls[event.get("id", position)] = call
        if kind in ("TaskStarted", "LambdaFunctionStarted"):
            call["started"] = _timestamp(event)
        elif kind in _INVOCATION_ENDS and call["started"] is not None:
            elapsed = (_timestamp(event) - call["started"]).total_seconds() * 1000
            billed_ms += max(1, math.ceil(elapsed - 1e-9))
            call["started"] = None  # a callback task's later TaskSucceeded is not Lambda time
    return LambdaUsage(invocations=invocations, billed_ms=billed_ms)


def log_bytes(log_events: Sequence[Mapping[str, Any]], overhead: int) -> int:
    """CloudWatch Logs ingestion size: UTF-8 message bytes plus the per-event overhead."""
    return sum(len(str(event.get("message", "")).encode()) + overhead for event in log_events)


_INVOCATION_ENDS = frozenset({
    "TaskSubmitted", "TaskSucceeded", "TaskFailed", "TaskTimedOut",
    "LambdaFunctionSucceeded", "LambdaFunctionFailed", "LambdaFunctionTimedOut",
})


def _previous(
    event: Mapping[str, Any], position: int, events: Sequence[Mapping[str, Any]], by_id: Mapping[Any, Any]
) -> Mapping[str, Any] | None:
    if "previousEventId" in event:
        found: Mapping[str, Any] | None = by_id.get(event["previousEventId"])
        return found
    return events[position - 1] if position > 0 else None


def _details(event: Mapping[str, Any]) -> Mapping[str, Any]:
    for key, value in event.items():
        if key.endswith("EventDetails") and isinstance(value, Mapping):
            return value
    return {}


def _attributes(event: Mapping[str, Any]) -> Mapping[str, Any]:
    for key, value in event.items():
        if normalise(key).endswith("eventattributes") and isinstance(value, Mapping):
            return value
    return {}


def _get(node: Mapping[str, Any], camel: str) -> Any:
    """A field by its camelCase name or its snake_case twin."""
    if camel in node:
        return node[camel]
    snake = "".join("_" + ch.lower() if ch.isupper() else ch for ch in camel)
    return node.get(snake)


def _timestamp(event: Mapping[str, Any]) -> datetime:
    value = event["timestamp"]
    return value if isinstance(value, datetime) else datetime.fromisoformat(str(value))
