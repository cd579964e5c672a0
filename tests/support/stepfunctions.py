"""Helpers for the Step Functions tests: corpus runs, PII search, direct handler calls."""

from __future__ import annotations

import json
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from typing import Any

from local.onboarding import OnboardingResult, OnboardingStepFunctions
from local.stepfunctions.context import LocalLambdaContext
from local.stepfunctions.runner import ExecutionResult
from onboarding.models import Product
from scenarios import MIN_SEARCHABLE_PII_LENGTH
from scenarios.bad_inputs import base_application
from tests.support.side_effects import SideEffects


@dataclass(frozen=True)
class CorpusRun:
    results: dict[str, OnboardingResult]  # by application id
    side_effects: dict[str, SideEffects]  # by application id
    lambda_logs: dict[str, list[str]]  # by function name


def strings_in(value: Any) -> Iterator[str]:
    """Every string in a JSON-like value, and again inside strings that are themselves JSON."""
    if isinstance(value, str):
        yield value
        try:
            nested = json.loads(value)
        except ValueError:
            return
        if isinstance(nested, dict | list):
            yield from strings_in(nested)
    elif isinstance(value, dict):
        for key, item in value.items():
            yield str(key)
            yield from strings_in(item)
    elif isinstance(value, list | tuple):
        for item in value:
            yield from strings_in(item)
    elif value is not None:
        yield str(value)


def service_view(result: ExecutionResult) -> list[str]:
    """What the Step Functions service holds for one execution: DescribeExecution and every event."""
    return list(strings_in(result.description)) + [s for event in result.history for s in strings_in(event)]


def leaks(texts: Iterable[str], values: Iterable[str]) -> set[str]:
    corpus = "\n".join(texts)
    return {value for value in values if value in corpus}


def payload_values(payload: Any) -> set[str]:
    """Searchable values of an arbitrary submission: long string leaves and keys, except the id."""
    found: set[str] = set()
    if isinstance(payload, dict):
        for key, item in payload.items():
            if key != "application_id":
                found.add(str(key))
                found |= payload_values(item)
    elif isinstance(payload, list):
        for item in payload:
            found |= payload_values(item)
    elif isinstance(payload, str):
        found.add(payload)
    not_pii = _keys(base_application()) | {product.value for product in Product}
    return {value for value in found if len(value) >= MIN_SEARCHABLE_PII_LENGTH and value not in not_pii}


def _keys(payload: dict[str, Any]) -> set[str]:
    """Field names of the application schema: they appear in error codes by design."""
    keys = set(payload)
    for item in payload.values():
        if isinstance(item, dict):
            keys |= _keys(item)
    return keys


def call(sfn: OnboardingStepFunctions, function: str, event: Any) -> dict[str, Any]:
    """Invoke a handler the way Lambda does, through the router (errors come back as the runtime reports them)."""
    status, body = sfn.router.call(sfn.resources.function_name(function), event)
    payload: dict[str, Any] = json.loads(body)
    if status:
        payload["_function_error"] = status
    return payload


def context_for(sfn: OnboardingStepFunctions, function: str) -> LocalLambdaContext:
    return LocalLambdaContext(
        function_name=sfn.resources.function_name(function), function_arn=sfn.resources.function_arn(function)
    )
