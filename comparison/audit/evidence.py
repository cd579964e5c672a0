"""The exposure audit: which searched PII values can an operator of each orchestrator read, and where.

Usable on its own: gather what the service stores for each execution as plain data (the evidence
models below), then call :func:`audit_temporal` or :func:`audit_stepfunctions` with the values to
search for (a process's binding builds them from its corpus, e.g. ``comparison.onboarding.pii_from_scenarios``);
:func:`audit_executions` picks the audit of an engine.

- Temporal: history events as JSON (``google.protobuf.json_format.MessageToDict`` of the
  ``GetWorkflowExecutionHistory`` events, fetched without a codec), the workflow id, and the search
  attributes, memo and headers as described by the service (raw payload dicts or decoded values).
- Step Functions: ``GetExecutionHistory`` events and the ``DescribeExecution`` response as boto3 returns
  them, the state machine log group's events, and the execution's tags.
- Lambda durable functions: ``GetDurableExecutionHistory`` events (with execution data) and the
  ``GetDurableExecution`` response as boto3 returns them.

The result (:class:`comparison.audit.exposure.ExposureAudit`) counts plaintext hits per channel and lists
each hit by value label, execution, source, event id and field path, never by value.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any, TypeVar

from pydantic import BaseModel, ConfigDict, Field

from comparison.audit.durable import DurableWalker
from comparison.audit.exposure import Collector, DurableChannel, ExposureAudit, StepFunctionsChannel, TemporalChannel
from comparison.audit.pii import PiiValue
from comparison.audit.stepfunctions import StepFunctionsWalker
from comparison.audit.temporal import CIPHERTEXT_ENCODINGS, TemporalWalker
from comparison.models import Engine

__all__ = [
    "CIPHERTEXT_ENCODINGS",
    "DurableEvidence",
    "ExecutionEvidence",
    "ExposureAudit",
    "StepFunctionsEvidence",
    "TemporalEvidence",
    "audit_durable",
    "audit_executions",
    "audit_stepfunctions",
    "audit_temporal",
]


class TemporalEvidence(BaseModel):
    """What the Temporal service holds for one workflow execution."""

    model_config = ConfigDict(frozen=True, hide_input_in_errors=True)

    label: str  # e.g. the scenario name; must not contain PII (checked)
    workflow_id: str
    history: list[dict[str, Any]]
    search_attributes: dict[str, Any] = Field(default_factory=dict)
    memo: dict[str, Any] = Field(default_factory=dict)
    headers: dict[str, Any] = Field(default_factory=dict)
    identifiers: list[str] = Field(default_factory=list)  # run id, task queue, anything else named


class StepFunctionsEvidence(BaseModel):
    """What Step Functions (and its log group) holds for one execution."""

    model_config = ConfigDict(frozen=True, hide_input_in_errors=True)

    label: str
    history: list[dict[str, Any]]
    describe_execution: dict[str, Any] = Field(default_factory=dict)
    log_events: list[dict[str, Any]] = Field(default_factory=list)
    tags: dict[str, str] = Field(default_factory=dict)


class DurableEvidence(BaseModel):
    """What the durable-execution service holds for one durable execution."""

    model_config = ConfigDict(frozen=True, hide_input_in_errors=True)

    label: str
    history: list[dict[str, Any]]
    describe_execution: dict[str, Any] = Field(default_factory=dict)
    identifiers: list[str] = Field(default_factory=list)  # the execution name and ARN, the function's name


def audit_temporal(
    evidence: Sequence[TemporalEvidence],
    values: Sequence[PiiValue],
    *,
    ciphertext_encodings: frozenset[str] = CIPHERTEXT_ENCODINGS,
) -> ExposureAudit:
    collector = Collector(Engine.TEMPORAL, values)
    walker = TemporalWalker(collector, ciphertext_encodings)
    for item in evidence:
        collector.start_execution(item.label)
        walker.history(item.history)
        walker.plain(TemporalChannel.IDENTIFIERS, item.workflow_id, source="workflow_id")
        walker.plain(TemporalChannel.IDENTIFIERS, item.identifiers, source="identifiers")
        walker.plain(TemporalChannel.SEARCH_ATTRIBUTES_MEMO_HEADERS, item.search_attributes, source="search_attributes")
        walker.plain(TemporalChannel.SEARCH_ATTRIBUTES_MEMO_HEADERS, item.memo, source="memo")
        walker.plain(TemporalChannel.SEARCH_ATTRIBUTES_MEMO_HEADERS, item.headers, source="headers")
    return collector.result()


def audit_stepfunctions(evidence: Sequence[StepFunctionsEvidence], values: Sequence[PiiValue]) -> ExposureAudit:
    collector = Collector(Engine.STEPFUNCTIONS, values)
    walker = StepFunctionsWalker(collector)
    for item in evidence:
        collector.start_execution(item.label)
        walker.history(item.history)
        walker.describe_execution(item.describe_execution)
        walker.logs(item.log_events)
        walker.plain(StepFunctionsChannel.IDENTIFIERS, item.tags, source="tags")
    return collector.result()


def audit_durable(evidence: Sequence[DurableEvidence], values: Sequence[PiiValue]) -> ExposureAudit:
    collector = Collector(Engine.DURABLE, values)
    walker = DurableWalker(collector)
    for item in evidence:
        collector.start_execution(item.label)
        walker.history(item.history)
        walker.describe_execution(item.describe_execution)
        walker.plain(DurableChannel.IDENTIFIERS, item.identifiers, source="identifiers")
    return collector.result()


ExecutionEvidence = TemporalEvidence | StepFunctionsEvidence | DurableEvidence
_E = TypeVar("_E", TemporalEvidence, StepFunctionsEvidence, DurableEvidence)


def audit_executions(engine: Engine, evidence: Sequence[ExecutionEvidence], values: Sequence[PiiValue]
                     ) -> ExposureAudit:
    """The audit of one engine's executions; every item must be evidence of that engine's kind."""
    if engine is Engine.TEMPORAL:
        return audit_temporal(_all_of(TemporalEvidence, evidence, engine), values)
    if engine is Engine.STEPFUNCTIONS:
        return audit_stepfunctions(_all_of(StepFunctionsEvidence, evidence, engine), values)
    if engine is Engine.DURABLE:
        return audit_durable(_all_of(DurableEvidence, evidence, engine), values)
    raise ValueError(f"no exposure audit for engine {engine.value}: add its walker and channels")


def _all_of(kind: type[_E], evidence: Sequence[ExecutionEvidence], engine: Engine) -> list[_E]:
    found = [item for item in evidence if isinstance(item, kind)]
    if len(found) != len(evidence):
        raise ValueError(f"evidence of {engine.value}: expected only {kind.__name__} items")
    return found
