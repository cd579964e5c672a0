"""In-memory stores, for unit tests and the time-skipping engine tests. Thread-safe, idempotent."""

from __future__ import annotations

import threading

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


class InMemoryLedger:
    def __init__(self) -> None:
        self._lock = threading.Lock()
        self.accounts: dict[str, Account] = {}

    def open_account(self, *, application_id: str, account_id: str, product: Product) -> Account:
        with self._lock:
            return self.accounts.setdefault(
                application_id,
                Account(account_id=account_id, application_id=application_id, product=product, status="OPEN"),
            )

    def close_account(self, *, application_id: str) -> Account | None:
        with self._lock:
            account = self.accounts.get(application_id)
            if account is None:
                return None
            closed = account.model_copy(update={"status": "CLOSED"})
            self.accounts[application_id] = closed
            return closed

    def get(self, application_id: str) -> Account | None:
        return self.accounts.get(application_id)


class InMemoryChargeStore:
    def __init__(self) -> None:
        self._lock = threading.Lock()
        self.charges: dict[tuple[str, str], Charge] = {}

    def record(self, charge: Charge) -> Charge:
        with self._lock:
            return self.charges.setdefault((charge.application_id, charge.idempotency_key), charge)

    def get(self, *, application_id: str, idempotency_key: str) -> Charge | None:
        return self.charges.get((application_id, idempotency_key))

    def mark_refunded(self, *, application_id: str, idempotency_key: str) -> Charge | None:
        with self._lock:
            charge = self.charges.get((application_id, idempotency_key))
            if charge is None:
                return None
            refunded = charge.model_copy(update={"refunded": True})
            self.charges[(application_id, idempotency_key)] = refunded
            return refunded

    def for_application(self, application_id: str) -> list[Charge]:
        return [c for (app_id, _), c in sorted(self.charges.items()) if app_id == application_id]


class InMemoryOutbox:
    def __init__(self) -> None:
        self._lock = threading.Lock()
        self.messages: dict[str, OutboxMessage] = {}

    def enqueue(self, message: OutboxMessage) -> OutboxMessage:
        with self._lock:
            return self.messages.setdefault(message.message_id, message)

    def for_application(self, application_id: str) -> list[OutboxMessage]:
        return [m for _, m in sorted(self.messages.items()) if m.application_id == application_id]


class InMemoryReviewQueue:
    def __init__(self) -> None:
        self._lock = threading.Lock()
        self.reviews: dict[str, ReviewRequest] = {}

    def request(
        self, *, application_id: str, risk_level: RiskLevel, task_token: str | None = None
    ) -> ReviewRequest:
        with self._lock:
            current = self.reviews.get(application_id)
            if current is None:
                current = ReviewRequest(application_id=application_id, risk_level=risk_level)
            if task_token is not None:
                current = current.model_copy(update={"task_token": task_token})
            self.reviews[application_id] = current
            return current

    def record_decision(self, *, application_id: str, decision: ReviewDecision) -> ReviewRequest:
        with self._lock:
            current = self.reviews.get(application_id)
            if current is None:
                raise KeyError("no pending review for this application")
            if current.decision is None:
                current = current.model_copy(update={"decision": decision})
                self.reviews[application_id] = current
            return current

    def get(self, application_id: str) -> ReviewRequest | None:
        return self.reviews.get(application_id)


def in_memory_adapters() -> Adapters:
    charges = InMemoryChargeStore()
    return sandbox_adapters(ledger=InMemoryLedger(), charges=charges, outbox=InMemoryOutbox(),
                            reviews=InMemoryReviewQueue())
