"""The local Lambda route answers Invoke as Lambda does: only for deployed functions, with the
runtime's error payload on failure, and with the function's log lines in its log group."""

from __future__ import annotations

import json
import os

import pytest
from botocore.exceptions import ClientError

from contract.onboarding import onboarding_asl
from local.onboarding import OnboardingStepFunctions
from scenarios import scenario


def test_invoke_through_boto3_like_a_client() -> None:
    with OnboardingStepFunctions(prefix="router") as sfn:
        lambda_client = sfn.client("lambda")
        with pytest.raises(ClientError) as missing:
            lambda_client.invoke(FunctionName="not-deployed", Payload=b"{}")
        assert missing.value.response["Error"]["Code"] == "ResourceNotFoundException"

        failed = lambda_client.invoke(FunctionName=sfn.resources.function_arn("validate"), Payload=b"{}")
        assert failed["FunctionError"] == "Unhandled"
        payload = json.loads(failed["Payload"].read())
        assert set(payload) == {"errorMessage", "errorType", "requestId", "stackTrace"}
        assert payload["errorType"] == "InvalidTaskInput" and isinstance(payload["stackTrace"], list)

        application = scenario("approved_low_risk").application()
        answered = lambda_client.invoke(
            FunctionName=sfn.resources.function_name("intake"), Payload=json.dumps(application).encode()
        )
        assert "FunctionError" not in answered
        started = json.loads(answered["Payload"].read())
        assert started["application_id"] == application["application_id"]
        assert sfn.wait_onboarding(started["execution_arn"]).outcome is not None

        logs = sfn.lambda_log_messages()
        intake = logs[sfn.resources.function_name("intake")]
        assert intake[0].startswith("START RequestId:") and intake[-1].startswith("END RequestId:")
        validate = logs[sfn.resources.function_name("validate")]
        assert any(line.startswith("[ERROR] InvalidTaskInput:") for line in validate)
        assert [i.function for i in sfn.router.invocations][:2] == [
            sfn.resources.function_name("validate"), sfn.resources.function_name("intake")
        ]


def test_the_runner_runs_the_definition_it_is_given() -> None:
    """Once infra/ synthesizes the template, its definition string is passed here instead of the ASL file."""
    asl = json.loads(onboarding_asl().text)
    asl["Comment"] = "from a synthesized template"
    template = onboarding_asl(json.dumps(asl))
    with OnboardingStepFunctions(prefix="given", definition=template) as sfn:
        deployed = sfn.stepfunctions.describe_state_machine(stateMachineArn=sfn.state_machine_arn)["definition"]
        assert deployed == sfn.definition
        assert json.loads(deployed)["Comment"] == "from a synthesized template"
        assert "${" not in deployed
        result = sfn.wait_onboarding(sfn.submit(scenario("sanctions_match").application()))
        assert result.outcome is not None and result.outcome.reason is not None


def test_a_moto_server_endpoint_must_be_on_the_loopback_interface() -> None:
    runner = OnboardingStepFunctions(prefix="remote", endpoint_url="http://moto.example.com:5000")
    with pytest.raises(ValueError, match="endpoint_url: a moto server on the loopback interface"):
        runner.start()
    assert "AWS_ENDPOINT_URL" not in os.environ  # nothing was changed
