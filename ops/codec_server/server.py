"""The HTTP side of the codec server, on aiohttp's low-level server.

Protocol (what the Temporal Web UI and CLI speak): ``POST <endpoint>/encode`` or ``<endpoint>/decode`` (any path
prefix; the query string, such as the UI's ``?preserveStorageRefs=true``, is ignored) with a protobuf-JSON
``Payloads`` body; the answer is the same shape. ``OPTIONS`` answers the browser's CORS preflight.

Refusals, in the order they are checked: a ``Host`` header that is not an allowed host (403: a DNS-rebinding page
reaches 127.0.0.1 under its own name), an ``Origin`` other than the configured UI origin, or a preflight without
one (403), a method other than POST or OPTIONS (405), another path (404), a missing or wrong credential (401; 400
without ``X-Namespace`` and 403 for a namespace not granted, in jwt mode), no ``Content-Length`` (411), a declared
length over the limit (413, before any of the body is read), a body that does not arrive within the body timeout
(408, connection closed), a body that is not protobuf-JSON ``Payloads`` (400), payloads the codec refuses (422, the
codec's message, which names the problem and never payload data). A request head that does not parse gets a fixed
400 and the connection is closed: aiohttp's own answer quotes the offending bytes, in the body and in a logged
traceback, so both are replaced here.

What is logged: one line per request with the method (when it is one of the protocol's), the operation, the status
and, for a refused credential, the reason code. Never a path, header, body or token: the client chooses them all.
Every answer carries ``Cache-Control: no-store`` (decoded payloads must not sit in a browser cache); CORS headers go
to the configured UI origin only.
"""

from __future__ import annotations

import asyncio
import errno
import hmac
import json
import logging
import ssl
from http import HTTPStatus
from typing import Any

from aiohttp import web
from aiohttp.web_request import BaseRequest
from google.protobuf import json_format
from temporalio.api.common.v1 import Payloads
from temporalio.converter import PayloadCodec

from envelope.errors import CodecError
from ops.codec_server.config import CodecServerConfig, ConfigError, Mode
from ops.codec_server.tokens import JwksCache, JwksUnavailable, TokenRejected, TokenVerifier

OPERATIONS = ("encode", "decode")
# The UI 2.54 sends Content-Type and X-Namespace; with "pass access token", Authorization and Authorization-Extras
# (the ID token, ignored here). A preflight that asks for a header not listed here fails in the browser.
ALLOWED_HEADERS = "Content-Type, X-Namespace, Authorization, Authorization-Extras"
SERVER_NAME = "codec-server"
_KNOWN_METHODS = frozenset({"POST", "OPTIONS", "GET", "HEAD", "PUT", "PATCH", "DELETE"})
log = logging.getLogger("ops.codec_server")
# aiohttp's protocol logs through this logger only in code paths replaced below; it stays silent as a backstop.
_silent = logging.getLogger("ops.codec_server.silent")
_silent.addHandler(logging.NullHandler())
_silent.propagate = False


class StartError(RuntimeError):
    """The server could not start; the message names the setting at fault, never its value."""


class _Refused(Exception):
    def __init__(self, status: HTTPStatus, message: str, *, reason: str | None = None, close: bool = False) -> None:
        super().__init__(message)
        self.status = status
        self.message = message
        self.reason = reason
        self.close = close


class CodecServer:
    """One server: ``async with CodecServer(codec, config) as server`` listens until the block ends.

    ``server.port`` and ``server.url`` give the bound address (``port=0`` in the config picks a free one).
    """

    def __init__(self, codec: PayloadCodec, config: CodecServerConfig) -> None:
        self.codec = codec
        self.config = config
        self._jwks: JwksCache | None = None
        self._verifier: TokenVerifier | None = None
        if config.jwt is not None:
            self._jwks = JwksCache(config.jwt)
            self._verifier = TokenVerifier(config.jwt, self._jwks, config.namespaces)
        self._runner: web.ServerRunner | None = None
        self.port = 0

    @property
    def url(self) -> str:
        return f"{self.config.scheme}://{self.config.host}:{self.port}"

    @property
    def jwks(self) -> JwksCache | None:
        return self._jwks

    async def start(self) -> None:
        """Fetch the JWKS (jwt mode), then listen; raises :class:`StartError` naming the setting at fault."""
        ssl_context = _tls_context(self.config) if self.config.mode is Mode.JWT else None
        if self._jwks is not None:
            try:
                await self._jwks.start()
            except JwksUnavailable as error:
                await self._jwks.close()
                raise StartError(f"--jwks-url: the key set could not be fetched ({error})") from None
        limits = self.config.limits
        server = _Server(
            self._handle, handler_cancellation=True, keepalive_timeout=limits.idle_timeout_seconds,
            max_line_size=limits.max_line_bytes, max_field_size=limits.max_field_bytes, max_headers=limits.max_headers,
            lingering_time=0, access_log=None, logger=_silent,
        )
        self._runner = web.ServerRunner(server, handle_signals=False)
        await self._runner.setup()
        site = web.TCPSite(self._runner, self.config.host, self.config.port, ssl_context=ssl_context)
        try:
            await site.start()
        except OSError as error:
            await self.close()
            raise StartError(_listen_error(error)) from None
        self.port = int(self._runner.addresses[0][1])

    async def close(self) -> None:
        if self._runner is not None:
            await self._runner.cleanup()
            self._runner = None
        if self._jwks is not None:
            await self._jwks.close()

    async def __aenter__(self) -> CodecServer:
        await self.start()
        return self

    async def __aexit__(self, *exc_info: object) -> None:
        await self.close()

    # -- one request ---------------------------------------------------------------------------------------------

    async def _handle(self, request: BaseRequest) -> web.StreamResponse:
        operation = request.path.rstrip("/").rsplit("/", 1)[-1]
        reason = None
        try:
            response = await self._answer(request, operation)
        except _Refused as refused:
            reason = refused.reason
            response = self._reply(request, refused.status, {"error": refused.message})
            if refused.status is HTTPStatus.UNAUTHORIZED:
                response.headers["WWW-Authenticate"] = "Bearer"
            if refused.close:
                response.force_close()
        event: dict[str, Any] = {
            "method": request.method if request.method in _KNOWN_METHODS else "OTHER",
            "operation": "preflight" if request.method == "OPTIONS" else (
                operation if operation in OPERATIONS else "other"),
            "status": response.status,
        }
        if reason is not None:
            event["reason"] = reason
        log.info("request", extra={"event": event})
        return response

    async def _answer(self, request: BaseRequest, operation: str) -> web.StreamResponse:
        self._check_host_and_origin(request)
        if request.method == "OPTIONS":
            response = self._reply(request, HTTPStatus.NO_CONTENT, None)
            if request.headers.get("Access-Control-Request-Private-Network") == "true":
                response.headers["Access-Control-Allow-Private-Network"] = "true"  # Chromium: public page to local
            return response
        if request.method != "POST":
            raise _Refused(HTTPStatus.METHOD_NOT_ALLOWED, "POST .../encode or .../decode")
        if operation not in OPERATIONS:
            raise _Refused(HTTPStatus.NOT_FOUND, "POST .../encode or .../decode")
        await self._authorize(request)
        payloads = _parse(await self._body(request))
        try:
            convert = self.codec.encode if operation == "encode" else self.codec.decode
            result = Payloads(payloads=await convert(payloads.payloads))
        except CodecError as error:  # codec messages name the problem, never payload content
            raise _Refused(HTTPStatus.UNPROCESSABLE_ENTITY, str(error)) from None
        return self._reply(request, HTTPStatus.OK, json_format.MessageToJson(result).encode())

    def _check_host_and_origin(self, request: BaseRequest) -> None:
        host = _host_name(request.headers.get("Host", ""))
        if host not in self.config.allowed_hosts:
            raise _Refused(HTTPStatus.FORBIDDEN, "requests must address an allowed host name")
        origin = request.headers.get("Origin")
        if (origin is not None or request.method == "OPTIONS") and origin != self.config.allowed_origin:
            raise _Refused(HTTPStatus.FORBIDDEN, "origin not allowed")

    async def _authorize(self, request: BaseRequest) -> None:
        if self._verifier is not None:
            try:
                await self._verifier.verify(request.headers.get("Authorization"), request.headers.get("X-Namespace"))
            except TokenRejected as rejected:
                raise _Refused(HTTPStatus(rejected.status), rejected.reason, reason=rejected.reason) from None
        elif self.config.token is not None:
            supplied = request.headers.get("Authorization", "").encode()
            if not hmac.compare_digest(supplied, f"Bearer {self.config.token}".encode()):
                raise _Refused(HTTPStatus.UNAUTHORIZED, "missing or wrong bearer token", reason="wrong static token")

    async def _body(self, request: BaseRequest) -> bytes:
        length = request.content_length
        if length is None:
            raise _Refused(HTTPStatus.LENGTH_REQUIRED, "Content-Length is required", close=True)
        if length > self.config.limits.max_body_bytes:
            raise _Refused(HTTPStatus.REQUEST_ENTITY_TOO_LARGE, "body too large", close=True)
        try:
            async with asyncio.timeout(self.config.limits.body_timeout_seconds):
                return await request.content.readexactly(length)
        except TimeoutError:
            raise _Refused(HTTPStatus.REQUEST_TIMEOUT, "the body did not arrive in time", close=True) from None
        except (asyncio.IncompleteReadError, ConnectionError):
            raise _Refused(HTTPStatus.BAD_REQUEST, "the body ended early", close=True) from None

    def _reply(self, request: BaseRequest, status: HTTPStatus, body: dict[str, str] | bytes | None,
               ) -> web.Response:
        response = web.Response(status=status)
        if body is not None:
            response.body = body if isinstance(body, bytes) else json.dumps(body).encode()
            response.content_type = "application/json"
        if request.headers.get("Origin") == self.config.allowed_origin:
            response.headers["Access-Control-Allow-Origin"] = self.config.allowed_origin
            response.headers["Access-Control-Allow-Methods"] = "POST, OPTIONS"
            response.headers["Access-Control-Allow-Headers"] = ALLOWED_HEADERS
            response.headers["Access-Control-Max-Age"] = "600"
        if status is HTTPStatus.METHOD_NOT_ALLOWED:
            response.headers["Allow"] = "POST, OPTIONS"
        _common_headers(response)
        return response


def _common_headers(response: web.StreamResponse) -> None:
    response.headers["Vary"] = "Origin"
    response.headers["Cache-Control"] = "no-store"  # decoded payloads must not sit in a browser cache
    response.headers["X-Content-Type-Options"] = "nosniff"
    response.headers["Server"] = SERVER_NAME


def _parse(body: bytes) -> Payloads:
    try:
        return json_format.Parse(body, Payloads())
    except (json_format.ParseError, UnicodeDecodeError, ValueError):  # their messages quote the body: dropped
        raise _Refused(HTTPStatus.BAD_REQUEST, "the body must be protobuf-JSON Payloads") from None


def _host_name(host: str) -> str:
    if host.startswith("["):  # [::1]:8081
        return host.split("]", 1)[0] + "]"
    return host.rsplit(":", 1)[0] if host.count(":") == 1 else host


def _tls_context(config: CodecServerConfig) -> ssl.SSLContext:
    context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    context.minimum_version = ssl.TLSVersion.TLSv1_2
    try:
        context.load_cert_chain(str(config.tls_cert_file), str(config.tls_key_file))
    except (OSError, ssl.SSLError) as error:
        raise ConfigError(f"--tls-cert/--tls-key: the certificate and key could not be loaded "
                          f"({type(error).__name__})") from None
    return context


def _listen_error(error: OSError) -> str:
    if error.errno == errno.EADDRINUSE:
        return "--port: the address is already in use (another codec server?); choose another with --port"
    if error.errno == errno.EACCES:
        return "--port: permission denied (ports below 1024 need privileges)"
    if error.errno == errno.EADDRNOTAVAIL:
        return "--bind: the address is not one of this machine's"
    return f"--bind/--port: cannot listen ({errno.errorcode.get(error.errno or 0, type(error).__name__)})"


class _Protocol(web.RequestHandler):
    """aiohttp's connection handler with its error answer and error logs replaced: both quote what the client sent
    (a request line that does not parse, a header, the reason a handler failed)."""

    def handle_error(self, request: BaseRequest, status: int = 500, exc: BaseException | None = None,
                     message: str | None = None) -> web.StreamResponse:
        if request.writer.output_size > 0:
            raise ConnectionError("the answer had started; the connection is dropped")
        log.warning("request failed", extra={"event": {"status": status,
                                                       "error": type(exc).__name__ if exc else None}})
        response = web.Response(status=status, content_type="application/json",
                                body=json.dumps({"error": HTTPStatus(status).phrase}).encode())
        _common_headers(response)
        response.force_close()
        return response

    def log_exception(self, *args: Any, **kw: Any) -> None:
        error = kw.get("exc_info")
        log.warning("connection error", extra={"event": {"error": type(error).__name__ if error else None}})

    def log_debug(self, *args: Any, **kw: Any) -> None:
        pass


class _Server(web.Server):
    """aiohttp's low-level server, making :class:`_Protocol` handlers."""

    def __init__(self, handler: Any, **kwargs: Any) -> None:
        handler_cancellation = kwargs.pop("handler_cancellation")
        self._protocol_options = kwargs
        self._event_loop = asyncio.get_running_loop()
        super().__init__(handler, handler_cancellation=handler_cancellation, **kwargs)

    def __call__(self) -> web.RequestHandler:
        return _Protocol(self, loop=self._event_loop, **self._protocol_options)


def quiet_loop_errors(loop: asyncio.AbstractEventLoop) -> None:
    """Replace the event loop's exception handler: the default logs exceptions with their messages and
    tracebacks (a transport error can quote received data). Logs the exception type only."""

    def handler(_: asyncio.AbstractEventLoop, context: dict[str, Any]) -> None:
        error = context.get("exception")
        log.warning("event loop error", extra={"event": {"error": type(error).__name__ if error else None}})

    loop.set_exception_handler(handler)
