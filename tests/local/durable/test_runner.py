"""The onboarding durable function on AWS's durable-execution emulator, with the real handler behind a Lambda Invoke
endpoint of its own: every scenario reaches its expected outcome and the history holds no plaintext."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path

import pytest

from contract.environment import CHECKPOINT_ENCRYPTION_CONTEXT, durable_environment
from contract.onboarding import ONBOARDING
from contract.profile import Profile
from durable_functions.serdes import seal_callback_result, seal_input
from envelope.key_cache import DataKeyCache
from envelope.keys import KmsKeyProvider
from local.aws import AwsEmulation, create_key, create_process_tables, moto_server
from local.durable.runner import LocalDurableFunctions
from scenarios import SCENARIOS, new_application_id

FUNCTION = "onboarding"
HANDLER = "durable_functions.handler.handler"
REVIEW_TIMEOUT_SECONDS = 5


@pytest.fixture(scope="module")
def aws() -> Iterator[AwsEmulation]:
    with moto_server() as emulation:
        yield emulation


def _environment(aws: AwsEmulation, alias: str) -> dict[str, str]:
    tables = create_process_tables(aws.client("dynamodb"), ONBOARDING, prefix=f"durable-{new_application_id()[-8:]}")
    create_key(aws.client("kms"), description="durable checkpoints (local)", alias=alias)
    return {**aws.credentials_env, **durable_environment(ONBOARDING, tables=tables, payload_key_id=alias,
                                                         profile=Profile.HARDENED)}


def test_the_corpus_runs_on_the_emulator_and_the_service_stores_no_plaintext(aws: AwsEmulation,
                                                                            tmp_path: Path) -> None:
    alias = f"alias/durable-{new_application_id()[-8:]}"
    keys = DataKeyCache(KmsKeyProvider(alias, kms_client=aws.client("kms"),
                                       encryption_context=CHECKPOINT_ENCRYPTION_CONTEXT))
    with LocalDurableFunctions(functions={FUNCTION: HANDLER}, environment=_environment(aws, alias),
                               workdir=tmp_path) as durable:
        started = {}
        for case in SCENARIOS:
            application_id = new_application_id()
            event = {"application_id": application_id, "review_timeout_seconds": REVIEW_TIMEOUT_SECONDS,
                     "submission": {"sealed": seal_input(case.application(application_id), keys,
                                                         execution_name=application_id)}}
            started[case.name] = (application_id, durable.start(FUNCTION, name=application_id, payload=event))
        for case in SCENARIOS:
            application_id, arn = started[case.name]
            if case.review_decision is not None:
                callback_id = _callback_id(durable, arn)
                durable.client.send_durable_execution_callback_success(
                    CallbackId=callback_id, Result=seal_callback_result({"decision": case.review_decision.value},
                                                                         keys, execution_name=application_id))
        for case in SCENARIOS:
            application_id, arn = started[case.name]
            described = durable.wait(arn)
            assert described["Status"] == "SUCCEEDED", case.name
            outcome = json.loads(described["Result"])
            assert (outcome["status"], outcome["reason"]) == (case.expected.status.value,
                                                             case.expected.reason and case.expected.reason.value)
            stored = json.dumps(durable.history(arn), default=str) + json.dumps(described, default=str)
            assert [value for value in case.searchable_pii() if value in stored] == [], case.name


def _callback_id(durable: LocalDurableFunctions, arn: str, attempts: int = 600) -> str:
    import time

    for _ in range(attempts):  # a bound on polls, not a timing assertion
        for event in durable.history(arn):
            if event["EventType"] == "CallbackStarted":
                return str(event["CallbackStartedDetails"]["CallbackId"])
        time.sleep(0.1)
    raise AssertionError("the execution never started its review callback")
