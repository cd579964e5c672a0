"""The real-world corpus end to end on Temporal (time-skipping server, the hardened converter): one valid variant
typed as on a phone is approved exactly as the reference process approves it (its normalized phone keeps it out of
review, so the activities after ``validate`` received the normalized form), and one look-alike is refused with its
codes after ``validate`` alone. History holds none of the typed values in clear."""

from __future__ import annotations

from temporalio.api.history.v1 import History
from temporalio.testing import WorkflowEnvironment

from onboarding.adapters.memory import in_memory_adapters
from onboarding.models import OutcomeStatus, RejectionReason
from onboarding.steps import run_onboarding
from ops.starter import start_onboarding
from scenarios import new_application_id
from scenarios.real_world import END_TO_END_LOOK_ALIKE, END_TO_END_VARIANT
from tests.support.side_effects import SideEffects
from tests.support.stepfunctions import payload_values
from tests.workers.conftest import RunningWorker


async def _stored(worker: RunningWorker, application_id: str) -> bytes:
    history = await worker.client.get_workflow_handle(application_id).fetch_history()
    return History(events=history.events).SerializeToString()


async def test_a_variant_typed_on_a_phone_is_approved_as_the_reference_process_approves_it(
    ts_worker: RunningWorker, time_skipping_env: WorkflowEnvironment,
) -> None:
    application_id = new_application_id()
    submission = END_TO_END_VARIANT.application(application_id)
    handle = await start_onboarding(ts_worker.client, submission, task_queue=ts_worker.task_queue)
    outcome = await handle.result()
    assert outcome.status is OutcomeStatus.APPROVED
    reference_adapters = in_memory_adapters()
    reference = run_onboarding(END_TO_END_VARIANT.application(application_id), adapters=reference_adapters,
                               today=(await time_skipping_env.get_current_time()).date(), reviewer=lambda _a: None)
    assert outcome == reference
    effects = SideEffects.of(ts_worker.adapters, application_id)
    assert effects.review is None  # read as typed, the phone would have made it a review case
    assert effects == SideEffects.of(reference_adapters, application_id)
    stored = await _stored(ts_worker, application_id)
    assert [value for value in payload_values(submission) if value.encode() in stored] == []


async def test_a_look_alike_is_refused_with_its_codes_and_nothing_else_runs(ts_worker: RunningWorker) -> None:
    application_id = new_application_id()
    submission = END_TO_END_LOOK_ALIKE.application(application_id)
    handle = await start_onboarding(ts_worker.client, submission, task_queue=ts_worker.task_queue)
    outcome = await handle.result()
    assert (outcome.reason, outcome.error_codes) == (
        RejectionReason.INVALID_APPLICATION, END_TO_END_LOOK_ALIKE.expected_errors)
    history = await handle.fetch_history()
    scheduled = [e.activity_task_scheduled_event_attributes.activity_type.name for e in history.events
                 if e.HasField("activity_task_scheduled_event_attributes")]
    assert scheduled == ["validate"]
    assert SideEffects.of(ts_worker.adapters, application_id).empty
    stored = await _stored(ts_worker, application_id)
    assert [value for value in payload_values(submission) if value.encode() in stored] == []
