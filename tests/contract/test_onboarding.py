"""The onboarding process as described (``contract.onboarding.ONBOARDING``) against everything hand-written for it:
the Step Functions definition, the worker's activities, the task Lambdas' handlers and the scenario corpus.

An omission fails here, naming what is missing: this module is the quick check of FORKING.md (run it without ``-x``
to see every missing piece at once). Each check is also run against a description with one step more (a made-up
``example_check``), so it is known to catch a step added to the description but to nothing else.
"""

from __future__ import annotations

import dataclasses
import importlib
import json
import uuid
from concurrent.futures import ThreadPoolExecutor

import pytest
from temporalio.testing import WorkflowEnvironment

from contract.definition import read_definition
from contract.onboarding import DEFINITION_PATH, ONBOARDING, ONBOARDING_FUNCTIONS
from contract.process import ProcessDescription, Step, StepKind
from contract.profile import Profile
from contract.registry import task_functions
from local.temporal import TEMPORAL_TEST_SERVER, require_binary
from onboarding.adapters.memory import in_memory_adapters
from onboarding.models import ReviewDecision
from scenarios import SCENARIOS, new_application_id
from scenarios.faults import FAULT_CASES
from tests.support.conformance import (
    activity_order_problems,
    definition_problems,
    reason_coverage_problems,
    saga_problems,
)
from tests.support.temporal import keyring_codec, run_scenario
from workers.activities import OnboardingActivities
from workers.converter import data_converter
from workers.messages import PRODUCTION_REVIEW_TIMEOUT_SECONDS
from workers.registration import ONBOARDING_WORKER
from workers.worker import RegistrationError, activities_for, build_worker

NEW_STEP = Step(name="example_check", rejections=("EXAMPLE_CHECK_FAILED",))
# Every case the corpora run: the scenarios, and the fault cases for what no submission can trigger (a store down).
EXPECTED_REASONS = tuple(case.expected.reason for case in (*SCENARIOS, *(fault.scenario for fault in FAULT_CASES)))


def _with_new_step(process: ProcessDescription) -> ProcessDescription:
    """The description with a made-up step after identity verification (a name no fork will use)."""
    steps = list(process.steps)
    steps.insert([step.name for step in steps].index("verify_identity") + 1, NEW_STEP)
    return dataclasses.replace(process, steps=tuple(steps))


def test_the_definition_runs_every_step_in_order_and_catches_every_reason() -> None:
    assert definition_problems(ONBOARDING, read_definition(DEFINITION_PATH)) == []


def test_a_step_the_definition_lacks_is_named() -> None:
    problems = definition_problems(_with_new_step(ONBOARDING), read_definition(DEFINITION_PATH))
    assert "the definition has no state ExampleCheck for step example_check" in problems


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
    with pytest.raises(RegistrationError, match=r"no activity registered for step\(s\) example_check"):
        activities_for(registration, OnboardingActivities(in_memory_adapters()))


def test_every_task_function_has_its_handler_module() -> None:
    for function in ONBOARDING_FUNCTIONS:
        module, _, attribute = function.handler.rpartition(".")
        assert callable(getattr(importlib.import_module(module), attribute)), function.handler


def test_a_step_without_a_handler_module_is_named() -> None:
    (missing,) = (f for f in task_functions(_with_new_step(ONBOARDING)) if f.name == NEW_STEP.name)
    with pytest.raises(ModuleNotFoundError, match=r"lambdas\.handlers\.example_check"):
        importlib.import_module(missing.handler.rpartition(".")[0])


def test_every_reason_is_the_outcome_of_some_scenario() -> None:
    assert reason_coverage_problems(ONBOARDING, EXPECTED_REASONS) == []


def test_a_reason_no_scenario_reaches_is_named() -> None:
    problems = reason_coverage_problems(_with_new_step(ONBOARDING), EXPECTED_REASONS)
    assert problems == ["no scenario ends with EXAMPLE_CHECK_FAILED: add one to the corpus"]


async def test_the_workflow_runs_every_described_step_in_order() -> None:
    """The application that passes every step (a review, approved) runs exactly the described main path, on the
    time-skipping server with an in-process worker."""
    passes_everything = next(case for case in SCENARIOS if case.review_decision is ReviewDecision.APPROVE
                             and case.identity_transient_failures == 0)
    converter = data_converter(Profile.HARDENED, codec=keyring_codec())
    async with await WorkflowEnvironment.start_time_skipping(
        test_server_existing_path=require_binary(TEMPORAL_TEST_SERVER), data_converter=converter
    ) as env:
        task_queue = f"conformance-{uuid.uuid4().hex[:8]}"
        with ThreadPoolExecutor(4) as executor:
            async with build_worker(env.client, ONBOARDING_WORKER, task_queue=task_queue,
                                    stores=in_memory_adapters(), executor=executor):
                application_id = new_application_id()
                await run_scenario(env.client, passes_everything, application_id, task_queue=task_queue,
                                   review_timeout_seconds=PRODUCTION_REVIEW_TIMEOUT_SECONDS)
                history = await env.client.get_workflow_handle(application_id).fetch_history()
    ran = [event.activity_task_scheduled_event_attributes.activity_type.name for event in history.events
           if event.HasField("activity_task_scheduled_event_attributes")]
    assert activity_order_problems(ONBOARDING, ran, ONBOARDING_WORKER.engine_activities) == []


def test_a_step_gets_the_submission_exactly_when_the_description_says_it_reads_it() -> None:
    # IAM gives a step's function a read of the claim check only when Step.reads_submission says so
    # (infra.task_access); the definition must agree, or a function would be handed a reference it may not read.
    states = json.loads(read_definition(DEFINITION_PATH))["States"]
    for step in ONBOARDING.all_steps:
        payload = states[step.state_name]["Parameters"]["Payload"]
        assert ("submission.$" in payload) is step.reads_submission, step.name
    assert not all(step.reads_submission for step in ONBOARDING.all_steps)  # some step works from ids alone


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
