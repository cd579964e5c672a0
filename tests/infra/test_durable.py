"""The durable function's promises: python3.13 in the private subnets, traced, KMS-encrypted logs, reserved
concurrency, DurableConfig with the customer-managed key and the configured retention, the environment the runtime
reads, a role of exactly the statements the description derives, and the two keys' policies."""

from __future__ import annotations

import json
import re
from typing import Any

import pytest

from contract.environment import CHECKPOINT_ENCRYPTION_CONTEXT, durable_environment
from contract.onboarding import ONBOARDING
from contract.profile import Profile
from infra.components.durable_function import ALIAS, EXECUTION_ROLE_ACTIONS
from infra.config import MAX_DURABLE_EXECUTION_SECONDS, ConfigurationError
from infra.onboarding import onboarding_sources
from infra.permissions import ENVELOPE_KEY_USE, KEY_THROUGH_DYNAMODB, TABLE_INSERT, TABLE_UPDATE
from infra.stacks.durable import execution_timeout_seconds
from infra.synthesis import Synthesis
from infra.task_access import durable_access
from scenarios import SCENARIOS
from tests.infra.template_queries import as_list, key_policies, props, render, resources

FUNCTION_ARN = "arn:${AWS::Partition}:lambda:${AWS::Region}:${AWS::AccountId}:function:{name}"


def _durable(synthesis: Synthesis) -> tuple[str, dict[str, Any]]:
    (found,) = [(logical_id, props(fn)) for stack, logical_id, fn in resources(synthesis, "AWS::Lambda::Function")
                if stack == "Durable"]
    return found


def _name(synthesis: Synthesis) -> str:
    return f"{synthesis.config.environment_name}-{ONBOARDING.name}-durable"


def _template(synthesis: Synthesis) -> dict[str, Any]:
    template: dict[str, Any] = synthesis.templates["Durable"]["Resources"]
    return template


def test_the_durable_function_runs_python_3_13_in_the_private_subnets_traced_with_encrypted_logs(
        synthesis: Synthesis) -> None:
    _, function = _durable(synthesis)
    assert function["FunctionName"] == _name(synthesis)
    assert function["Runtime"] == "python3.13"
    assert function["Handler"] == onboarding_sources().durable_handler
    assert function["TracingConfig"] == {"Mode": "Active"}
    assert function["ReservedConcurrentExecutions"] == synthesis.config.lambda_reserved_concurrency
    subnets = function["VpcConfig"]["SubnetIds"]
    assert len(subnets) == synthesis.config.max_azs
    assert all("privateSubnet" in repr(subnet) for subnet in subnets)
    (group,) = function["VpcConfig"]["SecurityGroupIds"]
    security_group = props(_template(synthesis)[group["Fn::GetAtt"][0]])
    assert "SecurityGroupIngress" not in security_group
    assert not [r for _, _, r in resources(synthesis, "AWS::EC2::SecurityGroupIngress")
                if group["Fn::GetAtt"][0] in repr(props(r)["GroupId"])]
    log_group = props(_template(synthesis)[function["LoggingConfig"]["LogGroup"]["Ref"]])
    assert log_group["LogGroupName"] == f"/aws/lambda/{_name(synthesis)}"
    assert "KeysLogs" in repr(log_group["KmsKeyId"])
    assert log_group["RetentionInDays"] == synthesis.config.log_retention_days
    assert "KeysData" in repr(function["KmsKeyArn"])  # the environment, like the task Lambdas'


def test_durable_config_has_the_review_window_the_retention_and_its_own_customer_managed_key(
        synthesis: Synthesis) -> None:
    _, function = _durable(synthesis)
    durable = function["DurableConfig"]
    assert set(durable) == {"ExecutionTimeout", "RetentionPeriodInDays", "KMSKeyArn"}
    timeout = execution_timeout_seconds(ONBOARDING, synthesis.config.review_timeout_seconds)
    assert durable["ExecutionTimeout"] == timeout
    assert durable["ExecutionTimeout"] > synthesis.config.review_timeout_seconds  # the review fits, with the steps
    assert durable["RetentionPeriodInDays"] == synthesis.config.durable_retention_days
    key = render(durable["KMSKeyArn"])
    assert "KeysDurableExecution" in key
    environment = function["Environment"]["Variables"]
    assert "KeysDurableExecution" not in render(environment["PAYLOAD_KEY_ID"])  # checkpoints: another key


def test_a_review_window_leaving_no_room_for_the_steps_is_refused_by_its_key() -> None:
    longest = MAX_DURABLE_EXECUTION_SECONDS - (execution_timeout_seconds(ONBOARDING, 60) - 60)
    assert execution_timeout_seconds(ONBOARDING, longest) == MAX_DURABLE_EXECUTION_SECONDS
    with pytest.raises(ConfigurationError) as raised:
        execution_timeout_seconds(ONBOARDING, longest + 1)
    assert str(raised.value).startswith("review_timeout_seconds: ")
    assert str(longest + 1) not in str(raised.value)


def test_executions_start_on_a_published_version_behind_the_alias(synthesis: Synthesis) -> None:
    logical_id, _ = _durable(synthesis)
    (alias,) = [props(a) for stack, _, a in resources(synthesis, "AWS::Lambda::Alias") if stack == "Durable"]
    assert alias["Name"] == ALIAS
    assert alias["FunctionName"] == {"Ref": logical_id}
    version = props(_template(synthesis)[alias["FunctionVersion"]["Fn::GetAtt"][0]])
    assert version["FunctionName"] == {"Ref": logical_id}


def test_the_environment_is_the_one_the_runtime_reads(synthesis: Synthesis) -> None:
    _, function = _durable(synthesis)
    environment = {name: render(value) for name, value in function["Environment"]["Variables"].items()}
    tables = {role: "x" for role in ONBOARDING.table_roles}
    assert set(environment) == set(durable_environment(ONBOARDING, tables=tables, payload_key_id="k",
                                                       profile=Profile.HARDENED))
    assert environment["PROTECTION_PROFILE"] == Profile.HARDENED.value
    assert "KeysCheckpoint" in environment["PAYLOAD_KEY_ID"]
    for role in ONBOARDING.table_roles:
        assert "Tables" in environment[ONBOARDING.table_variable(role)], role


def test_no_plaintext_personal_data_in_the_durable_template(synthesis: Synthesis) -> None:
    text = json.dumps(synthesis.templates["Durable"])
    pii = {value for scenario in SCENARIOS for value in scenario.searchable_pii()}
    assert pii
    assert sorted(value for value in pii if value in text) == []
    _, function = _durable(synthesis)
    tags = {tag["Key"]: tag["Value"] for tag in function.get("Tags", [])}
    assert tags == {"blueprint": "durable-orchestration", "environment": synthesis.config.environment_name}


def _role_statements(synthesis: Synthesis) -> list[dict[str, Any]]:
    _, function = _durable(synthesis)
    role = function["Role"]["Fn::GetAtt"][0]
    return [statement for stack, _, policy in resources(synthesis, "AWS::IAM::Policy") if stack == "Durable"
            and {"Ref": role} in props(policy)["Roles"] for statement in props(policy)["PolicyDocument"]["Statement"]]


def _resource(value: Any) -> str:
    """A resource as text; a cross-stack import as the exported resource's logical id without its hash
    (``${import:...ExportsOutputFnGetAttKeysDataA2F7C5E6Arn...}`` -> ``${KeysData}``)."""
    text = render(value)
    found = re.fullmatch(r"\$\{import:.*ExportsOutputFnGetAtt([A-Za-z]+?)[0-9A-F]{8}Arn[0-9A-F]{8}\}", text)
    return f"${{{found.group(1)}}}" if found else text


def _normal(statement: dict[str, Any]) -> tuple[tuple[str, ...], tuple[str, ...], str]:
    return (tuple(sorted(as_list(statement["Action"]))),
            tuple(sorted(_resource(r) for r in as_list(statement["Resource"]))),
            json.dumps({op: {k: render(v) for k, v in pairs.items()} for op, pairs in
                        statement.get("Condition", {}).items()}, sort_keys=True))


def test_the_roles_statements_are_exactly_what_the_description_derives(synthesis: Synthesis) -> None:
    """Checkpoints on this function's executions only; per table the actions of the steps that insert into or update
    it (the union over the steps and compensations; tables with the same actions share a statement); the table key
    through DynamoDB; the checkpoint key only under its context; the environment and the execution data only as
    Lambda requires; X-Ray."""
    statements = _role_statements(synthesis)
    assert all(s["Effect"] == "Allow" for s in statements)
    name = _name(synthesis)
    function_arn = FUNCTION_ARN.replace("{name}", name)
    access = durable_access(ONBOARDING)
    assert set(access.inserts) == {t for s in ONBOARDING.all_steps for t in s.writes}
    assert set(access.updates) == {t for s in ONBOARDING.all_steps for t in s.updates}
    region = "${AWS::Region}"
    expected: set[tuple[tuple[str, ...], tuple[str, ...], str]] = {
        (tuple(sorted(EXECUTION_ROLE_ACTIONS)), (f"{function_arn}:*",), "{}"),
        (("xray:PutTelemetryRecords", "xray:PutTraceSegments"), ("*",), "{}"),
        (("kms:Decrypt",), ("${KeysData}",), json.dumps(
            {"StringEquals": {"kms:EncryptionContext:LambdaFunctionName": name}})),
        (("kms:Decrypt",), ("${KeysDurableExecution}",), json.dumps({"StringEquals": {
            "kms:ViaService": f"lambda.{region}.amazonaws.com",
            "kms:EncryptionContext:aws:lambda:FunctionArn": function_arn}}, sort_keys=True)),
        (tuple(sorted(ENVELOPE_KEY_USE)), ("${KeysCheckpoint}",), json.dumps({"StringEquals": {
            f"kms:EncryptionContext:{k}": v for k, v in CHECKPOINT_ENCRYPTION_CONTEXT.items()}})),
        (tuple(sorted(KEY_THROUGH_DYNAMODB)), ("${KeysData}",), json.dumps(
            {"StringEquals": {"kms:ViaService": f"dynamodb.{region}.amazonaws.com"}})),
    }
    by_actions: dict[tuple[str, ...], set[str]] = {}
    for role in {*access.inserts, *access.updates}:
        actions = {*(TABLE_INSERT if role in access.inserts else ()), *(TABLE_UPDATE if role in access.updates else ())}
        by_actions.setdefault(tuple(sorted(actions)), set()).add(f"${{Tables{role.title()}}}")
    expected |= {(actions, tuple(sorted(tables)), "{}") for actions, tables in by_actions.items()}
    found = [_normal(s) for s in statements]
    assert set(found) == expected
    assert len(found) == len(expected)  # no statement twice


def _statement(statements: list[dict[str, Any]], sid: str) -> dict[str, Any]:
    (found,) = [s for s in statements if s.get("Sid") == sid]
    return found


def test_the_checkpoint_key_works_only_with_the_checkpoint_context(synthesis: Synthesis) -> None:
    statements = key_policies(synthesis)["checkpoint"]
    deny = _statement(statements, "DenyUseWithoutTheCheckpointContext")
    assert deny["Effect"] == "Deny" and deny["Principal"] == {"AWS": "*"}
    assert {"kms:Decrypt", "kms:GenerateDataKey*", "kms:Encrypt", "kms:ReEncrypt*"} == set(as_list(deny["Action"]))
    assert deny["Condition"] == {"StringNotEquals": {f"kms:EncryptionContext:{name}": value
                                                     for name, value in CHECKPOINT_ENCRYPTION_CONTEXT.items()}}
    users = {render(arn) for arn in as_list(_statement(statements, "KeyUse")["Condition"]["ArnEquals"][
        "aws:PrincipalArn"])}
    assert users == {f"arn:${{AWS::Partition}}:iam::${{AWS::AccountId}}:role/{_name(synthesis)}",
                     synthesis.config.operator_role_arn, *synthesis.config.break_glass_role_arns}
    assert not [s for s in statements if "Service" in s.get("Principal", {})]  # no service uses it as itself


def test_the_execution_data_key_serves_lambda_for_this_function_only(synthesis: Synthesis) -> None:
    statements = key_policies(synthesis)["durable-execution"]
    function_arn = FUNCTION_ARN.replace("{name}", _name(synthesis))
    service = _statement(statements, "LambdaDurableExecutionUse")
    assert service["Principal"] == {"Service": "lambda.amazonaws.com"}
    assert sorted(as_list(service["Action"])) == ["kms:Decrypt", "kms:GenerateDataKey"]
    assert {k: render(v) for k, v in service["Condition"]["StringEquals"].items()} == {
        "aws:SourceAccount": "${AWS::AccountId}", "aws:SourceArn": function_arn,
        "kms:EncryptionContext:aws:lambda:FunctionArn": function_arn}
    deny = _statement(statements, "DenyUseOutsideTheDurableFunction")
    assert deny["Effect"] == "Deny" and deny["Principal"] == {"AWS": "*"}
    assert {k: render(v) for k, v in deny["Condition"]["StringNotEquals"].items()} == {
        "kms:EncryptionContext:aws:lambda:FunctionArn": function_arn}
    use = _statement(statements, "KeyUse")
    assert as_list(use["Action"]) == ["kms:Decrypt"]
    assert render(use["Condition"]["StringEquals"]["kms:ViaService"]) == "lambda.${AWS::Region}.amazonaws.com"
    deployer = _statement(statements, "DeployerUse")
    assert render(deployer["Condition"]["StringEquals"]["kms:ViaService"]) == "lambda.${AWS::Region}.amazonaws.com"
    assert sorted(as_list(deployer["Action"])) == ["kms:Decrypt", "kms:DescribeKey", "kms:GenerateDataKey"]
