"""The library-card process, described for the platform, and its task functions and definition."""

from __future__ import annotations

from pathlib import Path

from contract.definition import DefinitionTemplate
from contract.process import ProcessDescription, Review, Step, StepKind, Table
from contract.registry import task_functions
from tests.second_process.domain import REQUEST_ID_PATTERN, Refusal

LIBRARY = ProcessDescription(
    name="library_card",
    id_field="request_id",
    id_pattern=REQUEST_ID_PATTERN,
    steps=(
        Step(name="check_details", rejections=("INVALID_REQUEST",)),
        Step(name="check_district", rejections=("OUT_OF_DISTRICT",)),
        Step(name="request_review", kind=StepKind.REVIEW, writes=("reviews",)),
        Step(name="issue_card", writes=("cards",), idempotent=True),
    ),
    review=Review(step="request_review", declined="REVIEW_DECLINED", timed_out="REVIEW_TIMEOUT"),
    tables=(Table(role="cards"), Table(role="reviews")),
    invalid_reason="INVALID_REQUEST",
    rejection_error=Refusal,
    safe_message_errors=(Refusal,),
)
FUNCTIONS = task_functions(LIBRARY, handlers_package="tests.second_process.handlers")
DEFINITION_PATH = Path(__file__).with_name("library_card.asl.json")


def definition() -> DefinitionTemplate:
    return DefinitionTemplate.asl(FUNCTIONS, path=DEFINITION_PATH)
