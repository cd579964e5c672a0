"""Every scenario on the time-skipping test server, checked for parity with the reference process."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import pytest
from temporalio import client as client_interceptors
from temporalio.api.history.v1 import History
from temporalio.client import Client, WorkflowHandle
from temporalio.converter import DataConverter
from temporalio.testing import WorkflowEnvironment

from contract.onboarding import ONBOARDING
from onboarding.adapters.memory import in_memory_adapters
from onboarding.models import OutcomeStatus, RejectionReason, ReviewDecision
from onboarding.steps import run_onboarding
from ops.starter import StarterError, current_step, start_onboarding, submit_review
from scenarios import SCENARIOS, Scenario, new_application_id, scenario
from tests.support.conformance import activity_order_problems
from tests.support.side_effects import SideEffects, matches_expected
from tests.support.temporal import run_scenario, wait_for_step
from tests.workers.conftest import RunningWorker
from workers.codec import is_encrypted
from workers.messages import PRODUCTION_REVIEW_TIMEOUT_SECONDS, OnboardingInput, Step
from workers.workflows import WORKFLOW_ID_MISMATCH, OnboardingWorkflow


@pytest.mark.parametrize("case", SCENARIOS, ids=lambda case: case.name)
async def test_scenario_matches_reference_process(
    case: Scenario, ts_worker: RunningWorker, time_skipping_env: WorkflowEnvironment
) -> None:
    application_id = new_application_id()
    outcome = await run_scenario(
        ts_worker.client, case, application_id, task_queue=ts_worker.task_queue,
        review_timeout_seconds=PRODUCTION_REVIEW_TIMEOUT_SECONDS,
    )
    reference_adapters = in_memory_adapters()
    reference = run_onboarding(
        case.application(application_id=application_id),
        adapters=reference_adapters,
        today=(await time_skipping_env.get_current_time()).date(),
        reviewer=lambda _: case.review_decision,
    )
    assert outcome == reference
    assert SideEffects.of(ts_worker.adapters, application_id) == SideEffects.of(reference_adapters, application_id)
    assert matches_expected(case, outcome, SideEffects.of(ts_worker.adapters, application_id)) == []
    assert await current_step(ts_worker.client, application_id) == Step.COMPLETED.value


async def test_a_72_hour_review_timeout_is_skipped(
    ts_worker: RunningWorker, time_skipping_env: WorkflowEnvironment
) -> None:
    before = await time_skipping_env.get_current_time()
    outcome = await run_scenario(
        ts_worker.client, scenario("review_timeout"), new_application_id(), task_queue=ts_worker.task_queue,
        review_timeout_seconds=PRODUCTION_REVIEW_TIMEOUT_SECONDS,
    )
    assert outcome.reason is RejectionReason.REVIEW_TIMEOUT
    assert await time_skipping_env.get_current_time() - before >= timedelta(hours=72)


async def test_starting_an_application_twice_yields_one_execution(ts_worker: RunningWorker) -> None:
    application_id = new_application_id()
    submission = scenario("review_approved").application(application_id=application_id)
    first = await start_onboarding(ts_worker.client, submission, task_queue=ts_worker.task_queue)
    await wait_for_step(ts_worker.client, application_id, Step.AWAITING_REVIEW)
    while_running = await start_onboarding(ts_worker.client, submission, task_queue=ts_worker.task_queue)
    await submit_review(ts_worker.client, application_id, ReviewDecision.APPROVE)
    await first.result()
    after_close = await start_onboarding(ts_worker.client, submission, task_queue=ts_worker.task_queue)
    run_ids = {(await handle.describe()).run_id for handle in (first, while_running, after_close)}
    assert len(run_ids) == 1
    assert len(ts_worker.adapters.charges.for_application(application_id)) == 1


async def test_a_second_review_decision_is_refused(ts_worker: RunningWorker) -> None:
    application_id = new_application_id()
    handle = await start_onboarding(
        ts_worker.client, scenario("review_declined").application(application_id=application_id),
        task_queue=ts_worker.task_queue,
    )
    await wait_for_step(ts_worker.client, application_id, Step.AWAITING_REVIEW)
    await submit_review(ts_worker.client, application_id, ReviewDecision.DECLINE)
    with pytest.raises(StarterError, match="not awaiting a review decision"):
        await submit_review(ts_worker.client, application_id, ReviewDecision.APPROVE)
    outcome = await handle.result()
    assert outcome.reason is RejectionReason.REVIEW_DECLINED
    review = ts_worker.adapters.reviews.get(application_id)
    assert review is not None and review.decision is ReviewDecision.DECLINE


async def test_a_decision_for_an_onboarding_without_review_is_refused(ts_worker: RunningWorker) -> None:
    application_id = new_application_id()
    handle = await start_onboarding(
        ts_worker.client, scenario("approved_low_risk").application(application_id=application_id),
        task_queue=ts_worker.task_queue,
    )
    assert (await handle.result()).status is OutcomeStatus.APPROVED
    with pytest.raises(StarterError, match="not awaiting a review decision"):
        await submit_review(ts_worker.client, application_id, ReviewDecision.APPROVE)
    assert ts_worker.adapters.reviews.get(application_id) is None


async def test_a_submission_under_another_workflow_id_is_rejected_without_side_effects(
    ts_worker: RunningWorker,
) -> None:
    submitted_id, workflow_id = new_application_id(), new_application_id()
    outcome = await ts_worker.client.execute_workflow(
        OnboardingWorkflow.run,
        OnboardingInput(submission=scenario("approved_low_risk").application(application_id=submitted_id)),
        id=workflow_id, task_queue=ts_worker.task_queue,
    )
    assert outcome.reason is RejectionReason.INVALID_APPLICATION
    assert outcome.error_codes == (WORKFLOW_ID_MISMATCH,)
    for application_id in (submitted_id, workflow_id):
        effects = SideEffects.of(ts_worker.adapters, application_id)
        assert effects.account is None and effects.charges == () and effects.review is None


def test_the_review_validator_accepts_a_decision_only_while_awaiting_review() -> None:
    workflow = OnboardingWorkflow()
    with pytest.raises(ValueError, match="not awaiting"):
        workflow._accept_review_only_while_awaiting(ReviewDecision.APPROVE)
    workflow._step = Step.AWAITING_REVIEW
    workflow._accept_review_only_while_awaiting(ReviewDecision.APPROVE)
    OnboardingWorkflow.submit_review(workflow, ReviewDecision.APPROVE)
    with pytest.raises(ValueError, match="not awaiting"):
        workflow._accept_review_only_while_awaiting(ReviewDecision.DECLINE)


class _HeaderAdder(client_interceptors.Interceptor):
    """Adds a header as a tracing or auth-propagation interceptor would (here carrying a sensitive value)."""

    def intercept_client(
        self, next: client_interceptors.OutboundInterceptor
    ) -> client_interceptors.OutboundInterceptor:
        return _AddHeader(next)


class _AddHeader(client_interceptors.OutboundInterceptor):
    async def start_workflow(self, input: client_interceptors.StartWorkflowInput) -> WorkflowHandle[Any, Any]:
        header = DataConverter.default.payload_converter.to_payload(HEADER_SECRET)
        input.headers = {**input.headers, "x-propagated": header}
        return await super().start_workflow(input)


HEADER_SECRET = "header-borne amelia.hartwell@example.com"


async def test_headers_are_encrypted_too(ts_worker: RunningWorker) -> None:
    config = ts_worker.client.config()
    config["interceptors"] = [*config["interceptors"], _HeaderAdder()]
    client, application_id = Client(**config), new_application_id()
    handle = await start_onboarding(
        client, scenario("approved_low_risk").application(application_id=application_id),
        task_queue=ts_worker.task_queue,
    )
    assert (await handle.result()).status is OutcomeStatus.APPROVED  # the worker decoded the header
    history = await handle.fetch_history()
    header = history.events[0].workflow_execution_started_event_attributes.header.fields["x-propagated"]
    assert is_encrypted(header)
    assert HEADER_SECRET.encode() not in History(events=history.events).SerializeToString()


async def _activity_types(client: Client, workflow_id: str) -> list[str]:
    history = await client.get_workflow_handle(workflow_id).fetch_history()
    return [event.activity_task_scheduled_event_attributes.activity_type.name for event in history.events
            if event.HasField("activity_task_scheduled_event_attributes")]


async def test_the_workflow_compensates_with_the_described_compensations(ts_worker: RunningWorker) -> None:
    compensated = next(case for case in SCENARIOS if case.expected.compensated)
    application_id = new_application_id()
    await run_scenario(ts_worker.client, compensated, application_id, task_queue=ts_worker.task_queue,
                       review_timeout_seconds=PRODUCTION_REVIEW_TIMEOUT_SECONDS)
    ran = await _activity_types(ts_worker.client, application_id)
    assert {step.name for step in ONBOARDING.compensations} <= set(ran)
    assert ran.index(ONBOARDING.compensations[0].name) > max(ran.index(step.name) for step in ONBOARDING.steps
                                                             if step.name in ran)


def test_the_order_check_names_a_step_the_workflow_never_runs() -> None:
    ran = [step.name for step in ONBOARDING.steps if step.name != "assess_risk"]
    assert activity_order_problems(ONBOARDING, ran) == ["the workflow never runs step assess_risk"]
