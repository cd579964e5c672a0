"""Which AWS resources each task Lambda may touch, derived from the process description.

Every function gets the table names in its environment (the handlers build all stores), but IAM lets each one reach
only the tables its step writes (``Step.writes``). The entry function stores the submission (claim-check write) and
starts executions; every step function may read the submission.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

from contract.process import ProcessDescription

ClaimCheckAccess = Literal["read", "write"]


@dataclass(frozen=True, kw_only=True)
class TaskAccess:
    tables: tuple[str, ...] = ()  # table roles of the process description
    claim_check: ClaimCheckAccess = "read"
    starts_executions: bool = False


def access_for(process: ProcessDescription, name: str) -> TaskAccess:
    """The access of task function ``name``: the entry function, or a step of the process."""
    if name == process.entry_function:
        # Submission entry point: stores the PII once, then starts the execution with only the reference.
        return TaskAccess(claim_check="write", starts_executions=True)
    return TaskAccess(tables=process.step(name).writes)
