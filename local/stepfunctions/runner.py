"""Run a process's executions on moto's ASL interpreter with the real handlers, and collect what the Step Functions
service would hold: ``DescribeExecution`` and every ``GetExecutionHistory`` event.

    with LocalStepFunctions(process=..., functions=..., definition=..., stores=...) as sfn:
        results = sfn.run([submission, ...], answer_reviews=...)

Submissions go through the process's entry function (a routed ``lambda:Invoke``, as a client would call it). The
definition is a parameter: ``local.stepfunctions.deployed_definition`` takes it from the synthesized CDK template
(what deploys); tests that vary the definition pass the ASL file's text. Generic over the process:
``local.onboarding.OnboardingStepFunctions`` adds onboarding's reviews and outcomes.

AWS is moto: in process (``mock_aws``, the default) or a moto server given by ``endpoint_url`` (e.g. a
``ThreadedMotoServer`` that other processes share). With a server, every boto3 client of this process reaches it
through ``AWS_ENDPOINT_URL`` while the runner is started, and the server is switched to executing state machines.
"""

from __future__ import annotations

import json
import os
import time
import urllib.request
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any, Self
from unittest import mock

import boto3
from moto import mock_aws

from contract.definition import DefinitionTemplate
from contract.environment import STATE_MACHINE_ARN
from contract.process import ProcessDescription
from contract.profile import Profile
from contract.registry import TaskFunction
from lambdas.runtime import runtime_for
from local.stepfunctions import moto_callbacks
from local.stepfunctions.resources import LocalResources, provision
from local.stepfunctions.router import LambdaRouter

MOTO_CONFIG: Any = {"stepfunctions": {"execute_state_machine": True}}
POLL_SECONDS = 0.1
ANSWER_EVERY_SECONDS = 1.0  # while submitting: a corpus takes longer to submit than a local review waits
DEFAULT_REVIEW_TIMEOUT_SECONDS = 5

ReviewAnswerer = Callable[["LocalStepFunctions", set[str]], None]  # (runner, running business ids) -> None


class SubmissionRefused(RuntimeError):
    """The entry function refused the submission; ``error`` is its error name (e.g. ``INVALID_APPLICATION``)."""

    def __init__(self, error: str, payload: dict[str, Any]) -> None:
        super().__init__(error)
        self.error = error
        self.payload = payload


@dataclass(frozen=True)
class ExecutionResult:
    business_id: str  # the execution's name
    execution_arn: str
    status: str  # SUCCEEDED, FAILED, TIMED_OUT, ABORTED
    output: str | None  # the state machine's output (JSON text), when it succeeded
    description: dict[str, Any]  # DescribeExecution, as returned by boto3
    history: list[dict[str, Any]] = field(repr=False)  # every GetExecutionHistory event, as returned by boto3


class LocalStepFunctions:
    def __init__(
        self,
        *,
        process: ProcessDescription,
        functions: tuple[TaskFunction, ...],
        definition: DefinitionTemplate,
        profile: Profile = Profile.HARDENED,
        review_timeout_seconds: int = DEFAULT_REVIEW_TIMEOUT_SECONDS,
        prefix: str = "local",
        region: str = "us-east-1",
        start_mock: bool = True,
        endpoint_url: str | None = None,
    ) -> None:
        """``start_mock=False`` when the caller already runs ``mock_aws(config=MOTO_CONFIG)``; ``endpoint_url``
        (a moto server) replaces the in-process mock."""
        self.process = process
        self.functions = functions
        self.profile = profile
        self.review_timeout_seconds = review_timeout_seconds
        self._template = definition
        self._prefix = prefix
        self._region = region
        self._endpoint_url = endpoint_url
        moto_callbacks.install()
        self._mock = mock_aws(config=MOTO_CONFIG) if start_mock and endpoint_url is None else None
        self._env: Any = None
        self._router: LambdaRouter | None = None
        self._resources: LocalResources | None = None
        self._session: Any = None
        self._clients: dict[str, Any] = {}
        self.state_machine_arn = ""
        self.definition = ""

    # -- lifecycle ----------------------------------------------------------------------------------

    def __enter__(self) -> Self:
        self.start()
        return self

    def __exit__(self, *_: object) -> None:
        self.stop()

    def start(self) -> None:
        if self._mock is not None:
            self._mock.start()
        try:
            self._start()
        except BaseException:
            self.stop()
            raise

    def _start(self) -> None:
        self._env = mock.patch.dict(os.environ, self._server_environment())
        self._env.start()
        boto3.setup_default_session(region_name=self._region)  # the session moto's interpreter uses
        self._session = boto3.session.Session(region_name=self._region)
        self._resources = resources = provision(self._session, self.process, self.functions, prefix=self._prefix)
        os.environ.update(resources.environment(profile=self.profile,
                                                review_timeout_seconds=self.review_timeout_seconds))
        runtime_for.cache_clear()

        self._router = LambdaRouter.for_functions(
            self.functions,
            name_of=resources.function_name,
            arn_of=resources.function_arn,
            logs_client=self.client("logs"),
        )
        self._router.install(boto3.DEFAULT_SESSION, self._session)

        self.definition = self._template.render(resources.function_arn)
        self.state_machine_arn = self.stepfunctions.create_state_machine(
            name=resources.state_machine_name,
            definition=self.definition,
            roleArn=resources.role_arn,
            type="STANDARD",
            loggingConfiguration={
                "level": "ALL",
                "includeExecutionData": self.profile is Profile.BASELINE,
                "destinations": [{"cloudWatchLogsLogGroup": {"logGroupArn": self._log_group_arn()}}],
            },
            encryptionConfiguration={
                "type": "CUSTOMER_MANAGED_KMS_KEY",
                "kmsKeyId": resources.state_machine_key_arn,
                "kmsDataKeyReusePeriodSeconds": 300,
            },
        )["stateMachineArn"]
        os.environ[STATE_MACHINE_ARN] = self.state_machine_arn  # restored by the env patch

    def _server_environment(self) -> dict[str, str]:
        """With a moto server: point every boto3 client at it, and have it execute state machines."""
        if self._endpoint_url is None:
            return {}
        if not self._endpoint_url.startswith(("http://127.0.0.1:", "http://localhost:")):
            raise ValueError("endpoint_url: a moto server on the loopback interface (http://127.0.0.1:PORT)")
        # moto's own API (not an AWS one, so no boto3 client): a loopback http URL, checked above.
        request = urllib.request.Request(  # noqa: S310
            f"{self._endpoint_url}/moto-api/config", data=json.dumps(MOTO_CONFIG).encode(), method="POST",
            headers={"Content-Type": "application/json"},
        )
        with urllib.request.urlopen(request, timeout=10):  # noqa: S310
            pass
        return {
            "AWS_ENDPOINT_URL": self._endpoint_url,
            # moto's interpreter sends the calls it does not route here to this port of localhost.
            "MOTO_PORT": self._endpoint_url.rpartition(":")[2],
            "AWS_ACCESS_KEY_ID": os.environ.get("AWS_ACCESS_KEY_ID", "testing"),
            "AWS_SECRET_ACCESS_KEY": os.environ.get("AWS_SECRET_ACCESS_KEY", "testing"),
        }

    def stop(self) -> None:
        try:
            if self.state_machine_arn:
                self._abort_running()
        finally:
            if self._router is not None:
                self._router.uninstall()
                self._router = None
            if self._env is not None:
                self._env.stop()
                self._env = None
            runtime_for.cache_clear()
            self._clients.clear()
            if self._mock is not None:
                self._mock.stop()

    def _abort_running(self) -> None:
        """Stop executions still waiting (e.g. on a review) so no interpreter thread outlives the mock."""
        deadline = time.monotonic() + 5
        while running := self._running():
            for name in running:
                try:
                    self.stepfunctions.stop_execution(executionArn=self.execution_arn(name))
                except Exception:
                    # moto cannot stop an execution whose worker has not started yet: try again shortly.
                    if time.monotonic() > deadline:
                        raise
            time.sleep(POLL_SECONDS)

    # -- clients and resources ----------------------------------------------------------------------

    @property
    def resources(self) -> LocalResources:
        assert self._resources is not None, "call start() first"
        return self._resources

    @property
    def router(self) -> LambdaRouter:
        assert self._router is not None, "call start() first"
        return self._router

    @property
    def stepfunctions(self) -> Any:
        return self.client("stepfunctions")

    def client(self, service: str) -> Any:
        """A client on the runner's session (cached: creating one costs more than most calls)."""
        if service not in self._clients:
            self._clients[service] = self._session.client(service)
        return self._clients[service]

    def table(self, role: str) -> Any:
        """A side-effect table of the process (boto3 ``Table`` resource), to inspect what the handlers wrote."""
        return self._session.resource("dynamodb").Table(self.resources.tables[role])

    def dynamodb(self) -> Any:
        """The DynamoDB service resource on the runner's session."""
        return self._session.resource("dynamodb")

    def execution_arn(self, name: str) -> str:
        """``arn:...:stateMachine:<sm>`` -> ``arn:...:execution:<sm>:<name>``."""
        prefix, _, state_machine = self.state_machine_arn.rpartition(":stateMachine:")
        return f"{prefix}:execution:{state_machine}:{name}"

    def _log_group_arn(self) -> str:
        r = self.resources
        return f"arn:aws:logs:{r.region}:{r.account}:log-group:{r.state_machine_log_group}:*"

    # -- submitting and reviewing -------------------------------------------------------------------

    def submit(self, submission: Mapping[str, Any]) -> str:
        """Call the entry function as a client would; return the execution ARN."""
        response = self.client("lambda").invoke(
            FunctionName=self.resources.function_arn(self.process.entry_function),
            Payload=json.dumps(submission).encode(),
        )
        payload = json.loads(response["Payload"].read())
        if response.get("FunctionError"):
            raise SubmissionRefused(str(payload.get("errorType")), payload)
        arn: str = payload["execution_arn"]
        return arn

    # -- running ------------------------------------------------------------------------------------

    def run(
        self, submissions: Sequence[Mapping[str, Any]], *, answer_reviews: ReviewAnswerer | None = None,
        timeout_seconds: float = 120.0, answer_every_seconds: float = ANSWER_EVERY_SECONDS,
    ) -> dict[str, ExecutionResult]:
        """Submit every submission, let ``answer_reviews`` act while they run, wait for every execution to end.

        Reviews are offered while submissions are still going in (at most every ``answer_every_seconds``) and at the
        start of every round, before anything slow: a review must be answered within its timeout (seconds, locally),
        and submitting a corpus or reading finished histories on a loaded machine takes longer than that. Results
        (``DescribeExecution`` and the full history) are read once every execution has ended.

        Raises ``TimeoutError`` naming the business ids still running after ``timeout_seconds``.
        """
        id_field = self.process.id_field
        arns: dict[str, str] = {}
        offered = time.monotonic()
        for submission in submissions:
            arns[str(submission[id_field])] = self.submit(submission)
            if answer_reviews is not None and time.monotonic() - offered >= answer_every_seconds:
                answer_reviews(self, self._running() & arns.keys())
                offered = time.monotonic()
        deadline = time.monotonic() + timeout_seconds
        while running := self._running() & arns.keys():
            if answer_reviews is not None:
                answer_reviews(self, running)
            if time.monotonic() > deadline:
                raise TimeoutError(f"executions still running: {sorted(running)}")
            time.sleep(POLL_SECONDS)
        return {business_id: self.result(arn) for business_id, arn in arns.items()}

    def _running(self) -> set[str]:
        paginator = self.stepfunctions.get_paginator("list_executions")
        pages = paginator.paginate(stateMachineArn=self.state_machine_arn, statusFilter="RUNNING")
        return {execution["name"] for page in pages for execution in page["executions"]}

    def wait(self, execution_arn: str, *, timeout_seconds: float = 60.0) -> ExecutionResult:
        deadline = time.monotonic() + timeout_seconds
        while self.stepfunctions.describe_execution(executionArn=execution_arn)["status"] == "RUNNING":
            if time.monotonic() > deadline:
                raise TimeoutError("execution still running")
            time.sleep(POLL_SECONDS)
        return self.result(execution_arn)

    def result(self, execution_arn: str) -> ExecutionResult:
        sfn = self.stepfunctions
        description = _without_metadata(sfn.describe_execution(executionArn=execution_arn))
        history: list[dict[str, Any]] = []
        for page in sfn.get_paginator("get_execution_history").paginate(executionArn=execution_arn):
            history.extend(page["events"])
        output = description.get("output") if description["status"] == "SUCCEEDED" else None
        return ExecutionResult(
            business_id=description["name"],
            execution_arn=execution_arn,
            status=description["status"],
            output=output,
            description=description,
            history=history,
        )

    def lambda_log_messages(self) -> dict[str, list[str]]:
        """Every log line the functions wrote, per function name (CloudWatch Logs, moto)."""
        logs = self.client("logs")
        messages: dict[str, list[str]] = {}
        for function in self.functions:
            group = self.resources.log_group(function.name)
            lines: list[str] = []
            for page in logs.get_paginator("filter_log_events").paginate(logGroupName=group):
                lines.extend(event["message"] for event in page["events"])
            messages[self.resources.function_name(function.name)] = lines
        return messages


def _without_metadata(response: dict[str, Any]) -> dict[str, Any]:
    return {key: value for key, value in response.items() if key != "ResponseMetadata"}
