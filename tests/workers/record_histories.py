"""Record the committed replay histories:

    .venv/bin/python -m tests.workers.record_histories                   # every history (make temporal-histories)
    .venv/bin/python -m tests.workers.record_histories device_high_risk  # only these scenarios
    .venv/bin/python -m tests.workers.record_histories --missing         # only scenarios without a history yet

Recording only new scenarios keeps the older histories, which prove that executions started before a versioned
change still replay; re-record all of them only when old executions may no longer replay on purpose.

Every scenario runs on the time-skipping test server with the hardened converter and the committed TEST-ONLY keyring
(current key ``TEST-ONLY-v2``); one more history is recorded under the old key ``TEST-ONLY-v1`` to prove that
histories written before a key rotation still replay. Files hold ciphertext only (see test_replay.py).
"""

from __future__ import annotations

import argparse
import asyncio
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

from temporalio.client import Client
from temporalio.testing import WorkflowEnvironment

from contract.profile import Profile
from local.temporal import TEMPORAL_TEST_SERVER
from local.temporal import require_binary as require
from onboarding.adapters.memory import in_memory_adapters
from scenarios import SCENARIOS, Scenario, scenario
from tests.support.temporal import CURRENT_TEST_KEY, HISTORIES, OLD_TEST_KEY, keyring_codec, run_scenario
from workers.converter import data_converter, header_codec_behavior
from workers.messages import PRODUCTION_REVIEW_TIMEOUT_SECONDS
from workers.registration import ONBOARDING_WORKER
from workers.worker import build_worker

OLD_KEY_DIR = HISTORIES / "old-key"
OLD_KEY_SCENARIO = "review_approved"


async def record(cases: tuple[Scenario, ...], directory: Path, *, key: str) -> None:
    converter = data_converter(Profile.HARDENED, codec=keyring_codec(current=key))
    async with await WorkflowEnvironment.start_time_skipping(
        test_server_existing_path=require(TEMPORAL_TEST_SERVER), data_converter=converter
    ) as env:
        config = env.client.config()
        config["header_codec_behavior"] = header_codec_behavior(Profile.HARDENED)
        client = Client(**config)
        with ThreadPoolExecutor(4) as executor:
            async with build_worker(client, ONBOARDING_WORKER, task_queue="record", stores=in_memory_adapters(),
                                    executor=executor):
                for case in cases:
                    await run_scenario(client, case, case.application_id, task_queue="record",
                                       review_timeout_seconds=PRODUCTION_REVIEW_TIMEOUT_SECONDS)
                    history = await client.get_workflow_handle(case.application_id).fetch_history()
                    directory.mkdir(parents=True, exist_ok=True)
                    (directory / f"{case.name}.json").write_text(history.to_json() + "\n", encoding="utf-8")


async def main(names: list[str], *, missing_only: bool = False) -> None:
    if names or missing_only:
        cases = [scenario(name) for name in names]
        if missing_only:
            cases += [case for case in SCENARIOS
                      if case not in cases and not (HISTORIES / f"{case.name}.json").exists()]
        await record(tuple(cases), HISTORIES, key=CURRENT_TEST_KEY)
        return
    await record(SCENARIOS, HISTORIES, key=CURRENT_TEST_KEY)
    await record((scenario(OLD_KEY_SCENARIO),), OLD_KEY_DIR, key=OLD_TEST_KEY)


if __name__ == "__main__":
    parser = argparse.ArgumentParser(prog="python -m tests.workers.record_histories", description=__doc__)
    parser.add_argument("scenarios", nargs="*", help="record only these scenarios (by name)")
    parser.add_argument("--missing", action="store_true", help="record only the scenarios without a history")
    arguments = parser.parse_args()
    asyncio.run(main(arguments.scenarios, missing_only=arguments.missing))
