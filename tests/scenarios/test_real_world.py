"""The real-world corpus (:mod:`scenarios.real_world`): every valid variant is accepted and stored in its one
normalized form, every look-alike is refused with exactly its field codes and no value echoed, through the
validation and through the reference process (both engines run one of each: tests/workers/test_real_world.py,
tests/lambdas/test_real_world.py)."""

from __future__ import annotations

from typing import Any

import pytest

from onboarding.adapters.memory import in_memory_adapters
from onboarding.models import Application, OutcomeStatus, RejectionReason, RiskLevel
from onboarding.risk import assess
from onboarding.steps import run_onboarding
from onboarding.validation import ApplicationValidationError, normalized_application, parse_application
from scenarios import scenario
from scenarios.bad_inputs import BadInput, base_application
from scenarios.real_world import END_TO_END_LOOK_ALIKE, END_TO_END_VARIANT, LOOK_ALIKES, VALID_VARIANTS, Variant
from tests.conftest import TODAY
from tests.support.side_effects import SideEffects

# The issue this corpus answers asked for at least this many of each.
MIN_VALID_VARIANTS, MIN_LOOK_ALIKES = 40, 30


def _at(document: Any, path: str) -> Any:
    for part in path.split("."):
        document = document[part]
    return document


def test_the_corpus_is_large_and_its_names_and_ids_are_unique() -> None:
    assert len(VALID_VARIANTS) >= MIN_VALID_VARIANTS and len(LOOK_ALIKES) >= MIN_LOOK_ALIKES
    names = [v.name for v in VALID_VARIANTS] + [b.name for b in LOOK_ALIKES]
    assert len(names) == len(set(names))
    ids = [b.payload["application_id"] for b in LOOK_ALIKES]
    assert len(ids) == len(set(ids))
    assert END_TO_END_VARIANT in VALID_VARIANTS and END_TO_END_LOOK_ALIKE in LOOK_ALIKES


def test_every_variant_changes_the_base_and_every_look_alike_one_field() -> None:
    base = base_application()
    for variant in VALID_VARIANTS:
        assert any(_at(base, path) != value for path, value in variant.typed.items()), variant.name
    for bad in LOOK_ALIKES:
        (error,) = bad.expected_errors
        assert _at(bad.payload, error.field) != _at(base, error.field), bad.name


@pytest.mark.parametrize("variant", VALID_VARIANTS, ids=lambda v: v.name)
def test_a_variant_is_accepted_and_stored_in_its_normalized_form(variant: Variant) -> None:
    application = parse_application(variant.application(), today=TODAY)
    stored = application.model_dump(mode="json")
    assert {path: _at(stored, path) for path in variant.typed} == variant.expected_stored()
    # One form: normalizing the stored application again changes nothing, and the form a later step rebuilds from
    # the submission as typed (the Step Functions claim check) is the same.
    assert parse_application(stored, today=TODAY) == application
    assert normalized_application(application) == application


@pytest.mark.parametrize("variant", VALID_VARIANTS, ids=lambda v: v.name)
def test_a_variant_is_approved_by_the_reference_process(variant: Variant) -> None:
    adapters = in_memory_adapters()
    submission = variant.application()
    outcome = run_onboarding(submission, adapters=adapters, today=TODAY, reviewer=lambda _a: None)
    assert outcome.status is OutcomeStatus.APPROVED, outcome.reason
    assert SideEffects.of(adapters, submission["application_id"]).review is None


@pytest.mark.parametrize("bad", LOOK_ALIKES, ids=lambda b: b.name)
def test_a_look_alike_is_refused_with_its_codes_and_no_value_echoed(bad: BadInput) -> None:
    with pytest.raises(ApplicationValidationError) as raised:
        parse_application(bad.payload, today=TODAY)
    assert tuple(raised.value.errors) == bad.expected_errors
    (error,) = bad.expected_errors
    value = str(_at(bad.payload, error.field))
    rendered = " ".join([str(raised.value), repr(raised.value.errors)])
    assert value not in rendered and value.strip() not in rendered


@pytest.mark.parametrize("bad", LOOK_ALIKES, ids=lambda b: b.name)
def test_a_look_alike_is_rejected_by_the_reference_process_without_side_effects(bad: BadInput) -> None:
    adapters = in_memory_adapters()
    outcome = run_onboarding(bad.payload, adapters=adapters, today=TODAY, reviewer=lambda _a: None)
    assert (outcome.reason, outcome.error_codes) == (RejectionReason.INVALID_APPLICATION, bad.expected_errors)
    assert SideEffects.of(adapters, bad.payload["application_id"]).empty


def test_the_end_to_end_variant_depends_on_its_normalized_phone() -> None:
    """Why this variant runs through the engines: read as typed, its phone would make it a review case."""
    adapters = in_memory_adapters()
    as_typed = parse_application(END_TO_END_VARIANT.application(), today=TODAY).model_dump(mode="json")
    as_typed["applicant"]["phone"] = END_TO_END_VARIANT.typed["applicant.phone"]
    assert assess(Application.model_validate(as_typed), today=TODAY).level is RiskLevel.MEDIUM
    outcome = run_onboarding(END_TO_END_VARIANT.application(), adapters=adapters, today=TODAY,
                             reviewer=lambda _a: None)
    assert outcome.status is OutcomeStatus.APPROVED


@pytest.mark.parametrize("typed", ["Dmitri\u00a0Watchlisted", "  Dmitri  Watchlisted ", "Dmitri\u2010Watchlisted"])
def test_normalization_cannot_be_used_to_slip_past_the_watch_list(typed: str) -> None:
    """The sanctions screen sees the normalized name: spacing and typographic hyphens do not evade it."""
    case = scenario("sanctions_match")
    submission = case.application()
    submission["applicant"]["full_name"] = typed
    outcome = run_onboarding(submission, adapters=in_memory_adapters(), today=TODAY, reviewer=lambda _a: None)
    assert outcome.reason is RejectionReason.SANCTIONS_MATCH
