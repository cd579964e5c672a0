"""The durable function when its execution environment dies, and when its checkpoint key rotates while executions
wait. The function is the real handler behind a Lambda Invoke endpoint of its own on AWS's durable-execution
emulator; tables and the checkpoint key are on a moto server.

- a crash between checkpoints: the endpoint process is killed (SIGKILL) while executions are part-way through, with
  steps checkpointed and more to run; the emulator retries the failed invocations (as the Lambda service does) into a
  fresh process, which replays from the checkpoints. Every execution ends as its scenario expects, every side effect
  exactly once;
- key rotation in flight: executions wait for their review while the key alias moves to a new key and the function
  gets a fresh execution environment (no cached data key). Each ends as expected; its history holds checkpoints
  sealed under the old key (before the rotation) and under the new one (after it), so old checkpoints still open.
"""

from __future__ import annotations

import base64
import json
import time
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from typing import Any

import pytest

from comparison.engines.durable import history, run_on_durable
from comparison.engines.runs import plan
from envelope.seal import META_KEY_ID
from local.aws import AwsEmulation
from local.onboarding import DURABLE_FUNCTION, OnboardingDurableFunction
from onboarding.adapters.dynamodb import DynamoReviewQueue
from onboarding.models import Outcome
from ops.durable import decide, start_onboarding
from scenarios import SCENARIOS, SCENARIOS_BY_NAME, new_application_id
from tests.support.durable import driver_target, finished_problems, hardened_durable_function
from tests.support.side_effects import SideEffects, matches_expected

REVIEW_TIMEOUT_SECONDS = 60
COPIES = 2  # of every scenario: enough executions queued at the endpoint that the kill finds several part-way
IN_FLIGHT = ("review_approved", "review_declined", "transient_identity_then_review_approved")
WAIT_SECONDS = 240.0  # a bound that turns a hang into a failure on a loaded machine, not a measurement


@pytest.fixture(scope="module")
def durable(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[AwsEmulation, OnboardingDurableFunction]]:
    with hardened_durable_function("flt", tmp_path_factory.mktemp("durable-faults")) as started:
        yield started


def _part_way(function: OnboardingDurableFunction) -> list[str]:
    """ARNs of the function's executions that are running with at least one step checkpointed as succeeded."""
    running = function.client.list_durable_executions_by_function(FunctionName=DURABLE_FUNCTION)
    arns = [item["DurableExecutionArn"] for item in running.get("DurableExecutions", [])
            if item["Status"] in ("RUNNING", "PENDING")]  # the emulator ignores the API's status filter
    return [arn for arn in arns
            if any(event.get("EventType") == "StepSucceeded" for event in history(function.client, arn))]


def test_a_function_killed_between_checkpoints_replays_without_a_duplicate_side_effect(
    durable: tuple[AwsEmulation, OnboardingDurableFunction]
) -> None:
    _, function = durable
    planned = plan(case for _ in range(COPIES) for case in SCENARIOS)
    with ThreadPoolExecutor(1) as pool:  # the driver answers reviews while the executions run
        running = pool.submit(run_on_durable, driver_target(function), planned, label="durable/crash",
                              progress=lambda _: None, review_timeout_seconds=REVIEW_TIMEOUT_SECONDS,
                              timeout_seconds=WAIT_SECONDS)
        deadline = time.monotonic() + WAIT_SECONDS
        while not (part_way := _part_way(function)):
            assert time.monotonic() < deadline, "no execution ever checkpointed a step"
            time.sleep(0.05)
        function.replace_execution_environment()
        finished = running.result()
    assert part_way  # executions the crash caught between checkpoints
    assert finished_problems(function, finished) == []


def _key_ids(events: list[dict[str, Any]]) -> list[str]:
    """The key id of every sealed checkpoint in a history, in event order."""
    found = []
    for event in events:
        for details in (value for key, value in event.items() if key.endswith("Details")):
            for part in ("Input", "Result"):
                payload = details.get(part, {}).get("Payload") if isinstance(details, dict) else None
                if isinstance(payload, str) and payload.startswith('{"envelope"'):
                    found.append(base64.b64decode(json.loads(payload)["metadata"][META_KEY_ID]).decode())
    return found


def test_checkpoints_sealed_before_a_key_rotation_still_open_after_it(
    durable: tuple[AwsEmulation, OnboardingDurableFunction]
) -> None:
    aws, function = durable
    assert function.key_alias is not None and function.keys is not None
    kms = aws.client("kms")
    old_key = kms.describe_key(KeyId=function.key_alias)["KeyMetadata"]["Arn"]
    cases = [SCENARIOS_BY_NAME[name] for name in IN_FLIGHT]
    ids = {case.name: new_application_id() for case in cases}
    arns = {case.name: start_onboarding(function.start, case.application(ids[case.name]), keys=function.keys,
                                        review_timeout_seconds=REVIEW_TIMEOUT_SECONDS) for case in cases}
    reviews = DynamoReviewQueue(function.reviews_table())
    deadline = time.monotonic() + WAIT_SECONDS
    while any((review := reviews.get(ids[case.name])) is None or review.task_token is None for case in cases):
        assert time.monotonic() < deadline, "an execution never reached its review"
        time.sleep(0.1)

    new_key = kms.create_key(Description="durable checkpoints, after rotation")["KeyMetadata"]["Arn"]
    kms.update_alias(AliasName=function.key_alias, TargetKeyId=new_key)
    function.replace_execution_environment()  # a fresh environment: no data key cached from before the rotation
    for case in cases:
        assert case.review_decision is not None
        decide(ids[case.name], case.review_decision, reviews=reviews, lambda_client=function.client,
               keys=function.keys)

    adapters = function.adapters()
    for case in cases:
        described = function.wait(arns[case.name], timeout_seconds=WAIT_SECONDS)
        outcome = Outcome.model_validate_json(described["Result"])
        assert matches_expected(case, outcome, SideEffects.of(adapters, ids[case.name])) == [], case.name
        used = _key_ids(history(function.client, arns[case.name]))
        assert used[0] == old_key and used[-1] == new_key, case.name  # the first before, the last after rotation
        assert set(used) == {old_key, new_key}, case.name
