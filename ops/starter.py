"""Operator starter: start an onboarding from a JSON file, send a review decision, ask where one is.

    python -m ops.starter start application.json [--review-timeout-seconds N] [--wait]
    python -m ops.starter review app_... APPROVE|DECLINE
    python -m ops.starter status app_...

Connection and payload keys come from the same environment variables as the worker (workers/settings.py), so the
submission is encrypted on this machine before it is sent. Output is JSON holding ids, steps and outcomes only.

Identity: the workflow id is the submission's ``application_id`` (checked against the opaque-id pattern first, so
no PII can become an id). Starting the same application twice yields one execution: ``USE_EXISTING`` returns the
running one, and ``REJECT_DUPLICATE`` refuses a second run after it has closed (this starter then returns the
existing execution instead of an error).
"""

from __future__ import annotations

import argparse
import asyncio
import json
import re
import sys
from pathlib import Path
from typing import Any

from pydantic import BaseModel
from temporalio.client import Client, WorkflowHandle, WorkflowUpdateFailedError
from temporalio.common import WorkflowIDConflictPolicy, WorkflowIDReusePolicy
from temporalio.exceptions import WorkflowAlreadyStartedError
from temporalio.service import RPCError, RPCStatusCode

from contract.onboarding import ONBOARDING
from onboarding.models import APPLICATION_ID_PATTERN, Application, Outcome, ReviewDecision
from workers.client import build_codec, connect
from workers.exit import exit_now
from workers.messages import (
    CURRENT_STEP_QUERY_NAME,
    PRODUCTION_REVIEW_TIMEOUT_SECONDS,
    REVIEW_UPDATE_NAME,
    WORKFLOW_NAME,
    OnboardingInput,
)
from workers.settings import ClientSettings, SettingsError

_APPLICATION_ID = re.compile(APPLICATION_ID_PATTERN)


class StarterError(ValueError):
    """A refused request; the message names the problem, never a submitted value."""


def workflow_id_for(submission: object) -> str:
    # Submissions are untrusted JSON: anything may arrive here, and nothing may start before this check passes.
    if not isinstance(submission, dict):
        raise StarterError("the submission must be a JSON object")
    application_id = submission.get("application_id")
    if not isinstance(application_id, str) or not _APPLICATION_ID.match(application_id):
        raise StarterError("application_id is missing or not an opaque id (app_ + 10-40 letters/digits)")
    return application_id


def require_unicode_text(submission: dict[str, Any]) -> None:
    """Refuse text that is not valid Unicode (JSON's ``\\ud800`` escapes decode to lone surrogates): the payload
    converter cannot encode it, so it could never reach the workflow's validation. The error lists the fields with
    the code validation uses for them, ``invalid_characters``; nothing is started. Field names outside the schema
    may themselves be PII, so such a place is reported as its closest schema field (``$`` for the top level)."""
    fields = sorted({_schema_path(path) for path in _non_unicode_paths(submission, ())})
    if fields:
        raise StarterError("; ".join(f"{field}: invalid_characters" for field in fields)
                           + " (text that is not valid Unicode cannot be sent; nothing was started)")


def _non_unicode_paths(value: object, path: tuple[str, ...]) -> list[tuple[str, ...]]:
    if isinstance(value, str):
        return [] if _is_unicode(value) else [path]
    items = value.items() if isinstance(value, dict) else enumerate(value) if isinstance(value, list) else ()
    found: list[tuple[str, ...]] = []
    for key, item in items:
        key_text = str(key)
        found += _non_unicode_paths(item, (*path, key_text)) if _is_unicode(key_text) else [path]
    return found


def _schema_path(path: tuple[str, ...]) -> str:
    known: list[str] = []
    model: type[BaseModel] | None = Application
    for part in path:
        field = model.model_fields.get(part) if model is not None else None
        if field is None:
            break
        known.append(part)
        annotation = field.annotation
        model = annotation if isinstance(annotation, type) and issubclass(annotation, BaseModel) else None
    return ".".join(known) or "$"


def _is_unicode(text: str) -> bool:
    try:
        text.encode("utf-8")
    except UnicodeEncodeError:
        return False
    return True


async def start_onboarding(
    client: Client, submission: dict[str, Any], *, task_queue: str,
    review_timeout_seconds: int = PRODUCTION_REVIEW_TIMEOUT_SECONDS,
) -> WorkflowHandle[Any, Outcome]:
    """Start (or find) the onboarding of ``submission``; idempotent on its application id."""
    workflow_id = workflow_id_for(submission)
    require_unicode_text(submission)
    request = OnboardingInput(submission=submission, review_timeout_seconds=review_timeout_seconds)
    try:
        return await client.start_workflow(
            WORKFLOW_NAME, request, id=workflow_id, task_queue=task_queue, result_type=Outcome,
            id_reuse_policy=WorkflowIDReusePolicy.REJECT_DUPLICATE,
            id_conflict_policy=WorkflowIDConflictPolicy.USE_EXISTING,
        )
    except WorkflowAlreadyStartedError:
        return client.get_workflow_handle(workflow_id, result_type=Outcome)


async def submit_review(client: Client, application_id: str, decision: ReviewDecision) -> None:
    """Deliver a reviewer's decision; raises StarterError when the onboarding is not awaiting one."""
    handle = client.get_workflow_handle(application_id)
    try:
        await handle.execute_update(REVIEW_UPDATE_NAME, decision)
    except WorkflowUpdateFailedError:
        raise StarterError("decision refused: this onboarding is not awaiting a review decision") from None
    except RPCError as error:
        if error.status not in (RPCStatusCode.NOT_FOUND, RPCStatusCode.FAILED_PRECONDITION):
            raise
        raise StarterError(
            "decision refused: this onboarding is not awaiting a review decision (finished or unknown)"
        ) from None


async def current_step(client: Client, application_id: str) -> str:
    step: str = await client.get_workflow_handle(application_id).query(CURRENT_STEP_QUERY_NAME, result_type=str)
    return step


async def _run(args: argparse.Namespace, settings: ClientSettings) -> dict[str, Any]:
    client = await connect(settings, codec=build_codec(settings))
    if args.command == "start":
        submission = _read_submission(Path(args.file))
        handle = await start_onboarding(
            client, submission, task_queue=settings.queue, review_timeout_seconds=args.review_timeout_seconds
        )
        description = await handle.describe()
        result: dict[str, Any] = {"workflow_id": handle.id, "run_id": description.run_id}
        if args.wait:
            result["outcome"] = (await handle.result()).model_dump(mode="json")
        return result
    application_id = _checked_id(args.application_id)
    if args.command == "review":
        await submit_review(client, application_id, ReviewDecision(args.decision))
        return {"workflow_id": application_id, "decision": args.decision, "accepted": True}
    return {"workflow_id": application_id, "current_step": await current_step(client, application_id)}


def _read_submission(path: Path) -> dict[str, Any]:
    try:
        submission = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError) as error:
        raise StarterError(f"cannot read a JSON submission from {path} ({type(error).__name__})") from None
    if not isinstance(submission, dict):
        raise StarterError("the submission must be a JSON object")
    return submission


def _checked_id(application_id: str) -> str:
    return workflow_id_for({"application_id": application_id})


def _positive_int(text: str) -> int:
    if not text.isdigit() or int(text) < 1:
        raise argparse.ArgumentTypeError("must be a whole number of seconds, at least 1")
    return int(text)


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="python -m ops.starter", description=__doc__.split("\n\n")[0])
    commands = parser.add_subparsers(dest="command", required=True)
    start = commands.add_parser("start", help="start an onboarding from a JSON submission file")
    start.add_argument("file")
    start.add_argument("--review-timeout-seconds", type=_positive_int, default=PRODUCTION_REVIEW_TIMEOUT_SECONDS)
    start.add_argument("--wait", action="store_true", help="wait for and print the outcome")
    review = commands.add_parser("review", help="send a manual review decision")
    review.add_argument("application_id")
    review.add_argument("decision", choices=[decision.value for decision in ReviewDecision])
    status = commands.add_parser("status", help="print the current step")
    status.add_argument("application_id")
    return parser


def main(argv: list[str] | None = None) -> int:
    args = _parser().parse_args(argv)
    try:
        settings = ClientSettings.from_env(process=ONBOARDING)
        print(json.dumps(asyncio.run(_run(args, settings))))
    except (SettingsError, StarterError) as error:
        print(json.dumps({"error": str(error)}), file=sys.stderr)
        return 2
    return 0


if __name__ == "__main__":
    exit_now(main())
