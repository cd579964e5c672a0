"""The saga on moto's interpreter with the real handlers, for what the corpus run cannot show: a store down for good
after the account opened (the fault cases), and an operator replaying a compensation that could not finish.

A store is brought down the way ``tests/reliability/test_stepfunctions_task_faults.py`` denies the ledger: the
runtime the handlers share gets the failing port (same settings, same store factory, same cache entry); no hook in
production code. The scenario corpus itself (processor faults included) runs in ``test_scenarios.py``.
"""

from __future__ import annotations

import dataclasses
import json
from collections.abc import Iterator
from datetime import UTC

import pytest

from contract.onboarding import ONBOARDING
from contract.process import COMPENSATION_PENDING_STATE
from lambdas.registration import ONBOARDING_TASKS
from lambdas.runtime import Runtime, runtime_for
from lambdas.settings import Settings
from local.onboarding import OnboardingStepFunctions
from onboarding.adapters.memory import in_memory_adapters
from onboarding.models import RejectionReason
from onboarding.steps import run_onboarding
from scenarios import new_application_id, scenario
from scenarios.faults import FAULT_CASES, FaultCase
from tests.support.down_stores import RecoveringProcessor, with_store_down
from tests.support.side_effects import SideEffects, matches_expected
from tests.support.stepfunctions import call, leaks, service_view


@pytest.fixture
def sfn() -> Iterator[OnboardingStepFunctions]:
    with OnboardingStepFunctions(prefix="saga") as runner:
        yield runner


def _runtime() -> Runtime:
    """The runtime the handlers of the running OnboardingStepFunctions share (built from its environment)."""
    return runtime_for(Settings.from_env(ONBOARDING), ONBOARDING_TASKS.stores)


def _entered(history: list[dict[str, object]]) -> list[str]:
    return [str(e["stateEnteredEventDetails"]["name"]) for e in history  # type: ignore[index]
            if "stateEnteredEventDetails" in e]


@pytest.mark.parametrize("fault", FAULT_CASES, ids=lambda f: f.name)
def test_a_store_down_after_the_account_opened_is_compensated(fault: FaultCase, sfn: OnboardingStepFunctions) -> None:
    runtime = _runtime()
    runtime.stores = with_store_down(runtime.stores, fault.down)
    application_id = new_application_id()
    result = sfn.wait_onboarding(sfn.submit(fault.scenario.application(application_id)), timeout_seconds=120)

    assert result.status == "SUCCEEDED" and result.outcome is not None
    effects = SideEffects.of(sfn.adapters(), application_id)
    assert matches_expected(fault.scenario, result.outcome, effects) == []
    started = result.description["startDate"].astimezone(UTC).date()
    reference_adapters = in_memory_adapters()
    reference = run_onboarding(fault.scenario.application(application_id),
                               adapters=with_store_down(reference_adapters, fault.down), today=started,
                               reviewer=lambda _a: None)
    assert result.outcome == reference
    assert effects.without_task_token() == SideEffects.of(reference_adapters, application_id)
    path = _entered(result.history)
    failed = ONBOARDING.step(fault.step)
    compensations = [ONBOARDING.step(name).state_name
                     for name in ONBOARDING.compensations_for(fault.step, rejected=False)]
    assert path[path.index(failed.state_name):] == [failed.state_name, "NotificationUnavailable", *compensations,
                                                    "Compensated"]
    assert leaks(service_view(result), fault.scenario.searchable_pii()) == set()


def test_a_pending_compensation_is_in_the_output_and_an_operator_replays_it(sfn: OnboardingStepFunctions) -> None:
    """The execution ends saying compensation_pending (infra's alarm counts entries into its state); once the cause
    is fixed, invoking the remaining compensation functions with the execution's own input finishes the job, and
    invoking them again changes nothing (idempotent)."""
    case = scenario("compensation_pending")
    runtime = _runtime()
    processor = RecoveringProcessor(runtime.stores.cards)
    runtime.stores = dataclasses.replace(runtime.stores, cards=processor)
    application_id = new_application_id()
    result = sfn.wait_onboarding(sfn.submit(case.application(application_id)), timeout_seconds=120)

    assert result.outcome is not None
    assert (result.outcome.reason, result.outcome.compensated, result.outcome.compensation_pending) == (
        RejectionReason.FUNDING_UNAVAILABLE, False, True)
    assert _entered(result.history)[-2:] == ["RefundCharge", COMPENSATION_PENDING_STATE]
    pending = SideEffects.of(sfn.adapters(), application_id)
    assert pending.account is not None and pending.account.status == "OPEN"
    assert [charge.refunded for charge in pending.charges] == [False]

    processor.recovered = True
    # The replay state_machines/README.md documents: the execution's input (ids and the claim-check reference only)
    # without the review timeout, with an attempt number.
    started = json.loads(result.description["input"])
    replay = {key: value for key, value in started.items() if key != "review_timeout_seconds"} | {"attempt": 1}
    assert leaks([json.dumps(replay)], case.searchable_pii()) == set()
    for _ in range(2):
        refunded = call(sfn, "refund_charge", replay)  # deployed: `aws lambda invoke` with the same payload
        closed = call(sfn, "close_account", {"application_id": application_id})
        assert refunded["refunded"] is True and closed["account_status"] == "CLOSED"
    done = SideEffects.of(sfn.adapters(), application_id)
    assert done.account is not None and done.account.status == "CLOSED"
    assert [charge.refunded for charge in done.charges] == [True]
