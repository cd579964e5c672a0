"""Key rotation while onboardings are in flight: the KMS alias moves to a new key while they await review.

Workers pick the new key up when their cached data key reaches its age bound (``PAYLOAD_DATA_KEY_MAX_AGE_SECONDS``,
1 s here, 300 s by default), with no restart; payloads written before keep naming the old key, which stays enabled.
Every onboarding completes as its scenario expects, its history holds payloads under both keys, and it replays with
the ``Replayer``, whose KMS client is seen (botocore event hook) unwrapping data keys under both keys.
"""

from __future__ import annotations

import asyncio
import uuid

from temporalio.api.history.v1 import History
from temporalio.client import WorkflowHistory
from temporalio.worker import Replayer

from contract.profile import Profile
from envelope.keys import KmsKeyProvider
from envelope.seal import META_KEY_ID
from local.temporal import TemporalStack, worker_process
from scenarios import SCENARIOS_BY_NAME
from tests.support.temporal import all_payloads, wait_for_step
from tests.support.temporal_totals import (
    Reviewer,
    exactly_once_problems,
    new_task_queue,
    outcomes,
    plan_runs,
    start_runs,
)
from workers.codec import EnvelopeCodec
from workers.converter import data_converter, header_codec_behavior
from workers.messages import Step
from workers.workflows import OnboardingWorkflow

IN_FLIGHT = ("review_approved", "review_declined", "transient_identity_then_review_approved", "review_timeout")
DATA_KEY_MAX_AGE_SECONDS = 1
REVIEW_TIMEOUT_SECONDS = 10  # the timeout scenario's timer fires after the rotation


def replayer(temporal: TemporalStack, alias: str) -> tuple[Replayer, set[str]]:
    """A replayer with a KMS codec, and the set of key ids its KMS client is asked to decrypt under."""
    kms, decrypted_under = temporal.aws.client("kms"), set[str]()
    kms.meta.events.register("provide-client-params.kms.Decrypt",
                             lambda params, **_: decrypted_under.add(params["KeyId"]))
    codec = EnvelopeCodec.for_provider(KmsKeyProvider(alias, kms_client=kms))
    return Replayer(workflows=[OnboardingWorkflow], data_converter=data_converter(Profile.HARDENED, codec=codec),
                    header_codec_behavior=header_codec_behavior(Profile.HARDENED)), decrypted_under


def key_ids(history: WorkflowHistory) -> list[str]:
    return [payload.metadata[META_KEY_ID].decode() for payload in all_payloads(History(events=history.events))]


async def test_onboardings_in_flight_complete_and_replay_across_a_key_rotation(temporal: TemporalStack) -> None:
    kms, alias = temporal.aws.client("kms"), f"alias/rotation-{uuid.uuid4().hex[:8]}"
    old_key = kms.create_key(Description="payload key, before rotation")["KeyMetadata"]["Arn"]
    kms.create_alias(AliasName=alias, TargetKeyId=old_key)
    runs, task_queue = plan_runs(SCENARIOS_BY_NAME[name] for name in IN_FLIGHT), new_task_queue("rotation")
    env = {**temporal.worker_env(Profile.HARDENED, task_queue, key_id=alias),
           "PAYLOAD_DATA_KEY_MAX_AGE_SECONDS": str(DATA_KEY_MAX_AGE_SECONDS)}
    with worker_process(env, temporal.workdir):
        client = temporal.client(Profile.HARDENED, key_id=alias)
        handles = await start_runs(client, runs, task_queue=task_queue, review_timeout_seconds=REVIEW_TIMEOUT_SECONDS)
        for run in runs:
            await wait_for_step(client, run.application_id, Step.AWAITING_REVIEW)
        new_key = kms.create_key(Description="payload key, after rotation")["KeyMetadata"]["Arn"]
        kms.update_alias(AliasName=alias, TargetKeyId=new_key)
        await asyncio.sleep(DATA_KEY_MAX_AGE_SECONDS)  # let the worker's cached data key age out (not a measurement)
        reviewer = temporal.client(Profile.HARDENED, key_id=alias)  # a reviewer's process, started after rotation
        await Reviewer(reviewer, temporal, runs).run()
        results = await outcomes(handles)
    assert await exactly_once_problems(temporal, runs, results) == {}

    for run in runs:
        history = await client.get_workflow_handle(run.application_id).fetch_history()
        used = key_ids(history)
        assert used[0] == old_key and used[-1] == new_key  # the input before, the result after the rotation
        assert set(used) == {old_key, new_key}
        replaying, decrypted_under = replayer(temporal, alias)
        await replaying.replay_workflow(history)
        # Replay reads inputs, results and the decision; it recomputes the outcome. The timed-out onboarding's only
        # payload written after the rotation is its outcome, so its replay needs the old key alone.
        assert decrypted_under == ({old_key, new_key} if run.scenario.review_decision else {old_key})
