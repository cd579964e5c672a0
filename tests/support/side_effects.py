"""One application's side effects, read through the onboarding ports, and how they compare with a scenario."""

from __future__ import annotations

from dataclasses import dataclass

from onboarding.models import Account, Charge, OutboxMessage, Outcome, ReviewRequest
from onboarding.ports import Adapters
from scenarios import Scenario


@dataclass(frozen=True)
class SideEffects:
    account: Account | None
    charges: tuple[Charge, ...]
    outbox: tuple[OutboxMessage, ...]
    review: ReviewRequest | None

    @classmethod
    def of(cls, adapters: Adapters, application_id: str) -> SideEffects:
        return cls(
            account=adapters.ledger.get(application_id),
            charges=tuple(adapters.charges.for_application(application_id)),
            outbox=tuple(adapters.outbox.for_application(application_id)),
            review=adapters.reviews.get(application_id),
        )

    def without_task_token(self) -> SideEffects:
        """Only Step Functions stores a task token; everything else must match the reference run."""
        review = self.review.model_copy(update={"task_token": None}) if self.review else None
        return SideEffects(account=self.account, charges=self.charges, outbox=self.outbox, review=review)

    @property
    def empty(self) -> bool:
        return self.account is None and not self.charges and not self.outbox and self.review is None


def matches_expected(scenario: Scenario, outcome: Outcome, effects: SideEffects) -> list[str]:
    """Differences between a run and the scenario's expectations (empty when it matches)."""
    expected = scenario.expected
    actual = {
        "status": outcome.status,
        "reason": outcome.reason,
        "compensated": outcome.compensated,
        "compensation_pending": outcome.compensation_pending,
        "error_codes": outcome.error_codes,
        "account_status": effects.account.status if effects.account else None,
        "approved_charges": sum(1 for charge in effects.charges if charge.approved),
        "declined_charges": sum(1 for charge in effects.charges if not charge.approved),
        "refunded_charges": sum(1 for charge in effects.charges if charge.refunded),
        "outbox_messages": len(effects.outbox),
        "review_requested": effects.review is not None,
    }
    return [f"{name}: expected {getattr(expected, name)!r}, got {value!r}"
            for name, value in actual.items() if getattr(expected, name) != value]
