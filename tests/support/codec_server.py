"""Helpers for the codec server tests: real HTTP(S) requests, a throw-away certificate authority, and a local token
issuer (RSA keys, a JWKS endpoint on an aiohttp test server, tokens minted with PyJWT).

Nothing here is a stand-in for the server under test: the tests start the real server (in process or as
``python -m ops.codec_server``) and talk to it over sockets.
"""

from __future__ import annotations

import datetime
import ipaddress
import json
import ssl
import subprocess
import sys
import time
import uuid
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import aiohttp
import jwt
from aiohttp import web
from aiohttp.test_utils import TestServer
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec, rsa
from cryptography.x509.oid import NameOID
from google.protobuf import json_format
from temporalio.api.common.v1 import Payload, Payloads

from local.processes import free_port, spawn, stop
from local.temporal import clean_environment

# An applicant-like value that must never reach a log, an error or an answer unless decoded on purpose.
SECRET_NAME = "Amelia Hartwell"
SECRET = json.dumps({"full_name": SECRET_NAME, "email": "amelia.hartwell@example.com"}).encode()


def plain_payload(data: bytes = SECRET) -> Payload:
    return Payload(metadata={"encoding": b"json/plain"}, data=data)


def payloads_body(payloads: list[Payload]) -> bytes:
    return json_format.MessageToJson(Payloads(payloads=payloads)).encode()


@dataclass(frozen=True)
class Reply:
    status: int
    headers: dict[str, str]
    body: bytes

    def json(self) -> dict[str, Any]:
        document: dict[str, Any] = json.loads(self.body)
        return document

    def payloads(self) -> list[Payload]:
        return list(json_format.Parse(self.body, Payloads()).payloads)


async def request(method: str, url: str, *, body: bytes | None = None, headers: dict[str, str] | None = None,
                  ssl_context: ssl.SSLContext | None = None) -> Reply:
    """One request on a fresh connection (aiohttp client); headers as given, Host included when given."""
    async with aiohttp.ClientSession(timeout=aiohttp.ClientTimeout(total=30)) as session, session.request(
        method, url, data=body, headers=headers or {}, ssl=ssl_context if ssl_context is not None else True,
    ) as response:
        return Reply(response.status, {k.lower(): v for k, v in response.headers.items()}, await response.read())


async def post_payloads(base_url: str, operation: str, payloads: list[Payload],
                        headers: Mapping[str, str] | None = None, *,
                        ssl_context: ssl.SSLContext | None = None) -> Reply:
    """``POST <base_url>/<operation>`` with protobuf-JSON ``Payloads``, as the UI sends it, plus ``headers``."""
    return await request("POST", f"{base_url}/{operation}", body=payloads_body(payloads),
                         headers={"Content-Type": "application/json", **(headers or {})}, ssl_context=ssl_context)


# -- TLS ---------------------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class TlsFiles:
    """A throw-away CA and a server certificate for 127.0.0.1 and localhost, as PEM files."""

    ca_file: Path
    cert_file: Path
    key_file: Path

    def client_context(self) -> ssl.SSLContext:
        return ssl.create_default_context(cafile=str(self.ca_file))


def make_tls_files(directory: Path) -> TlsFiles:
    now = datetime.datetime.now(datetime.UTC)
    ca_key = ec.generate_private_key(ec.SECP256R1())
    ca_name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "codec server test CA (TEST ONLY)")])
    ca = (x509.CertificateBuilder().subject_name(ca_name).issuer_name(ca_name).public_key(ca_key.public_key())
          .serial_number(x509.random_serial_number()).not_valid_before(now - datetime.timedelta(minutes=5))
          .not_valid_after(now + datetime.timedelta(days=1))
          .add_extension(x509.BasicConstraints(ca=True, path_length=0), critical=True)
          .sign(ca_key, hashes.SHA256()))
    key = ec.generate_private_key(ec.SECP256R1())
    cert = (x509.CertificateBuilder()
            .subject_name(x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "localhost")]))
            .issuer_name(ca_name).public_key(key.public_key()).serial_number(x509.random_serial_number())
            .not_valid_before(now - datetime.timedelta(minutes=5)).not_valid_after(now + datetime.timedelta(days=1))
            .add_extension(x509.SubjectAlternativeName([x509.DNSName("localhost"),
                                                        x509.IPAddress(ipaddress.ip_address("127.0.0.1"))]),
                           critical=False)
            .sign(ca_key, hashes.SHA256()))
    files = TlsFiles(directory / "ca.pem", directory / "server.pem", directory / "server-key.pem")
    files.ca_file.write_bytes(ca.public_bytes(serialization.Encoding.PEM))
    files.cert_file.write_bytes(cert.public_bytes(serialization.Encoding.PEM))
    files.key_file.write_bytes(key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
                                                 serialization.NoEncryption()))
    files.key_file.chmod(0o600)
    return files


# -- a local token issuer ----------------------------------------------------------------------------------------


@dataclass
class Issuer:
    """RSA signing keys published as a JWKS on a local aiohttp server; counts the fetches it answers."""

    name: str = "https://issuer.test.invalid/"
    audience: str = "temporal-codec"
    keys: dict[str, rsa.RSAPrivateKey] = field(default_factory=dict)
    fetches: int = 0
    server: TestServer | None = None
    status: int = 200  # what the JWKS endpoint answers
    padding_bytes: int = 0  # an extra top-level member, to make the document large

    def add_key(self) -> str:
        kid = f"key-{uuid.uuid4().hex[:8]}"
        self.keys[kid] = rsa.generate_private_key(public_exponent=65537, key_size=2048)
        return kid

    def jwks(self) -> dict[str, Any]:
        published = []
        for kid, key in self.keys.items():
            jwk = json.loads(jwt.algorithms.RSAAlgorithm.to_jwk(key.public_key()))
            published.append({**jwk, "kid": kid, "use": "sig", "alg": "RS256"})
        document: dict[str, Any] = {"keys": published}
        if self.padding_bytes:
            document["x-padding"] = "x" * self.padding_bytes
        return document

    @property
    def jwks_url(self) -> str:
        assert self.server is not None, "start() first"
        return str(self.server.make_url("/.well-known/jwks.json"))

    async def start(self) -> None:
        async def jwks(_: web.Request) -> web.Response:
            self.fetches += 1
            return web.json_response(self.jwks(), status=self.status)

        app = web.Application()
        app.router.add_get("/.well-known/jwks.json", jwks)
        self.server = TestServer(app, host="127.0.0.1")
        await self.server.start_server()

    async def close(self) -> None:
        if self.server is not None:
            await self.server.close()

    def token(self, *, kid: str | None = None, key: rsa.RSAPrivateKey | None = None, lifetime: float = 300,
              headers: dict[str, Any] | None = None, algorithm: str = "RS256",
              extra_claims: dict[str, Any] | None = None, **claims: Any) -> str:
        """A signed access token; ``claims`` and ``extra_claims`` (names that are no identifier) override the
        defaults (None removes one)."""
        kid = kid or next(iter(self.keys))
        now = int(time.time())
        body: dict[str, Any] = {"iss": self.name, "aud": self.audience, "sub": "operator-1", "iat": now,
                                "exp": now + int(lifetime), "permissions": ["default:read"]}
        body.update(claims)
        body.update(extra_claims or {})
        body = {name: value for name, value in body.items() if value is not None}
        signing_key = key or self.keys.get(kid) or next(iter(self.keys.values()))
        return jwt.encode(body, signing_key, algorithm=algorithm, headers={"kid": kid, **(headers or {})})


# -- the server as an operator runs it ---------------------------------------------------------------------------


@dataclass(frozen=True)
class CodecServerProcess:
    """``python -m ops.codec_server`` as a child process; its stdout and stderr go to one file."""

    process: subprocess.Popen[bytes]
    log_file: Path
    port: int

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def output(self) -> str:
        return self.log_file.read_text(encoding="utf-8", errors="replace")


def codec_server_argv(*args: str) -> list[str]:
    return [sys.executable, "-m", "ops.codec_server", *args]


@contextmanager
def codec_server_process(workdir: Path, env: Mapping[str, str], *args: str, port: int | None = None,
                         timeout_seconds: float = 90) -> Iterator[CodecServerProcess]:
    """Start the server with ``env`` (plus PATH and the like) and ``args``; yields once it logs that it listens."""
    port = port or free_port()
    log_file = workdir / f"codec-server-{port}-{uuid.uuid4().hex[:6]}.log"
    process = spawn(codec_server_argv("--port", str(port), *args), env={**clean_environment(), **env},
                    log_file=log_file)
    try:
        deadline = time.monotonic() + timeout_seconds
        while "codec server listening" not in log_file.read_text(encoding="utf-8", errors="replace"):
            if process.poll() is not None:
                raise AssertionError(f"the codec server exited with status {process.returncode}; see {log_file}")
            if time.monotonic() > deadline:
                raise AssertionError(f"the codec server did not start; see {log_file}")
            time.sleep(0.05)
        yield CodecServerProcess(process, log_file, port)
    finally:
        stop(process)
