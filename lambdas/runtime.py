"""Per-configuration AWS clients and adapters, built once per execution environment and reused.

Keyed on :class:`Settings` (frozen, hashable), so a changed environment (the local runner between
runs) gets fresh clients instead of stale ones.
"""

from __future__ import annotations

import threading
from functools import lru_cache
from typing import Any

import boto3
from aws_lambda_powertools.utilities.idempotency import DynamoDBPersistenceLayer

from lambdas.claim_check import ClaimCheckStore
from lambdas.settings import Settings
from onboarding.adapters.dynamodb import dynamodb_adapters
from onboarding.ports import Adapters


class Runtime:
    def __init__(self, settings: Settings) -> None:
        # A session of its own: boto3's default session is not safe to share across threads.
        self._session = boto3.session.Session()
        self._lock = threading.Lock()
        self._clients: dict[str, Any] = {}
        self._persistence: dict[str, DynamoDBPersistenceLayer] = {}
        self.settings = settings
        self.adapters: Adapters = dynamodb_adapters(settings.tables, resource=self._session.resource("dynamodb"))
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
        with self._lock:
            if step not in self._persistence:
                self._persistence[step] = DynamoDBPersistenceLayer(
                    table_name=self.settings.idempotency_table, boto3_session=self._session
                )
            return self._persistence[step]


@lru_cache(maxsize=4)
def runtime_for(settings: Settings) -> Runtime:
    return Runtime(settings)
