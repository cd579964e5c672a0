"""The durable function on AWS's durable-execution emulator under what goes wrong: the bad-input corpus, the same
application started twice, the scenario corpus many times over at once. The function is the real handler behind a
Lambda Invoke endpoint of its own; tables and the checkpoint key are on a moto server.

- every bad input with a usable id ends ``REJECTED``/``INVALID_APPLICATION`` with exactly the corpus's field codes and
  no side effect; one without a usable id, or with text that is no Unicode, is refused by ``ops.durable`` before an
  execution exists, with an error naming the problem; no PII reaches an error, an outcome, the stored history or the
  function's log;
- a second start under the same application id leaves one set of side effects (AWS finds the first execution; the
  emulator starts a second, whose idempotent steps change nothing);
- the corpus, many copies at once, ends as expected everywhere, the side effects of each run its own.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

import pytest

from comparison.engines.durable import history, run_on_durable
from comparison.engines.runs import plan
from local.aws import AwsEmulation
from local.onboarding import OnboardingDurableFunction
from onboarding.models import Outcome, OutcomeStatus, RejectionReason
from ops.durable import execution_input, start_onboarding
from ops.starter import StarterError
from scenarios import SCENARIOS, new_application_id
from scenarios.bad_inputs import BadInput
from tests.reliability.test_temporal_bad_inputs import REFUSED, USABLE, in_text, pii_of
from tests.support.durable import driver_target, finished_problems, hardened_durable_function
from tests.support.side_effects import SideEffects, matches_expected

REVIEW_TIMEOUT_SECONDS = 30
COPIES = 7  # of every scenario in the corpus, started at once


@pytest.fixture(scope="module")
def durable(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[AwsEmulation, OnboardingDurableFunction]]:
    with hardened_durable_function("rel", tmp_path_factory.mktemp("durable")) as started:
        yield started


@pytest.mark.parametrize("bad", REFUSED, ids=[bad.name for bad in REFUSED])
def test_a_submission_the_function_cannot_take_is_refused_before_starting(
    durable: tuple[AwsEmulation, OnboardingDurableFunction], bad: BadInput
) -> None:
    _, function = durable
    started: list[str] = []

    def start(name: str, payload: dict[str, Any]) -> str:
        started.append(name)
        return function.start(name, payload)

    with pytest.raises(StarterError) as refused:
        start_onboarding(start, bad.application(), keys=function.keys)
    assert started == []
    if bad.application_id_usable:
        assert all(f"{error.field}: {error.code}" in str(refused.value) for error in bad.expected_errors)
    else:
        assert "application_id" in str(refused.value) or "JSON object" in str(refused.value)
    assert in_text(pii_of(bad.payload), str(refused.value)) == set()


def test_every_usable_bad_input_is_rejected_with_its_codes_and_no_side_effect(
    durable: tuple[AwsEmulation, OnboardingDurableFunction], tmp_path: Path
) -> None:
    _, function = durable
    target = driver_target(function)
    arns = {}
    for bad in USABLE:
        application_id = new_application_id()
        arns[bad.name] = (application_id, start_onboarding(target.start, bad.application(application_id),
                                                           keys=function.keys,
                                                           review_timeout_seconds=REVIEW_TIMEOUT_SECONDS))
    adapters = function.adapters()
    for bad in USABLE:
        application_id, arn = arns[bad.name]
        described = function.wait(arn)
        assert described["Status"] == "SUCCEEDED", bad.name
        outcome = Outcome.model_validate_json(described["Result"])
        assert (outcome.status, outcome.reason) == (OutcomeStatus.REJECTED, RejectionReason.INVALID_APPLICATION)
        assert sorted(outcome.error_codes, key=str) == sorted(bad.expected_errors, key=str), bad.name
        assert SideEffects.of(adapters, application_id).empty, bad.name
        stored = json.dumps(history(function.client, arn)) + json.dumps(described, default=str)
        assert in_text(pii_of(bad.payload), stored) == set(), bad.name
    assert in_text({v for bad in USABLE for v in pii_of(bad.payload)}, "\n".join(function.log_lines())) == set()


def test_starting_an_application_twice_yields_one_set_of_side_effects(
    durable: tuple[AwsEmulation, OnboardingDurableFunction]
) -> None:
    """AWS returns the first execution for a repeated ``DurableExecutionName``; the emulator starts a second one
    (a known difference, local/README.md), which makes this the test of the second line of defence: the steps are
    idempotent on the application id, so two executions of one application open one account and charge once."""
    _, function = durable
    case = next(case for case in SCENARIOS if case.review_decision is None and case.expected.account_status == "OPEN")
    application_id = new_application_id()
    event = execution_input(case.application(application_id), keys=function.keys,
                            review_timeout_seconds=REVIEW_TIMEOUT_SECONDS)
    first, second = function.start(application_id, event), function.start(application_id, event)
    outcomes = [Outcome.model_validate_json(function.wait(arn)["Result"]) for arn in (first, second)]
    assert outcomes[0] == outcomes[1] and outcomes[0].status is OutcomeStatus.APPROVED
    effects = SideEffects.of(function.adapters(), application_id)
    assert matches_expected(case, outcomes[0], effects) == []
    assert len(effects.charges) == 1


def test_the_corpus_many_times_over_at_once_ends_as_expected(
    durable: tuple[AwsEmulation, OnboardingDurableFunction]
) -> None:
    _, function = durable
    planned = plan(case for _ in range(COPIES) for case in SCENARIOS)
    assert len(planned) >= 100
    lines: list[str] = []
    with ThreadPoolExecutor(1) as pool:  # the driver answers reviews while the executions run
        finished = pool.submit(run_on_durable, driver_target(function), planned, label="durable/load",
                               progress=lines.append, review_timeout_seconds=REVIEW_TIMEOUT_SECONDS,
                               timeout_seconds=1800).result()
    assert finished_problems(function, finished) == []
