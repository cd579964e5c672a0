"""Driving the corpus through Temporal: start each onboarding, play the reviewer, collect what the service stores.

Starts and review decisions go through :mod:`ops.starter` with a client of the run's profile (hardened: the
KMS codec, so the submission is encrypted before it leaves this process). The evidence is read with a second
client that has no codec at all, as an operator of the Temporal service reads it.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Sequence

from temporalio.client import Client

from comparison.audit.collect import temporal_evidence
from comparison.audit.evidence import TemporalEvidence
from comparison.engines.runs import Finished, Planned, Progress, finished_line
from onboarding.models import ReviewDecision
from ops.starter import current_step, start_onboarding, submit_review
from workers.messages import Step

POLL_SECONDS = 0.1
REVIEW_WAIT_SECONDS = 120.0


async def run_on_temporal(
    client: Client, planned: Sequence[Planned], *, task_queue: str, review_timeout_seconds: int, label: str,
    progress: Progress,
) -> list[Finished]:
    """Every planned scenario at once; each ends with its outcome or the type of the error that stopped it."""

    async def one(item: Planned) -> Finished:
        started = time.monotonic()
        try:
            handle = await start_onboarding(client, item.application, task_queue=task_queue,
                                            review_timeout_seconds=review_timeout_seconds)
            if item.scenario.review_decision is not None:
                await _review(client, item.application_id, item.scenario.review_decision)
            outcome, error = await handle.result(), None
        except Exception as failure:  # the engine did not reach a business outcome: the report names the type
            outcome, error = None, type(failure).__name__
        finished = Finished(item, outcome, error, time.monotonic() - started)
        progress(finished_line(label, finished))
        return finished

    return list(await asyncio.gather(*(one(item) for item in planned)))


async def _review(client: Client, application_id: str, decision: ReviewDecision) -> None:
    """Wait until the workflow awaits its review, then decide (as a reviewer with the review tool would)."""
    deadline = time.monotonic() + REVIEW_WAIT_SECONDS
    while (step := await current_step(client, application_id)) != Step.AWAITING_REVIEW.value:
        if step == Step.COMPLETED.value or time.monotonic() > deadline:
            return  # never asked for a review: the outcome will show it
        await asyncio.sleep(POLL_SECONDS)
    await submit_review(client, application_id, decision)


async def collect_temporal_evidence(raw_client: Client, finished: Sequence[Finished]) -> list[TemporalEvidence]:
    """What the service stores for each execution, read by ``raw_client`` (no codec)."""
    return [await temporal_evidence(raw_client, item.planned.application_id, label=item.planned.scenario.name)
            for item in finished]


def raw_client(client: Client) -> Client:
    """The same connection with the default data converter: no codec, no failure decoding."""
    return Client(client.service_client, namespace=client.namespace)
