"""Least privilege, proven both ways, against the synthesized templates of both egress modes.

Every AWS call that the task Lambdas, the worker and the durable function make while the scenario corpus and the
bad-input corpus run locally is recorded (``local.aws_calls``: botocore event hooks in this process for the handlers
on the local Step Functions runner, and in the worker's and the durable function's own processes through
``sitecustomize``), together with the KMS calls AWS makes on each caller's behalf (``tests/infra/aws_side_calls.py``,
each rule with its AWS documentation) and the state machine's own calls (the functions it invoked, the key use of
every execution). The run also resubmits one application unchanged (the claim check is read back) and once changed
(refused). The durable function runs the real handler on AWS's durable-execution emulator
(``local.durable.runner``), started and reviewed the way ``ops.durable`` does it.

1. Every call is allowed by THAT principal's synthesized identity policy (action, resource, conditions such as
   ``dynamodb:LeadingKeys`` and the payload key's encryption context), not denied by it, allowed and not denied by the
   key policy of the KMS key it uses, and not denied by the claim-check bucket's policy (SSE-KMS under the data key,
   write-once). A missing permission fails naming the principal, the call and the resource.
2. Every granted action of every statement is exercised by some call, or is listed in ``UNEXERCISED`` with its
   reason (and no listed reason is stale); every AWS managed policy attached is listed with its purpose.
3. Removing any single exercised permission (one action from one statement) makes check 1 fail for that principal
   and action: the check has teeth, and no needed permission is granted twice.
"""

from __future__ import annotations

import asyncio
import json
import threading
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any

import pytest

from contract.environment import durable_environment
from contract.onboarding import ONBOARDING, ONBOARDING_FUNCTIONS
from contract.profile import Profile
from infra.onboarding import DURABLE_HANDLER
from infra.synthesis import Synthesis
from local.aws import AwsEmulation, create_key, create_process_tables
from local.aws_calls import DEFAULT_ACCOUNT, AwsCall, CallRecorder, read_call_log, recording_environment
from local.durable.runner import LocalDurableFunctions
from local.onboarding import OnboardingStepFunctions, onboarding_definition
from local.stepfunctions.router import current_function
from local.stepfunctions.runner import SubmissionRefused
from local.temporal import temporal_stack, worker_process
from onboarding.adapters.dynamodb import DynamoReviewQueue
from ops import durable as durable_ops
from ops.starter import start_onboarding
from scenarios import DEMO_REVIEW_TIMEOUT_SECONDS, SCENARIOS, new_application_id
from scenarios.bad_inputs import BAD_INPUTS
from tests.conftest import TemporalServer
from tests.infra.aws_side_calls import (
    DURABLE,
    DURABLE_EXECUTION_ACTIONS,
    MANAGED_POLICIES,
    TASK_FUNCTION,
    UNEXERCISED,
    derived,
    environment_decrypt,
    execution_calls,
)
from tests.support.iam_policies import (
    Principal,
    ResolvedDeployment,
    as_list,
    denied,
    resource_policy_allows,
    statement_applies,
)
from tests.support.temporal import run_scenario
from tests.support.temporal_totals import outcomes

SFN_PREFIX = "iam-sfn"
WORKER_PREFIX = "iam-worker"
DURABLE_PREFIX = "iam-durable"
DECISIONS = {scenario.application_id: scenario.review_decision for scenario in SCENARIOS}
WORKER = "worker"
STATE_MACHINE = "state machine"
# The deployed name, under the run's prefix (infra.principals.Principals.durable_function_name).
DURABLE_FUNCTION = f"{DURABLE_PREFIX}-{ONBOARDING.name}-durable"
StatementId = tuple[str, int]  # (policy logical id, index of the statement)


@dataclass
class Run:
    prefix: str
    calls: list[AwsCall]
    key_arns: dict[str, str]
    refusals: dict[str, str] = field(default_factory=dict)  # what the resubmissions got


# -- the runs ------------------------------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def lambda_run(temporal_aws: AwsEmulation) -> Iterator[Run]:
    """Both corpora through the task Lambdas on the local runner (definition from the synthesized template), every
    call recorded with the function that made it; plus the state machine's invocations and executions."""
    calls: list[AwsCall] = []
    lock = threading.Lock()

    def record(call: AwsCall) -> None:
        with lock:
            calls.append(call)

    recorder = CallRecorder(principal=current_function, sink=record, account=DEFAULT_ACCOUNT)
    recorder.install()
    try:
        with OnboardingStepFunctions(prefix=SFN_PREFIX, definition=onboarding_definition(),
                                     review_timeout_seconds=DEMO_REVIEW_TIMEOUT_SECONDS,
                                     endpoint_url=temporal_aws.endpoint) as sfn:
            usable = [bad.application(new_application_id()) for bad in BAD_INPUTS if bad.application_id_usable]
            sfn.run_onboardings([s.application() for s in SCENARIOS] + usable,
                                reviewer=DECISIONS.get)
            refusals: dict[str, str] = {}
            for bad in BAD_INPUTS:
                if not bad.application_id_usable:
                    with pytest.raises(SubmissionRefused) as refused:
                        sfn.submit(bad.application())
                    refusals[bad.name] = refused.value.error
            first = SCENARIOS[0].application()
            sfn.submit(first)  # identical: the stored submission is read back, the existing execution returned
            changed = {**first, "product": "savings" if first["product"] != "savings" else "checking"}
            with pytest.raises(SubmissionRefused) as conflict:
                sfn.submit(changed)
            refusals["changed resubmission"] = conflict.value.error
            machine = STATE_MACHINE
            for invocation in sfn.router.invocations:
                if not invocation.function.endswith(ONBOARDING.entry_function.replace("_", "-")):
                    arn = sfn.resources.function_arn(invocation.function.removeprefix(f"{SFN_PREFIX}-")
                                                     .replace("-", "_"))
                    calls.append(AwsCall(machine, "lambda:InvokeFunction", (arn,)))
            listed = sfn.stepfunctions.list_executions(stateMachineArn=sfn.state_machine_arn)["executions"]
            key_arns = {"data": sfn.resources.key_arn, "logs": sfn.resources.logs_key_arn,
                        "state-machine": sfn.resources.state_machine_key_arn}
            assert listed  # the marker below stands for every execution of the state machine
            calls.append(AwsCall(machine, "states:Execution", (sfn.state_machine_arn,)))
    finally:
        recorder.uninstall()
    yield Run(SFN_PREFIX, calls, key_arns, refusals)


@pytest.fixture(scope="module")
async def worker_run(temporal_server: TemporalServer, temporal_aws: AwsEmulation,
                     tmp_path_factory: pytest.TempPathFactory) -> Run:
    """Both corpora through ``python -m workers`` as a subprocess that records its own calls."""
    workdir = tmp_path_factory.mktemp("iam-worker")
    stack = temporal_stack(ONBOARDING, temporal_aws, temporal_server.connection, workdir, prefix=WORKER_PREFIX)
    log = workdir / "aws-calls.jsonl"
    env = stack.worker_env(Profile.HARDENED, "iam-check")
    env.update(recording_environment(log, WORKER))
    client = stack.client(Profile.HARDENED)
    with worker_process(env, workdir):
        await asyncio.gather(*(run_scenario(client, scenario, new_application_id(), task_queue="iam-check",
                                            review_timeout_seconds=DEMO_REVIEW_TIMEOUT_SECONDS)
                               for scenario in SCENARIOS))
        handles = await asyncio.gather(*(
            start_onboarding(client, bad.application(application_id=new_application_id()), task_queue="iam-check")
            for bad in BAD_INPUTS if bad.application_id_usable and _transportable(bad.payload)))
        await outcomes({handle.id: handle for handle in handles})
    return Run(WORKER_PREFIX, read_call_log(log), {"payload": stack.resources.key_arn})


@pytest.fixture(scope="module")
def durable_run(temporal_aws: AwsEmulation, tmp_path_factory: pytest.TempPathFactory) -> Run:
    """Both corpora through the durable function's real handler on the durable-execution emulator, in a process of
    its own that records its calls; reviews answered by ``ops.durable.decide`` (the operator's command)."""
    workdir = tmp_path_factory.mktemp("iam-durable")
    tables = create_process_tables(temporal_aws.client("dynamodb"), ONBOARDING, prefix=DURABLE_PREFIX)
    alias = f"alias/{DURABLE_PREFIX}-checkpoint"
    key_arn = create_key(temporal_aws.client("kms"), description="durable checkpoints (IAM check)", alias=alias)
    log = workdir / "aws-calls.jsonl"
    environment = {**temporal_aws.credentials_env,
                   **durable_environment(ONBOARDING, tables=tables, payload_key_id=alias, profile=Profile.HARDENED),
                   **recording_environment(log, DURABLE)}
    keys = durable_ops.client_keys(alias, temporal_aws.client("kms"))
    reviews = DynamoReviewQueue(temporal_aws.resource("dynamodb").Table(tables["reviews"]))
    with LocalDurableFunctions(functions={DURABLE_FUNCTION: DURABLE_HANDLER}, environment=environment,
                               workdir=workdir) as durable:
        def start(name: str, payload: dict[str, Any]) -> str:
            return durable.start(DURABLE_FUNCTION, name=name, payload=payload)

        started: dict[str, str] = {}
        for scenario in SCENARIOS:
            application_id = new_application_id()
            started[application_id] = durable_ops.start_onboarding(
                start, scenario.application(application_id), keys=keys,
                review_timeout_seconds=DEMO_REVIEW_TIMEOUT_SECONDS)
            if scenario.review_decision is not None:
                _await_review(reviews, application_id)
                durable_ops.decide(application_id, scenario.review_decision, reviews=reviews,
                                   lambda_client=durable.client, keys=keys)
        for bad in BAD_INPUTS:
            if bad.application_id_usable and _transportable(bad.payload):
                application_id = new_application_id()
                started[application_id] = durable_ops.start_onboarding(
                    start, bad.application(application_id), keys=keys,
                    review_timeout_seconds=DEMO_REVIEW_TIMEOUT_SECONDS)
        statuses = {durable.wait(arn)["Status"] for arn in started.values()}
    assert statuses == {"SUCCEEDED"}  # every outcome, rejections included, is a result
    return Run(DURABLE_PREFIX, read_call_log(log), {"checkpoint": key_arn})


def _await_review(reviews: DynamoReviewQueue, application_id: str, polls: int = 600) -> None:
    import time

    for _ in range(polls):  # a bound on polls, not a timing assertion
        review = reviews.get(application_id)
        if review is not None and review.task_token is not None:
            return
        time.sleep(0.1)
    raise AssertionError("the durable function never queued its review")


def _transportable(payload: Any) -> bool:
    try:
        json.dumps(payload, ensure_ascii=False).encode("utf-8")
    except UnicodeEncodeError:
        return False
    return True


# -- the check -----------------------------------------------------------------------------------------------------


@dataclass
class Verdict:
    missing: list[str] = field(default_factory=list)
    exercised: set[tuple[str, StatementId, str]] = field(default_factory=set)  # (principal, statement, action)


def principals_of(run: Run, deployment: ResolvedDeployment) -> dict[str, Principal]:
    if run.prefix == WORKER_PREFIX:
        role = deployment.role_named(f"{WORKER_PREFIX}-worker-task")
        return {WORKER: deployment.principal(WORKER, role)}
    if run.prefix == DURABLE_PREFIX:
        return {DURABLE: deployment.principal(DURABLE, deployment.function_role(DURABLE_FUNCTION))}
    found = {STATE_MACHINE: deployment.principal(STATE_MACHINE, deployment.state_machine_role())}
    for function in ONBOARDING_FUNCTIONS:
        name = f"{SFN_PREFIX}-{function.name.replace('_', '-')}"
        found[name] = deployment.principal(function.name, deployment.function_role(name))
    return found


def all_calls(run: Run, deployment: ResolvedDeployment) -> list[AwsCall]:
    """Recorded calls, the calls AWS makes on their behalf, and the state machine's per-execution key use."""
    bucket_key = run.key_arns.get("data", "")
    result: list[AwsCall] = []
    for call in map(_as_deployed, run.calls):
        if call.action == "states:Execution":  # one marker for the state machine: its executions' key use
            result += execution_calls(call.principal, call.resources[0], deployment)
            continue
        result.append(call)
        result += derived(call, deployment, bucket_key=bucket_key)
    if run.prefix == SFN_PREFIX:
        invoked = {call.principal for call in run.calls if call.principal != STATE_MACHINE}
        for name in invoked:
            arn = f"arn:aws:lambda:us-east-1:{DEFAULT_ACCOUNT}:function:{name}"
            result += environment_decrypt(name, arn, deployment)
    if run.prefix == DURABLE_PREFIX:
        result += environment_decrypt(DURABLE, _durable_function_arn(), deployment)
    return result


def _durable_function_arn() -> str:
    return f"arn:aws:lambda:us-east-1:{DEFAULT_ACCOUNT}:function:{DURABLE_FUNCTION}"


def _as_deployed(call: AwsCall) -> AwsCall:
    """A durable-execution call as AWS authorizes it. The recorder names a Lambda call's resource by its
    ``FunctionName``, which these calls do not carry (they name the execution, and the emulator's execution ARNs are
    ``<uuid>/<uuid>``, not AWS's shape): every execution of the run is one of the one function's, started on
    ``$LATEST``, so its ARN in AWS is ``function:<name>:$LATEST/durable-execution/<execution name>/<id>``."""
    if call.action not in DURABLE_EXECUTION_ACTIONS:
        return call
    execution = f"{_durable_function_arn()}:$LATEST/durable-execution/recorded/recorded"
    return AwsCall(call.principal, call.action, (execution,), call.key_id, call.context, call.error)


def check(run: Run, deployment: ResolvedDeployment,
          identity: dict[str, list[tuple[StatementId, dict[str, Any]]]] | None = None) -> Verdict:
    principals = principals_of(run, deployment)
    statements = identity if identity is not None else identity_of(principals, deployment)
    verdict = Verdict()
    for call in all_calls(run, deployment):
        principal = principals[call.principal]
        for resource in call.resources or ("*",):
            context = _context(call, resource, principal, deployment)
            allowing = [(sid, action) for sid, statement in statements[call.principal]
                        if statement["Effect"] == "Allow" and statement_applies(statement, call.action, resource,
                                                                               context)
                        for action in as_list(statement["Action"]) if action.lower() == call.action.lower()]
            where = f"{principal.name}: {call.action} on {resource}"
            if not allowing:
                verdict.missing.append(f"{where} is not allowed by its policy")
            verdict.exercised.update((call.principal, sid, action) for sid, action in allowing)
            identity_denies = denied([s for _, s in statements[call.principal]], call.action, resource, context,
                                     principal_arn=principal.role_arn, account=deployment.account)
            if identity_denies:
                verdict.missing.append(f"{where} is denied by its policy")
            if call.action.startswith("kms:"):
                key_policy = deployment.key_policy(resource)
                if not resource_policy_allows(key_policy, call.action, context, principal_arn=principal.role_arn,
                                              account=deployment.account):
                    verdict.missing.append(f"{where} is not allowed by the key's policy")
                if denied(key_policy, call.action, resource, context, principal_arn=principal.role_arn,
                          account=deployment.account):
                    verdict.missing.append(f"{where} is denied by the key's policy")
            if call.action.startswith("s3:") and "/" in resource.removeprefix("arn:aws:s3:::"):
                bucket = resource.removeprefix("arn:aws:s3:::").split("/", 1)[0]
                if denied(deployment.bucket_policy(bucket), call.action, resource, context,
                          principal_arn=principal.role_arn, account=deployment.account):
                    verdict.missing.append(f"{where} is denied by the bucket's policy")
    return verdict


def identity_of(principals: dict[str, Principal],
                deployment: ResolvedDeployment) -> dict[str, list[tuple[StatementId, dict[str, Any]]]]:
    result: dict[str, list[tuple[StatementId, dict[str, Any]]]] = {}
    for name, principal in principals.items():
        result[name] = [((policy, index), statement) for index, (policy, statement)
                        in enumerate(deployment.identity_statements(principal))]
    return result


def _context(call: AwsCall, resource: str, principal: Principal, deployment: ResolvedDeployment) -> dict[str, Any]:
    context: dict[str, Any] = {"aws:PrincipalArn": principal.role_arn, "aws:PrincipalIsAWSService": "false",
                               "aws:PrincipalAccount": deployment.account, "aws:SecureTransport": "true",
                               "s3:TlsVersion": 1.3}
    context.update({key: value for key, value in call.context.items() if key != "dynamodb:item"})
    if call.action.startswith("dynamodb:"):
        partition_key = deployment.table_partition_key(resource)
        item = call.context.get("dynamodb:item", {})
        context["dynamodb:LeadingKeys"] = [str(item[partition_key])] if partition_key in item else ["<unknown>"]
    return context


def deployment_for(synthesis: Synthesis, run: Run) -> ResolvedDeployment:
    return ResolvedDeployment(synthesis=synthesis, prefix=run.prefix, account=DEFAULT_ACCOUNT, key_arns=run.key_arns)


def unexplained_grants(run: Run, deployment: ResolvedDeployment, verdict: Verdict,
                       used: set[tuple[str, str]]) -> list[str]:
    principals = principals_of(run, deployment)
    problems: list[str] = []
    for name, principal in principals.items():
        kind = name if name in (WORKER, STATE_MACHINE, DURABLE) else TASK_FUNCTION
        for sid, statement in identity_of(principals, deployment)[name]:
            if statement["Effect"] != "Allow":
                continue
            for action in as_list(statement["Action"]):
                if (name, sid, action) in verdict.exercised:
                    continue
                reason = (kind, action)
                if reason in UNEXERCISED:
                    used.add(reason)
                else:
                    problems.append(f"{principal.name}: {action} on {statement['Resource']} is granted but no run "
                                    "uses it and no reason is listed")
        for policy in deployment.managed_policies(principal):
            if policy not in MANAGED_POLICIES:
                problems.append(f"{principal.name}: managed policy {policy} has no stated purpose")
    return problems


# -- the tests -----------------------------------------------------------------------------------------------------


def test_the_runs_exercised_every_principal(lambda_run: Run, worker_run: Run, durable_run: Run) -> None:
    principals = {call.principal for call in lambda_run.calls}
    assert principals == {f"{SFN_PREFIX}-{f.name.replace('_', '-')}" for f in ONBOARDING_FUNCTIONS} | {STATE_MACHINE}
    assert {call.principal for call in worker_run.calls} == {WORKER}
    assert {call.principal for call in durable_run.calls} == {DURABLE}
    assert "lambda:CheckpointDurableExecution" in {call.action for call in durable_run.calls}
    assert lambda_run.refusals["changed resubmission"] == "ApplicationConflict"
    assert {error for name, error in lambda_run.refusals.items() if name != "changed resubmission"} \
        == {ONBOARDING.invalid_reason}


def test_every_call_is_allowed_by_the_callers_policy_and_the_keys(syntheses: dict[str, Synthesis], lambda_run: Run,
                                                                 worker_run: Run, durable_run: Run) -> None:
    # Both egress modes' templates against the same runs (not the parametrized fixture: it would run them twice).
    for mode, synthesis in syntheses.items():
        missing = [problem for run in (lambda_run, worker_run)
                   for problem in check(run, deployment_for(synthesis, run)).missing]
        assert missing == [], mode


def test_every_grant_is_exercised_or_has_a_reason(syntheses: dict[str, Synthesis], lambda_run: Run,
                                                  worker_run: Run, durable_run: Run) -> None:
    for mode, synthesis in syntheses.items():
        used: set[tuple[str, str]] = set()
        problems: list[str] = []
        for run in (lambda_run, worker_run, durable_run):
            deployment = deployment_for(synthesis, run)
            problems += unexplained_grants(run, deployment, check(run, deployment), used)
        assert problems == [], mode
        assert sorted(set(UNEXERCISED) - used) == [], f"{mode}: reasons for grants exercised or no longer granted"


def test_removing_any_exercised_permission_fails_the_check(syntheses: dict[str, Synthesis], lambda_run: Run,
                                                           worker_run: Run, durable_run: Run) -> None:
    tried = 0
    for synthesis in syntheses.values():
        for run in (lambda_run, worker_run, durable_run):
            deployment = deployment_for(synthesis, run)
            identity = identity_of(principals_of(run, deployment), deployment)
            for principal, sid, action in sorted(check(run, deployment, identity).exercised):
                reduced = {name: [(s, _without(statement, action) if (name, s) == (principal, sid) else statement)
                                  for s, statement in statements] for name, statements in identity.items()}
                missing = check(run, deployment, reduced).missing
                name = principals_of(run, deployment)[principal].name
                assert any(problem.startswith(f"{name}: {action} on ") for problem in missing), \
                    (principal, sid, action)
                tried += 1
    assert tried > 20


def _without(statement: dict[str, Any], action: str) -> dict[str, Any]:
    actions = [a for a in as_list(statement["Action"]) if a != action]
    return {**statement, "Action": actions} if actions else {**statement, "Effect": "Removed"}
