"""The codec server's configuration: two modes, every value checked once at start.

- ``loopback`` (the default): plain HTTP on 127.0.0.1 only, for the local dev UI and the CLI on a single-user
  machine. Anyone who can open a connection to 127.0.0.1 on this machine can decode, so the optional static token
  (``CODEC_SERVER_TOKEN``) is the CLI's (``--codec-auth``); the Web UI sends no ``Authorization`` header to an
  ``http://`` endpoint, so it can use the server only without one.
- ``jwt``: HTTPS with a certificate and key from configuration; every request carries the signed-in user's access
  token as the Temporal Web UI sends it ("pass access token"), verified against the issuer's JWKS: signature,
  expiry, issuer, audience, and the ``X-Namespace`` header against the token's namespace claim (default
  ``permissions``, the claim of Temporal's default JWT claim mapper, entries ``<namespace>:<read|write|worker|admin>``)
  and against the namespaces this server decodes for.

A bad setting raises :class:`ConfigError`, whose message names the setting (a command-line option such as
``--jwks-url``, or an environment variable), never its value.
"""

from __future__ import annotations

import ipaddress
import re
from dataclasses import dataclass, field
from enum import StrEnum
from pathlib import Path
from urllib.parse import urlsplit

LOOPBACK = "127.0.0.1"
DEFAULT_PORT = 8081
DEFAULT_UI_ORIGIN = "http://localhost:8233"
LOOPBACK_HOSTS = frozenset({LOOPBACK, "localhost"})
ENV_TOKEN = "CODEC_SERVER_TOKEN"  # noqa: S105 - the variable's name, not a token
# Temporal's default JWT claim mapper reads this claim (docs.temporal.io, "Format of JWT Claims").
DEFAULT_NAMESPACE_CLAIM = "permissions"
# Asymmetric algorithms only: a JWKS publishes public keys, and an HMAC "key" from it would be public.
ASYMMETRIC_ALGORITHMS = frozenset({"RS256", "RS384", "RS512", "PS256", "PS384", "PS512", "ES256", "ES384", "ES512",
                                   "EdDSA"})
MIN_TOKEN_CHARS = 16
_ORIGIN = re.compile(r"^https?://(\[[0-9A-Fa-f:.]+\]|[A-Za-z0-9.-]+)(:\d{1,5})?$")
_HOST_NAME = re.compile(r"^[A-Za-z0-9]([A-Za-z0-9.-]{0,252})$")
_NAMESPACE = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._-]{0,254}$")


class ConfigError(ValueError):
    """An unusable setting; the message names the setting and the rule, never the value."""


class Mode(StrEnum):
    LOOPBACK = "loopback"
    JWT = "jwt"


@dataclass(frozen=True)
class Limits:
    """What one connection may cost. Defaults: a request body of at most 4 MiB must arrive within 10 s of its
    head; a connection that has not completed a request head (or sits idle between requests) is closed after 15 s.
    The UI sends one batch of payloads per request, on a keep-alive connection, and reopens it when closed."""

    max_body_bytes: int = 4 * 1024 * 1024
    body_timeout_seconds: float = 10.0
    idle_timeout_seconds: float = 15.0
    # aiohttp's request-head limits (its defaults, stated here so they are ours): a request line or header field
    # of at most 8190 bytes (an access token is a few KB), at most 128 header fields.
    max_line_bytes: int = 8190
    max_field_bytes: int = 8190
    max_headers: int = 128

    def __post_init__(self) -> None:
        if not 1 <= self.max_body_bytes <= 64 * 1024 * 1024:
            raise ConfigError("--max-body-bytes must be between 1 and 64 MiB")
        if not 0 < self.body_timeout_seconds <= 600:
            raise ConfigError("--body-timeout-seconds must be above 0 and at most 600")
        if not 0 < self.idle_timeout_seconds <= 3600:
            raise ConfigError("--idle-timeout-seconds must be above 0 and at most 3600")


@dataclass(frozen=True)
class JwtSettings:
    """How access tokens are verified in ``jwt`` mode.

    ``jwks_url`` must be ``https://`` (``http://`` only to a loopback address, for tests and local issuers). The
    key set is fetched at start and cached: refetched when older than ``jwks_max_age_seconds`` (default 300 s), or
    when a token names an unknown key id, at most once per ``jwks_min_refresh_seconds`` (default 30 s), so a stream
    of forged key ids cannot turn into a stream of requests to the issuer. ``leeway_seconds`` (default 30 s) absorbs
    clock skew on ``exp`` and ``nbf``.
    """

    issuer: str
    jwks_url: str
    audience: str
    namespace_claim: str = DEFAULT_NAMESPACE_CLAIM
    algorithms: tuple[str, ...] = ("RS256",)
    leeway_seconds: float = 30.0
    jwks_max_age_seconds: float = 300.0
    jwks_min_refresh_seconds: float = 30.0
    jwks_fetch_timeout_seconds: float = 5.0
    jwks_max_bytes: int = 256 * 1024

    def __post_init__(self) -> None:
        if not self.issuer:
            raise ConfigError("--jwt-issuer is required in jwt mode")
        if not self.audience:
            raise ConfigError("--jwt-audience is required in jwt mode")
        if not self.namespace_claim:
            raise ConfigError("--jwt-namespace-claim must not be empty")
        if not self.algorithms or not set(self.algorithms) <= ASYMMETRIC_ALGORITHMS:
            raise ConfigError(f"--jwt-algorithm must be one of {', '.join(sorted(ASYMMETRIC_ALGORITHMS))}")
        _check_jwks_url(self.jwks_url)
        if not 0 <= self.leeway_seconds <= 300:
            raise ConfigError("--jwt-leeway-seconds must be between 0 and 300")
        if not 0 < self.jwks_min_refresh_seconds <= self.jwks_max_age_seconds:
            raise ConfigError("--jwks-min-refresh-seconds must be above 0 and at most --jwks-max-age-seconds")


@dataclass(frozen=True)
class CodecServerConfig:
    """Everything the server needs besides the codec. ``port=0`` picks a free port (tests)."""

    mode: Mode = Mode.LOOPBACK
    host: str = LOOPBACK
    port: int = DEFAULT_PORT
    allowed_origin: str = DEFAULT_UI_ORIGIN
    allowed_hosts: frozenset[str] = LOOPBACK_HOSTS
    namespaces: frozenset[str] = frozenset()
    token: str | None = field(default=None, repr=False)
    jwt: JwtSettings | None = None
    tls_cert_file: Path | None = None
    tls_key_file: Path | None = None
    limits: Limits = field(default_factory=Limits)

    def __post_init__(self) -> None:
        if not 0 <= self.port <= 65535:
            raise ConfigError("--port must be between 0 and 65535")
        if not _ORIGIN.match(self.allowed_origin):
            raise ConfigError("--ui-origin must be an origin: scheme, host and optional port, no path")
        if not self.allowed_hosts or not all(_HOST_NAME.match(host) for host in self.allowed_hosts):
            raise ConfigError("--allowed-host must be a host name or address, without port")
        if not all(_NAMESPACE.match(namespace) for namespace in self.namespaces):
            raise ConfigError("--namespace must be a Temporal namespace name")
        if self.token is not None and len(self.token) < MIN_TOKEN_CHARS:
            raise ConfigError(f"{ENV_TOKEN} must be at least {MIN_TOKEN_CHARS} characters")
        if self.mode is Mode.LOOPBACK:
            self._check_loopback()
        else:
            self._check_jwt()

    @property
    def scheme(self) -> str:
        return "https" if self.mode is Mode.JWT else "http"

    def _check_loopback(self) -> None:
        if self.host != LOOPBACK:
            raise ConfigError("--bind is for jwt mode; loopback mode listens on 127.0.0.1 only")
        if self.jwt is not None:
            raise ConfigError("--jwt-issuer, --jwks-url and --jwt-audience are for jwt mode")
        if self.tls_cert_file is not None or self.tls_key_file is not None:
            raise ConfigError("--tls-cert and --tls-key are for jwt mode; loopback mode is plain HTTP on 127.0.0.1")

    def _check_jwt(self) -> None:
        if self.jwt is None:
            raise ConfigError("--jwt-issuer, --jwks-url and --jwt-audience are required in jwt mode")
        if self.tls_cert_file is None or self.tls_key_file is None:
            raise ConfigError("--tls-cert and --tls-key are required in jwt mode (the UI passes tokens to https only)")
        if self.token is not None:
            raise ConfigError(f"{ENV_TOKEN} is for loopback mode; in jwt mode the CLI passes an access token "
                              "(--codec-auth 'Bearer <token>')")
        if not self.namespaces:
            raise ConfigError("--namespace is required in jwt mode: the namespaces whose payloads this key protects")
        try:
            ipaddress.ip_address(self.host)
        except ValueError:
            raise ConfigError("--bind must be an IP address") from None


def _check_jwks_url(url: str) -> None:
    try:
        parts = urlsplit(url)
        hostname = parts.hostname
    except ValueError:
        raise ConfigError("--jwks-url must be an https:// URL") from None
    if parts.scheme == "https" and hostname:
        return
    if parts.scheme == "http" and hostname in {"127.0.0.1", "localhost", "::1"}:
        return
    raise ConfigError("--jwks-url must be an https:// URL (http:// only to a loopback address)")
