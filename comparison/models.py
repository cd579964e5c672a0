"""The engine-facing contract: what one engine run of one scenario reports back to the comparison.

The engine runners (Temporal and Step Functions) build a :class:`ScenarioRun` per scenario and profile;
everything downstream (parity, report) reads only these shapes. Nothing here may carry PII: runs are
identified by scenario name and opaque application id, side effects by counts and statuses.
"""

from __future__ import annotations

from enum import StrEnum
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field

from contract.profile import Profile
from onboarding.models import APPLICATION_ID_PATTERN, Outcome
from onboarding.ports import ChargeStore, Ledger, Outbox, ReviewQueue

# Error descriptions are type names, never messages (a message could quote a submitted value).
ERROR_TYPE_PATTERN = r"^[A-Za-z_][A-Za-z0-9_.]{0,127}$"


class Engine(StrEnum):
    TEMPORAL = "temporal"
    STEPFUNCTIONS = "stepfunctions"

    @property
    def display_name(self) -> str:
        return "Temporal" if self is Engine.TEMPORAL else "Step Functions"


class _Frozen(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")


class SideEffects(_Frozen):
    """What the run left in the shared stores, as counts and statuses."""

    account_status: Literal["OPEN", "CLOSED"] | None = None
    approved_charges: int = Field(default=0, ge=0)
    declined_charges: int = Field(default=0, ge=0)
    outbox_messages: int = Field(default=0, ge=0)
    review_requested: bool = False


class ScenarioRun(_Frozen):
    """One engine's run of one scenario in one profile.

    ``outcome`` is ``None`` when the engine itself failed (the run did not reach a business outcome);
    ``error`` then names the exception type.
    """

    engine: Engine
    profile: Profile
    scenario: str = Field(pattern=r"^[a-z0-9_]{1,80}$")
    application_id: str = Field(pattern=APPLICATION_ID_PATTERN)
    outcome: Outcome | None
    side_effects: SideEffects
    error: str | None = Field(default=None, pattern=ERROR_TYPE_PATTERN)
    duration_seconds: float | None = Field(default=None, ge=0)


def side_effects_snapshot(
    application_id: str, *, ledger: Ledger, charges: ChargeStore, outbox: Outbox, reviews: ReviewQueue
) -> SideEffects:
    """Read one application's side effects through the ports (works with any adapter set)."""
    account = ledger.get(application_id)
    recorded = charges.for_application(application_id)
    return SideEffects(
        account_status=account.status if account is not None else None,
        approved_charges=sum(1 for charge in recorded if charge.approved),
        declined_charges=sum(1 for charge in recorded if not charge.approved),
        outbox_messages=len(outbox.for_application(application_id)),
        review_requested=reviews.get(application_id) is not None,
    )
