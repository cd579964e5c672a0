from __future__ import annotations

from datetime import date
from typing import Any

import pytest

from onboarding.models import Address, Applicant, Application, FieldError, Funding
from onboarding.validation import (
    ApplicationValidationError,
    age_on,
    luhn_valid,
    parse_application,
    validate_application,
)
from scenarios.bad_inputs import BAD_INPUTS, base_application, with_changes
from tests.conftest import TODAY

SCHEMA_KEYS = {
    name for model in (Application, Applicant, Address, Funding) for name in model.model_fields
}


def _leaf_strings(value: Any) -> list[str]:
    """Submitted values, plus any key that is not a schema field (an unexpected key may itself be PII)."""
    if isinstance(value, str):
        return [value]
    if isinstance(value, dict):
        return [s for k, v in value.items()
                for s in ([] if k in SCHEMA_KEYS else [k]) + _leaf_strings(v)]
    if isinstance(value, list):
        return [s for item in value for s in _leaf_strings(item)]
    return []


def test_base_application_is_valid() -> None:
    application, errors = validate_application(base_application(), today=TODAY)
    assert errors == []
    assert application is not None
    assert application.application_id == base_application()["application_id"]


def test_bad_input_corpus_is_large_and_names_are_unique() -> None:
    assert len(BAD_INPUTS) >= 25
    assert len({bad.name for bad in BAD_INPUTS}) == len(BAD_INPUTS)
    ids = [bad.payload["application_id"] for bad in BAD_INPUTS if isinstance(bad.payload, dict)
           and bad.application_id_usable]
    assert len(set(ids)) == len(ids)


@pytest.mark.parametrize("bad", BAD_INPUTS, ids=lambda bad: bad.name)
def test_each_bad_input_yields_exactly_its_field_codes(bad: Any) -> None:
    application, errors = validate_application(bad.payload, today=TODAY)
    assert application is None
    assert tuple(errors) == bad.expected_errors


@pytest.mark.parametrize("bad", BAD_INPUTS, ids=lambda bad: bad.name)
def test_no_submitted_value_is_echoed(bad: Any) -> None:
    with pytest.raises(ApplicationValidationError) as raised:
        parse_application(bad.payload, today=TODAY)
    rendered = " ".join([str(raised.value), repr(raised.value.errors)])
    for value in _leaf_strings(bad.payload):
        if len(value) >= 4:
            assert value not in rendered, f"{bad.name} echoed a submitted value"


@pytest.mark.parametrize(
    ("digits", "expected"),
    [("4111111111111111", True), ("4111111111111112", False), ("79927398713", True), ("0", True)],
)
def test_luhn(digits: str, expected: bool) -> None:
    assert luhn_valid(digits) is expected


@pytest.mark.parametrize(
    ("birth", "today", "age"),
    [
        (date(2000, 2, 29), date(2018, 2, 28), 17),
        (date(2000, 2, 29), date(2018, 3, 1), 18),
        (date(1990, 6, 15), date(2026, 6, 15), 36),
        (date(1990, 6, 15), date(2026, 6, 14), 35),
    ],
)
def test_age_on(birth: date, today: date, age: int) -> None:
    assert age_on(birth, today) == age


def _with(path: str, value: Any) -> dict[str, Any]:
    return with_changes({path: value})


@pytest.mark.parametrize(
    ("path", "value", "code"),
    [
        ("applicant.date_of_birth", "2008-11-25", "under_age"),  # turns 18 tomorrow
        ("applicant.national_id", "900-12-3456", "invalid_number"),
        ("applicant.national_id", "123-45-0000", "invalid_number"),
        ("applicant.date_of_birth", "1899-01-01", "invalid_date"),
        ("funding.card_number", "411111111111", "invalid_format"),
        ("funding.card_expiry", "10/26", "expired"),
        ("funding.amount_cents", 999, "out_of_range"),
        ("funding.amount_cents", 5_000_001, "out_of_range"),
        ("funding.currency", "US", "invalid_format"),
        ("applicant.address.postal_code", "!!", "invalid_format"),
        ("applicant.address.city", "Ravens\u200bcroft", "invalid_characters"),
        ("applicant.full_name", "Leopold " + "\u0000", "invalid_characters"),
        ("application_id", "app_short", "invalid_format"),
    ],
)
def test_single_rule_failures(path: str, value: Any, code: str) -> None:
    field = path
    _, errors = validate_application(_with(path, value), today=TODAY)
    assert errors == [FieldError(field=field, code=code)]


@pytest.mark.parametrize(
    ("path", "value"),
    [
        ("applicant.date_of_birth", "2008-11-24"),  # 18 today
        ("funding.card_expiry", "11/26"),  # valid through the end of this month
        ("funding.amount_cents", 1_000),
        ("funding.amount_cents", 5_000_000),
        ("applicant.full_name", "Zoë O'Neil-Smith Jr."),
        ("applicant.address.line1", "PO Box 12"),
        ("funding.card_number", "3782824610299"),
    ],
)
def test_boundary_values_are_accepted(path: str, value: Any) -> None:
    _, errors = validate_application(_with(path, value), today=TODAY)
    assert errors == []


def test_errors_are_sorted_and_unique_across_rules() -> None:
    payload = _with("funding.currency", "EUR")
    payload["applicant"]["national_id"] = "bad"
    payload["funding"]["amount_cents"] = 1
    _, errors = validate_application(payload, today=TODAY)
    assert [(e.field, e.code) for e in errors] == [
        ("applicant.national_id", "invalid_format"),
        ("funding.amount_cents", "out_of_range"),
        ("funding.currency", "unsupported_currency"),
    ]
