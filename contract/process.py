"""The process description: what a business process tells the platform about itself.

A process (account onboarding in this repository) is written by hand once per engine: the Temporal workflow and
the Step Functions definition are what people read. Both run the same domain code, and both must agree with this
small, typed summary of the process. The generic platform derives everything process-specific from it:

- the Temporal worker's activity list (``workers.worker.activities_for``): one activity per step;
- the task Lambdas (``contract.registry.task_functions``) and their IAM access (the tables each step writes);
- the table variables of every runtime (``contract.environment``);
- the names of what deploys (workflow type, state machine, log groups, idempotency prefixes).

Tests check the workflow and the definition against it (step order, every step present, every rejection reason
caught), so a step added to one engine but not described here, or described but missing from an engine, fails
with a message naming the missing piece.

Nothing here imports a domain: a process's own description module builds a :class:`ProcessDescription` from its
domain (``contract.onboarding`` for onboarding).
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass, field
from enum import StrEnum
from typing import Protocol

_SNAKE = re.compile(r"^[a-z][a-z0-9]*(?:_[a-z0-9]+)*$")
_REASON = re.compile(r"^[A-Z][A-Z0-9_]{0,63}$")
# The state a Step Functions definition enters when a compensation could not finish (its output then says
# ``compensation_pending``). A platform convention: infra's alarm counts entries into this state.
COMPENSATION_PENDING_STATE = "CompensationPending"


class DescriptionError(ValueError):
    """The description contradicts itself (an unknown table, a duplicate step, a malformed name)."""


class FieldErrorLike(Protocol):
    """One field-level validation failure: a field path and a stable code (never the submitted value)."""

    @property
    def field(self) -> str: ...

    @property
    def code(self) -> str: ...


class Retry(StrEnum):
    """How the engines retry a step. Business rejections are never retried, whatever the class."""

    STANDARD = "standard"  # timeouts and unexpected errors get the process's attempt budget
    TRANSIENT = "transient"  # the step's provider also fails transiently: the same budget, with backoff


@dataclass(frozen=True, kw_only=True)
class RetryBudget:
    """How often and how far apart the engines retry a step that failed for any reason but a business rejection.

    Temporal's retry policy (``workers.workflows.RETRY_POLICY``) and the durable function's retry strategy read these
    numbers; the state machine's ``Retry`` fields are written in its ASL file and held to them by
    ``tests/contract/test_definition.py``. The defaults: the corpus's flakiest provider fails 3 times in a row, so
    five attempts leave headroom, and 1 s doubling to 30 s keeps a step's retries within a few minutes.
    """

    max_attempts: int = 5  # the first attempt included
    initial_interval_seconds: int = 1
    backoff_coefficient: float = 2.0
    max_interval_seconds: int = 30

    def delay_seconds(self, attempts_made: int) -> float:
        """The wait before the next attempt once ``attempts_made`` (>= 1) have failed."""
        return min(self.initial_interval_seconds * self.backoff_coefficient ** (attempts_made - 1),
                   self.max_interval_seconds)


class StepKind(StrEnum):
    TASK = "task"
    REVIEW = "review"  # puts the case in front of a human; the engine then waits for a decision or a timeout
    COMPENSATION = "compensation"  # undoes an earlier step after a later one failed


@dataclass(frozen=True, kw_only=True)
class Step:
    """One step: its name is the Temporal activity name, the task Lambda's name and (in PascalCase) its state."""

    name: str
    rejections: tuple[str, ...] = ()  # reason codes this step may end the process with
    retry: Retry = Retry.STANDARD
    writes: tuple[str, ...] = ()  # side-effect tables (roles) the step inserts records into
    updates: tuple[str, ...] = ()  # side-effect tables whose existing records the step changes
    idempotent: bool = False  # guarded by an idempotency record on the Step Functions side, too
    # Loads the submission (the claim check) to do its work. A step that works from ids and decisions alone
    # (a review request, a notification, a compensation) says False, and IAM gives its function no read of it.
    reads_submission: bool = True
    kind: StepKind = StepKind.TASK
    state: str | None = None  # the Step Functions state, when not the PascalCase name (a review's waiting state)
    # The saga. ``compensation``: the compensation step that undoes this step's side effect. ``unavailable``: the
    # reason the process ends with when this step fails for good (its retries exhausted, for any reason but one of
    # its rejections); the engines then run the compensations (see ProcessDescription.compensations_for).
    compensation: str | None = None
    unavailable: str | None = None

    @property
    def state_name(self) -> str:
        """The Step Functions state that runs it: ``screen_sanctions`` -> ``ScreenSanctions``."""
        return self.state or pascal_case(self.name)


@dataclass(frozen=True, kw_only=True)
class Review:
    """The manual-review step: which step requests it, and the reasons it can end the process with."""

    step: str
    declined: str
    timed_out: str


@dataclass(frozen=True, kw_only=True)
class Table:
    """A side-effect table (DynamoDB, on demand): its role and its string key attributes (partition, then sort)."""

    role: str
    keys: tuple[str, ...] = ("pk",)

    @property
    def partition_key(self) -> str:
        return self.keys[0]

    @property
    def sort_key(self) -> str | None:
        return self.keys[1] if len(self.keys) > 1 else None


@dataclass(frozen=True, kw_only=True)
class ProcessDescription:
    """A business process as the platform sees it. Shapes only; every name is an identifier, never data.

    ``rejection_error`` and ``transient_error`` are the domain's exception classes: a rejection carries ``reason``
    (one of the reason codes) and ``field_errors`` (objects with ``field`` and ``code``); a transient error is
    retried with backoff. ``safe_message_errors`` lists the exception types whose messages are built from codes
    only, so logs may keep their text (any other exception's message is dropped: it may quote its input).
    """

    name: str  # snake_case: workflow type, state machine and log group names, logger service
    id_field: str  # the business id in a submission: workflow id, execution name, claim-check key
    id_pattern: str  # a regular expression for opaque ids, so no PII can become an identifier
    steps: tuple[Step, ...]  # the main path in order, the review step included
    compensations: tuple[Step, ...] = ()
    review: Review | None = None
    tables: tuple[Table, ...] = ()  # side-effect tables; each gets a ``<ROLE>_TABLE`` variable
    entry_function: str = "intake"  # the task Lambda a client calls to submit (claim check, then start)
    invalid_reason: str = "INVALID_APPLICATION"  # what a malformed submission (its id, its size) is rejected with
    retry_budget: RetryBudget = field(default_factory=RetryBudget)
    rejection_error: type[Exception] = field(default=Exception, repr=False)
    transient_error: type[Exception] = field(default=Exception, repr=False)
    safe_message_errors: tuple[type[BaseException], ...] = field(default=(), repr=False)

    def __post_init__(self) -> None:
        names = [step.name for step in self.all_steps]
        for name in [self.name, *names, *self.table_roles]:
            if not _SNAKE.fullmatch(name):
                raise DescriptionError(f"{name!r} is not a snake_case name")
        duplicates = sorted({name for name in names if names.count(name) > 1})
        if duplicates:
            raise DescriptionError(f"steps described twice: {', '.join(duplicates)}")
        for step in self.all_steps:
            unknown = [table for table in (*step.writes, *step.updates) if table not in self.table_roles]
            if unknown:
                raise DescriptionError(f"step {step.name} writes undescribed tables: {', '.join(unknown)}")
        bad = [reason for reason in (*self.reasons, self.invalid_reason) if not _REASON.fullmatch(reason)]
        if bad:
            raise DescriptionError(f"reason codes must be UPPER_SNAKE: {', '.join(bad)}")
        bad_keys = [table.role for table in self.tables if not 1 <= len(table.keys) <= 2]
        if bad_keys:
            raise DescriptionError(f"tables need a partition key and at most a sort key: {', '.join(bad_keys)}")
        if self.review is not None and self.step(self.review.step).kind is not StepKind.REVIEW:
            raise DescriptionError(f"review step {self.review.step} is not of kind {StepKind.REVIEW.value}")
        compensation_names = {step.name for step in self.compensations}
        for step in self.steps:
            if step.compensation is not None and step.compensation not in compensation_names:
                raise DescriptionError(f"step {step.name} names an undescribed compensation: {step.compensation}")
        if any(step.compensation is not None or step.unavailable is not None for step in self.compensations):
            raise DescriptionError("a compensation has no compensation of its own nor an unavailable reason")

    @property
    def all_steps(self) -> tuple[Step, ...]:
        return (*self.steps, *self.compensations)

    @property
    def reasons(self) -> tuple[str, ...]:
        """Every reason code the process can end with, in step order, each once."""
        found: list[str] = []
        review = (self.review.declined, self.review.timed_out) if self.review is not None else ()
        unavailable = [step.unavailable for step in self.steps if step.unavailable is not None]
        for reason in [*(r for step in self.all_steps for r in step.rejections), *review, *unavailable]:
            if reason not in found:
                found.append(reason)
        return tuple(found)

    def compensations_for(self, failed: str, *, rejected: bool) -> tuple[str, ...]:
        """The compensations to run, in order, when step ``failed`` ends the process: those of the steps before it,
        latest first, preceded by its own unless it was ``rejected`` (a business rejection did nothing to undo; a
        step that failed for good may have acted before failing, e.g. a charge whose answer was lost)."""
        names = [step.name for step in self.steps]
        done = self.steps[:names.index(failed) + (0 if rejected else 1)]
        return tuple(step.compensation for step in reversed(done) if step.compensation is not None)

    def step(self, name: str) -> Step:
        for step in self.all_steps:
            if step.name == name:
                return step
        raise KeyError(f"process {self.name} has no step {name!r}")

    @property
    def table_roles(self) -> tuple[str, ...]:
        return tuple(table.role for table in self.tables)

    def idempotency_prefix(self, step: str) -> str:
        """The prefix of every idempotency record of ``step``: ``onboarding.open_account``.

        Powertools writes record ids as ``<prefix>#<hash of the business id>``; IAM scopes each function to its
        own step's records with ``dynamodb:LeadingKeys`` on this prefix."""
        if not self.step(step).idempotent:
            raise KeyError(f"step {step!r} of process {self.name} is not idempotent")
        return f"{self.name}.{step}"

    def table_variable(self, role: str) -> str:
        """The environment variable holding a side-effect table's name: ``ledger`` -> ``LEDGER_TABLE``."""
        if role not in self.table_roles:
            raise KeyError(f"process {self.name} has no table {role!r}")
        return f"{role.upper()}_TABLE"

    @property
    def table_variables(self) -> dict[str, str]:
        """Role -> environment variable, for every side-effect table."""
        return {role: self.table_variable(role) for role in self.table_roles}

    def is_rejection(self, error: BaseException) -> bool:
        return isinstance(error, self.rejection_error) and self.rejection_error is not Exception


def pascal_case(name: str) -> str:
    return "".join(part.title() for part in name.split("_"))


def reason_of(error: BaseException) -> str:
    """The reason code of a rejection (its ``reason``, a string or a string enum)."""
    reason = getattr(error, "reason", None)
    value = getattr(reason, "value", reason)
    if not isinstance(value, str):
        raise TypeError("a rejection carries its reason code in .reason")
    return value


def field_errors_of(error: BaseException) -> Sequence[FieldErrorLike]:
    errors: Sequence[FieldErrorLike] = getattr(error, "field_errors", ())
    return errors
