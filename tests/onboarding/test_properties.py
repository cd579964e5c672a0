"""Property tests: validation and risk scoring never crash and are deterministic, for any input."""

from __future__ import annotations

from typing import Any

from hypothesis import given, settings
from hypothesis import strategies as st

from onboarding.models import RiskLevel
from onboarding.risk import HIGH_THRESHOLD, MEDIUM_THRESHOLD, assess
from onboarding.validation import validate_application
from scenarios.bad_inputs import with_changes
from tests.conftest import TODAY

json_values = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False) | st.text(),
    lambda children: st.lists(children, max_size=4) | st.dictionaries(st.text(max_size=12), children, max_size=5),
    max_leaves=20,
)

LEAF_PATHS = [
    "application_id", "product",
    "applicant.full_name", "applicant.date_of_birth", "applicant.national_id", "applicant.email", "applicant.phone",
    "applicant.address.line1", "applicant.address.city", "applicant.address.postal_code", "applicant.address.country",
    "funding.card_number", "funding.card_expiry", "funding.amount_cents", "funding.currency",
]


def _mutated(changes: list[tuple[int, Any]]) -> dict[str, Any]:
    return with_changes({LEAF_PATHS[index % len(LEAF_PATHS)]: value for index, value in changes})


near_valid = st.lists(st.tuples(st.integers(0, 100), json_values), max_size=4).map(_mutated)


@settings(max_examples=300, deadline=None)
@given(raw=json_values)
def test_validation_never_crashes_on_arbitrary_json(raw: Any) -> None:
    first = validate_application(raw, today=TODAY)
    assert first == validate_application(raw, today=TODAY)
    application, errors = first
    assert (application is None) == bool(errors)


@settings(max_examples=400, deadline=None)
@given(raw=near_valid)
def test_validation_of_near_valid_input_is_total_and_deterministic(raw: dict[str, Any]) -> None:
    application, errors = validate_application(raw, today=TODAY)
    assert (application, errors) == validate_application(raw, today=TODAY)
    assert (application is None) == bool(errors)
    assert errors == sorted(errors, key=lambda e: (e.field, e.code))


valid_variants = st.fixed_dictionaries({
    "amount": st.integers(1_000, 5_000_000),
    "email_domain": st.sampled_from(["example.com", "mailinator.example", "throwaway.example", "example.org"]),
    "phone": st.sampled_from(["+19195550172", "+442079460958", "+493012345678"]),
    "line1": st.sampled_from(["401 Wexford Gardens", "PO Box 12", "P.O. Box 9"]),
    "birth_year": st.integers(1906, 2008),
})


@settings(max_examples=300, deadline=None)
@given(variant=valid_variants)
def test_risk_is_deterministic_and_consistent_with_thresholds(variant: dict[str, Any]) -> None:
    payload = with_changes({
        "funding.amount_cents": variant["amount"],
        "applicant.email": f"someone@{variant['email_domain']}",
        "applicant.phone": variant["phone"],
        "applicant.address.line1": variant["line1"],
        "applicant.date_of_birth": f"{variant['birth_year']}-01-01",
    })
    application, errors = validate_application(payload, today=TODAY)
    assert errors == [] and application is not None
    result = assess(application, today=TODAY)
    assert result == assess(application, today=TODAY)
    expected = (RiskLevel.HIGH if result.score >= HIGH_THRESHOLD
                else RiskLevel.MEDIUM if result.score >= MEDIUM_THRESHOLD else RiskLevel.LOW)
    assert result.level is expected
    assert result.score >= 0


typed_text = st.text(
    alphabet=st.characters(categories=["L", "M", "Zs", "Pd", "Pi", "Pf"], include_characters="'. -"),
    min_size=1, max_size=30,
)


@settings(max_examples=300, deadline=None)
@given(name=typed_text, city=typed_text)
def test_an_accepted_application_is_its_own_normal_form(name: str, city: str) -> None:
    """Whatever typed text is accepted, its stored form is accepted again unchanged (one form, reached in one pass),
    and what is refused is refused by field code only."""
    raw = with_changes({"applicant.full_name": name, "applicant.address.city": city})
    application, errors = validate_application(raw, today=TODAY)
    if application is None:
        assert {e.field for e in errors} <= {"applicant.full_name", "applicant.address.city"}
        return
    assert validate_application(application.model_dump(mode="json"), today=TODAY) == (application, [])
