"""The local runner's workarounds for moto's callback races (``local/stepfunctions/moto_callbacks.py``).

Under load, moto can be asked for a decision while another execution's worker thread has not started yet. The race
is reproduced deterministically by placing such an execution (status RUNNING, no evaluation environment yet) in
moto's own backend next to a real execution that awaits review.
"""

from __future__ import annotations

import time
from types import SimpleNamespace
from typing import Any

from moto.stepfunctions.parser.api import ExecutionStatus
from moto.stepfunctions.parser.asl.eval.callback.callback import CallbackEndpoint, CallbackOutcomeSuccess
from moto.stepfunctions.parser.models import stepfunctions_parser_backends

from local.onboarding import OnboardingStepFunctions
from local.stepfunctions import moto_callbacks
from onboarding.models import RejectionReason, ReviewDecision
from scenarios import scenario


def test_a_decision_lands_while_another_execution_has_not_started() -> None:
    case = scenario("review_declined")
    with OnboardingStepFunctions(prefix="race") as sfn:
        application_id = "app_01JMOTORACE000000000001"
        arn = sfn.submit(case.application(application_id))
        deadline = time.monotonic() + 30
        while sfn.pending_review(application_id) is None:
            assert time.monotonic() < deadline, "the review was never requested"
            time.sleep(0.1)
        account, region = sfn.state_machine_arn.split(":")[4], sfn.state_machine_arn.split(":")[3]
        backend = stepfunctions_parser_backends[account][region]
        machine = next(m for m in backend.state_machines if m.arn == sfn.state_machine_arn)
        executions: list[Any] = machine.executions
        unstarted = SimpleNamespace(status=ExecutionStatus.RUNNING, exec_worker=SimpleNamespace(env=None))
        executions.insert(0, unstarted)  # moto looks here before it reaches the real one
        try:
            sfn.decide(application_id, ReviewDecision.DECLINE)
        finally:
            executions.remove(unstarted)
        result = sfn.wait_onboarding(arn)
    assert result.outcome is not None and result.outcome.reason is RejectionReason.REVIEW_DECLINED


def test_a_decision_sent_before_the_task_waits_for_it_still_wakes_the_task() -> None:
    """The review step's heartbeat endpoint is created after its Lambda returned; a decision sent in between must
    not be lost (without the workaround the task sleeps until its review timeout: REVIEW_TIMEOUT)."""
    moto_callbacks.install()
    answered = CallbackEndpoint(callback_id="answered")
    answered.notify(CallbackOutcomeSuccess(callback_id="answered", output='{"decision": "APPROVE"}'))
    assert answered.setup_heartbeat_endpoint(heartbeat_seconds=5).clear_and_wait() is True
    assert answered.get_outcome() is not None
    waiting = CallbackEndpoint(callback_id="waiting")  # no answer yet: the heartbeat still waits (here 0 s)
    assert waiting.setup_heartbeat_endpoint(heartbeat_seconds=0).clear_and_wait() is False
