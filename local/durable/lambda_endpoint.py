"""``python -m local.durable.lambda_endpoint --port P --function NAME=package.module.handler ...``: a Lambda Invoke
endpoint on 127.0.0.1 for the durable-execution emulator (its ``--lambda-endpoint``), running the real handlers.

The emulator starts and resumes executions by calling Lambda ``Invoke`` (``POST
/2015-03-31/functions/{name}/invocations``) with the durable invocation envelope; a deployed function gets the same
call from the Lambda service. This process answers it the way the Lambda Python runtime does: the JSON event in, a
context object, the JSON result out, and an unhandled exception as ``{"errorMessage", "errorType", "requestId",
"stackTrace"}`` with the ``X-Amz-Function-Error: Unhandled`` header. The handler checkpoints back to the emulator
through ``AWS_ENDPOINT_URL_LAMBDA`` (set by the caller in this process's environment only).

It is its own process, as a function's execution environment is: its environment variables (tables, key, profile)
are the function's configuration and nothing else's. Invocations run one at a time per function, as one execution
environment serves one request at a time.
"""

from __future__ import annotations

import argparse
import importlib
import json
import logging
import sys
import threading
import traceback
import uuid
from collections.abc import Callable
from http import HTTPStatus
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any, ClassVar

from local.stepfunctions.context import LocalLambdaContext

Handler = Callable[[Any, Any], Any]
INVOKE_PREFIX = "/2015-03-31/functions/"
REGION = "us-east-1"
ACCOUNT = "123456789012"
TIMEOUT_SECONDS = 900.0
log = logging.getLogger("local.durable.lambda_endpoint")


def import_handler(path: str) -> Handler:
    """``"package.module.function"`` -> the callable (the Lambda runtime's handler string)."""
    module_name, _, attribute = path.rpartition(".")
    handler: Handler = getattr(importlib.import_module(module_name), attribute)
    return handler


class _Invoke(BaseHTTPRequestHandler):
    # Set once by the server before it serves; shared by every request thread.
    functions: ClassVar[dict[str, Handler]] = {}
    locks: ClassVar[dict[str, threading.Lock]] = {}

    def do_POST(self) -> None:
        path = self.path.split("?", 1)[0]
        name = path.removeprefix(INVOKE_PREFIX).removesuffix("/invocations").split(":", 1)[0]
        length = int(self.headers.get("Content-Length") or 0)
        body = self.rfile.read(length)
        if not path.startswith(INVOKE_PREFIX) or not path.endswith("/invocations") or name not in self.functions:
            self._reply(HTTPStatus.NOT_FOUND, {"Type": "User", "message": "Function not found"},
                        {"x-amzn-ErrorType": "ResourceNotFoundException"})
            return
        context = LocalLambdaContext(function_name=name, timeout_seconds=TIMEOUT_SECONDS,
                                     function_arn=f"arn:aws:lambda:{REGION}:{ACCOUNT}:function:{name}")
        headers = {"X-Amz-Executed-Version": "$LATEST", "x-amzn-RequestId": context.aws_request_id}
        with self.locks[name]:
            try:
                result = self.functions[name](json.loads(body or b"{}"), context)
            except Exception as error:  # reported the way the Lambda runtime reports it
                self._reply(HTTPStatus.OK, _error_payload(error, context.aws_request_id),
                            {**headers, "X-Amz-Function-Error": "Unhandled"})
                return
        self._reply(HTTPStatus.OK, result, headers)

    def _reply(self, status: HTTPStatus, payload: Any, headers: dict[str, str]) -> None:
        data = json.dumps(payload).encode()
        self.send_response(status)
        for name, value in headers.items():
            self.send_header(name, value)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)

    def log_message(self, format: str, *args: object) -> None:  # no request lines: paths name executions only
        return


def _error_payload(error: BaseException, request_id: str) -> dict[str, Any]:
    return {"errorMessage": str(error), "errorType": type(error).__name__, "requestId": request_id,
            "stackTrace": traceback.format_list(traceback.extract_tb(error.__traceback__))}


def serve(port: int, functions: dict[str, str]) -> ThreadingHTTPServer:
    """A server bound to 127.0.0.1 (``port=0`` picks one) for ``functions`` (name -> handler path)."""
    handlers = {name: import_handler(path) for name, path in functions.items()}
    endpoint = type("Invoke", (_Invoke,), {"functions": handlers,
                                           "locks": {name: threading.Lock() for name in handlers}})
    return ThreadingHTTPServer(("127.0.0.1", port), endpoint)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m local.durable.lambda_endpoint", description=__doc__.split("\n")[0])
    parser.add_argument("--port", type=int, required=True)
    parser.add_argument("--function", action="append", required=True, metavar="NAME=HANDLER",
                        help="a function name and its handler, e.g. onboarding=durable_functions.handler.handler")
    args = parser.parse_args(argv)
    functions = dict(spec.split("=", 1) for spec in args.function)
    server = serve(args.port, functions)
    print(json.dumps({"listening": f"http://127.0.0.1:{server.server_port}", "functions": sorted(functions),
                      "session": uuid.uuid4().hex[:8]}), flush=True)
    try:
        server.serve_forever()
    except KeyboardInterrupt:
        pass
    finally:
        server.server_close()
    return 0


if __name__ == "__main__":
    sys.exit(main())
