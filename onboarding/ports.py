"""Ports: every side effect of the process sits behind one of these protocols.

Storage ports (ledger, charges, outbox, review queue) have two adapters: in memory
(``onboarding.adapters.memory``) and DynamoDB through boto3 (``onboarding.adapters.dynamodb``).
Provider ports (sanctions, identity, card processor) have deterministic sandbox adapters
(``onboarding.adapters.sandbox``). Every write is idempotent on a key derived from ``application_id``.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Protocol

from onboarding.models import (
    Account,
    Applicant,
    Charge,
    Funding,
    OutboxMessage,
    Product,
    ReviewDecision,
    ReviewRequest,
    RiskLevel,
)


class SanctionsScreening(Protocol):
    def is_listed(self, applicant: Applicant) -> bool: ...


class IdentityVerifier(Protocol):
    def verify(self, applicant: Applicant, *, attempt: int) -> bool:
        """True when verified, False on a mismatch; raises ``TransientProviderError`` on a fault."""
        ...


class CardProcessor(Protocol):
    def charge(self, *, idempotency_key: str, application_id: str, funding: Funding, attempt: int = 1) -> Charge:
        """Charge once per key (a repeated key returns the first result); raises ``TransientProviderError`` when
        the processor is unavailable, possibly after it charged (the answer was lost)."""
        ...

    def refund(self, *, idempotency_key: str, application_id: str, funding: Funding,
               attempt: int = 1) -> Charge | None:
        """Refund (void) the approved charge of ``idempotency_key``: idempotent; the stored charge as it now is, or
        ``None`` when nothing was charged. Raises ``TransientProviderError`` when the processor is unavailable."""
        ...


class Ledger(Protocol):
    def open_account(self, *, application_id: str, account_id: str, product: Product) -> Account: ...

    def close_account(self, *, application_id: str) -> Account | None: ...

    def get(self, application_id: str) -> Account | None: ...


class ChargeStore(Protocol):
    def record(self, charge: Charge) -> Charge:
        """Store ``charge`` unless its idempotency key exists; return the stored charge either way."""
        ...

    def get(self, *, application_id: str, idempotency_key: str) -> Charge | None: ...

    def mark_refunded(self, *, application_id: str, idempotency_key: str) -> Charge | None:
        """Set ``refunded`` on the stored charge (idempotent); the charge as stored, or ``None`` if there is none."""
        ...

    def for_application(self, application_id: str) -> list[Charge]: ...


class Outbox(Protocol):
    def enqueue(self, message: OutboxMessage) -> OutboxMessage: ...

    def for_application(self, application_id: str) -> list[OutboxMessage]: ...


class ReviewQueue(Protocol):
    def request(
        self, *, application_id: str, risk_level: RiskLevel, task_token: str | None = None
    ) -> ReviewRequest:
        """Create the pending review, or refresh its task token if it already exists."""
        ...

    def record_decision(self, *, application_id: str, decision: ReviewDecision) -> ReviewRequest: ...

    def get(self, application_id: str) -> ReviewRequest | None: ...


@dataclass(frozen=True)
class Adapters:
    """The set of port implementations one engine runs with."""

    sanctions: SanctionsScreening
    identity: IdentityVerifier
    cards: CardProcessor
    ledger: Ledger
    charges: ChargeStore
    outbox: Outbox
    reviews: ReviewQueue
