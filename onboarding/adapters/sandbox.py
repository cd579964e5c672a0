"""Deterministic sandbox providers. Their behaviour is driven by the input, documented here:

- **Sanctions**: a hit when the applicant's normalised full name is on ``SANDBOX_WATCH_LIST``.
- **Identity**: SSN group ``44`` is a mismatch (not verified). SSN group ``55`` is a transient fault on the
  first *N* attempts, where *N* is the first digit of the serial; attempt *N + 1* verifies.
- **Cards**: a PAN starting with ``DECLINED_PAN_PREFIX`` is declined; every other PAN is approved.
"""

from __future__ import annotations

import hashlib

from onboarding.errors import TransientProviderError
from onboarding.models import Applicant, Charge, Funding
from onboarding.ports import Adapters, ChargeStore, Ledger, Outbox, ReviewQueue

SANDBOX_WATCH_LIST = frozenset({"dmitri watchlisted", "sanctioned person example"})
IDENTITY_MISMATCH_GROUP = "44"
IDENTITY_TRANSIENT_GROUP = "55"
DECLINED_PAN_PREFIX = "4000000"


def _normalise(name: str) -> str:
    return " ".join(name.casefold().replace("-", " ").split())


def planned_transient_failures(applicant: Applicant) -> int:
    """How many attempts the sandbox identity provider fails before it answers."""
    _, group, serial = applicant.national_id.split("-")
    return int(serial[0]) if group == IDENTITY_TRANSIENT_GROUP else 0


class SandboxSanctions:
    def is_listed(self, applicant: Applicant) -> bool:
        return _normalise(applicant.full_name) in SANDBOX_WATCH_LIST


class SandboxIdentity:
    def verify(self, applicant: Applicant, *, attempt: int) -> bool:
        if attempt < 1:
            raise ValueError("attempt numbers start at 1")
        if attempt <= planned_transient_failures(applicant):
            raise TransientProviderError("identity_provider", attempt)
        return applicant.national_id.split("-")[1] != IDENTITY_MISMATCH_GROUP


def charge_id_for(idempotency_key: str) -> str:
    return "ch_" + hashlib.sha256(idempotency_key.encode()).hexdigest()[:24]


class SandboxCardProcessor:
    """Charges through an idempotent store: a repeated key returns the first result, never a second charge."""

    def __init__(self, store: ChargeStore) -> None:
        self._store = store

    def charge(self, *, idempotency_key: str, application_id: str, funding: Funding) -> Charge:
        existing = self._store.get(application_id=application_id, idempotency_key=idempotency_key)
        if existing is not None:
            return existing
        return self._store.record(
            Charge(
                charge_id=charge_id_for(idempotency_key),
                idempotency_key=idempotency_key,
                application_id=application_id,
                amount_cents=funding.amount_cents,
                currency=funding.currency,
                approved=not funding.card_number.startswith(DECLINED_PAN_PREFIX),
            )
        )


def sandbox_adapters(*, ledger: Ledger, charges: ChargeStore, outbox: Outbox, reviews: ReviewQueue) -> Adapters:
    """The sandbox providers over the given stores: the one place that lists the providers (memory and DynamoDB
    adapters both build their set here)."""
    return Adapters(sanctions=SandboxSanctions(), identity=SandboxIdentity(), cards=SandboxCardProcessor(charges),
                    ledger=ledger, charges=charges, outbox=outbox, reviews=reviews)
