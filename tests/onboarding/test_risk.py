from __future__ import annotations

from datetime import date
from typing import Any

import pytest

from onboarding.models import RiskAssessment, RiskLevel
from onboarding.risk import HIGH_THRESHOLD, MEDIUM_THRESHOLD, assess
from onboarding.validation import parse_application
from scenarios.bad_inputs import with_changes
from tests.conftest import TODAY


def _assess(**changes: Any) -> RiskAssessment:
    payload = with_changes({path.replace("__", "."): value for path, value in changes.items()})
    return assess(parse_application(payload, today=TODAY), today=TODAY)


def test_clean_application_scores_zero_and_low() -> None:
    result = _assess()
    assert (result.score, result.level, result.factors) == (0, RiskLevel.LOW, ())


@pytest.mark.parametrize(
    ("changes", "factor", "points"),
    [
        ({"funding__amount_cents": 1_000_000}, "large_initial_deposit", 40),
        ({"funding__amount_cents": 300_000}, "elevated_initial_deposit", 20),
        ({"applicant__email": "x.y@mailinator.example"}, "disposable_email_domain", 40),
        ({"applicant__phone": "+442079460000"}, "foreign_phone_number", 15),
        ({"applicant__address__line1": "P.O. Box 77"}, "po_box_address", 20),
        ({"applicant__date_of_birth": "2006-01-01"}, "young_applicant", 15),
    ],
)
def test_each_factor(changes: dict[str, Any], factor: str, points: int) -> None:
    result = _assess(**changes)
    assert result.factors == (factor,)
    assert result.score == points


def test_levels_follow_thresholds() -> None:
    medium = _assess(funding__amount_cents=300_000, applicant__phone="+442079460000")
    assert medium.score == 35 and MEDIUM_THRESHOLD <= medium.score < HIGH_THRESHOLD
    assert medium.level is RiskLevel.MEDIUM
    high = _assess(funding__amount_cents=1_000_000, applicant__email="a@throwaway.example")
    assert high.score == 80 and high.level is RiskLevel.HIGH
    boundary = _assess(funding__amount_cents=1_000_000, applicant__address__line1="PO Box 1")
    assert boundary.score == HIGH_THRESHOLD and boundary.level is RiskLevel.HIGH


def test_factors_never_carry_values() -> None:
    result = _assess(applicant__email="secret.person@tempinbox.example")
    assert all("secret" not in factor and "@" not in factor for factor in result.factors)


@pytest.mark.parametrize(
    "domain", ["mailinator.example", "throwaway.example", "tempinbox.example", "Mailinator.Example"]
)
def test_every_listed_disposable_domain_counts(domain: str) -> None:
    assert _assess(applicant__email=f"someone@{domain}").factors == ("disposable_email_domain",)


@pytest.mark.parametrize("line1", ["PO Box 7", "P.O. Box 7", "P O Box 7", "p.o. box 7", "po box 7"])
def test_every_spelling_of_a_po_box_counts(line1: str) -> None:
    assert _assess(applicant__address__line1=line1).factors == ("po_box_address",)


@pytest.mark.parametrize(("years", "days", "young"), [(21, 1, True), (21, 0, False), (21, -1, False), (20, 0, True)])
def test_an_applicant_is_young_until_21(years: int, days: int, young: bool) -> None:
    birth = date.fromordinal(TODAY.replace(year=TODAY.year - years).toordinal() + days).isoformat()
    assert _assess(applicant__date_of_birth=birth).factors == (("young_applicant",) if young else ())


@pytest.mark.parametrize(("amount", "factors"), [
    (299_999, ()), (300_000, ("elevated_initial_deposit",)), (999_999, ("elevated_initial_deposit",)),
    (1_000_000, ("large_initial_deposit",)),
])
def test_deposit_bounds(amount: int, factors: tuple[str, ...]) -> None:
    assert _assess(funding__amount_cents=amount).factors == factors


def test_a_score_of_exactly_30_is_medium_and_60_is_high() -> None:
    """The thresholds of the level, written out (30 and 60): each is the lowest score of its level."""
    medium = _assess(applicant__phone="+442079460000", applicant__date_of_birth="2006-01-01")
    assert (medium.score, medium.level) == (30, RiskLevel.MEDIUM)
    low = _assess(applicant__address__line1="PO Box 1")
    assert (low.score, low.level) == (20, RiskLevel.LOW)
    high = _assess(funding__amount_cents=1_000_000, applicant__address__line1="PO Box 1")
    assert (high.score, high.level) == (60, RiskLevel.HIGH)
    below_high = _assess(funding__amount_cents=1_000_000, applicant__phone="+442079460000")
    assert (below_high.score, below_high.level) == (55, RiskLevel.MEDIUM)
