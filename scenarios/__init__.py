"""The scenario corpus: named applications with the outcome and side effects each must produce.

One corpus drives the unit tests, both engines' tests, the parity checks and the demo. Every PII value
is unique across the corpus (and long enough to search for without false hits), so an exposure audit can
tell exactly which scenario's data leaked where. All values are synthetic.
"""

from __future__ import annotations

import copy
import uuid
from dataclasses import dataclass, field
from typing import Any

from onboarding.models import FieldError, OutcomeStatus, RejectionReason, ReviewDecision

# Review timeout of the tests' and the bench's executions (the demo uses its own, comparison.engines.local); the
# production default lives in the infrastructure config. The review_timeout scenario waits this long; every other
# review must be answered within it, which took more than 5 s on a 2-core machine running the suite in parallel.
DEMO_REVIEW_TIMEOUT_SECONDS = 10
# Values shorter than this are not searched for by audits (they collide with ids and timestamps).
MIN_SEARCHABLE_PII_LENGTH = 8


def new_application_id() -> str:
    """A fresh opaque application id (each engine run of a scenario needs its own)."""
    return "app_" + uuid.uuid4().hex


@dataclass(frozen=True, kw_only=True)
class Expected:
    status: OutcomeStatus
    reason: RejectionReason | None = None
    compensated: bool = False
    compensation_pending: bool = False  # a compensation could not finish: what it should undo is still there
    account_status: str | None = None  # "OPEN", "CLOSED" or None when no account was opened
    approved_charges: int = 0
    declined_charges: int = 0
    refunded_charges: int = 0  # approved charges the saga refunded
    outbox_messages: int = 0
    review_requested: bool = False
    error_codes: tuple[FieldError, ...] = ()


@dataclass(frozen=True, kw_only=True)
class Scenario:
    name: str
    description: str
    payload: dict[str, Any]
    expected: Expected
    review_decision: ReviewDecision | None = None  # None with expected.review_requested means: let it time out
    identity_transient_failures: int = 0
    funding_transient_failures: int = 0  # charge attempts the sandbox processor fails before it charges
    pii: tuple[str, ...] = field(default=())

    @property
    def application_id(self) -> str:
        return str(self.payload["application_id"])

    def application(self, application_id: str | None = None) -> dict[str, Any]:
        """A fresh copy of the submission, optionally under another id (each engine run needs its own)."""
        payload = copy.deepcopy(self.payload)
        if application_id is not None:
            payload["application_id"] = application_id
        return payload

    def searchable_pii(self) -> tuple[str, ...]:
        return tuple(value for value in self.pii if len(value) >= MIN_SEARCHABLE_PII_LENGTH)


def _application(
    application_id: str,
    *,
    full_name: str,
    date_of_birth: str,
    national_id: str,
    email: str,
    phone: str,
    line1: str,
    city: str,
    postal_code: str,
    card_number: str,
    card_expiry: str,
    amount_cents: int,
    product: str = "checking",
) -> tuple[dict[str, Any], tuple[str, ...]]:
    payload = {
        "application_id": application_id,
        "applicant": {
            "full_name": full_name,
            "date_of_birth": date_of_birth,
            "national_id": national_id,
            "email": email,
            "phone": phone,
            "address": {"line1": line1, "city": city, "postal_code": postal_code, "country": "US"},
        },
        "funding": {
            "card_number": card_number,
            "card_expiry": card_expiry,
            "amount_cents": amount_cents,
            "currency": "USD",
        },
        "product": product,
    }
    pii = (full_name, date_of_birth, national_id, email, phone, line1, city, postal_code, card_number, card_expiry)
    return payload, pii


def _scenario(name: str, description: str, expected: Expected, application_id: str, /, *,
              review_decision: ReviewDecision | None = None, identity_transient_failures: int = 0,
              funding_transient_failures: int = 0, **fields: Any) -> Scenario:
    payload, pii = _application(application_id, **fields)
    return Scenario(name=name, description=description, payload=payload, expected=expected, pii=pii,
                    review_decision=review_decision, identity_transient_failures=identity_transient_failures,
                    funding_transient_failures=funding_transient_failures)


_APPROVED = Expected(status=OutcomeStatus.APPROVED, account_status="OPEN", approved_charges=1, outbox_messages=1)
_REVIEWED_APPROVED = Expected(
    status=OutcomeStatus.APPROVED, account_status="OPEN", approved_charges=1, outbox_messages=1,
    review_requested=True,
)

SCENARIOS: tuple[Scenario, ...] = (
    _scenario(
        "approved_low_risk", "Clean applicant, modest deposit: approved without review.", _APPROVED,
        "app_01JCORPUS0000000000000001",
        full_name="Amelia Hartwell-Quince", date_of_birth="1986-04-17", national_id="123-45-6789",
        email="amelia.hartwell@example.com", phone="+14155550101", line1="1428 Alder Crescent",
        city="Port Wrenfield", postal_code="94107-2211", card_number="4111111182736457", card_expiry="08/31",
        amount_cents=50_000,
    ),
    _scenario(
        "approved_savings", "Savings product, elevated but low-risk deposit: approved.", _APPROVED,
        "app_01JCORPUS0000000000000002",
        full_name="Bartholomew Okonkwo", date_of_birth="1972-11-03", national_id="234-56-7890",
        email="b.okonkwo@example.org", phone="+12125550142", line1="77 Juniper Hollow Road",
        city="East Marlowe", postal_code="10027-4410", card_number="5555554410293843", card_expiry="03/32",
        amount_cents=250_000, product="savings",
    ),
    _scenario(
        "identity_transient_then_approved",
        "The identity provider fails twice (transient), the third attempt verifies: approved after retries.",
        _APPROVED, "app_01JCORPUS0000000000000003", identity_transient_failures=2,
        full_name="Clementine Ashby-Rourke", date_of_birth="1990-06-29", national_id="345-55-2468",
        email="clementine.ashby@example.net", phone="+16175550177", line1="9 Thistledown Mews",
        city="Brackenridge Falls", postal_code="02139-3307", card_number="4111111293847565", card_expiry="11/30",
        amount_cents=75_000,
    ),
    _scenario(
        "invalid_application", "Malformed SSN and a Luhn-invalid card: rejected at validation, no side effects.",
        Expected(
            status=OutcomeStatus.REJECTED, reason=RejectionReason.INVALID_APPLICATION,
            error_codes=(
                FieldError(field="applicant.national_id", code="invalid_format"),
                FieldError(field="funding.card_number", code="luhn_check_failed"),
            ),
        ),
        "app_01JCORPUS0000000000000004",
        full_name="Desmond Fairweather", date_of_birth="1981-02-11", national_id="45667-8901",
        email="desmond.fw@example.com", phone="+13035550119", line1="310 Quarry Lane Unit 4",
        city="Harrowgate Springs", postal_code="80302-1188", card_number="4111111374658296", card_expiry="05/33",
        amount_cents=40_000,
    ),
    _scenario(
        "sanctions_match", "The applicant's name is on the sandbox watch list.",
        Expected(status=OutcomeStatus.REJECTED, reason=RejectionReason.SANCTIONS_MATCH),
        "app_01JCORPUS0000000000000005",
        full_name="Dmitri Watchlisted", date_of_birth="1969-09-23", national_id="567-89-0123",
        email="d.watchlisted@example.com", phone="+17185550164", line1="52 Obsidian Wharf",
        city="Kestrel Point", postal_code="11201-5521", card_number="6011112903874656", card_expiry="01/34",
        amount_cents=60_000,
    ),
    _scenario(
        "identity_not_verified", "The identity provider reports a mismatch (non-retryable).",
        Expected(status=OutcomeStatus.REJECTED, reason=RejectionReason.IDENTITY_NOT_VERIFIED),
        "app_01JCORPUS0000000000000006",
        full_name="Evangeline Marchetti", date_of_birth="1995-12-08", national_id="678-44-1357",
        email="evangeline.m@example.org", phone="+13125550188", line1="1600 Larkspur Terrace",
        city="Oakhaven Ridge", postal_code="60614-2093", card_number="3782824610299", card_expiry="07/31",
        amount_cents=30_000,
    ),
    _scenario(
        "high_risk", "Large deposit from a disposable mailbox: scored HIGH and rejected.",
        Expected(status=OutcomeStatus.REJECTED, reason=RejectionReason.HIGH_RISK),
        "app_01JCORPUS0000000000000007",
        full_name="Fitzgerald Nakamura", date_of_birth="1978-05-30", national_id="789-01-2345",
        email="fitz.nakamura@mailinator.example", phone="+12065550133", line1="48 Cormorant Parade",
        city="Silverbirch Bay", postal_code="98109-7714", card_number="4111111485769205", card_expiry="09/32",
        amount_cents=1_200_000,
    ),
    # The saga once the account is open: a decline, then the sandbox processor's faults (its test cards,
    # onboarding/adapters/sandbox.py). Before the reviews: the local runners submit in this order, and a
    # review's short demo timeout starts as soon as its review is requested.
    _scenario(
        "funding_declined", "The card is declined after the account opens: the account is closed (compensated).",
        Expected(
            status=OutcomeStatus.FAILED, reason=RejectionReason.FUNDING_DECLINED, compensated=True,
            account_status="CLOSED", declined_charges=1,
        ),
        "app_01JCORPUS0000000000000011",
        full_name="Jasper Thistlewaite", date_of_birth="1992-01-25", national_id="465-79-8021",
        email="jasper.thistle@example.com", phone="+14045550193", line1="815 Marigold Esplanade",
        city="Lindenwold Cove", postal_code="30309-8875", card_number="4000000827364516", card_expiry="10/33",
        amount_cents=80_000,
    ),
    _scenario(
        "processor_transient_then_approved",
        "The card processor is unavailable for the first two charge attempts; the third charges: approved after "
        "retries.",
        _APPROVED, "app_01JCORPUS0000000000000013", funding_transient_failures=2,
        full_name="Lysander Quayle-Ashworth", date_of_birth="1987-03-14", national_id="687-21-4093",
        email="lysander.qa@example.net", phone="+15125550163", line1="27 Kingfisher Row",
        city="Amberley Downs", postal_code="78701-3392", card_number="4000001293847562", card_expiry="09/33",
        amount_cents=55_000,
    ),
    _scenario(
        "funding_unavailable",
        "The card processor is down for good: after every retry nothing was charged and the account is closed "
        "(compensated).",
        Expected(
            status=OutcomeStatus.FAILED, reason=RejectionReason.FUNDING_UNAVAILABLE, compensated=True,
            account_status="CLOSED",
        ),
        "app_01JCORPUS0000000000000014",
        full_name="Marguerite Oyelaran", date_of_birth="1976-08-21", national_id="798-32-5104",
        email="m.oyelaran@example.org", phone="+16155550186", line1="1119 Sycamore Bend",
        city="Halden Cross", postal_code="37203-4471", card_number="4000002384756100", card_expiry="06/32",
        amount_cents=70_000,
    ),
    _scenario(
        "funding_unconfirmed_refunded",
        "The processor charges the card but every answer is lost: the approved charge is refunded and the account "
        "closed (compensated).",
        Expected(
            status=OutcomeStatus.FAILED, reason=RejectionReason.FUNDING_UNAVAILABLE, compensated=True,
            account_status="CLOSED", approved_charges=1, refunded_charges=1,
        ),
        "app_01JCORPUS0000000000000015",
        full_name="Nathaniel Bergström", date_of_birth="1984-12-02", national_id="809-43-6215",
        email="nathaniel.b@example.com", phone="+14125550117", line1="88 Larch Hollow Lane",
        city="Wickersham Vale", postal_code="15222-1893", card_number="4000003465718290", card_expiry="07/34",
        amount_cents=45_000,
    ),
    _scenario(
        "compensation_pending",
        "The processor charges the card, then goes down and refuses the refund too: the compensation cannot finish, "
        "the outcome says so and the account stays open with its charge for an operator to replay.",
        Expected(
            status=OutcomeStatus.FAILED, reason=RejectionReason.FUNDING_UNAVAILABLE, compensation_pending=True,
            account_status="OPEN", approved_charges=1,
        ),
        "app_01JCORPUS0000000000000016",
        full_name="Ottoline Vasquez-Drummond", date_of_birth="1991-05-16", national_id="821-54-7326",
        email="ottoline.vd@example.net", phone="+18015550148", line1="4 Quillon Terrace",
        city="Saltmarsh Ferry", postal_code="84111-2207", card_number="4000004571829302", card_expiry="12/32",
        amount_cents=35_000,
    ),    # Manual review.
    _scenario(
        "review_approved", "Elevated deposit and a foreign phone: MEDIUM risk, the reviewer approves.",
        _REVIEWED_APPROVED, "app_01JCORPUS0000000000000008", review_decision=ReviewDecision.APPROVE,
        full_name="Genevieve Castellanos", date_of_birth="1983-08-14", national_id="132-46-5798",
        email="genevieve.c@example.com", phone="+442079460958", line1="2201 Saffron Gate",
        city="Wyndham Heath", postal_code="33131-4402", card_number="4111111596870314", card_expiry="12/33",
        amount_cents=400_000,
    ),
    _scenario(
        "review_declined", "PO box and elevated deposit: MEDIUM risk, the reviewer declines.",
        Expected(status=OutcomeStatus.REJECTED, reason=RejectionReason.REVIEW_DECLINED, review_requested=True),
        "app_01JCORPUS0000000000000009", review_decision=ReviewDecision.DECLINE,
        full_name="Horatio Lindqvist", date_of_birth="1975-03-02", national_id="243-57-6809",
        email="horatio.lindqvist@example.net", phone="+15035550146", line1="PO Box 40917",
        city="Fernhollow Crossing", postal_code="97205-3360", card_number="4111111607981423", card_expiry="04/32",
        amount_cents=350_000,
    ),
    _scenario(
        "review_timeout", "Disposable mailbox: MEDIUM risk, no reviewer answers before the timeout.",
        Expected(status=OutcomeStatus.REJECTED, reason=RejectionReason.REVIEW_TIMEOUT, review_requested=True),
        "app_01JCORPUS0000000000000010",
        full_name="Isadora Pemberton", date_of_birth="1988-10-19", national_id="354-68-7910",
        email="isadora.p@throwaway.example", phone="+17025550121", line1="63 Bramblewood Circle",
        city="Copperfield Landing", postal_code="89109-6628", card_number="4111111718092532", card_expiry="06/34",
        amount_cents=90_000,
    ),
    _scenario(
        "transient_identity_then_review_approved",
        "One transient identity fault, then MEDIUM risk (deposit, foreign phone) approved by the reviewer.",
        _REVIEWED_APPROVED, "app_01JCORPUS0000000000000012", review_decision=ReviewDecision.APPROVE,
        identity_transient_failures=1,
        full_name="Katarina Vollmer-Reyes", date_of_birth="1979-07-07", national_id="576-55-1932",
        email="katarina.vr@example.org", phone="+493012345678", line1="7 Heronsgate Walk",
        city="Millbrook Quay", postal_code="55401-2974", card_number="5555553309182745", card_expiry="02/34",
        amount_cents=320_000,
    ),
)

SCENARIOS_BY_NAME: dict[str, Scenario] = {scenario.name: scenario for scenario in SCENARIOS}


def scenario(name: str) -> Scenario:
    try:
        return SCENARIOS_BY_NAME[name]
    except KeyError:
        raise KeyError(f"unknown scenario {name!r}; known: {', '.join(SCENARIOS_BY_NAME)}") from None
