"""Faults in a Lambda task, on moto's interpreter with the real handlers: the definition's Retry and Catch decide
what happens (attempts are counted in the history), the execution ends as the definition says, every side effect
happens at most once, and no Error or Cause carries PII.

How each fault is produced, with no test hook in any production handler:

- **Task timeout.** A test-only variant of the definition lowers ``OpenAccount``'s ``TimeoutSeconds`` from 60 s to
  1 s, and the ``open_account`` function runs the real handler behind a 3.5 s delay (the registry's handler path is
  pointed at the wrapper before the runner imports it, so the function ARN routes there). Step Functions stops
  waiting after 1 s (``States.Timeout``); as on AWS, nothing stops the invocation itself, which completes its write
  late. (Deployed, the function's own 30 s timeout is below the state's 60 s, so a hung handler is ended by Lambda
  first, surfacing as ``Sandbox.Timedout``; the state timeout is the backstop for an invoke that never returns.
  The definition retries both with the Temporal retry policy's attempt budget, then fails the execution.)
- **Unexpected exception.** The ledger port of the runtime the handlers share is replaced by one whose writes fail
  as DynamoDB fails them when the function's role may not write the table (``AccessDeniedException``). The real
  handler and its error sanitizer run unchanged; the definition retries the generic ``InternalError`` with the
  same attempt budget as Temporal retries an unexpected activity error, then fails the execution.
- **Lambda service error.** The Lambda ``Invoke`` API answers ``500 ServiceException`` to the first two invocations
  of ``notify``: a botocore ``before-call`` handler registered ahead of the runner's router (the mechanism of
  botocore's ``Stubber``). The definition retries ``Lambda.ServiceException`` with backoff, so the third attempt
  reaches the real handler.
"""

from __future__ import annotations

import json
import time
from collections.abc import Iterator
from dataclasses import replace
from typing import Any

import boto3
import pytest
from botocore.awsrequest import AWSResponse
from botocore.exceptions import ClientError

from contract.definition import read_definition
from contract.onboarding import DEFINITION_PATH, ONBOARDING, onboarding_asl
from lambdas.handlers import open_account
from lambdas.registration import ONBOARDING_TASKS
from lambdas.runtime import runtime_for
from lambdas.settings import Settings
from local.onboarding import OnboardingResult, OnboardingStepFunctions
from onboarding.models import Account, OutcomeStatus, Product
from onboarding.ports import Ledger
from scenarios import new_application_id, scenario
from tests.support.side_effects import SideEffects
from tests.support.stepfunctions import leaks, service_view
from tests.support.stepfunctions_totals import StoreTotals, attempts, every_log_message, failures
from workers.workflows import RETRY_POLICY

CASE = scenario("approved_low_risk")
STATE_TIMEOUT_SECONDS = 1
SLOW_INVOCATION_SECONDS = 3.5


def no_pii_anywhere(sfn: OnboardingStepFunctions, result: OnboardingResult) -> None:
    causes = [text for failure in failures(result) for text in failure]
    assert causes  # there is a failure to look at
    assert leaks(causes, CASE.searchable_pii()) == set()
    assert leaks(service_view(result), CASE.searchable_pii()) == set()
    assert leaks(every_log_message(sfn), CASE.searchable_pii()) == set()


# -- a task that times out ---------------------------------------------------------------------------


def definition_with_short_timeout(state: str) -> str:
    asl = json.loads(read_definition(DEFINITION_PATH))
    asl["States"][state]["TimeoutSeconds"] = STATE_TIMEOUT_SECONDS
    return json.dumps(asl)


@pytest.fixture
def slow_open_account(monkeypatch: pytest.MonkeyPatch) -> None:
    real = open_account.handler

    def slow(event: Any, context: Any) -> dict[str, Any]:
        time.sleep(SLOW_INVOCATION_SECONDS)  # past the state's timeout, well inside the function's own
        return real(event, context)

    monkeypatch.setattr(open_account, "handler", slow)


@pytest.mark.usefixtures("slow_open_account")
def test_a_task_that_keeps_timing_out_is_retried_then_fails_and_its_late_writes_land_once() -> None:
    template = definition_with_short_timeout("OpenAccount")
    with OnboardingStepFunctions(prefix="timeout", definition=onboarding_asl(template)) as sfn:
        application_id = new_application_id()
        result = sfn.wait_onboarding(sfn.submit(CASE.application(application_id)))
        function = sfn.resources.function_name("open_account")
        deadline = time.monotonic() + 60
        while sum(i.function == function for i in sfn.router.invocations) < RETRY_POLICY.maximum_attempts:
            assert time.monotonic() < deadline, "the timed-out invocations never finished"
            time.sleep(0.1)

        assert (result.status, result.description["error"]) == ("FAILED", "States.Timeout")
        budget = RETRY_POLICY.maximum_attempts  # the definition retries timeouts with Temporal's budget
        assert attempts(sfn, result, "open_account") == budget
        assert [e["type"] for e in result.history].count("TaskTimedOut") == budget
        types = [e["type"] for e in result.history]
        assert types.count("ExecutionFailed") == 1  # no Catch either
        # moto appends the abandoned invocations' late completions after the end (AWS records nothing more);
        # no state is entered and nothing succeeds after the execution failed.
        assert set(types[types.index("ExecutionFailed") + 1:]) <= {"TaskSucceeded"}
        # The invocations Step Functions gave up on still opened the account, once; nothing after it ran.
        effects = SideEffects.of(sfn.adapters(), application_id)
        assert effects.account is not None and effects.account.status == "OPEN"
        assert StoreTotals.of(sfn) == StoreTotals(accounts=1, charges=0, messages=0, reviews=0, claim_checks=1)
        no_pii_anywhere(sfn, result)


# -- a task that throws an unexpected exception ---------------------------------------------------------


class DeniedLedger:
    """A ledger whose writes DynamoDB refuses: the role lost ``dynamodb:PutItem`` on the table."""

    def __init__(self, real: Ledger) -> None:
        self._real = real
        self.calls = 0

    def open_account(self, *, application_id: str, account_id: str, product: Product) -> Account:
        self.calls += 1
        message = ("User: arn:aws:sts::123456789012:assumed-role/open-account/session is not authorized to perform: "
                   "dynamodb:PutItem on resource: arn:aws:dynamodb:us-east-1:123456789012:table/ledger")
        raise ClientError({"Error": {"Code": "AccessDeniedException", "Message": message}}, "PutItem")

    def close_account(self, *, application_id: str) -> Account | None:
        return self._real.close_account(application_id=application_id)

    def get(self, application_id: str) -> Account | None:
        return self._real.get(application_id)


def test_an_unexpected_exception_fails_the_execution_with_a_generic_cause() -> None:
    with OnboardingStepFunctions(prefix="unexpected") as sfn:
        # The runtime the handlers get: same settings, same store factory, same cache entry.
        runtime = runtime_for(Settings.from_env(ONBOARDING), ONBOARDING_TASKS.stores)
        ledger = DeniedLedger(runtime.stores.ledger)
        runtime.stores = replace(runtime.stores, ledger=ledger)
        application_id = new_application_id()
        result = sfn.wait_onboarding(sfn.submit(CASE.application(application_id)))

        assert (result.status, result.description["error"]) == ("FAILED", "InternalError")
        # Retried like Temporal retries an unexpected activity error, then the execution fails.
        assert ledger.calls == attempts(sfn, result, "open_account") == RETRY_POLICY.maximum_attempts
        cause = json.loads(result.description["cause"])
        assert (cause["errorType"], cause["errorMessage"]) == ("InternalError", "INTERNAL_ERROR")
        assert StoreTotals.of(sfn) == StoreTotals(accounts=0, charges=0, messages=0, reviews=0, claim_checks=1)
        # The detail stays in the function's own (KMS-encrypted) log group.
        logs = sfn.lambda_log_messages()[sfn.resources.function_name("open_account")]
        assert any("unexpected failure" in line and "AccessDeniedException" in line for line in logs)
        no_pii_anywhere(sfn, result)


# -- the Lambda service fails the invocation -------------------------------------------------------------


class FailingInvoke:
    """Answers ``Invoke`` of one function with a Lambda ``ServiceException`` (HTTP 500) the first ``times`` times."""

    def __init__(self, function_arn: str, *, times: int) -> None:
        self._arn = function_arn
        self._left = times
        self.failed = 0

    def stash(self, params: dict[str, Any], context: dict[str, Any], **_: Any) -> None:
        context["failing_invoke_function"] = params.get("FunctionName")

    def answer(self, context: dict[str, Any], **_: Any) -> tuple[AWSResponse, dict[str, Any]] | None:
        if context.get("failing_invoke_function") != self._arn or self._left == 0:
            return None  # the router answers
        self._left -= 1
        self.failed += 1
        parsed = {
            "Error": {"Code": "ServiceException", "Message": "Lambda was unable to run the function (sandbox)"},
            "ResponseMetadata": {"HTTPStatusCode": 500, "RequestId": f"failed-{self.failed}", "HTTPHeaders": {}},
        }
        return AWSResponse("https://lambda.local/invocations", 500, {}, None), parsed


@pytest.fixture
def failing_notify() -> Iterator[tuple[OnboardingStepFunctions, FailingInvoke]]:
    with OnboardingStepFunctions(prefix="service-error") as sfn:
        fault = FailingInvoke(sfn.resources.function_arn("notify"), times=2)
        events = boto3.DEFAULT_SESSION.events  # the session moto's interpreter invokes Lambda through
        events.register("before-parameter-build.lambda.Invoke", fault.stash)
        events.register_first("before-call.lambda.Invoke", fault.answer)
        try:
            yield sfn, fault
        finally:
            events.unregister("before-call.lambda.Invoke", fault.answer)
            events.unregister("before-parameter-build.lambda.Invoke", fault.stash)


def test_a_lambda_service_error_is_retried_and_the_step_runs_once(
    failing_notify: tuple[OnboardingStepFunctions, FailingInvoke],
) -> None:
    sfn, fault = failing_notify
    application_id = new_application_id()
    result = sfn.wait_onboarding(sfn.submit(CASE.application(application_id)))

    assert result.status == "SUCCEEDED"
    assert result.outcome is not None and result.outcome.status is OutcomeStatus.APPROVED
    assert fault.failed == 2
    assert attempts(sfn, result, "notify") == 3
    assert [error for error, _ in failures(result)] == ["Lambda.ServiceException"] * 2
    notify = sfn.resources.function_name("notify")
    assert [i.function for i in sfn.router.invocations].count(notify) == 1  # only the third reached the function
    assert len(SideEffects.of(sfn.adapters(), application_id).outbox) == 1
    assert StoreTotals.of(sfn) == StoreTotals.expected([CASE.expected], claim_checks=1)
    no_pii_anywhere(sfn, result)
