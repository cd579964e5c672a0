"""Helpers shared by the Temporal tests: the TEST-ONLY keyring, payloads in history, scenario driving, and the
fixtures of the tests on a real dev server (``tests/reliability/conftest.py`` and the end-to-end module import them).

The real-server fixtures: one dev server for the session (in memory), one moto server per test module (moto keeps
one state per process, and a module that uses moto in process (``mock_aws``) resets it on exit, so no moto state
outlives its module), a :class:`~local.temporal.TemporalStack` per module (its own tables and payload key alias),
and fresh, empty tables per test (``temporal``), so a test can count every side effect it caused.
"""

from __future__ import annotations

import asyncio
import base64
import json
from pathlib import Path

from google.protobuf.message import Message
from temporalio.api.common.v1 import Payload, WorkflowExecution
from temporalio.api.history.v1 import History
from temporalio.api.workflowservice.v1 import DescribeWorkflowExecutionRequest
from temporalio.client import Client

from envelope.keys import LocalKeyProvider
from local.temporal import TemporalStack
from onboarding.adapters.dynamodb import TableNames, dynamodb_adapters
from onboarding.models import Outcome
from onboarding.ports import Adapters
from ops.starter import current_step, start_onboarding, submit_review
from scenarios import Scenario
from workers.codec import EnvelopeCodec
from workers.messages import Step

HISTORIES = Path(__file__).resolve().parents[1] / "workers" / "histories"
# TEST ONLY: public keys that encrypt the committed replay histories. See the file's "warning" field.
TEST_ONLY_KEYRING = HISTORIES / "TEST-ONLY-keyring.json"


OLD_TEST_KEY, CURRENT_TEST_KEY = "TEST-ONLY-v1", "TEST-ONLY-v2"


def keyring_provider(*, current: str = CURRENT_TEST_KEY, names: tuple[str, ...] | None = None) -> LocalKeyProvider:
    """The committed TEST-ONLY keyring, optionally with another current key or only some of its keys."""
    document = json.loads(TEST_ONLY_KEYRING.read_text(encoding="utf-8"))
    keys = {name: base64.b64decode(value) for name, value in document["keys"].items()
            if names is None or name in names}
    return LocalKeyProvider(keys, current=current)


def keyring_codec(*, current: str = CURRENT_TEST_KEY, names: tuple[str, ...] | None = None) -> EnvelopeCodec:
    return EnvelopeCodec.for_provider(keyring_provider(current=current, names=names))


def all_payloads(message: Message) -> list[Payload]:
    """Every Payload anywhere inside a protobuf message (history events, failures, headers, maps)."""
    if isinstance(message, Payload):
        return [message]
    found: list[Payload] = []
    for descriptor, value in message.ListFields():
        if descriptor.message_type is None:
            continue
        if descriptor.message_type.GetOptions().map_entry:
            items = list(value.values())
        else:
            items = list(value) if descriptor.is_repeated else [value]
        for item in items:
            if isinstance(item, Message):
                found.extend(all_payloads(item))
    return found


async def wait_for_step(client: Client, application_id: str, step: Step, *, attempts: int = 600) -> None:
    """Poll the current_step query until ``step`` (or fail after ``attempts`` polls; not a timing assertion)."""
    for _ in range(attempts):
        if await current_step(client, application_id) == step.value:
            return
        await asyncio.sleep(0.05)
    raise AssertionError(f"workflow {application_id} never reached {step.value}")


async def run_scenario(
    client: Client, scenario: Scenario, application_id: str, *, task_queue: str, review_timeout_seconds: int
) -> Outcome:
    """Start the scenario's submission under ``application_id``, play the reviewer, return the outcome."""
    handle = await start_onboarding(
        client, scenario.application(application_id=application_id), task_queue=task_queue,
        review_timeout_seconds=review_timeout_seconds,
    )
    if scenario.review_decision is not None:
        await wait_for_step(client, application_id, Step.AWAITING_REVIEW)
        await submit_review(client, application_id, scenario.review_decision)
    return await handle.result()


async def stored_bytes(client: Client, workflow_id: str) -> bytes:
    """The workflow's full history and description as the service returns them, serialized (use a client without
    codec to see what the service stores)."""
    history = await client.get_workflow_handle(workflow_id).fetch_history()
    described = await client.workflow_service.describe_workflow_execution(
        DescribeWorkflowExecutionRequest(namespace="default", execution=WorkflowExecution(workflow_id=workflow_id))
    )
    return History(events=history.events).SerializeToString() + described.SerializeToString()


def onboarding_adapters(stack: TemporalStack) -> Adapters:
    """The DynamoDB stores of the stack's tables, as the workers use them (to inspect side effects)."""
    return dynamodb_adapters(TableNames(**stack.resources.tables), resource=stack.aws.resource("dynamodb"))
