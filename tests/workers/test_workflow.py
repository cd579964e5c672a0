"""Every scenario on the time-skipping test server, checked for parity with the reference process."""

from __future__ import annotations

import dataclasses
import uuid
from concurrent.futures import ThreadPoolExecutor
from datetime import timedelta
from typing import Any

import pytest
from temporalio import client as client_interceptors
from temporalio.api.history.v1 import History
from temporalio.client import Client, WorkflowExecutionStatus, WorkflowHandle, WorkflowUpdateFailedError
from temporalio.converter import DataConverter
from temporalio.testing import WorkflowEnvironment

from contract.onboarding import ONBOARDING
from onboarding.adapters.memory import in_memory_adapters
from onboarding.models import OutcomeStatus, RejectionReason, ReviewDecision
from onboarding.steps import run_onboarding
from ops.starter import StarterError, current_step, start_onboarding, submit_review
from scenarios import SCENARIOS, Scenario, new_application_id, scenario
from scenarios.faults import FAULT_CASES
from tests.support.conformance import activity_order_problems, ending_step
from tests.support.down_stores import RecoveringProcessor, with_store_down
from tests.support.side_effects import SideEffects, matches_expected
from tests.support.temporal import run_scenario, wait_for_step
from tests.workers.conftest import RunningWorker
from workers.codec import is_encrypted
from workers.messages import (
    PRODUCTION_REVIEW_TIMEOUT_SECONDS,
    RETRY_COMPENSATION_UPDATE_NAME,
    OnboardingInput,
    Step,
)
from workers.registration import ONBOARDING_WORKER
from workers.worker import build_worker
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


def test_the_replay_validator_accepts_a_replay_only_while_a_compensation_is_pending() -> None:
    workflow = OnboardingWorkflow()
    with pytest.raises(ValueError, match="no compensation pending"):
        workflow._accept_replay_only_while_pending()
    workflow._step = Step.COMPENSATION_PENDING
    workflow._accept_replay_only_while_pending()
    OnboardingWorkflow.retry_compensation(workflow)
    with pytest.raises(ValueError, match="no compensation pending"):  # one replay at a time
        workflow._accept_replay_only_while_pending()


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


SAGA_CASES = [case for case in SCENARIOS if case.expected.compensated or case.expected.compensation_pending]


@pytest.mark.parametrize("case", SAGA_CASES, ids=lambda case: case.name)
async def test_the_workflow_compensates_with_the_described_compensations(case: Scenario,
                                                                         ts_worker: RunningWorker) -> None:
    """Every saga case runs the compensations the description derives for its failed step, in order, after every
    step it ran (a pending compensation stops the saga at the one that could not finish)."""
    application_id = new_application_id()
    await run_scenario(ts_worker.client, case, application_id, task_queue=ts_worker.task_queue,
                       review_timeout_seconds=PRODUCTION_REVIEW_TIMEOUT_SECONDS)
    ran = await _activity_types(ts_worker.client, application_id)
    assert case.expected.reason is not None
    ending = ending_step(ONBOARDING, case.expected.reason)
    assert ending is not None
    step, rejected = ending
    expected = list(ONBOARDING.compensations_for(step.name, rejected=rejected))
    compensations = {c.name for c in ONBOARDING.compensations}
    first = next(index for index, name in enumerate(ran) if name in compensations)
    assert all(name not in compensations for name in ran[:first])
    distinct = list(dict.fromkeys(ran[first:]))  # a compensation retried is scheduled once, attempted many times
    if case.expected.compensation_pending:
        assert distinct == expected[:len(distinct)] and len(distinct) < len(expected) + 1
    else:
        assert distinct == expected


async def test_a_store_down_after_the_account_opened_is_compensated(hardened_client: Client,
                                                                   time_skipping_env: WorkflowEnvironment) -> None:
    """The fault cases (a store down for good): the same outcome and side effects as the reference run."""
    for fault in FAULT_CASES:
        adapters = in_memory_adapters()
        task_queue = f"fault-{uuid.uuid4().hex[:8]}"
        with ThreadPoolExecutor(4) as executor:
            async with build_worker(hardened_client, ONBOARDING_WORKER, task_queue=task_queue,
                                    stores=with_store_down(adapters, fault.down), executor=executor):
                application_id = new_application_id()
                outcome = await run_scenario(hardened_client, fault.scenario, application_id, task_queue=task_queue,
                                             review_timeout_seconds=PRODUCTION_REVIEW_TIMEOUT_SECONDS)
        reference_adapters = in_memory_adapters()
        reference = run_onboarding(
            fault.scenario.application(application_id=application_id),
            adapters=with_store_down(reference_adapters, fault.down),
            today=(await time_skipping_env.get_current_time()).date(), reviewer=lambda _: None,
        )
        assert outcome == reference, fault.name
        effects = SideEffects.of(adapters, application_id)
        assert effects == SideEffects.of(reference_adapters, application_id), fault.name
        assert matches_expected(fault.scenario, outcome, effects) == [], fault.name
        assert fault.step in await _activity_types(hardened_client, application_id)


async def test_a_pending_compensation_stays_visible_and_an_operator_replays_it(hardened_client: Client) -> None:
    case = scenario("compensation_pending")
    adapters = in_memory_adapters()
    processor = RecoveringProcessor(adapters.cards)
    task_queue, application_id = f"pending-{uuid.uuid4().hex[:8]}", new_application_id()
    with ThreadPoolExecutor(4) as executor:
        async with build_worker(hardened_client, ONBOARDING_WORKER, task_queue=task_queue,
                                stores=dataclasses.replace(adapters, cards=processor), executor=executor):
            handle = await start_onboarding(hardened_client, case.application(application_id=application_id),
                                            task_queue=task_queue)
            with pytest.raises(WorkflowUpdateFailedError):  # not (yet) pending: refused by the validator
                await handle.execute_update(RETRY_COMPENSATION_UPDATE_NAME)
            await wait_for_step(hardened_client, application_id, Step.COMPENSATION_PENDING)
            # Visible: the workflow is still running, its charge not refunded and its account open.
            assert (await handle.describe()).status is WorkflowExecutionStatus.RUNNING
            pending = SideEffects.of(adapters, application_id)
            assert pending.account is not None and pending.account.status == "OPEN"
            assert [charge.refunded for charge in pending.charges] == [False]
            processor.recovered = True
            await handle.execute_update(RETRY_COMPENSATION_UPDATE_NAME)
            outcome = await handle.result()
    assert (outcome.reason, outcome.compensated, outcome.compensation_pending) == (
        RejectionReason.FUNDING_UNAVAILABLE, True, False)
    done = SideEffects.of(adapters, application_id)
    assert done.account is not None and done.account.status == "CLOSED"
    assert [charge.refunded for charge in done.charges] == [True]


def test_the_order_check_names_a_step_the_workflow_never_runs() -> None:
    ran = [step.name for step in ONBOARDING.steps if step.name != "assess_risk"]
    assert activity_order_problems(ONBOARDING, ran) == ["the workflow never runs step assess_risk"]
