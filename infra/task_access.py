"""Which AWS resources each task Lambda of `contract.registry.TASK_FUNCTIONS` may touch.

Every function gets the table names in its environment (the handlers build all adapters), but IAM lets each
one reach only what its step writes or reads. A registry entry without a profile here fails synth.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

ClaimCheckAccess = Literal["read", "write"]


@dataclass(frozen=True, kw_only=True)
class TaskAccess:
    tables: tuple[str, ...] = ()  # roles from onboarding.adapters.dynamodb.TABLE_KEYS
    claim_check: ClaimCheckAccess = "read"
    starts_executions: bool = False


TASK_ACCESS: dict[str, TaskAccess] = {
    # Submission entry point: stores the PII once, then starts the execution with only the reference.
    "intake": TaskAccess(claim_check="write", starts_executions=True),
    "validate": TaskAccess(),
    "screen_sanctions": TaskAccess(),
    "verify_identity": TaskAccess(),
    "assess_risk": TaskAccess(),
    "request_review": TaskAccess(tables=("reviews",)),
    "open_account": TaskAccess(tables=("ledger",)),
    "fund_account": TaskAccess(tables=("charges",)),
    "close_account": TaskAccess(tables=("ledger",)),
    "notify": TaskAccess(tables=("outbox",)),
}


class MissingTaskAccessError(LookupError):
    """A task function exists in the registry but nobody decided what it may access."""


def access_for(name: str) -> TaskAccess:
    try:
        return TASK_ACCESS[name]
    except KeyError:
        raise MissingTaskAccessError(
            f"task function {name!r} has no access profile in infra/task_access.py"
        ) from None
