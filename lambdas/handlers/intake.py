"""The submission entry point (not a state): a client calls it with the full application.

Hardened: the submission is stored once in the claim-check bucket (SSE-KMS) and the execution starts with
``{application_id, submission: {claim_check: {bucket, key}}, review_timeout_seconds}`` only. Baseline: the
application travels inline in the execution input (exposure comparison only).

Only the application id is checked here (it names the S3 object and the execution); everything else is
validated by the ``validate`` state, so an invalid application still gets its outcome from the state
machine, as on the Temporal side. A duplicate submission returns the existing execution and has no
second set of side effects; a different submission under a used id is refused (``APPLICATION_CONFLICT``).
"""

from __future__ import annotations

import json
import re
from collections.abc import Mapping
from typing import Any

from botocore.exceptions import ClientError

from contract.profile import Profile
from lambdas.claim_check import MAX_SUBMISSION_BYTES, encode_submission
from lambdas.errors import business_error
from lambdas.observability import logger
from lambdas.registration import ONBOARDING_TASKS
from lambdas.task import Invocation, entry_point
from onboarding.models import APPLICATION_ID_PATTERN, FieldError, RejectionReason
from onboarding.ports import Adapters

_APPLICATION_ID = re.compile(APPLICATION_ID_PATTERN)


@entry_point(ONBOARDING_TASKS, "intake")
def handler(event: Any, run: Invocation[Adapters]) -> dict[str, Any]:
    application_id = _application_id(event)
    logger.append_keys(application_id=application_id)
    body = encode_submission(event)
    if len(body) > MAX_SUBMISSION_BYTES:
        raise _invalid("$", "too_large")
    if run.settings.profile is Profile.BASELINE:
        submission: dict[str, Any] = {"inline": dict(event)}
    else:
        ref, created = run.runtime.claim_checks.put(application_id, body)
        logger.info("claim check stored" if created else "claim check already stored")
        submission = {"claim_check": ref.model_dump(mode="json")}
    execution_input = {
        "application_id": application_id,
        "submission": submission,
        "review_timeout_seconds": run.settings.review_timeout_seconds,
    }
    return {"application_id": application_id, "execution_arn": _start(run, application_id, execution_input)}


def _application_id(event: Any) -> str:
    if not isinstance(event, Mapping):
        raise _invalid("$", "wrong_type")
    value = event.get("application_id")
    if value is None:
        raise _invalid("application_id", "missing")
    if not isinstance(value, str) or not _APPLICATION_ID.fullmatch(value):
        raise _invalid("application_id", "invalid_format")
    return value


def _invalid(field: str, code: str) -> Exception:
    return business_error(RejectionReason.INVALID_APPLICATION, [FieldError(field=field, code=code)])


def _start(run: Invocation[Adapters], application_id: str, execution_input: dict[str, Any]) -> str:
    """Start the execution named after the application; an existing one is returned, not restarted."""
    state_machine_arn = run.settings.require_state_machine_arn()
    try:
        response = run.runtime.client("stepfunctions").start_execution(
            stateMachineArn=state_machine_arn,
            name=application_id,
            input=json.dumps(execution_input, separators=(",", ":")),
        )
    except ClientError as error:
        if error.response["Error"]["Code"] != "ExecutionAlreadyExists":
            raise
        logger.info("execution already exists")
        return execution_arn_for(state_machine_arn, application_id)
    # A same-name, same-input start while the execution runs returns that execution: nothing new starts.
    arn: str = response["executionArn"]
    return arn


def execution_arn_for(state_machine_arn: str, name: str) -> str:
    """``arn:<p>:states:<r>:<a>:stateMachine:<sm>`` -> ``arn:<p>:states:<r>:<a>:execution:<sm>:<name>``."""
    prefix, _, state_machine = state_machine_arn.rpartition(":stateMachine:")
    return f"{prefix}:execution:{state_machine}:{name}"
