"""Which AWS resources each task Lambda may touch, derived from the process description.

Every function gets the table names in its environment (the handlers build all stores), but IAM lets each one reach
only the tables its step inserts into (``Step.writes``: put, and read back what a conditional put found) or
changes (``Step.updates``: update, and read the result), the submission only when its step reads it
(``Step.reads_submission``), and the idempotency table only when its step is idempotent (``Step.idempotent``), and
then only its own step's records (``dynamodb:LeadingKeys`` on ``ProcessDescription.idempotency_prefix``). The entry
function stores the submission (claim-check write, and a read to compare an identical resubmission) and starts
executions.

A process's durable function runs every step in one function, so its access is the union over the steps and
compensations (``durable_access``): the tables any of them inserts into or updates, and nothing of the claim check or
the idempotency table (its checkpoints make each step run once; the submission travels sealed in its input).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

from contract.process import ProcessDescription

ClaimCheckAccess = Literal["none", "read", "write"]


@dataclass(frozen=True, kw_only=True)
class TaskAccess:
    inserts: tuple[str, ...] = ()  # table roles of the process description it inserts records into
    updates: tuple[str, ...] = ()  # table roles whose existing records it changes
    claim_check: ClaimCheckAccess = "none"
    starts_executions: bool = False
    idempotency_prefix: str | None = None  # the step's own idempotency records, when it is idempotent


def access_for(process: ProcessDescription, name: str) -> TaskAccess:
    """The access of task function ``name``: the entry function, or a step of the process."""
    if name == process.entry_function:
        # Submission entry point: stores the PII once, then starts the execution with only the reference.
        return TaskAccess(claim_check="write", starts_executions=True)
    step = process.step(name)
    return TaskAccess(
        inserts=step.writes,
        updates=step.updates,
        claim_check="read" if step.reads_submission else "none",
        idempotency_prefix=process.idempotency_prefix(name) if step.idempotent else None,
    )


def durable_access(process: ProcessDescription) -> TaskAccess:
    """The access of the process's durable function: every table a step or compensation inserts into or updates."""
    return TaskAccess(
        inserts=tuple(sorted({table for step in process.all_steps for table in step.writes})),
        updates=tuple(sorted({table for step in process.all_steps for table in step.updates})),
    )
