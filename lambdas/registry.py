"""The contract between the ASL definition, the handlers and the infrastructure.

Each task Lambda is listed once: its handler path (inside the Lambda bundle), and the
DefinitionSubstitutions key the ASL uses for its ARN. ``infra/`` creates one function per entry;
the local runner routes each ARN to the same handler in process.
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True, kw_only=True)
class TaskFunction:
    name: str  # short, stable, used in construct ids and function names
    handler: str  # "module.function" inside the bundle
    substitution_key: str  # ${...} placeholder in state_machines/onboarding.asl.json

    @property
    def placeholder(self) -> str:
        return "${" + self.substitution_key + "}"


TASK_FUNCTIONS: tuple[TaskFunction, ...] = tuple(
    TaskFunction(
        name=name,
        handler=f"lambdas.handlers.{name}.handler",
        substitution_key="".join(part.title() for part in name.split("_")) + "FunctionArn",
    )
    for name in (
        "intake",  # claim check: stores the submission, returns only the reference
        "validate",
        "screen_sanctions",
        "verify_identity",
        "assess_risk",
        "request_review",
        "open_account",
        "fund_account",
        "close_account",
        "notify",
    )
)

# Environment variables the handlers read (set by infra/, or by the local runner).
ENV_LEDGER_TABLE = "LEDGER_TABLE"
ENV_CHARGES_TABLE = "CHARGES_TABLE"
ENV_OUTBOX_TABLE = "OUTBOX_TABLE"
ENV_REVIEWS_TABLE = "REVIEWS_TABLE"
ENV_IDEMPOTENCY_TABLE = "IDEMPOTENCY_TABLE"
ENV_CLAIM_CHECK_BUCKET = "CLAIM_CHECK_BUCKET"
ENV_CLAIM_CHECK_KEY_ARN = "CLAIM_CHECK_KEY_ARN"
ENV_PROTECTION_PROFILE = "PROTECTION_PROFILE"  # "hardened" (default) or "baseline" (exposure comparison only)
