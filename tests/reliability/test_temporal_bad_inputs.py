"""The whole bad-input corpus through the Temporal engine (``python -m workers``, KMS and DynamoDB on moto).

Every submission with a usable id ends REJECTED / INVALID_APPLICATION with exactly the corpus's field codes and no
side effect. A submission without a usable id (not an object, no id, an id that is not opaque) is refused by the
starter, library and CLI alike, with an error naming the problem, before any workflow exists. So is text that is not
valid Unicode (a lone surrogate): no JSON payload converter can encode it, so it could never reach the workflow; the
starter refuses it with the field codes validation would give.

No PII (every string value of 8 characters or more in the submission, and any field name the schema does not know)
appears in any error, outcome, failure (decoded: what an operator with the codec server sees), raw history (what
the service stores) or worker log line.
"""

from __future__ import annotations

import asyncio
import json
import subprocess
import sys
from collections import Counter
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
from temporalio.api.enums.v1 import EventType
from temporalio.exceptions import ApplicationError
from temporalio.service import RPCError, RPCStatusCode

from contract.profile import Profile
from local.temporal import TemporalStack, clean_environment, worker_process
from onboarding.models import Outcome, OutcomeStatus, RejectionReason
from ops.starter import StarterError, start_onboarding
from scenarios import MIN_SEARCHABLE_PII_LENGTH, new_application_id
from scenarios.bad_inputs import BAD_INPUTS, BadInput, base_application
from tests.support.temporal import stored_bytes
from tests.support.temporal_totals import new_task_queue, outcomes, table_item_counts


def transportable(bad: BadInput) -> bool:
    try:
        json.dumps(bad.payload, ensure_ascii=False).encode("utf-8")
    except UnicodeEncodeError:
        return False
    return True


USABLE = [bad for bad in BAD_INPUTS if bad.application_id_usable and transportable(bad)]
REFUSED = [bad for bad in BAD_INPUTS if bad not in USABLE]


def _schema_keys(value: Any) -> set[str]:
    if isinstance(value, dict):
        return set(value) | {key for item in value.values() for key in _schema_keys(item)}
    return set()


SCHEMA_KEYS = _schema_keys(base_application())


def pii_of(submission: Any) -> set[str]:
    """The searchable PII of a submission: long string values and unknown field names, anywhere in it."""
    found: set[str] = set()

    def walk(value: Any) -> None:
        if isinstance(value, str) and len(value) >= MIN_SEARCHABLE_PII_LENGTH:
            found.add(value)
        elif isinstance(value, dict):
            found.update(key for key in value if key not in SCHEMA_KEYS and len(key) >= MIN_SEARCHABLE_PII_LENGTH)
            for item in value.values():
                walk(item)
        elif isinstance(value, list):
            for item in value:
                walk(item)

    walk(submission)
    return found


def in_bytes(values: set[str], stored: bytes) -> set[str]:
    return {value for value in values if value.encode("utf-8", "surrogatepass") in stored}


def in_text(values: set[str], text: str) -> set[str]:
    return {value for value in values if value in text}


@pytest.fixture(scope="module")
def tmp_module(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return tmp_path_factory.mktemp("bad-inputs")


def starter_cli(
    temporal: TemporalStack, submission: Any, path: Path, task_queue: str
) -> subprocess.CompletedProcess[str]:
    path.write_text(json.dumps(submission), encoding="utf-8")
    env = {**clean_environment(), **temporal.worker_env(Profile.HARDENED, task_queue)}
    return subprocess.run([sys.executable, "-m", "ops.starter", "start", str(path)], env=env,
                          capture_output=True, text=True, timeout=120, check=False)


def test_the_corpus_splits_as_expected() -> None:
    assert len(USABLE) >= 35 and {bad.name for bad in REFUSED} == {
        "not_an_object", "missing_application_id", "application_id_path_traversal", "lone_surrogate"}


@pytest.mark.parametrize("bad", REFUSED, ids=[bad.name for bad in REFUSED])
async def test_a_submission_the_engine_cannot_take_is_refused_before_starting(
    temporal: TemporalStack, bad: BadInput, tmp_path: Path
) -> None:
    client, task_queue = temporal.client(Profile.HARDENED), new_task_queue("refused")
    with pytest.raises(StarterError) as refused:
        await start_onboarding(client, bad.application(), task_queue=task_queue)
    cli = starter_cli(temporal, bad.application(), tmp_path / "submission.json", task_queue)
    assert cli.returncode == 2 and cli.stdout == ""
    cli_error = json.loads(cli.stderr)["error"]
    for message in (str(refused.value), cli_error):
        if bad.application_id_usable:
            assert all(f"{error.field}: {error.code}" in message for error in bad.expected_errors)
        else:
            assert "application_id" in message or "JSON object" in message
        assert in_text(pii_of(bad.payload), message) == set()
    assert (await client.count_workflows(f"TaskQueue = '{task_queue}'")).count == 0
    if bad.application_id_usable:  # the id could have been used: no workflow has it
        with pytest.raises(RPCError) as lookup:
            await client.get_workflow_handle(bad.payload["application_id"]).describe()
        assert lookup.value.status is RPCStatusCode.NOT_FOUND


@dataclass(frozen=True)
class CorpusRun:
    temporal: TemporalStack
    ids: dict[str, str]  # bad input name -> application id
    outcomes: dict[str, Outcome]  # application id -> outcome
    worker_log: str


@pytest.fixture(scope="module")
async def corpus_run(temporal_stack: TemporalStack, tmp_module: Path) -> CorpusRun:
    """Every usable bad input through one worker process at once."""
    temporal, task_queue = temporal_stack.with_new_tables(), new_task_queue("bad")
    ids = {bad.name: new_application_id() for bad in USABLE}
    client = temporal.client(Profile.HARDENED)
    with worker_process(temporal.worker_env(Profile.HARDENED, task_queue), tmp_module) as worker:
        handles = await asyncio.gather(*(
            start_onboarding(client, bad.application(application_id=ids[bad.name]), task_queue=task_queue)
            for bad in USABLE
        ))
        results = await outcomes({handle.id: handle for handle in handles})
    return CorpusRun(temporal, ids, results, worker.log_file.read_text(encoding="utf-8"))


@pytest.mark.parametrize("bad", USABLE, ids=[bad.name for bad in USABLE])
def test_a_bad_input_is_an_invalid_application_with_its_field_codes(corpus_run: CorpusRun, bad: BadInput) -> None:
    outcome = corpus_run.outcomes[corpus_run.ids[bad.name]]
    assert (outcome.status, outcome.reason) == (OutcomeStatus.REJECTED, RejectionReason.INVALID_APPLICATION)
    assert outcome.error_codes == bad.expected_errors
    assert outcome.account_id is None and not outcome.compensated


def test_bad_inputs_cause_no_side_effect(corpus_run: CorpusRun) -> None:
    assert len(corpus_run.outcomes) == len(USABLE)
    assert table_item_counts(corpus_run.temporal) == Counter(ledger=0, charges=0, outbox=0, reviews=0)


@pytest.mark.parametrize("bad", USABLE, ids=[bad.name for bad in USABLE])
async def test_no_pii_in_the_outcome_failures_or_stored_history(corpus_run: CorpusRun, bad: BadInput) -> None:
    application_id, pii = corpus_run.ids[bad.name], pii_of(bad.application(application_id=""))
    client = corpus_run.temporal.client(Profile.HARDENED)
    history = await client.get_workflow_handle(application_id).fetch_history()
    failures = [event.activity_task_failed_event_attributes.failure for event in history.events
                if event.event_type == EventType.EVENT_TYPE_ACTIVITY_TASK_FAILED]
    assert len(failures) == 1  # validate's rejection, the only failure
    decoded = await client.data_converter.decode_failure(failures[0])
    assert isinstance(decoded, ApplicationError) and decoded.type == RejectionReason.INVALID_APPLICATION.value
    operator_view = f"{decoded.message} {decoded.details!r} {decoded.cause!r}"
    assert in_text(pii, operator_view) == set()
    assert in_text(pii, corpus_run.outcomes[application_id].model_dump_json()) == set()
    assert in_bytes(pii, await stored_bytes(corpus_run.temporal.raw_client(), application_id)) == set()


def test_no_pii_in_the_worker_log(corpus_run: CorpusRun) -> None:
    assert corpus_run.worker_log.count("Completing activity as failed") == len(USABLE)  # the log saw them all
    leaked = {bad.name: found for bad in USABLE if (found := in_text(pii_of(bad.payload), corpus_run.worker_log))}
    assert leaked == {}
