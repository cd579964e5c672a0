"""Stores that are down for good, for the fault cases (:mod:`scenarios.faults`): every write fails as a store fails
when it cannot be reached, reads still answer (so a test can inspect what was left); and a card processor that
refuses refunds until an operator fixes it (:class:`RecoveringProcessor`). No hook in production code: a test hands
these to the engine in place of the real port."""

from __future__ import annotations

import dataclasses

from onboarding.errors import TransientProviderError
from onboarding.models import Charge, Funding, OutboxMessage
from onboarding.ports import Adapters, CardProcessor, Outbox


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


class RecoveringProcessor:
    """The sandbox processor, refusing refunds until ``recovered`` is set (an operator fixed the cause)."""

    def __init__(self, real: CardProcessor) -> None:
        self._real = real
        self.recovered = False

    def charge(self, *, idempotency_key: str, application_id: str, funding: Funding, attempt: int = 1) -> Charge:
        return self._real.charge(idempotency_key=idempotency_key, application_id=application_id, funding=funding,
                                 attempt=attempt)

    def refund(self, *, idempotency_key: str, application_id: str, funding: Funding,
               attempt: int = 1) -> Charge | None:
        if not self.recovered:
            raise TransientProviderError("card_processor", attempt)
        healthy = funding.model_copy(update={"card_number": "4111111111111111"})  # a card the sandbox refunds
        return self._real.refund(idempotency_key=idempotency_key, application_id=application_id, funding=healthy,
                                 attempt=attempt)
