"""Access-token verification for ``jwt`` mode: PyJWT against the issuer's JWKS, cached.

What a request must carry (as the Temporal Web UI sends it with "pass access token"): ``Authorization: Bearer
<JWT>`` and ``X-Namespace: <namespace>``. The token must be signed by a key of the issuer's JWKS with an allowed
asymmetric algorithm (the key's own algorithm: PyJWT refuses a header that names another), carry ``exp``, ``iss``
and ``aud`` (checked against configuration, ``nbf`` too when present, with the configured leeway), and grant the
namespace in its namespace claim; the namespace must also be one this server decodes for.

The namespace claim (default ``permissions``) is read as Temporal's default JWT claim mapper reads it: a list of
``<namespace>:<permission>`` entries, permission one of ``read``, ``write``, ``worker``, ``admin``
(docs.temporal.io, "Format of JWT Claims"); an entry without a permission suffix names a namespace, and a string
claim is split on whitespace. Any permission on the namespace allows decoding (the UI shows history to readers).
System-wide entries (``system:admin``) grant no namespace here: decoding is data access, granted per namespace.

Refusals are :class:`TokenRejected` with a fixed reason code: never the token, a claim value or the namespace.
"""

from __future__ import annotations

import asyncio
import json
import logging
import time
from collections.abc import Iterable
from typing import Any

import aiohttp
import jwt

from ops.codec_server.config import JwtSettings

log = logging.getLogger("ops.codec_server")
TEMPORAL_PERMISSIONS = frozenset({"read", "write", "worker", "admin"})


class TokenRejected(Exception):
    """A refused request. ``reason`` is a fixed code, safe to return and to log; ``status`` is 401 or 403."""

    def __init__(self, reason: str, status: int = 401) -> None:
        super().__init__(reason)
        self.reason = reason
        self.status = status


class JwksUnavailable(Exception):
    """The issuer's key set could not be fetched or holds no usable signing key (the message names the cause's
    type, never the URL or the document)."""


class JwksCache:
    """The issuer's signing keys by key id. One fetch at :meth:`start`; afterwards a fetch only when the set is
    older than the maximum age, or when a token names an unknown key id (see :meth:`key`). ``fetches`` counts
    fetch attempts."""

    def __init__(self, settings: JwtSettings) -> None:
        self._settings = settings
        self._keys: dict[str, jwt.PyJWK] = {}
        self._fetched_at = float("-inf")
        self._attempted_at = float("-inf")
        self._unknown_kid_refresh_at = float("-inf")
        self._lock = asyncio.Lock()
        self._session: aiohttp.ClientSession | None = None
        self.fetches = 0

    async def start(self) -> None:
        """Fetch the key set once; raises :class:`JwksUnavailable` when it cannot."""
        timeout = aiohttp.ClientTimeout(total=self._settings.jwks_fetch_timeout_seconds)
        self._session = aiohttp.ClientSession(timeout=timeout, trust_env=True)
        await self._refresh()

    async def close(self) -> None:
        if self._session is not None:
            await self._session.close()
            self._session = None

    async def key(self, kid: str) -> jwt.PyJWK:
        """The signing key named ``kid``. A stale set is refetched (a failed attempt is retried after the minimum
        refresh interval, serving the keys we have meanwhile); an unknown key id refetches the set at most once per
        minimum refresh interval, however many forged ids arrive."""
        settings = self._settings
        known = self._keys.get(kid)
        if known is not None and time.monotonic() - self._fetched_at < settings.jwks_max_age_seconds:
            return known
        async with self._lock:  # concurrent requests share one refresh
            now = time.monotonic()
            if now - self._fetched_at >= settings.jwks_max_age_seconds:
                if now - self._attempted_at >= settings.jwks_min_refresh_seconds:
                    await self._try_refresh()
            elif kid not in self._keys and now - self._unknown_kid_refresh_at >= settings.jwks_min_refresh_seconds:
                self._unknown_kid_refresh_at = now
                await self._try_refresh()
            key = self._keys.get(kid)
        if key is None:
            raise TokenRejected("unknown signing key")
        return key

    async def _try_refresh(self) -> None:
        try:
            await self._refresh()
        except JwksUnavailable as error:
            # Keep serving the keys we have; a key the issuer withdrew goes at the next good refresh.
            log.warning("JWKS refresh failed", extra={"event": {"error": str(error)}})

    async def _refresh(self) -> None:
        assert self._session is not None, "start() first"
        self._attempted_at = time.monotonic()
        self.fetches += 1
        try:
            async with self._session.get(self._settings.jwks_url, allow_redirects=False) as response:
                if response.status != 200:
                    raise JwksUnavailable(f"the issuer answered HTTP {response.status}")
                body = bytearray()
                async for chunk in response.content.iter_chunked(64 * 1024):
                    body += chunk
                    if len(body) > self._settings.jwks_max_bytes:
                        raise JwksUnavailable("the key set is larger than the limit")
            keys = _signing_keys(json.loads(body))
        except JwksUnavailable:
            raise
        except (aiohttp.ClientError, TimeoutError, ValueError, jwt.PyJWKSetError, jwt.PyJWKError) as error:
            raise JwksUnavailable(type(error).__name__) from None
        if not keys:
            raise JwksUnavailable("the key set holds no signing key with a key id")
        self._keys = keys
        self._fetched_at = time.monotonic()


def _signing_keys(document: Any) -> dict[str, jwt.PyJWK]:
    if not isinstance(document, dict):
        raise ValueError("not a JWKS document")
    keys = jwt.PyJWKSet.from_dict(document).keys  # skips keys PyJWT cannot use
    return {key.key_id: key for key in keys if key.key_id and key.public_key_use in (None, "sig")}


class TokenVerifier:
    """Checks ``Authorization`` and ``X-Namespace`` of one request; see the module docstring for the rules."""

    def __init__(self, settings: JwtSettings, keys: JwksCache, namespaces: frozenset[str]) -> None:
        self._settings = settings
        self._keys = keys
        self._namespaces = namespaces

    async def verify(self, authorization: str | None, namespace: str | None) -> None:
        """Returns when the request may proceed; raises :class:`TokenRejected` otherwise."""
        scheme, _, token = (authorization or "").partition(" ")
        if scheme.lower() != "bearer" or not token.strip():
            raise TokenRejected("missing bearer token")
        token = token.strip()
        try:
            header = jwt.get_unverified_header(token)
        except jwt.InvalidTokenError:
            raise TokenRejected("malformed token") from None
        if header.get("alg") not in self._settings.algorithms:
            raise TokenRejected("algorithm not allowed")
        kid = header.get("kid")
        if not isinstance(kid, str) or not kid:
            raise TokenRejected("token names no key id")
        key = await self._keys.key(kid)
        claims = self._decode(token, key)
        if not namespace:
            raise TokenRejected("X-Namespace header is required", status=400)
        if namespace not in self._namespaces:
            raise TokenRejected("namespace not served", status=403)
        if namespace not in granted_namespaces(claims.get(self._settings.namespace_claim)):
            raise TokenRejected("namespace not granted by the token", status=403)

    def _decode(self, token: str, key: jwt.PyJWK) -> dict[str, Any]:
        try:
            claims: dict[str, Any] = jwt.decode(
                token, key, algorithms=list(self._settings.algorithms), audience=self._settings.audience,
                issuer=self._settings.issuer, leeway=self._settings.leeway_seconds,
                options={"require": ["exp", "iss", "aud"], "enforce_minimum_key_length": True},
            )
        except jwt.ExpiredSignatureError:
            raise TokenRejected("token expired") from None
        except jwt.ImmatureSignatureError:
            raise TokenRejected("token not yet valid") from None
        except jwt.InvalidAudienceError:
            raise TokenRejected("wrong audience") from None
        except jwt.InvalidIssuerError:
            raise TokenRejected("wrong issuer") from None
        except jwt.MissingRequiredClaimError:
            raise TokenRejected("token lacks exp, iss or aud") from None
        except jwt.InvalidSignatureError:
            raise TokenRejected("bad signature") from None
        except jwt.InvalidAlgorithmError:
            raise TokenRejected("algorithm does not match the key") from None
        except jwt.InvalidKeyError:  # an RSA key under 2048 bits, or one that does not fit the algorithm
            raise TokenRejected("signing key not accepted") from None
        except jwt.InvalidTokenError:
            raise TokenRejected("malformed token") from None
        return claims


def granted_namespaces(claim: object) -> set[str]:
    """The namespaces a claim value grants (see the module docstring); anything else grants nothing."""
    entries: Iterable[object]
    if isinstance(claim, str):
        entries = claim.split()
    elif isinstance(claim, list):
        entries = claim
    else:
        return set()
    granted: set[str] = set()
    for entry in entries:
        if not isinstance(entry, str):
            continue
        namespace, separator, permission = entry.rpartition(":")
        if not separator:
            granted.add(entry)
        elif permission in TEMPORAL_PERMISSIONS and namespace != "system":
            granted.add(namespace)
    return granted
