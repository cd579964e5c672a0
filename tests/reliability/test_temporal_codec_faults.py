"""Payloads the worker cannot decrypt, and KMS out of reach: the workflow task fails loudly and is retried; nothing
is decoded wrongly, nothing runs on a payload that did not authenticate, and the worker process stays up.

- a tampered ciphertext (one flipped bit in the AES-GCM tag): ``IntegrityError`` on every attempt, never a result;
- a payload under a key the worker's KMS does not know (another region's key): ``UnknownKeyError``, likewise;
- KMS unreachable (the fault proxy drops every connection) while onboardings start: ``KeyUnavailableError`` on every
  attempt until KMS is back; then they complete exactly as their scenarios expect, each side effect once.

The worker reaches KMS through the proxy (``AWS_ENDPOINT_URL_KMS``); botocore's standard retry mode with two attempts
(``AWS_RETRY_MODE``/``AWS_MAX_ATTEMPTS``, standard boto settings) keeps each failing attempt short.
"""

from __future__ import annotations

import asyncio
from collections.abc import Sequence

import boto3
import pytest
from temporalio.api.common.v1 import Payload
from temporalio.api.enums.v1 import EventType
from temporalio.api.failure.v1 import Failure
from temporalio.client import Client
from temporalio.converter import PayloadCodec

from contract.profile import Profile
from envelope.errors import IntegrityError, KeyUnavailableError, UnknownKeyError
from envelope.keys import KmsKeyProvider
from local.aws import MOTO_CREDENTIALS
from local.temporal import TemporalStack, WorkerProcess, worker_process
from ops.starter import start_onboarding
from scenarios import SCENARIOS_BY_NAME, new_application_id
from tests.support.fault_proxy import FaultProxy, fault_proxy
from tests.support.temporal_totals import (
    exactly_once_problems,
    new_task_queue,
    outcomes,
    plan_runs,
    start_runs,
    table_item_counts,
)
from workers.codec import EnvelopeCodec
from workers.converter import data_converter, header_codec_behavior

FAST_FAILING_KMS = {"AWS_RETRY_MODE": "standard", "AWS_MAX_ATTEMPTS": "2"}
EXPECTED_MESSAGE = {"tampered": "payload under key", "unknown_key": "KMS key"}
FAILED_ATTEMPTS = 2


class TamperingCodec(PayloadCodec):
    """Seals payloads properly, then flips one bit of each ciphertext (an attacker or a corrupted store)."""

    def __init__(self, inner: PayloadCodec) -> None:
        self.inner = inner

    async def encode(self, payloads: Sequence[Payload]) -> list[Payload]:
        sealed = await self.inner.encode(payloads)
        for payload in sealed:
            payload.data = payload.data[:-1] + bytes([payload.data[-1] ^ 0x01])
        return sealed

    async def decode(self, payloads: Sequence[Payload]) -> list[Payload]:
        return await self.inner.decode(payloads)


def foreign_codec(temporal: TemporalStack) -> EnvelopeCodec:
    kms = boto3.client("kms", endpoint_url=temporal.aws.endpoint, region_name="eu-west-1", **MOTO_CREDENTIALS)
    key_arn = kms.create_key(Description="a key the worker's KMS (us-east-1) does not have")["KeyMetadata"]["Arn"]
    return EnvelopeCodec.for_provider(KmsKeyProvider(key_arn, kms_client=kms))


def kms_behind(proxy: FaultProxy, temporal: TemporalStack, task_queue: str) -> dict[str, str]:
    return {**temporal.worker_env(Profile.HARDENED, task_queue), "AWS_ENDPOINT_URL_KMS": proxy.endpoint,
            **FAST_FAILING_KMS}


async def failed_twice(client: Client, worker: WorkerProcess, workflow_id: str) -> Failure:
    """Wait until the worker has failed the workflow's task twice (the first attempt and its immediate retry; later
    retries follow every 10 s); return the failure the service recorded. Repeated failures of one task are recorded
    once: the service keeps retrying the same task, counting attempts."""
    handle = client.get_workflow_handle(workflow_id)
    marker = f"Failed handling activation on workflow with run ID {(await handle.describe()).run_id}"
    for _ in range(1200):
        if sum(marker in line for line in worker.log_lines()) >= FAILED_ATTEMPTS:
            break
        await asyncio.sleep(0.05)
    else:
        raise AssertionError(f"the worker never failed the task of {workflow_id} {FAILED_ATTEMPTS} times")
    assert (await handle.describe()).raw_description.pending_workflow_task.attempt >= FAILED_ATTEMPTS
    history = await handle.fetch_history()
    failed = [event.workflow_task_failed_event_attributes.failure for event in history.events
              if event.event_type == EventType.EVENT_TYPE_WORKFLOW_TASK_FAILED]
    assert len(failed) == 1
    return failed[0]


def assert_nothing_ran(history_types: list[EventType.ValueType]) -> None:
    assert EventType.EVENT_TYPE_ACTIVITY_TASK_SCHEDULED not in history_types
    assert EventType.EVENT_TYPE_WORKFLOW_EXECUTION_COMPLETED not in history_types


def assert_logged(worker: WorkerProcess, error: type[Exception]) -> None:
    logged = [line for line in worker.log_lines() if f"envelope.errors.{error.__name__}" in line]
    assert logged and all("Failed handling activation" in line for line in logged)


@pytest.mark.parametrize("fault", ["tampered", "unknown_key"])
async def test_a_payload_that_does_not_decrypt_fails_the_task_on_every_attempt(
    temporal: TemporalStack, fault: str
) -> None:
    task_queue, application_id = new_task_queue(fault), new_application_id()
    submission = SCENARIOS_BY_NAME["approved_low_risk"].application(application_id=application_id)
    with fault_proxy(temporal.aws.endpoint) as proxy, \
            worker_process(kms_behind(proxy, temporal, task_queue), temporal.workdir) as worker:
        if fault == "tampered":
            codec: PayloadCodec = TamperingCodec(temporal.codec())
            expected: type[Exception] = IntegrityError
        else:  # sealed under a key of another region's KMS: real ciphertext, under a key the worker's KMS lacks
            codec, expected = foreign_codec(temporal), UnknownKeyError
        starter = Client(temporal.connection.service_client, namespace="default",
                         data_converter=data_converter(Profile.HARDENED, codec=codec),
                         header_codec_behavior=header_codec_behavior(Profile.HARDENED))
        await start_onboarding(starter, submission, task_queue=task_queue)
        failure = await failed_twice(temporal.raw_client(), worker, application_id)
        assert failure.application_failure_info.type == expected.__name__
        assert failure.message == "Encoded failure"  # the reason itself travels encrypted, like any failure
        decoded = await temporal.client(Profile.HARDENED).data_converter.decode_failure(failure)
        # What an operator with the codec server reads: the error type and its message.
        assert str(decoded).startswith(f"{expected.__name__}: {EXPECTED_MESSAGE[fault]}")
        history = await temporal.raw_client().get_workflow_handle(application_id).fetch_history()
        assert_nothing_ran([event.event_type for event in history.events])
        assert_logged(worker, expected)
        assert worker.process.poll() is None
        await temporal.raw_client().get_workflow_handle(application_id).terminate("reliability test: poisoned input")
    assert sum(table_item_counts(temporal).values()) == 0
    assert proxy.refused == 0


async def test_kms_out_of_reach_for_a_while_then_everything_completes(temporal: TemporalStack) -> None:
    warm_up, *during = plan_runs(SCENARIOS_BY_NAME[name] for name in (
        "approved_savings", "approved_low_risk", "funding_declined", "high_risk"))
    task_queue = new_task_queue("kms-outage")
    with fault_proxy(temporal.aws.endpoint) as proxy, \
            worker_process(kms_behind(proxy, temporal, task_queue), temporal.workdir) as worker:
        # A running worker has its own data key cached. The outage bites when it must unwrap the data key of a
        # starter it has not heard from (another process; starters reach KMS, only the worker is cut off).
        handles = await start_runs(temporal.client(Profile.HARDENED), [warm_up], task_queue=task_queue,
                                   review_timeout_seconds=60)
        await outcomes(handles)
        with proxy.outage():
            handles |= await start_runs(temporal.client(Profile.HARDENED), during, task_queue=task_queue,
                                        review_timeout_seconds=60)
            failures = await asyncio.gather(*(failed_twice(temporal.raw_client(), worker, run.application_id)
                                              for run in during))
            assert {failure.application_failure_info.type for failure in failures} == {KeyUnavailableError.__name__}
            assert proxy.refused > 0
        results = await outcomes(handles)  # the next retry of each task finds KMS back
        assert_logged(worker, KeyUnavailableError)
    assert await exactly_once_problems(temporal, [warm_up, *during], results) == {}
