"""Deterministic sandbox providers. Their behaviour is driven by the input, documented here:

- **Sanctions**: a hit when the applicant's normalised full name is on ``SANDBOX_WATCH_LIST``.
- **Identity**: SSN group ``44`` is a mismatch (not verified). SSN group ``55`` is a transient fault on the
  first *N* attempts, where *N* is the first digit of the serial; attempt *N + 1* verifies.
- **Cards**: a PAN starting with ``DECLINED_PAN_PREFIX`` is declined; every other PAN is approved, unless it starts
  with one of the processor-fault prefixes (test cards, as payment sandboxes have them; the attempt number is the
  engine's):

  - ``PROCESSOR_FLAKY_PAN_PREFIX`` + digit *N*: unavailable for the first *N* charge attempts (nothing charged),
    attempt *N + 1* charges: ``APPROVED`` when *N* is below the engines' attempt budget;
  - ``PROCESSOR_DOWN_PAN_PREFIX``: unavailable for every charge attempt, nothing charged: ``FUNDING_UNAVAILABLE``,
    the account closed;
  - ``PROCESSOR_LOST_PAN_PREFIX``: charges on the first attempt, then every answer is lost (each attempt fails after
    the charge): ``FUNDING_UNAVAILABLE``, the charge refunded, the account closed;
  - ``PROCESSOR_GONE_PAN_PREFIX``: as the lost one, and refuses every refund too: ``FUNDING_UNAVAILABLE`` with the
    compensation pending (the account stays open with its charge).

  Faults raise :class:`~onboarding.errors.TransientProviderError`, which both engines retry with backoff.
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
PROCESSOR_FLAKY_PAN_PREFIX = "4000001"
PROCESSOR_DOWN_PAN_PREFIX = "4000002"
PROCESSOR_LOST_PAN_PREFIX = "4000003"
PROCESSOR_GONE_PAN_PREFIX = "4000004"
CARD_PROCESSOR = "card_processor"


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


def planned_charge_failures(funding: Funding) -> int | None:
    """How many charge attempts the sandbox processor fails before it charges: 0, *N*, or ``None`` when it never
    answers (down for good, or every answer lost)."""
    pan = funding.card_number
    if pan.startswith((PROCESSOR_DOWN_PAN_PREFIX, PROCESSOR_LOST_PAN_PREFIX, PROCESSOR_GONE_PAN_PREFIX)):
        return None
    if pan.startswith(PROCESSOR_FLAKY_PAN_PREFIX):
        return int(pan[len(PROCESSOR_FLAKY_PAN_PREFIX)])
    return 0


class SandboxCardProcessor:
    """Charges through an idempotent store: a repeated key returns the first result, never a second charge."""

    def __init__(self, store: ChargeStore) -> None:
        self._store = store

    def charge(self, *, idempotency_key: str, application_id: str, funding: Funding, attempt: int = 1) -> Charge:
        _check_attempt(attempt)
        pan = funding.card_number
        charges_then_fails = pan.startswith((PROCESSOR_LOST_PAN_PREFIX, PROCESSOR_GONE_PAN_PREFIX))
        failures = planned_charge_failures(funding)
        if not charges_then_fails and (failures is None or attempt <= failures):
            raise TransientProviderError(CARD_PROCESSOR, attempt)
        charge = self._store.get(application_id=application_id, idempotency_key=idempotency_key)
        if charge is None:
            charge = self._store.record(
                Charge(
                    charge_id=charge_id_for(idempotency_key),
                    idempotency_key=idempotency_key,
                    application_id=application_id,
                    amount_cents=funding.amount_cents,
                    currency=funding.currency,
                    approved=not pan.startswith(DECLINED_PAN_PREFIX),
                )
            )
        if charges_then_fails:
            raise TransientProviderError(CARD_PROCESSOR, attempt)  # charged, but the answer never arrives
        return charge

    def refund(self, *, idempotency_key: str, application_id: str, funding: Funding,
               attempt: int = 1) -> Charge | None:
        _check_attempt(attempt)
        charge = self._store.get(application_id=application_id, idempotency_key=idempotency_key)
        if charge is None or not charge.approved or charge.refunded:
            return charge  # nothing (more) to undo: the processor is not asked
        if funding.card_number.startswith(PROCESSOR_GONE_PAN_PREFIX):
            raise TransientProviderError(CARD_PROCESSOR, attempt)
        return self._store.mark_refunded(application_id=application_id, idempotency_key=idempotency_key)


def _check_attempt(attempt: int) -> None:
    if attempt < 1:
        raise ValueError("attempt numbers start at 1")


def sandbox_adapters(*, ledger: Ledger, charges: ChargeStore, outbox: Outbox, reviews: ReviewQueue) -> Adapters:
    """The sandbox providers over the given stores: the one place that lists the providers (memory and DynamoDB
    adapters both build their set here)."""
    return Adapters(sanctions=SandboxSanctions(), identity=SandboxIdentity(), cards=SandboxCardProcessor(charges),
                    ledger=ledger, charges=charges, outbox=outbox, reviews=reviews)
