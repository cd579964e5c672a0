from __future__ import annotations

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
