"""Per-configuration AWS clients and stores, built once per execution environment and reused.

Keyed on :class:`Settings` (frozen, hashable) and the process's store factory, so a changed environment (the local
runner between runs) gets fresh clients instead of stale ones.
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Mapping
from functools import lru_cache
from typing import TYPE_CHECKING, Any

import boto3

from lambdas.claim_check import ClaimCheckStore
from lambdas.settings import Settings

if TYPE_CHECKING:  # imported when used: only the idempotent steps' handlers load Powertools idempotency
    from aws_lambda_powertools.utilities.idempotency import DynamoDBPersistenceLayer

# (table names by role, a DynamoDB service resource) -> the process's stores
StoreFactory = Callable[[Mapping[str, str], Any], Any]


class Runtime:
    def __init__(self, settings: Settings, stores: StoreFactory) -> None:
        # A session of its own: boto3's default session is not safe to share across threads.
        self._session = boto3.session.Session()
        self._lock = threading.Lock()
        self._clients: dict[str, Any] = {}
        self._persistence: dict[str, DynamoDBPersistenceLayer] = {}
        self.settings = settings
        self.stores: Any = stores(settings.table_names, self._session.resource("dynamodb"))
        self.claim_checks = ClaimCheckStore(
            self.client("s3"), bucket=settings.claim_check_bucket, key_arn=settings.claim_check_key_arn
        )

    def client(self, service: str) -> Any:
        with self._lock:
            if service not in self._clients:
                self._clients[service] = self._session.client(service)
            return self._clients[service]

    def persistence(self, step: str) -> DynamoDBPersistenceLayer:
        """One persistence layer per step: Powertools keeps per-function state on it."""
        from aws_lambda_powertools.utilities.idempotency import DynamoDBPersistenceLayer  # noqa: PLC0415

        with self._lock:
            if step not in self._persistence:
                self._persistence[step] = DynamoDBPersistenceLayer(
                    table_name=self.settings.idempotency_table, boto3_session=self._session
                )
            return self._persistence[step]


@lru_cache(maxsize=4)
def runtime_for(settings: Settings, stores: StoreFactory) -> Runtime:
    return Runtime(settings, stores)
