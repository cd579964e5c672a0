"""Every limit of the validation rules at, just inside and just outside its bound (``onboarding.validation``).

The limits are the rules' specification, so they are written out here rather than read from the module: a test that
took them from ``onboarding.validation`` would move with a wrong limit instead of catching it (``make mutation``
changes each one by one, both ways).
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import date
from typing import Any

import pytest
from stdnum import luhn

from onboarding.models import FieldError
from onboarding.validation import ApplicationValidationError, parse_application, validate_application
from scenarios.bad_inputs import with_changes
from tests.conftest import TODAY


def _errors(changes: dict[str, Any]) -> list[tuple[str, str]]:
    _, errors = validate_application(with_changes(changes), today=TODAY)
    return [(error.field, error.code) for error in errors]


def _pan(digits: int) -> str:
    body = "4" + "1" * (digits - 2)
    return body + luhn.calc_check_digit(body)


def _email(length: int) -> str:
    """A valid address of exactly ``length`` characters: a 64-character local part, labels of at most 63."""
    local, tld = "a" * 64, ".com"
    remaining = length - len(local) - 1 - len(tld)
    labels = []
    while remaining > 0:
        label = min(63, remaining if remaining <= 63 else 62)  # leave room for the next label's dot
        labels.append("b" * label)
        remaining -= label + 1
    return f"{local}@{'.'.join(labels)}{tld}"


def _phone(length: int) -> str:
    return "+1 415" + " " * (length - 15) + " 555 0132"


# field -> (maximum length, a value of the given length that passes every rule when the field allows it)
LIMITS: dict[str, tuple[int, Callable[[int], str]]] = {
    "application_id": (44, lambda n: "app_" + "a" * (n - 4)),
    "applicant.full_name": (100, lambda n: "A" * n),
    "applicant.date_of_birth": (10, lambda n: "1990-01-01".ljust(n, "1")[:n]),
    "applicant.national_id": (11, lambda n: "123-45-6789".ljust(n, "1")[:n]),
    "applicant.email": (254, _email),
    "applicant.phone": (32, _phone),
    "applicant.address.line1": (120, lambda n: "1" + "A" * (n - 1)),
    "applicant.address.city": (60, lambda n: "A" * n),
    "applicant.address.postal_code": (10, lambda n: "12345-6789".ljust(n, "1")[:n]),
    "applicant.address.country": (2, lambda n: "US".ljust(n, "A")[:n]),
    "funding.card_number": (19, _pan),
    "funding.card_expiry": (5, lambda n: "12/30".ljust(n, "0")[:n]),
    "funding.currency": (3, lambda n: "USD".ljust(n, "D")[:n]),
}
# Fields with no valid value one character shorter than the maximum: it is refused, but not as too long.
FIXED_LENGTH = {"applicant.date_of_birth", "applicant.national_id", "applicant.address.country",
                "applicant.address.postal_code", "funding.card_expiry", "funding.currency"}
# The schema's pattern (onboarding.models.APPLICATION_ID_PATTERN, 4 + 40 characters) refuses a longer id first.
OUTSIDE = {"application_id": "invalid_format"}


@pytest.mark.parametrize("field", sorted(LIMITS))
def test_each_length_limit_at_inside_and_outside(field: str) -> None:
    maximum, make = LIMITS[field]
    assert len(make(maximum)) == maximum and len(make(maximum + 1)) == maximum + 1
    assert _errors({field: make(maximum)}) == []
    inside = _errors({field: make(maximum - 1)})
    assert inside == [] if field not in FIXED_LENGTH else (field, "too_long") not in inside
    assert _errors({field: make(maximum + 1)}) == [(field, OUTSIDE.get(field, "too_long"))]


@pytest.mark.parametrize(("digits", "expected"), [
    (12, [("funding.card_number", "invalid_format")]), (13, []), (14, []), (18, []), (19, []),
    (20, [("funding.card_number", "too_long")]),
])
def test_card_numbers_have_13_to_19_digits(digits: int, expected: list[tuple[str, str]]) -> None:
    assert _errors({"funding.card_number": _pan(digits)}) == expected


def _born(years_ago: int, days: int = 0) -> str:
    return date.fromordinal(TODAY.replace(year=TODAY.year - years_ago).toordinal() + days).isoformat()


@pytest.mark.parametrize(("birth", "expected"), [
    (_born(18, 1), [("applicant.date_of_birth", "under_age")]),  # 18 tomorrow
    (_born(18), []),  # 18 today: the youngest accepted
    (_born(18, -1), []),
    (_born(121, 1), []),  # 120 until tomorrow: the oldest accepted
    (_born(121), [("applicant.date_of_birth", "invalid_date")]),  # 121 today
    (TODAY.isoformat(), [("applicant.date_of_birth", "under_age")]),
    (_born(0, 1), [("applicant.date_of_birth", "invalid_date")]),  # born tomorrow
    ("1990-02-30", [("applicant.date_of_birth", "invalid_date")]),
    ("1990-2-03", [("applicant.date_of_birth", "invalid_format")]),
])
def test_age_is_18_to_120_on_the_business_date(birth: str, expected: list[tuple[str, str]]) -> None:
    assert _errors({"applicant.date_of_birth": birth}) == expected


@pytest.mark.parametrize(("amount", "expected"), [
    (999, [("funding.amount_cents", "out_of_range")]), (1_000, []), (1_001, []),
    (4_999_999, []), (5_000_000, []), (5_000_001, [("funding.amount_cents", "out_of_range")]),
])
def test_the_amount_is_10_to_50000_dollars(amount: int, expected: list[tuple[str, str]]) -> None:
    assert _errors({"funding.amount_cents": amount}) == expected


@pytest.mark.parametrize(("expiry", "expected"), [
    ("00/27", [("funding.card_expiry", "invalid_format")]),
    ("01/27", []),
    ("12/27", []),
    ("13/27", [("funding.card_expiry", "invalid_format")]),
    ("10/26", [("funding.card_expiry", "expired")]),  # last month
    ("11/26", []),  # valid through the end of this month
    ("12/26", []),
    ("10/46", []),
    ("11/46", []),  # 20 years ahead: the horizon, inclusive
    ("12/46", [("funding.card_expiry", "out_of_range")]),
    ("1/27", [("funding.card_expiry", "invalid_format")]),
])
def test_card_expiry_months_and_horizon(expiry: str, expected: list[tuple[str, str]]) -> None:
    assert date(2026, 11, 24) == TODAY  # the dates above are written for this business date
    assert _errors({"funding.card_expiry": expiry}) == expected


@pytest.mark.parametrize(("field", "value", "code"), [
    ("applicant.address.country", "CA", "unsupported_country"),
    ("applicant.address.country", "us", "invalid_format"),
    ("funding.currency", "EUR", "unsupported_currency"),
    ("funding.currency", "usd", "invalid_format"),
    ("applicant.address.postal_code", "1234", "invalid_format"),
    ("applicant.address.postal_code", "12345-678", "invalid_format"),
    ("applicant.phone", "+1 999 555 0132", "invalid_number"),
    ("applicant.phone", "+1 415 555 0132 ext. 12", "invalid_format"),
    ("applicant.phone", "not a number", "invalid_format"),
    ("applicant.national_id", "123456789", "invalid_format"),
    ("applicant.national_id", "666-12-3456", "invalid_number"),
    ("applicant.email", "someone@example.test", "invalid_format"),
    ("applicant.address.line1", "-12 Main St", "invalid_format"),
    ("applicant.address.line1", "12 Main St!", "invalid_format"),
    ("applicant.full_name", "R2-D2", "invalid_format"),
    ("application_id", "app_" + "a" * 9, "invalid_format"),
    ("funding.card_number", _pan(16)[:-1] + str((int(_pan(16)[-1]) + 1) % 10), "luhn_check_failed"),
    ("applicant.full_name", "   ", "empty"),
])
def test_each_rule_names_its_problem(field: str, value: str, code: str) -> None:
    assert _errors({field: value}) == [(field, code)]


@pytest.mark.parametrize(("value", "canonical"), [
    ("(415) 555-0132", "+14155550132"),
    ("12345 6789", "12345-6789"),
    ("12345", "12345"),
    ("Someone@EXAMPLE.com", "Someone@example.com"),
])
def test_rules_store_the_canonical_form(value: str, canonical: str) -> None:
    field = {"+": "applicant.phone", "1": "applicant.address.postal_code", "S": "applicant.email"}[canonical[0]]
    application = parse_application(with_changes({field: value}), today=TODAY)
    stored: Any = application.model_dump(mode="json")
    for part in field.split("."):
        stored = stored[part]
    assert stored == canonical


def test_a_text_error_does_not_hide_a_rule_error_on_a_later_field() -> None:
    changes = {"applicant.full_name": "A" * 101, "applicant.address.country": "CA", "funding.currency": "EUR"}
    assert _errors(changes) == [("applicant.address.country", "unsupported_country"),
                                ("applicant.full_name", "too_long"), ("funding.currency", "unsupported_currency")]
    with pytest.raises(ApplicationValidationError) as raised:
        parse_application(with_changes(changes), today=TODAY)
    assert raised.value.errors == [FieldError(field=f, code=c) for f, c in _errors(changes)]
    assert str(raised.value) == ("invalid application: applicant.address.country:unsupported_country, "
                                 "applicant.full_name:too_long, funding.currency:unsupported_currency")


@pytest.mark.parametrize(("field", "value", "expected"), [
    ("applicant.full_name", "Zo\u00eb O\u2019Neil\u2010Smith", []),  # free text: typographic marks rewritten
    ("applicant.address.postal_code", "12345\u20106789", [("applicant.address.postal_code", "invalid_format")]),
    ("applicant.address.line1", "1234 \u00bd Main St", []),  # VULGAR FRACTION ONE HALF
    ("applicant.address.line1", "1 Main St", []),
    ("applicant.address.line1", "A-12 Main St", []),
    ("applicant.address.line1", "\u00bd Main St", [("applicant.address.line1", "invalid_format")]),
    ("applicant.address.line1", "12 Main St \u2605", [("applicant.address.line1", "invalid_format")]),
    ("applicant.address.city", "Ravens\u0378croft", [("applicant.address.city", "invalid_characters")]),  # Cn
    ("applicant.address.city", "Ravens\ue000croft", [("applicant.address.city", "invalid_characters")]),  # Co
    ("applicant.address.city", "Ravens\u0007croft", [("applicant.address.city", "invalid_characters")]),  # Cc
    ("applicant.address.city", "Ravens\u200bcroft", [("applicant.address.city", "invalid_characters")]),  # Cf
    ("applicant.address.city", "Ravens\ud800croft", [("applicant.address.city", "invalid_characters")]),  # Cs
])
def test_characters_each_rule_allows_and_refuses(field: str, value: str, expected: list[tuple[str, str]]) -> None:
    assert _errors({field: value}) == expected


def test_free_text_is_stored_in_its_ascii_form_and_other_fields_as_typed() -> None:
    application = parse_application(with_changes({"applicant.full_name": "Zo\u00eb O\u2019Neil\u2010Smith",
                                                  "applicant.address.line1": "1234 \u00bd Main St"}), today=TODAY)
    assert application.applicant.full_name == "Zo\u00eb O'Neil-Smith"
    assert application.applicant.address.line1 == "1234 \u00bd Main St"


@pytest.mark.parametrize(("field", "typed", "stored"), [
    ("applicant.full_name", "Mary\u2013Jane O\u2019Neil", "Mary-Jane O'Neil"),
    ("applicant.address.line1", "12 O\u2019Brien St", "12 O'Brien St"),
    ("applicant.address.city", "Coeur d\u2019Alene", "Coeur d'Alene"),
])
def test_every_free_text_field_is_normalized(field: str, typed: str, stored: str) -> None:
    application = parse_application(with_changes({field: typed}), today=TODAY)
    value: Any = application.model_dump(mode="json")
    for part in field.split("."):
        value = value[part]
    assert value == stored
