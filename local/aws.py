"""AWS on this machine: a moto server on 127.0.0.1, reached by real boto3 clients, and the resources a process needs.

moto keeps one state per Python process, whatever the number of servers, so every helper here creates resources
under names of its own (a prefix, a fresh alias): several emulated environments can share one process (the demo's
profiles, one per test module, the bench next to the tests). moto enforces neither IAM nor key policies; the IAM
tests check recorded calls against the synthesized policies instead.
"""

from __future__ import annotations

import logging
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Any

import boto3
from moto.server import ThreadedMotoServer

from contract.environment import IDEMPOTENCY_PARTITION_KEY, IDEMPOTENCY_TTL_ATTRIBUTE
from contract.process import ProcessDescription, Table

REGION = "us-east-1"
# moto accepts any credentials; these placeholders keep boto3 from looking for real ones.
_PLACEHOLDER = "testing"
MOTO_CREDENTIALS = {"aws_access_key_id": _PLACEHOLDER, "aws_secret_access_key": _PLACEHOLDER}


@dataclass(frozen=True)
class AwsEmulation:
    """A moto server's endpoint, and clients for it."""

    endpoint: str

    @property
    def credentials_env(self) -> dict[str, str]:
        """What a child process needs to reach this emulation with boto3 (and nothing real)."""
        return {"AWS_ENDPOINT_URL": self.endpoint, "AWS_REGION": REGION, "AWS_DEFAULT_REGION": REGION,
                **{name.upper(): value for name, value in MOTO_CREDENTIALS.items()}}

    def client(self, service: str) -> Any:
        return boto3.client(service, endpoint_url=self.endpoint, region_name=REGION, **MOTO_CREDENTIALS)

    def resource(self, service: str) -> Any:
        return boto3.resource(service, endpoint_url=self.endpoint, region_name=REGION, **MOTO_CREDENTIALS)


@contextmanager
def moto_server() -> Iterator[AwsEmulation]:
    """A ``ThreadedMotoServer`` on a free loopback port, stopped on exit."""
    logging.getLogger("werkzeug").setLevel(logging.ERROR)  # one access-log line per AWS call otherwise
    # moto's ASL interpreter logs every caught task failure at ERROR, with its Cause: execution data, which holds
    # the submission in the baseline profile. It must not reach the terminal.
    logging.getLogger("moto.stepfunctions").setLevel(logging.CRITICAL)
    server = ThreadedMotoServer(ip_address="127.0.0.1", port=0, verbose=False)
    server.start()
    try:
        host, port = server.get_host_and_port()
        yield AwsEmulation(f"http://{host}:{port}")
    finally:
        server.stop()


def create_table(dynamodb: Any, name: str, table: Table, *, ttl_attribute: str | None = None) -> None:
    """One on-demand table with the described string keys (``dynamodb`` is a boto3 DynamoDB client)."""
    dynamodb.create_table(
        TableName=name,
        BillingMode="PAY_PER_REQUEST",
        KeySchema=[{"AttributeName": key, "KeyType": kind} for key, kind in zip(table.keys, ("HASH", "RANGE"),
                                                                                  strict=False)],
        AttributeDefinitions=[{"AttributeName": key, "AttributeType": "S"} for key in table.keys],
    )
    if ttl_attribute is not None:
        dynamodb.update_time_to_live(TableName=name,
                                     TimeToLiveSpecification={"Enabled": True, "AttributeName": ttl_attribute})


def create_process_tables(dynamodb: Any, process: ProcessDescription, *, prefix: str) -> dict[str, str]:
    """The process's side-effect tables, named ``<prefix>-<role>`` as infra names them; role -> table name."""
    names = {table.role: f"{prefix}-{table.role}" for table in process.tables}
    for table in process.tables:
        create_table(dynamodb, names[table.role], table)
    return names


def create_idempotency_table(dynamodb: Any, name: str) -> None:
    """The Powertools idempotency table, as infra creates it (partition key ``id``, TTL ``expiration``)."""
    create_table(dynamodb, name, Table(role="idempotency", keys=(IDEMPOTENCY_PARTITION_KEY,)),
                 ttl_attribute=IDEMPOTENCY_TTL_ATTRIBUTE)


def create_key(kms: Any, *, description: str, alias: str | None = None) -> str:
    """A symmetric KMS key with rotation on (and an alias pointing at it); returns its ARN."""
    key_arn: str = kms.create_key(Description=description, KeyUsage="ENCRYPT_DECRYPT")["KeyMetadata"]["Arn"]
    kms.enable_key_rotation(KeyId=key_arn)
    if alias is not None:
        kms.create_alias(AliasName=alias, TargetKeyId=key_arn)
    return key_arn
