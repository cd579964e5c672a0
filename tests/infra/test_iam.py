"""IAM and key policies: no wildcard action is allowed, and each key decides who reads what it protects.

Key policies (both egress modes):
- administration (the account, through IAM) holds no cryptographic action, so nobody decrypts through it, and the
  account can always administer the key (no lock-out);
- use is allowed only to the principals named in ``aws:PrincipalArn`` (infra.principals decides who), and every
  other principal of the account is denied ``kms:Decrypt``, ``kms:ReEncrypt*`` and ``kms:GenerateDataKey*``;
- every AWS service that uses a key as itself is bound to this account, its resource or an encryption context, and
  has no wildcard action;
- the payload key refuses any operation without the codec's encryption context;
- the roles the policies name exist, under exactly those names, in the templates.

Trust policies: every role a service assumes is bound to this account (``aws:SourceAccount``), and to its resource
(``aws:SourceArn``) where the service documents one.
"""

from __future__ import annotations

from typing import Any

import pytest

from contract.environment import PAYLOAD_ENCRYPTION_CONTEXT
from contract.onboarding import ONBOARDING, ONBOARDING_FUNCTIONS
from infra.components.encryption_keys import ADMIN_ACTIONS, DECRYPTING_ACTIONS
from infra.principals import KEY_NAMES, Principals
from infra.synthesis import Synthesis
from tests.infra.template_queries import as_list, key_policies, policy_statements, props, render, resources

CRYPTO = ("kms:Decrypt", "kms:Encrypt", "kms:GenerateDataKey", "kms:ReEncrypt")
ACCOUNT = "arn:${AWS::Partition}:iam::${AWS::AccountId}:root"
DEPLOYER = "cdk-hnb659fds-cfn-exec-role"


def _alias(key: str) -> str:
    return key.replace("_", "-")


def _expected_users(synthesis: Synthesis, key: str) -> set[str]:
    principals = Principals.of(synthesis.config, ONBOARDING, ONBOARDING_FUNCTIONS)
    return {render(synthesis.blueprint.foundation.resolve(arn)) for arn in principals.key_users(key)}  # type: ignore[arg-type]


def _statement(statements: list[dict[str, Any]], sid: str) -> dict[str, Any]:
    (found,) = [s for s in statements if s.get("Sid") == sid]
    return found


def test_no_iam_statement_allows_a_wildcard_action(synthesis: Synthesis) -> None:
    statements = list(policy_statements(synthesis))
    assert len(statements) > 50
    for where, statement in statements:
        assert "NotAction" not in statement, where
        wildcards = [action for action in as_list(statement["Action"]) if "*" in action]
        if statement["Effect"] == "Allow":
            assert not wildcards, f"{where}: {wildcards}"
        elif wildcards:  # a protective deny may be broad: the buckets refuse every request without TLS 1.2+
            assert statement["Condition"] in ({"Bool": {"aws:SecureTransport": "false"}},
                                              {"NumericLessThan": {"s3:TlsVersion": 1.2}}), where


def test_every_key_has_a_policy_of_the_documented_shape(synthesis: Synthesis) -> None:
    policies = key_policies(synthesis)
    assert set(policies) == {_alias(key) for key in KEY_NAMES}
    for alias, statements in policies.items():
        sids = [s.get("Sid") for s in statements]
        assert sids[:2] == ["KeyAdministration", "KeyUse"], alias
        assert "DenyDecryptionToOtherPrincipals" in sids, alias


def test_administration_is_the_accounts_and_holds_no_cryptographic_action(synthesis: Synthesis) -> None:
    for alias, statements in key_policies(synthesis).items():
        admin = _statement(statements, "KeyAdministration")
        assert render(admin["Principal"]["AWS"]) == ACCOUNT, alias  # no lock-out: the account keeps the key
        actions = as_list(admin["Action"])
        assert "kms:PutKeyPolicy" in actions and "kms:ScheduleKeyDeletion" in actions, alias
        assert not [a for a in actions if a.startswith(CRYPTO) or "*" in a], alias
        assert sorted(actions) == sorted(ADMIN_ACTIONS), alias
        assert "Condition" not in admin, alias


@pytest.mark.parametrize("key", KEY_NAMES)
def test_only_the_named_principals_may_use_a_key(synthesis: Synthesis, key: str) -> None:
    statements = key_policies(synthesis)[_alias(key)]
    use = _statement(statements, "KeyUse")
    users = {render(arn) for arn in as_list(use["Condition"]["ArnEquals"]["aws:PrincipalArn"])}
    assert users == _expected_users(synthesis, key)
    assert synthesis.config.operator_role_arn in users
    for statement in statements:
        if statement["Effect"] != "Allow" or "AWS" not in statement["Principal"]:
            continue
        if any(action.startswith(CRYPTO) for action in as_list(statement["Action"])):
            # No crypto action for the account as such: only for principals named in the condition.
            assert "aws:PrincipalArn" in statement["Condition"]["ArnEquals"], statement.get("Sid")


@pytest.mark.parametrize("key", KEY_NAMES)
def test_every_other_principal_of_the_account_is_denied_decryption(synthesis: Synthesis, key: str) -> None:
    statements = key_policies(synthesis)[_alias(key)]
    deny = _statement(statements, "DenyDecryptionToOtherPrincipals")
    assert deny["Effect"] == "Deny"
    assert deny["Principal"] == {"AWS": "*"}
    assert sorted(as_list(deny["Action"])) == sorted(DECRYPTING_ACTIONS)
    exempt = {render(arn) for arn in as_list(deny["Condition"]["ArnNotEquals"]["aws:PrincipalArn"])}
    users = _expected_users(synthesis, key)
    deployers = exempt - users
    assert users <= exempt
    # The deployer is exempt only where it creates resources with the key, and then only through that service.
    assert all(DEPLOYER in arn for arn in deployers)
    if deployers:
        deployer_deny = _statement(statements, "DenyDeployerOutsideItsService")
        assert {render(arn) for arn in as_list(deployer_deny["Condition"]["ArnEquals"]["aws:PrincipalArn"])} \
            == deployers
        assert "kms:ViaService" in deployer_deny["Condition"]["StringNotEquals"]
    # AWS services acting as themselves are bound by their own statements, not this one.
    assert deny["Condition"]["BoolIfExists"] == {"aws:PrincipalIsAWSService": "false"}


def test_services_using_a_key_as_themselves_are_bound_and_narrow(synthesis: Synthesis) -> None:
    bindings = ("aws:SourceAccount", "aws:SourceArn", "kms:EncryptionContext:")
    seen: set[str] = set()
    for alias, statements in key_policies(synthesis).items():
        for statement in statements:
            if statement["Effect"] != "Allow" or "Service" not in statement["Principal"]:
                continue
            service = render(statement["Principal"]["Service"])
            seen.add(service.split(".")[0])
            keys = [k for condition in statement["Condition"].values() for k in condition]
            assert any(k.startswith(bindings) for k in keys), f"{alias}: {service} is not bound"
            assert not [a for a in as_list(statement["Action"]) if "*" in a], f"{alias}: {service}"
            assert "kms:ReEncrypt*" not in as_list(statement["Action"]), f"{alias}: {service}"
    expected = {"logs", "logging", "delivery", "lambda"} | ({"cloudtrail"} if synthesis.config.audit_trail else set())
    assert seen == expected


def test_s3_access_logging_may_only_generate_data_keys_for_the_claim_check_bucket(synthesis: Synthesis) -> None:
    statement = _statement(key_policies(synthesis)["logs"], "S3AccessLogDelivery")
    assert as_list(statement["Action"]) == ["kms:GenerateDataKey"]
    assert render(statement["Condition"]["ArnEquals"]["aws:SourceArn"]).endswith(
        f"s3:::{synthesis.config.environment_name}-claim-check-${{AWS::AccountId}}-${{AWS::Region}}")
    assert render(statement["Condition"]["StringEquals"]["aws:SourceAccount"]) == "${AWS::AccountId}"


def test_log_delivery_may_only_decrypt_for_this_accounts_log_deliveries(synthesis: Synthesis) -> None:
    statement = _statement(key_policies(synthesis)["state-machine"], "StateMachineLogDelivery")
    assert as_list(statement["Action"]) == ["kms:Decrypt"]
    assert render(statement["Condition"]["StringEquals"]["aws:SourceAccount"]) == "${AWS::AccountId}"
    assert "${AWS::AccountId}" in render(statement["Condition"]["ArnLike"]["aws:SourceArn"])


def test_the_payload_key_works_only_with_the_codecs_encryption_context(synthesis: Synthesis) -> None:
    statements = key_policies(synthesis)["payload"]
    deny = _statement(statements, "DenyUseWithoutTheCodecContext")
    assert deny["Effect"] == "Deny" and deny["Principal"] == {"AWS": "*"}
    assert {"kms:Decrypt", "kms:GenerateDataKey*"} <= set(as_list(deny["Action"]))
    assert deny["Condition"] == {"StringNotEquals": {f"kms:EncryptionContext:{name}": value
                                                     for name, value in PAYLOAD_ENCRYPTION_CONTEXT.items()}}
    # The worker's own grant carries the same context.
    task_role = [props(r) for _, _, r in resources(synthesis, "AWS::IAM::Role")
                 if props(r).get("RoleName") == f"{synthesis.config.environment_name}-worker-task"]
    assert task_role
    grants = [s for _, s in policy_statements(synthesis)
              if "kms:GenerateDataKey" in as_list(s["Action"]) and "KeysPayload" in repr(s["Resource"])]
    assert grants and all(s["Condition"]["StringEquals"] == {
        f"kms:EncryptionContext:{name}": value for name, value in PAYLOAD_ENCRYPTION_CONTEXT.items()}
        for s in grants)


def test_the_roles_the_key_policies_name_exist_under_those_names(synthesis: Synthesis) -> None:
    prefix = "arn:${AWS::Partition}:iam::${AWS::AccountId}:role/"
    role_names = {props(role).get("RoleName") for _, _, role in resources(synthesis, "AWS::IAM::Role")}
    named = {arn.removeprefix(prefix) for key in KEY_NAMES for arn in _expected_users(synthesis, key)
             if arn.startswith(prefix)}
    # every task function, the worker task, the state machine, the durable function
    assert len(named) == len(ONBOARDING_FUNCTIONS) + 3
    assert named <= role_names


def test_every_service_role_trusts_only_this_account(synthesis: Synthesis) -> None:
    roles = list(resources(synthesis, "AWS::IAM::Role"))
    # Every role but those of CDK's deploy-time providers (default security group, prefix-list lookup), which CDK
    # creates for its own singleton handlers and which never handle application data.
    ours = [(logical_id, props(role)) for _, logical_id, role in roles
            if props(role).get("RoleName") or "FlowLogRole" in logical_id]
    providers = [logical_id for _, logical_id, role in roles if (logical_id, props(role)) not in ours]
    assert all(logical_id.startswith(("CustomVpcRestrictDefaultSG", "AWS679f53fac002430cb0da5b7982bd2287"))
               for logical_id in providers), providers
    # task functions, worker task and execution, state machine, durable function (named), and the flow-log role
    assert len(ours) == len(ONBOARDING_FUNCTIONS) + 5
    for logical_id, role in ours:
        for statement in role["AssumeRolePolicyDocument"]["Statement"]:
            service = render(statement["Principal"]["Service"])
            condition = statement["Condition"]
            assert render(condition["StringEquals"]["aws:SourceAccount"]) == "${AWS::AccountId}", logical_id
            if service in ("states.amazonaws.com", "ecs-tasks.amazonaws.com"):
                assert "aws:SourceArn" in condition["ArnLike"], logical_id
