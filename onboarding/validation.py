"""Schema and rule validation of a raw submission.

Every failure is reported as a :class:`~onboarding.models.FieldError` (a field path and a stable code).
Submitted values are never echoed: not in codes, not in exception messages, not even the *name* of an
unexpected key (a key can itself be PII), which is reported on its parent path as ``unexpected_field``.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Callable, Iterable, Mapping
from datetime import date

from pydantic import ValidationError
from pydantic_core import ErrorDetails

from onboarding.models import APPLICATION_ID_PATTERN, Application, FieldError

SUPPORTED_COUNTRIES = frozenset({"US"})
SUPPORTED_CURRENCIES = frozenset({"USD"})
MIN_AMOUNT_CENTS = 1_000
MAX_AMOUNT_CENTS = 5_000_000
MINIMUM_AGE_YEARS = 18
MAXIMUM_AGE_YEARS = 120

MAX_LENGTHS: dict[str, int] = {
    "application_id": 44,
    "applicant.full_name": 100,
    "applicant.date_of_birth": 10,
    "applicant.national_id": 11,
    "applicant.email": 254,
    "applicant.phone": 16,
    "applicant.address.line1": 120,
    "applicant.address.city": 60,
    "applicant.address.postal_code": 10,
    "applicant.address.country": 2,
    "funding.card_number": 19,
    "funding.card_expiry": 5,
    "funding.currency": 3,
}

_NAME = re.compile(r"^[^\W\d_]+(?:[ '.-]{1,2}[^\W\d_]+)*\.?$")
_SSN = re.compile(r"^(?P<area>\d{3})-(?P<group>\d{2})-(?P<serial>\d{4})$")
_EMAIL = re.compile(r"^[A-Za-z0-9._%+-]{1,64}@(?:[A-Za-z0-9-]{1,63}\.)+[A-Za-z]{2,24}$")
_PHONE = re.compile(r"^\+[1-9]\d{7,14}$")
_LINE1 = re.compile(r"^[A-Za-z0-9][A-Za-z0-9 .,#'/-]*$")
_CITY = re.compile(r"^[A-Za-z][A-Za-z .'-]*$")
_POSTAL = re.compile(r"^[A-Za-z0-9][A-Za-z0-9 -]{1,9}$")
_ISO_DATE = re.compile(r"^\d{4}-\d{2}-\d{2}$")
_PAN = re.compile(r"^\d{13,19}$")
_EXPIRY = re.compile(r"^(?P<month>0[1-9]|1[0-2])/(?P<year>\d{2})$")
_ALPHA2 = re.compile(r"^[A-Z]{2}$")
_ALPHA3 = re.compile(r"^[A-Z]{3}$")
_APPLICATION_ID = re.compile(APPLICATION_ID_PATTERN)

_PYDANTIC_CODES = {
    "missing": "missing",
    "extra_forbidden": "unexpected_field",
    "enum": "invalid_choice",
    "string_pattern_mismatch": "invalid_format",
}


class ApplicationValidationError(ValueError):
    """Raised by :func:`parse_application`; carries field errors only."""

    def __init__(self, errors: list[FieldError]) -> None:
        self.errors = errors
        super().__init__("invalid application: " + ", ".join(f"{e.field}:{e.code}" for e in errors))


def luhn_valid(digits: str) -> bool:
    total = 0
    for index, char in enumerate(reversed(digits)):
        value = int(char)
        if index % 2 == 1:
            value = value * 2 - 9 if value > 4 else value * 2
        total += value
    return total % 10 == 0


def age_on(birth: date, today: date) -> int:
    return today.year - birth.year - ((today.month, today.day) < (birth.month, birth.day))


def validate_application(raw: object, *, today: date) -> tuple[Application | None, list[FieldError]]:
    """Return the parsed application, or ``None`` with the field errors (sorted, de-duplicated)."""
    structural = _structural_errors(raw)
    if structural:
        return None, structural
    assert isinstance(raw, Mapping)
    application = Application.model_validate(raw)
    errors = _rule_errors(application, today)
    if errors:
        return None, errors
    return application, []


def parse_application(raw: object, *, today: date) -> Application:
    """Like :func:`validate_application`, raising :class:`ApplicationValidationError` on failure."""
    application, errors = validate_application(raw, today=today)
    if application is None:
        raise ApplicationValidationError(errors)
    return application


def _structural_errors(raw: object) -> list[FieldError]:
    if not isinstance(raw, Mapping):
        return [FieldError(field="$", code="wrong_type")]
    try:
        Application.model_validate(raw)
    except ValidationError as exc:
        return _sorted_unique(_from_pydantic(error) for error in exc.errors(include_input=False))
    return []


def _from_pydantic(error: ErrorDetails) -> FieldError:
    loc = [str(part) for part in error["loc"]]
    kind = error["type"]
    if kind == "extra_forbidden":
        loc = loc[:-1]  # the unexpected key's own name may be PII: report its parent only
    code = _PYDANTIC_CODES.get(kind, "wrong_type")
    return FieldError(field=".".join(loc) or "$", code=code)


def _sorted_unique(errors: Iterable[FieldError]) -> list[FieldError]:
    unique = {(e.field, e.code): e for e in errors}
    return [unique[key] for key in sorted(unique)]


def _text_errors(application: Application) -> list[FieldError]:
    errors: list[FieldError] = []
    flat = _flatten_strings(application)
    for field, value in flat.items():
        if not value.strip():
            errors.append(FieldError(field=field, code="empty"))
        elif len(value) > MAX_LENGTHS[field]:
            errors.append(FieldError(field=field, code="too_long"))
        elif not _safe_text(value):
            errors.append(FieldError(field=field, code="invalid_characters"))
    return errors


def _safe_text(value: str) -> bool:
    """Reject control characters, lone surrogates and other non-printable code points."""
    for char in value:
        category = unicodedata.category(char)
        if category in {"Cc", "Cs", "Cn", "Co"} or (category == "Cf" and char != "\u200d"):
            return False
    try:
        value.encode("utf-8")
    except UnicodeEncodeError:
        return False
    return True


def _flatten_strings(application: Application) -> dict[str, str]:
    applicant, address, funding = application.applicant, application.applicant.address, application.funding
    return {
        "application_id": application.application_id,
        "applicant.full_name": applicant.full_name,
        "applicant.date_of_birth": applicant.date_of_birth,
        "applicant.national_id": applicant.national_id,
        "applicant.email": applicant.email,
        "applicant.phone": applicant.phone,
        "applicant.address.line1": address.line1,
        "applicant.address.city": address.city,
        "applicant.address.postal_code": address.postal_code,
        "applicant.address.country": address.country,
        "funding.card_number": funding.card_number,
        "funding.card_expiry": funding.card_expiry,
        "funding.currency": funding.currency,
    }


def _rule_errors(application: Application, today: date) -> list[FieldError]:
    text_errors = _text_errors(application)
    flagged = {e.field for e in text_errors}
    errors = list(text_errors)
    flat = _flatten_strings(application)
    for field, rule in _FIELD_RULES.items():
        if field in flagged:
            continue
        code = rule(flat[field], today)
        if code:
            errors.append(FieldError(field=field, code=code))
    amount = application.funding.amount_cents
    if not MIN_AMOUNT_CENTS <= amount <= MAX_AMOUNT_CENTS:
        errors.append(FieldError(field="funding.amount_cents", code="out_of_range"))
    return _sorted_unique(errors)


def _pattern(regex: re.Pattern[str]) -> Callable[[str, date], str | None]:
    return lambda value, _today: None if regex.fullmatch(value) else "invalid_format"


def _check_name(value: str, _today: date) -> str | None:
    return None if _NAME.fullmatch(value) else "invalid_format"


def _check_birth_date(value: str, today: date) -> str | None:
    if not _ISO_DATE.fullmatch(value):
        return "invalid_format"
    try:
        birth = date.fromisoformat(value)
    except ValueError:
        return "invalid_date"
    if birth > today:
        return "invalid_date"
    age = age_on(birth, today)
    if age < MINIMUM_AGE_YEARS:
        return "under_age"
    if age > MAXIMUM_AGE_YEARS:
        return "invalid_date"
    return None


def _check_ssn(value: str, _today: date) -> str | None:
    match = _SSN.fullmatch(value)
    if not match:
        return "invalid_format"
    area, group, serial = match["area"], match["group"], match["serial"]
    if area in {"000", "666"} or area.startswith("9") or group == "00" or serial == "0000":
        return "invalid_number"
    return None


def _check_country(value: str, _today: date) -> str | None:
    if not _ALPHA2.fullmatch(value):
        return "invalid_format"
    return None if value in SUPPORTED_COUNTRIES else "unsupported_country"


def _check_currency(value: str, _today: date) -> str | None:
    if not _ALPHA3.fullmatch(value):
        return "invalid_format"
    return None if value in SUPPORTED_CURRENCIES else "unsupported_currency"


def _check_pan(value: str, _today: date) -> str | None:
    if not _PAN.fullmatch(value):
        return "invalid_format"
    return None if luhn_valid(value) else "luhn_check_failed"


def _check_expiry(value: str, today: date) -> str | None:
    match = _EXPIRY.fullmatch(value)
    if not match:
        return "invalid_format"
    year, month = 2000 + int(match["year"]), int(match["month"])
    # A card is valid through the last day of its expiry month.
    return "expired" if (year, month) < (today.year, today.month) else None


def _check_application_id(value: str, _today: date) -> str | None:
    return None if _APPLICATION_ID.fullmatch(value) else "invalid_format"


_FIELD_RULES: dict[str, Callable[[str, date], str | None]] = {
    "application_id": _check_application_id,
    "applicant.full_name": _check_name,
    "applicant.date_of_birth": _check_birth_date,
    "applicant.national_id": _check_ssn,
    "applicant.email": _pattern(_EMAIL),
    "applicant.phone": _pattern(_PHONE),
    "applicant.address.line1": _pattern(_LINE1),
    "applicant.address.city": _pattern(_CITY),
    "applicant.address.postal_code": _pattern(_POSTAL),
    "applicant.address.country": _check_country,
    "funding.card_number": _check_pan,
    "funding.card_expiry": _check_expiry,
    "funding.currency": _check_currency,
}
