"""The submission entry point of a process (not a state): a client calls it with the whole submission.

Hardened: the submission is stored once in the claim-check bucket (SSE-KMS) and the execution starts with
``{<id field>, submission: {claim_check: {bucket, key}}, review_timeout_seconds}`` only. Baseline: the submission
travels inline in the execution input (exposure comparison only).

Only the business id is checked here (it names the S3 object and the execution); everything else is validated by the
process's first state, so an invalid submission still gets its outcome from the state machine, as on the Temporal
side. A duplicate submission returns the existing execution and has no second set of side effects; a different
submission under a used id is refused (``APPLICATION_CONFLICT``). A malformed id or an oversized submission is
refused with the process's ``invalid_reason`` and a field code, never a value.
"""

from __future__ import annotations

import json
import re
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from botocore.exceptions import ClientError

from contract.profile import Profile
from lambdas.claim_check import MAX_SUBMISSION_BYTES, encode_submission
from lambdas.errors import business_error
from lambdas.observability import logger
from lambdas.task import Invocation, LambdaHandler, TaskRegistration, entry_point


@dataclass(frozen=True)
class _FieldError:
    field: str
    code: str


def intake_handler(registration: TaskRegistration[Any]) -> LambdaHandler:
    """The entry function's Lambda handler for the registration's process."""
    process = registration.process
    pattern = re.compile(process.id_pattern)

    def invalid(field: str, code: str) -> Exception:
        return business_error(process.invalid_reason, [_FieldError(field=field, code=code)])

    def business_id(event: Any) -> str:
        if not isinstance(event, Mapping):
            raise invalid("$", "wrong_type")
        value = event.get(process.id_field)
        if value is None:
            raise invalid(process.id_field, "missing")
        if not isinstance(value, str) or not pattern.fullmatch(value):
            raise invalid(process.id_field, "invalid_format")
        return value

    @entry_point(registration, process.entry_function)
    def handler(event: Any, run: Invocation[Any]) -> dict[str, Any]:
        identifier = business_id(event)
        logger.append_keys(**{process.id_field: identifier})
        body = encode_submission(event)
        if len(body) > MAX_SUBMISSION_BYTES:
            raise invalid("$", "too_large")
        if run.settings.profile is Profile.BASELINE:
            submission: dict[str, Any] = {"inline": dict(event)}
        else:
            ref, created = run.runtime.claim_checks.put(identifier, body)
            logger.info("claim check stored" if created else "claim check already stored")
            submission = {"claim_check": ref.model_dump(mode="json")}
        execution_input = {
            process.id_field: identifier,
            "submission": submission,
            "review_timeout_seconds": run.settings.review_timeout_seconds,
        }
        return {process.id_field: identifier, "execution_arn": _start(run, identifier, execution_input)}

    return handler


def _start(run: Invocation[Any], name: str, execution_input: dict[str, Any]) -> str:
    """Start the execution named after the business id; an existing one is returned, not restarted."""
    state_machine_arn = run.settings.require_state_machine_arn()
    try:
        response = run.runtime.client("stepfunctions").start_execution(
            stateMachineArn=state_machine_arn,
            name=name,
            input=json.dumps(execution_input, separators=(",", ":")),
        )
    except ClientError as error:
        if error.response["Error"]["Code"] != "ExecutionAlreadyExists":
            raise
        logger.info("execution already exists")
        return execution_arn_for(state_machine_arn, name)
    # A same-name, same-input start while the execution runs returns that execution: nothing new starts.
    arn: str = response["executionArn"]
    return arn


def execution_arn_for(state_machine_arn: str, name: str) -> str:
    """``arn:<p>:states:<r>:<a>:stateMachine:<sm>`` -> ``arn:<p>:states:<r>:<a>:execution:<sm>:<name>``."""
    prefix, _, state_machine = state_machine_arn.rpartition(":stateMachine:")
    return f"{prefix}:execution:{state_machine}:{name}"
