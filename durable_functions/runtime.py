"""What an execution environment builds once and reuses across invocations: AWS clients, the process's stores,
the data-key cache and the serializers of the configured profile.

Generic over the process: the stores come from a factory the process supplies (its binding). Cached per settings and
factory, so a changed environment (a local run between profiles) gets fresh clients.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from functools import lru_cache
from typing import Any, Generic, TypeVar

import boto3
from aws_durable_execution_sdk_python.serdes import SerDes

from contract.environment import CHECKPOINT_ENCRYPTION_CONTEXT
from contract.profile import Profile
from durable_functions.serdes import EnvelopeSerDes, PlainSerDes, callback_context
from durable_functions.settings import DurableSettings
from envelope.key_cache import DataKeyCache
from envelope.keys import KmsKeyProvider

S = TypeVar("S")
StoreFactory = Callable[[Mapping[str, str], Any], Any]  # (table names by role, a DynamoDB resource) -> stores


class DurableRuntime(Generic[S]):
    def __init__(self, settings: DurableSettings, stores: Callable[[Mapping[str, str], Any], S]) -> None:
        session = boto3.session.Session()
        self.settings = settings
        self.stores: S = stores(settings.table_names, session.resource("dynamodb"))
        self.keys: DataKeyCache | None = None
        if settings.profile is Profile.HARDENED:
            assert settings.payload_key_id is not None  # enforced by DurableSettings
            self.keys = DataKeyCache(KmsKeyProvider(settings.payload_key_id, kms_client=session.client("kms"),
                                                    encryption_context=CHECKPOINT_ENCRYPTION_CONTEXT))

    def serdes(self, model: Any = Any) -> SerDes[Any]:
        """The serializer of a step's result (sealed under its operation and execution when hardened)."""
        return EnvelopeSerDes(self.keys, model) if self.keys is not None else PlainSerDes(model)

    def callback_serdes(self, model: Any, execution_name: str) -> SerDes[Any]:
        """The serializer of a callback's result (sealed by its sender, bound to the execution's name)."""
        if self.keys is None:
            return PlainSerDes(model)
        return EnvelopeSerDes(self.keys, model, fixed_context=callback_context(execution_name))


@lru_cache(maxsize=4)
def runtime_for(settings: DurableSettings, stores: StoreFactory) -> DurableRuntime[Any]:
    return DurableRuntime(settings, stores)
