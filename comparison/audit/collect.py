"""Collecting audit evidence from running services, with only the access an operator has.

- Temporal: a client connected *without* the payload codec (the default data converter) reads the raw
  history and the described search attributes and memo; nothing is decoded beyond what the server stores.
- Step Functions: boto3 clients read the execution's history (with execution data), its description, its
  state machine's tags and the state machine log group's events for the execution.
"""

from __future__ import annotations

from typing import Any

from google.protobuf.json_format import MessageToDict
from temporalio.client import Client

from comparison.audit.evidence import StepFunctionsEvidence, TemporalEvidence


async def temporal_evidence(client: Client, workflow_id: str, *, label: str, run_id: str | None = None
                            ) -> TemporalEvidence:
    handle = client.get_workflow_handle(workflow_id, run_id=run_id)
    history = await handle.fetch_history()
    description = await handle.describe()
    info = description.raw_description.workflow_execution_info
    return TemporalEvidence(
        label=label,
        workflow_id=workflow_id,
        history=[MessageToDict(event) for event in history.events],
        search_attributes=MessageToDict(info.search_attributes),
        memo=MessageToDict(info.memo),
        identifiers=[info.execution.run_id, info.task_queue],
    )


def stepfunctions_evidence(
    sfn: Any, execution_arn: str, *, label: str, logs: Any | None = None, log_group: str | None = None
) -> StepFunctionsEvidence:
    """``sfn`` and ``logs`` are boto3 clients; logs are read only when both ``logs`` and ``log_group`` are given."""
    events: list[dict[str, Any]] = []
    for page in sfn.get_paginator("get_execution_history").paginate(executionArn=execution_arn,
                                                                    includeExecutionData=True):
        events.extend(page["events"])
    described = sfn.describe_execution(executionArn=execution_arn)
    tags = sfn.list_tags_for_resource(resourceArn=described["stateMachineArn"]).get("tags", [])
    return StepFunctionsEvidence(
        label=label,
        history=events,
        describe_execution={k: v for k, v in described.items() if k != "ResponseMetadata"},
        log_events=execution_log_events(logs, log_group, execution_arn) if logs and log_group else [],
        tags={tag["key"]: tag["value"] for tag in tags},
    )


def execution_log_events(logs: Any, log_group: str, execution_arn: str) -> list[dict[str, Any]]:
    """The log group's events that belong to one execution (each record names its execution ARN)."""
    found: list[dict[str, Any]] = []
    for page in logs.get_paginator("filter_log_events").paginate(logGroupName=log_group):
        found.extend(event for event in page["events"] if execution_arn in str(event.get("message", "")))
    return found
