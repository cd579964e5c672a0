"""Evidence collected from running services (a real Temporal dev server, Step Functions and Logs on moto)."""

from __future__ import annotations

import dataclasses
import json
import sys
import time
from collections.abc import AsyncIterator, Iterator
from pathlib import Path
from typing import Any

import boto3
import pytest
from moto import mock_aws
from temporalio.client import Client, WorkflowFailureError
from temporalio.converter import DataConverter, DefaultFailureConverterWithEncodedAttributes
from temporalio.testing import WorkflowEnvironment
from temporalio.worker import Worker

from comparison.audit.collect import stepfunctions_evidence, temporal_evidence
from comparison.audit.evidence import audit_stepfunctions, audit_temporal
from comparison.audit.exposure import StepFunctionsChannel, TemporalChannel
from comparison.cost.usage import count_temporal_actions
from comparison.onboarding import pii_from_scenarios
from scenarios import scenario
from tests.comparison.echo_workflow import EchoWorkflow, lookup
from tests.comparison.sfn_history import log_event
from tests.comparison.standin_codec import StandInCodec

SCENARIO = scenario("funding_declined")
APPLICATION = SCENARIO.application()
VALUES = pii_from_scenarios([SCENARIO])


def index_of(field: str) -> int:
    return next(i for i, v in enumerate(VALUES) if v.label == f"{SCENARIO.name}.{field}")


@pytest.fixture(scope="module")
async def temporal_env() -> AsyncIterator[WorkflowEnvironment]:
    env = await WorkflowEnvironment.start_local(
        dev_server_existing_path=str(Path(sys.executable).parent / "temporal"), dev_server_log_level="error")
    try:
        yield env
    finally:
        await env.shutdown()


async def run_echo(client: Client, workflow_id: str) -> None:
    phone = str(APPLICATION["applicant"]["phone"])
    email = str(APPLICATION["applicant"]["email"])
    async with Worker(client, task_queue=f"audit-{workflow_id}", workflows=[EchoWorkflow], activities=[lookup]):
        handle = await client.start_workflow(EchoWorkflow.run, APPLICATION, id=workflow_id,
                                             task_queue=f"audit-{workflow_id}", memo={"contact": email})
        await handle.signal(EchoWorkflow.review, f"called {phone}")
        with pytest.raises(WorkflowFailureError):
            await handle.result()


async def test_temporal_evidence_is_what_an_operator_without_the_codec_reads(
    temporal_env: WorkflowEnvironment,
) -> None:
    client = temporal_env.client  # default data converter: no codec, as an operator of the service
    await run_echo(client, SCENARIO.application_id)
    evidence = await temporal_evidence(client, SCENARIO.application_id, label=SCENARIO.name)
    result = audit_temporal([evidence], VALUES)

    def found(channel: TemporalChannel) -> set[int]:
        return {hit.value_index for hit in result.channel(channel).hits}

    assert found(TemporalChannel.WORKFLOW_INPUT) == set(range(len(VALUES)))
    assert index_of("applicant.full_name") in found(TemporalChannel.ACTIVITY_IO)
    assert found(TemporalChannel.FAILURES) == {index_of("funding.card_number"), index_of("applicant.full_name")}
    assert found(TemporalChannel.SIGNALS_UPDATES) == {index_of("applicant.phone")}
    assert found(TemporalChannel.SEARCH_ATTRIBUTES_MEMO_HEADERS) == {index_of("applicant.email")}
    assert {h.source for h in result.channel(TemporalChannel.SEARCH_ATTRIBUTES_MEMO_HEADERS).hits} == {
        "history", "memo"}
    assert found(TemporalChannel.IDENTIFIERS) == set()
    # The same real history, counted for billing: start, one activity, one timer, the signal.
    actions = count_temporal_actions(evidence.history)
    assert {k: v for k, v in actions.by_kind.items() if v} == {
        "workflow_started": 1, "activity_attempts": 1, "timers": 1, "signals": 1}


async def test_with_a_codec_and_encoded_failures_the_operator_reads_only_ciphertext(
    temporal_env: WorkflowEnvironment,
) -> None:
    converter = dataclasses.replace(DataConverter.default, payload_codec=StandInCodec(),
                                    failure_converter_class=DefaultFailureConverterWithEncodedAttributes)
    protected = Client(temporal_env.client.service_client, namespace="default", data_converter=converter)
    workflow_id = "app_01JCOLLECTHARDENED0000001"
    await run_echo(protected, workflow_id)
    evidence = await temporal_evidence(temporal_env.client, workflow_id, label=SCENARIO.name)
    result = audit_temporal([evidence], VALUES)
    assert result.total_hits == 0
    for channel in (TemporalChannel.WORKFLOW_INPUT, TemporalChannel.ACTIVITY_IO, TemporalChannel.FAILURES,
                    TemporalChannel.SIGNALS_UPDATES, TemporalChannel.SEARCH_ATTRIBUTES_MEMO_HEADERS):
        assert result.channel(channel).ciphertext_payloads >= 1, channel


@pytest.fixture
def aws() -> Iterator[tuple[Any, Any]]:
    with mock_aws(config={"stepfunctions": {"execute_state_machine": True}}):
        yield boto3.client("stepfunctions", region_name="us-east-1"), boto3.client("logs", region_name="us-east-1")


def test_stepfunctions_evidence_reads_history_description_tags_and_the_execution_logs(aws: tuple[Any, Any]) -> None:
    sfn, logs = aws
    name = str(APPLICATION["applicant"]["full_name"])
    definition = {"StartAt": "Keep", "States": {"Keep": {"Type": "Pass", "End": True}}}
    machine = sfn.create_state_machine(name="onboarding", definition=json.dumps(definition),
                                       roleArn="arn:aws:iam::123456789012:role/states",
                                       tags=[{"key": "owner", "value": name}])
    execution = sfn.start_execution(stateMachineArn=machine["stateMachineArn"], name=SCENARIO.application_id,
                                    input=json.dumps({"claim": "ref-1"}))
    arn = execution["executionArn"]
    for _ in range(200):
        if sfn.describe_execution(executionArn=arn)["status"] != "RUNNING":
            break
        time.sleep(0.02)
    history = sfn.get_execution_history(executionArn=arn)["events"]
    other = f"{arn[:-5]}other"
    leaked_elsewhere = {**history[0], "executionStartedEventDetails": {"input": json.dumps(APPLICATION)}}
    logs.create_log_group(logGroupName="/aws/vendedlogs/states/onboarding")
    logs.create_log_stream(logGroupName="/aws/vendedlogs/states/onboarding", logStreamName="s")
    records = [log_event(e, arn, include_execution_data=True) for e in history]
    records.append(log_event(leaked_elsewhere, other, include_execution_data=True))  # another execution
    logs.put_log_events(logGroupName="/aws/vendedlogs/states/onboarding", logStreamName="s",
                        logEvents=[{"timestamp": int(time.time() * 1000), "message": r["message"]} for r in records])

    evidence = stepfunctions_evidence(sfn, arn, label=SCENARIO.name, logs=logs,
                                      log_group="/aws/vendedlogs/states/onboarding")
    assert len(evidence.log_events) == len(history)
    result = audit_stepfunctions([evidence], VALUES)
    assert result.channel(StepFunctionsChannel.LOGS).plaintext_hits == 0  # the other execution's leak is not ours
    assert result.channel(StepFunctionsChannel.LOGS).strings_scanned > 0
    assert {h.value_index for h in result.channel(StepFunctionsChannel.IDENTIFIERS).hits} == {
        index_of("applicant.full_name")}
    assert {h.source for h in result.channel(StepFunctionsChannel.IDENTIFIERS).hits} == {"tags"}
    assert result.total_hits == 1
