"""What the durable functions' cost model counts in a history: the same on every run of the same design."""

from __future__ import annotations

from comparison.cost.durable import count_durable_operations, count_invocations, data_written_bytes, measure_durable
from scenarios import scenario
from tests.comparison.durable_history import DurableHistory, onboarding_history


def _history(*, failures: int) -> DurableHistory:
    history = DurableHistory(sealed=True)
    history.start({"application_id": "app_1"}, "app_1")
    history.step("verify_identity", {"verified": True}, failures=failures)
    history.succeed({"status": "APPROVED"})
    return history


def test_invocations_follow_the_suspensions_not_the_invocation_events() -> None:
    """A retry delay suspends the function (one more invocation); how many ``InvocationCompleted`` events the
    emulator wrote depends on timing and is not counted."""
    once, retried = _history(failures=0), _history(failures=2)
    assert count_invocations(once.events) == 1
    assert count_invocations(retried.events) == 3
    timing = [event for event in retried.events if event["EventType"] != "InvocationCompleted"]
    assert count_invocations(timing) == count_invocations(retried.events)


def test_operations_count_the_start_and_every_operation_end() -> None:
    history = _history(failures=2)
    ends = sum(1 for event in history.events if event["EventType"] in ("StepSucceeded", "StepFailed"))
    assert ends == 3
    assert count_durable_operations(history.events) == 1 + ends


def test_data_written_is_every_stored_payload() -> None:
    sealed = onboarding_history(scenario("review_approved").application(), sealed=True)
    plain = onboarding_history(scenario("review_approved").application(), sealed=False)
    assert data_written_bytes(sealed.events) > 0
    assert data_written_bytes(plain.events) != data_written_bytes(sealed.events)  # the payloads themselves count
    measured = measure_durable([sealed.events, plain.events])
    assert measured.executions == 2
    assert measured.data_written_bytes_per_execution == (data_written_bytes(sealed.events)
                                                         + data_written_bytes(plain.events)) / 2
