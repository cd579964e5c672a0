"""Stores that are down for good, for the fault cases (:mod:`scenarios.faults`): every write fails as a store fails
when it cannot be reached, reads still answer (so a test can inspect what was left). No hook in production code: a
test hands these to the engine in place of the real port."""

from __future__ import annotations

import dataclasses

from onboarding.models import OutboxMessage
from onboarding.ports import Adapters, Outbox


class StoreDown(ConnectionError):
    """What a write to a store that is down raises (a connection that never answers)."""


class DownOutbox:
    """An outbox whose every ``enqueue`` fails; ``calls`` counts the attempts."""

    def __init__(self, real: Outbox) -> None:
        self._real = real
        self.calls = 0

    def enqueue(self, message: OutboxMessage) -> OutboxMessage:
        self.calls += 1
        raise StoreDown("outbox unavailable")

    def for_application(self, application_id: str) -> list[OutboxMessage]:
        return self._real.for_application(application_id)


def with_store_down(adapters: Adapters, port: str) -> Adapters:
    """``adapters`` with the storage port ``port`` (a field of :class:`~onboarding.ports.Adapters`) down for good."""
    if port == "outbox":
        return dataclasses.replace(adapters, outbox=DownOutbox(adapters.outbox))
    raise KeyError(f"no down store for port {port!r}; known: outbox")
