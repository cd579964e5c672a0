"""Replay the committed histories (encrypted under the TEST-ONLY keyring) against today's workflow code.

A workflow change that is not replay-compatible fails here, in the build, before it can strand running workflows.
Regenerate the files only for an intentional, versioned change: ``python -m tests.workers.record_histories``.
"""

from __future__ import annotations

import ast
import json
import re
from datetime import date
from pathlib import Path

import pytest
from temporalio import workflow
from temporalio.api.history.v1 import History, HistoryEvent
from temporalio.client import WorkflowHistory
from temporalio.worker import Replayer
from temporalio.workflow import NondeterminismError

from contract.profile import Profile
from envelope.errors import UnknownKeyError
from envelope.seal import META_KEY_ID
from onboarding.models import Account, Application, Outcome
from scenarios import SCENARIOS, SCENARIOS_BY_NAME
from tests.support.temporal import CURRENT_TEST_KEY, HISTORIES, OLD_TEST_KEY, all_payloads, keyring_codec
from tests.workers.record_histories import OLD_KEY_DIR, OLD_KEY_SCENARIO
from workers import workflows as workflows_module
from workers.activities import OnboardingActivities
from workers.codec import is_encrypted
from workers.converter import data_converter, header_codec_behavior
from workers.messages import PATCH_ID_PATTERN, WORKFLOW_NAME, OnboardingInput
from workers.workflows import OnboardingWorkflow

PATCH_MARKER = "core_patch"  # the marker name the Python SDK records for workflow.patched


def load(path: Path) -> WorkflowHistory:
    # The workflow id is part of what replays: it is the scenario's application id (the files are named by scenario).
    workflow_id = SCENARIOS_BY_NAME[path.stem].application_id
    return WorkflowHistory.from_json(workflow_id, path.read_text(encoding="utf-8"))


def replayer(
    workflow_class: type = OnboardingWorkflow, *, current: str = CURRENT_TEST_KEY, names: tuple[str, ...] | None = None
) -> Replayer:
    return Replayer(
        workflows=[workflow_class],
        data_converter=data_converter(Profile.HARDENED, codec=keyring_codec(current=current, names=names)),
        header_codec_behavior=header_codec_behavior(Profile.HARDENED),
    )


def payload_key_ids(history: WorkflowHistory) -> set[bytes]:
    return {payload.metadata[META_KEY_ID] for payload in all_payloads(History(events=history.events))}


def test_every_scenario_has_a_committed_history() -> None:
    assert {path.stem for path in HISTORIES.glob("*.json") if path.stem != "TEST-ONLY-keyring"} == set(
        SCENARIOS_BY_NAME
    )


@pytest.mark.parametrize("name", [case.name for case in SCENARIOS])
async def test_the_committed_history_replays(name: str) -> None:
    await replayer().replay_workflow(load(HISTORIES / f"{name}.json"))


def _is_versioning(event: HistoryEvent) -> bool:
    """A patch marker or the ``TemporalChangeVersion`` upsert: Temporal stores both in plaintext, by design."""
    if event.HasField("marker_recorded_event_attributes"):
        return event.marker_recorded_event_attributes.marker_name == PATCH_MARKER
    if event.HasField("upsert_workflow_search_attributes_event_attributes"):
        fields = event.upsert_workflow_search_attributes_event_attributes.search_attributes.indexed_fields
        return set(fields) == {"TemporalChangeVersion"}
    return False


def _strings(value: object) -> list[str]:
    if isinstance(value, str):
        return [value]
    items = value.values() if isinstance(value, dict) else value if isinstance(value, list) else []
    return [text for item in items for text in _strings(item)]


@pytest.mark.parametrize("name", [case.name for case in SCENARIOS])
def test_the_committed_history_holds_ciphertext_only(name: str) -> None:
    history = load(HISTORIES / f"{name}.json")
    stored = History(events=history.events).SerializeToString()
    assert [value for value in SCENARIOS_BY_NAME[name].searchable_pii() if value.encode() in stored] == []
    payloads = [payload for event in history.events if not _is_versioning(event) for payload in all_payloads(event)]
    assert payloads and all(is_encrypted(payload) for payload in payloads)
    # What versioning stores in clear is patch ids, which are code names (workers.messages.PATCH_ID_PATTERN).
    versioning = [payload for event in history.events if _is_versioning(event) for payload in all_payloads(event)]
    texts = [text for payload in versioning for text in _strings(json.loads(payload.data))]
    assert all(re.fullmatch(PATCH_ID_PATTERN, text) for text in texts), name


def test_every_patch_id_in_the_workflow_is_a_code_name() -> None:
    """``workflow.patched`` ids reach the service in plaintext: each must be a code name, never data."""
    source = Path(workflows_module.__file__).read_text(encoding="utf-8")
    calls = [node for node in ast.walk(ast.parse(source)) if isinstance(node, ast.Call)
             and isinstance(node.func, ast.Attribute) and node.func.attr in ("patched", "deprecate_patch")]
    for call in calls:
        (argument,) = call.args
        assert isinstance(argument, ast.Constant) and isinstance(argument.value, str), "patch ids are literals"
        assert re.fullmatch(PATCH_ID_PATTERN, argument.value), argument.value


async def test_a_history_written_under_the_old_key_replays_after_rotation() -> None:
    history = load(OLD_KEY_DIR / f"{OLD_KEY_SCENARIO}.json")
    assert payload_key_ids(history) == {f"local:{OLD_TEST_KEY}".encode()}
    await replayer(current=CURRENT_TEST_KEY).replay_workflow(history)


async def test_the_old_history_needs_the_old_key() -> None:
    """Proves the rotation test above is meaningful: without the retired key the same history cannot be read."""
    history = load(OLD_KEY_DIR / f"{OLD_KEY_SCENARIO}.json")
    # The SDK reports the failed workflow task by the codec error's type (its message is itself encrypted).
    with pytest.raises(RuntimeError, match=UnknownKeyError.__name__):
        await replayer(names=(CURRENT_TEST_KEY,)).replay_workflow(history)


@workflow.defn(name=WORKFLOW_NAME, sandboxed=False)  # defined in a test module, which the sandbox would re-import
class SanctionsSkipped(OnboardingWorkflow):
    """A careless edit: drops the sanctions screen. Replaying old histories must catch it."""

    @workflow.run
    async def run(self, request: OnboardingInput) -> Outcome:
        return await super().run(request)

    async def _checks_and_account(self, application: Application, today: date, review_timeout: int) -> Account:
        await self._activity(OnboardingActivities.verify_identity, application)
        return await super()._checks_and_account(application, today, review_timeout)


async def test_a_non_deterministic_change_fails_replay() -> None:
    with pytest.raises(NondeterminismError):
        await replayer(SanctionsSkipped).replay_workflow(load(HISTORIES / "approved_low_risk.json"))
