"""The ASL definition keeps the contract with the registry, the handlers and the Temporal side."""

from __future__ import annotations

import json
import re
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from contract.definition import DefinitionError, read_definition, render
from contract.onboarding import DEFINITION_PATH, ONBOARDING, ONBOARDING_FUNCTIONS, onboarding_asl
from contract.process import COMPENSATION_PENDING_STATE, StepKind
from contract.registry import find_function, state_machine_functions
from lambdas import errors
from local.stepfunctions.deployed_definition import definition_from_template
from onboarding.models import Outcome, RejectionReason

ASL: dict[str, Any] = json.loads(read_definition(DEFINITION_PATH))
STATES: dict[str, dict[str, Any]] = ASL["States"]
TASKS = {name: state for name, state in STATES.items() if state["Type"] == "Task"}


def retriers(state: dict[str, Any]) -> Iterator[dict[str, Any]]:
    yield from state.get("Retry", [])


def test_placeholders_are_exactly_the_registry_functions_the_state_machine_calls() -> None:
    placeholders = set(re.findall(r"\$\{([A-Za-z]+)\}", read_definition(DEFINITION_PATH)))
    assert placeholders == {f.substitution_key for f in state_machine_functions(ONBOARDING_FUNCTIONS)}
    assert not find_function(ONBOARDING_FUNCTIONS, "intake").in_state_machine  # a client calls it; it is not a state
    in_definition = {f.name for f in state_machine_functions(ONBOARDING_FUNCTIONS)}
    assert {f.name for f in ONBOARDING_FUNCTIONS} - in_definition == {"intake"}


def test_every_task_is_a_lambda_invoke_with_a_timeout() -> None:
    assert set(TASKS) == {step.state_name for step in ONBOARDING.all_steps}  # one task state per described step
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
    # A step that fails for good raises no reason of its own: the catch-all records its described reason.
    unavailable = {step.unavailable for step in ONBOARDING.steps if step.unavailable is not None}
    reasons = {reason.value for reason in RejectionReason} - {"REVIEW_TIMEOUT"} - unavailable
    assert reasons <= caught
    assert {"States.Timeout", "States.HeartbeatTimeout"} <= caught  # the review timeout
    assert caught - reasons - {"States.Timeout", "States.HeartbeatTimeout", "States.ALL"} == set()
    # The catch-all only where the saga needs it: the steps that fail for good and the compensations.
    catch_all = {name for name, state in TASKS.items()
                 if any("States.ALL" in c["ErrorEquals"] for c in state.get("Catch", []))}
    assert catch_all == {step.state_name for step in ONBOARDING.all_steps
                         if step.unavailable is not None or step.kind is StepKind.COMPENSATION}
    for state in TASKS.values():  # a catch-all comes last, or it would swallow a business rejection
        assert all("States.ALL" not in c["ErrorEquals"] for c in state.get("Catch", [])[:-1])
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
    # The decline first: the catch-all after it is the saga for every other failure (tests/contract/test_onboarding).
    assert [c["ErrorEquals"] for c in catch] == [["FUNDING_DECLINED"], ["States.ALL"]]
    assert catch[0]["Next"] == "CloseAccount"
    assert STATES["CloseAccount"]["Next"] == "Compensated"
    assert STATES["Compensated"]["Parameters"]["compensated"] is True
    assert STATES["Compensated"]["Parameters"]["reason.$"] == catch[0]["ResultPath"] + ".Error"  # FUNDING_DECLINED


def test_a_compensation_that_cannot_finish_ends_saying_so() -> None:
    pending = STATES[COMPENSATION_PENDING_STATE]
    assert pending["End"] and pending["Parameters"]["compensation_pending"] is True
    assert pending["Parameters"]["compensated"] is False and pending["Parameters"]["status"] == "FAILED"
    for step in ONBOARDING.compensations:
        assert [c["Next"] for c in TASKS[step.state_name]["Catch"]] == [COMPENSATION_PENDING_STATE], step.name


def test_every_end_state_builds_an_outcome() -> None:
    ends = {name: state for name, state in STATES.items() if state.get("End")}
    assert set(ends) == {"Approved", "Rejected", "ReviewTimedOut", "Compensated", COMPENSATION_PENDING_STATE,
                         "InvalidApplication"}
    for name, state in ends.items():
        fields = {key.removesuffix(".$") for key in state["Parameters"]}
        assert fields == set(Outcome.model_fields), name


def arn(name: str) -> str:
    return f"arn:aws:lambda:us-east-1:123456789012:function:x-{name}"


def test_render_substitutes_every_placeholder_and_nothing_else() -> None:
    rendered = onboarding_asl().render(arn)
    assert "${" not in rendered
    assert json.loads(rendered)["States"]["Validate"]["Parameters"]["FunctionName"] == arn("validate")


@pytest.mark.parametrize(
    ("extra", "message"),
    [(None, "no substitution for: AssessRiskFunctionArn"), ("IntakeFunctionArn", "not used by the definition: Intake")],
)
def test_render_refuses_missing_or_unused_substitutions(extra: str | None, message: str) -> None:
    values = {f.substitution_key: arn(f.name) for f in state_machine_functions(ONBOARDING_FUNCTIONS)}
    if extra is None:
        values.pop("AssessRiskFunctionArn")
    else:
        values[extra] = arn("intake")
    with pytest.raises(DefinitionError, match=message):
        render(read_definition(DEFINITION_PATH), values)


def template(wiring: dict[str, str], *, handlers: dict[str, str] | None = None) -> dict[str, Any]:
    """A stack template in the shape CDK synthesizes: the machine's substitutions point at function resources."""
    handlers = handlers or {f.name: f.handler for f in ONBOARDING_FUNCTIONS}
    resources: dict[str, Any] = {f"Fn{name}": {"Type": "AWS::Lambda::Function", "Properties": {"Handler": handler}}
                                 for name, handler in handlers.items()}
    resources["Machine"] = {"Type": "AWS::StepFunctions::StateMachine", "Properties": {
        "DefinitionString": read_definition(DEFINITION_PATH),
        "DefinitionSubstitutions": {key: {"Fn::GetAtt": [f"Fn{name}", "Arn"]} for key, name in wiring.items()}}}
    return {"Resources": resources}


REGISTRY_WIRING = {f.substitution_key: f.name for f in state_machine_functions(ONBOARDING_FUNCTIONS)}


def test_the_template_definition_follows_each_substitution_to_its_function_handler() -> None:
    assert definition_from_template(template(REGISTRY_WIRING), ONBOARDING_FUNCTIONS) == onboarding_asl()
    swapped = {**REGISTRY_WIRING, "ValidateFunctionArn": "notify", "NotifyFunctionArn": "validate"}
    deployed = definition_from_template(template(swapped), ONBOARDING_FUNCTIONS)
    states = json.loads(deployed.render(arn))["States"]
    # Miswired in the template means miswired locally too: the local run would call the notify handler.
    assert states["Validate"]["Parameters"]["FunctionName"] == arn("notify")
    assert states["Notify"]["Parameters"]["FunctionName"] == arn("validate")


@pytest.mark.parametrize(
    ("change", "message"),
    [
        (lambda t: t["Resources"].pop("Machine"), "expected one AWS::StepFunctions::StateMachine"),
        (lambda t: t["Resources"]["Machine"]["Properties"].update(DefinitionString={"Fn::Join": ["", []]}),
         "not a literal string"),
        (lambda t: t["Resources"]["Machine"]["Properties"]["DefinitionSubstitutions"].update(
            ValidateFunctionArn="arn:aws:lambda:us-east-1:1:function:elsewhere"), "ValidateFunctionArn: expected"),
        (lambda t: t["Resources"]["Fnvalidate"].update(Type="AWS::SQS::Queue"), "is not a AWS::Lambda::Function"),
        (lambda t: t["Resources"]["Fnvalidate"]["Properties"].update(Handler="other.handler"),
         "runs no task function's handler"),
    ],
)
def test_a_template_the_runner_cannot_follow_is_refused(change: Any, message: str) -> None:
    broken = template(REGISTRY_WIRING)
    change(broken)
    with pytest.raises(DefinitionError, match=message):
        definition_from_template(broken, ONBOARDING_FUNCTIONS)


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


def test_each_definition_error_names_its_problem(tmp_path: Path) -> None:
    """The renderer's errors, word for word: the missing file, the line of bad JSON, the placeholders without a
    value and the values without a placeholder (each list sorted), a template with neither path nor text."""
    from contract.definition import DefinitionTemplate, check_substitutions, placeholders

    with pytest.raises(DefinitionError) as missing:
        read_definition(tmp_path / "absent.asl.json")
    assert str(missing.value) == f"state machine definition not found: {tmp_path / 'absent.asl.json'}"
    broken = tmp_path / "broken.asl.json"
    broken.write_text('{\n"a": 1,\n}', encoding="utf-8")
    with pytest.raises(DefinitionError) as not_json:
        read_definition(broken)
    assert str(not_json.value) == "broken.asl.json is not valid JSON (line 3)"
    text = '{"a": "${B_2}", "b": "${a}", "c": "${a}", "d": "$(x)", "e": "${-}"}'
    assert placeholders(text) == {"B_2", "a"}
    with pytest.raises(DefinitionError) as no_value:
        check_substitutions(text, ["a"])
    assert str(no_value.value) == "no substitution for: B_2"
    with pytest.raises(DefinitionError) as no_values:
        check_substitutions(text, [])
    assert str(no_values.value) == "no substitution for: B_2, a"
    with pytest.raises(DefinitionError) as unused:
        check_substitutions(text, ["a", "B_2", "z", "y"])
    assert str(unused.value) == "substitutions not used by the definition: y, z"
    assert render(text, {"a": "1", "B_2": "2"}) == '{"a": "2", "b": "1", "c": "1", "d": "$(x)", "e": "${-}"}'
    with pytest.raises(DefinitionError) as rendered_broken:
        render('{"a": ${a}}', {"a": "not json"})
    assert str(rendered_broken.value) == "the rendered definition is not valid JSON (line 1)"
    with pytest.raises(DefinitionError) as neither:
        DefinitionTemplate.asl(())
    assert str(neither.value) == "DefinitionTemplate.asl needs the definition's path or text"
    variant = DefinitionTemplate.asl((), text='{"a": 1}')
    assert (variant.text, dict(variant.functions), variant.source) == ('{"a": 1}', {}, "a variant of the ASL file")
    good = tmp_path / "good.asl.json"
    good.write_text('{"a": 1}', encoding="utf-8")
    assert DefinitionTemplate.asl((), path=good).source == "the ASL file good.asl.json"
    assert DefinitionTemplate.asl((), path=good).render(lambda name: name) == '{"a": 1}'
