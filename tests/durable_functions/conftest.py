"""The durable function in process (AWS's ``DurableFunctionTestRunner``) over moto, one run of the corpus per profile.

The runner calls the real handler in this process with its in-memory checkpoint service; waits and retry delays are
skipped, callback timeouts are not (the review_timeout scenario waits its few seconds).
"""

from __future__ import annotations

import json
import logging
import os
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any
from unittest import mock

import boto3
import pytest
from aws_durable_execution_sdk_python_testing.runner import DurableFunctionTestRunner
from moto import mock_aws

from contract.environment import CHECKPOINT_ENCRYPTION_CONTEXT, PAYLOAD_KEY_ID, PROTECTION_PROFILE
from contract.onboarding import ONBOARDING
from contract.profile import Profile
from durable_functions.handler import handler
from durable_functions.runtime import runtime_for
from durable_functions.serdes import seal_callback_result, seal_input
from envelope.key_cache import DataKeyCache
from envelope.keys import KmsKeyProvider
from local.aws import create_key, create_process_tables
from onboarding.adapters.dynamodb import TableNames, dynamodb_adapters
from scenarios import SCENARIOS, Scenario, new_application_id
from tests.support.side_effects import SideEffects

REVIEW_TIMEOUT_SECONDS = 3
ALIAS = "alias/durable-test"


@dataclass(frozen=True)
class Run:
    scenario: Scenario
    application_id: str
    status: str  # the invocation status: SUCCEEDED, FAILED
    outcome: dict[str, Any] | None
    history: list[dict[str, Any]]
    effects: SideEffects


def client_keys() -> DataKeyCache:
    """The data keys a client (the starter, a reviewer) seals with: the function's key, its own cache."""
    return DataKeyCache(KmsKeyProvider(ALIAS, kms_client=boto3.client("kms"),
                                       encryption_context=CHECKPOINT_ENCRYPTION_CONTEXT))


def event_for(case: Scenario, application_id: str, profile: Profile) -> dict[str, Any]:
    submission = case.application(application_id)
    source = ({"sealed": seal_input(submission, client_keys(), execution_name=application_id)}
              if profile is Profile.HARDENED else {"inline": submission})
    return {"application_id": application_id, "submission": source, "review_timeout_seconds": REVIEW_TIMEOUT_SECONDS}


def answer(decision: str, application_id: str, profile: Profile) -> bytes:
    value = {"decision": decision}
    if profile is Profile.BASELINE:
        return json.dumps(value).encode()
    return seal_callback_result(value, client_keys(), execution_name=application_id).encode()


def run_corpus(profile: Profile) -> list[Run]:
    logging.getLogger("aws_durable_execution_sdk_python").setLevel(logging.CRITICAL)  # step retries log tracebacks
    with mock_aws(), mock.patch.dict(os.environ, {PROTECTION_PROFILE: profile.value}):
        tables = create_process_tables(boto3.client("dynamodb"), ONBOARDING, prefix=f"durable-{profile.value}")
        create_key(boto3.client("kms"), description="durable checkpoints (test)", alias=ALIAS)
        os.environ.update({ONBOARDING.table_variable(role): name for role, name in tables.items()},
                          **{PAYLOAD_KEY_ID: ALIAS})
        runtime_for.cache_clear()
        stores = dynamodb_adapters(TableNames(**tables), resource=boto3.resource("dynamodb"))
        runs: list[Run] = []
        with DurableFunctionTestRunner(handler=handler) as runner:
            for case in SCENARIOS:
                application_id = new_application_id()
                arn = runner.run_async(input=json.dumps(event_for(case, application_id, profile)),
                                       execution_name=application_id, execution_timeout=120)
                if case.review_decision is not None:
                    callback = runner.wait_for_callback(arn, timeout=60)
                    runner.send_callback_success(callback, result=answer(case.review_decision.value, application_id,
                                                                         profile))
                result = runner.wait_for_result(arn, timeout=120)
                history = runner.get_execution_history(arn, include_execution_data=True)
                runs.append(Run(case, application_id, result.status.name,
                                json.loads(result.result) if result.result else None,
                                [event.to_dict() for event in history.events], SideEffects.of(stores, application_id)))
        runtime_for.cache_clear()
        return runs


@pytest.fixture(scope="session")
def hardened_corpus() -> Iterator[list[Run]]:
    yield run_corpus(Profile.HARDENED)


@pytest.fixture(scope="session")
def baseline_corpus() -> Iterator[list[Run]]:
    yield run_corpus(Profile.BASELINE)
