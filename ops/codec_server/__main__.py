"""``python -m ops.codec_server``: read the configuration, build the payload codec, serve until SIGINT or SIGTERM.

Exit status 2 on a configuration or start-up error (the message names the setting, never its value; no
traceback), 0 after a signal. Logs are JSON lines on stdout (:mod:`workers.logs`).
"""

from __future__ import annotations

import argparse
import asyncio
import logging
import os
import signal
import sys
from collections.abc import Mapping
from pathlib import Path
from typing import NoReturn

from temporalio.converter import PayloadCodec

from ops.codec_server.config import (
    DEFAULT_NAMESPACE_CLAIM,
    DEFAULT_PORT,
    DEFAULT_UI_ORIGIN,
    ENV_TOKEN,
    LOOPBACK,
    LOOPBACK_HOSTS,
    CodecServerConfig,
    ConfigError,
    JwtSettings,
    Limits,
    Mode,
)
from ops.codec_server.server import CodecServer, StartError, quiet_loop_errors
from workers import logs
from workers.client import build_codec
from workers.settings import ClientSettings, SettingsError

log = logging.getLogger("ops.codec_server")
_JWT_OPTIONS = ("jwt_issuer", "jwks_url", "jwt_audience")


class _Parser(argparse.ArgumentParser):
    """argparse quotes a rejected value ("invalid int value: 'x'", "unrecognized arguments: ..."); name the
    option only."""

    def error(self, message: str) -> NoReturn:
        if message.startswith("argument "):
            message = message.split(":", 1)[0] + ": invalid or missing value"
        elif message.startswith("unrecognized arguments"):
            message = "unrecognized arguments"
        self.print_usage(sys.stderr)
        self.exit(2, f"{self.prog}: error: {message}\n")


def parser() -> argparse.ArgumentParser:
    p = _Parser(prog="python -m ops.codec_server",
                description="Decrypt payloads for the Temporal Web UI and CLI (ops/README.md).")
    p.add_argument("--mode", choices=[m.value for m in Mode], default=Mode.LOOPBACK.value,
                   help="loopback: http on 127.0.0.1 for the local dev UI; jwt: https, verifies the UI's access token")
    p.add_argument("--port", type=int, default=DEFAULT_PORT)
    p.add_argument("--bind", default=LOOPBACK, help="jwt mode: the address to listen on (default 127.0.0.1)")
    p.add_argument("--ui-origin", default=DEFAULT_UI_ORIGIN, help="the Temporal UI origin allowed by CORS")
    p.add_argument("--allowed-host", action="append", dest="allowed_hosts", metavar="HOST",
                   help="a host name clients use to reach this server (repeatable; default 127.0.0.1 and localhost)")
    p.add_argument("--namespace", action="append", dest="namespaces", metavar="NAMESPACE",
                   help="a namespace whose payloads this server decodes (repeatable; required in jwt mode)")
    p.add_argument("--tls-cert", type=Path, help="jwt mode: PEM certificate chain")
    p.add_argument("--tls-key", type=Path, help="jwt mode: PEM private key")
    p.add_argument("--jwt-issuer", help="jwt mode: the expected iss claim")
    p.add_argument("--jwks-url", help="jwt mode: the issuer's JWKS (https)")
    p.add_argument("--jwt-audience", help="jwt mode: the expected aud claim")
    p.add_argument("--jwt-namespace-claim", default=DEFAULT_NAMESPACE_CLAIM,
                   help="the claim that grants namespaces (default: permissions, entries <namespace>:<permission>)")
    p.add_argument("--jwt-algorithm", action="append", dest="jwt_algorithms", metavar="ALG",
                   help="an allowed signing algorithm (repeatable; default RS256)")
    p.add_argument("--jwt-leeway-seconds", type=float, default=30.0)
    p.add_argument("--jwks-max-age-seconds", type=float, default=300.0)
    p.add_argument("--jwks-min-refresh-seconds", type=float, default=30.0)
    p.add_argument("--max-body-bytes", type=int, default=Limits.max_body_bytes)
    p.add_argument("--body-timeout-seconds", type=float, default=Limits.body_timeout_seconds)
    p.add_argument("--idle-timeout-seconds", type=float, default=Limits.idle_timeout_seconds)
    return p


def config_from(args: argparse.Namespace, environ: Mapping[str, str]) -> CodecServerConfig:
    """The configuration from parsed options and the environment; raises :class:`ConfigError`."""
    mode = Mode(args.mode)
    jwt_given = any(getattr(args, name) for name in _JWT_OPTIONS)
    if mode is Mode.LOOPBACK and jwt_given:
        raise ConfigError("--jwt-issuer, --jwks-url and --jwt-audience are for jwt mode (--mode jwt)")
    jwt = None
    if mode is Mode.JWT:
        jwt = JwtSettings(
            issuer=args.jwt_issuer or "", jwks_url=args.jwks_url or "", audience=args.jwt_audience or "",
            namespace_claim=args.jwt_namespace_claim, algorithms=tuple(args.jwt_algorithms or ("RS256",)),
            leeway_seconds=args.jwt_leeway_seconds, jwks_max_age_seconds=args.jwks_max_age_seconds,
            jwks_min_refresh_seconds=args.jwks_min_refresh_seconds,
        )
    return CodecServerConfig(
        mode=mode, host=args.bind, port=args.port, allowed_origin=args.ui_origin,
        allowed_hosts=frozenset(args.allowed_hosts or LOOPBACK_HOSTS), namespaces=frozenset(args.namespaces or ()),
        token=environ.get(ENV_TOKEN) or None, jwt=jwt, tls_cert_file=args.tls_cert, tls_key_file=args.tls_key,
        limits=Limits(max_body_bytes=args.max_body_bytes, body_timeout_seconds=args.body_timeout_seconds,
                      idle_timeout_seconds=args.idle_timeout_seconds),
    )


class _DropClientData(logging.Filter):
    """Backstop for libraries' own records (aiohttp, asyncio): keep the logger and the exception type, drop the
    message arguments and the traceback, which can quote what a client sent."""

    def filter(self, record: logging.LogRecord) -> bool:
        if record.name.split(".")[0] in ("aiohttp", "asyncio"):
            error = record.exc_info[1] if record.exc_info else None
            record.msg, record.args = "%s: %s", (record.name, type(error).__name__ if error else "record dropped")
            record.exc_info = record.exc_text = record.stack_info = None
        return True


def configure_logging() -> None:
    logs.configure()
    for handler in logging.getLogger().handlers:
        handler.addFilter(_DropClientData())


async def serve(codec: PayloadCodec, config: CodecServerConfig) -> int:
    """Run until SIGINT or SIGTERM; 2 when the server cannot start."""
    loop = asyncio.get_running_loop()
    quiet_loop_errors(loop)
    server = CodecServer(codec, config)
    try:
        await server.start()
    except (StartError, ConfigError) as error:
        log.error("%s", error)
        return 2
    stop = asyncio.Event()
    for signum in (signal.SIGINT, signal.SIGTERM):
        loop.add_signal_handler(signum, stop.set)
    event = {"address": server.url, "mode": config.mode.value, "ui_origin": config.allowed_origin,
             "token_required": config.token is not None or config.mode is Mode.JWT}
    log.info("codec server listening", extra={"event": event})
    try:
        await stop.wait()
    finally:
        await server.close()
    return 0


def main(argv: list[str] | None = None) -> int:
    args = parser().parse_args(argv)
    configure_logging()
    try:
        config = config_from(args, os.environ)
        codec = build_codec(ClientSettings.from_env())
    except (ConfigError, SettingsError) as error:
        log.error("%s", error)
        return 2
    if codec is None:
        log.error("PROTECTION_PROFILE is baseline: there is nothing to decode")
        return 2
    return asyncio.run(serve(codec, config))


if __name__ == "__main__":
    sys.exit(main())
