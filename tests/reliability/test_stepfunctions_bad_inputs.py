"""The whole bad-input corpus (``scenarios.bad_inputs``) through Step Functions, submitted as a client does:
through ``intake``, on moto's interpreter with the real handlers.

- An entry with a usable id gets its outcome from the state machine: REJECTED / INVALID_APPLICATION with exactly
  the corpus's field codes, after ``validate`` and nothing else.
- An entry without one (not an object, no id, an id that is not opaque) is refused by ``intake`` with the same
  codes, before any claim check or execution exists.
- Nothing is written but the usable entries' claim checks (one each: the submission itself, which ``validate``
  reads): no account, charge, message, review or idempotency record.
- No PII (every string of 8 characters or more in the submission, and any field name the schema does not know)
  is in any refusal, ``DescribeExecution``, ``GetExecutionHistory`` event or log line of any log group.

This extends two tests that lived in ``tests/lambdas/test_handlers.py`` and moved here:
``test_bad_input_gets_its_outcome_from_the_state_machine`` (outcome, codes, history) and
``test_intake_refuses_an_unusable_id_before_any_side_effect`` (refusal, no object, no execution). The handler-level
test of ``validate`` over the same corpus stays there.
"""

from __future__ import annotations

import json
from dataclasses import dataclass

import pytest

from lambdas.claim_check import object_key
from local.onboarding import OnboardingResult, OnboardingStepFunctions
from local.stepfunctions.runner import SubmissionRefused
from onboarding.models import OutcomeStatus, RejectionReason
from scenarios import new_application_id
from scenarios.bad_inputs import BAD_INPUTS, BadInput
from tests.support.stepfunctions import leaks, payload_values, service_view
from tests.support.stepfunctions_totals import (
    StoreTotals,
    claim_check_keys,
    every_log_message,
    idempotency_records,
    scheduled_functions,
)

USABLE = [bad for bad in BAD_INPUTS if bad.application_id_usable]
UNUSABLE = [bad for bad in BAD_INPUTS if not bad.application_id_usable]


@dataclass(frozen=True)
class CorpusRun:
    payloads: dict[str, object]  # by entry name, as submitted
    results: dict[str, OnboardingResult]  # usable entries, by name
    refusals: dict[str, SubmissionRefused]  # unusable entries, by name
    validate_function: str
    totals: StoreTotals
    idempotency_records: int
    claim_checks: list[str]
    executions: int
    logs: list[str]


@pytest.fixture(scope="module")
def corpus() -> CorpusRun:
    with OnboardingStepFunctions(prefix="bad-input") as sfn:
        refusals: dict[str, SubmissionRefused] = {}
        for bad in UNUSABLE:
            with pytest.raises(SubmissionRefused) as refused:
                sfn.submit(bad.application())
            refusals[bad.name] = refused.value
        payloads = {bad.name: bad.application(new_application_id()) for bad in USABLE}
        by_id = sfn.run_onboardings(list(payloads.values()), reviewer=lambda _application_id: None)
        listed = sfn.stepfunctions.list_executions(stateMachineArn=sfn.state_machine_arn)["executions"]
        return CorpusRun(
            payloads={**payloads, **{bad.name: bad.application() for bad in UNUSABLE}},
            results={name: by_id[payload["application_id"]] for name, payload in payloads.items()},
            refusals=refusals,
            validate_function=sfn.resources.function_name("validate"),
            totals=StoreTotals.of(sfn),
            idempotency_records=idempotency_records(sfn),
            claim_checks=claim_check_keys(sfn),
            executions=len(listed),
            logs=every_log_message(sfn),
        )


@pytest.mark.parametrize("bad", USABLE, ids=[b.name for b in USABLE])
def test_a_usable_entry_ends_invalid_application_after_validate_only(bad: BadInput, corpus: CorpusRun) -> None:
    result = corpus.results[bad.name]
    assert result.status == "SUCCEEDED"
    outcome = result.outcome
    assert outcome is not None
    assert (outcome.status, outcome.reason) == (OutcomeStatus.REJECTED, RejectionReason.INVALID_APPLICATION)
    assert outcome.error_codes == bad.expected_errors
    assert outcome.account_id is None and not outcome.compensated
    assert scheduled_functions(result) == [corpus.validate_function]


@pytest.mark.parametrize("bad", UNUSABLE, ids=[b.name for b in UNUSABLE])
def test_an_entry_without_a_usable_id_is_refused_by_intake(bad: BadInput, corpus: CorpusRun) -> None:
    refusal = corpus.refusals[bad.name]
    assert refusal.error == RejectionReason.INVALID_APPLICATION.value
    detail = json.loads(refusal.payload["errorMessage"])
    assert detail == {"reason": "INVALID_APPLICATION", "error_codes": [e.model_dump() for e in bad.expected_errors]}


def test_the_corpus_leaves_only_its_claim_checks(corpus: CorpusRun) -> None:
    assert corpus.executions == len(USABLE)  # none for a refused entry
    usable_ids = {result.application_id for result in corpus.results.values()}
    assert sorted(corpus.claim_checks) == sorted(object_key(application_id) for application_id in usable_ids)
    assert corpus.totals == StoreTotals(accounts=0, charges=0, messages=0, reviews=0, claim_checks=len(USABLE))
    assert corpus.idempotency_records == 0


@pytest.mark.parametrize("bad", BAD_INPUTS, ids=[b.name for b in BAD_INPUTS])
def test_no_pii_in_errors_history_or_logs(bad: BadInput, corpus: CorpusRun) -> None:
    values = payload_values(corpus.payloads[bad.name])
    assert values  # every entry has something to look for
    if bad.application_id_usable:
        seen = service_view(corpus.results[bad.name])
    else:
        seen = [json.dumps(corpus.refusals[bad.name].payload), str(corpus.refusals[bad.name])]
    assert leaks(seen, values) == set()
    assert leaks(corpus.logs, values) == set()


def test_the_logs_searched_are_the_functions_logs(corpus: CorpusRun) -> None:
    """The search above reads real log lines: intake's and validate's, naming each application they handled."""
    for result in corpus.results.values():
        assert sum(result.application_id in line for line in corpus.logs) >= 2
    assert any('"business rejection"' in line for line in corpus.logs)
