"""What the Step Functions reliability tests count: every item in every store, every claim-check object, every
execution, every log line, and the attempts and failures an execution's history records.

Each test runs its own :class:`~local.stepfunctions.runner.LocalStepFunctions` (own tables, bucket and log groups), so
the totals below are exactly what that test caused: a duplicate anywhere shows up as one item too many.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

from local.onboarding import OnboardingResult, OnboardingStepFunctions
from scenarios import Expected


@dataclass(frozen=True)
class StoreTotals:
    """Item counts over whole tables and the bucket, for one runner."""

    accounts: int
    charges: int
    messages: int
    reviews: int
    claim_checks: int

    @classmethod
    def of(cls, sfn: OnboardingStepFunctions) -> StoreTotals:
        tables = sfn.resources.tables
        return cls(
            accounts=_count(sfn, tables["ledger"]),
            charges=_count(sfn, tables["charges"]),
            messages=_count(sfn, tables["outbox"]),
            reviews=_count(sfn, tables["reviews"]),
            claim_checks=len(claim_check_keys(sfn)),
        )

    @classmethod
    def expected(cls, outcomes: list[Expected], *, claim_checks: int) -> StoreTotals:
        """What a set of onboardings with these expected outcomes must leave, and nothing more."""
        return cls(
            accounts=sum(e.account_status is not None for e in outcomes),
            charges=sum(e.approved_charges + e.declined_charges for e in outcomes),
            messages=sum(e.outbox_messages for e in outcomes),
            reviews=sum(e.review_requested for e in outcomes),
            claim_checks=claim_checks,
        )


def idempotency_records(sfn: OnboardingStepFunctions) -> int:
    return _count(sfn, sfn.resources.idempotency_table)


def _count(sfn: OnboardingStepFunctions, table: str) -> int:
    paginator = sfn.client("dynamodb").get_paginator("scan")
    return sum(page["Count"] for page in paginator.paginate(TableName=table, Select="COUNT", ConsistentRead=True))


def claim_check_keys(sfn: OnboardingStepFunctions) -> list[str]:
    paginator = sfn.client("s3").get_paginator("list_objects_v2")
    return [obj["Key"] for page in paginator.paginate(Bucket=sfn.resources.bucket) for obj in page.get("Contents", [])]


def executions_named(sfn: OnboardingStepFunctions, name: str) -> list[dict[str, Any]]:
    paginator = sfn.stepfunctions.get_paginator("list_executions")
    pages = paginator.paginate(stateMachineArn=sfn.state_machine_arn)
    return [execution for page in pages for execution in page["executions"] if execution["name"] == name]


def every_log_message(sfn: OnboardingStepFunctions) -> list[str]:
    """Every line in every log group of the account: the functions' groups and the state machine's."""
    logs = sfn.client("logs")
    messages: list[str] = []
    for page in logs.get_paginator("describe_log_groups").paginate():
        for group in page["logGroups"]:
            for events in logs.get_paginator("filter_log_events").paginate(logGroupName=group["logGroupName"]):
                messages.extend(event["message"] for event in events["events"])
    return messages


def scheduled_functions(result: OnboardingResult) -> list[str]:
    """The function name of every Lambda task the execution scheduled, attempts included, in order."""
    names = []
    for event in result.history:
        if event["type"] == "TaskScheduled":
            parameters = json.loads(event["taskScheduledEventDetails"]["parameters"])
            names.append(str(parameters["FunctionName"]).rpartition(":function:")[2])
    return names


def attempts(sfn: OnboardingStepFunctions, result: OnboardingResult, function: str) -> int:
    return scheduled_functions(result).count(sfn.resources.function_name(function))


def failures(result: OnboardingResult) -> Iterator[tuple[str, str]]:
    """``(error, cause)`` of every failed or timed-out event, and of the execution itself."""
    for event in result.history:
        for key, details in event.items():
            if key.endswith(("FailedEventDetails", "TimedOutEventDetails")):
                yield str(details.get("error", "")), str(details.get("cause", ""))
    if "error" in result.description or "cause" in result.description:
        yield str(result.description.get("error", "")), str(result.description.get("cause", ""))
