"""Least-privilege grants written out action by action.

CDK's convenience grants (`grant_read_write_data`, `grant_encrypt_decrypt`, `grant_read`) emit wildcard actions
such as `kms:GenerateDataKey*` or `s3:GetObject*`; the blueprint promises IAM statements without wildcard
actions, so every grant the stacks make goes through these helpers. Each action is one the code calls (the two-way
IAM test, ``tests/infra/test_least_privilege.py``, records every call and fails on a grant nobody uses), and each
key grant is limited to the service that uses the key on the caller's behalf (``kms:ViaService``).
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from aws_cdk import Aws
from aws_cdk import aws_dynamodb as dynamodb
from aws_cdk import aws_iam as iam
from aws_cdk import aws_kms as kms
from aws_cdk import aws_s3 as s3
from aws_cdk import aws_secretsmanager as secretsmanager

# What the DynamoDB stores call (onboarding.adapters.dynamodb): a conditional insert reads back the record it found,
# a conditional update reads the result; the worker does both on every table.
TABLE_INSERT = ("dynamodb:PutItem", "dynamodb:GetItem")
TABLE_UPDATE = ("dynamodb:UpdateItem", "dynamodb:GetItem")
TABLE_READ_WRITE = ("dynamodb:GetItem", "dynamodb:PutItem", "dynamodb:UpdateItem")
# What Powertools idempotency calls on its records: put (in progress), get, update (completed), and delete when the
# guarded call raised (so a retry may run it again).
IDEMPOTENCY_RECORDS = ("dynamodb:GetItem", "dynamodb:PutItem", "dynamodb:UpdateItem", "dynamodb:DeleteItem")
# DynamoDB uses a table's customer-managed key on the caller's behalf; these are the operations AWS's key policy
# for DynamoDB lets principals perform through the service (see tests/infra/aws_side_calls.py).
KEY_THROUGH_DYNAMODB = ("kms:Decrypt", "kms:Encrypt", "kms:GenerateDataKey", "kms:DescribeKey")
# The Temporal payload codec: generate envelope data keys, unwrap them to decrypt (with the codec's context).
ENVELOPE_KEY_USE = ("kms:GenerateDataKey", "kms:Decrypt")


Conditions = Mapping[str, Mapping[str, Any]]


def via(service: str) -> dict[str, dict[str, str]]:
    return {"StringEquals": {"kms:ViaService": f"{service}.{Aws.REGION}.amazonaws.com"}}


def allow_key(grantee: iam.IGrantable, key: kms.IKey, actions: tuple[str, ...],
              conditions: Conditions | None = None) -> None:
    grantee.grant_principal.add_to_principal_policy(
        iam.PolicyStatement(actions=list(actions), resources=[key.key_arn],
                            conditions={op: dict(pairs) for op, pairs in (conditions or {}).items()} or None)
    )


def allow_table_read_write(grantee: iam.IGrantable, table: dynamodb.ITable,
                           actions: tuple[str, ...] = TABLE_READ_WRITE) -> None:
    grantee.grant_principal.add_to_principal_policy(
        iam.PolicyStatement(actions=sorted(set(actions)), resources=[table.table_arn])
    )
    _allow_table_key(grantee, table)


def allow_idempotency_records(grantee: iam.IGrantable, table: dynamodb.ITable, prefix: str) -> None:
    """Only the records of one step: their ids start with ``<prefix>#`` (Powertools' ``key_prefix``)."""
    grantee.grant_principal.add_to_principal_policy(
        iam.PolicyStatement(actions=list(IDEMPOTENCY_RECORDS), resources=[table.table_arn],
                            conditions={"ForAllValues:StringLike": {"dynamodb:LeadingKeys": [f"{prefix}#*"]}})
    )
    _allow_table_key(grantee, table)


def _allow_table_key(grantee: iam.IGrantable, table: dynamodb.ITable) -> None:
    if table.encryption_key is not None:
        allow_key(grantee, table.encryption_key, KEY_THROUGH_DYNAMODB, via("dynamodb"))


def allow_object_read(grantee: iam.IGrantable, bucket: s3.IBucket, key: kms.IKey) -> None:
    grantee.grant_principal.add_to_principal_policy(
        iam.PolicyStatement(actions=["s3:GetObject"], resources=[bucket.arn_for_objects("*")])
    )
    allow_key(grantee, key, ("kms:Decrypt",), via("s3"))


def allow_object_write(grantee: iam.IGrantable, bucket: s3.IBucket, key: kms.IKey) -> None:
    """Write once and read back (an identical resubmission is compared with the stored one)."""
    grantee.grant_principal.add_to_principal_policy(
        iam.PolicyStatement(actions=["s3:PutObject", "s3:GetObject"], resources=[bucket.arn_for_objects("*")])
    )
    allow_key(grantee, key, ("kms:GenerateDataKey", "kms:Decrypt"), via("s3"))


def allow_secret_read(grantee: iam.IGrantable, secret: secretsmanager.ISecret) -> None:
    grantee.grant_principal.add_to_principal_policy(
        iam.PolicyStatement(actions=["secretsmanager:GetSecretValue"], resources=[secret.secret_arn])
    )
    if secret.encryption_key is not None:
        allow_key(grantee, secret.encryption_key, ("kms:Decrypt",), via("secretsmanager"))
