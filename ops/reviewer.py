"""The reviewer command: answer a pending manual review.

``python -m ops.reviewer list | approve APP_ID | decline APP_ID | heartbeat APP_ID``

It reads the task token the ``request_review`` task stored in the review queue, completes the waiting
task, and records the delivered decision there (first decision wins): approve -> ``SendTaskSuccess`` with
``{"decision": "APPROVE"}``; decline -> ``SendTaskFailure`` with error ``REVIEW_DECLINED`` and cause
``{"decision": "DECLINE"}``. Nothing else travels to Step Functions. ``heartbeat`` tells Step Functions the
review is still being worked on (the review task has ``HeartbeatSeconds``). Needs ``REVIEWS_TABLE`` and
AWS credentials allowed to call states:SendTask* on the state machine.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
from collections.abc import Sequence
from typing import Any

import boto3
from boto3.dynamodb.conditions import Attr
from botocore.exceptions import BotoCoreError, ClientError, NoRegionError

from contract.onboarding import ONBOARDING
from onboarding.adapters.dynamodb import DynamoReviewQueue
from onboarding.models import RejectionReason, ReviewDecision, ReviewRequest
from onboarding.ports import ReviewQueue


class ReviewError(RuntimeError):
    """A code, never data: the review is unknown, already decided another way, or expired; or the callback failed
    for another reason (``CALLBACK_FAILED``: worth trying again)."""


CALLBACK_FAILED = "REVIEW_CALLBACK_FAILED"


def pending_reviews(reviews_table: Any) -> list[ReviewRequest]:
    """Reviews waiting for a decision (a task token stored, no decision yet), oldest id first."""
    items: list[dict[str, Any]] = []
    kwargs: dict[str, Any] = {
        "FilterExpression": Attr("task_token").exists() & Attr("decision").not_exists(),
        "ConsistentRead": True,
    }
    while True:
        page = reviews_table.scan(**kwargs)
        items.extend(page["Items"])
        if "LastEvaluatedKey" not in page:
            break
        kwargs["ExclusiveStartKey"] = page["LastEvaluatedKey"]
    fields = ReviewRequest.model_fields.keys()
    return sorted(
        (ReviewRequest.model_validate({k: v for k, v in item.items() if k in fields}) for item in items),
        key=lambda review: review.application_id,
    )


def decide(application_id: str, decision: ReviewDecision, *, reviews: ReviewQueue, stepfunctions: Any) -> None:
    """Answer the waiting task, then record the decision: the queue only ever records a delivered decision
    (a decision sent after the review timed out is refused as ``REVIEW_EXPIRED`` and not recorded)."""
    review = reviews.get(application_id)
    if review is None or review.task_token is None:
        raise ReviewError("REVIEW_NOT_FOUND")
    if review.decision is not None:
        if review.decision is decision:
            return  # already delivered and recorded
        raise ReviewError("REVIEW_ALREADY_DECIDED")
    try:
        if decision is ReviewDecision.APPROVE:
            stepfunctions.send_task_success(
                taskToken=review.task_token, output=json.dumps({"decision": decision.value})
            )
        else:
            stepfunctions.send_task_failure(
                taskToken=review.task_token,
                error=RejectionReason.REVIEW_DECLINED.value,
                cause=json.dumps({"decision": decision.value}),
            )
    except ClientError as error:
        current = reviews.get(application_id)
        if current is not None and current.decision is not None:  # another reviewer answered first
            if current.decision is decision:
                return
            raise ReviewError("REVIEW_ALREADY_DECIDED") from None
        raise ReviewError(_token_error(error)) from None
    reviews.record_decision(application_id=application_id, decision=decision)


def heartbeat(application_id: str, *, reviews: ReviewQueue, stepfunctions: Any) -> None:
    review = reviews.get(application_id)
    if review is None or review.task_token is None or review.decision is not None:
        raise ReviewError("REVIEW_NOT_PENDING")
    try:
        stepfunctions.send_task_heartbeat(taskToken=review.task_token)
    except ClientError as error:
        raise ReviewError(_token_error(error)) from None


def _token_error(error: ClientError) -> str:
    expired = {"TaskTimedOut", "TaskDoesNotExist", "InvalidToken"}
    return "REVIEW_EXPIRED" if error.response["Error"]["Code"] in expired else CALLBACK_FAILED


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m ops.reviewer", description=__doc__.splitlines()[0])
    commands = parser.add_subparsers(dest="command", required=True)
    commands.add_parser("list", help="pending reviews (application id and risk level)")
    for name in ("approve", "decline", "heartbeat"):
        commands.add_parser(name).add_argument("application_id")
    args = parser.parse_args(argv)

    variable = ONBOARDING.table_variable("reviews")
    table_name = os.environ.get(variable)
    if not table_name:
        parser.error(f"environment variable {variable} is not set")
    try:
        table = boto3.resource("dynamodb").Table(table_name)
        reviews, stepfunctions = DynamoReviewQueue(table), boto3.client("stepfunctions")
        if args.command == "list":
            for review in pending_reviews(table):
                print(json.dumps({"application_id": review.application_id, "risk_level": review.risk_level.value}))
        elif args.command == "heartbeat":
            heartbeat(args.application_id, reviews=reviews, stepfunctions=stepfunctions)
        else:
            decision = ReviewDecision.APPROVE if args.command == "approve" else ReviewDecision.DECLINE
            decide(args.application_id, decision, reviews=reviews, stepfunctions=stepfunctions)
    except ReviewError as error:
        print(f"error: {error}", file=sys.stderr)
        return 1
    except (BotoCoreError, ClientError) as error:
        print(f"error: {aws_failure(error)}", file=sys.stderr)
        return 2 if isinstance(error, NoRegionError) else 1
    return 0


def aws_failure(error: BotoCoreError | ClientError) -> str:
    """What an operator command says when AWS cannot be reached or refuses: the setting to fix, or the error code
    (never the message, which may quote a request)."""
    if isinstance(error, NoRegionError):
        return "no AWS region: set AWS_REGION (or AWS_DEFAULT_REGION)"
    if isinstance(error, ClientError):
        return f"AWS refused the call ({error.response.get('Error', {}).get('Code', 'Unknown')})"
    return f"AWS could not be reached ({type(error).__name__})"


if __name__ == "__main__":
    raise SystemExit(main())
