"""Everything at rest is encrypted with a customer-managed key, and every key rotates."""

from __future__ import annotations

from typing import Any

from contract.environment import IDEMPOTENCY_PARTITION_KEY, IDEMPOTENCY_TTL_ATTRIBUTE
from contract.onboarding import ONBOARDING_FUNCTIONS
from infra.principals import KEY_NAMES
from infra.synthesis import Synthesis
from onboarding.adapters.dynamodb import TABLE_KEYS
from tests.infra.template_queries import policy_statements, props, render, resources


def test_every_key_rotates(synthesis: Synthesis) -> None:
    keys = list(resources(synthesis, "AWS::KMS::Key"))
    assert len(keys) == len(KEY_NAMES)
    for _, logical_id, key in keys:
        assert props(key)["EnableKeyRotation"] is True, logical_id


def test_every_log_group_is_kms_encrypted_with_retention(synthesis: Synthesis) -> None:
    groups = list(resources(synthesis, "AWS::Logs::LogGroup"))
    # Flow logs, workers, the state machine, the durable function and one per task function.
    assert len(groups) >= 4 + len(ONBOARDING_FUNCTIONS)
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
    # claim check and its access logs, plus the audit trail's files when the trail is on
    expected = 2 + int(synthesis.config.audit_trail)
    assert len(buckets) == expected
    for _, logical_id, bucket in buckets:
        encryption = props(bucket)["BucketEncryption"]["ServerSideEncryptionConfiguration"][0]
        assert encryption["ServerSideEncryptionByDefault"]["SSEAlgorithm"] == "aws:kms", logical_id
        assert "KMSMasterKeyID" in encryption["ServerSideEncryptionByDefault"], logical_id
        assert all(props(bucket)["PublicAccessBlockConfiguration"].values()), logical_id
        assert props(bucket)["VersioningConfiguration"]["Status"] == "Enabled", logical_id
    tls_denials = [s for _, s in policy_statements(synthesis)
                   if s["Effect"] == "Deny" and s.get("Condition", {}).get("Bool", {}).get("aws:SecureTransport")
                   == "false"]
    assert len(tls_denials) == expected


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


def _claim_check(synthesis: Synthesis) -> tuple[str, dict[str, Any]]:
    ((logical_id, bucket),) = [(logical_id, props(b)) for _, logical_id, b in resources(synthesis, "AWS::S3::Bucket")
                               if "ClaimCheckBucket" in logical_id]
    return logical_id, bucket


def test_claim_check_objects_and_old_versions_expire_after_the_configured_retention(synthesis: Synthesis) -> None:
    _, bucket = _claim_check(synthesis)
    (rule,) = bucket["LifecycleConfiguration"]["Rules"]
    assert rule["Status"] == "Enabled"
    assert rule["ExpirationInDays"] == synthesis.config.claim_check_retention_days
    assert rule["NoncurrentVersionExpiration"]["NoncurrentDays"] == synthesis.config.claim_check_noncurrent_days


def test_claim_check_bucket_refuses_puts_without_the_data_key_or_over_an_object(synthesis: Synthesis) -> None:
    logical_id, _ = _claim_check(synthesis)
    (policy,) = [props(p) for _, _, p in resources(synthesis, "AWS::S3::BucketPolicy")
                 if props(p)["Bucket"] == {"Ref": logical_id}]
    denies = {s.get("Sid"): s for s in policy["PolicyDocument"]["Statement"] if s["Effect"] == "Deny"}
    for sid in ("DenyPutWithoutSseKms", "DenyPutUnderAnotherKey", "DenyOverwrite"):
        assert denies[sid]["Principal"] == {"AWS": "*"} and denies[sid]["Action"] == "s3:PutObject", sid
        assert render(denies[sid]["Resource"]).endswith("/*"), sid
    assert denies["DenyPutWithoutSseKms"]["Condition"] == {
        "StringNotEquals": {"s3:x-amz-server-side-encryption": "aws:kms"}}
    key = denies["DenyPutUnderAnotherKey"]["Condition"]["StringNotEquals"][
        "s3:x-amz-server-side-encryption-aws-kms-key-id"]
    assert "KeysData" in render(key)
    # Write-once: every put must be conditional on no object existing (If-None-Match: *).
    assert denies["DenyOverwrite"]["Condition"] == {"Null": {"s3:if-none-match": "true"}}


def test_the_audit_trail_records_data_events_of_the_claim_checks_and_every_table(synthesis: Synthesis) -> None:
    trails = [props(t) for _, _, t in resources(synthesis, "AWS::CloudTrail::Trail")]
    assert len(trails) == int(synthesis.config.audit_trail)
    (trail,) = trails
    assert trail["TrailName"] == f"{synthesis.config.environment_name}-audit"
    assert trail["EnableLogFileValidation"] is True
    assert trail["IsMultiRegionTrail"] is True and trail["IncludeGlobalServiceEvents"] is True
    assert "KeysLogs" in render(trail["KMSKeyId"])
    assert "EventSelectors" not in trail
    selectors = {s["Name"]: s["FieldSelectors"] for s in trail["AdvancedEventSelectors"]}
    claim_check, _ = _claim_check(synthesis)
    objects = next(f for f in selectors["Claim-check objects"] if f["Field"] == "resources.ARN")
    assert claim_check in render(objects["StartsWith"])
    tables = next(f for f in selectors["Process tables"] if f["Field"] == "resources.ARN")["Equals"]
    table_ids = {logical_id for _, logical_id, _ in resources(synthesis, "AWS::DynamoDB::Table")}
    assert {render(arn).split(".")[0].strip("${") for arn in tables} == table_ids
    assert {"Field": "eventCategory", "Equals": ["Management"]} in selectors["Management events"]
