"""Both engines on the local stack, each profile on its own resources, each run under fresh application ids.

- Temporal: one ``python -m workers`` process per profile (its own task queue), both profiles at once, on a
  :class:`local.temporal.TemporalStack`; the hardened client encrypts with the KMS codec on moto, the baseline
  client has none. Evidence is read without a codec.
- Step Functions: :class:`local.onboarding.OnboardingStepFunctions` against the moto server, one profile after the
  other (the handlers run in this process and read their profile from its environment), with the definition from
  the synthesized template; submitted and reviewed through :mod:`comparison.engines.stepfunctions`.
- Lambda durable functions: :class:`local.onboarding.OnboardingDurableFunction` per profile (AWS's durable-execution
  emulator and the real handler in a Lambda endpoint process of its own, over tables and a checkpoint key on the
  moto server), both profiles at once; started and reviewed through :mod:`comparison.engines.durable`.
"""

from __future__ import annotations

import asyncio
import threading
from collections.abc import Mapping, Sequence
from contextlib import ExitStack
from pathlib import Path

from comparison.engines.durable import DurableTarget, collect_durable_evidence, run_on_durable
from comparison.engines.runs import Planned, Progress, in_background, scenario_run
from comparison.engines.stepfunctions import StepFunctionsTarget, collect_stepfunctions_evidence, run_on_stepfunctions
from comparison.engines.temporal import collect_temporal_evidence, run_on_temporal
from comparison.models import Engine
from comparison.report.assemble import ProfileRun
from contract.definition import DefinitionTemplate
from contract.profile import Profile
from local.aws import AwsEmulation
from local.onboarding import DURABLE_FUNCTION, OnboardingDurableFunction, OnboardingStepFunctions
from local.temporal import TemporalStack, WorkerProcess
from onboarding.adapters.dynamodb import TableNames, dynamodb_adapters

ENGINES = (Engine.TEMPORAL, Engine.STEPFUNCTIONS, Engine.DURABLE)  # the engines this module drives locally
Plans = Mapping[tuple[Engine, Profile], Sequence[Planned]]
# The manual-review timeout of every execution, on every engine: the review_timeout scenario waits this long, and the
# other review scenarios must be answered within it. On a busy 2-core machine the Step Functions side (its handlers,
# moto and the reviewer share this process) has taken more than 30 s to answer a review while the test suite ran
# beside the demo; the review_timeout scenario
# runs beside the others, so a longer window costs the demo little wall time.
REVIEW_TIMEOUT_SECONDS = 60


def task_queue(profile: Profile) -> str:
    """The Temporal task queue of a profile's worker."""
    return f"demo-{profile.value}"


async def temporal_side(
    stack: TemporalStack, *, workers: Mapping[Profile, WorkerProcess], plans: Plans, progress: Progress,
) -> list[ProfileRun]:
    """Every planned Temporal run, all profiles at once; ``workers`` poll each profile's task queue."""
    profiles = [profile for profile in Profile if (Engine.TEMPORAL, profile) in plans]
    results = await asyncio.gather(*(
        run_on_temporal(stack.client(profile), plans[(Engine.TEMPORAL, profile)],
                        task_queue=workers[profile].task_queue, review_timeout_seconds=REVIEW_TIMEOUT_SECONDS,
                        label=f"temporal/{profile.value}", progress=progress)
        for profile in profiles
    ))
    adapters = dynamodb_adapters(TableNames(**stack.resources.tables), resource=stack.aws.resource("dynamodb"))
    operator = stack.raw_client()
    runs = []
    for profile, finished in zip(profiles, results, strict=True):
        runs.append(ProfileRun(
            engine=Engine.TEMPORAL, profile=profile,
            runs=[scenario_run(Engine.TEMPORAL, profile, item, adapters) for item in finished],
            evidence=await collect_temporal_evidence(operator, finished),
            code_log_lines=workers[profile].log_lines(), code_log_source="worker log",
        ))
    return runs


def stepfunctions_side(
    aws: AwsEmulation, definition: DefinitionTemplate, plans: Plans, progress: Progress,
    cancel: threading.Event | None = None,
) -> list[ProfileRun]:
    """Every planned Step Functions run, one profile after the other (each on its own resources)."""
    runs = []
    for profile in Profile:
        planned = plans.get((Engine.STEPFUNCTIONS, profile))
        if planned is None:
            continue
        with OnboardingStepFunctions(profile=profile, definition=definition,
                                     review_timeout_seconds=REVIEW_TIMEOUT_SECONDS,
                                     prefix=f"demo-sfn-{profile.value}", endpoint_url=aws.endpoint) as sfn:
            target = StepFunctionsTarget(
                lambda_client=sfn.client("lambda"), stepfunctions=sfn.stepfunctions,
                reviews_table=sfn.reviews_table(),
                intake_function=sfn.resources.function_arn(sfn.process.entry_function),
                state_machine_arn=sfn.state_machine_arn, logs=sfn.client("logs"),
                log_group=sfn.resources.state_machine_log_group,
            )
            finished = run_on_stepfunctions(target, planned, label=f"stepfunctions/{profile.value}",
                                            progress=progress, cancel=cancel)
            adapters = sfn.adapters()
            runs.append(ProfileRun(
                engine=Engine.STEPFUNCTIONS, profile=profile,
                runs=[scenario_run(Engine.STEPFUNCTIONS, profile, item, adapters) for item in finished],
                evidence=collect_stepfunctions_evidence(target, finished),
                code_log_lines=[line for lines in sfn.lambda_log_messages().values() for line in lines],
                code_log_source="Lambda function log",
            ))
    return runs


def durable_side(aws: AwsEmulation, workdir: Path, plans: Plans, progress: Progress,
                 cancel: threading.Event | None = None) -> list[ProfileRun]:
    """Every planned durable-function run, all profiles at once (each its own emulator, function and resources)."""
    profiles = [profile for profile in Profile if (Engine.DURABLE, profile) in plans]
    with ExitStack() as stack:
        functions = {}
        for profile in profiles:
            directory = workdir / f"durable-{profile.value}"
            directory.mkdir(parents=True, exist_ok=True)
            functions[profile] = stack.enter_context(OnboardingDurableFunction(
                aws, profile=profile, prefix=f"demo-durable-{profile.value}", workdir=directory))
        targets = {profile: DurableTarget(start=function.start, lambda_client=function.client,
                                          reviews_table=function.reviews_table(), keys=function.keys,
                                          function_name=DURABLE_FUNCTION)
                   for profile, function in functions.items()}
        running = {profile: in_background(
            lambda profile=profile: run_on_durable(  # type: ignore[misc]
                targets[profile], plans[(Engine.DURABLE, profile)], label=f"durable/{profile.value}",
                progress=progress, review_timeout_seconds=REVIEW_TIMEOUT_SECONDS, cancel=cancel),
            name=f"durable-{profile.value}")[0] for profile in profiles}
        runs = []
        for profile in profiles:
            finished = running[profile].result()
            adapters = functions[profile].adapters()
            runs.append(ProfileRun(
                engine=Engine.DURABLE, profile=profile,
                runs=[scenario_run(Engine.DURABLE, profile, item, adapters) for item in finished],
                evidence=collect_durable_evidence(targets[profile], finished),
                code_log_lines=functions[profile].log_lines(), code_log_source="durable function log",
            ))
        return runs
