"""The DynamoDB tables both architectures share: on-demand, KMS-encrypted with the data key, PITR on.

One table per side-effect table of the process description (its keys as described); the idempotency table has the
layout Powertools' DynamoDB persistence layer expects (partition key `id`, TTL attribute `expiration`).
"""

from __future__ import annotations

from aws_cdk import RemovalPolicy
from aws_cdk import aws_dynamodb as dynamodb
from aws_cdk import aws_kms as kms
from constructs import Construct

from contract.environment import IDEMPOTENCY_PARTITION_KEY, IDEMPOTENCY_TTL_ATTRIBUTE
from contract.process import Table


class DataTables(Construct):
    def __init__(
        self,
        scope: Construct,
        construct_id: str,
        *,
        tables: tuple[Table, ...],
        name_prefix: str,
        key: kms.IKey,
        removal_policy: RemovalPolicy,
    ) -> None:
        super().__init__(scope, construct_id)
        self._prefix = name_prefix
        self._key = key
        self._removal = removal_policy
        self.by_role: dict[str, dynamodb.Table] = {
            table.role: self._table(table.role, *table.keys) for table in tables
        }
        self.idempotency = self._table("idempotency", IDEMPOTENCY_PARTITION_KEY,
                                       ttl_attribute=IDEMPOTENCY_TTL_ATTRIBUTE)

    def _table(self, role: str, partition: str, sort: str | None = None, *,
               ttl_attribute: str | None = None) -> dynamodb.Table:
        return dynamodb.Table(
            self,
            role.title(),
            table_name=f"{self._prefix}-{role}",
            partition_key=dynamodb.Attribute(name=partition, type=dynamodb.AttributeType.STRING),
            sort_key=dynamodb.Attribute(name=sort, type=dynamodb.AttributeType.STRING) if sort else None,
            billing_mode=dynamodb.BillingMode.PAY_PER_REQUEST,
            encryption=dynamodb.TableEncryption.CUSTOMER_MANAGED,
            encryption_key=self._key,
            point_in_time_recovery_specification=dynamodb.PointInTimeRecoverySpecification(
                point_in_time_recovery_enabled=True
            ),
            time_to_live_attribute=ttl_attribute,
            deletion_protection=self._removal == RemovalPolicy.RETAIN,
            removal_policy=self._removal,
        )
