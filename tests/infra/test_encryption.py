"""Everything at rest is encrypted with a customer-managed key, and every key rotates."""

from __future__ import annotations

from contract.environment import IDEMPOTENCY_PARTITION_KEY, IDEMPOTENCY_TTL_ATTRIBUTE
from infra.synthesis import Synthesis
from onboarding.adapters.dynamodb import TABLE_KEYS
from tests.infra.template_queries import policy_statements, props, resources


def test_every_key_rotates(synthesis: Synthesis) -> None:
    keys = list(resources(synthesis, "AWS::KMS::Key"))
    assert len(keys) == 4
    for _, logical_id, key in keys:
        assert props(key)["EnableKeyRotation"] is True, logical_id


def test_every_log_group_is_kms_encrypted_with_retention(synthesis: Synthesis) -> None:
    groups = list(resources(synthesis, "AWS::Logs::LogGroup"))
    assert len(groups) >= 13  # flow logs, workers, state machine, a group per task function
    for _, logical_id, group in groups:
        assert "KmsKeyId" in props(group), logical_id
        assert props(group)["RetentionInDays"] == synthesis.config.log_retention_days, logical_id


def test_logs_service_may_use_the_logs_key_only_for_this_accounts_log_groups(synthesis: Synthesis) -> None:
    (_, _, key), = [k for k in resources(synthesis, "AWS::KMS::Key") if "Logs" in k[1]]
    statements = props(key)["KeyPolicy"]["Statement"]
    logs_statement = next(s for s in statements if s.get("Sid") == "CloudWatchLogsUse")
    assert "ArnLike" in logs_statement["Condition"]
    assert "kms:EncryptionContext:aws:logs:arn" in logs_statement["Condition"]["ArnLike"]


def test_every_table_is_kms_encrypted_with_pitr_and_the_adapter_key_layout(synthesis: Synthesis) -> None:
    tables = {props(t)["TableName"].rsplit("-", 1)[-1]: props(t)
              for _, _, t in resources(synthesis, "AWS::DynamoDB::Table")}
    assert set(tables) == {*TABLE_KEYS, "idempotency"}
    for role, table in tables.items():
        assert table["SSESpecification"]["SSEEnabled"] is True, role
        assert table["SSESpecification"]["SSEType"] == "KMS", role
        assert "KMSMasterKeyId" in table["SSESpecification"], role
        assert table["PointInTimeRecoverySpecification"]["PointInTimeRecoveryEnabled"] is True, role
        assert all(a["AttributeType"] == "S" for a in table["AttributeDefinitions"]), role
        keys = tuple(k["AttributeName"] for k in table["KeySchema"])
        assert keys == (TABLE_KEYS.get(role) or (IDEMPOTENCY_PARTITION_KEY,)), role
    assert tables["idempotency"]["TimeToLiveSpecification"] == {
        "AttributeName": IDEMPOTENCY_TTL_ATTRIBUTE, "Enabled": True}


def test_every_bucket_is_kms_encrypted_private_versioned_and_tls_only(synthesis: Synthesis) -> None:
    buckets = list(resources(synthesis, "AWS::S3::Bucket"))
    assert len(buckets) == 2
    for _, logical_id, bucket in buckets:
        encryption = props(bucket)["BucketEncryption"]["ServerSideEncryptionConfiguration"][0]
        assert encryption["ServerSideEncryptionByDefault"]["SSEAlgorithm"] == "aws:kms", logical_id
        assert "KMSMasterKeyID" in encryption["ServerSideEncryptionByDefault"], logical_id
        assert all(props(bucket)["PublicAccessBlockConfiguration"].values()), logical_id
        assert props(bucket)["VersioningConfiguration"]["Status"] == "Enabled", logical_id
    tls_denials = [s for _, s in policy_statements(synthesis)
                   if s["Effect"] == "Deny" and s.get("Condition", {}).get("Bool", {}).get("aws:SecureTransport")
                   == "false"]
    assert len(tls_denials) == 2


def test_claim_check_bucket_logs_access_to_the_encrypted_log_bucket(synthesis: Synthesis) -> None:
    buckets = {logical_id: props(b) for _, logical_id, b in resources(synthesis, "AWS::S3::Bucket")}
    claim_check = next(b for logical_id, b in buckets.items() if "ClaimCheckBucket" in logical_id)
    target = claim_check["LoggingConfiguration"]["DestinationBucketName"]["Ref"]
    assert target in buckets and "AccessLogs" in target


def test_temporal_secret_is_created_without_a_value_in_code(synthesis: Synthesis) -> None:
    (_, _, secret), = resources(synthesis, "AWS::SecretsManager::Secret")
    assert "SecretString" not in props(secret)
    assert props(secret)["GenerateSecretString"]["SecretStringTemplate"] == "{}"
    assert props(secret)["Name"] == synthesis.config.temporal_secret_name
    assert "KmsKeyId" in props(secret)
