"""Route Lambda ``Invoke`` calls to the real handlers, in process.

How moto's interpreter calls Lambda: a ``arn:aws:states:::lambda:invoke`` task ends up in
``moto.stepfunctions.parser.asl.component.state.exec.state_task.lambda_eval_utils``, which builds a client
with ``boto3.client("lambda", ...)`` (boto3's *default session*) and calls ``invoke(FunctionName=...,
Payload=...)``. It then reads ``FunctionError`` and ``Payload`` from the response, exactly as Step Functions
does with Lambda's answer: with ``FunctionError`` the payload's ``errorType`` becomes the task's ``Error``
and the whole payload its ``Cause``.

So the route is at the botocore level, with the same mechanism as ``botocore.stub.Stubber``: a
``before-call.lambda.Invoke`` handler, registered on a session, that returns ``(http_response, parsed)``
and so short-circuits the HTTP request. ``before-parameter-build.lambda.Invoke`` first stashes the API
parameters in the request context, where ``before-call`` reads them. Only ARNs registered here are
answered; any other Invoke fails with ``ResourceNotFoundException`` as Lambda would.

The handler runs like the Lambda Python runtime runs it: a context object, the JSON payload in, the
JSON result out, and an unhandled exception turned into ``{"errorMessage": str(e), "errorType":
type(e).__name__, "requestId", "stackTrace"}`` with ``FunctionError: "Unhandled"``. What the handler logs
(and the runtime's START/END lines and error line) is shipped to ``/aws/lambda/<function>`` in
CloudWatch Logs (moto), in one stream per function (as if each function had one execution environment).

One invocation runs at a time (a process-wide lock). A Lambda execution environment serves one request
at a time, and here every function shares one process: concurrent executions calling handlers at once
would share module state such as the Powertools logger's keys and mix up each other's log lines.
"""

from __future__ import annotations

import contextvars
import importlib
import io
import json
import logging
import threading
import time
import traceback
import uuid
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from typing import Any

from botocore.awsrequest import AWSResponse
from botocore.response import StreamingBody

from contract.registry import TaskFunction
from lambdas.observability import logger
from local.stepfunctions.context import LocalLambdaContext

Handler = Callable[[Any, Any], Any]

_STASH_KEY = "local_lambda_invoke"
_current_log: contextvars.ContextVar[list[tuple[int, str]] | None] = contextvars.ContextVar(
    "local_lambda_log", default=None
)
# The task function whose handler is running in this thread (its deployed name), for local.aws_calls.
_current_function: contextvars.ContextVar[str | None] = contextvars.ContextVar("local_lambda_function", default=None)


def current_function() -> str | None:
    """The deployed name of the function whose handler runs in this thread, or None outside any invocation."""
    return _current_function.get()


@dataclass(frozen=True)
class RoutedFunction:
    name: str  # the deployed function name (``/aws/lambda/<name>``)
    arn: str
    handler: Handler


@dataclass(frozen=True)
class Invocation:
    """One routed call, kept for tests and cost counting."""

    function: str
    error_type: str | None


def import_handler(path: str) -> Handler:
    """``"package.module.function"`` (the registry's handler string) -> the callable."""
    module_name, _, attribute = path.rpartition(".")
    handler: Handler = getattr(importlib.import_module(module_name), attribute)
    return handler


class _CaptureLogs(logging.Handler):
    """Collects the handler's Powertools log lines for the invocation running in this thread."""

    def emit(self, record: logging.LogRecord) -> None:
        buffer = _current_log.get()
        if buffer is not None:
            buffer.append((int(record.created * 1000), self.format(record)))


class LambdaRouter:
    def __init__(self, functions: Iterable[RoutedFunction], *, logs_client: Any, timeout_seconds: float = 30.0):
        self._by_arn = {function.arn: function for function in functions}
        self._by_name = {function.name: function for function in self._by_arn.values()}
        self._logs = logs_client
        self._timeout = timeout_seconds
        self._capture = _CaptureLogs()
        self._capture.setFormatter(logger.registered_formatter)
        self._sessions: list[Any] = []
        self._one_at_a_time = threading.Lock()
        self._streams: dict[str, str] = {}
        self.invocations: list[Invocation] = []

    @classmethod
    def for_functions(
        cls,
        functions: Iterable[TaskFunction],
        *,
        name_of: Callable[[str], str],
        arn_of: Callable[[str], str],
        logs_client: Any,
    ) -> LambdaRouter:
        """Route each task function, deployed as ``name_of(f.name)`` at ``arn_of(f.name)``."""
        routed = (
            RoutedFunction(name=name_of(f.name), arn=arn_of(f.name), handler=import_handler(f.handler))
            for f in functions
        )
        return cls(routed, logs_client=logs_client)

    # -- installation -------------------------------------------------------------------------------

    def install(self, *sessions: Any) -> None:
        """Route Invoke on these boto3 sessions (pass ``boto3.DEFAULT_SESSION`` for moto's interpreter)."""
        # In Lambda, stdout *is* the log group: swap Powertools' stdout handler for the shipping one.
        service_logger = logging.getLogger(logger.name)
        service_logger.removeHandler(logger.registered_handler)
        service_logger.addHandler(self._capture)  # Powertools' logger is the stdlib one of that name
        for session in sessions:
            session.events.register("before-parameter-build.lambda.Invoke", self._stash)
            session.events.register("before-call.lambda.Invoke", self._answer)
            self._sessions.append(session)

    def uninstall(self) -> None:
        for session in self._sessions:
            session.events.unregister("before-parameter-build.lambda.Invoke", self._stash)
            session.events.unregister("before-call.lambda.Invoke", self._answer)
        self._sessions.clear()
        service_logger = logging.getLogger(logger.name)
        service_logger.removeHandler(self._capture)
        service_logger.addHandler(logger.registered_handler)

    # -- botocore event handlers --------------------------------------------------------------------

    def _stash(self, params: dict[str, Any], context: dict[str, Any], **_: Any) -> None:
        context[_STASH_KEY] = (params.get("FunctionName"), params.get("Payload"))

    def _answer(self, context: dict[str, Any], **_: Any) -> tuple[AWSResponse, dict[str, Any]]:
        function_name, payload = context.pop(_STASH_KEY, (None, None))
        function = self._by_arn.get(str(function_name)) or self._by_name.get(str(function_name))
        if function is None:
            return _not_found(str(function_name))
        event = json.loads(_as_bytes(payload) or b"{}")
        status, body = self.invoke(function, event)
        return _invoke_response(body, function_error=status)

    # -- invocation, as the Lambda Python runtime does it -------------------------------------------

    def call(self, function_name: str, event: Any) -> tuple[str | None, bytes]:
        """Invoke a routed function by name or ARN: ``(FunctionError or None, response payload)``."""
        function = self._by_arn.get(function_name) or self._by_name[function_name]
        return self.invoke(function, event)

    def invoke(self, function: RoutedFunction, event: Any) -> tuple[str | None, bytes]:
        with self._one_at_a_time:
            return self._invoke(function, event)

    def _invoke(self, function: RoutedFunction, event: Any) -> tuple[str | None, bytes]:
        context = LocalLambdaContext(
            function_name=function.name,
            function_arn=function.arn,
            log_stream_name=self._stream(function.name),
            timeout_seconds=self._timeout,
        )
        request_id = context.aws_request_id
        lines: list[tuple[int, str]] = [(_now_ms(), f"START RequestId: {request_id} Version: $LATEST")]
        token = _current_log.set(lines)
        running = _current_function.set(function.name)
        error_type: str | None = None
        try:
            try:
                body = json.dumps(function.handler(event, context)).encode()
            except Exception as exc:  # reported the way the runtime reports it
                error_type = type(exc).__name__
                body = _error_payload(exc, request_id)
                lines.append((_now_ms(), f"[ERROR] {error_type}: {exc}"))
        finally:
            _current_log.reset(token)
            _current_function.reset(running)
        lines.append((_now_ms(), f"END RequestId: {request_id}"))
        events = [{"timestamp": ts, "message": message} for ts, message in sorted(lines, key=lambda x: x[0])]
        self._logs.put_log_events(
            logGroupName=context.log_group_name, logStreamName=context.log_stream_name, logEvents=events
        )
        self.invocations.append(Invocation(function=function.name, error_type=error_type))
        return ("Unhandled" if error_type else None), body

    def _stream(self, function_name: str) -> str:
        """One log stream per function, created on its first invocation (under the invocation lock)."""
        stream = self._streams.get(function_name)
        if stream is None:
            stream = self._streams[function_name] = time.strftime("%Y/%m/%d") + "/[$LATEST]" + uuid.uuid4().hex
            self._logs.create_log_stream(logGroupName=f"/aws/lambda/{function_name}", logStreamName=stream)
        return stream


def _error_payload(exc: BaseException, request_id: str) -> bytes:
    return json.dumps(
        {
            "errorMessage": str(exc),
            "errorType": type(exc).__name__,
            "requestId": request_id,
            "stackTrace": traceback.format_list(traceback.extract_tb(exc.__traceback__)),
        }
    ).encode()


def _invoke_response(body: bytes, *, function_error: str | None) -> tuple[AWSResponse, dict[str, Any]]:
    headers = {"X-Amz-Executed-Version": "$LATEST"}
    parsed: dict[str, Any] = {
        "StatusCode": 200,
        "ExecutedVersion": "$LATEST",
        "Payload": StreamingBody(io.BytesIO(body), len(body)),
        "ResponseMetadata": {"HTTPStatusCode": 200, "HTTPHeaders": headers},
    }
    if function_error:
        parsed["FunctionError"] = headers["X-Amz-Function-Error"] = function_error
    return AWSResponse("https://lambda.local/invocations", 200, headers, None), parsed


def _not_found(function_name: str) -> tuple[AWSResponse, dict[str, Any]]:
    parsed = {
        "Error": {"Code": "ResourceNotFoundException", "Message": f"Function not found: {function_name}"},
        "ResponseMetadata": {"HTTPStatusCode": 404, "HTTPHeaders": {}},
    }
    return AWSResponse("https://lambda.local/invocations", 404, {}, None), parsed


def _as_bytes(payload: Any) -> bytes:
    if payload is None:
        return b""
    if isinstance(payload, bytes | bytearray):
        return bytes(payload)
    if isinstance(payload, str):
        return payload.encode()
    data: bytes = payload.read()  # a file-like body
    return data


def _now_ms() -> int:
    return int(time.time() * 1000)
