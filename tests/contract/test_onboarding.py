"""The onboarding process as described (``contract.onboarding.ONBOARDING``) against everything hand-written for it:
the Step Functions definition, the worker's activities, the task Lambdas' handlers and the scenario corpus.

An omission fails here in seconds, naming what is missing (the workflow's own order is checked on the time-skipping
server in ``tests/workers/test_workflow.py``). Each check is also run against a description with one step more,
so it is known to catch a step added to the description but to nothing else.
"""

from __future__ import annotations

import dataclasses
import importlib
import json

import pytest

from contract.definition import read_definition
from contract.onboarding import DEFINITION_PATH, ONBOARDING, ONBOARDING_FUNCTIONS
from contract.process import ProcessDescription, Step, StepKind
from contract.registry import task_functions
from onboarding.adapters.memory import in_memory_adapters
from scenarios import SCENARIOS
from scenarios.faults import FAULT_CASES
from tests.support.conformance import definition_problems, reason_coverage_problems, saga_problems
from workers.activities import OnboardingActivities
from workers.registration import ONBOARDING_WORKER
from workers.worker import RegistrationError, activities_for

NEW_STEP = Step(name="check_device_reputation", rejections=("DEVICE_HIGH_RISK",))
# Every case the corpora run: the scenarios, and the fault cases for what no submission can trigger (a store down).
EXPECTED_REASONS = tuple(case.expected.reason for case in (*SCENARIOS, *(fault.scenario for fault in FAULT_CASES)))


def _with_new_step(process: ProcessDescription) -> ProcessDescription:
    """The description with a step between identity verification and risk, as FORKING.md's example adds."""
    steps = list(process.steps)
    steps.insert([step.name for step in steps].index("verify_identity") + 1, NEW_STEP)
    return dataclasses.replace(process, steps=tuple(steps))


def test_the_definition_runs_every_step_in_order_and_catches_every_reason() -> None:
    assert definition_problems(ONBOARDING, read_definition(DEFINITION_PATH)) == []


def test_a_step_the_definition_lacks_is_named() -> None:
    problems = definition_problems(_with_new_step(ONBOARDING), read_definition(DEFINITION_PATH))
    assert "the definition has no state CheckDeviceReputation for step check_device_reputation" in problems


def test_a_reason_the_definition_does_not_catch_is_named() -> None:
    steps = tuple(dataclasses.replace(step, rejections=(*step.rejections, "NEW_REASON"))
                  if step.name == "screen_sanctions" else step for step in ONBOARDING.steps)
    problems = definition_problems(dataclasses.replace(ONBOARDING, steps=steps), read_definition(DEFINITION_PATH))
    assert problems == ["state ScreenSanctions does not catch NEW_REASON (step screen_sanctions)"]


def test_every_step_has_an_activity_and_every_activity_a_step() -> None:
    activities = activities_for(ONBOARDING_WORKER, OnboardingActivities(in_memory_adapters()))
    names = {getattr(activity, "__name__", "") for activity in activities}
    assert {step.name for step in ONBOARDING.all_steps} <= names


def test_a_step_without_an_activity_stops_the_worker_naming_it() -> None:
    registration = dataclasses.replace(ONBOARDING_WORKER, process=_with_new_step(ONBOARDING))
    with pytest.raises(RegistrationError, match=r"no activity registered for step\(s\) check_device_reputation"):
        activities_for(registration, OnboardingActivities(in_memory_adapters()))


def test_every_task_function_has_its_handler_module() -> None:
    for function in ONBOARDING_FUNCTIONS:
        module, _, attribute = function.handler.rpartition(".")
        assert callable(getattr(importlib.import_module(module), attribute)), function.handler


def test_a_step_without_a_handler_module_is_named() -> None:
    (missing,) = (f for f in task_functions(_with_new_step(ONBOARDING)) if f.name == NEW_STEP.name)
    with pytest.raises(ModuleNotFoundError, match=r"lambdas\.handlers\.check_device_reputation"):
        importlib.import_module(missing.handler.rpartition(".")[0])


def test_every_reason_is_the_outcome_of_some_scenario() -> None:
    assert reason_coverage_problems(ONBOARDING, EXPECTED_REASONS) == []


def test_a_reason_no_scenario_reaches_is_named() -> None:
    problems = reason_coverage_problems(_with_new_step(ONBOARDING), EXPECTED_REASONS)
    assert problems == ["no scenario ends with DEVICE_HIGH_RISK: add one to the corpus"]


def test_the_definition_runs_the_described_saga() -> None:
    assert saga_problems(ONBOARDING, read_definition(DEFINITION_PATH)) == []


def test_a_step_failing_for_good_that_the_definition_does_not_catch_is_named() -> None:
    definition = json.loads(read_definition(DEFINITION_PATH))
    del definition["States"]["Notify"]["Catch"]
    problems = saga_problems(ONBOARDING, json.dumps(definition))
    assert problems == ["state Notify does not catch States.ALL (step notify, NOTIFICATION_UNAVAILABLE)"]


def test_a_compensation_the_definition_does_not_run_is_named() -> None:
    """A compensation described for notify (say, retracting the welcome message) but missing from the definition."""
    retract = Step(name="retract_welcome", kind=StepKind.COMPENSATION)
    steps = tuple(dataclasses.replace(step, compensation=retract.name) if step.name == "notify" else step
                  for step in ONBOARDING.steps)
    process = dataclasses.replace(ONBOARDING, steps=steps, compensations=(retract, *ONBOARDING.compensations))
    problems = saga_problems(process, read_definition(DEFINITION_PATH))
    assert problems == [
        "NOTIFICATION_UNAVAILABLE from Notify runs ['RefundCharge', 'CloseAccount']; the description compensates "
        "with ['RetractWelcome', 'RefundCharge', 'CloseAccount']",
        "compensation state RetractWelcome does not catch States.ALL into CompensationPending",
    ]
