"""End to end on the real dev server: ``python -m workers`` (env-configured) with the KMS codec on moto.

Also the exposure check: each workflow's raw history, fetched WITHOUT the codec (what the service stores), holds
none of the scenario's PII under the hardened profile, and all of it under the baseline profile (codec and
failure encoding off), which proves the check can see.
"""

from __future__ import annotations

import asyncio
import json
import subprocess
import sys
import uuid
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from dataclasses import replace
from pathlib import Path

import pytest

from contract.profile import Profile
from local.temporal import (
    PYCACHE_PREFIX,
    TemporalStack,
    WorkerProcess,
    clean_environment,
    worker_process,
    worker_processes,
)
from onboarding.adapters.memory import in_memory_adapters
from onboarding.adapters.sandbox import SandboxIdentity
from onboarding.models import Applicant, Outcome, OutcomeStatus, ReviewDecision
from scenarios import DEMO_REVIEW_TIMEOUT_SECONDS, SCENARIOS, SCENARIOS_BY_NAME, new_application_id
from tests.support.side_effects import SideEffects, matches_expected
from tests.support.temporal import (
    onboarding_adapters,
    run_scenario,
    stored_bytes,
    wait_for_step,
)
from workers import workflows
from workers.messages import SERVICE_SEARCH_ATTRIBUTES, Step
from workers.registration import ONBOARDING_WORKER
from workers.worker import build_worker

Runs = dict[str, tuple[str, Outcome]]  # scenario name -> (application id, outcome)


@pytest.fixture(scope="module")
def stack(temporal_stack: TemporalStack) -> TemporalStack:
    """The session's dev server and this module's moto (its tables hold every side effect of this module)."""
    return temporal_stack


@pytest.fixture(scope="module")
def workers(stack: TemporalStack) -> Iterator[dict[Profile, WorkerProcess]]:
    """One worker process per profile, each on its own task queue."""
    envs = {profile.value: stack.worker_env(profile, f"e2e-{profile.value}-{uuid.uuid4().hex[:6]}")
            for profile in Profile}
    with worker_processes(envs, stack.workdir) as started:
        yield {profile: started[profile.value] for profile in Profile}


@pytest.fixture(scope="module")
async def corpus_runs(stack: TemporalStack, workers: dict[Profile, WorkerProcess]) -> dict[Profile, Runs]:
    """The whole corpus through both worker processes at once (review timeout: the demo's seconds)."""

    async def one(profile: Profile, name: str) -> tuple[Profile, str, str, Outcome]:
        application_id = new_application_id()
        outcome = await run_scenario(stack.client(profile), SCENARIOS_BY_NAME[name], application_id,
                                     task_queue=workers[profile].task_queue,
                                     review_timeout_seconds=DEMO_REVIEW_TIMEOUT_SECONDS)
        return profile, name, application_id, outcome

    results = await asyncio.gather(*(one(profile, case.name) for profile in Profile for case in SCENARIOS))
    runs: dict[Profile, Runs] = {profile: {} for profile in Profile}
    for profile, name, application_id, outcome in results:
        runs[profile][name] = (application_id, outcome)
    return runs


@pytest.mark.parametrize("profile", list(Profile), ids=[p.value for p in Profile])
async def test_every_scenario_end_to_end(
    profile: Profile, corpus_runs: dict[Profile, Runs], stack: TemporalStack
) -> None:
    adapters = onboarding_adapters(stack)
    problems = {
        name: diff for name, (application_id, outcome) in corpus_runs[profile].items()
        if (diff := matches_expected(SCENARIOS_BY_NAME[name], outcome, SideEffects.of(adapters, application_id)))
    }
    assert problems == {}
    assert len(corpus_runs[profile]) == len(SCENARIOS)


async def exposed_pii(stack: TemporalStack, runs: Runs) -> dict[str, set[str]]:
    """For each scenario run: which of its PII values the service stores in plaintext."""
    exposed = {}
    for name, (application_id, _) in runs.items():
        stored = await stored_bytes(stack.raw_client(), application_id)
        exposed[name] = {value for value in SCENARIOS_BY_NAME[name].searchable_pii() if value.encode() in stored}
    return exposed


async def test_the_service_stores_no_pii_from_the_hardened_worker(
    stack: TemporalStack, corpus_runs: dict[Profile, Runs]
) -> None:
    exposed = await exposed_pii(stack, corpus_runs[Profile.HARDENED])
    assert {name: values for name, values in exposed.items() if values} == {}
    for application_id, _ in corpus_runs[Profile.HARDENED].values():
        info = (await stack.raw_client().get_workflow_handle(application_id).describe()).raw_description
        assert not info.workflow_execution_info.memo.fields
        # The service's own attributes only (build ids, patch ids of versioned changes): this code sets none.
        assert set(info.workflow_execution_info.search_attributes.indexed_fields) <= SERVICE_SEARCH_ATTRIBUTES


async def test_the_same_check_finds_pii_from_the_baseline_worker(
    stack: TemporalStack, corpus_runs: dict[Profile, Runs]
) -> None:
    exposed = await exposed_pii(stack, corpus_runs[Profile.BASELINE])
    assert exposed == {name: set(SCENARIOS_BY_NAME[name].searchable_pii()) for name in exposed}
    assert len(exposed) == len(SCENARIOS)


def test_worker_logs_are_json_lines_without_pii(
    workers: dict[Profile, WorkerProcess], corpus_runs: dict[Profile, Runs]
) -> None:
    lines = workers[Profile.HARDENED].log_lines()
    assert any("Completing activity as failed" in line for line in lines)  # the transient identity faults
    entries = [json.loads(line) for line in lines]
    assert all({"time", "level", "logger", "message"} <= entry.keys() for entry in entries)
    text = "\n".join(lines)
    assert [value for case in SCENARIOS for value in case.searchable_pii() if value in text] == []


class LeakyIdentity:
    """An identity provider whose first answer is an error echoing the applicant's email, as careless third-party
    clients do. Exercises the channel a business error never uses: an unexpected failure's message."""

    def __init__(self) -> None:
        self.inner = SandboxIdentity()

    def verify(self, applicant: Applicant, *, attempt: int) -> bool:
        if attempt == 1:
            raise RuntimeError(f"identity upstream rejected the request for {applicant.email}")
        return self.inner.verify(applicant, attempt=attempt)


@pytest.mark.parametrize("profile", list(Profile), ids=[p.value for p in Profile])
async def test_a_failed_activity_message_is_ciphertext_only_when_hardened(
    stack: TemporalStack, profile: Profile
) -> None:
    case = SCENARIOS_BY_NAME["approved_low_risk"]
    email = case.payload["applicant"]["email"]
    client, task_queue, application_id = stack.client(profile), f"leaky-{uuid.uuid4().hex[:6]}", new_application_id()
    adapters = replace(in_memory_adapters(), identity=LeakyIdentity())
    with ThreadPoolExecutor(4) as executor:
        async with build_worker(client, ONBOARDING_WORKER, task_queue=task_queue, stores=adapters, executor=executor,
                                profile=profile):
            outcome = await run_scenario(client, case, application_id, task_queue=task_queue,
                                         review_timeout_seconds=DEMO_REVIEW_TIMEOUT_SECONDS)
    assert outcome.status is OutcomeStatus.APPROVED  # the retry succeeded
    history = await stack.raw_client().get_workflow_handle(application_id).fetch_history()
    failures = [event.activity_task_started_event_attributes.last_failure for event in history.events
                if event.activity_task_started_event_attributes.HasField("last_failure")]
    assert len(failures) == 1  # the recorded failure of attempt 1
    stored = await stored_bytes(stack.raw_client(), application_id)
    if profile is Profile.HARDENED:
        assert failures[0].message == "Encoded failure"
        assert email.encode() not in stored
    else:
        assert email in failures[0].message
        assert email.encode() in stored


def cli(stack: TemporalStack, task_queue: str, *args: str) -> subprocess.CompletedProcess[str]:
    env = {**clean_environment(), **stack.worker_env(Profile.HARDENED, task_queue)}
    return subprocess.run([sys.executable, "-m", "ops.starter", *args], env=env, capture_output=True, text=True,
                          timeout=120, check=False)


async def test_the_starter_cli(stack: TemporalStack, workers: dict[Profile, WorkerProcess], tmp_path: Path) -> None:
    task_queue, application_id = workers[Profile.HARDENED].task_queue, new_application_id()
    submission = tmp_path / "application.json"
    submission.write_text(json.dumps(SCENARIOS_BY_NAME["review_declined"].application(application_id=application_id)))
    started = cli(stack, task_queue, "start", str(submission), "--review-timeout-seconds", "600")
    assert started.returncode == 0, started.stderr
    run_id = json.loads(started.stdout)["run_id"]
    await wait_for_step(stack.client(Profile.HARDENED), application_id, Step.AWAITING_REVIEW)
    reviewed = cli(stack, task_queue, "review", application_id, "DECLINE")
    assert json.loads(reviewed.stdout) == {"workflow_id": application_id, "decision": "DECLINE", "accepted": True}
    again = cli(stack, task_queue, "start", str(submission), "--wait")
    assert json.loads(again.stdout)["run_id"] == run_id  # the same execution, not a second one
    assert json.loads(again.stdout)["outcome"]["reason"] == "REVIEW_DECLINED"
    late = cli(stack, task_queue, "review", application_id, "APPROVE")
    assert late.returncode == 2 and "decision refused" in late.stderr
    review = onboarding_adapters(stack).reviews.get(application_id)
    assert review is not None and review.decision is ReviewDecision.DECLINE


def test_the_starter_refuses_an_id_that_is_not_opaque(stack: TemporalStack, tmp_path: Path) -> None:
    case = SCENARIOS_BY_NAME["approved_low_risk"]
    email = case.payload["applicant"]["email"]
    submission = tmp_path / "application.json"
    submission.write_text(json.dumps(case.application(application_id=email)))
    refused = cli(stack, "unused", "start", str(submission))
    assert refused.returncode == 2
    assert "application_id" in refused.stderr and email not in refused.stderr + refused.stdout


def test_health_and_graceful_shutdown_on_sigterm(stack: TemporalStack) -> None:
    env = stack.worker_env(Profile.HARDENED, f"shutdown-{uuid.uuid4().hex[:6]}")
    with worker_process(env, stack.workdir) as worker:
        health = [sys.executable, "-m", "workers.health"]
        assert subprocess.run(health, env=worker.env, check=False).returncode == 0
        assert worker.terminate() == 0
        assert not worker.health_file.exists()
        assert subprocess.run(health, env=worker.env, capture_output=True, check=False).returncode == 1
        assert json.loads(worker.log_lines()[-1])["message"] == "worker stopped"


def test_a_local_worker_runs_its_workflows_from_bytecode_as_the_container_does(
        stack: TemporalStack, monkeypatch: pytest.MonkeyPatch) -> None:
    """The sandbox re-imports the workflow module per workflow run: from source that is a compile every time."""
    source = Path(workflows.__file__).resolve()
    tag = sys.implementation.cache_tag
    cached = PYCACHE_PREFIX / source.parent.relative_to(source.anchor) / f"{source.stem}.{tag}.pyc"
    cached.unlink(missing_ok=True)
    env = stack.worker_env(Profile.HARDENED, f"bytecode-{uuid.uuid4().hex[:6]}")
    monkeypatch.setenv("PYTHONDONTWRITEBYTECODE", "1")  # as make exports it
    with worker_process(env, stack.workdir) as worker:
        assert "PYTHONDONTWRITEBYTECODE" not in worker.env
        assert cached.is_file()
