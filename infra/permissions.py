"""Least-privilege grants written out action by action.

CDK's convenience grants (`grant_read_write_data`, `grant_encrypt_decrypt`, `grant_read`) emit wildcard actions
such as `kms:GenerateDataKey*` or `s3:GetObject*`; the blueprint promises IAM statements without wildcard
actions, so every grant the stacks make goes through these helpers.
"""

from __future__ import annotations

from aws_cdk import aws_dynamodb as dynamodb
from aws_cdk import aws_iam as iam
from aws_cdk import aws_kms as kms
from aws_cdk import aws_s3 as s3
from aws_cdk import aws_secretsmanager as secretsmanager

# What the DynamoDB adapters (conditional put/update, get, query) and Powertools idempotency call.
TABLE_READ_WRITE = (
    "dynamodb:GetItem",
    "dynamodb:PutItem",
    "dynamodb:UpdateItem",
    "dynamodb:DeleteItem",
    "dynamodb:Query",
    "dynamodb:ConditionCheckItem",
    "dynamodb:DescribeTable",
)
# A DynamoDB or S3 client using a customer-managed key needs these on it (through the service).
KEY_THROUGH_SERVICE = ("kms:Decrypt", "kms:Encrypt", "kms:GenerateDataKey", "kms:DescribeKey")
# The Temporal payload codec: generate envelope data keys, unwrap them to decrypt.
ENVELOPE_KEY_USE = ("kms:GenerateDataKey", "kms:Decrypt", "kms:DescribeKey")


def allow_key(grantee: iam.IGrantable, key: kms.IKey, actions: tuple[str, ...]) -> None:
    grantee.grant_principal.add_to_principal_policy(
        iam.PolicyStatement(actions=list(actions), resources=[key.key_arn])
    )


def allow_table_read_write(grantee: iam.IGrantable, table: dynamodb.ITable) -> None:
    grantee.grant_principal.add_to_principal_policy(
        iam.PolicyStatement(actions=list(TABLE_READ_WRITE), resources=[table.table_arn])
    )
    if table.encryption_key is not None:
        allow_key(grantee, table.encryption_key, KEY_THROUGH_SERVICE)


def allow_object_read(grantee: iam.IGrantable, bucket: s3.IBucket, key: kms.IKey) -> None:
    grantee.grant_principal.add_to_principal_policy(
        iam.PolicyStatement(actions=["s3:GetObject"], resources=[bucket.arn_for_objects("*")])
    )
    allow_key(grantee, key, ("kms:Decrypt",))


def allow_object_write(grantee: iam.IGrantable, bucket: s3.IBucket, key: kms.IKey) -> None:
    grantee.grant_principal.add_to_principal_policy(
        iam.PolicyStatement(actions=["s3:PutObject"], resources=[bucket.arn_for_objects("*")])
    )
    allow_key(grantee, key, ("kms:GenerateDataKey", "kms:Decrypt"))


def allow_secret_read(grantee: iam.IGrantable, secret: secretsmanager.ISecret) -> None:
    grantee.grant_principal.add_to_principal_policy(
        iam.PolicyStatement(
            actions=["secretsmanager:GetSecretValue", "secretsmanager:DescribeSecret"],
            resources=[secret.secret_arn],
        )
    )
    if secret.encryption_key is not None:
        allow_key(grantee, secret.encryption_key, ("kms:Decrypt",))
