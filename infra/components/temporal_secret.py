"""The Temporal credentials secret. No credential is ever in code: the user writes the value after deploy.

CloudFormation cannot create a secret without a value, so the initial value is a random placeholder under a key
the worker does not read (`unset`); the worker treats a secret without its expected keys as "not filled yet".
"""

from __future__ import annotations

from aws_cdk import RemovalPolicy
from aws_cdk import aws_kms as kms
from aws_cdk import aws_secretsmanager as secretsmanager
from constructs import Construct

PLACEHOLDER_KEY = "unset"


class TemporalSecret(Construct):
    def __init__(
        self,
        scope: Construct,
        construct_id: str,
        *,
        secret_name: str,
        key: kms.IKey,
        removal_policy: RemovalPolicy,
    ) -> None:
        super().__init__(scope, construct_id)
        self.secret = secretsmanager.Secret(
            self,
            "Secret",
            secret_name=secret_name,
            description="Temporal client credentials (api key or mTLS pair); filled by the operator after deploy",
            encryption_key=key,
            generate_secret_string=secretsmanager.SecretStringGenerator(
                secret_string_template="{}",  # noqa: S106 - an empty JSON object, no credential
                generate_string_key=PLACEHOLDER_KEY,
                exclude_punctuation=True,
            ),
            removal_policy=removal_policy,
        )
