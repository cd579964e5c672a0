"""The Step Functions side of the exposure audit: boto3-shaped histories, describe output and log events."""

from __future__ import annotations

import json
import time
from collections.abc import Callable, Iterator
from typing import Any

import boto3
import pytest
from moto import mock_aws
from pydantic import SecretStr

from comparison.audit.evidence import StepFunctionsEvidence, audit_stepfunctions
from comparison.audit.exposure import ExposureAudit, StepFunctionsChannel
from comparison.audit.pii import PiiValue
from comparison.onboarding import pii_from_scenarios
from scenarios import scenario
from tests.comparison import sfn_history
from tests.comparison.sfn_history import SfnHistory, lambda_result, log_event

SCENARIO = scenario("funding_declined")
APPLICATION = SCENARIO.application()
VALUES = pii_from_scenarios([SCENARIO])
NAME = str(APPLICATION["applicant"]["full_name"])
NAME_INDEX = next(i for i, v in enumerate(VALUES) if v.value.get_secret_value() == NAME)
CLAIM = {"application_id": SCENARIO.application_id, "claim": "s3://claims/app"}
EXECUTION_ARN = f"arn:aws:states:us-east-1:123456789012:execution:onboarding:{SCENARIO.application_id}"


def describe(output: Any = None, **extra: Any) -> dict[str, Any]:
    response = {"executionArn": EXECUTION_ARN, "name": SCENARIO.application_id, "status": "SUCCEEDED",
                "stateMachineArn": "arn:aws:states:us-east-1:123456789012:stateMachine:onboarding",
                "input": json.dumps(CLAIM), "output": json.dumps(output or {"status": "APPROVED"}),
                "ResponseMetadata": {"RequestId": "req-1", "HTTPStatusCode": 200}}
    return {**response, **extra}


def audit(history: SfnHistory, values: list[PiiValue] | tuple[PiiValue, ...] = VALUES, **extra: Any) -> ExposureAudit:
    fields: dict[str, Any] = {"label": SCENARIO.name, "history": history.events, "describe_execution": describe(),
                              **extra}
    return audit_stepfunctions([StepFunctionsEvidence(**fields)], values)


def safe_history() -> SfnHistory:
    history = SfnHistory()
    history.start(CLAIM)
    history.task("Validate", "validate", CLAIM, {"valid": True})
    return history


def _plant_execution_input(h: SfnHistory) -> dict[str, Any]:
    h.events[0]["executionStartedEventDetails"]["input"] = json.dumps({"applicant": {"full_name": NAME}})
    return {}


def _plant_described_output(h: SfnHistory) -> dict[str, Any]:
    return {"describe_execution": describe({"greeting": f"Welcome {NAME}"})}


def _plant_task_parameters(h: SfnHistory) -> dict[str, Any]:
    h.task("Notify", "notify", {**CLAIM, "name": NAME}, {"queued": True}, state_input=CLAIM)
    return {}


def _plant_nested_lambda_payload(h: SfnHistory) -> dict[str, Any]:
    # The Lambda returned a JSON *string*: the Payload is a string inside the output string.
    h.task("Lookup", "lookup", CLAIM, json.dumps({"holder": NAME}), state_output=CLAIM)
    return {}


def _plant_task_cause(h: SfnHistory) -> dict[str, Any]:
    h.task("Fund", "fund_account", CLAIM, None, error=(
        "FUNDING_DECLINED", json.dumps({"errorMessage": f"card of {NAME} declined", "errorType": "Declined"})))
    return {}


def _plant_execution_error(h: SfnHistory) -> dict[str, Any]:
    h.fail("FUNDING_DECLINED", f"declined for {NAME}")
    return {}


def _plant_log_message(h: SfnHistory) -> dict[str, Any]:
    planted = {**h.events[0], "executionStartedEventDetails": {"input": json.dumps({"name": NAME})}}
    return {"log_events": [log_event(planted, EXECUTION_ARN, include_execution_data=True)]}


def _plant_execution_name(h: SfnHistory) -> dict[str, Any]:
    return {"describe_execution": describe(name=f"onboarding-{NAME.replace(' ', '-')}-x",
                                           executionArn=f"{EXECUTION_ARN}:{NAME}")}


def _plant_tag(h: SfnHistory) -> dict[str, Any]:
    return {"tags": {"customer": NAME}}


PLANTS: list[tuple[str, StepFunctionsChannel, Callable[[SfnHistory], dict[str, Any]]]] = [
    ("execution input", StepFunctionsChannel.EXECUTION_INPUT_OUTPUT, _plant_execution_input),
    ("described output", StepFunctionsChannel.EXECUTION_INPUT_OUTPUT, _plant_described_output),
    ("task parameters", StepFunctionsChannel.STATE_IO, _plant_task_parameters),
    ("nested lambda payload", StepFunctionsChannel.STATE_IO, _plant_nested_lambda_payload),
    ("task cause", StepFunctionsChannel.ERRORS_CAUSES, _plant_task_cause),
    ("execution error", StepFunctionsChannel.ERRORS_CAUSES, _plant_execution_error),
    ("log message", StepFunctionsChannel.LOGS, _plant_log_message),
    ("execution name and arn", StepFunctionsChannel.IDENTIFIERS, _plant_execution_name),
    ("tag", StepFunctionsChannel.IDENTIFIERS, _plant_tag),
]


@pytest.mark.parametrize(("where", "channel", "plant"), PLANTS, ids=[p[0] for p in PLANTS])
def test_finds_a_planted_value_in_its_channel_and_nowhere_else(
    where: str, channel: StepFunctionsChannel, plant: Callable[[SfnHistory], dict[str, Any]]
) -> None:
    history = safe_history()
    result = audit(history, **plant(history))
    hits = result.channel(channel).hits
    assert {hit.value_index for hit in hits} == {NAME_INDEX}, where
    others = {name: c.plaintext_hits for name, c in result.channels.items() if name != channel.value}
    assert set(others.values()) == {0}, where


def test_json_escaped_values_nested_two_strings_deep_are_found() -> None:
    value = PiiValue(label="synthetic.applicant.full_name", value=SecretStr("Zoë Ångström-Nuñez"))
    inner = json.dumps({"holder": value.value.get_secret_value()})  # \u-escaped inside
    history = safe_history()
    history.task("Lookup", "lookup", CLAIM, inner, state_output=CLAIM)
    output = history.events[-2]["taskSucceededEventDetails"]["output"]
    assert value.value.get_secret_value() not in output  # only its escaped form is stored
    hits = audit(history, values=[value]).channel(StepFunctionsChannel.STATE_IO).hits
    assert [(h.event_id, h.location) for h in hits] == [
        (str(history.events[-2]["id"]), "taskSucceededEventDetails.output")]


def test_hardened_shape_with_references_only_and_no_execution_data_in_logs_exposes_nothing() -> None:
    history = sfn_history.onboarding_history(CLAIM)
    logs = [log_event(e, EXECUTION_ARN, include_execution_data=False) for e in history.events]
    result = audit(history, log_events=logs, tags={"application": "onboarding"})
    assert result.total_hits == 0
    assert result.channel(StepFunctionsChannel.LOGS).strings_scanned > 0


def test_baseline_shape_with_full_payloads_and_execution_data_in_logs_exposes_plenty() -> None:
    history = SfnHistory()
    history.start(APPLICATION)
    history.task("Validate", "validate", APPLICATION, {"valid": True})
    history.task("Fund", "fund_account", APPLICATION, None, error=(
        "FUNDING_DECLINED", json.dumps({"errorMessage": f"declined card {APPLICATION['funding']['card_number']}"})))
    logs = [log_event(e, EXECUTION_ARN, include_execution_data=True) for e in history.events]
    result = audit(history, log_events=logs)
    assert result.channel(StepFunctionsChannel.EXECUTION_INPUT_OUTPUT).values_exposed == len(VALUES)
    assert result.channel(StepFunctionsChannel.STATE_IO).values_exposed == len(VALUES)
    assert result.channel(StepFunctionsChannel.ERRORS_CAUSES).values_exposed == 1
    assert result.channel(StepFunctionsChannel.LOGS).values_exposed == len(VALUES)


def test_lambda_output_nests_payload_as_an_object_too() -> None:
    history = safe_history()
    history.task("Lookup", "lookup", CLAIM, {"holder": {"name": NAME}}, state_output=CLAIM)
    assert "Payload" in json.loads(history.events[-2]["taskSucceededEventDetails"]["output"])
    assert json.loads(lambda_result(1))["Payload"] == 1
    assert audit(history).channel(StepFunctionsChannel.STATE_IO).plaintext_hits == 1


@pytest.fixture
def moto_stepfunctions() -> Iterator[Any]:
    with mock_aws(config={"stepfunctions": {"execute_state_machine": True}}):
        yield boto3.client("stepfunctions", region_name="us-east-1")


def test_reads_a_real_moto_execution_the_way_boto3_returns_it(moto_stepfunctions: Any) -> None:
    """A real ASL interpreter run: the input is echoed into state I/O and a Fail state's cause."""
    definition = {
        "StartAt": "Keep",
        "States": {
            "Keep": {"Type": "Pass", "Parameters": {"holder.$": "$.applicant.full_name", "ref": "claim-1"},
                     "ResultPath": "$.kept", "Next": "Reject"},
            "Reject": {"Type": "Fail", "Error": "FUNDING_DECLINED", "CausePath": "$.applicant.email"},
        },
    }
    machine = moto_stepfunctions.create_state_machine(
        name="onboarding", definition=json.dumps(definition), roleArn="arn:aws:iam::123456789012:role/states")
    execution = moto_stepfunctions.start_execution(
        stateMachineArn=machine["stateMachineArn"], name=SCENARIO.application_id, input=json.dumps(APPLICATION))
    described: dict[str, Any] = {}
    for _ in range(200):
        described = moto_stepfunctions.describe_execution(executionArn=execution["executionArn"])
        if described["status"] != "RUNNING":
            break
        time.sleep(0.02)
    assert described["status"] == "FAILED"
    events = moto_stepfunctions.get_execution_history(executionArn=execution["executionArn"])["events"]
    result = audit_stepfunctions(
        [StepFunctionsEvidence(label=SCENARIO.name, history=events, describe_execution=described)], VALUES)
    assert result.channel(StepFunctionsChannel.EXECUTION_INPUT_OUTPUT).values_exposed == len(VALUES)
    assert result.channel(StepFunctionsChannel.STATE_IO).values_exposed == len(VALUES)
    email = next(i for i, v in enumerate(VALUES) if v.label.endswith("applicant.email"))
    assert {h.value_index for h in result.channel(StepFunctionsChannel.ERRORS_CAUSES).hits} == {email}
    assert {h.source for h in result.channel(StepFunctionsChannel.ERRORS_CAUSES).hits} == {
        "history", "describe_execution"}
    assert result.channel(StepFunctionsChannel.IDENTIFIERS).plaintext_hits == 0


def test_digit_forms_count_only_as_whole_numbers() -> None:
    """SSN 123-45-6789 without dashes is 123456789, which is also the start of AWS account 123456789012."""
    ssn = PiiValue(label="approved_low_risk.applicant.national_id", value=SecretStr("123-45-6789"))
    history = safe_history()  # every ARN in it names account 123456789012
    assert audit(history, values=[ssn]).total_hits == 0
    history.task("Lookup", "lookup", CLAIM, {"ssn_digits": "123456789"}, state_output=CLAIM)
    hits = audit(history, values=[ssn]).channel(StepFunctionsChannel.STATE_IO).hits
    assert {h.transform for h in hits} == {"digits_only"}
