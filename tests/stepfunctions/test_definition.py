"""The ASL definition keeps the contract with the registry, the handlers and the Temporal side."""

from __future__ import annotations

import json
import re
from collections.abc import Iterator
from typing import Any

import pytest

from lambdas import errors
from lambdas.local import definition
from lambdas.registry import TASK_FUNCTIONS, state_machine_functions, task_function
from onboarding.models import Outcome, RejectionReason

ASL: dict[str, Any] = json.loads(definition.load_template())
STATES: dict[str, dict[str, Any]] = ASL["States"]
TASKS = {name: state for name, state in STATES.items() if state["Type"] == "Task"}


def retriers(state: dict[str, Any]) -> Iterator[dict[str, Any]]:
    yield from state.get("Retry", [])


def test_placeholders_are_exactly_the_registry_functions_the_state_machine_calls() -> None:
    placeholders = set(re.findall(r"\$\{([A-Za-z]+)\}", definition.load_template()))
    assert placeholders == {f.substitution_key for f in state_machine_functions()}
    assert not task_function("intake").in_state_machine  # a client calls it; it is not a state
    assert {f.name for f in TASK_FUNCTIONS} - {f.name for f in state_machine_functions()} == {"intake"}


def test_every_task_is_a_lambda_invoke_with_a_timeout() -> None:
    assert len(TASKS) == 9
    for name, state in TASKS.items():
        assert state["Resource"] in {f"arn:aws:states:::lambda:invoke{s}" for s in ("", ".waitForTaskToken")}
        assert re.fullmatch(r"\$\{[A-Za-z]+FunctionArn\}", state["Parameters"]["FunctionName"]), name
        assert "TimeoutSeconds" in state or "TimeoutSecondsPath" in state, name


def test_every_retry_backs_off_with_full_jitter_and_a_delay_cap() -> None:
    for name, state in TASKS.items():
        policies = list(retriers(state))
        assert any(set(errors.LAMBDA_SERVICE_ERRORS) <= set(p["ErrorEquals"]) for p in policies), name
        for policy in policies:
            assert policy["JitterStrategy"] == "FULL", name
            assert policy["BackoffRate"] > 1 and policy["MaxDelaySeconds"] >= policy["IntervalSeconds"], name
            assert not {"States.ALL", *RejectionReason} & set(policy["ErrorEquals"]), name  # never retry a decision


def test_transient_provider_faults_are_retried_enough_for_the_corpus() -> None:
    transient = [p for p in retriers(TASKS["VerifyIdentity"]) if "TransientProviderError" in p["ErrorEquals"]]
    assert len(transient) == 1 and transient[0]["MaxAttempts"] >= 3  # the corpus fails at most 3 times in a row
    assert errors.TransientProviderError.__name__ == "TransientProviderError"
    payload = TASKS["VerifyIdentity"]["Parameters"]["Payload"]
    assert payload["attempt.$"] == "States.MathAdd($$.State.RetryCount, 1)"


def test_every_rejection_reason_is_caught_by_its_error_name() -> None:
    caught = {name for state in TASKS.values() for c in state.get("Catch", []) for name in c["ErrorEquals"]}
    reasons = {reason.value for reason in RejectionReason} - {"REVIEW_TIMEOUT"}
    assert reasons <= caught
    assert {"States.Timeout", "States.HeartbeatTimeout"} <= caught  # the review timeout
    assert caught - reasons - {"States.Timeout", "States.HeartbeatTimeout"} == set()
    for reason in RejectionReason:
        assert errors.business_error_class(reason).__name__ == reason.value


def test_manual_review_waits_for_a_token_with_heartbeat_and_input_timeout() -> None:
    review = TASKS["ManualReview"]
    assert review["Resource"].endswith(".waitForTaskToken")
    assert review["TimeoutSecondsPath"] == "$.review_timeout_seconds"
    assert isinstance(review["HeartbeatSeconds"], int) and review["HeartbeatSeconds"] > 0
    assert review["Parameters"]["Payload"]["task_token.$"] == "$$.Task.Token"
    assert review["ResultSelector"] == {"decision.$": "$.decision"}  # nothing else from the reviewer is kept


def test_funding_decline_compensates_before_failing() -> None:
    catch = TASKS["FundAccount"]["Catch"]
    assert [c["ErrorEquals"] for c in catch] == [["FUNDING_DECLINED"]] and catch[0]["Next"] == "CloseAccount"
    assert STATES["CloseAccount"]["Next"] == "FundingDeclined"
    assert STATES["FundingDeclined"]["Parameters"]["compensated"] is True


def test_every_end_state_builds_an_outcome() -> None:
    ends = {name: state for name, state in STATES.items() if state.get("End")}
    assert set(ends) == {"Approved", "Rejected", "ReviewTimedOut", "FundingDeclined", "InvalidApplication"}
    for name, state in ends.items():
        fields = {key.removesuffix(".$") for key in state["Parameters"]}
        assert fields == set(Outcome.model_fields), name


def test_render_substitutes_every_placeholder_and_nothing_else() -> None:
    arns = {f.name: f"arn:aws:lambda:us-east-1:123456789012:function:x-{f.name}" for f in TASK_FUNCTIONS}
    rendered = definition.render(definition.load_template(), definition.function_substitutions(arns))
    assert "${" not in rendered
    assert json.loads(rendered)["States"]["Validate"]["Parameters"]["FunctionName"] == arns["validate"]


@pytest.mark.parametrize(
    ("substitutions", "message"),
    [({}, "no substitution for: AssessRiskFunctionArn"), ({"Extra": "x"}, "not used by the definition: Extra")],
)
def test_render_refuses_missing_or_unused_substitutions(substitutions: dict[str, str], message: str) -> None:
    template = definition.load_template()
    if substitutions:
        arns = {f.name: "arn" for f in TASK_FUNCTIONS}
        substitutions = {**definition.function_substitutions(arns), **substitutions}
    with pytest.raises(definition.DefinitionError, match=message):
        definition.render(template, substitutions)


def test_retry_budget_and_retried_errors_match_the_temporal_retry_policy() -> None:
    """Parity: Temporal retries any non-business failure (timeouts, unexpected errors) up to its attempt limit;
    every plain task here retries transient faults, timeouts and unexpected errors with the same budget."""
    from workers.workflows import RETRY_POLICY

    for name, state in TASKS.items():
        if state["Resource"].endswith(".waitForTaskToken"):
            continue  # a review's timeout is the REVIEW_TIMEOUT decision, not a fault
        retried = {error: policy["MaxAttempts"] for policy in retriers(state) for error in policy["ErrorEquals"]}
        faults = ("TransientProviderError", "States.Timeout", "Sandbox.Timedout", "Lambda.Unknown", "InternalError")
        for error in faults:
            assert error in retried, (name, error)
            assert retried[error] + 1 == RETRY_POLICY.maximum_attempts, (name, error)
