"""The access surface of a small deployment, changed one policy at a time: grants add readers, key policies that
name their users and deny everyone else remove them, conditions are listed, and the Temporal service never holds
the payload key unless a policy gives it to someone outside the account."""

from __future__ import annotations

import json
from typing import Any

import pytest

from comparison.access.model import AccessSurface, PrincipalKind, StoreAccess
from comparison.access.surface import access_surface, accounts_named
from comparison.access.templates import TemplateSet
from comparison.models import Engine
from comparison.onboarding import ACCESS_STORES, ENGINE_OPERATORS
from tests.comparison.access.mini import ACCOUNT, REGION, ROOT, mini_templates

VALIDATE = "arn:aws:iam::${AWS::AccountId}:role/mini-validate"
WORKER = "arn:aws:iam::${AWS::AccountId}:role/mini-worker"


def surface(templates: dict[str, dict[str, Any]] | None = None) -> AccessSurface:
    return access_surface(TemplateSet(templates or named_roles()), ACCESS_STORES, ENGINE_OPERATORS,
                          source="mini templates")


def named_roles() -> dict[str, dict[str, Any]]:
    """The mini deployment with the roles named, so a key policy in another stack can name them by ARN."""
    templates = mini_templates()
    templates["App"]["Resources"]["ValidateRole"]["Properties"]["RoleName"] = "mini-validate"
    templates["App"]["Resources"]["WorkerRole"]["Properties"]["RoleName"] = "mini-worker"
    return templates


def store(result: AccessSurface, engine: Engine, name: str) -> StoreAccess:
    return next(item for item in result.engines[engine].stores if item.store == name)


def readers(result: AccessSurface, engine: Engine, name: str) -> dict[str, list[str]]:
    """principal label -> its conditions (empty: reads unconditionally)."""
    return {reader.principal: reader.conditions for reader in store(result, engine, name).readers}


def test_every_store_of_the_binding_is_found_with_its_key() -> None:
    result = surface()
    temporal = [item.store for item in result.engines[Engine.TEMPORAL].stores]
    assert temporal == ["payloads in the Temporal service", "worker log group", "worker environment",
                        "table mini-ledger"]
    sfn = {item.store: item for item in result.engines[Engine.STEPFUNCTIONS].stores}
    assert set(sfn) == {"claim-check objects", "execution history", "state machine log group",
                        "task Lambda log groups", "task Lambda environment", "X-Ray traces", "table mini-ledger"}
    assert sfn["claim-check objects"].key == "customer managed key alias/mini/data"
    assert sfn["task Lambda log groups"].resources == ["App/IntakeLogs", "App/ValidateLogs"]
    assert sfn["X-Ray traces"].key_kind.value == "aws_owned"


def test_readers_follow_the_identity_and_key_policies() -> None:
    result = surface()
    claim = readers(result, Engine.STEPFUNCTIONS, "claim-check objects")
    assert claim["Lambda mini-validate"] == []  # s3:GetObject and kms:Decrypt, both allowed, no condition
    assert "Lambda mini-intake" not in claim  # writes claim checks, never reads them
    # Today's key policies delegate kms:* to the account: anyone whose own IAM policy allows it reads too.
    assert claim["other IAM principals of the account"] == [
        "their IAM policy allows s3:GetObject/GetObjectVersion", "their IAM policy allows kms:Decrypt"]
    via = store(result, Engine.STEPFUNCTIONS, "claim-check objects").readers[0].via
    assert "s3:GetObject by IAM policy ValidatePolicy" in via and "key policy of alias/mini/data delegates" in via
    assert set(readers(result, Engine.STEPFUNCTIONS, "table mini-ledger")) == {
        "Lambda mini-validate", "other IAM principals of the account"}
    logs = readers(result, Engine.STEPFUNCTIONS, "task Lambda log groups")
    assert set(logs) == {"other IAM principals of the account"}  # the Logs service decrypts: no key needed


def test_the_temporal_service_holds_no_key_and_the_aws_services_do() -> None:
    result = surface()
    payloads = store(result, Engine.TEMPORAL, "payloads in the Temporal service")
    assert payloads.key_kind.value == "client_side"
    assert payloads.operator.name == "Temporal Cloud" and payloads.operator.holds_key is False
    assert "Temporal Cloud is no principal of alias/mini/payload" in payloads.operator.how
    assert result.engines[Engine.TEMPORAL].operator_holds_key is False
    assert set(readers(result, Engine.TEMPORAL, "payloads in the Temporal service")) == {
        "ECS task MiniWorkerTask (task role)", "other IAM principals of the account"}
    assert result.engines[Engine.STEPFUNCTIONS].operator_holds_key is True
    history = store(result, Engine.STEPFUNCTIONS, "execution history")
    assert "states.amazonaws.com assumes state machine mini-onboarding, which may decrypt" in history.operator.how
    logs = store(result, Engine.STEPFUNCTIONS, "state machine log group")
    assert "the key policy lets logs.<region>.amazonaws.com decrypt" in logs.operator.how


def test_adding_a_grant_adds_a_reader() -> None:
    before = readers(surface(), Engine.STEPFUNCTIONS, "claim-check objects")
    templates = named_roles()
    statements = templates["App"]["Resources"]["WorkerPolicy"]["Properties"]["PolicyDocument"]["Statement"]
    statements += [
        {"Effect": "Allow", "Action": "s3:GetObject", "Resource": {"Fn::Join": ["", [
            "arn:aws:s3:::mini-claim-check-", ACCOUNT, "-", REGION, "/*"]]}},
        {"Effect": "Allow", "Action": "kms:Decrypt",
         "Resource": {"Fn::ImportValue": "mini-foundation:ExportKeysDataArn"}},
    ]
    after = readers(surface(templates), Engine.STEPFUNCTIONS, "claim-check objects")
    assert set(after) - set(before) == {"ECS task MiniWorkerTask (task role)"}


def _hardened_data_key(templates: dict[str, dict[str, Any]]) -> None:
    """A key policy in the shape the hardening writes: the account administers the key but decrypts nothing, the
    named roles decrypt only through the service they need, and everyone else is denied."""
    templates["Foundation"]["Resources"]["KeysData"]["Properties"]["KeyPolicy"] = {"Statement": [
        {"Sid": "Administer", "Effect": "Allow", "Principal": {"AWS": ROOT}, "Resource": "*",
         "Action": ["kms:Create*", "kms:Describe*", "kms:Enable*", "kms:List*", "kms:Put*", "kms:Update*",
                    "kms:Revoke*", "kms:Disable*", "kms:Get*", "kms:Delete*", "kms:ScheduleKeyDeletion",
                    "kms:CancelKeyDeletion", "kms:TagResource"]},
        {"Sid": "ClaimCheckReaders", "Effect": "Allow", "Principal": {"AWS": [VALIDATE]}, "Resource": "*",
         "Action": "kms:Decrypt", "Condition": {"StringEquals": {"kms:ViaService": {"Fn::Join": [
             "", ["s3.", REGION, ".amazonaws.com"]]}}}},
        {"Sid": "NobodyElse", "Effect": "Deny", "Principal": {"AWS": "*"}, "Resource": "*", "Action": "kms:Decrypt",
         "Condition": {"ArnNotEquals": {"aws:PrincipalArn": [VALIDATE, WORKER]},
                       "BoolIfExists": {"aws:PrincipalIsAWSService": "false"}}},
    ]}


def test_a_key_policy_that_names_its_users_and_denies_everyone_else_removes_the_account() -> None:
    templates = named_roles()
    _hardened_data_key(templates)
    result = surface(templates)
    claim = readers(result, Engine.STEPFUNCTIONS, "claim-check objects")
    assert claim == {"Lambda mini-validate": []}
    claim_reader = store(result, Engine.STEPFUNCTIONS, "claim-check objects").readers[0]
    assert "key policy of alias/mini/data (ClaimCheckReaders)" in claim_reader.via
    # The same role cannot read the table any more: its key grant holds through S3 only.
    assert readers(result, Engine.STEPFUNCTIONS, "table mini-ledger") == {}
    assert readers(result, Engine.STEPFUNCTIONS, "task Lambda environment") == {}


def test_not_principal_denies_everyone_it_does_not_name() -> None:
    templates = named_roles()
    policy = templates["Foundation"]["Resources"]["KeysData"]["Properties"]["KeyPolicy"]
    policy["Statement"].append({"Effect": "Deny", "NotPrincipal": {"AWS": [VALIDATE]}, "Action": "kms:Decrypt",
                                "Resource": "*"})
    claim = readers(surface(templates), Engine.STEPFUNCTIONS, "claim-check objects")
    assert set(claim) == {"Lambda mini-validate"}


def test_an_encryption_context_condition_limits_the_key_to_its_store() -> None:
    templates = named_roles()
    [root] = templates["Foundation"]["Resources"]["KeysData"]["Properties"]["KeyPolicy"]["Statement"]
    root["Condition"] = {"ArnEquals": {"kms:EncryptionContext:aws:s3:arn": {"Fn::GetAtt": ["Bucket", "Arn"]}}}
    result = surface(templates)
    assert "Lambda mini-validate" in readers(result, Engine.STEPFUNCTIONS, "claim-check objects")
    assert readers(result, Engine.STEPFUNCTIONS, "table mini-ledger") == {}


def test_a_condition_the_templates_cannot_decide_is_listed() -> None:
    templates = named_roles()
    statements = templates["App"]["Resources"]["ValidatePolicy"]["Properties"]["PolicyDocument"]["Statement"]
    statements[0]["Condition"] = {"StringEquals": {"aws:SourceVpce": "vpce-0123"}}
    claim = readers(surface(templates), Engine.STEPFUNCTIONS, "claim-check objects")
    assert claim["Lambda mini-validate"] == ["StringEquals aws:SourceVpce vpce-0123"]
    templates["Foundation"]["Resources"]["BucketPolicy"]["Properties"]["PolicyDocument"]["Statement"].append(
        {"Effect": "Deny", "Principal": "*", "Action": "s3:GetObject", "Resource": "*",
         "Condition": {"StringNotEquals": {"aws:SourceVpc": "vpc-1"}}})
    claim = readers(surface(templates), Engine.STEPFUNCTIONS, "claim-check objects")
    assert claim["Lambda mini-validate"][-1] == "not (StringNotEquals aws:SourceVpc vpc-1)"


def test_a_grant_outside_the_account_could_be_the_temporal_service() -> None:
    templates = named_roles()
    policy = templates["Foundation"]["Resources"]["KeysPayload"]["Properties"]["KeyPolicy"]
    policy["Statement"].append({"Effect": "Allow", "Principal": {"AWS": "arn:aws:iam::999999999999:role/outside"},
                                "Action": "kms:Decrypt", "Resource": "*"})
    result = surface(templates)
    payloads = store(result, Engine.TEMPORAL, "payloads in the Temporal service")
    assert payloads.operator.holds_key is True and "arn:aws:iam::999999999999:role/outside" in payloads.operator.how
    assert result.engines[Engine.TEMPORAL].operator_holds_key is True
    outside = [r for r in payloads.readers if r.kind is PrincipalKind.EXTERNAL]
    assert [r.principal for r in outside] == ["arn:aws:iam::999999999999:role/outside"]


def test_a_service_principal_with_a_source_condition_is_named_as_the_operators_way_in() -> None:
    templates = named_roles()
    machine_arn = {"Fn::Join": ["", ["arn:aws:states:", REGION, ":", ACCOUNT, ":stateMachine:mini-onboarding"]]}
    templates["Foundation"]["Resources"]["KeysStateMachine"]["Properties"]["KeyPolicy"]["Statement"].append(
        {"Effect": "Allow", "Principal": {"Service": "states.amazonaws.com"}, "Action": "kms:Decrypt",
         "Resource": "*", "Condition": {"ArnEquals": {"aws:SourceArn": machine_arn}}})
    history = store(surface(templates), Engine.STEPFUNCTIONS, "execution history")
    assert "the key policy lets states.amazonaws.com decrypt" in history.operator.how


def test_an_unknown_managed_policy_is_a_possible_reader_never_silently_none() -> None:
    templates = named_roles()
    templates["App"]["Resources"]["WorkerRole"]["Properties"]["ManagedPolicyArns"] = [
        "arn:aws:iam::aws:policy/ReadOnlyAccess"]
    ledger = readers(surface(templates), Engine.TEMPORAL, "table mini-ledger")
    assert ledger["ECS task MiniWorkerTask (task role)"] == [
        "managed policy arn:aws:iam::aws:policy/ReadOnlyAccess allows it"]


def test_the_json_keeps_every_engine_beside_the_source_and_reads_back() -> None:
    result = surface()
    data = json.loads(result.model_dump_json())
    assert set(data) == {"source", "limits", "principals", *(engine.value for engine in Engine)}
    for engine in Engine:
        for item in data[engine.value]["stores"]:
            assert {"store", "key", "readers", "operator"} <= set(item)
            for reader in item["readers"]:
                assert {"principal", "via", "conditions"} <= set(reader)
    assert AccessSurface.model_validate(data) == result
    used = {r.principal_id for item in result.engines.values() for s in item.stores for r in s.readers}
    assert {p.id for p in result.principals} == used


@pytest.mark.parametrize("role", ["ValidateRole", "WorkerRole"])
def test_a_role_reads_nothing_once_its_policy_is_gone(role: str) -> None:
    templates = named_roles()
    del templates["App"]["Resources"][role.replace("Role", "Policy")]
    result = surface(templates)
    label = {"ValidateRole": "Lambda mini-validate", "WorkerRole": "ECS task MiniWorkerTask (task role)"}[role]
    assert all(r.principal != label for item in result.engines.values() for s in item.stores for r in s.readers)


def test_a_bucket_policy_open_to_anyone_makes_anyone_a_reader_under_its_conditions() -> None:
    templates = named_roles()
    bucket = templates["Foundation"]["Resources"]["Bucket"]["Properties"]
    bucket["BucketEncryption"]["ServerSideEncryptionConfiguration"][0]["ServerSideEncryptionByDefault"] = {
        "SSEAlgorithm": "AES256"}
    templates["Foundation"]["Resources"]["BucketPolicy"]["Properties"]["PolicyDocument"]["Statement"].append(
        {"Effect": "Allow", "Principal": "*", "Action": "s3:GetObject",
         "Resource": {"Fn::Join": ["", [{"Fn::GetAtt": ["Bucket", "Arn"]}, "/*"]]},
         "Condition": {"StringEquals": {"aws:PrincipalOrgID": "o-example"}}})
    claim = store(surface(templates), Engine.STEPFUNCTIONS, "claim-check objects")
    assert claim.key == "S3 managed key (SSE-S3)" and claim.operator.holds_key
    assert {r.principal: r.conditions for r in claim.readers}["anyone (*)"] == [
        "StringEquals aws:PrincipalOrgID o-example"]


def test_a_key_outside_the_templates_is_said_so_and_narrows_nothing() -> None:
    templates = named_roles()
    sse = templates["Foundation"]["Resources"]["Ledger"]["Properties"]["SSESpecification"]
    sse["KMSMasterKeyId"] = "arn:aws:kms:eu-west-1:111122223333:key/1234abcd-12ab-34cd-56ef-1234567890ab"
    ledger = store(surface(templates), Engine.STEPFUNCTIONS, "table mini-ledger")
    assert ledger.key == "customer managed key outside these templates (its key policy is not evaluated)"
    assert {r.principal for r in ledger.readers} == {"Lambda mini-validate", "other IAM principals of the account"}


def test_a_role_the_configuration_names_in_the_deployments_account_is_no_outsider() -> None:
    """A key policy naming a literal account's role (e.g. cdk.json's operator role): inside when the account is the
    deployment's own, possibly the Temporal service's otherwise."""
    operator = "arn:aws:iam::111122223333:role/mini-operator"
    templates = named_roles()
    templates["Foundation"]["Resources"]["KeysPayload"]["Properties"]["KeyPolicy"]["Statement"].append(
        {"Effect": "Allow", "Principal": {"AWS": operator}, "Action": "kms:Decrypt", "Resource": "*"})
    assert accounts_named({"operator_role_arn": operator, "break_glass_role_arns": [operator], "other": 3}) == {
        "111122223333"}
    unknown = store(surface(templates), Engine.TEMPORAL, "payloads in the Temporal service")
    assert unknown.operator.holds_key is True
    own = access_surface(TemplateSet(templates), ACCESS_STORES, ENGINE_OPERATORS, source="mini",
                         own_accounts=frozenset({"111122223333"}))
    payloads = store(own, Engine.TEMPORAL, "payloads in the Temporal service")
    assert payloads.operator.holds_key is False and operator in payloads.operator.how
    assert operator in {r.principal for r in payloads.readers}
