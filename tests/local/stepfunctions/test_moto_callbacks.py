"""The local runner's workaround for moto's SendTask* race (``local/stepfunctions/moto_callbacks.py``).

Under load, moto can be asked for a decision while another execution's worker thread has not started yet. The race
is reproduced deterministically by placing such an execution (status RUNNING, no evaluation environment yet) in
moto's own backend next to a real execution that awaits review.
"""

from __future__ import annotations

import time
from types import SimpleNamespace
from typing import Any

from moto.stepfunctions.parser.api import ExecutionStatus
from moto.stepfunctions.parser.models import stepfunctions_parser_backends

from local.onboarding import OnboardingStepFunctions
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
