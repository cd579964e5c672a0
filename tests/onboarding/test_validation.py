from __future__ import annotations

from datetime import date
from typing import Any

import pytest

from onboarding.dates import age_on
from onboarding.models import Address, Applicant, Application, FieldError, Funding
from onboarding.normalization import free_text, is_words, nfc_trimmed
from onboarding.validation import (
    CARD_EXPIRY_HORIZON_YEARS,
    ApplicationValidationError,
    luhn_valid,
    normalized_application,
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


@pytest.mark.parametrize(
    ("typed", "normalized"),
    [
        ("O\u2019Brien", "O'Brien"),  # RIGHT SINGLE QUOTATION MARK, as phone keyboards insert it
        ("Anne\u2010Marie", "Anne-Marie"),  # HYPHEN
        ("Mary\u2013Jane", "Mary-Jane"),  # EN DASH
        ("Jose\u0301", "Jos\u00e9"),  # decomposed accent composed (NFC)
        ("\u00a0Leopold\u202f\u2003Brightwater  ", "Leopold Brightwater"),  # space separators, runs, ends
        ("Ke\u02bbala", "Ke\u02bbala"),  # the okina is a letter: kept
    ],
)
def test_free_text_is_normalized_before_any_rule(typed: str, normalized: str) -> None:
    assert free_text(typed) == normalized
    assert free_text(normalized) == normalized  # one form: normalizing again changes nothing


def test_only_free_text_rewrites_punctuation() -> None:
    assert nfc_trimmed(" O\u2019Brien ") == "O\u2019Brien"


@pytest.mark.parametrize(
    ("value", "words"),
    [("Jr.", True), ("St. John", True), ("O' Neil", True), ("\u0915\u094d\u0937", True), ("a\u200cb", True),
     ("Jr..", False), ("a - - b", False), ("\u0301a", False), ("a \u0301b", False), ("a\u200c", False),
     ("4ever", False), ("a_b", False), ("", False)],
)
def test_words_are_letters_of_any_script_with_their_marks(value: str, words: bool) -> None:
    assert is_words(value) is words


def test_the_card_expiry_horizon_is_inclusive() -> None:
    horizon = f"{TODAY.month:02d}/{(TODAY.year + CARD_EXPIRY_HORIZON_YEARS) % 100:02d}"
    assert validate_application(_with("funding.card_expiry", horizon), today=TODAY)[1] == []
    beyond = f"{TODAY.month + 1:02d}/{(TODAY.year + CARD_EXPIRY_HORIZON_YEARS) % 100:02d}"
    assert validate_application(_with("funding.card_expiry", beyond), today=TODAY)[1] == [
        FieldError(field="funding.card_expiry", code="out_of_range")]


def test_a_later_step_gets_the_same_normalized_application() -> None:
    typed = _with("applicant.phone", "(919) 555-0172")
    validated = parse_application(typed, today=TODAY)
    assert validated.applicant.phone == "+19195550172"
    assert normalized_application(Application.model_validate(typed)) == validated


def test_a_later_step_refuses_an_application_that_no_longer_passes() -> None:
    tampered = Application.model_validate(_with("applicant.national_id", "078-05-1120"))
    with pytest.raises(ApplicationValidationError) as raised:
        normalized_application(tampered)
    assert raised.value.errors == [FieldError(field="applicant.national_id", code="invalid_number")]
