"""DynamoDB stores through boto3. Idempotency comes from conditional writes, not read-then-write.

Table layout (``TABLE_KEYS``; the process description passes it to the infrastructure and the local tooling, which
create the tables):

- ledger:  ``pk`` = application_id
- charges: ``pk`` = application_id, ``sk`` = idempotency key
- outbox:  ``pk`` = application_id, ``sk`` = message id
- reviews: ``pk`` = application_id
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import boto3
from boto3.dynamodb.conditions import Key
from botocore.exceptions import ClientError
from pydantic import BaseModel

from onboarding.adapters.sandbox import sandbox_adapters
from onboarding.models import (
    Account,
    Charge,
    OutboxMessage,
    Product,
    ReviewDecision,
    ReviewRequest,
    RiskLevel,
)
from onboarding.ports import Adapters

PARTITION_KEY = "pk"
SORT_KEY = "sk"
TABLE_KEYS: dict[str, tuple[str, ...]] = {
    "ledger": (PARTITION_KEY,),
    "charges": (PARTITION_KEY, SORT_KEY),
    "outbox": (PARTITION_KEY, SORT_KEY),
    "reviews": (PARTITION_KEY,),
}


@dataclass(frozen=True, kw_only=True)
class TableNames:
    ledger: str
    charges: str
    outbox: str
    reviews: str

    @classmethod
    def with_prefix(cls, prefix: str) -> TableNames:
        return cls(**{role: f"{prefix}-{role}" for role in TABLE_KEYS})


class _Table:
    """Just the conditional-write primitives the stores need."""

    def __init__(self, table: Any) -> None:
        self._table = table

    def put_if_absent(self, key: dict[str, str], model: BaseModel) -> dict[str, Any]:
        """Insert the item; if its key exists already, return the stored item instead."""
        item = {**model.model_dump(mode="json", exclude_none=True), **key}
        try:
            self._table.put_item(Item=item, ConditionExpression=f"attribute_not_exists({PARTITION_KEY})")
        except ClientError as error:
            if error.response["Error"]["Code"] != "ConditionalCheckFailedException":
                raise
            stored = self.get(key)
            assert stored is not None, "conditional put failed but the item is absent"
            return stored
        return _without_keys(item)

    def update_if(self, key: dict[str, str], *, set_attribute: str, value: str | bool, condition: str) -> bool:
        """Set one attribute when ``condition`` holds; False when it did not (nothing written)."""
        try:
            self._table.update_item(
                Key=key,
                UpdateExpression="SET #attr = :value",
                ConditionExpression=condition,
                ExpressionAttributeNames={"#attr": set_attribute},
                ExpressionAttributeValues={":value": value},
            )
        except ClientError as error:
            if error.response["Error"]["Code"] != "ConditionalCheckFailedException":
                raise
            return False
        return True

    def get(self, key: dict[str, str]) -> dict[str, Any] | None:
        item = self._table.get_item(Key=key, ConsistentRead=True).get("Item")
        return _without_keys(item) if item else None

    def query(self, pk: str) -> list[dict[str, Any]]:
        items: list[dict[str, Any]] = []
        kwargs: dict[str, Any] = {"KeyConditionExpression": Key(PARTITION_KEY).eq(pk), "ConsistentRead": True}
        while True:
            response = self._table.query(**kwargs)
            items.extend(_without_keys(item) for item in response["Items"])
            if "LastEvaluatedKey" not in response:
                return items
            kwargs["ExclusiveStartKey"] = response["LastEvaluatedKey"]


def _without_keys(item: dict[str, Any]) -> dict[str, Any]:
    # DynamoDB returns numbers as Decimal; the models hold ints.
    return {k: (int(v) if type(v).__name__ == "Decimal" else v) for k, v in item.items()
            if k not in (PARTITION_KEY, SORT_KEY)}


class DynamoLedger:
    def __init__(self, table: Any) -> None:
        self._table = _Table(table)

    def open_account(self, *, application_id: str, account_id: str, product: Product) -> Account:
        account = Account(account_id=account_id, application_id=application_id, product=product, status="OPEN")
        return Account.model_validate(self._table.put_if_absent({PARTITION_KEY: application_id}, account))

    def close_account(self, *, application_id: str) -> Account | None:
        self._table.update_if(
            {PARTITION_KEY: application_id},
            set_attribute="status",
            value="CLOSED",
            condition=f"attribute_exists({PARTITION_KEY})",
        )
        return self.get(application_id)

    def get(self, application_id: str) -> Account | None:
        item = self._table.get({PARTITION_KEY: application_id})
        return Account.model_validate(item) if item else None


class DynamoChargeStore:
    def __init__(self, table: Any) -> None:
        self._table = _Table(table)

    def record(self, charge: Charge) -> Charge:
        key = {PARTITION_KEY: charge.application_id, SORT_KEY: charge.idempotency_key}
        return Charge.model_validate(self._table.put_if_absent(key, charge))

    def get(self, *, application_id: str, idempotency_key: str) -> Charge | None:
        item = self._table.get({PARTITION_KEY: application_id, SORT_KEY: idempotency_key})
        return Charge.model_validate(item) if item else None

    def mark_refunded(self, *, application_id: str, idempotency_key: str) -> Charge | None:
        key = {PARTITION_KEY: application_id, SORT_KEY: idempotency_key}
        self._table.update_if(key, set_attribute="refunded", value=True,
                              condition=f"attribute_exists({PARTITION_KEY})")
        return self.get(application_id=application_id, idempotency_key=idempotency_key)

    def for_application(self, application_id: str) -> list[Charge]:
        return [Charge.model_validate(item) for item in self._table.query(application_id)]


class DynamoOutbox:
    def __init__(self, table: Any) -> None:
        self._table = _Table(table)

    def enqueue(self, message: OutboxMessage) -> OutboxMessage:
        key = {PARTITION_KEY: message.application_id, SORT_KEY: message.message_id}
        return OutboxMessage.model_validate(self._table.put_if_absent(key, message))

    def for_application(self, application_id: str) -> list[OutboxMessage]:
        return [OutboxMessage.model_validate(item) for item in self._table.query(application_id)]


class DynamoReviewQueue:
    def __init__(self, table: Any) -> None:
        self._table = _Table(table)

    def request(
        self, *, application_id: str, risk_level: RiskLevel, task_token: str | None = None
    ) -> ReviewRequest:
        key = {PARTITION_KEY: application_id}
        self._table.put_if_absent(key, ReviewRequest(application_id=application_id, risk_level=risk_level))
        if task_token is not None:
            # A retried review task gets a new token; only an undecided review accepts it.
            self._table.update_if(
                key, set_attribute="task_token", value=task_token, condition="attribute_not_exists(decision)"
            )
        return self._require(application_id)

    def record_decision(self, *, application_id: str, decision: ReviewDecision) -> ReviewRequest:
        self._table.update_if(
            {PARTITION_KEY: application_id},
            set_attribute="decision",
            value=decision.value,
            condition=f"attribute_exists({PARTITION_KEY}) AND attribute_not_exists(decision)",
        )
        return self._require(application_id)

    def get(self, application_id: str) -> ReviewRequest | None:
        item = self._table.get({PARTITION_KEY: application_id})
        return ReviewRequest.model_validate(item) if item else None

    def _require(self, application_id: str) -> ReviewRequest:
        review = self.get(application_id)
        if review is None:
            raise KeyError("no pending review for this application")
        return review


def dynamodb_adapters(names: TableNames, *, resource: Any | None = None) -> Adapters:
    """Sandbox providers over DynamoDB stores. ``resource`` defaults to ``boto3.resource("dynamodb")``."""
    dynamodb = resource if resource is not None else boto3.resource("dynamodb")
    charges = DynamoChargeStore(dynamodb.Table(names.charges))
    return sandbox_adapters(ledger=DynamoLedger(dynamodb.Table(names.ledger)), charges=charges,
                            outbox=DynamoOutbox(dynamodb.Table(names.outbox)),
                            reviews=DynamoReviewQueue(dynamodb.Table(names.reviews)))
