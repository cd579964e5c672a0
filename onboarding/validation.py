"""Schema and rule validation of a raw submission, into one normalized form.

Every failure is reported as a :class:`~onboarding.models.FieldError` (a field path and a stable code).
Submitted values are never echoed: not in codes, not in exception messages, not even the *name* of an
unexpected key (a key can itself be PII), which is reported on its parent path as ``unexpected_field``.
The libraries' own messages (which quote the input) are never kept: only their verdict becomes a code.

Text is normalized before any rule (:mod:`onboarding.normalization`: NFC, trimmed, ASCII apostrophes and hyphens in
free text), then each field's rule checks it and gives its canonical form. The accepted :class:`Application` holds
those forms, so every later step and both engines see one spelling of each value:

- ``applicant.full_name``, ``applicant.address.city``: words of letters of any script with ``' - .`` between them
  (:func:`onboarding.normalization.is_words`); stored NFC with ASCII punctuation; else ``invalid_format``.
- ``applicant.address.line1``: letters, ASCII digits, ``. , # ' / -`` and vulgar fractions (``1234 1/2 Main St``
  written with the one-half sign); stored like a name; else ``invalid_format``.
- ``applicant.email``: RFC 5321/6531 addresses (``o'brien@``, ``r&d=team@``, international local parts) by
  email-validator, without any DNS lookup; special-use domains (``.test``, ``.localhost``) refused; stored in its
  ``normalized`` form (domain in lower case); else ``invalid_format``.
- ``applicant.phone``: as people write numbers (``(415) 555-0132``, ``+1 415 555 0132``, ``415-555-0132``, or
  international with ``+``), parsed by phonenumberslite for region US; stored in E.164 (``+14155550132``);
  ``invalid_format`` when unparsable or with an extension (E.164 has none), ``invalid_number`` without a valid
  area code (``+1 999 555 0132``, ``555-0132``).
- ``applicant.national_id``: ``AAA-GG-SSSS`` (``invalid_format``), then python-stdnum's ``us.ssn`` rules: area 000,
  666 or 9xx, group 00, serial 0000 and the numbers it lists as voided once published (078-05-1120 on a wallet
  insert, 219-09-9999 in an SSA pamphlet, 457-55-5462 in an advertisement) are ``invalid_number``.
- ``applicant.address.postal_code``: a US ZIP code, ``NNNNN``, or ZIP+4 as ``NNNNN-NNNN`` or ``NNNNN NNNN``; stored
  as ``NNNNN`` or ``NNNNN-NNNN``; else ``invalid_format``.
- ``funding.card_number``: 13-19 digits (``invalid_format``) passing the Luhn check (python-stdnum ``luhn``;
  ``luhn_check_failed``).
- ``funding.card_expiry``: ``MM/YY`` (``invalid_format``), valid through its month (``expired``) and at most
  ``CARD_EXPIRY_HORIZON_YEARS`` ahead (``out_of_range``: ``12/99`` is a typo, not a card).
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Callable, Iterable, Mapping
from datetime import date
from typing import Any

import phonenumbers
from email_validator import EmailNotValidError, validate_email
from pydantic import ValidationError
from pydantic_core import ErrorDetails
from stdnum import luhn
from stdnum.exceptions import ValidationError as NumberValidationError
from stdnum.us import ssn

from onboarding.dates import age_on
from onboarding.models import APPLICATION_ID_PATTERN, Application, FieldError
from onboarding.normalization import free_text, is_words, nfc_trimmed

SUPPORTED_COUNTRIES = frozenset({"US"})
SUPPORTED_CURRENCIES = frozenset({"USD"})
MIN_AMOUNT_CENTS = 1_000
MAX_AMOUNT_CENTS = 5_000_000
MINIMUM_AGE_YEARS = 18
MAXIMUM_AGE_YEARS = 120
# Issuers print expiry dates 3-5 years out (a few 10); 20 years is a generous bound that refuses a typo like 12/99.
CARD_EXPIRY_HORIZON_YEARS = 20
# The region a phone number without a country code is read in (and the one domestic numbers are valid for).
PHONE_REGION = "US"

# Limits on the normalized value (so the libraries never parse an unbounded string).
MAX_LENGTHS: dict[str, int] = {
    "application_id": 44,
    "applicant.full_name": 100,
    "applicant.date_of_birth": 10,
    "applicant.national_id": 11,
    "applicant.email": 254,
    "applicant.phone": 32,  # as typed: "+1 (415) 555-0132" is 17 characters; E.164 is at most 16
    "applicant.address.line1": 120,
    "applicant.address.city": 60,
    "applicant.address.postal_code": 10,
    "applicant.address.country": 2,
    "funding.card_number": 19,
    "funding.card_expiry": 5,
    "funding.currency": 3,
}
# Free text: typographic punctuation and spaces are normalized too (onboarding.normalization.free_text).
FREE_TEXT_FIELDS = frozenset({"applicant.full_name", "applicant.address.line1", "applicant.address.city"})

_SSN = re.compile(r"^\d{3}-\d{2}-\d{4}$")
_ZIP = re.compile(r"^(?P<zip>\d{5})(?:[- ](?P<plus4>\d{4}))?$")
_ISO_DATE = re.compile(r"^\d{4}-\d{2}-\d{2}$")
_PAN = re.compile(r"^\d{13,19}$")
_EXPIRY = re.compile(r"^(?P<month>0[1-9]|1[0-2])/(?P<year>\d{2})$")
_ALPHA2 = re.compile(r"^[A-Z]{2}$")
_ALPHA3 = re.compile(r"^[A-Z]{3}$")
_APPLICATION_ID = re.compile(APPLICATION_ID_PATTERN)
_LINE1_PUNCTUATION = frozenset(" .,#'/-")

_PYDANTIC_CODES = {
    "missing": "missing",
    "extra_forbidden": "unexpected_field",
    "enum": "invalid_choice",
    "string_pattern_mismatch": "invalid_format",
}



class Refused(str):
    """An error code returned by a rule (a ``str`` subclass, so a rule returns one type or the other)."""


# A rule gets the normalized value and the business date; it returns the canonical value, or an error code.
Rule = Callable[[str, date], "str | Refused"]


class ApplicationValidationError(ValueError):
    """Raised by :func:`parse_application`; carries field errors only."""

    def __init__(self, errors: list[FieldError]) -> None:
        self.errors = errors
        super().__init__("invalid application: " + ", ".join(f"{e.field}:{e.code}" for e in errors))


def luhn_valid(digits: str) -> bool:
    """The Luhn (mod 10) check of a digit string (python-stdnum)."""
    return bool(luhn.is_valid(digits))


def validate_application(raw: object, *, today: date) -> tuple[Application | None, list[FieldError]]:
    """Return the normalized application, or ``None`` with the field errors (sorted, de-duplicated)."""
    structural = _structural_errors(raw)
    if structural:
        return None, structural
    assert isinstance(raw, Mapping)
    return _checked(Application.model_validate(raw), today=today)


def parse_application(raw: object, *, today: date) -> Application:
    """Like :func:`validate_application`, raising :class:`ApplicationValidationError` on failure."""
    application, errors = validate_application(raw, today=today)
    if application is None:
        raise ApplicationValidationError(errors)
    return application


def normalized_application(application: Application) -> Application:
    """The normalized form of an application that passed :func:`validate_application` (on any date): what a step
    after validation works on when it reads the submission as submitted (the Step Functions claim check holds it as
    the client sent it). Raises :class:`ApplicationValidationError` when a date-free rule fails."""
    normalized, errors = _checked(application, today=None)
    if normalized is None:
        raise ApplicationValidationError(errors)
    return normalized


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


def _checked(application: Application, *, today: date | None) -> tuple[Application | None, list[FieldError]]:
    """Normalize and check every field; ``today=None`` skips the rules that need the business date."""
    errors: list[FieldError] = []
    canonical: dict[str, str] = {}
    for field, submitted in _flatten_strings(application).items():
        value = submitted if field == "application_id" else (
            free_text(submitted) if field in FREE_TEXT_FIELDS else nfc_trimmed(submitted))
        code = _text_code(field, value)
        if code is None and (today is not None or field not in _DATED_RULES):
            result = _FIELD_RULES[field](value, today or date.min)
            code, value = (result, value) if isinstance(result, Refused) else (None, result)
        if code is not None:
            errors.append(FieldError(field=field, code=code))
        canonical[field] = value
    amount = application.funding.amount_cents
    if not MIN_AMOUNT_CENTS <= amount <= MAX_AMOUNT_CENTS:
        errors.append(FieldError(field="funding.amount_cents", code="out_of_range"))
    if errors:
        return None, _sorted_unique(errors)
    return Application.model_validate(_nested(application.model_dump(mode="json"), canonical)), []


def _text_code(field: str, value: str) -> str | None:
    if not value:
        return "empty"
    if len(value) > MAX_LENGTHS[field]:
        return "too_long"
    if not _safe_text(value):
        return "invalid_characters"
    return None


def _safe_text(value: str) -> bool:
    """Reject control characters, lone surrogates and other non-printable code points; the joiners
    some scripts need inside a word (ZWNJ, ZWJ) are the only format characters allowed."""
    for char in value:
        category = unicodedata.category(char)
        if category in {"Cc", "Cs", "Cn", "Co"} or (category == "Cf" and char not in "\u200c\u200d"):
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


def _nested(document: dict[str, Any], values: Mapping[str, str]) -> dict[str, Any]:
    for path, value in values.items():
        *parents, leaf = path.split(".")
        target = document
        for part in parents:
            target = target[part]
        target[leaf] = value
    return document


# -- the rules ----------------------------------------------------------------------------------------------------

INVALID_FORMAT = Refused("invalid_format")
INVALID_NUMBER = Refused("invalid_number")
INVALID_DATE = Refused("invalid_date")


def _check_words(value: str, _today: date) -> str | Refused:
    return value if is_words(value) else INVALID_FORMAT


def _check_line1(value: str, _today: date) -> str | Refused:
    """A street line: starts with a letter or digit; letters (any script, with their marks), ASCII digits, the
    punctuation of US addresses and vulgar fractions (``1234 ½ Main St``)."""
    if not (value[0].isalpha() or value[0] in "0123456789"):
        return INVALID_FORMAT
    for char in value:
        category = unicodedata.category(char)
        if not (category[0] in "LM" or char in "0123456789" or char in _LINE1_PUNCTUATION
                or unicodedata.name(char, "").startswith("VULGAR FRACTION")):
            return INVALID_FORMAT
    return value


def _check_email(value: str, _today: date) -> str | Refused:
    try:
        # No DNS: validation stays deterministic and side-effect free (the domain's mail servers are not asked).
        return str(validate_email(value, check_deliverability=False).normalized)
    except (EmailNotValidError, UnicodeError, ValueError):
        return INVALID_FORMAT


def _check_phone(value: str, _today: date) -> str | Refused:
    try:
        number = phonenumbers.parse(value, PHONE_REGION)
    except phonenumbers.NumberParseException:
        return INVALID_FORMAT
    if number.extension:  # E.164 has no extension: storing the number would silently drop it
        return INVALID_FORMAT
    if not phonenumbers.is_valid_number(number):  # e.g. area code 999, or no area code at all
        return INVALID_NUMBER
    return str(phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.E164))


def _check_ssn(value: str, _today: date) -> str | Refused:
    if not _SSN.fullmatch(value):
        return INVALID_FORMAT
    try:
        ssn.validate(value)
    except NumberValidationError:
        return INVALID_NUMBER
    return value


def _check_zip(value: str, _today: date) -> str | Refused:
    match = _ZIP.fullmatch(value)
    if not match:
        return INVALID_FORMAT
    return match["zip"] + (f"-{match['plus4']}" if match["plus4"] else "")


def _check_birth_date(value: str, today: date) -> str | Refused:
    if not _ISO_DATE.fullmatch(value):
        return INVALID_FORMAT
    try:
        birth = date.fromisoformat(value)
    except ValueError:
        return INVALID_DATE
    if birth > today:
        return INVALID_DATE
    age = age_on(birth, today)
    if age < MINIMUM_AGE_YEARS:
        return Refused("under_age")
    if age > MAXIMUM_AGE_YEARS:
        return INVALID_DATE
    return value


def _check_country(value: str, _today: date) -> str | Refused:
    if not _ALPHA2.fullmatch(value):
        return INVALID_FORMAT
    return value if value in SUPPORTED_COUNTRIES else Refused("unsupported_country")


def _check_currency(value: str, _today: date) -> str | Refused:
    if not _ALPHA3.fullmatch(value):
        return INVALID_FORMAT
    return value if value in SUPPORTED_CURRENCIES else Refused("unsupported_currency")


def _check_pan(value: str, _today: date) -> str | Refused:
    if not _PAN.fullmatch(value):
        return INVALID_FORMAT
    return value if luhn_valid(value) else Refused("luhn_check_failed")


def _check_expiry(value: str, today: date) -> str | Refused:
    match = _EXPIRY.fullmatch(value)
    if not match:
        return INVALID_FORMAT
    expiry = (2000 + int(match["year"]), int(match["month"]))
    # A card is valid through the last day of its expiry month.
    if expiry < (today.year, today.month):
        return Refused("expired")
    if expiry > (today.year + CARD_EXPIRY_HORIZON_YEARS, today.month):
        return Refused("out_of_range")
    return value


def _check_application_id(value: str, _today: date) -> str | Refused:
    return value if _APPLICATION_ID.fullmatch(value) else INVALID_FORMAT


_FIELD_RULES: dict[str, Rule] = {
    "application_id": _check_application_id,
    "applicant.full_name": _check_words,
    "applicant.date_of_birth": _check_birth_date,
    "applicant.national_id": _check_ssn,
    "applicant.email": _check_email,
    "applicant.phone": _check_phone,
    "applicant.address.line1": _check_line1,
    "applicant.address.city": _check_words,
    "applicant.address.postal_code": _check_zip,
    "applicant.address.country": _check_country,
    "funding.card_number": _check_pan,
    "funding.card_expiry": _check_expiry,
    "funding.currency": _check_currency,
}
# Rules that judge a value against the business date; normalized_application skips them (the date of the
# validation is not known when a later step reads the submission again).
_DATED_RULES = frozenset({"applicant.date_of_birth", "funding.card_expiry"})
