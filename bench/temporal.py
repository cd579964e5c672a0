"""The Temporal bench: what the hardened converter costs end to end, and the codec's own costs. Writes ``codec``.

Throughput: the local dev server, two ``python -m workers`` processes (hardened: KMS envelope codec on moto;
plain: the baseline profile, no codec), in-memory adapters for both so storage does not dilute the codec's share.
Batches of onboardings (the corpus scenarios that finish without waiting: no review, no retry backoff) run on one
profile at a time, alternating which goes first each round (ABBA), after a warm-up batch each. Workflows per second
= workflows / the sum of their batches' wall times, per profile; the ratio is hardened over plain.

The SDK's floor (``bench.floor``) is a third lane in the same rounds: a worker process of the same SDK whose workflows
run as many trivial activities as the onboarding they stand for scheduled (counted from its history). Worker CPU per
workflow, onboarding over floor, is what our code (domain, converter, codec) adds to the SDK's per-activity cost.

A fourth lane, the floor with the onboarding's pure steps (``PURE_STEPS``) as local activities, evaluates moving them:
worker CPU, throughput, history events and Temporal Actions per workflow against the all-scheduled floor
(``codec.local_activities``).

With a base commit (``make bench BENCH_BASE=<commit>``, :mod:`bench.base`), a fifth lane runs the base's hardened
worker from its own source tree in the same rounds: ``codec.base_vs_new`` gives worker CPU per onboarding, base over
new, from one run.
"""

from __future__ import annotations

import asyncio
import contextlib
import functools
import os
import statistics
import time
import uuid
from collections.abc import Awaitable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from temporalio.api.enums.v1 import EventType
from temporalio.client import Client

from bench import Sections, Size, base
from bench.codec import kms_requests, payload_microseconds
from bench.floor import FLOOR_WORKFLOW
from bench.progress import SILENT, Progress
from comparison.cost.usage import count_temporal_actions
from contract import environment as names
from contract.onboarding import ONBOARDING
from contract.profile import Profile
from local.aws import moto_server
from local.temporal import (
    TemporalStack,
    temporal_dev_server,
    temporal_stack,
    wait_for_temporal,
    worker_process,
    worker_processes,
)
from onboarding.models import RejectionReason
from ops.starter import start_onboarding
from scenarios import SCENARIOS, new_application_id

# No review and no retry backoff: a batch's time is work, not timers. FUNDING_UNAVAILABLE is reached only once the
# charge's (or the refund's) retry budget is spent, so those scenarios wait out backoff timers (and the
# compensation-pending one an operator's window) too.
BENCH_SCENARIOS = tuple(case for case in SCENARIOS
                        if not case.expected.review_requested and case.identity_transient_failures == 0
                        and case.funding_transient_failures == 0
                        and case.expected.reason is not RejectionReason.FUNDING_UNAVAILABLE)

FLOOR = "sdk_floor"
LOCAL = "sdk_floor_pure_local"  # the floor with the pure steps as local activities
BASE = "base"  # the base commit's hardened worker, with a base commit only
LANES = (Profile.HARDENED.value, Profile.BASELINE.value, FLOOR, LOCAL)  # one batch each per round (and BASE's)
# The steps that do no I/O (onboarding.steps' validation and risk scoring): the candidates for local activities.
PURE_STEPS = frozenset({"validate", "assess_risk"})


# A batch takes seconds; one that has not finished after this long is stuck (e.g. a base commit's worker whose codec
# cannot read this checkout's payloads retries its workflow tasks forever).
BATCH_TIMEOUT_SECONDS = 300.0


class BenchError(RuntimeError):
    """A bench run went wrong (a wrong outcome, a stuck batch): its figures would be meaningless."""


@dataclass(frozen=True)
class Plan:
    batch: int  # onboardings per batch, started at once
    rounds: int  # each round runs one batch per profile
    warm_up: int  # onboardings per profile before measuring
    kms_payloads: int
    iterations: dict[str, int]  # per payload size


PLANS = {
    Size.FULL: Plan(batch=50, rounds=12, warm_up=50, kms_payloads=10_000,
                    iterations={"1KB": 5_000, "64KB": 1_000, "1MB": 50}),
    Size.TINY: Plan(batch=3, rounds=2, warm_up=1, kms_payloads=20, iterations={"1KB": 2, "64KB": 2, "1MB": 1}),
}


async def run_batch(client: Client, task_queue: str, count: int) -> float:
    """Start ``count`` onboardings at once and wait for all; the wall time in seconds. Outcomes are checked."""
    cases = [BENCH_SCENARIOS[n % len(BENCH_SCENARIOS)] for n in range(count)]
    began = time.perf_counter()
    handles = await asyncio.gather(*(start_onboarding(client, case.application(application_id=new_application_id()),
                                                      task_queue=task_queue) for case in cases))
    results = await _within_timeout(asyncio.gather(*(handle.result() for handle in handles)), task_queue)
    elapsed = time.perf_counter() - began
    wrong = [case.name for case, outcome in zip(cases, results, strict=True)
             if (outcome.status, outcome.reason) != (case.expected.status, case.expected.reason)]
    if wrong:
        raise BenchError(f"unexpected outcomes for {sorted(set(wrong))}")
    return elapsed


async def _within_timeout(results: Awaitable[list[Any]], task_queue: str) -> list[Any]:
    try:
        async with asyncio.timeout(BATCH_TIMEOUT_SECONDS):
            return await results
    except TimeoutError:
        raise BenchError(f"a batch on task queue {task_queue} did not finish within {BATCH_TIMEOUT_SECONDS:.0f}s; "
                         "see the worker logs in the bench's scratch directory") from None


def cpu_seconds(pid: int) -> float | None:
    """User + system CPU time of a process so far (Linux ``/proc``); None where unavailable."""
    try:
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    except OSError:
        return None
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def worker_env(stack: TemporalStack, profile: Profile, task_queue: str) -> dict[str, str]:
    """The stack's worker configuration with in-memory adapters instead of its tables."""
    table_variables = set(stack.process.table_variables.values())
    env = {name: value for name, value in stack.worker_env(profile, task_queue).items()
           if name not in table_variables}
    return {**env, "WORKER_IN_MEMORY_ADAPTERS": "true"}


async def steps_per_scenario(client: Client, task_queue: str) -> tuple[dict[str, list[str]], int]:
    """The activities one onboarding of each bench scenario schedules, in order, read from its history (counted, not
    assumed): the floor's workflows get the same shape. Also the number of activity attempts beyond the first
    across them (0 for a fair floor: a retry is work and a timer the floor never has)."""
    steps, retried = {}, 0
    for case in BENCH_SCENARIOS:
        handle = await start_onboarding(client, case.application(application_id=new_application_id()),
                                        task_queue=task_queue)
        await handle.result()
        history = await handle.fetch_history()
        steps[case.name] = [event.activity_task_scheduled_event_attributes.activity_type.name
                            for event in history.events
                            if event.event_type == EventType.EVENT_TYPE_ACTIVITY_TASK_SCHEDULED]
        retried += sum(event.activity_task_started_event_attributes.attempt - 1 for event in history.events
                       if event.event_type == EventType.EVENT_TYPE_ACTIVITY_TASK_STARTED)
    return steps, retried


def floor_shape(steps: list[str], *, pure_local: bool) -> list[bool]:
    """The floor workflow's argument for an onboarding that scheduled ``steps``: one flag per activity, ``True``
    (local) for a pure step when ``pure_local``."""
    return [pure_local and step in PURE_STEPS for step in steps]


async def run_floor_batch(client: Client, task_queue: str, shapes: list[list[bool]]) -> float:
    """Start one floor workflow per shape at once and wait for all; the wall time in seconds."""
    began = time.perf_counter()
    handles = await asyncio.gather(*(client.start_workflow(FLOOR_WORKFLOW, shape, id=f"floor-{uuid.uuid4().hex}",
                                                           task_queue=task_queue) for shape in shapes))
    results = await _within_timeout(asyncio.gather(*(handle.result() for handle in handles)), task_queue)
    if results != [len(shape) for shape in shapes]:
        raise BenchError("a floor workflow ran a different number of activities than it was given")
    return time.perf_counter() - began


async def floor_histories(client: Client, task_queue: str, shapes: dict[str, list[bool]]) -> dict[str, dict[str, int]]:
    """Per named shape: the events of one floor workflow's history and the Temporal Actions the cost model counts
    from it (``comparison.cost.usage``: local activities bill one Action per workflow task that ran any)."""
    found = {}
    for name, shape in shapes.items():
        handle = await client.start_workflow(FLOOR_WORKFLOW, shape, id=f"floor-{uuid.uuid4().hex}",
                                             task_queue=task_queue)
        await handle.result()
        events = (await handle.fetch_history()).to_json_dict()["events"]
        found[name] = {"events": len(events), "actions": count_temporal_actions(events).total}
    return found


async def throughput(stack: TemporalStack, plan: Plan, progress: Progress = SILENT,
                     base_tree: Path | None = None) -> dict[str, Any]:
    lanes = (*LANES, BASE) if base_tree is not None else LANES
    queues = {lane: f"bench-{lane}-{uuid.uuid4().hex[:6]}" for lane in lanes}
    clients = {profile: stack.client(profile) for profile in Profile}
    seconds: dict[str, list[float]] = {lane: [] for lane in lanes}
    environments = {
        Profile.HARDENED.value: worker_env(stack, Profile.HARDENED, queues[Profile.HARDENED.value]),
        Profile.BASELINE.value: worker_env(stack, Profile.BASELINE, queues[Profile.BASELINE.value]),
    }
    with contextlib.ExitStack() as running:
        workers = dict(running.enter_context(worker_processes(environments, stack.workdir)))
        for lane in (FLOOR, LOCAL):  # a process each: CPU time is counted per process
            workers[lane] = running.enter_context(worker_process(
                {names.TEMPORAL_ADDRESS: stack.address, names.TEMPORAL_TASK_QUEUE: queues[lane]}, stack.workdir,
                module="bench.floor"))
        if base_tree is not None:
            workers[BASE] = running.enter_context(worker_process(
                worker_env(stack, Profile.HARDENED, queues[BASE]), stack.workdir, source=base_tree))
        pids = {lane: worker.process.pid for lane, worker in workers.items()}
        steps, retried = await steps_per_scenario(clients[Profile.BASELINE], queues[Profile.BASELINE.value])
        by_scenario = {lane: {name: floor_shape(scheduled, pure_local=lane == LOCAL)
                              for name, scheduled in steps.items()} for lane in (FLOOR, LOCAL)}
        shapes = {lane: [by_scenario[lane][BENCH_SCENARIOS[n % len(BENCH_SCENARIOS)].name] for n in range(plan.batch)]
                  for lane in (FLOOR, LOCAL)}
        batches = {
            **{profile.value: functools.partial(run_batch, clients[profile], queues[profile.value], plan.batch)
               for profile in Profile},
            **{lane: functools.partial(run_floor_batch, stack.raw_client(), queues[lane], shapes[lane])
               for lane in (FLOOR, LOCAL)},
        }
        if base_tree is not None:  # the same client and codec keys as the new hardened lane
            batches[BASE] = functools.partial(run_batch, clients[Profile.HARDENED], queues[BASE], plan.batch)
        progress(f"temporal throughput: warm-up, {plan.warm_up} onboardings per profile and as many floor workflows")
        for profile in Profile:
            await run_batch(clients[profile], queues[profile.value], plan.warm_up)
        if base_tree is not None:
            await run_batch(clients[Profile.HARDENED], queues[BASE], plan.warm_up)
        for lane in (FLOOR, LOCAL):
            await run_floor_batch(stack.raw_client(), queues[lane], shapes[lane][:plan.warm_up])
        step = progress.step("temporal throughput", plan.rounds * len(lanes),
                             f"batches of {plan.batch} workflows per lane ({', '.join(lanes)}), order reversed "
                             "every other round")
        cpu_before = {lane: cpu_seconds(pid) for lane, pid in pids.items()}
        for round_number in range(plan.rounds):
            for lane in lanes if round_number % 2 == 0 else tuple(reversed(lanes)):
                seconds[lane].append(await batches[lane]())
                step.advance(f"{lane} in {seconds[lane][-1]:.1f}s")
        cpu_after = {lane: cpu_seconds(pid) for lane, pid in pids.items()}
        histories = {case.name: await floor_histories(stack.raw_client(), queues[LOCAL], {
            lane: by_scenario[lane][case.name] for lane in (FLOOR, LOCAL)}) for case in BENCH_SCENARIOS}
    hardened, plain = Profile.HARDENED.value, Profile.BASELINE.value
    rate = {lane: plan.batch * len(times) / sum(times) for lane, times in seconds.items()}
    workflows = plan.batch * plan.rounds
    # CPU time is immune to other load on the machine, unlike wall time: the worker's own cost per workflow.
    cpu_ms = {lane: _per_workflow_ms(cpu_before[lane], cpu_after[lane], workflows) for lane in lanes}
    per_round = [p / h for h, p in zip(seconds[hardened], seconds[plain], strict=True)]
    compared = {} if base_tree is None else {"base_vs_new": {
        "worker_cpu_ms_per_workflow": {"base": cpu_ms[BASE], "new": cpu_ms[hardened]},
        # The project's target: at least 1.3x fewer worker CPU milliseconds per onboarding than the base.
        "worker_cpu_base_over_new": _ratio(cpu_ms[BASE], cpu_ms[hardened]),
        "workflows_per_second": {"base": round(rate[BASE], 2), "new": round(rate[hardened], 2)},
        "setup": "the base commit's tree (git archive) runs python -m workers, hardened, with this checkout's "
                 "virtualenv, settings and client; its batches alternate with the others in the same rounds",
    }}
    def per_workflow(lane: str, figure: str) -> float:
        return round(statistics.mean(histories[case.name][lane][figure] for case in BENCH_SCENARIOS), 3)

    local_activities = {
        "pure_steps": sorted(PURE_STEPS),
        "local_per_workflow": round(statistics.mean(sum(shape) for shape in shapes[LOCAL]), 3),
        "worker_cpu_ms_per_workflow": {"scheduled": cpu_ms[FLOOR], "pure_local": cpu_ms[LOCAL]},
        "worker_cpu_scheduled_over_local": _ratio(cpu_ms[FLOOR], cpu_ms[LOCAL]),
        "workflows_per_second": {"scheduled": round(rate[FLOOR], 2), "pure_local": round(rate[LOCAL], 2)},
        # One floor workflow per bench scenario and shape, averaged over the scenarios.
        "history_events_per_workflow": {"scheduled": per_workflow(FLOOR, "events"),
                                        "pure_local": per_workflow(LOCAL, "events")},
        "actions_per_workflow": {"scheduled": per_workflow(FLOOR, "actions"),
                                 "pure_local": per_workflow(LOCAL, "actions")},
        "setup": "python -m bench.floor, two processes: the onboarding's activity sequence all scheduled, and the "
                 "same with the pure steps as local activities; batches alternate with the others in the same run",
    }
    return {
        **compared,
        "local_activities": local_activities,
        "throughput_ratio_hardened_vs_plain": round(rate[hardened] / rate[plain], 3),
        "throughput": {
            "hardened_workflows_per_second": round(rate[hardened], 2),
            "plain_workflows_per_second": round(rate[plain], 2),
            "workflows_per_profile": workflows,
            "worker_cpu_ms_per_workflow": {"hardened": cpu_ms[hardened], "plain": cpu_ms[plain]},
            # What the ratio would be if the worker's CPU were the only bottleneck (e.g. the service elsewhere).
            "worker_bound_ratio": _ratio(cpu_ms[plain], cpu_ms[hardened]),
            "batch_size": plan.batch,
            "rounds": plan.rounds,
            "warm_up_per_profile": plan.warm_up,
            "ratio_per_round": {"min": round(min(per_round), 3), "median": round(statistics.median(per_round), 3),
                                "max": round(max(per_round), 3)},
            "scenarios": [case.name for case in BENCH_SCENARIOS],
            "setup": "temporal server start-dev; one python -m workers process per profile (default concurrency), "
                     "in-memory adapters; hardened = KMS envelope codec (moto) + encoded failures, plain = no codec",
        },
        "sdk_floor": {
            "worker_cpu_ms_per_workflow": cpu_ms[FLOOR],
            "activities_per_scenario": {name: len(scheduled) for name, scheduled in steps.items()},
            "steps_per_scenario": steps,
            "retried_attempts": retried,
            "activities_per_workflow": round(statistics.mean(len(shape) for shape in shapes[FLOOR]), 3),
            "workflows_per_second": round(rate[FLOOR], 2),
            # The project's target: an onboarding's worker CPU at most 1.15x the floor for its activity count.
            "onboarding_worker_cpu_vs_floor": {"hardened": _ratio(cpu_ms[hardened], cpu_ms[FLOOR]),
                                               "plain": _ratio(cpu_ms[plain], cpu_ms[FLOOR])},
            "setup": "python -m bench.floor: the same SDK, dev server, activity thread pool and concurrency; one "
                     "trivial activity per scheduled onboarding activity, no codec, default converter; batches "
                     "alternate with the onboarding's in the same run",
        },
    }


def _per_workflow_ms(before: float | None, after: float | None, workflows: int) -> float | None:
    return None if before is None or after is None else round(1000 * (after - before) / workflows, 2)


def _ratio(numerator: float | None, denominator: float | None) -> float | None:
    return None if numerator is None or not denominator else round(numerator / denominator, 3)


class TemporalBench:
    name = "temporal"

    def __init__(self, base_commit: str | None = None) -> None:
        self.base_commit = base_commit  # resolved by bench.base.resolve before anything starts

    async def run(self, size: Size, workdir: Path, progress: Progress = SILENT) -> Sections:
        plan = PLANS[size]
        workdir.mkdir(parents=True, exist_ok=True)
        base_tree = None
        if self.base_commit is not None:
            progress(f"temporal: extracting the base commit {self.base_commit[:12]}")
            base_tree = base.extract(self.base_commit, workdir / "base")
        progress("temporal: starting moto and the dev server")
        with moto_server() as aws:
            with temporal_dev_server(workdir) as server:  # stopped before the in-process codec measurements
                stack = temporal_stack(ONBOARDING, aws, await wait_for_temporal(server), workdir,
                                       prefix=f"bench-{uuid.uuid4().hex[:8]}")
                measured = await throughput(stack, plan, progress, base_tree)
            if self.base_commit is not None:
                measured["base_vs_new"]["base"] = self.base_commit
            progress(f"codec: KMS requests for {plan.kms_payloads} payloads")
            kms = kms_requests(lambda: aws.client("kms"), stack.resources.alias, plan.kms_payloads)
            progress(f"codec: encode/decode timings at {', '.join(plan.iterations)}")
            micro = await payload_microseconds(stack.codec(), plan.iterations)
        return {"codec": {**measured, **kms, "payload_microseconds": micro}}

    def summary(self, sections: Sections) -> list[str]:
        codec = sections["codec"]
        rates = codec["throughput"]
        lines = [
            f"codec.throughput_ratio_hardened_vs_plain  {codec['throughput_ratio_hardened_vs_plain']}"
            f"  ({rates['hardened_workflows_per_second']} vs {rates['plain_workflows_per_second']} workflows/s, "
            f"per-round {rates['ratio_per_round']['min']}..{rates['ratio_per_round']['max']})",
            f"codec.throughput.worker_cpu_ms_per_workflow {rates['worker_cpu_ms_per_workflow']}"
            f"  (worker-bound ratio {rates['worker_bound_ratio']})",
            f"codec.sdk_floor.worker_cpu_ms_per_workflow {codec['sdk_floor']['worker_cpu_ms_per_workflow']}"
            f"  (onboarding vs floor {codec['sdk_floor']['onboarding_worker_cpu_vs_floor']}, "
            f"{codec['sdk_floor']['activities_per_workflow']} activities per workflow)",
            *([f"codec.base_vs_new.worker_cpu_base_over_new {codec['base_vs_new']['worker_cpu_base_over_new']}"
               f"  ({codec['base_vs_new']['worker_cpu_ms_per_workflow']}, base {codec['base_vs_new']['base'][:12]})"]
              if "base_vs_new" in codec else []),
            f"codec.local_activities.worker_cpu_scheduled_over_local "
            f"{codec['local_activities']['worker_cpu_scheduled_over_local']}"
            f"  ({codec['local_activities']['worker_cpu_ms_per_workflow']}; Actions per workflow "
            f"{codec['local_activities']['actions_per_workflow']})",
            f"codec.kms_requests_per_1000_payloads      {codec['kms_requests_per_1000_payloads']}"
            f"  ({codec['kms']['requests_by_operation']} for {codec['kms']['payloads']} payloads)",
        ]
        lines += [f"codec.payload_microseconds.{label:<5}           encode {timing['encode_us']} us, "
                  f"decode {timing['decode_us']} us" for label, timing in codec["payload_microseconds"].items()]
        return lines


BENCH = TemporalBench()
