"""Account onboarding, bound to the comparison platform: the one module of ``comparison`` that knows the process.

The platform (``comparison.audit``, ``.cost``, ``.report``, ``.parity``, ``.models``) compares plain facts; this
module says which facts onboarding has and how to read them:

- :data:`FACTS`: the facts compared, in report order, with how reports show each;
- :func:`run_facts`: a run's facts, from its :class:`~onboarding.models.Outcome` and the side effects it left,
  read back through the onboarding ports (:func:`side_effects_snapshot`), so any adapter set works;
- :func:`expected_facts`, :func:`corpus`: the scenarios' expectations as the report's cases;
- :func:`onboarding_run`: the :class:`~comparison.models.ScenarioRun` of one execution;
- :func:`pii_from_scenarios`: the values the exposure audit searches for (every searchable PII value);
- :data:`ACCESS_STORES`, :data:`ENGINE_OPERATORS`: where an applicant's data can be read on each engine's
  deployment, for the access surface (:mod:`comparison.access`).

The engine drivers, the demo and the deployed audit (composition code) use it; the platform never imports it.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field

from comparison.access.services import StoreKind
from comparison.access.surface import StoreSpec
from comparison.access.templates import Resource, TemplateSet
from comparison.audit.pii import PiiValue, pii_values, string_leaves
from comparison.models import Case, Corpus, Engine, FactRole, Facts, FactSpec, ScenarioRun
from contract.environment import CHECKPOINT_ENCRYPTION_CONTEXT, PAYLOAD_ENCRYPTION_CONTEXT
from contract.onboarding import ONBOARDING
from contract.profile import Profile
from onboarding.models import FieldError, Outcome, OutcomeStatus
from onboarding.ports import Adapters
from scenarios import SCENARIOS, Expected, Scenario

FACTS: tuple[FactSpec, ...] = (
    FactSpec(name="status", role=FactRole.OUTCOME, label="status"),
    FactSpec(name="reason", role=FactRole.OUTCOME, label="reason"),
    FactSpec(name="compensated", role=FactRole.OUTCOME, label="compensated"),
    FactSpec(name="compensation_pending", role=FactRole.OUTCOME, label="compensation pending"),
    FactSpec(name="error_codes", role=FactRole.EFFECT, label="field errors"),
    FactSpec(name="account_status", role=FactRole.EFFECT, label="account"),
    FactSpec(name="approved_charges", role=FactRole.EFFECT, label="approved charges"),
    FactSpec(name="declined_charges", role=FactRole.EFFECT, label="declined charges"),
    FactSpec(name="refunded_charges", role=FactRole.EFFECT, label="refunded charges"),
    FactSpec(name="outbox_messages", role=FactRole.EFFECT, label="outbox"),
    FactSpec(name="review_requested", role=FactRole.EFFECT, label="review"),
    # The account id itself is opaque but per run: whether there is one is the comparable fact.
    FactSpec(name="has_account_id", role=FactRole.CHECK, label="account id"),
)


class SideEffects(BaseModel):
    """What one application left in the shared stores, as counts and statuses."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    account_status: Literal["OPEN", "CLOSED"] | None = None
    approved_charges: int = Field(default=0, ge=0)
    declined_charges: int = Field(default=0, ge=0)
    refunded_charges: int = Field(default=0, ge=0)
    outbox_messages: int = Field(default=0, ge=0)
    review_requested: bool = False


def side_effects_snapshot(application_id: str, adapters: Adapters) -> SideEffects:
    """Read one application's side effects through the ports (works with any adapter set)."""
    account = adapters.ledger.get(application_id)
    recorded = adapters.charges.for_application(application_id)
    return SideEffects(
        account_status=account.status if account is not None else None,
        approved_charges=sum(1 for charge in recorded if charge.approved),
        declined_charges=sum(1 for charge in recorded if not charge.approved),
        refunded_charges=sum(1 for charge in recorded if charge.refunded),
        outbox_messages=len(adapters.outbox.for_application(application_id)),
        review_requested=adapters.reviews.get(application_id) is not None,
    )


def run_facts(outcome: Outcome | None, effects: SideEffects) -> Facts:
    """A run's facts, in :data:`FACTS` order; ``outcome`` is ``None`` when the engine reached no business outcome."""
    return {
        "status": outcome.status.value if outcome is not None else None,
        "reason": outcome.reason.value if outcome is not None and outcome.reason is not None else None,
        "compensated": outcome.compensated if outcome is not None else None,
        "compensation_pending": outcome.compensation_pending if outcome is not None else None,
        "error_codes": _codes(outcome.error_codes) if outcome is not None else (),
        **_effect_facts(effects),
        "has_account_id": outcome is not None and outcome.account_id is not None,
    }


def expected_facts(expected: Expected) -> Facts:
    """A scenario's expectation as facts, in :data:`FACTS` order."""
    return {
        "status": expected.status.value,
        "reason": expected.reason.value if expected.reason is not None else None,
        "compensated": expected.compensated,
        "compensation_pending": expected.compensation_pending,
        "error_codes": _codes(expected.error_codes),
        "account_status": expected.account_status,
        "approved_charges": expected.approved_charges,
        "declined_charges": expected.declined_charges,
        "refunded_charges": expected.refunded_charges,
        "outbox_messages": expected.outbox_messages,
        "review_requested": expected.review_requested,
        "has_account_id": expected.status is OutcomeStatus.APPROVED,
    }


def onboarding_run(
    engine: Engine, profile: Profile, scenario: Scenario, application_id: str, *, outcome: Outcome | None,
    adapters: Adapters, error: str | None = None, duration_seconds: float | None = None,
) -> ScenarioRun:
    """The comparison's view of one execution: its outcome and the side effects read back through the ports."""
    return ScenarioRun(
        engine=engine, profile=profile, scenario=scenario.name, business_id=application_id,
        facts=run_facts(outcome, side_effects_snapshot(application_id, adapters)), error=error,
        duration_seconds=duration_seconds,
    )


def corpus(scenarios: Iterable[Scenario] = SCENARIOS) -> Corpus:
    """The report's cases: each scenario's name, description and expected facts."""
    return Corpus(FACTS, tuple(Case(name=scenario.name, description=scenario.description,
                                    expected=expected_facts(scenario.expected)) for scenario in scenarios))


def pii_from_scenarios(scenarios: Iterable[Scenario]) -> tuple[PiiValue, ...]:
    """Every searchable PII value of the scenarios, labelled ``scenario.field.path`` (each value once)."""
    return pii_values(
        (".".join((scenario.name, *path)), leaf)
        for scenario in scenarios
        for path, leaf in string_leaves(scenario.payload)
        if leaf in set(scenario.searchable_pii())
    )


def _effect_facts(effects: SideEffects) -> Facts:
    return {
        "account_status": effects.account_status,
        "approved_charges": effects.approved_charges,
        "declined_charges": effects.declined_charges,
        "refunded_charges": effects.refunded_charges,
        "outbox_messages": effects.outbox_messages,
        "review_requested": effects.review_requested,
    }


def _codes(errors: Iterable[FieldError]) -> tuple[str, ...]:
    """Field errors as sorted ``field:code`` codes (order-free: engines may report them in any order)."""
    return tuple(sorted(f"{error.field}:{error.code}" for error in errors))


# -- access surface ---------------------------------------------------------------------------------------------

ENGINE_OPERATORS = {Engine.TEMPORAL: "Temporal Cloud", Engine.STEPFUNCTIONS: "AWS", Engine.DURABLE: "AWS"}
_PROCESS_TABLES = tuple(f"-{table.role}" for table in ONBOARDING.tables)
_ALL = tuple(ENGINE_OPERATORS)


def _named(*suffixes: str) -> Callable[[Resource, TemplateSet], bool]:
    return lambda resource, templates: templates.name(resource).endswith(suffixes)


def _starts(prefix: str) -> Callable[[Resource, TemplateSet], bool]:
    return lambda resource, templates: templates.name(resource).startswith(prefix)


def _alias_ends(suffix: str) -> Callable[[Resource, TemplateSet], bool]:
    def select(key: Resource, templates: TemplateSet) -> bool:
        return any(templates.name(alias).endswith(suffix) for alias in templates.resources("AWS::KMS::Alias")
                   if templates.resolve(alias.stack, alias.properties.get("TargetKeyId"))
                   in (templates.ref(key), templates.arn(key)))
    return select


def _used_by(kind: str) -> Callable[[Resource, TemplateSet], bool]:
    return lambda resource, templates: any(user.type == kind for user in templates.referrers(resource))


def _durable(resource: Resource, _templates: TemplateSet) -> bool:
    return "DurableConfig" in resource.properties


def _named_function(resource: Resource, templates: TemplateSet) -> bool:
    # The process's task functions (CDK's own helpers have no name; the durable function is its own architecture).
    return "{" not in templates.name(resource) and not _durable(resource, templates)


def _logs_of_durable(resource: Resource, templates: TemplateSet) -> bool:
    return any(user.type == "AWS::Lambda::Function" and _durable(user, templates)
               for user in templates.referrers(resource))


def _task_logs(resource: Resource, templates: TemplateSet) -> bool:
    return templates.name(resource).startswith("/aws/lambda/") and not _logs_of_durable(resource, templates)


ACCESS_STORES: tuple[StoreSpec, ...] = (
    StoreSpec(store="payloads in the Temporal service", operator="Temporal Cloud", kind=StoreKind.CLIENT_ENVELOPE,
              holds="every workflow input, activity input and result, update and failure: the whole application",
              engines=(Engine.TEMPORAL,), select=_alias_ends("/payload"),
              encryption_context=PAYLOAD_ENCRYPTION_CONTEXT),
    StoreSpec(store="worker log group", kind=StoreKind.LOG_GROUP, engines=(Engine.TEMPORAL,),
              holds="the worker's log lines (codes and ids; the exposure audit searches them)",
              select=_used_by("AWS::ECS::TaskDefinition")),
    StoreSpec(store="worker environment", kind=StoreKind.ECS_TASK_ENVIRONMENT, engines=(Engine.TEMPORAL,),
              holds="configuration only (names of tables, keys and the Temporal namespace)"),
    StoreSpec(store="claim-check objects", kind=StoreKind.S3_OBJECTS, engines=(Engine.STEPFUNCTIONS,),
              holds="the whole application as submitted", select=_named("-claim-check-${AWS::AccountId}-"
                                                                          "${AWS::Region}")),
    StoreSpec(store="execution history", kind=StoreKind.STATE_MACHINE_HISTORY, engines=(Engine.STEPFUNCTIONS,),
              holds="claim references, decisions and codes (the exposure audit proves it holds no PII)"),
    StoreSpec(store="state machine log group", kind=StoreKind.LOG_GROUP, engines=(Engine.STEPFUNCTIONS,),
              holds="execution events without execution data", select=_starts("/aws/vendedlogs/states/")),
    StoreSpec(store="task Lambda log groups", kind=StoreKind.LOG_GROUP, engines=(Engine.STEPFUNCTIONS,),
              holds="the handlers' log lines (codes and ids; the demo searches them)", select=_task_logs),
    StoreSpec(store="task Lambda environment", kind=StoreKind.LAMBDA_ENVIRONMENT, engines=(Engine.STEPFUNCTIONS,),
              holds="configuration only (names of tables, the bucket and keys)", select=_named_function),
    StoreSpec(store="X-Ray traces", kind=StoreKind.XRAY_TRACES, engines=(Engine.STEPFUNCTIONS,),
              holds="timings, resource names and error types of each invocation (no payloads)",
              select=_named_function),
    StoreSpec(store="checkpoints in the durable-execution service", kind=StoreKind.CLIENT_ENVELOPE,
              engines=(Engine.DURABLE,), select=_alias_ends("/checkpoint"),
              holds="every step result, the review's answer and the submission: the whole application",
              encryption_context=CHECKPOINT_ENCRYPTION_CONTEXT),
    StoreSpec(store="durable execution history", kind=StoreKind.DURABLE_EXECUTION_HISTORY,
              engines=(Engine.DURABLE,), select=_durable,
              holds="the checkpoints above as stored (sealed envelopes), operation names, ids and error codes"),
    StoreSpec(store="durable function log group", kind=StoreKind.LOG_GROUP, engines=(Engine.DURABLE,),
              holds="the function's log lines (codes and ids; the demo searches them)", select=_logs_of_durable),
    StoreSpec(store="durable function environment", kind=StoreKind.LAMBDA_ENVIRONMENT, engines=(Engine.DURABLE,),
              holds="configuration only (names of tables and keys)", select=_durable),
    StoreSpec(store="table {name}", kind=StoreKind.DYNAMODB_TABLE, engines=_ALL, per_resource=True,
              holds="the process's side effects: accounts, charges, messages, review requests",
              select=_named(*_PROCESS_TABLES)),
    StoreSpec(store="table {name}", kind=StoreKind.DYNAMODB_TABLE, engines=(Engine.STEPFUNCTIONS,),
              per_resource=True, holds="Powertools idempotency records of the task Lambdas (results of each step)",
              select=lambda resource, templates: not templates.name(resource).endswith(_PROCESS_TABLES)),
)
