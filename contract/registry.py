"""The contract between the ASL definition, the handlers and the infrastructure.

Each task Lambda is listed once: its handler path (inside the Lambda bundle), and the
DefinitionSubstitutions key the ASL uses for its ARN. ``infra/`` creates one function per entry;
the local runner routes each ARN to the same handler in process.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

# The ASL template; infra/ loads it with DefinitionSubstitutions, the local runner with the same keys.
DEFINITION_PATH = Path(__file__).resolve().parent.parent / "state_machines" / "onboarding.asl.json"


@dataclass(frozen=True, kw_only=True)
class TaskFunction:
    name: str  # short, stable, used in construct ids and function names
    handler: str  # "module.function" inside the bundle
    substitution_key: str  # ${...} placeholder in state_machines/onboarding.asl.json
    # False for the submission entry point (``intake``): a client calls it, the state machine does not,
    # and it needs the state machine's ARN, so wiring its ARN into the definition would be a cycle.
    in_state_machine: bool = True

    @property
    def placeholder(self) -> str:
        return "${" + self.substitution_key + "}"


TASK_FUNCTIONS: tuple[TaskFunction, ...] = tuple(
    TaskFunction(
        name=name,
        handler=f"lambdas.handlers.{name}.handler",
        substitution_key="".join(part.title() for part in name.split("_")) + "FunctionArn",
        in_state_machine=name != "intake",
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
# Read by ``intake`` only.
ENV_STATE_MACHINE_ARN = "STATE_MACHINE_ARN"
ENV_REVIEW_TIMEOUT_SECONDS = "REVIEW_TIMEOUT_SECONDS"  # optional; default DEFAULT_REVIEW_TIMEOUT_SECONDS

DEFAULT_REVIEW_TIMEOUT_SECONDS = 72 * 3600

# The Powertools idempotency table (``ENV_IDEMPOTENCY_TABLE``): partition key ``id`` (string), TTL attribute
# ``expiration``. These are Powertools' defaults, named here so infra/ and the local runner agree.
IDEMPOTENCY_PARTITION_KEY = "id"
IDEMPOTENCY_TTL_ATTRIBUTE = "expiration"


def state_machine_functions() -> tuple[TaskFunction, ...]:
    """The functions the ASL references, i.e. the DefinitionSubstitutions infra must pass."""
    return tuple(function for function in TASK_FUNCTIONS if function.in_state_machine)


def task_function(name: str) -> TaskFunction:
    for function in TASK_FUNCTIONS:
        if function.name == name:
            return function
    raise KeyError(f"unknown task function {name!r}")
