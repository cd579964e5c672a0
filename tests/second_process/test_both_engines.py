"""The proof that the platform is generic: the library-card process (this folder only) runs through both engines
on the platform packages, with the KMS payload codec, the claim check, the exposure audit and parity.

Each profile runs the whole corpus on each engine under fresh request ids: Temporal on the session's dev server with an
in-process worker built by ``workers.worker.build_worker`` (hardened: the envelope codec on moto KMS), Step Functions
on moto's interpreter with the real handlers (``local.stepfunctions.runner.LocalStepFunctions``, hardened: the claim
check). Then the audit reads what each orchestrator stored, and parity compares the facts of both engines with the
corpus's expectations.
"""

from __future__ import annotations

import asyncio
import json
import uuid
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
from temporalio.client import WorkflowHandle, WorkflowUpdateFailedError

from comparison.audit.collect import stepfunctions_evidence, temporal_evidence
from comparison.audit.evidence import StepFunctionsEvidence, TemporalEvidence, audit_stepfunctions, audit_temporal
from comparison.audit.pii import PiiValue
from comparison.models import Engine, ScenarioRun
from comparison.parity import parity
from contract.profile import Profile
from local.aws import AwsEmulation, moto_server
from local.stepfunctions.runner import LocalStepFunctions
from local.temporal import temporal_stack
from tests.conftest import TemporalServer
from tests.second_process.activities import LIBRARY_WORKER
from tests.second_process.corpus import CASES, CORPUS, LibraryCase, new_request_id
from tests.second_process.description import FUNCTIONS, LIBRARY, definition
from tests.second_process.domain import Stores
from tests.second_process.workflows import AWAITING_REVIEW
from tests.support.conformance import activity_order_problems, definition_problems
from workers.worker import build_worker

REVIEW_TIMEOUT_SECONDS = 5
VALUES: list[PiiValue] = [value for case in CASES for value in case.pii()]


@dataclass(frozen=True)
class EngineRun:
    runs: list[ScenarioRun]
    temporal: list[TemporalEvidence]
    stepfunctions: list[StepFunctionsEvidence]
    activities: dict[str, list[str]]  # case -> the activities its workflow ran (Temporal only)


@pytest.fixture(scope="module")
def aws() -> Iterator[AwsEmulation]:
    with moto_server() as emulation:
        yield emulation


def _facts(output: dict[str, Any], stores: Stores, request_id: str) -> dict[str, Any]:
    return {"status": output["status"], "reason": output["reason"], **stores.snapshot(request_id)}


async def _review(handle: WorkflowHandle[Any, Any], decision: str) -> None:
    for _ in range(600):  # a bound on polls, not a timing assertion
        if await handle.query("current_step") == AWAITING_REVIEW:
            try:
                await handle.execute_update("submit_review", decision)
                return
            except WorkflowUpdateFailedError:
                pass
        await asyncio.sleep(0.05)
    raise AssertionError(f"{handle.id} never awaited its review")


async def _on_temporal(profile: Profile, server: TemporalServer, aws: AwsEmulation, workdir: Path) -> EngineRun:
    stack = temporal_stack(LIBRARY, aws, server.connection, workdir)
    client = stack.client(profile)
    stores = Stores(stack.resources.tables, aws.resource("dynamodb"))
    ids = {case.name: new_request_id() for case in CASES}
    task_queue = f"library-{uuid.uuid4().hex[:8]}"
    with ThreadPoolExecutor(4) as executor:
        async with build_worker(client, LIBRARY_WORKER, task_queue=task_queue, stores=stores, executor=executor,
                                profile=profile):
            handles = {case.name: await client.start_workflow(
                "LibraryCard", args=[case.submission(ids[case.name]), REVIEW_TIMEOUT_SECONDS],
                id=ids[case.name], task_queue=task_queue) for case in CASES}
            await asyncio.gather(*(_review(handles[case.name], case.decision) for case in CASES if case.decision))
            outputs = {name: await handle.result() for name, handle in handles.items()}
    raw = stack.raw_client()
    runs = [ScenarioRun(engine=Engine.TEMPORAL, profile=profile, scenario=case.name, business_id=ids[case.name],
                        facts=_facts(outputs[case.name], stores, ids[case.name])) for case in CASES]
    evidence = [await temporal_evidence(raw, ids[case.name], label=case.name) for case in CASES]
    activities = {case.name: [event["activityTaskScheduledEventAttributes"]["activityType"]["name"]
                              for event in item.history if "activityTaskScheduledEventAttributes" in event]
                  for case, item in zip(CASES, evidence, strict=True)}
    return EngineRun(runs=runs, temporal=evidence, stepfunctions=[], activities=activities)


def _on_stepfunctions(profile: Profile, aws: AwsEmulation) -> EngineRun:
    ids = {case.name: new_request_id() for case in CASES}
    by_id: dict[str, LibraryCase] = {ids[case.name]: case for case in CASES}
    with LocalStepFunctions(process=LIBRARY, functions=FUNCTIONS, definition=definition(), profile=profile,
                            review_timeout_seconds=REVIEW_TIMEOUT_SECONDS, endpoint_url=aws.endpoint,
                            prefix=f"library-{uuid.uuid4().hex[:6]}") as sfn:
        stores = Stores(sfn.resources.tables, sfn.dynamodb())

        def answer(runner: LocalStepFunctions, running: set[str]) -> None:
            """A librarian: each waiting review of a running case gets the case's decision, once."""
            for item in stores.reviews.scan(ConsistentRead=True)["Items"]:
                case = by_id.get(str(item["pk"]))
                if case is None or not case.decision or "decided" in item or item["pk"] not in running:
                    continue
                if case.decision == "APPROVE":
                    runner.stepfunctions.send_task_success(taskToken=item["task_token"],
                                                           output='{"decision":"APPROVE"}')
                else:
                    runner.stepfunctions.send_task_failure(taskToken=item["task_token"], error="REVIEW_DECLINED")
                stores.reviews.update_item(Key={"pk": item["pk"]}, UpdateExpression="SET decided = :yes",
                                           ExpressionAttributeValues={":yes": True})

        results = sfn.run([case.submission(ids[case.name]) for case in CASES], answer_reviews=answer)
        runs, evidence = [], []
        for case in CASES:
            result = results[ids[case.name]]
            assert result.status == "SUCCEEDED" and result.output is not None, case.name
            runs.append(ScenarioRun(engine=Engine.STEPFUNCTIONS, profile=profile, scenario=case.name,
                                    business_id=ids[case.name],
                                    facts=_facts(json.loads(result.output), stores, ids[case.name])))
            evidence.append(stepfunctions_evidence(sfn.stepfunctions, result.execution_arn, label=case.name,
                                                   logs=sfn.client("logs"),
                                                   log_group=sfn.resources.state_machine_log_group))
    return EngineRun(runs=runs, temporal=[], stepfunctions=evidence, activities={})


@pytest.fixture(scope="module")
async def both_profiles(temporal_server: TemporalServer, aws: AwsEmulation,
                        tmp_path_factory: pytest.TempPathFactory) -> dict[tuple[Engine, Profile], EngineRun]:
    found: dict[tuple[Engine, Profile], EngineRun] = {}
    for profile in Profile:
        workdir = tmp_path_factory.mktemp(f"library-{profile.value}")
        found[(Engine.TEMPORAL, profile)] = await _on_temporal(profile, temporal_server, aws, workdir)
        found[(Engine.STEPFUNCTIONS, profile)] = await asyncio.to_thread(_on_stepfunctions, profile, aws)
    return found


def test_both_engines_conform_to_the_description(both_profiles: dict[tuple[Engine, Profile], EngineRun]) -> None:
    assert definition_problems(LIBRARY, definition().text) == []
    reviewed_and_issued = both_profiles[(Engine.TEMPORAL, Profile.HARDENED)].activities["reviewed_and_issued"]
    assert activity_order_problems(LIBRARY, reviewed_and_issued) == []


@pytest.mark.parametrize("profile", list(Profile))
def test_every_case_is_in_parity_on_both_engines(
    profile: Profile, both_profiles: dict[tuple[Engine, Profile], EngineRun]
) -> None:
    engines = (Engine.TEMPORAL, Engine.STEPFUNCTIONS)
    runs = [run for engine in engines for run in both_profiles[(engine, profile)].runs]
    for case in CORPUS.cases:
        result = parity(case.expected, [run for run in runs if run.scenario == case.name], engines=engines)
        assert result.parity, (case.name, result.mismatches)


def test_the_hardened_profiles_store_no_plaintext_and_the_baselines_do(
    both_profiles: dict[tuple[Engine, Profile], EngineRun],
) -> None:
    def hits(engine: Engine, profile: Profile) -> int:
        run = both_profiles[(engine, profile)]
        audit = audit_temporal(run.temporal, VALUES) if engine is Engine.TEMPORAL \
            else audit_stepfunctions(run.stepfunctions, VALUES)
        return audit.total_hits

    for engine in (Engine.TEMPORAL, Engine.STEPFUNCTIONS):
        assert hits(engine, Profile.HARDENED) == 0, engine
        assert hits(engine, Profile.BASELINE) > 0, engine  # the audit can see


def test_the_hardened_step_functions_input_is_a_claim_check_reference(
    both_profiles: dict[tuple[Engine, Profile], EngineRun],
) -> None:
    for evidence in both_profiles[(Engine.STEPFUNCTIONS, Profile.HARDENED)].stepfunctions:
        execution_input = json.loads(evidence.describe_execution["input"])
        assert set(execution_input["submission"]) == {"claim_check"}, evidence.label
