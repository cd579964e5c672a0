"""Helpers of the durable-function reliability tests: the hardened function on its emulator over moto, and the
comparison driver's view of it."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from comparison.engines.durable import DurableTarget
from comparison.engines.runs import Finished
from contract.profile import Profile
from local.aws import AwsEmulation, moto_server
from local.onboarding import DURABLE_FUNCTION, OnboardingDurableFunction
from scenarios import new_application_id
from tests.support.side_effects import SideEffects, matches_expected


@contextmanager
def hardened_durable_function(purpose: str, workdir: Path) -> Iterator[tuple[AwsEmulation, OnboardingDurableFunction]]:
    """moto and the hardened durable function on the emulator, with tables and a checkpoint key of its own."""
    prefix = f"{purpose}-{new_application_id()[-8:]}"
    with moto_server() as aws, OnboardingDurableFunction(aws, profile=Profile.HARDENED, prefix=prefix,
                                                         workdir=workdir) as function:
        yield aws, function


def driver_target(function: OnboardingDurableFunction) -> DurableTarget:
    """What :func:`comparison.engines.durable.run_on_durable` needs to drive ``function``."""
    return DurableTarget(start=function.start, lambda_client=function.client, reviews_table=function.reviews_table(),
                         keys=function.keys, function_name=DURABLE_FUNCTION)


def finished_problems(function: OnboardingDurableFunction, finished: list[Finished]) -> list[str]:
    """Every way the finished runs differ from their scenarios (no outcome, a wrong outcome or side effect)."""
    adapters = function.adapters()
    problems = [f"{item.planned.scenario.name}: no outcome" for item in finished if item.outcome is None]
    return problems + [f"{item.planned.scenario.name}: {problem}" for item in finished if item.outcome is not None
                       for problem in matches_expected(item.planned.scenario, item.outcome,
                                                       SideEffects.of(adapters, item.planned.application_id))]
