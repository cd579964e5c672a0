"""The process description refuses to contradict itself, naming the problem."""

from __future__ import annotations

import pytest

from contract.environment import table_environment, task_environment, worker_environment
from contract.onboarding import ONBOARDING
from contract.process import DescriptionError, ProcessDescription, RetryBudget, Review, Step, StepKind, Table
from contract.profile import Profile


def _process(**changes: object) -> ProcessDescription:
    base: dict[str, object] = {
        "name": "tiny", "id_field": "case_id", "id_pattern": r"^case_[0-9]{4}$",
        "steps": (Step(name="check", rejections=("CHECK_FAILED",)),
                  Step(name="ask", kind=StepKind.REVIEW, writes=("queue",))),
        "review": Review(step="ask", declined="DECLINED", timed_out="TIMED_OUT"),
        "tables": (Table(role="queue"),),
    }
    return ProcessDescription(**{**base, **changes})  # type: ignore[arg-type]


def test_a_consistent_description_derives_its_reasons_and_table_variables() -> None:
    process = _process()
    assert process.reasons == ("CHECK_FAILED", "DECLINED", "TIMED_OUT")
    assert process.table_variables == {"queue": "QUEUE_TABLE"}
    assert process.step("ask").state_name == "Ask"


@pytest.mark.parametrize(("changes", "message"), [
    ({"steps": (Step(name="check"), Step(name="check"))}, "steps described twice: check"),
    ({"steps": (Step(name="check", writes=("ledger",)),), "review": None}, "writes undescribed tables: ledger"),
    ({"steps": (Step(name="Check"),), "review": None}, "'Check' is not a snake_case name"),
    ({"steps": (Step(name="check", rejections=("bad reason",)),), "review": None}, "reason codes must be UPPER_SNAKE"),
    ({"review": Review(step="check", declined="D", timed_out="T")}, "review step check is not of kind review"),
    ({"tables": (Table(role="queue", keys=()),)}, "partition key and at most a sort key: queue"),
    ({"steps": (Step(name="check", compensation="uncheck"),), "review": None},
     "step check names an undescribed compensation: uncheck"),
    ({"steps": (Step(name="check"),), "review": None,
      "compensations": (Step(name="uncheck", kind=StepKind.COMPENSATION, unavailable="UNCHECK_FAILED"),)},
     "a compensation has no compensation of its own nor an unavailable reason"),
])
def test_a_contradiction_is_refused_naming_it(changes: dict[str, object], message: str) -> None:
    with pytest.raises(DescriptionError, match=message):
        _process(**changes)


def test_a_saga_derives_its_compensations_and_reasons() -> None:
    """Compensations run latest first; a failed-for-good step's own compensation runs too, a rejected one's not."""
    undo = tuple(Step(name=name, kind=StepKind.COMPENSATION) for name in ("unpay", "unopen"))
    process = _process(review=None, compensations=undo, steps=(
        Step(name="check", rejections=("CHECK_FAILED",)),
        Step(name="open", compensation="unopen"),
        Step(name="pay", compensation="unpay", rejections=("DECLINED",), unavailable="PAY_UNAVAILABLE"),
        Step(name="tell", unavailable="TELL_UNAVAILABLE"),
    ))
    assert process.reasons == ("CHECK_FAILED", "DECLINED", "PAY_UNAVAILABLE", "TELL_UNAVAILABLE")
    assert process.compensations_for("check", rejected=True) == ()
    assert process.compensations_for("pay", rejected=True) == ("unopen",)
    assert process.compensations_for("pay", rejected=False) == ("unpay", "unopen")
    assert process.compensations_for("tell", rejected=False) == ("unpay", "unopen")


def test_an_unknown_step_or_table_is_named() -> None:
    with pytest.raises(KeyError, match="no step 'missing'"):
        ONBOARDING.step("missing")
    with pytest.raises(KeyError, match="no table 'missing'"):
        ONBOARDING.table_variable("missing")


def test_the_environment_builders_name_every_table_of_the_process_and_refuse_others() -> None:
    tables = {role: f"t-{role}" for role in ONBOARDING.table_roles}
    assert table_environment(ONBOARDING, tables) == {f"{role.upper()}_TABLE": name for role, name in tables.items()}
    with pytest.raises(KeyError, match="missing \\['ledger'\\]"):
        table_environment(ONBOARDING, {role: name for role, name in tables.items() if role != "ledger"})
    task = task_environment(ONBOARDING, tables=tables, idempotency_table="i", claim_check_bucket="b",
                            claim_check_key_arn="k", state_machine_arn="s", review_timeout_seconds=60)
    assert task["PROTECTION_PROFILE"] == "hardened" and task["REVIEW_TIMEOUT_SECONDS"] == "60"
    worker = worker_environment(ONBOARDING, address="a:7233", namespace="n", task_queue="q", tables=tables,
                                payload_key_id=None, profile=Profile.BASELINE)
    assert "PAYLOAD_KEY_ID" not in worker and worker["PROTECTION_PROFILE"] == "baseline"
    assert worker["LEDGER_TABLE"] == tables["ledger"] and worker["TEMPORAL_TASK_QUEUE"] == "q"


def test_the_retry_budget_doubles_its_wait_up_to_its_cap() -> None:
    budget = RetryBudget(max_attempts=6, initial_interval_seconds=2, backoff_coefficient=3.0, max_interval_seconds=50)
    assert [budget.delay_seconds(n) for n in range(1, 6)] == [2, 6, 18, 50, 50]


def test_every_engine_retries_with_the_described_budget() -> None:
    from durable_functions.handler import RETRY_BUDGET, _retry
    from workers.workflows import RETRY_POLICY

    budget = ONBOARDING.retry_budget
    assert RETRY_BUDGET is budget
    assert RETRY_POLICY.maximum_interval is not None
    assert (RETRY_POLICY.maximum_attempts, RETRY_POLICY.initial_interval.total_seconds(),
            RETRY_POLICY.backoff_coefficient, RETRY_POLICY.maximum_interval.total_seconds()) == (
        budget.max_attempts, budget.initial_interval_seconds, budget.backoff_coefficient, budget.max_interval_seconds)
    failure = RuntimeError("a fault")
    assert [_retry(failure, attempts).delay_seconds for attempts in range(1, budget.max_attempts)] == [
        int(budget.delay_seconds(attempts)) for attempts in range(1, budget.max_attempts)]
    assert not _retry(failure, budget.max_attempts).should_retry
