"""Fault cases: the paths no submission can trigger, because the fault is in a store rather than a sandbox provider.

The welcome message goes to the outbox, a table of the deployment: nothing in an application makes it fail, yet the
saga must undo the account when it fails for good. Each case pairs an application (whose data triggers nothing) with
the store that is down for good and the outcome the engines must reach; each engine's tests bring the store down
their own way (a failing outbox port for the in-process worker and the reference run, a replaced store in the task
Lambdas' runtime for Step Functions), with no hook in production code.

Together with :data:`scenarios.SCENARIOS` they cover every reason the process can end with
(``tests/contract/test_onboarding.py`` checks it against the description).
"""

from __future__ import annotations

from dataclasses import dataclass

from onboarding.models import OutcomeStatus, RejectionReason
from scenarios import Expected, Scenario, _scenario


@dataclass(frozen=True, kw_only=True)
class FaultCase:
    scenario: Scenario  # the application and what the run must end with
    down: str  # the storage port (a field of onboarding.ports.Adapters) whose every call fails
    step: str  # the step that uses it and so fails for good

    @property
    def name(self) -> str:
        return self.scenario.name

    @property
    def expected(self) -> Expected:
        return self.scenario.expected


FAULT_CASES: tuple[FaultCase, ...] = (
    FaultCase(
        scenario=_scenario(
            "notification_unavailable",
            "The outbox is down for good when the welcome message is queued: the charge is refunded and the account "
            "closed (compensated).",
            Expected(
                status=OutcomeStatus.FAILED, reason=RejectionReason.NOTIFICATION_UNAVAILABLE, compensated=True,
                account_status="CLOSED", approved_charges=1, refunded_charges=1,
            ),
            "app_01JFAULTS00000000000001",
            full_name="Peregrine Ashdown-Kealoha", date_of_birth="1982-10-09", national_id="832-65-8437",
            email="peregrine.ak@example.org", phone="+19075550192", line1="301 Tidewater Close",
            city="Fenwick Harbor", postal_code="99501-3318", card_number="4111111938475616", card_expiry="08/32",
            amount_cents=42_000,
        ),
        down="outbox",
        step="notify",
    ),
)
