"""The errors a task Lambda lets escape: each class name is the Step Functions error name and each message names
its problem with codes only (``lambdas.errors``)."""

from __future__ import annotations

import json
import secrets

import pytest

from lambdas.errors import (
    ApplicationConflict,
    BusinessError,
    InternalError,
    StepInProgress,
    business_error,
    business_error_class,
    invalid_task_input,
)
from onboarding.models import FieldError


def test_generic_errors_carry_their_name_only() -> None:
    assert [str(error()) for error in (InternalError, ApplicationConflict, StepInProgress)] == [
        "INTERNAL_ERROR", "APPLICATION_CONFLICT", "STEP_IN_PROGRESS"]


@pytest.mark.parametrize("reason", ["A", "SANCTIONS_MATCH", "X" + "Y" * 63, "R2_D2"])
def test_a_reason_code_names_one_class_for_good(reason: str) -> None:
    made = business_error_class(reason)
    assert made is business_error_class(reason)
    assert issubclass(made, BusinessError)
    assert (made.__name__, made.reason, made.__module__) == (reason, reason, "lambdas.errors")


@pytest.mark.parametrize("reason", ["", "X" + "Y" * 64, "lower", "1ABC", "A-B", "A B"])
def test_a_reason_code_is_upper_snake_of_at_most_64_characters(reason: str) -> None:
    with pytest.raises(ValueError) as raised:
        business_error_class(reason)
    assert str(raised.value) == "a reason code is UPPER_SNAKE, at most 64 characters"


def test_a_business_error_carries_the_reason_and_the_field_codes_as_json() -> None:
    errors = [FieldError(field="applicant.email", code="invalid_format"), FieldError(field="$", code="too_large")]
    error = business_error("INVALID_APPLICATION", errors)
    assert type(error).__name__ == "INVALID_APPLICATION"
    assert str(error) == ('{"error_codes":[{"code":"invalid_format","field":"applicant.email"},'
                          '{"code":"too_large","field":"$"}],"reason":"INVALID_APPLICATION"}')


def test_only_the_baseline_adds_a_context_even_an_empty_one() -> None:
    assert "context" not in json.loads(str(business_error("DECLINED")))
    assert json.loads(str(business_error("DECLINED", context={})))["context"] == {}
    assert json.loads(str(business_error("DECLINED", context={"a": 1})))["context"] == {"a": 1}


def test_invalid_task_input_lists_each_field_once_sorted() -> None:
    assert str(invalid_task_input(["b", "a", "b"])) == "INVALID_TASK_INPUT [a, b]"
    assert str(invalid_task_input([])) == "INVALID_TASK_INPUT []"


def test_a_new_reason_code_makes_its_class_on_first_use() -> None:
    """A code no test used before (the classes are kept for the process's life, so a used one proves nothing)."""
    reason = "FRESH_" + secrets.token_hex(8).upper()
    made = business_error_class(reason)
    assert issubclass(made, BusinessError) and made is business_error_class(reason)
    assert (made.__name__, made.reason, made.__module__) == (reason, reason, "lambdas.errors")
    assert str(business_error(reason)) == f'{{"error_codes":[],"reason":"{reason}"}}'
