"""Compose the five stacks of one deployment from a validated configuration and the process's sources.

Generic over the process: what is process-specific (the task functions, their access, the side-effect tables, the
definition, the durable function's handler) comes from :class:`Sources`; ``infra.onboarding`` builds onboarding's.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from aws_cdk import App, Environment, Stack, Tags
from aws_cdk import aws_lambda as lambda_

from contract.definition import read_definition
from contract.process import ProcessDescription
from contract.registry import TaskFunction
from infra.bundle import require_bundle, require_durable_bundle, require_worker_context
from infra.compliance.acknowledgement import Acknowledgement
from infra.config import BlueprintConfig
from infra.principals import Principals
from infra.stacks.durable import DurableDependencies, DurableStack
from infra.stacks.foundation import FoundationStack
from infra.stacks.network import NetworkStack
from infra.stacks.step_functions import StepFunctionsDependencies, StepFunctionsStack
from infra.stacks.workers import WorkerDependencies, WorkersStack


@dataclass(frozen=True, kw_only=True)
class Blueprint:
    foundation: FoundationStack
    network: NetworkStack
    workers: WorkersStack
    step_functions: StepFunctionsStack
    durable: DurableStack

    @property
    def stacks(self) -> tuple[Stack, ...]:
        return (self.foundation, self.network, self.workers, self.step_functions, self.durable)

    def acknowledgements(self) -> dict[str, list[Acknowledgement]]:
        return {
            "foundation": self.foundation.acknowledgements,
            "network": self.network.acknowledgements,
            "workers": self.workers.acknowledgements,
            "step_functions": self.step_functions.acknowledgements,
            "durable": self.durable.acknowledgements,
        }


@dataclass(frozen=True, kw_only=True)
class Sources:
    """What the stacks deploy for one process: its description and task functions, the worker image context,
    the ASL file, the built Lambda bundle, and the durable function's bundle and handler (``module.function``)."""

    process: ProcessDescription
    functions: tuple[TaskFunction, ...]
    definition: Path
    lambda_bundle: Path
    worker_context: Path
    durable_bundle: Path
    durable_handler: str


def build_blueprint(app: App, *, config: BlueprintConfig, sources: Sources, env: Environment | None) -> Blueprint:
    name = config.resource_name
    process = sources.process
    principals = Principals.of(config, process, sources.functions)
    foundation = FoundationStack(app, "Foundation", stack_name=name("foundation"), env=env, config=config,
                                 tables=process.tables, principals=principals,
                                 description="Keys, tables, claim-check bucket and Temporal secret (stateful)")
    network = NetworkStack(app, "Network", stack_name=name("network"), env=env, config=config,
                           logs_key=foundation.keys.logs,
                           description=f"VPC with {config.egress_mode} egress, flow logs, endpoints")
    subnets = network.network.private_subnets
    workers = WorkersStack(
        app, "Workers", stack_name=name("workers"), env=env, config=config,
        image_context=require_worker_context(sources.worker_context),
        process=process, principals=principals,
        description="Temporal workers on ECS Fargate (no ingress, no load balancer)",
        deps=WorkerDependencies(
            vpc=network.network.vpc, subnets=subnets,
            temporal_endpoint_security_group=network.endpoints.temporal_security_group if network.endpoints else None,
            payload_key=foundation.keys.payload, logs_key=foundation.keys.logs,
            tables=dict(foundation.tables.by_role), temporal_secret=foundation.temporal_secret.secret,
            egress=network.egress,
        ),
    )
    step_functions = StepFunctionsStack(
        app, "StepFunctions", stack_name=name("stepfunctions"), env=env, config=config,
        description="Step Functions state machine and its task Lambdas",
        process=process, functions=sources.functions, definition=read_definition(sources.definition),
        principals=principals,
        lambda_code=lambda_.Code.from_asset(str(require_bundle(sources.lambda_bundle))),
        deps=StepFunctionsDependencies(
            vpc=network.network.vpc, subnets=subnets, logs_key=foundation.keys.logs, data_key=foundation.keys.data,
            state_machine_key=foundation.keys.state_machine, tables=dict(foundation.tables.by_role),
            idempotency_table=foundation.tables.idempotency, egress=network.egress,
        ),
    )
    durable = DurableStack(
        app, "Durable", stack_name=name("durable"), env=env, config=config,
        description="Lambda durable function (private subnets, checkpoints sealed in the function)",
        process=process, handler=sources.durable_handler, principals=principals,
        code=lambda_.Code.from_asset(str(require_durable_bundle(sources.durable_bundle))),
        deps=DurableDependencies(
            vpc=network.network.vpc, subnets=subnets, logs_key=foundation.keys.logs, data_key=foundation.keys.data,
            checkpoint_key=foundation.keys.checkpoint, execution_data_key=foundation.keys.durable_execution,
            tables=dict(foundation.tables.by_role), egress=network.egress,
        ),
    )
    foundation.keys.seal()  # every construct has used the keys: render exactly the policies that name their users
    for stack in (foundation, network, workers, step_functions, durable):
        # Tags carry only configuration names: never an application id or anything derived from PII.
        Tags.of(stack).add("blueprint", "durable-orchestration")
        Tags.of(stack).add("environment", config.environment_name)
    return Blueprint(foundation=foundation, network=network, workers=workers, step_functions=step_functions,
                     durable=durable)
