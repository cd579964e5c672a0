"""Pure, deterministic risk scoring: the same application and date always give the same assessment."""

from __future__ import annotations

from datetime import date

from onboarding.dates import age_on
from onboarding.models import Application, RiskAssessment, RiskLevel

MEDIUM_THRESHOLD = 30
HIGH_THRESHOLD = 60

# Sandbox list of throwaway-mailbox domains (under the reserved .example TLD: .test is refused by the e-mail rule, as
# a special-use name); a real deployment would load a maintained list.
DISPOSABLE_EMAIL_DOMAINS = frozenset({"mailinator.example", "throwaway.example", "tempinbox.example"})


def _factors(application: Application, today: date) -> list[tuple[str, int]]:
    applicant, funding = application.applicant, application.funding
    factors: list[tuple[str, int]] = []
    if funding.amount_cents >= 1_000_000:
        factors.append(("large_initial_deposit", 40))
    elif funding.amount_cents >= 300_000:
        factors.append(("elevated_initial_deposit", 20))
    if applicant.email.rsplit("@", 1)[-1].lower() in DISPOSABLE_EMAIL_DOMAINS:
        factors.append(("disposable_email_domain", 40))
    if not applicant.phone.startswith("+1"):
        factors.append(("foreign_phone_number", 15))
    if applicant.address.line1.upper().replace(".", "").startswith(("PO BOX", "P O BOX")):
        factors.append(("po_box_address", 20))
    birth = date.fromisoformat(applicant.date_of_birth)
    if age_on(birth, today) < 21:
        factors.append(("young_applicant", 15))
    return factors


def assess(application: Application, *, today: date) -> RiskAssessment:
    """Score a *validated* application. Factors are named codes, never values."""
    factors = _factors(application, today)
    score = sum(points for _, points in factors)
    if score >= HIGH_THRESHOLD:
        level = RiskLevel.HIGH
    elif score >= MEDIUM_THRESHOLD:
        level = RiskLevel.MEDIUM
    else:
        level = RiskLevel.LOW
    return RiskAssessment(score=score, level=level, factors=tuple(name for name, _ in factors))
