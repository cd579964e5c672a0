"""The bad-input corpus: malformed submissions, each with the exact field errors it must produce.

Every entry must be rejected as INVALID_APPLICATION with these codes, with no submitted value echoed back
and no side effect. Entries whose ``application_id`` itself is unusable are marked, because an engine cannot
use such an id as a workflow id or execution name and must refuse them before starting.
"""

from __future__ import annotations

import copy
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from onboarding.models import FieldError

_BASE: dict[str, Any] = {
    "application_id": "app_01JBADINPUT000000000000",
    "applicant": {
        "full_name": "Leopold Brightwater",
        "date_of_birth": "1984-09-12",
        "national_id": "219-38-4756",
        "email": "leopold.brightwater@example.com",
        "phone": "+19195550172",
        "address": {
            "line1": "401 Wexford Gardens",
            "city": "Ravenscroft Mills",
            "postal_code": "27601-4419",
            "country": "US",
        },
    },
    "funding": {
        "card_number": "4111111823645174",
        "card_expiry": "07/33",
        "amount_cents": 65_000,
        "currency": "USD",
    },
    "product": "checking",
}


@dataclass(frozen=True, kw_only=True)
class BadInput:
    name: str
    payload: Any
    expected_errors: tuple[FieldError, ...]
    application_id_usable: bool = True

    def application(self, application_id: str | None = None) -> Any:
        payload = copy.deepcopy(self.payload)
        if application_id is not None and isinstance(payload, dict) and self.application_id_usable:
            payload["application_id"] = application_id
        return payload


def base_application() -> dict[str, Any]:
    """A valid application (not part of the scenario corpus) that the bad inputs are mutations of."""
    return copy.deepcopy(_BASE)


def _parent(payload: dict[str, Any], path: str) -> tuple[dict[str, Any], str]:
    *parents, leaf = path.split(".")
    target = payload
    for part in parents:
        target = target[part]
    return target, leaf


def with_changes(changes: dict[str, Any], payload: dict[str, Any] | None = None) -> dict[str, Any]:
    """A copy of ``payload`` (default: the valid base) with dotted-path fields set.

    Example: ``with_changes({"funding.currency": "EUR"})``.
    """
    result = copy.deepcopy(payload) if payload is not None else base_application()
    for path, value in changes.items():
        target, leaf = _parent(result, path)
        target[leaf] = value
    return result


def _set(path: str, value: Any) -> Callable[[dict[str, Any]], None]:
    def mutate(payload: dict[str, Any]) -> None:
        target, leaf = _parent(payload, path)
        target[leaf] = value

    return mutate


def _delete(path: str) -> Callable[[dict[str, Any]], None]:
    def mutate(payload: dict[str, Any]) -> None:
        target, leaf = _parent(payload, path)
        del target[leaf]

    return mutate


def _bad(name: str, *mutations: Callable[[dict[str, Any]], None], errors: list[tuple[str, str]],
         application_id_usable: bool = True) -> BadInput:
    payload = base_application()
    payload["application_id"] = f"app_01JBAD{len(name):02d}{name.replace('_', '')[:20]}"
    for mutate in mutations:
        mutate(payload)
    return BadInput(
        name=name,
        payload=payload,
        expected_errors=tuple(FieldError(field=field, code=code) for field, code in errors),
        application_id_usable=application_id_usable,
    )


BAD_INPUTS: tuple[BadInput, ...] = (
    BadInput(name="not_an_object", payload=["app_01JBADLIST0000000000"],
             expected_errors=(FieldError(field="$", code="wrong_type"),), application_id_usable=False),
    _bad("missing_applicant", _delete("applicant"), errors=[("applicant", "missing")]),
    _bad("missing_national_id", _delete("applicant.national_id"), errors=[("applicant.national_id", "missing")]),
    _bad("missing_amount", _delete("funding.amount_cents"), errors=[("funding.amount_cents", "missing")]),
    _bad("missing_application_id", _delete("application_id"), errors=[("application_id", "missing")],
         application_id_usable=False),
    _bad("extra_top_level_field", _set("ssn_copy", "219-38-4756"), errors=[("$", "unexpected_field")]),
    _bad("extra_field_named_like_pii", _set("applicant.Leopold Brightwater", "x"),
         errors=[("applicant", "unexpected_field")]),
    _bad("amount_as_string", _set("funding.amount_cents", "65000"), errors=[("funding.amount_cents", "wrong_type")]),
    _bad("amount_as_float", _set("funding.amount_cents", 650.5), errors=[("funding.amount_cents", "wrong_type")]),
    _bad("amount_as_bool", _set("funding.amount_cents", True), errors=[("funding.amount_cents", "wrong_type")]),
    _bad("name_as_number", _set("applicant.full_name", 1234567), errors=[("applicant.full_name", "wrong_type")]),
    _bad("national_id_null", _set("applicant.national_id", None), errors=[("applicant.national_id", "wrong_type")]),
    _bad("address_as_string", _set("applicant.address", "401 Wexford Gardens, Ravenscroft Mills"),
         errors=[("applicant.address", "wrong_type")]),
    _bad("ssn_without_dashes", _set("applicant.national_id", "219384756"),
         errors=[("applicant.national_id", "invalid_format")]),
    _bad("ssn_area_666", _set("applicant.national_id", "666-38-4756"),
         errors=[("applicant.national_id", "invalid_number")]),
    _bad("ssn_group_zero", _set("applicant.national_id", "219-00-4756"),
         errors=[("applicant.national_id", "invalid_number")]),
    _bad("pan_luhn_failure", _set("funding.card_number", "4111111823645175"),
         errors=[("funding.card_number", "luhn_check_failed")]),
    _bad("pan_with_separators", _set("funding.card_number", "4111-1118-2364-5174"),
         errors=[("funding.card_number", "invalid_format")]),
    _bad("expiry_month_13", _set("funding.card_expiry", "13/33"), errors=[("funding.card_expiry", "invalid_format")]),
    _bad("card_expired", _set("funding.card_expiry", "01/20"), errors=[("funding.card_expiry", "expired")]),
    _bad("birth_date_impossible", _set("applicant.date_of_birth", "1984-02-30"),
         errors=[("applicant.date_of_birth", "invalid_date")]),
    _bad("birth_date_us_format", _set("applicant.date_of_birth", "09/12/1984"),
         errors=[("applicant.date_of_birth", "invalid_format")]),
    _bad("birth_date_in_future", _set("applicant.date_of_birth", "2999-01-01"),
         errors=[("applicant.date_of_birth", "invalid_date")]),
    _bad("under_age", _set("applicant.date_of_birth", "2016-03-04"),
         errors=[("applicant.date_of_birth", "under_age")]),
    _bad("unsupported_country", _set("applicant.address.country", "CA"),
         errors=[("applicant.address.country", "unsupported_country")]),
    _bad("country_not_iso", _set("applicant.address.country", "USA"),
         errors=[("applicant.address.country", "too_long")]),
    _bad("unsupported_currency", _set("funding.currency", "EUR"),
         errors=[("funding.currency", "unsupported_currency")]),
    _bad("amount_below_minimum", _set("funding.amount_cents", 5), errors=[("funding.amount_cents", "out_of_range")]),
    _bad("amount_above_maximum", _set("funding.amount_cents", 999_999_999),
         errors=[("funding.amount_cents", "out_of_range")]),
    _bad("amount_negative", _set("funding.amount_cents", -6500), errors=[("funding.amount_cents", "out_of_range")]),
    _bad("oversized_name", _set("applicant.full_name", "Leopold " * 700), errors=[("applicant.full_name", "too_long")]),
    _bad("lone_surrogate", _set("applicant.address.city", "Ravenscroft\ud800Mills"),
         errors=[("applicant.address.city", "invalid_characters")]),
    _bad("control_characters", _set("applicant.address.line1", "401 Wexford\x00Gardens\x1b[31m"),
         errors=[("applicant.address.line1", "invalid_characters")]),
    _bad("sql_injection_name", _set("applicant.full_name", "Robert'); DROP TABLE accounts;--"),
         errors=[("applicant.full_name", "invalid_format")]),
    _bad("script_injection_city", _set("applicant.address.city", "<script>alert(1)</script>"),
         errors=[("applicant.address.city", "invalid_format")]),
    _bad("template_injection_line1", _set("applicant.address.line1", "{{7*7}} Wexford Gardens"),
         errors=[("applicant.address.line1", "invalid_format")]),
    _bad("email_without_domain", _set("applicant.email", "leopold.brightwater"),
         errors=[("applicant.email", "invalid_format")]),
    # A US number without its area code (written as people do; "919-555-0172" with one is valid, in E.164).
    _bad("phone_without_area_code", _set("applicant.phone", "555-0172"),
         errors=[("applicant.phone", "invalid_number")]),
    _bad("empty_name", _set("applicant.full_name", "   "), errors=[("applicant.full_name", "empty")]),
    _bad("unknown_product", _set("product", "platinum"), errors=[("product", "invalid_choice")]),
    _bad("application_id_path_traversal", _set("application_id", "app_../../etc/passwd"),
         errors=[("application_id", "invalid_format")], application_id_usable=False),
    _bad("several_errors_at_once", _set("applicant.national_id", "000-38-4756"),
         _set("applicant.email", "leopold@@example"), _set("funding.currency", "usd"),
         errors=[("applicant.email", "invalid_format"), ("applicant.national_id", "invalid_number"),
                 ("funding.currency", "invalid_format")]),
)
