"""The access surface of the blueprint as it deploys: the synthesized templates (cdk.json context, the demo's
synthesis), every store found, every reader explained by the process description, and a grant added to a real
template showing up as a new reader. Also the cost figures the templates fix."""

from __future__ import annotations

import copy
from typing import Any

import pytest

from comparison.access.model import AccessSurface, PrincipalKind, StoreAccess
from comparison.access.surface import access_surface, accounts_named
from comparison.access.templates import TemplateSet
from comparison.cost.assumptions import Origin, load_assumptions
from comparison.cost.deployment import deployment_values, report_assumptions
from comparison.models import Engine
from comparison.onboarding import ACCESS_STORES, ENGINE_OPERATORS
from contract.onboarding import ONBOARDING, ONBOARDING_FUNCTIONS
from infra.config import BlueprintConfig
from infra.synthesis import project_context
from infra.task_access import access_for, durable_access
from local.onboarding import onboarding_synthesis


@pytest.fixture(scope="module")
def synthesized() -> tuple[dict[str, dict[str, Any]], BlueprintConfig]:
    synthesis = onboarding_synthesis()  # made once per process (the Step Functions tests share it)
    return synthesis.templates, synthesis.config


def surface(templates: dict[str, dict[str, Any]]) -> AccessSurface:
    """As the demo evaluates them: the roles cdk.json names (an operator role, say) are in the deployment's account."""
    return access_surface(TemplateSet(templates), ACCESS_STORES, ENGINE_OPERATORS, source="synthesized templates",
                          own_accounts=accounts_named(project_context()))


def lambda_label(config: BlueprintConfig, function: str) -> str:
    return f"Lambda {config.environment_name}-{function.replace('_', '-')}"


def table_roles(access: Any) -> set[str]:
    """The tables a task function's IAM reaches, whichever way the access names them (``tables``, or ``inserts`` and
    ``updates``)."""
    return {*getattr(access, "tables", ()), *getattr(access, "inserts", ()), *getattr(access, "updates", ())}


def role_readers(item: StoreAccess) -> set[str]:
    return {reader.principal for reader in item.readers if reader.kind is PrincipalKind.ROLE}


def by_name(result: AccessSurface, engine: Engine) -> dict[str, StoreAccess]:
    return {item.store: item for item in result.engines[engine].stores}


def test_every_store_is_found_and_has_a_reader(synthesized: tuple[dict[str, dict[str, Any]], BlueprintConfig]
                                               ) -> None:
    templates, config = synthesized
    result = surface(templates)
    tables = {f"table {config.environment_name}-{table.role}" for table in ONBOARDING.tables}
    temporal = by_name(result, Engine.TEMPORAL)
    assert set(temporal) == {"payloads in the Temporal service", "worker log group", "worker environment", *tables}
    sfn = by_name(result, Engine.STEPFUNCTIONS)
    assert set(sfn) == {"claim-check objects", "execution history", "state machine log group", "task Lambda log groups",
                        "task Lambda environment", "X-Ray traces", *tables,
                        f"table {config.environment_name}-idempotency"}
    assert len(sfn["task Lambda log groups"].resources) == len(ONBOARDING_FUNCTIONS)
    assert len(sfn["task Lambda environment"].resources) == len(ONBOARDING_FUNCTIONS)
    assert all(item.readers for items in (temporal, sfn) for item in items.values())


def test_the_temporal_service_holds_no_key(synthesized: tuple[dict[str, dict[str, Any]], BlueprintConfig]) -> None:
    templates, _ = synthesized
    result = surface(templates)
    payloads = by_name(result, Engine.TEMPORAL)["payloads in the Temporal service"]
    assert payloads.operator.holds_key is False and result.engines[Engine.TEMPORAL].operator_holds_key is False
    assert payloads.key == "client-side envelope under customer managed key alias/blueprint-dev/payload"
    # Only the worker's task role among the templates' roles may decrypt a payload; no task Lambda can.
    assert role_readers(payloads) == {"ECS task WorkersTaskTaskDefinition (task role)"}
    assert all(item.operator.holds_key for item in result.engines[Engine.STEPFUNCTIONS].stores)


def test_readers_are_those_the_process_description_grants(
    synthesized: tuple[dict[str, dict[str, Any]], BlueprintConfig]
) -> None:
    templates, config = synthesized
    sfn = by_name(surface(templates), Engine.STEPFUNCTIONS)
    # Every function that reads the submission can; none without claim-check access can (the entry function, which
    # stores the submission, may read it back to compare a resubmission).
    reading = {lambda_label(config, f.name) for f in ONBOARDING_FUNCTIONS
               if access_for(ONBOARDING, f.name).claim_check == "read"}
    any_access = {lambda_label(config, f.name) for f in ONBOARDING_FUNCTIONS
                  if access_for(ONBOARDING, f.name).claim_check != "none"}
    assert reading <= role_readers(sfn["claim-check objects"]) <= any_access
    worker = "ECS task WorkersTaskTaskDefinition (task role)"
    for table in ONBOARDING.tables:
        # A write that can return the stored item (a conditional put or update) reads it as well as a GetItem.
        touching = {lambda_label(config, f.name) for f in ONBOARDING_FUNCTIONS
                    if table.role in table_roles(access_for(ONBOARDING, f.name))}
        # The tables are the process's, shared by every engine: the durable function reads those its steps touch.
        durable = {lambda_label(config, "onboarding_durable")} if table.role in table_roles(
            durable_access(ONBOARDING)) else set()
        assert role_readers(sfn[f"table {config.environment_name}-{table.role}"]) == {*touching, worker, *durable}, \
            table.role
    # No role of the templates reads the execution history or the logs through the APIs: only principals defined
    # elsewhere (the account's administrators, an operator role), and only if their own policies allow it.
    for name in ("execution history", "state machine log group", "task Lambda log groups"):
        assert sfn[name].readers and not role_readers(sfn[name]), name
        assert {r.kind for r in sfn[name].readers} <= {PrincipalKind.ACCOUNT, PrincipalKind.EXTERNAL}, name


def _with_claim_check_read(templates: dict[str, dict[str, Any]], config: BlueprintConfig, stack: str,
                           policy_id: str) -> dict[str, dict[str, Any]]:
    """The templates with what a broadened IAM policy would add: ``s3:GetObject`` on the claim-check objects and
    ``kms:Decrypt`` on any key, to the IAM policy whose logical id starts with ``policy_id``."""
    changed = copy.deepcopy(templates)
    [policy] = [resource for logical_id, resource in changed[stack]["Resources"].items()
                if resource["Type"] == "AWS::IAM::Policy" and logical_id.startswith(policy_id)]
    policy["Properties"]["PolicyDocument"]["Statement"] += [
        {"Effect": "Allow", "Action": "s3:GetObject", "Resource": {"Fn::Join": ["", [
            "arn:", {"Ref": "AWS::Partition"}, f":s3:::{config.environment_name}-claim-check-",
            {"Ref": "AWS::AccountId"}, "-", {"Ref": "AWS::Region"}, "/*"]]}},
        {"Effect": "Allow", "Action": "kms:Decrypt", "Resource": "*"},
    ]
    return changed


def test_a_grant_added_to_the_synthesized_template_adds_a_reader(
    synthesized: tuple[dict[str, dict[str, Any]], BlueprintConfig]
) -> None:
    """close_account never reads the submission, so its role cannot read the claim checks; it is one of the data
    key's users (it updates the ledger), so broadening its IAM makes it a reader."""
    templates, config = synthesized
    before = by_name(surface(templates), Engine.STEPFUNCTIONS)["claim-check objects"]
    assert lambda_label(config, "close_account") not in role_readers(before)
    changed = _with_claim_check_read(templates, config, "StepFunctions", "TasksCloseAccountRoleDefaultPolicy")
    after = by_name(surface(changed), Engine.STEPFUNCTIONS)["claim-check objects"]
    assert role_readers(after) - role_readers(before) == {lambda_label(config, "close_account")}


def test_an_iam_grant_does_not_make_a_reader_of_a_principal_the_key_refuses(
    synthesized: tuple[dict[str, dict[str, Any]], BlueprintConfig]
) -> None:
    """The state machine's role is not among the data key's users: the key policy denies it decryption, so the same
    broadened IAM policy adds no reader (the key decides, not IAM)."""
    templates, config = synthesized
    before = by_name(surface(templates), Engine.STEPFUNCTIONS)["claim-check objects"]
    changed = _with_claim_check_read(templates, config, "StepFunctions", "OnboardingRoleDefaultPolicy")
    after = by_name(surface(changed), Engine.STEPFUNCTIONS)["claim-check objects"]
    assert role_readers(after) == role_readers(before)


def test_the_templates_fix_the_deployment_figures_of_the_cost_model(
    synthesized: tuple[dict[str, dict[str, Any]], BlueprintConfig]
) -> None:
    templates, config = synthesized
    values = deployment_values(templates)
    assert values["temporal.worker_vcpu"] == {"value": config.worker_cpu / 1024}
    assert values["temporal.worker_memory_gb"] == {"value": config.worker_memory_mib / 1024}
    assert values["temporal.worker_tasks"] == {"low": config.worker_desired_count,
                                               "typical": config.worker_desired_count,
                                               "high": config.worker_max_count}
    assert values["temporal.network.azs"] == {"value": config.max_azs}
    if config.egress_mode == "nat":
        assert values["temporal.network.nat_gateways"] == {"value": config.nat_gateways}
    resolved = report_assumptions(templates, templates_source="the synthesized templates").by_name()
    assert resolved["stepfunctions.lambda_memory_mb"].origin is Origin.DEPLOYMENT
    assert resolved["stepfunctions.lambda_memory_mb"].typical == values["stepfunctions.lambda_memory_mb"]["value"]
    assert resolved["stepfunctions.lambda_billed_ms_per_invocation"] == \
        load_assumptions().by_name()["stepfunctions.lambda_billed_ms_per_invocation"]  # no template states it
