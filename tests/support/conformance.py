"""Checks of a hand-written engine against its process description (:class:`contract.process.ProcessDescription`).

Each returns the problems it found as sentences naming the missing or misplaced piece (empty when the engine
conforms), so a test can assert ``== []`` and a failure reads as a to-do list.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Mapping, Sequence
from typing import Any

from contract.process import COMPENSATION_PENDING_STATE, ProcessDescription, Retry, Step

TRANSIENT_ERROR = "TransientProviderError"  # the name the Lambda error sanitizer gives a transient fault


def main_path_tasks(definition: Mapping[str, Any]) -> list[str]:
    """Task states reachable from ``StartAt`` through ``Next``, ``Choices`` and ``Default`` (not ``Catch``), in
    depth-first order with a Choice's branches before its default: the path of an application that passes every
    step."""
    states: Mapping[str, Any] = definition["States"]
    seen: list[str] = []
    pending = [definition["StartAt"]]
    while pending:
        name = pending.pop()
        if name in seen or name not in states:
            continue
        seen.append(name)
        state = states[name]
        successors = [choice["Next"] for choice in state.get("Choices", [])]
        successors += [state[key] for key in ("Next", "Default") if key in state]
        pending.extend(reversed(successors))
    return [name for name in seen if states[name]["Type"] == "Task"]


def definition_problems(process: ProcessDescription, definition_text: str) -> list[str]:
    """The Step Functions definition against the description: the main path runs the steps in order, each step's
    rejection reasons are caught on its state, transient steps retry, compensations are reachable by a Catch."""
    definition = json.loads(definition_text)
    states: Mapping[str, Any] = definition["States"]
    problems: list[str] = []
    expected = [step.state_name for step in process.steps]
    actual = main_path_tasks(definition)
    for step in process.all_steps:
        if step.state_name not in states:
            problems.append(f"the definition has no state {step.state_name} for step {step.name}")
    if [name for name in actual if name in expected] != [name for name in expected if name in actual]:
        problems.append(f"the definition runs {actual}; the description's order is {expected}")
    for name in sorted(set(actual) - set(expected)):
        problems.append(f"task state {name} on the main path is no step of the description")
    for step in process.all_steps:
        state = states.get(step.state_name)
        if state is None:
            continue
        caught = {error for catch in state.get("Catch", []) for error in catch["ErrorEquals"]}
        for reason in step.rejections:
            if reason not in caught:
                problems.append(f"state {step.state_name} does not catch {reason} (step {step.name})")
        retried = {error for retry in state.get("Retry", []) for error in retry["ErrorEquals"]}
        if step.retry is Retry.TRANSIENT and TRANSIENT_ERROR not in retried:
            problems.append(f"state {step.state_name} does not retry {TRANSIENT_ERROR} (step {step.name})")
    catch_targets = {catch["Next"] for state in states.values() for catch in state.get("Catch", [])}
    reachable = _reachable(states, catch_targets)
    for step in process.compensations:
        if step.state_name in states and step.state_name not in reachable:
            problems.append(f"compensation state {step.state_name} is reached by no Catch")
    if process.review is not None:
        review_state = states.get(process.step(process.review.step).state_name, {})
        caught = {error for catch in review_state.get("Catch", []) for error in catch["ErrorEquals"]}
        if process.review.declined not in caught:
            problems.append(f"the review state does not catch {process.review.declined}")
        if process.review.timed_out not in definition_text:
            problems.append(f"no state of the definition ends with {process.review.timed_out}")
    return problems


def _reachable(states: Mapping[str, Any], starts: Iterable[str]) -> set[str]:
    seen: set[str] = set()
    pending = list(starts)
    while pending:
        name = pending.pop()
        if name in seen or name not in states:
            continue
        seen.add(name)
        state = states[name]
        pending += [choice["Next"] for choice in state.get("Choices", [])]
        pending += [state[key] for key in ("Next", "Default") if key in state]
    return seen


def ending_step(process: ProcessDescription, reason: str) -> tuple[Step, bool] | None:
    """The step whose rejection or ``unavailable`` reason is ``reason``, and whether it is a rejection (``True``)
    or a failure for good (``False``); ``None`` for the review's reasons and unknown ones."""
    for step in process.steps:
        if reason in step.rejections or reason == step.unavailable:
            return step, reason in step.rejections
    return None


def saga_problems(process: ProcessDescription, definition_text: str) -> list[str]:
    """The definition's saga against the description: a step with an ``unavailable`` reason catches every error
    (``States.ALL``) into a state that records that reason, a rejection after a compensable step is caught too, and
    either path runs exactly the described compensations (``compensations_for``) in order before an end state
    that reports ``compensated``; each compensation state catches every error into the compensation-pending end."""
    states: Mapping[str, Any] = json.loads(definition_text)["States"]
    problems: list[str] = []
    for step in process.steps:
        state = states.get(step.state_name)
        if state is None:
            continue
        catches = {error: catch for catch in state.get("Catch", []) for error in catch["ErrorEquals"]}
        paths = [(reason, catches.get(reason), True) for reason in step.rejections
                 if process.compensations_for(step.name, rejected=True)]
        if step.unavailable is not None:
            paths.append((step.unavailable, catches.get("States.ALL"), False))
        for reason, catch, rejected in paths:
            if catch is None:
                caught = "States.ALL" if not rejected else reason
                problems.append(f"state {step.state_name} does not catch {caught} (step {step.name}, {reason})")
                continue
            problems += _compensation_path_problems(process, states, step, reason, rejected=rejected,
                                                    start=catch["Next"])
    for compensation in process.compensations:
        state = states.get(compensation.state_name, {})
        targets = [c["Next"] for c in state.get("Catch", []) if "States.ALL" in c["ErrorEquals"]]
        if targets != [COMPENSATION_PENDING_STATE]:
            problems.append(f"compensation state {compensation.state_name} does not catch States.ALL into "
                            f"{COMPENSATION_PENDING_STATE}")
    pending = states.get(COMPENSATION_PENDING_STATE, {})
    if not (pending.get("End") and pending.get("Parameters", {}).get("compensation_pending") is True):
        problems.append(f"{COMPENSATION_PENDING_STATE} is no end state reporting compensation_pending")
    return problems


def _compensation_path_problems(process: ProcessDescription, states: Mapping[str, Any], step: Step, reason: str, *,
                                rejected: bool, start: str) -> list[str]:
    tasks: list[str] = []
    recorded = reason if rejected else None  # a rejection's name is the caught error's own
    name = start
    while name in states and not states[name].get("End"):
        state = states[name]
        if state["Type"] == "Task":
            tasks.append(name)
        elif state["Type"] == "Pass" and isinstance(state.get("Result"), dict):
            recorded = state["Result"].get("Error", recorded)
        name = state.get("Next", "")
    expected = [process.step(c).state_name for c in process.compensations_for(step.name, rejected=rejected)]
    problems = []
    if tasks != expected:
        problems.append(f"{reason} from {step.state_name} runs {tasks}; the description compensates with {expected}")
    if recorded != reason:
        problems.append(f"{reason} from {step.state_name} is recorded as {recorded}")
    end = states.get(name, {}).get("Parameters", {})
    if end.get("compensated") is not True or end.get("reason.$") != "$.error.Error":
        problems.append(f"{reason} from {step.state_name} ends in {name}, which does not report the compensated "
                        "reason")
    return problems


def activity_order_problems(process: ProcessDescription, activities: Sequence[str],
                            engine_activities: Iterable[str] = ()) -> list[str]:
    """The activities a workflow ran for an application that passed every step, against the described steps."""
    ran = [name for name in activities if name not in set(engine_activities)]
    expected = [step.name for step in process.steps]
    problems = [f"the workflow never runs step {name}" for name in expected if name not in ran]
    problems += [f"the workflow runs {name}, which is no step of the description" for name in ran
                 if name not in {step.name for step in process.all_steps}]
    if not problems and ran != expected:
        problems.append(f"the workflow runs {ran}; the description's order is {expected}")
    return problems


def reason_coverage_problems(process: ProcessDescription, expected_reasons: Iterable[str | None]) -> list[str]:
    """Every reason the process can end with is the expected outcome of some scenario of the corpus."""
    covered = {reason for reason in expected_reasons if reason is not None}
    return [f"no scenario ends with {reason}: add one to the corpus" for reason in process.reasons
            if reason not in covered]
