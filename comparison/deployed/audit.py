"""``python -m comparison.deployed.audit`` (``make audit``): the exposure audit against a deployed environment.

It starts its own canary executions there (hardened, fresh application ids, the scenarios of
:data:`comparison.deployed.config.CANARY_SCENARIOS`), on the three architectures at once:

- Temporal: through the configured Temporal service with the workers' payload key (the submission is encrypted
  here, as the starter does), review decisions as the ``submit_review`` update;
- Step Functions: through the intake function (claim check), review decisions through the review queue;
- Lambda durable functions: ``lambda:Invoke`` of the function's alias with ``DurableExecutionName`` (the submission
  sealed here under the checkpoint key, as ``ops.durable`` does), review decisions as
  ``SendDurableExecutionCallbackSuccess`` (sealed too);

then reads what each orchestrator stores, as its operator can (Temporal history without the codec, Step Functions
history, description and the state machine's log group, the durable executions' history with execution data and
their description), and writes the same report as the demo
(``comparison.{json,md,html}``, default ``reports/``) with parity and the cost model on the canaries: usage counted
in their histories, the Lambda duration and memory read from the task functions' REPORT lines
(:mod:`comparison.deployed.lambda_billing`), the other figures from the dated assumptions. With ``make synth``'s
``cdk.out/<egress mode>`` present, the access surface and the deployment's own figures come from those templates.
Configuration: :mod:`comparison.deployed.config`. Exit status: 0 clean, 1 a finding or a failed canary,
2 a configuration error.

Permissions needed: invoke the intake function; ``states:DescribeExecution``, ``GetExecutionHistory``,
``ListTagsForResource``, ``SendTaskSuccess``/``SendTaskFailure`` on the state machine; ``logs:FilterLogEvents`` on its
log group and on the task functions' log groups; read the four tables and write review decisions;
``kms:GenerateDataKey``/``Decrypt`` on the payload key; read the Temporal credentials secret; ``lambda:InvokeFunction``
on the durable function's alias, ``lambda:GetDurableExecution``, ``GetDurableExecutionHistory`` and
``SendDurableExecutionCallbackSuccess`` on its executions; ``kms:GenerateDataKey``/``Decrypt`` on the checkpoint key
(with its encryption context).
"""

from __future__ import annotations

import argparse
import asyncio
import os
import sys
import time
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

import boto3
from botocore.exceptions import BotoCoreError, ClientError

from comparison.access.surface import access_surface, accounts_named
from comparison.access.templates import TemplateSet, load_assembly
from comparison.audit.evidence import StepFunctionsEvidence
from comparison.cost.assumptions import AssumptionError
from comparison.cost.deployment import report_assumptions
from comparison.cost.usage import count_lambda_usage
from comparison.deployed.config import AuditConfigError, DeployedTarget, load_target, read_context
from comparison.deployed.lambda_billing import read_billing, task_log_groups
from comparison.engines.durable import DurableTarget, collect_durable_evidence, run_on_durable
from comparison.engines.runs import Planned, ProgressPrinter, in_background, plan, scenario_run
from comparison.engines.stepfunctions import StepFunctionsTarget, collect_stepfunctions_evidence, run_on_stepfunctions
from comparison.engines.temporal import collect_temporal_evidence, raw_client, run_on_temporal
from comparison.models import Engine
from comparison.onboarding import ACCESS_STORES, ENGINE_OPERATORS, corpus, pii_from_scenarios
from comparison.report.assemble import COMPLIANCE_REPORT, ProfileRun, assemble, publish, verdict
from comparison.report.write import ComparisonReport
from contract.onboarding import ONBOARDING, ONBOARDING_FUNCTIONS
from contract.profile import Profile
from local.processes import stop_on_signals
from onboarding.adapters.dynamodb import TableNames, dynamodb_adapters
from onboarding.ports import Adapters
from ops.durable import client_keys, invoke_starter
from workers.client import build_codec, connect, read_credentials
from workers.settings import SettingsError


class AuditConnectionError(RuntimeError):
    """The deployment is configured but cannot be reached."""


def resolve(environ: Mapping[str, str], context_file: Path) -> DeployedTarget:
    """The deployment from ``cdk.json`` and the environment; STS and Secrets Manager fill the derived names."""

    def account_of(region: str) -> str:
        try:
            account: str = boto3.client("sts", region_name=region).get_caller_identity()["Account"]
        except (BotoCoreError, ClientError) as error:
            raise AuditConfigError(f"AWS credentials: GetCallerIdentity failed ({type(error).__name__}); set "
                                   "credentials for the deployment's account, or AUDIT_STATE_MACHINE_ARN") from None
        return account

    def secret_arn_of(name: str) -> str:
        region = environ.get("AWS_REGION") or environ.get("AWS_DEFAULT_REGION")
        try:
            arn: str = boto3.client("secretsmanager", region_name=region).describe_secret(SecretId=name)["ARN"]
        except (BotoCoreError, ClientError) as error:
            raise AuditConfigError(f"TEMPORAL_SECRET_ARN is not set and the secret named by cdk.json context "
                                   f"temporal_secret_name could not be described ({type(error).__name__})") from None
        return arn

    return load_target(environ, read_context(context_file), account_of=account_of, secret_arn_of=secret_arn_of)


async def _temporal(target: DeployedTarget, planned: Sequence[Planned], adapters: Adapters,
                    progress: ProgressPrinter) -> ProfileRun:
    settings = target.temporal
    credentials = read_credentials(settings, secrets_client=boto3.client("secretsmanager", region_name=target.region))
    codec = build_codec(settings, kms_client=boto3.client("kms", region_name=target.region))
    try:
        client = await connect(settings, codec=codec, credentials=credentials)
    except RuntimeError as error:  # transport errors (DNS, TLS, auth) carry no payload data
        raise AuditConnectionError(f"could not connect to Temporal at {settings.address}: {error}") from None
    finished = await run_on_temporal(client, planned, task_queue=settings.queue,
                                     review_timeout_seconds=target.review_timeout_seconds,
                                     label="temporal/hardened", progress=progress)
    return ProfileRun(engine=Engine.TEMPORAL, profile=Profile.HARDENED,
                      runs=[scenario_run(Engine.TEMPORAL, Profile.HARDENED, item, adapters) for item in finished],
                      evidence=await collect_temporal_evidence(raw_client(client), finished))


def _stepfunctions(target: DeployedTarget, planned: Sequence[Planned], adapters: Adapters,
                   progress: ProgressPrinter) -> ProfileRun:
    # boto3's default session: the local runner (tests) routes Lambda calls on it to the in-process handlers.
    sfn_target = StepFunctionsTarget(
        lambda_client=boto3.client("lambda", region_name=target.region),
        stepfunctions=boto3.client("stepfunctions", region_name=target.region),
        reviews_table=boto3.resource("dynamodb", region_name=target.region).Table(target.tables["reviews"]),
        intake_function=target.intake_function, state_machine_arn=target.state_machine_arn,
        logs=boto3.client("logs", region_name=target.region), log_group=target.log_group,
    )
    finished = run_on_stepfunctions(sfn_target, planned, label="stepfunctions/hardened", progress=progress)
    return ProfileRun(engine=Engine.STEPFUNCTIONS, profile=Profile.HARDENED,
                      runs=[scenario_run(Engine.STEPFUNCTIONS, Profile.HARDENED, item, adapters) for item in finished],
                      evidence=collect_stepfunctions_evidence(sfn_target, finished))


def _durable(target: DeployedTarget, planned: Sequence[Planned], adapters: Adapters,
             progress: ProgressPrinter) -> ProfileRun:
    # boto3's default session: a local stand-in answers the durable Invoke on it (LocalDurableFunctions.route_invoke).
    lambda_client = boto3.client("lambda", region_name=target.region)
    durable_target = DurableTarget(
        start=invoke_starter(lambda_client, target.durable_function), lambda_client=lambda_client,
        reviews_table=boto3.resource("dynamodb", region_name=target.region).Table(target.tables["reviews"]),
        keys=client_keys(target.checkpoint_key_id, boto3.client("kms", region_name=target.region)),
        function_name=target.durable_function,
    )
    finished = run_on_durable(durable_target, planned, label="durable/hardened", progress=progress,
                              review_timeout_seconds=target.review_timeout_seconds)
    return ProfileRun(engine=Engine.DURABLE, profile=Profile.HARDENED,
                      runs=[scenario_run(Engine.DURABLE, Profile.HARDENED, item, adapters) for item in finished],
                      evidence=collect_durable_evidence(durable_target, finished))


def run_audit(target: DeployedTarget, out: Path, progress: ProgressPrinter,
              compliance: Path = COMPLIANCE_REPORT, *, context: Mapping[str, Any] | None = None,
              cost_assumptions: Path | None = None, assembly: Path | None = None) -> ComparisonReport:
    """The canaries, then the report. ``context``: the cdk.json context (cost overrides); ``assembly``: a cloud
    assembly of the deployment (``cdk.out/<egress mode>``) for the access surface and the deployment's figures."""
    values = pii_from_scenarios(target.scenarios)
    since_ms = int(time.time() * 1000) - 60_000  # a minute of margin for clock skew with CloudWatch Logs
    adapters = dynamodb_adapters(TableNames(**target.tables),
                                 resource=boto3.resource("dynamodb", region_name=target.region))
    progress(f"canaries: {len(target.scenarios)} scenarios on each engine ({target.environment_name}, "
             f"{target.region})")
    temporal_plan, sfn_plan, durable_plan = plan(target.scenarios), plan(target.scenarios), plan(target.scenarios)
    sfn, sfn_thread = in_background(lambda: _stepfunctions(target, sfn_plan, adapters, progress),
                                    name="stepfunctions")
    durable, durable_thread = in_background(lambda: _durable(target, durable_plan, adapters, progress),
                                            name="durable")
    try:
        runs = [asyncio.run(_temporal(target, temporal_plan, adapters, progress)), sfn.result(), durable.result()]
    finally:
        sfn_thread.join(timeout=5)
        durable_thread.join(timeout=5)
    progress("reading what the task Lambdas billed (REPORT lines)")
    billing = read_billing(boto3.client("logs", region_name=target.region),
                           task_log_groups(target.environment_name, ONBOARDING_FUNCTIONS,
                                           entry=ONBOARDING.entry_function),
                           since_ms=since_ms, expected=_task_invocations(runs),
                           wait_seconds=target.report_wait_seconds)
    templates = load_assembly(assembly) if assembly is not None and (assembly / "manifest.json").is_file() else None
    source = f"templates of {assembly}" if templates is not None else ""
    progress("auditing what each orchestrator stores, pricing the counted usage, deciding parity")
    report = assemble(
        runs, values, corpus=corpus(target.scenarios), compliance_path=compliance,
        assumptions=report_assumptions(templates, templates_source=source, context=context,
                                       overrides_file=cost_assumptions, measured=billing.assumptions),
        access=(access_surface(TemplateSet(templates), ACCESS_STORES, ENGINE_OPERATORS, source=source,
                               # the account the audit runs in, and those cdk.json names its roles in
                               own_accounts=accounts_named(context or {}) | {target.state_machine_arn.split(":")[4]})
                if templates is not None else None),
        notes=[
            f"Deployed environment {target.environment_name} ({target.region}): canary executions of the hardened "
            "profile started by `make audit` under fresh application ids.",
            "Step Functions `logs` channel: the state machine's log group, filtered to each canary's execution ARN.",
            "Lambda durable functions: the Lambda duration and memory of the durable function stay assumed (its "
            "REPORT lines are not read).",
            billing.note,
            f"Access surface and the deployment's figures: from {source}." if templates is not None else
            f"No access surface: no cloud assembly at {assembly} (`make synth` writes cdk.out/<egress mode>).",
        ])
    paths = publish(report, out, values)
    progress(f"wrote {paths.json}, {paths.markdown} and {paths.html}")
    return report


def _task_invocations(runs: Sequence[ProfileRun]) -> int:
    return sum(count_lambda_usage(evidence.history).invocations for run in runs for evidence in run.evidence or ()
               if isinstance(evidence, StepFunctionsEvidence))


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m comparison.deployed.audit", description=__doc__.splitlines()[0])
    parser.add_argument("--out", type=Path, default=Path("reports"))
    parser.add_argument("--cdk-json", type=Path, default=Path("cdk.json"), help="the deployment's cdk.json")
    parser.add_argument("--assembly", type=Path, default=None,
                        help="the deployment's cloud assembly (default: cdk.out/<egress_mode of the cdk.json>)")
    parser.add_argument("--cost-assumptions", type=Path, default=None, metavar="FILE",
                        help="JSON object of cost assumptions to override (see comparison/cost/assumptions.json)")
    args = parser.parse_args(argv)
    progress = ProgressPrinter(sys.stdout)
    try:
        target = resolve(os.environ, args.cdk_json)
    except AuditConfigError as error:
        print(f"configuration error: {error}", file=sys.stderr)
        return 2
    context = read_context(args.cdk_json)
    assembly = args.assembly or args.cdk_json.parent / "cdk.out" / str(context.get("egress_mode", "nat"))
    try:
        with stop_on_signals():
            report = run_audit(target, args.out, progress, context=context, cost_assumptions=args.cost_assumptions,
                               assembly=assembly)
    except (SettingsError, AssumptionError) as error:  # e.g. the Temporal secret cannot be read
        print(f"configuration error: {error}", file=sys.stderr)
        return 2
    except AuditConnectionError as error:
        print(f"error: {error}", file=sys.stderr)
        return 1
    except KeyboardInterrupt:
        progress("interrupted")
        return 130
    problems = verdict(report)
    for problem in problems:
        progress(f"FAILED: {problem}")
    progress("clean: no plaintext PII in what any orchestrator stores" if not problems else "findings above")
    return 1 if problems else 0


if __name__ == "__main__":
    sys.exit(main())
