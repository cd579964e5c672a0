"""Codec server, jwt mode: HTTPS with a throw-away CA, access tokens from a local issuer (RSA keys generated here, a
JWKS endpoint on an aiohttp test server). Each test is a real request to a real server: a valid token decodes; every
kind of bad token, and every namespace mismatch, is refused with a reason code and no data; the key set is cached,
refreshed on an unknown key id at most once per interval, and after its maximum age."""

from __future__ import annotations

import asyncio
import json
import logging
import time
from collections.abc import AsyncIterator, Callable
from dataclasses import replace
from pathlib import Path
from typing import Any

import aiohttp
import jwt
import pytest
from cryptography.hazmat.primitives.asymmetric import rsa
from jwt.warnings import InsecureKeyLengthWarning

from ops.codec_server import CodecServer, CodecServerConfig, ConfigError, JwtSettings, Mode, StartError
from tests.support.codec_server import (
    SECRET,
    Issuer,
    TlsFiles,
    make_tls_files,
    plain_payload,
    post_payloads,
    request,
)
from tests.support.temporal import keyring_codec

CLOUD_UI = "https://cloud.temporal.io"
NAMESPACE = "default"


@pytest.fixture(scope="module")
def tls(tmp_path_factory: pytest.TempPathFactory) -> TlsFiles:
    return make_tls_files(tmp_path_factory.mktemp("tls"))


@pytest.fixture
async def issuer() -> AsyncIterator[Issuer]:
    issuer = Issuer()
    issuer.add_key()
    await issuer.start()
    yield issuer
    await issuer.close()


def jwt_config(issuer: Issuer, tls: TlsFiles, **jwt_overrides: Any) -> CodecServerConfig:
    settings = JwtSettings(issuer=issuer.name, jwks_url=issuer.jwks_url, audience=issuer.audience)
    return CodecServerConfig(mode=Mode.JWT, port=0, allowed_origin=CLOUD_UI, namespaces=frozenset({NAMESPACE}),
                             jwt=replace(settings, **jwt_overrides), tls_cert_file=tls.cert_file,
                             tls_key_file=tls.key_file)


@pytest.fixture
async def server(issuer: Issuer, tls: TlsFiles) -> AsyncIterator[CodecServer]:
    async with CodecServer(keyring_codec(), jwt_config(issuer, tls)) as running:
        yield running


def envelope() -> Any:
    (sealed,) = keyring_codec().encode_sync([plain_payload()])
    return sealed


async def decode(server: CodecServer, tls: TlsFiles, token: str | None, namespace: str | None = NAMESPACE,
                 ) -> Any:
    headers = {"Origin": CLOUD_UI}
    if token is not None:
        headers["Authorization"] = f"Bearer {token}"
    if namespace is not None:
        headers["X-Namespace"] = namespace
    return await post_payloads(server.url, "decode", [envelope()], headers, ssl_context=tls.client_context())


async def test_a_valid_token_decodes_over_https(server: CodecServer, issuer: Issuer, tls: TlsFiles) -> None:
    reply = await decode(server, tls, issuer.token())
    assert server.url.startswith("https://127.0.0.1:")
    assert reply.status == 200 and reply.payloads() == [plain_payload()]
    assert reply.headers["access-control-allow-origin"] == CLOUD_UI and reply.headers["cache-control"] == "no-store"


async def test_plain_http_gets_no_answer(server: CodecServer, issuer: Issuer) -> None:
    with pytest.raises(aiohttp.ClientError):
        await post_payloads(server.url.replace("https://", "http://"), "decode", [envelope()],
                            {"Authorization": f"Bearer {issuer.token()}", "X-Namespace": NAMESPACE})


async def test_the_pass_access_token_preflight_is_allowed(server: CodecServer, tls: TlsFiles) -> None:
    """What the UI asks before it sends the token: no credential is needed for the preflight itself."""
    reply = await request("OPTIONS", f"{server.url}/decode", ssl_context=tls.client_context(), headers={
        "Origin": CLOUD_UI, "Access-Control-Request-Method": "POST",
        "Access-Control-Request-Headers": "authorization,authorization-extras,content-type,x-namespace"})
    assert reply.status == 204 and reply.headers["access-control-allow-origin"] == CLOUD_UI


def _other_key() -> rsa.RSAPrivateKey:
    return rsa.generate_private_key(public_exponent=65537, key_size=2048)


def _unsigned(issuer: Issuer, algorithm: str, key: Any) -> str:
    now = int(time.time())
    claims = {"iss": issuer.name, "aud": issuer.audience, "exp": now + 300, "permissions": ["default:read"]}
    return jwt.encode(claims, key, algorithm=algorithm, headers={"kid": next(iter(issuer.keys))})


BAD_TOKENS: dict[str, tuple[Callable[[Issuer], str | None], int, str]] = {
    "no token": (lambda i: None, 401, "missing bearer token"),
    "not a JWT": (lambda i: "not-a-jwt", 401, "malformed token"),
    "expired beyond the leeway": (lambda i: i.token(lifetime=-120), 401, "token expired"),
    "not yet valid": (lambda i: i.token(nbf=int(time.time()) + 600), 401, "token not yet valid"),
    "wrong audience": (lambda i: i.token(aud="another-service"), 401, "wrong audience"),
    "wrong issuer": (lambda i: i.token(iss="https://evil.example/"), 401, "wrong issuer"),
    "no expiry": (lambda i: i.token(exp=None), 401, "token lacks exp, iss or aud"),
    "no audience": (lambda i: i.token(aud=None), 401, "token lacks exp, iss or aud"),
    "signed by a key not in the set": (lambda i: i.token(key=_other_key()), 401, "bad signature"),
    "HS256 with the public key as secret": (lambda i: _unsigned(i, "HS256", "secret-" * 8), 401,
                                            "algorithm not allowed"),
    "alg none": (lambda i: _unsigned(i, "none", None), 401, "algorithm not allowed"),
    "PS256 when only RS256 is allowed": (lambda i: i.token(algorithm="PS256"), 401, "algorithm not allowed"),
    "no key id": (lambda i: jwt.encode({"iss": i.name, "aud": i.audience, "exp": int(time.time()) + 300},
                                       next(iter(i.keys.values())), algorithm="RS256"), 401, "token names no key id"),
    "unknown key id": (lambda i: i.token(kid="never-published"), 401, "unknown signing key"),
    "no namespace claim": (lambda i: i.token(permissions=None), 403, "namespace not granted by the token"),
    "another namespace": (lambda i: i.token(permissions=["payments:admin"]), 403,
                          "namespace not granted by the token"),
    "system-wide admin": (lambda i: i.token(permissions=["system:admin"]), 403,
                          "namespace not granted by the token"),
    "unknown permission": (lambda i: i.token(permissions=["default:owner"]), 403,
                           "namespace not granted by the token"),
}


@pytest.mark.parametrize("case", list(BAD_TOKENS))
async def test_a_bad_token_is_refused_with_its_reason_and_no_data(
    case: str, server: CodecServer, issuer: Issuer, tls: TlsFiles, caplog: pytest.LogCaptureFixture,
) -> None:
    make, status, reason = BAD_TOKENS[case]
    token = make(issuer)
    caplog.set_level(logging.DEBUG)
    reply = await decode(server, tls, token)
    assert (reply.status, reply.json()) == (status, {"error": reason})
    assert SECRET not in reply.body
    assert reply.headers["access-control-allow-origin"] == CLOUD_UI  # the UI can read the refusal
    logged = "\n".join(r.getMessage() + json.dumps(getattr(r, "event", {})) for r in caplog.records)
    assert f'"reason": "{reason}"' in logged
    if token:
        assert all(part not in logged for part in token.split(".") if len(part) > 8)


async def test_a_key_under_2048_bits_is_not_accepted(server: CodecServer, issuer: Issuer, tls: TlsFiles) -> None:
    weak = rsa.generate_private_key(public_exponent=65537, key_size=1024)
    kid = issuer.add_key()
    issuer.keys[kid] = weak  # published in the issuer's JWKS; fetched on this unknown key id
    with pytest.warns(InsecureKeyLengthWarning):  # PyJWT signs with it, but warns
        token = issuer.token(kid=kid)
    reply = await decode(server, tls, token)
    assert (reply.status, reply.json()) == (401, {"error": "signing key not accepted"})


async def test_the_namespace_header_is_required_and_checked(server: CodecServer, issuer: Issuer,
                                                            tls: TlsFiles) -> None:
    missing = await decode(server, tls, issuer.token(), namespace=None)
    assert (missing.status, missing.json()) == (400, {"error": "X-Namespace header is required"})
    granted_but_not_served = await decode(server, tls, issuer.token(permissions=["payments:read"]),
                                          namespace="payments")
    assert (granted_but_not_served.status, granted_but_not_served.json()) == (403, {"error": "namespace not served"})


@pytest.mark.parametrize("claim", [["default:read"], ["payments:admin", "default:worker"], "default:write other:read",
                                   ["default"]])
async def test_the_claim_forms_that_grant_the_namespace(claim: object, server: CodecServer, issuer: Issuer,
                                                        tls: TlsFiles) -> None:
    reply = await decode(server, tls, issuer.token(permissions=claim))
    assert reply.status == 200 and reply.payloads() == [plain_payload()]


async def test_the_namespace_claim_name_is_configurable(issuer: Issuer, tls: TlsFiles) -> None:
    claim = "https://example.com/temporal-namespaces"
    async with CodecServer(keyring_codec(), jwt_config(issuer, tls, namespace_claim=claim)) as server:
        token = issuer.token(extra_claims={claim: [NAMESPACE]}, permissions=None)
        assert (await decode(server, tls, token)).status == 200
        assert (await decode(server, tls, issuer.token())).status == 403  # `permissions` is not read any more


async def test_the_key_set_is_fetched_once_for_many_requests(server: CodecServer, issuer: Issuer,
                                                             tls: TlsFiles) -> None:
    replies = await asyncio.gather(*(decode(server, tls, issuer.token()) for _ in range(20)))
    assert [r.status for r in replies] == [200] * 20
    assert issuer.fetches == 1  # at start, none per request


async def test_unknown_key_ids_refresh_the_set_at_most_once_per_interval(server: CodecServer, issuer: Issuer,
                                                                         tls: TlsFiles) -> None:
    replies = [await decode(server, tls, issuer.token(kid=f"forged-{n}")) for n in range(10)]
    assert {(r.status, r.json()["error"]) for r in replies} == {(401, "unknown signing key")}
    assert issuer.fetches == 2  # the start, then one refresh for the first unknown id; the rest within 30 s


async def test_a_rotated_signing_key_is_picked_up_with_one_refresh(server: CodecServer, issuer: Issuer,
                                                                   tls: TlsFiles) -> None:
    new_kid = issuer.add_key()
    first = await decode(server, tls, issuer.token(kid=new_kid))
    again = await decode(server, tls, issuer.token(kid=new_kid))
    assert (first.status, again.status) == (200, 200)
    assert issuer.fetches == 2


async def test_a_set_older_than_its_maximum_age_is_refetched(issuer: Issuer, tls: TlsFiles) -> None:
    config = jwt_config(issuer, tls, jwks_max_age_seconds=1.0, jwks_min_refresh_seconds=0.5)
    async with CodecServer(keyring_codec(), config) as server:
        assert (await decode(server, tls, issuer.token())).status == 200
        assert issuer.fetches == 1
        await asyncio.sleep(1.2)
        assert (await decode(server, tls, issuer.token())).status == 200
        assert issuer.fetches == 2


async def test_a_withdrawn_key_is_refused_after_the_next_refresh(issuer: Issuer, tls: TlsFiles) -> None:
    config = jwt_config(issuer, tls, jwks_max_age_seconds=1.0, jwks_min_refresh_seconds=0.5)
    async with CodecServer(keyring_codec(), config) as server:
        old_kid = next(iter(issuer.keys))
        token = issuer.token(kid=old_kid)
        issuer.add_key()
        del issuer.keys[old_kid]
        assert (await decode(server, tls, token)).status == 200  # still cached
        await asyncio.sleep(1.2)
        assert (await decode(server, tls, token)).status == 401


async def test_start_fails_clearly_when_the_key_set_cannot_be_fetched(issuer: Issuer, tls: TlsFiles) -> None:
    config = jwt_config(issuer, tls)
    assert config.jwt is not None
    await issuer.close()  # nothing listens at the JWKS URL any more
    with pytest.raises(StartError, match="--jwks-url") as refused:
        await CodecServer(keyring_codec(), config).start()
    assert config.jwt.jwks_url not in str(refused.value) and "127.0.0.1" not in str(refused.value)


async def test_a_large_key_set_within_the_limit_is_read_whole(issuer: Issuer, tls: TlsFiles) -> None:
    issuer.padding_bytes = 200 * 1024  # arrives in many chunks; the limit is 256 KiB
    async with CodecServer(keyring_codec(), jwt_config(issuer, tls)) as server:
        assert (await decode(server, tls, issuer.token())).status == 200


@pytest.mark.parametrize(("status", "padding", "cause"), [
    (500, 0, "the issuer answered HTTP 500"), (200, 300 * 1024, "the key set is larger than the limit")])
async def test_start_fails_on_a_failing_or_oversized_key_set(issuer: Issuer, tls: TlsFiles, status: int,
                                                              padding: int, cause: str) -> None:
    issuer.status, issuer.padding_bytes = status, padding
    with pytest.raises(StartError, match="--jwks-url") as refused:
        await CodecServer(keyring_codec(), jwt_config(issuer, tls)).start()
    assert cause in str(refused.value)


def _settings(**overrides: Any) -> JwtSettings:
    values: dict[str, Any] = {"issuer": "https://issuer.example/", "jwks_url": "https://issuer.example/jwks",
                              "audience": "codec", **overrides}
    return JwtSettings(**values)


CONFIG_ERRORS: dict[str, tuple[Callable[[Path], object], str, str]] = {
    "http JWKS to a remote host": (lambda _: _settings(jwks_url="http://jwks.internal.example/keys"), "--jwks-url",
                                   "jwks.internal.example"),
    "a symmetric algorithm": (lambda _: _settings(algorithms=("HS256",)), "--jwt-algorithm", "HS256"),
    "no audience": (lambda _: _settings(audience=""), "--jwt-audience", "issuer.example"),
    "jwt mode without TLS": (lambda _: CodecServerConfig(mode=Mode.JWT, jwt=_settings(),
                                                          namespaces=frozenset({"default"})), "--tls-cert", "issuer"),
    "jwt mode without namespaces": (lambda p: CodecServerConfig(mode=Mode.JWT, jwt=_settings(), tls_cert_file=p,
                                                                 tls_key_file=p), "--namespace", "server.pem"),
    "the static token in jwt mode": (lambda p: CodecServerConfig(
        mode=Mode.JWT, jwt=_settings(), tls_cert_file=p, tls_key_file=p, namespaces=frozenset({"default"}),
        token="a-static-token-0123456789"), "CODEC_SERVER_TOKEN", "a-static-token-0123456789"),
    "a short static token": (lambda _: CodecServerConfig(token="short-secret"), "CODEC_SERVER_TOKEN", "short-secret"),
    "TLS files in loopback mode": (lambda p: CodecServerConfig(tls_cert_file=p, tls_key_file=p), "--tls-cert",
                                   "server.pem"),
    "an origin with a path": (lambda _: CodecServerConfig(allowed_origin="https://ui.example/secret-path"),
                              "--ui-origin", "secret-path"),
}


@pytest.mark.parametrize("case", list(CONFIG_ERRORS))
def test_configuration_errors_name_the_setting_never_its_value(case: str, tmp_path: Path) -> None:
    build, setting, value = CONFIG_ERRORS[case]
    with pytest.raises(ConfigError) as refused:
        build(tmp_path / "server.pem")
    assert setting in str(refused.value) and value not in str(refused.value)


async def test_unloadable_tls_files_are_named_not_quoted(issuer: Issuer, tmp_path: Path) -> None:
    broken = tmp_path / "broken.pem"
    broken.write_text("-----BEGIN CERTIFICATE-----\nAmelia Hartwell\n-----END CERTIFICATE-----\n")
    files = TlsFiles(broken, broken, broken)
    with pytest.raises(ConfigError, match="--tls-cert/--tls-key") as refused:
        await CodecServer(keyring_codec(), jwt_config(issuer, files)).start()
    assert "Amelia" not in str(refused.value) and str(broken) not in str(refused.value)
