"""Run a durable function locally: AWS's durable-execution emulator, a Lambda Invoke endpoint with the real handler,
and boto3 ``lambda`` clients against the emulator for what a client and an operator do.

    with LocalDurableFunctions(functions={"onboarding": "durable_functions.handler.handler"},
                               environment={...}, workdir=path) as durable:
        arn = durable.start("onboarding", name="app_...", payload={...})
        described = durable.wait(arn)
        events = durable.history(arn)

- The emulator is ``dex-local-runner start-server`` (PyPI ``aws-durable-execution-sdk-python-testing``) on a free
  loopback port, with its SQLite store in ``workdir`` (executions survive an emulator restart), in real time;
- the endpoint is ``python -m local.durable.lambda_endpoint``, its own process configured by ``environment`` only
  (the function's configuration, as infra sets it), checkpointing back to the emulator;
- :meth:`start` uses the emulator's start route (it has no Lambda ``Invoke`` route; a deployment's client calls
  ``lambda:Invoke`` with ``DurableExecutionName``); everything else is the AWS API shape through boto3
  (``GetDurableExecution``, ``GetDurableExecutionHistory``, ``SendDurableExecutionCallback*``).

Known differences from AWS in the emulator (aws-durable-execution-sdk-python-testing 1.4.0): execution ARNs are
``<uuid>/<uuid>``; ``ListDurableExecutionsByFunction`` ignores its status filter; a callback completed twice answers
404 rather than ``CallbackTimeoutException``.
"""

from __future__ import annotations

import io
import json
import subprocess
import sys
import time
import urllib.request
from collections.abc import Callable, Mapping
from contextlib import ExitStack
from pathlib import Path
from typing import Any, Self

import boto3
from botocore.awsrequest import AWSResponse
from botocore.response import StreamingBody

from local.processes import free_port, spawn, stop
from local.temporal import clean_environment

EMULATOR = Path(sys.executable).parent / "dex-local-runner"
REGION = "us-east-1"
ACCOUNT = "123456789012"
POLL_SECONDS = 0.1
_STASH_KEY = "local_durable_invoke"
_DUMMY = "testing"  # the emulator does not check signatures; placeholders keep boto3 from looking for real ones


class EmulatorError(RuntimeError):
    """The emulator or the endpoint did not start, or refused a request; the message says which and where its log
    is, never a payload."""


class LocalDurableFunctions:
    def __init__(self, *, functions: Mapping[str, str], environment: Mapping[str, str], workdir: Path,
                 execution_timeout_seconds: int = 300) -> None:
        self.functions = dict(functions)
        self._environment = dict(environment)
        self._workdir = workdir
        self._execution_timeout = execution_timeout_seconds
        self._stack = ExitStack()
        self.endpoint = ""
        self._client: Any = None
        self.function_log: Path | None = None
        self._endpoint_process: subprocess.Popen[bytes] | None = None
        self._lambda_port = 0

    def __enter__(self) -> Self:
        try:
            self._start()
        except BaseException:
            self._stack.close()
            raise
        return self

    def __exit__(self, *_: object) -> None:
        self._stack.close()

    def _start(self) -> None:
        if not EMULATOR.exists():
            raise EmulatorError(f"{EMULATOR} is missing: run `make install` (PyPI aws-durable-execution-sdk-python-"
                                "testing)")
        emulator_port, lambda_port = free_port(), free_port()
        self.endpoint = f"http://127.0.0.1:{emulator_port}"
        base = clean_environment()
        emulator_log = self._workdir / f"dex-local-runner-{emulator_port}.log"
        emulator = spawn([str(EMULATOR), "start-server", "--host", "127.0.0.1", "--port", str(emulator_port),
                          "--lambda-endpoint", f"http://127.0.0.1:{lambda_port}",
                          "--local-runner-endpoint", self.endpoint, "--local-runner-region", REGION,
                          "--store-type", "sqlite", "--store-path", str(self._workdir / "durable-executions.sqlite"),
                          "--execution-timeout", str(self._execution_timeout), "--no-skip-time",
                          "--log-level", "ERROR"],
                         env={**base, "AWS_ACCESS_KEY_ID": _DUMMY, "AWS_SECRET_ACCESS_KEY": _DUMMY,
                              "AWS_DEFAULT_REGION": REGION}, log_file=emulator_log)
        self._stack.callback(stop, emulator)
        self._lambda_port = lambda_port
        self.function_log = self._workdir / f"durable-function-{lambda_port}.log"
        self._spawn_endpoint()
        self._stack.callback(lambda: stop(self._endpoint_process) if self._endpoint_process else None)
        self._wait_for(f"{self.endpoint}/health", emulator_log)
        self._wait_for_port(lambda_port, self.function_log)
        self._client = boto3.client("lambda", endpoint_url=self.endpoint, region_name=REGION,
                                    aws_access_key_id=_DUMMY, aws_secret_access_key=_DUMMY)

    def _spawn_endpoint(self) -> None:
        argv = [sys.executable, "-m", "local.durable.lambda_endpoint", "--port", str(self._lambda_port)]
        for name, handler in self.functions.items():
            argv += ["--function", f"{name}={handler}"]
        function_env = {**clean_environment(), "AWS_REGION": REGION, "AWS_DEFAULT_REGION": REGION,
                        **self._environment,
                        # checkpoints go to the emulator; other AWS calls go where the environment says (moto)
                        "AWS_ENDPOINT_URL_LAMBDA": self.endpoint}
        assert self.function_log is not None
        self._endpoint_process = spawn(argv, env=function_env, log_file=self.function_log)

    def replace_execution_environment(self, *, environment: Mapping[str, str] | None = None) -> None:
        """Kill the function's execution environment at once (SIGKILL: whatever step it is in never finishes, as in
        a crash or a Lambda timeout) and start a new one, with ``environment`` merged into the function's
        configuration (e.g. a key alias that now names another key). The emulator's invocations in flight fail;
        the next ones reach the new process on the same endpoint."""
        if self._endpoint_process is not None:
            self._endpoint_process.kill()
            self._endpoint_process.wait()
            stop(self._endpoint_process)  # forget it; its group is gone
        self._environment.update(environment or {})
        self._spawn_endpoint()
        assert self.function_log is not None
        self._wait_for_port(self._lambda_port, self.function_log)

    @staticmethod
    def _wait_for(url: str, log_file: Path, timeout_seconds: float = 60.0) -> None:
        deadline = time.monotonic() + timeout_seconds
        while True:
            try:
                with urllib.request.urlopen(url, timeout=2):  # noqa: S310 - a loopback http URL built above
                    return
            except OSError:
                if time.monotonic() > deadline:
                    raise EmulatorError(f"the durable-execution emulator did not answer; see {log_file}") from None
                time.sleep(0.1)

    @staticmethod
    def _wait_for_port(port: int, log_file: Path, timeout_seconds: float = 60.0) -> None:
        import socket  # noqa: PLC0415 - only here

        deadline = time.monotonic() + timeout_seconds
        while True:
            with socket.socket() as probe:
                if probe.connect_ex(("127.0.0.1", port)) == 0:
                    return
            if time.monotonic() > deadline:
                raise EmulatorError(f"the Lambda endpoint did not start; see {log_file}")
            time.sleep(0.1)

    def log_lines(self) -> list[str]:
        """What the function wrote (its endpoint process's output), line by line: what its log group would hold."""
        if self.function_log is None or not self.function_log.exists():
            return []
        return self.function_log.read_text(encoding="utf-8", errors="replace").splitlines()

    @property
    def client(self) -> Any:
        """A boto3 ``lambda`` client on the emulator (the durable-execution APIs)."""
        assert self._client is not None, "use LocalDurableFunctions as a context manager"
        return self._client

    def start(self, function: str, *, name: str, payload: Mapping[str, Any]) -> str:
        """Start (or find) the execution ``name`` of ``function``; returns its ARN."""
        body = {"AccountId": ACCOUNT, "FunctionName": function, "FunctionQualifier": "$LATEST",
                "ExecutionName": name, "ExecutionTimeoutSeconds": self._execution_timeout,
                "ExecutionRetentionPeriodDays": 7, "Input": json.dumps(payload)}
        request = urllib.request.Request(  # noqa: S310 - the emulator's loopback URL
            f"{self.endpoint}/start-durable-execution", data=json.dumps(body).encode(), method="POST",
            headers={"Content-Type": "application/json"})
        try:
            with urllib.request.urlopen(request, timeout=30) as response:  # noqa: S310
                arn: str = json.loads(response.read())["ExecutionArn"]
        except OSError as error:
            raise EmulatorError(f"the emulator refused to start execution {name} ({type(error).__name__})") from None
        return arn

    def route_invoke(self, session: Any, *, deployed_names: Mapping[str, str]) -> Callable[[], None]:
        """Answer ``lambda:Invoke`` with a ``DurableExecutionName`` on a boto3 ``session`` as the Lambda service does
        for a durable function: start (or find) the named execution and reply ``202`` with its
        ``DurableExecutionArn``. ``deployed_names`` maps the name a client calls (e.g. ``env-onboarding-durable:live``)
        to a function here. The emulator has no Invoke route; this gives a deployed client's start path
        (:func:`ops.durable.invoke_starter`) one. Other Invoke calls pass through untouched (registered first, so
        an in-process Lambda router on the same session still answers its own). Returns the uninstall callable."""

        def stash(params: dict[str, Any], context: dict[str, Any], **_: Any) -> None:
            context[_STASH_KEY] = (params.get("FunctionName"), params.get("DurableExecutionName"),
                                   params.get("Payload"))

        def answer(context: dict[str, Any], **_: Any) -> tuple[AWSResponse, dict[str, Any]] | None:
            called, name, payload = context.get(_STASH_KEY, (None, None, None))
            function = deployed_names.get(str(called))
            if function is None or name is None:
                return None
            context.pop(_STASH_KEY)
            body = payload if isinstance(payload, bytes) else str(payload or "{}").encode()
            arn = self.start(function, name=str(name), payload=json.loads(body))
            response = AWSResponse(f"{self.endpoint}/invoke", 202, {}, None)
            empty = StreamingBody(io.BytesIO(b""), 0)
            return response, {"StatusCode": 202, "DurableExecutionArn": arn, "Payload": empty,
                              "ResponseMetadata": {"HTTPStatusCode": 202}}

        session.events.register_first("before-parameter-build.lambda.Invoke", stash)
        session.events.register_first("before-call.lambda.Invoke", answer)

        def uninstall() -> None:
            session.events.unregister("before-parameter-build.lambda.Invoke", stash)
            session.events.unregister("before-call.lambda.Invoke", answer)

        return uninstall

    def describe(self, arn: str) -> dict[str, Any]:
        described: dict[str, Any] = self.client.get_durable_execution(DurableExecutionArn=arn)
        described.pop("ResponseMetadata", None)
        return described

    def wait(self, arn: str, *, timeout_seconds: float = 120.0) -> dict[str, Any]:
        """``GetDurableExecution`` once the execution has ended."""
        deadline = time.monotonic() + timeout_seconds
        while (described := self.describe(arn))["Status"] in ("RUNNING", "PENDING"):
            if time.monotonic() > deadline:
                raise TimeoutError("durable execution still running")
            time.sleep(POLL_SECONDS)
        return described

    def history(self, arn: str) -> list[dict[str, Any]]:
        """Every ``GetDurableExecutionHistory`` event, with execution data (what the service stores)."""
        events: list[dict[str, Any]] = []
        kwargs: dict[str, Any] = {"DurableExecutionArn": arn, "IncludeExecutionData": True}
        while True:
            page = self.client.get_durable_execution_history(**kwargs)
            events += page.get("Events", [])
            if not page.get("NextMarker"):
                return events
            kwargs["Marker"] = page["NextMarker"]
