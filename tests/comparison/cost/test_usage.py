"""Billable counts from histories match counts made by hand."""

from __future__ import annotations

from datetime import timedelta

from google.protobuf.json_format import MessageToDict
from temporalio.api.enums.v1 import EventType

from comparison.cost.usage import count_lambda_usage, count_state_transitions, count_temporal_actions, log_bytes
from scenarios import scenario
from tests.comparison import sfn_history, temporal_history
from tests.comparison.temporal_history import TemporalHistory

APPLICATION = scenario("transient_identity_then_review_approved").application()


def test_temporal_actions_of_a_reviewed_onboarding_match_the_hand_count() -> None:
    events = temporal_history.onboarding_history(APPLICATION, encrypt=True).to_dicts()
    # By hand: 1 start; activities validate, screen, verify (3 attempts), assess, request_review, open, fund,
    # notify = 10; the review's timeout timer 1; the reviewer's signal 1. Completion is not an Action.
    count = count_temporal_actions(events)
    assert count.total == 13
    assert count.by_kind["workflow_started"] == 1
    assert count.by_kind["activity_attempts"] == 10
    assert count.by_kind["timers"] == 1
    assert count.by_kind["signals"] == 1
    assert count.by_kind["updates"] == 0


def test_temporal_review_by_update_counts_the_update_not_a_signal() -> None:
    events = temporal_history.onboarding_history(APPLICATION, encrypt=False, review="update").to_dicts()
    count = count_temporal_actions(events)
    assert (count.by_kind["signals"], count.by_kind["updates"], count.total) == (0, 1, 13)


def test_temporal_retries_count_every_attempt() -> None:
    once = count_temporal_actions(temporal_history.onboarding_history(APPLICATION, encrypt=True,
                                                                      identity_attempts=1).to_dicts())
    five = count_temporal_actions(temporal_history.onboarding_history(APPLICATION, encrypt=True,
                                                                      identity_attempts=5).to_dicts())
    assert five.total - once.total == 4


def test_temporal_counting_reads_snake_case_json_too() -> None:
    history = temporal_history.onboarding_history(APPLICATION, encrypt=True)
    assert count_temporal_actions(history.to_dicts(snake_case=True)) == count_temporal_actions(history.to_dicts())


def test_temporal_caller_supplied_queries_heartbeats_and_rejected_updates_add_up() -> None:
    events = temporal_history.onboarding_history(APPLICATION, encrypt=True).to_dicts()
    count = count_temporal_actions(events, queries=2, heartbeats=3, rejected_updates=1)
    assert count.total == 13 + 2 + 3 + 1


def test_temporal_local_activities_upserts_and_children_follow_the_documented_rules() -> None:
    history = TemporalHistory(encrypt=False)
    history.start({"application_id": "app_01JTEST0000000001"})
    first_task = history.events[-1].event_id
    for _ in range(2):  # two local activities in one workflow task: one Action
        marker = history.add(EventType.EVENT_TYPE_MARKER_RECORDED).marker_recorded_event_attributes
        marker.marker_name = "core_local_activity"
        marker.workflow_task_completed_event_id = first_task
    second_task = history.workflow_task()
    marker = history.add(EventType.EVENT_TYPE_MARKER_RECORDED).marker_recorded_event_attributes
    marker.marker_name = "core_local_activity"
    marker.workflow_task_completed_event_id = second_task
    patch = history.add(EventType.EVENT_TYPE_MARKER_RECORDED).marker_recorded_event_attributes
    patch.marker_name = "core_patch"  # a version marker is not an Action
    version_only = history.add(EventType.EVENT_TYPE_UPSERT_WORKFLOW_SEARCH_ATTRIBUTES)
    version_only.upsert_workflow_search_attributes_event_attributes.search_attributes.indexed_fields[
        "TemporalChangeVersion"].CopyFrom(temporal_history.plain_payload(["v2"]))
    upsert = history.add(EventType.EVENT_TYPE_UPSERT_WORKFLOW_SEARCH_ATTRIBUTES)
    upsert.upsert_workflow_search_attributes_event_attributes.search_attributes.indexed_fields[
        "Stage"].CopyFrom(temporal_history.plain_payload("review"))
    history.add(EventType.EVENT_TYPE_START_CHILD_WORKFLOW_EXECUTION_INITIATED)
    count = count_temporal_actions(history.to_dicts())
    assert count.by_kind["local_activities"] == 2
    assert count.by_kind["search_attribute_upserts"] == 1
    assert count.by_kind["child_workflows"] == 2
    assert count.total == 1 + 2 + 1 + 2


def test_temporal_activity_that_never_started_still_counts_once() -> None:
    history = TemporalHistory(encrypt=False)
    history.start({})
    history.add(EventType.EVENT_TYPE_ACTIVITY_TASK_SCHEDULED)
    history.add(EventType.EVENT_TYPE_ACTIVITY_TASK_TIMED_OUT)
    assert count_temporal_actions([MessageToDict(e) for e in history.events]).by_kind["activity_attempts"] == 1


CLAIM = {"application_id": APPLICATION["application_id"], "claim": "s3://claims/app"}


def test_state_transitions_of_a_reviewed_onboarding_match_the_hand_count() -> None:
    events = sfn_history.onboarding_history(CLAIM, identity_failures=2).events
    # By hand: 11 states entered (9 tasks + the risk Choice + the Succeed state); the identity task was
    # retried twice, each retry one more transition.
    count = count_state_transitions(events)
    assert (count.states_entered, count.retries, count.total) == (11, 2, 13)


def test_state_transitions_without_previous_event_ids_use_the_event_order() -> None:
    events = [{k: v for k, v in e.items() if k != "previousEventId"}
              for e in sfn_history.onboarding_history(CLAIM, identity_failures=1).events]
    assert count_state_transitions(events).total == 12


def test_a_task_that_fails_for_good_is_not_a_retry() -> None:
    history = sfn_history.SfnHistory()
    history.start(CLAIM)
    history.task("VerifyIdentity", "verify_identity", CLAIM, None, failures=1,
                 error=("IDENTITY_NOT_VERIFIED", '{"errorMessage": "IDENTITY_NOT_VERIFIED"}'))
    history.fail("IDENTITY_NOT_VERIFIED", "{}")
    count = count_state_transitions(history.events)
    assert (count.states_entered, count.retries) == (2, 1)


def test_lambda_invocations_include_retries_and_exclude_callback_wait_time() -> None:
    events = sfn_history.onboarding_history(CLAIM, identity_failures=2).events
    usage = count_lambda_usage(events)
    # 9 Lambda tasks + 2 retried attempts; every attempt ran 120 ms, and the review task's 4 s wait for the
    # reviewer is callback time, not Lambda time.
    assert usage.invocations == 11
    assert usage.billed_ms == 11 * 120


def test_lambda_duration_rounds_up_to_the_millisecond_and_reads_legacy_events() -> None:
    history = sfn_history.SfnHistory()
    history.add("LambdaFunctionScheduled", "lambdaFunctionScheduledEventDetails", {"resource": "arn:fn"})
    started = history.add("LambdaFunctionStarted")
    done = history.add("LambdaFunctionSucceeded", "lambdaFunctionSucceededEventDetails", {"output": "{}"})
    done["timestamp"] = started["timestamp"] + timedelta(microseconds=80_300)
    history.add("TaskScheduled", "taskScheduledEventDetails", {"resourceType": "dynamodb", "resource": "putItem"})
    usage = count_lambda_usage(history.events)
    assert (usage.invocations, usage.billed_ms) == (1, 81)


def test_log_bytes_add_the_per_event_overhead() -> None:
    assert log_bytes([{"message": "héllo"}, {"message": "x"}], overhead=26) == 6 + 26 + 1 + 26
