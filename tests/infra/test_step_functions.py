"""Step Functions promises: named CMK machine, logs without data, tracing, the exact ASL, VPC Lambdas."""

from __future__ import annotations

import json
from typing import Any

from contract.definition import read_definition
from contract.onboarding import DEFINITION_PATH, ONBOARDING_FUNCTIONS, onboarding_asl
from contract.process import COMPENSATION_PENDING_STATE
from contract.registry import state_machine_functions
from infra.synthesis import Synthesis
from local.stepfunctions.deployed_definition import definition_from_template
from tests.infra.template_queries import props, resources


def _machine(synthesis: Synthesis) -> dict[str, Any]:
    (_, _, machine), = resources(synthesis, "AWS::StepFunctions::StateMachine")
    return props(machine)


def test_state_machine_is_named_cmk_encrypted_logged_without_data_and_traced(synthesis: Synthesis) -> None:
    machine = _machine(synthesis)
    assert machine["StateMachineName"] == f"{synthesis.config.environment_name}-onboarding"
    assert machine["EncryptionConfiguration"]["Type"] == "CUSTOMER_MANAGED_KMS_KEY"
    assert "KeysStateMachine" in repr(machine["EncryptionConfiguration"]["KmsKeyId"])
    logging = machine["LoggingConfiguration"]
    assert logging["Level"] == "ALL"
    assert logging["IncludeExecutionData"] is False
    assert machine["TracingConfiguration"] == {"Enabled": True}
    log_group_id = logging["Destinations"][0]["CloudWatchLogsLogGroup"]["LogGroupArn"]["Fn::GetAtt"][0]
    assert "KmsKeyId" in props(synthesis.templates["StepFunctions"]["Resources"][log_group_id])


def test_definition_in_template_equals_the_asl_file_after_substitution(synthesis: Synthesis) -> None:
    machine = _machine(synthesis)
    in_definition = state_machine_functions(ONBOARDING_FUNCTIONS)
    assert set(machine["DefinitionSubstitutions"]) == {entry.substitution_key for entry in in_definition}
    deployed = definition_from_template(synthesis.templates["StepFunctions"], ONBOARDING_FUNCTIONS)
    asl = onboarding_asl()
    assert deployed == asl  # same text, each placeholder wired to the function the registry names
    assert deployed.text == read_definition(DEFINITION_PATH)

    def arn(name: str) -> str:
        return f"arn:aws:lambda:us-east-1:111111111111:function:x-{name}"

    assert deployed.render(arn) == asl.render(arn)
    assert "${" not in deployed.render(arn)


def test_each_substitution_points_at_the_function_with_its_registry_handler(synthesis: Synthesis) -> None:
    substitutions = _machine(synthesis)["DefinitionSubstitutions"]
    functions = {logical_id: props(fn) for _, logical_id, fn in resources(synthesis, "AWS::Lambda::Function")}
    for entry in state_machine_functions(ONBOARDING_FUNCTIONS):
        function = functions[substitutions[entry.substitution_key]["Fn::GetAtt"][0]]
        assert function["Handler"] == entry.handler


def test_state_machine_role_invokes_exactly_the_task_functions(synthesis: Synthesis) -> None:
    role = _machine(synthesis)["RoleArn"]["Fn::GetAtt"][0]
    statements = [s for _, _, policy in resources(synthesis, "AWS::IAM::Policy")
                  if {"Ref": role} in props(policy)["Roles"] for s in props(policy)["PolicyDocument"]["Statement"]]
    assert statements
    invoke = [s for s in statements if "lambda:InvokeFunction" in s["Action"]]
    assert len(invoke) == 1
    resources_ = invoke[0]["Resource"]
    # Never intake: a client calls it, not the machine.
    assert len(resources_) == len(state_machine_functions(ONBOARDING_FUNCTIONS))
    assert all(set(r) == {"Fn::GetAtt"} and r["Fn::GetAtt"][1] == "Arn" for r in resources_)


def test_task_lambdas_run_in_private_subnets_traced_with_encrypted_logs(synthesis: Synthesis) -> None:
    functions = {props(fn)["Handler"]: props(fn) for logical_id, fn in
                 [(lid, f) for _, lid, f in resources(synthesis, "AWS::Lambda::Function")]
                 if props(fn).get("Handler", "").startswith("lambdas.")}
    assert set(functions) == {entry.handler for entry in ONBOARDING_FUNCTIONS}
    log_groups = {logical_id: props(group) for _, logical_id, group in resources(synthesis, "AWS::Logs::LogGroup")}
    for handler, function in functions.items():
        assert function["Runtime"] == "python3.12", handler
        assert function["TracingConfig"] == {"Mode": "Active"}, handler
        assert function["ReservedConcurrentExecutions"] == synthesis.config.lambda_reserved_concurrency
        assert len(function["VpcConfig"]["SubnetIds"]) == synthesis.config.max_azs, handler
        assert all("privateSubnet" in repr(subnet) for subnet in function["VpcConfig"]["SubnetIds"]), handler
        log_group = function["LoggingConfig"]["LogGroup"]["Ref"]
        assert "KmsKeyId" in log_groups[log_group], handler
        assert function["Environment"]["Variables"]["PROTECTION_PROFILE"] == "hardened"


def test_only_intake_writes_claim_checks_and_starts_executions(synthesis: Synthesis) -> None:
    by_function: dict[str, list[dict[str, Any]]] = {}
    for _, logical_id, policy in resources(synthesis, "AWS::IAM::Policy"):
        if logical_id.startswith("Tasks"):
            name = logical_id.removeprefix("Tasks").split("Role")[0]
            by_function[name] = props(policy)["PolicyDocument"]["Statement"]
    assert len(by_function) == len(ONBOARDING_FUNCTIONS)
    for name, statements in by_function.items():
        actions = {action for s in statements for action in (s["Action"] if isinstance(s["Action"], list)
                                                              else [s["Action"]])}
        writes = {"s3:PutObject", "states:StartExecution"} & actions
        assert writes == ({"s3:PutObject", "states:StartExecution"} if name == "Intake" else set()), name


def test_a_compensation_pending_execution_raises_an_alarm(synthesis: Synthesis) -> None:
    """The state the definition ends in when a compensation cannot finish is counted from the state machine's own
    log group (state names are logged even without execution data) and alarms on the first entry."""
    state = json.loads(read_definition(DEFINITION_PATH))["States"][COMPENSATION_PENDING_STATE]
    assert state["Type"] == "Pass" and state["End"] is True  # hence the PassStateEntered event the filter matches
    machine = _machine(synthesis)
    log_group = machine["LoggingConfiguration"]["Destinations"][0]["CloudWatchLogsLogGroup"]["LogGroupArn"]
    (_, _, metric_filter), = resources(synthesis, "AWS::Logs::MetricFilter")
    filter_props = props(metric_filter)
    assert filter_props["LogGroupName"] == {"Ref": log_group["Fn::GetAtt"][0]}
    assert filter_props["FilterPattern"] == (
        f'{{ ($.type = "PassStateEntered") && ($.details.name = "{COMPENSATION_PENDING_STATE}") }}')
    (transformation,) = filter_props["MetricTransformations"]
    (_, _, alarm), = resources(synthesis, "AWS::CloudWatch::Alarm")
    alarm_props = props(alarm)
    assert (alarm_props["Namespace"], alarm_props["MetricName"]) == (
        transformation["MetricNamespace"], transformation["MetricName"])
    assert transformation["MetricValue"] == "1"
    assert alarm_props["Statistic"] == "Sum" and alarm_props["Threshold"] == 1
    assert alarm_props["ComparisonOperator"] == "GreaterThanOrEqualToThreshold"
    assert alarm_props["TreatMissingData"] == "notBreaching"
    assert alarm_props["AlarmName"] == f"{machine['StateMachineName']}-compensation-pending"
