"""Codec server for the Temporal UI and CLI, run on the operator's machine: decrypts payloads for display.

    CODEC_SERVER_TOKEN=... python -m ops.codec_server [--port 8081] [--ui-origin http://localhost:8233]

then point the UI's codec endpoint (or ``temporal ... --codec-endpoint http://127.0.0.1:8081``) at it. Keys come from
the same variables as the worker (``PAYLOAD_KEY_ID``; the operator's AWS credentials need ``kms:Decrypt``).

Why it is safe to run: it binds 127.0.0.1 only (not configurable); browsers may call it only from the configured UI
origin (CORS; any other ``Origin`` is refused, which also defeats DNS rebinding, as does the ``Host`` check); with
``CODEC_SERVER_TOKEN`` set every request needs ``Authorization: Bearer <token>`` (the token is read from the
environment, never argv, which other users can see); bodies are size-limited; nothing is logged but method, path
and status. Protocol: POST ``.../encode`` or ``.../decode`` with a protobuf-JSON ``Payloads`` body.
"""

from __future__ import annotations

import argparse
import hmac
import json
import logging
import os
import sys
from dataclasses import dataclass
from http import HTTPStatus
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import ClassVar

from google.protobuf import json_format
from temporalio.api.common.v1 import Payloads

from envelope.errors import CodecError
from workers import logs
from workers.client import build_codec
from workers.codec import EnvelopeCodec
from workers.settings import ClientSettings, SettingsError

LOOPBACK = "127.0.0.1"
DEFAULT_PORT = 8081
DEFAULT_UI_ORIGIN = "http://localhost:8233"
ENV_TOKEN = "CODEC_SERVER_TOKEN"  # noqa: S105 - the variable's name, not a token
MAX_BODY_BYTES = 4 * 1024 * 1024
_ALLOWED_HEADERS = "Content-Type, X-Namespace, Authorization"
log = logging.getLogger("ops.codec_server")


@dataclass(frozen=True)
class CodecServerConfig:
    allowed_origin: str = DEFAULT_UI_ORIGIN
    token: str | None = None
    max_body_bytes: int = MAX_BODY_BYTES


class _CodecHandler(BaseHTTPRequestHandler):
    codec: ClassVar[EnvelopeCodec]
    config: ClassVar[CodecServerConfig]
    server_version = "codec-server"
    sys_version = ""

    def do_OPTIONS(self) -> None:
        if self._refused(preflight=True):
            return
        self._reply(HTTPStatus.NO_CONTENT, None)

    def do_POST(self) -> None:
        if self._refused(preflight=False):
            return
        operation = self.path.split("?", 1)[0].rstrip("/").rsplit("/", 1)[-1]
        if operation not in ("encode", "decode"):
            self._error(HTTPStatus.NOT_FOUND, "POST .../encode or .../decode")
            return
        body = self._body()
        if body is None:
            return
        try:
            payloads = json_format.Parse(body, Payloads())
        except json_format.ParseError:
            self._error(HTTPStatus.BAD_REQUEST, "the body must be protobuf-JSON Payloads")
            return
        try:
            convert = self.codec.encode_sync if operation == "encode" else self.codec.decode_sync
            result = Payloads(payloads=convert(payloads.payloads))
        except CodecError as error:  # codec messages name the problem, never payload content
            self._error(HTTPStatus.UNPROCESSABLE_ENTITY, str(error))
            return
        self._reply(HTTPStatus.OK, json_format.MessageToJson(result).encode())

    def _refused(self, *, preflight: bool) -> bool:
        origin = self.headers.get("Origin")
        host = (self.headers.get("Host") or "").rsplit(":", 1)[0]
        if host not in (LOOPBACK, "localhost"):
            self._error(HTTPStatus.FORBIDDEN, "requests must address 127.0.0.1 or localhost")
        elif (origin is not None or preflight) and origin != self.config.allowed_origin:
            self._error(HTTPStatus.FORBIDDEN, "origin not allowed")
        elif not preflight and not self._authorized():
            self._error(HTTPStatus.UNAUTHORIZED, "missing or wrong bearer token")
        else:
            return False
        return True

    def _authorized(self) -> bool:
        if self.config.token is None:
            return True
        supplied = self.headers.get("Authorization") or ""
        return hmac.compare_digest(supplied.encode(), f"Bearer {self.config.token}".encode())

    def _body(self) -> bytes | None:
        try:
            length = int(self.headers.get("Content-Length") or "")
        except ValueError:
            self._error(HTTPStatus.LENGTH_REQUIRED, "Content-Length is required")
            return None
        if length < 0 or length > self.config.max_body_bytes:
            self._error(HTTPStatus.REQUEST_ENTITY_TOO_LARGE, "body too large")
            return None
        return self.rfile.read(length)

    def _error(self, status: HTTPStatus, message: str) -> None:
        self._reply(status, json.dumps({"error": message}).encode())

    def _reply(self, status: HTTPStatus, body: bytes | None) -> None:
        self.send_response(status)
        if self.headers.get("Origin") == self.config.allowed_origin:
            self.send_header("Access-Control-Allow-Origin", self.config.allowed_origin)
            self.send_header("Access-Control-Allow-Methods", "POST, OPTIONS")
            self.send_header("Access-Control-Allow-Headers", _ALLOWED_HEADERS)
            self.send_header("Access-Control-Max-Age", "600")
        self.send_header("Vary", "Origin")
        self.send_header("Cache-Control", "no-store")  # decoded payloads must not sit in a browser cache
        if body is not None:
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        if body is not None:
            self.wfile.write(body)

    def log_message(self, format: str, *args: object) -> None:
        log.info("%s %s", self.command, self.path.split("?", 1)[0])

    def log_request(self, code: int | str = "-", size: int | str = "-") -> None:
        log.info("request", extra={"event": {"method": self.command, "status": str(code)}})


def make_server(codec: EnvelopeCodec, config: CodecServerConfig, *, port: int = DEFAULT_PORT) -> ThreadingHTTPServer:
    """A server bound to 127.0.0.1 (``port=0`` picks a free port); call ``serve_forever`` to run it."""
    handler = type("CodecHandler", (_CodecHandler,), {"codec": codec, "config": config})
    return ThreadingHTTPServer((LOOPBACK, port), handler)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m ops.codec_server", description=__doc__.split("\n\n")[0])
    parser.add_argument("--port", type=int, default=DEFAULT_PORT)
    parser.add_argument("--ui-origin", default=DEFAULT_UI_ORIGIN, help="the Temporal UI origin allowed by CORS")
    args = parser.parse_args(argv)
    logs.configure()
    try:
        codec = build_codec(ClientSettings.from_env())
    except SettingsError as error:
        log.error("%s", error)
        return 2
    if codec is None:
        log.error("PROTECTION_PROFILE is baseline: there is nothing to decode")
        return 2
    config = CodecServerConfig(allowed_origin=args.ui_origin, token=os.environ.get(ENV_TOKEN) or None)
    server = make_server(codec, config, port=args.port)
    event = {"address": f"http://{LOOPBACK}:{server.server_port}", "ui_origin": args.ui_origin,
             "token_required": config.token is not None}
    log.info("codec server listening", extra={"event": event})
    try:
        server.serve_forever()
    except KeyboardInterrupt:
        pass
    finally:
        server.server_close()
    return 0


if __name__ == "__main__":
    sys.exit(main())
