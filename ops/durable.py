"""Operator commands for the onboarding durable function: start an onboarding, answer its review, show where it is.

    python -m ops.durable start application.json [--review-timeout-seconds N]
    python -m ops.durable review app_... APPROVE|DECLINE
    python -m ops.durable status app_...

Configuration (environment): ``DURABLE_FUNCTION`` (the function to start, qualified with its alias or version: durable
executions need a qualified function), ``PAYLOAD_KEY_ID`` (the KMS key the function seals its checkpoints under; the
submission and the review's answer are sealed here with it, before they leave this machine), ``REVIEWS_TABLE`` and
AWS credentials allowed ``lambda:InvokeFunction``, ``lambda:SendDurableExecutionCallbackSuccess`` and
``lambda:ListDurableExecutionsByFunction`` on the function,
``kms:GenerateDataKey`` on the key (with the ``durable-checkpoint`` encryption context) and read access to the
review queue. Output is JSON holding ids, steps and outcomes only.

The library functions take a ``start`` callable, so the same code drives a deployment (``lambda:Invoke`` with the
execution's name, :func:`invoke_starter`) and the local emulator (``local.durable.runner``).
"""

from __future__ import annotations

import argparse
import json
import os
import sys
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

import boto3
from botocore.exceptions import BotoCoreError, ClientError, NoRegionError

from contract.environment import CHECKPOINT_ENCRYPTION_CONTEXT, DEFAULT_REVIEW_TIMEOUT_SECONDS, PAYLOAD_KEY_ID
from contract.onboarding import ONBOARDING
from durable_functions.serdes import seal_callback_result, seal_input
from envelope.key_cache import DataKeyCache
from envelope.keys import KmsKeyProvider
from onboarding.adapters.dynamodb import DynamoReviewQueue
from onboarding.models import ReviewDecision
from onboarding.ports import ReviewQueue
from ops.reviewer import CALLBACK_FAILED, ReviewError, aws_failure
from ops.starter import StarterError, require_unicode_text, workflow_id_for

ENV_FUNCTION = "DURABLE_FUNCTION"
Start = Callable[[str, dict[str, Any]], str]  # (execution name, input) -> the durable execution's ARN


def execution_input(submission: dict[str, Any], *, keys: DataKeyCache | None, review_timeout_seconds: int) -> dict[
        str, Any]:
    """The execution's input: the submission sealed under its application id (``keys``), or inline when ``keys`` is
    None (the baseline profile, local runs only). Refuses what cannot become an execution, before anything starts."""
    application_id = workflow_id_for(submission)  # opaque id checked: no PII can become an execution name
    require_unicode_text(submission)
    source = ({"sealed": seal_input(submission, keys, execution_name=application_id)} if keys is not None
              else {"inline": submission})
    return {"application_id": application_id, "submission": source, "review_timeout_seconds": review_timeout_seconds}


def start_onboarding(start: Start, submission: dict[str, Any], *, keys: DataKeyCache | None,
                     review_timeout_seconds: int = DEFAULT_REVIEW_TIMEOUT_SECONDS) -> str:
    """Start (or find) the onboarding of ``submission``: the execution's name is its application id."""
    event = execution_input(submission, keys=keys, review_timeout_seconds=review_timeout_seconds)
    return start(event["application_id"], event)


def invoke_starter(lambda_client: Any, function: str) -> Start:
    """Starts through ``lambda:Invoke`` (asynchronous, ``DurableExecutionName`` = the application id: a second
    start under the same name finds the first execution)."""

    def start(name: str, payload: dict[str, Any]) -> str:
        response = lambda_client.invoke(FunctionName=function, InvocationType="Event", DurableExecutionName=name,
                                        Payload=json.dumps(payload).encode())
        arn: str = response["DurableExecutionArn"]
        return arn

    return start


def decide(application_id: str, decision: ReviewDecision, *, reviews: ReviewQueue, lambda_client: Any,
           keys: DataKeyCache | None) -> None:
    """Answer the waiting review with the decision (sealed for the function unless ``keys`` is None); the function
    records it in the queue. Raises :class:`~ops.reviewer.ReviewError` with a code, never data."""
    review = reviews.get(application_id)
    if review is None or review.task_token is None:
        raise ReviewError("REVIEW_NOT_FOUND")
    if review.decision is not None:
        if review.decision is decision:
            return
        raise ReviewError("REVIEW_ALREADY_DECIDED")
    answer = {"decision": decision.value}
    result = (seal_callback_result(answer, keys, execution_name=application_id) if keys is not None
              else json.dumps(answer))
    try:
        lambda_client.send_durable_execution_callback_success(CallbackId=review.task_token, Result=result.encode())
    except ClientError as error:
        code = error.response.get("Error", {}).get("Code", "")
        expired = {"CallbackTimeoutException", "ResourceNotFoundException", "404"}
        raise ReviewError("REVIEW_EXPIRED" if code in expired else CALLBACK_FAILED) from None


def client_keys(key_id: str, kms_client: Any) -> DataKeyCache:
    """The data keys a client seals with: the function's key and use, a cache of its own."""
    return DataKeyCache(KmsKeyProvider(key_id, kms_client=kms_client, encryption_context=CHECKPOINT_ENCRYPTION_CONTEXT))


def _required(name: str) -> str:
    value = os.environ.get(name, "").strip()
    if not value:
        raise StarterError(f"environment variable {name} is not set")
    return value


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m ops.durable", description=__doc__.splitlines()[0])
    commands = parser.add_subparsers(dest="command", required=True)
    start = commands.add_parser("start", help="start an onboarding from a JSON submission file")
    start.add_argument("file", type=Path)
    start.add_argument("--review-timeout-seconds", type=int, default=DEFAULT_REVIEW_TIMEOUT_SECONDS)
    review = commands.add_parser("review", help="answer the onboarding's review")
    review.add_argument("application_id")
    review.add_argument("decision", choices=[decision.value for decision in ReviewDecision])
    status = commands.add_parser("status", help="the onboarding's execution status")
    status.add_argument("application_id")
    args = parser.parse_args(argv)
    try:
        function = _required(ENV_FUNCTION)
        lambda_client = boto3.client("lambda")
        if args.command == "start":
            try:
                submission = json.loads(args.file.read_text(encoding="utf-8"))
            except (OSError, ValueError) as error:
                raise StarterError(f"cannot read a JSON submission from {args.file} ({type(error).__name__})") \
                    from None
            if not isinstance(submission, dict):
                raise StarterError("the submission must be a JSON object")
            keys = client_keys(_required(PAYLOAD_KEY_ID), boto3.client("kms"))
            arn = start_onboarding(invoke_starter(lambda_client, function), submission, keys=keys,
                                   review_timeout_seconds=args.review_timeout_seconds)
            print(json.dumps({"application_id": submission["application_id"], "durable_execution_arn": arn}))
        elif args.command == "review":
            application_id = workflow_id_for({"application_id": args.application_id})
            table = boto3.resource("dynamodb").Table(_required(ONBOARDING.table_variable("reviews")))
            decide(application_id, ReviewDecision(args.decision), reviews=DynamoReviewQueue(table),
                   lambda_client=lambda_client, keys=client_keys(_required(PAYLOAD_KEY_ID), boto3.client("kms")))
            print(json.dumps({"application_id": application_id, "decision": args.decision, "accepted": True}))
        else:
            application_id = workflow_id_for({"application_id": args.application_id})
            listed = lambda_client.list_durable_executions_by_function(FunctionName=function,
                                                                       DurableExecutionName=application_id)
            executions = listed.get("DurableExecutions", [])
            print(json.dumps({"application_id": application_id,
                              "status": executions[0]["Status"] if executions else "NOT_FOUND"}))
    except (StarterError, ReviewError) as error:
        print(json.dumps({"error": str(error)}), file=sys.stderr)
        return 2
    except (BotoCoreError, ClientError) as error:
        print(json.dumps({"error": aws_failure(error)}), file=sys.stderr)
        return 2 if isinstance(error, NoRegionError) else 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
