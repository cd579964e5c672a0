"""The Temporal bench: what the hardened converter costs end to end, and the codec's own costs. Writes ``codec``.

Throughput: the local dev server, two ``python -m workers`` processes (hardened: KMS envelope codec on moto;
plain: the baseline profile, no codec), in-memory adapters for both so storage does not dilute the codec's share.
Batches of onboardings (the corpus scenarios that finish without waiting: no review, no retry backoff) run on one
profile at a time, alternating which goes first each round (ABBA), after a warm-up batch each. Workflows per second
= workflows / the sum of their batches' wall times, per profile; the ratio is hardened over plain.
"""

from __future__ import annotations

import asyncio
import os
import statistics
import time
import uuid
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from temporalio.client import Client

from bench import Sections, Size
from bench.codec import kms_requests, payload_microseconds
from bench.progress import SILENT, Progress
from contract.onboarding import ONBOARDING
from contract.profile import Profile
from local.aws import moto_server
from local.temporal import TemporalStack, temporal_dev_server, temporal_stack, wait_for_temporal, worker_process
from ops.starter import start_onboarding
from scenarios import SCENARIOS, new_application_id

# No review and no retry backoff: a batch's time is work, not timers.
BENCH_SCENARIOS = tuple(case for case in SCENARIOS
                        if not case.expected.review_requested and case.identity_transient_failures == 0)


class BenchError(RuntimeError):
    """A bench run went wrong (a wrong outcome): its figures would be meaningless."""


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
    results = await asyncio.gather(*(handle.result() for handle in handles))
    elapsed = time.perf_counter() - began
    wrong = [case.name for case, outcome in zip(cases, results, strict=True)
             if (outcome.status, outcome.reason) != (case.expected.status, case.expected.reason)]
    if wrong:
        raise BenchError(f"unexpected outcomes for {sorted(set(wrong))}")
    return elapsed


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


async def throughput(stack: TemporalStack, plan: Plan, progress: Progress = SILENT) -> dict[str, Any]:
    queues = {profile: f"bench-{profile.value}-{uuid.uuid4().hex[:6]}" for profile in Profile}
    clients = {profile: stack.client(profile) for profile in Profile}
    seconds: dict[Profile, list[float]] = {profile: [] for profile in Profile}
    with worker_process(worker_env(stack, Profile.HARDENED, queues[Profile.HARDENED]), stack.workdir) as hardened, \
            worker_process(worker_env(stack, Profile.BASELINE, queues[Profile.BASELINE]), stack.workdir) as plain:
        pids = {Profile.HARDENED: hardened.process.pid, Profile.BASELINE: plain.process.pid}
        progress(f"temporal throughput: warm-up, {plan.warm_up} onboardings per profile")
        for profile in Profile:
            await run_batch(clients[profile], queues[profile], plan.warm_up)
        step = progress.step("temporal throughput", plan.rounds * len(Profile),
                             f"batches of {plan.batch} onboardings, ABBA")
        cpu_before = {profile: cpu_seconds(pid) for profile, pid in pids.items()}
        for round_number in range(plan.rounds):
            order = list(Profile) if round_number % 2 == 0 else list(reversed(Profile))
            for profile in order:
                seconds[profile].append(await run_batch(clients[profile], queues[profile], plan.batch))
                step.advance(f"{profile.value} in {seconds[profile][-1]:.1f}s")
        cpu_after = {profile: cpu_seconds(pid) for profile, pid in pids.items()}
    rate = {profile: plan.batch * len(times) / sum(times) for profile, times in seconds.items()}
    workflows = plan.batch * plan.rounds
    # CPU time is immune to other load on the machine, unlike wall time: the worker's own cost per workflow.
    cpu_ms = {profile: _per_workflow_ms(cpu_before[profile], cpu_after[profile], workflows) for profile in Profile}
    per_round = [plain / hardened for hardened, plain in zip(seconds[Profile.HARDENED], seconds[Profile.BASELINE],
                                                             strict=True)]
    return {
        "throughput_ratio_hardened_vs_plain": round(rate[Profile.HARDENED] / rate[Profile.BASELINE], 3),
        "throughput": {
            "hardened_workflows_per_second": round(rate[Profile.HARDENED], 2),
            "plain_workflows_per_second": round(rate[Profile.BASELINE], 2),
            "workflows_per_profile": workflows,
            "worker_cpu_ms_per_workflow": {"hardened": cpu_ms[Profile.HARDENED], "plain": cpu_ms[Profile.BASELINE]},
            # What the ratio would be if the worker's CPU were the only bottleneck (e.g. the service elsewhere).
            "worker_bound_ratio": _ratio(cpu_ms[Profile.BASELINE], cpu_ms[Profile.HARDENED]),
            "batch_size": plan.batch,
            "rounds": plan.rounds,
            "warm_up_per_profile": plan.warm_up,
            "ratio_per_round": {"min": round(min(per_round), 3), "median": round(statistics.median(per_round), 3),
                                "max": round(max(per_round), 3)},
            "scenarios": [case.name for case in BENCH_SCENARIOS],
            "setup": "temporal server start-dev; one python -m workers process per profile (default concurrency), "
                     "in-memory adapters; hardened = KMS envelope codec (moto) + encoded failures, plain = no codec",
        },
    }


def _per_workflow_ms(before: float | None, after: float | None, workflows: int) -> float | None:
    return None if before is None or after is None else round(1000 * (after - before) / workflows, 2)


def _ratio(numerator: float | None, denominator: float | None) -> float | None:
    return None if numerator is None or not denominator else round(numerator / denominator, 3)


class TemporalBench:
    name = "temporal"

    async def run(self, size: Size, workdir: Path, progress: Progress = SILENT) -> Sections:
        plan = PLANS[size]
        workdir.mkdir(parents=True, exist_ok=True)
        progress("temporal: starting moto and the dev server")
        with moto_server() as aws:
            with temporal_dev_server(workdir) as server:  # stopped before the in-process codec measurements
                stack = temporal_stack(ONBOARDING, aws, await wait_for_temporal(server), workdir,
                                       prefix=f"bench-{uuid.uuid4().hex[:8]}")
                measured = await throughput(stack, plan, progress)
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
            f"codec.kms_requests_per_1000_payloads      {codec['kms_requests_per_1000_payloads']}"
            f"  ({codec['kms']['requests_by_operation']} for {codec['kms']['payloads']} payloads)",
        ]
        lines += [f"codec.payload_microseconds.{label:<5}           encode {timing['encode_us']} us, "
                  f"decode {timing['decode_us']} us" for label, timing in codec["payload_microseconds"].items()]
        return lines


BENCH = TemporalBench()
