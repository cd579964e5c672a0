"""A fault-injecting HTTP proxy in front of an AWS endpoint (moto), for the reliability tests of either engine.

Point one service of a process at it (``AWS_ENDPOINT_URL_DYNAMODB``, ``AWS_ENDPOINT_URL_KMS``) and the process
runs unchanged: no hook in production code. Two faults:

- :meth:`FaultProxy.hold`: requests matching a rule reach the upstream (the write is committed) but their
  response is held back, so the caller is provably *in the middle* of a side effect until the hold is released;
  a released response is dropped, never delivered (its caller was killed meanwhile).
- :meth:`FaultProxy.outage`: every request's connection is closed without an answer (a network partition), until
  the outage ends. Requests are not forwarded, so nothing reaches the upstream meanwhile.
"""

from __future__ import annotations

import contextlib
import http.client
import json
import threading
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import urlsplit

# Headers that describe one hop, not the message (RFC 9110 section 7.6.1).
_HOP_BY_HOP = frozenset({"connection", "keep-alive", "proxy-connection", "te", "trailer", "transfer-encoding",
                         "upgrade"})


@dataclass(frozen=True)
class Request:
    method: str
    path: str
    headers: dict[str, str]  # lower-case names
    body: bytes

    @property
    def operation(self) -> str:
        """The AWS JSON-protocol operation (``DynamoDB_20120810.PutItem`` -> ``PutItem``), or ``""``."""
        return self.headers.get("x-amz-target", "").rpartition(".")[2]

    def json(self) -> dict[str, Any]:
        try:
            document = json.loads(self.body or b"{}")
        except ValueError:
            return {}
        return document if isinstance(document, dict) else {}


Rule = Callable[[Request], bool]


def dynamodb_write(operation: str, table: str, application_id: str) -> Rule:
    """A DynamoDB ``PutItem``/``UpdateItem`` on ``table`` whose key is ``application_id``."""

    def matches(request: Request) -> bool:
        if request.operation != operation:
            return False
        document = request.json()
        key = document.get("Item") or document.get("Key") or {}
        return document.get("TableName") == table and key.get("pk") == {"S": application_id}

    return matches


@dataclass
class Hold:
    rule: Rule
    reached: threading.Event = field(default_factory=threading.Event)
    released: threading.Event = field(default_factory=threading.Event)


class FaultProxy:
    def __init__(self, upstream: str) -> None:
        parts = urlsplit(upstream)
        if parts.scheme != "http" or parts.hostname is None or parts.port is None:
            raise ValueError("the upstream must be an http://host:port URL")
        self.upstream = (parts.hostname, parts.port)
        self._lock = threading.Lock()
        self._holds: list[Hold] = []
        self._down = threading.Event()
        self.refused = 0  # connections dropped during outages
        self._server = ThreadingHTTPServer(("127.0.0.1", 0), _Handler)
        self._server.daemon_threads = True
        self._server.proxy = self  # type: ignore[attr-defined]
        self._thread = threading.Thread(target=self._server.serve_forever, name="fault-proxy", daemon=True)

    @property
    def endpoint(self) -> str:
        host, port = self._server.server_address[:2]
        return f"http://{host!s}:{port}"

    def start(self) -> FaultProxy:
        self._thread.start()
        return self

    def stop(self) -> None:
        self.release_all()
        self._down.clear()
        self._server.shutdown()
        self._server.server_close()
        self._thread.join()

    def hold(self, rule: Rule) -> Hold:
        hold = Hold(rule)
        with self._lock:
            self._holds.append(hold)
        return hold

    def release_all(self) -> None:
        """Stop holding: held responses are dropped (their connections closed), later requests flow."""
        with self._lock:
            holds, self._holds = self._holds, []
        for hold in holds:
            hold.released.set()

    @contextmanager
    def outage(self) -> Iterator[None]:
        self._down.set()
        try:
            yield
        finally:
            self._down.clear()

    @property
    def down(self) -> bool:
        return self._down.is_set()

    def refuse(self) -> None:
        with self._lock:
            self.refused += 1

    def hold_for(self, request: Request) -> Hold | None:
        with self._lock:
            for hold in self._holds:
                if hold.rule(request):
                    return hold
        return None


class _Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"  # keep-alive, as botocore expects
    server: ThreadingHTTPServer

    def do_POST(self) -> None:  # KMS and DynamoDB (AWS JSON protocol) only ever POST
        proxy: FaultProxy = self.server.proxy  # type: ignore[attr-defined]
        body = self.rfile.read(int(self.headers.get("Content-Length") or 0))
        if proxy.down:
            proxy.refuse()
            self.close_connection = True  # no status line at all: the caller sees the connection drop
            return
        request = Request(self.command, self.path, {k.lower(): v for k, v in self.headers.items()}, body)
        status, headers, data = self._forward(proxy.upstream, request)
        hold = proxy.hold_for(request)
        if hold is not None:
            hold.reached.set()
            hold.released.wait()
            self.close_connection = True
            return
        self.send_response(status)
        for name, value in headers:
            if name.lower() not in _HOP_BY_HOP and name.lower() != "content-length":
                self.send_header(name, value)
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)

    @staticmethod
    def _forward(upstream: tuple[str, int], request: Request) -> tuple[int, list[tuple[str, str]], bytes]:
        connection = http.client.HTTPConnection(*upstream, timeout=60)
        try:
            headers = {k: v for k, v in request.headers.items() if k not in _HOP_BY_HOP}
            connection.request(request.method, request.path, body=request.body, headers=headers)
            response = connection.getresponse()
            return response.status, response.getheaders(), response.read()
        finally:
            connection.close()

    def log_message(self, format: str, *args: Any) -> None:
        """Silent: the test reports what matters."""

    def handle(self) -> None:
        with contextlib.suppress(OSError):  # the caller was killed or gave up: nothing to answer
            super().handle()


@contextmanager
def fault_proxy(upstream: str) -> Iterator[FaultProxy]:
    proxy = FaultProxy(upstream).start()
    try:
        yield proxy
    finally:
        proxy.stop()
