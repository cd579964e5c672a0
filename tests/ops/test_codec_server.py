"""Codec server: decode round trip, CORS locked to the UI origin, bearer token, localhost only, no data in errors."""

from __future__ import annotations

import http.client
import json
import threading
from collections.abc import Iterator
from dataclasses import dataclass

import pytest
from google.protobuf import json_format
from temporalio.api.common.v1 import Payload, Payloads

from ops.codec_server import DEFAULT_UI_ORIGIN, LOOPBACK, CodecServerConfig, make_server
from tests.support.temporal import keyring_codec
from workers.codec import is_encrypted

TOKEN = "operator-token-123"
SECRET = b'{"email":"amelia.hartwell@example.com"}'


@dataclass(frozen=True)
class Reply:
    status: int
    headers: dict[str, str]
    body: bytes

    def json(self) -> dict[str, object]:
        document: dict[str, object] = json.loads(self.body)
        return document


@dataclass(frozen=True)
class Server:
    port: int

    def request(self, method: str, path: str, body: bytes | None = None, headers: dict[str, str] | None = None,
                ) -> Reply:
        connection = http.client.HTTPConnection(LOOPBACK, self.port, timeout=10)
        try:
            connection.request(method, path, body=body, headers=headers or {})
            response = connection.getresponse()
            return Reply(response.status, {k.lower(): v for k, v in response.getheaders()}, response.read())
        finally:
            connection.close()

    def post(self, operation: str, payloads: list[Payload], **headers: str) -> Reply:
        body = json_format.MessageToJson(Payloads(payloads=payloads)).encode()
        base = {"Content-Type": "application/json", "Authorization": f"Bearer {TOKEN}"}
        return self.request("POST", f"/{operation}", body, {**base, **headers})


@pytest.fixture(scope="module")
def server() -> Iterator[Server]:
    httpd = make_server(keyring_codec(), CodecServerConfig(token=TOKEN), port=0)
    thread = threading.Thread(target=httpd.serve_forever, daemon=True)
    thread.start()
    try:
        yield Server(httpd.server_port)
    finally:
        httpd.shutdown()
        httpd.server_close()
        thread.join()


def payloads_of(reply: Reply) -> list[Payload]:
    return list(json_format.Parse(reply.body, Payloads()).payloads)


def test_it_listens_on_loopback_only() -> None:
    httpd = make_server(keyring_codec(), CodecServerConfig(), port=0)
    try:
        assert httpd.server_address[0] == "127.0.0.1"
    finally:
        httpd.server_close()


def test_encode_then_decode_round_trips(server: Server) -> None:
    original = Payload(metadata={"encoding": b"json/plain"}, data=SECRET)
    encoded = server.post("encode", [original], Origin=DEFAULT_UI_ORIGIN)
    assert encoded.status == 200
    (envelope,) = payloads_of(encoded)
    assert is_encrypted(envelope) and SECRET not in envelope.data
    decoded = server.post("decode", [envelope], Origin=DEFAULT_UI_ORIGIN)
    assert decoded.status == 200 and payloads_of(decoded) == [original]
    assert decoded.headers["access-control-allow-origin"] == DEFAULT_UI_ORIGIN
    assert decoded.headers["cache-control"] == "no-store"


def test_the_ui_preflight_is_allowed(server: Server) -> None:
    reply = server.request("OPTIONS", "/decode", headers={
        "Origin": DEFAULT_UI_ORIGIN, "Access-Control-Request-Method": "POST",
        "Access-Control-Request-Headers": "content-type,x-namespace"})
    assert reply.status == 204
    assert reply.headers["access-control-allow-origin"] == DEFAULT_UI_ORIGIN
    assert "X-Namespace" in reply.headers["access-control-allow-headers"]


@pytest.mark.parametrize("method", ["OPTIONS", "POST"])
def test_another_origin_is_refused(server: Server, method: str) -> None:
    (envelope,) = keyring_codec().encode_sync([Payload(metadata={"encoding": b"json/plain"}, data=SECRET)])
    if method == "OPTIONS":
        reply = server.request("OPTIONS", "/decode", headers={"Origin": "https://evil.example"})
    else:
        reply = server.post("decode", [envelope], Origin="https://evil.example")
    assert reply.status == 403
    assert "access-control-allow-origin" not in reply.headers
    assert SECRET not in reply.body


def test_a_missing_or_wrong_token_is_refused(server: Server) -> None:
    (envelope,) = keyring_codec().encode_sync([Payload(metadata={"encoding": b"json/plain"}, data=SECRET)])
    for authorization in ("", "Bearer wrong", TOKEN):
        reply = server.post("decode", [envelope], Authorization=authorization)
        assert reply.status == 401 and SECRET not in reply.body


def test_a_foreign_host_header_is_refused(server: Server) -> None:
    """A DNS-rebinding page reaches 127.0.0.1 under its own host name."""
    reply = server.post("decode", [], Host="attacker.example")
    assert reply.status == 403


def test_undecodable_payloads_get_the_codec_error_not_data(server: Server) -> None:
    reply = server.post("decode", [Payload(metadata={"encoding": b"json/plain"}, data=SECRET)])
    assert reply.status == 422
    assert "binary/encrypted" in str(reply.json()["error"]) and SECRET not in reply.body


def test_bad_requests(server: Server) -> None:
    auth = {"Authorization": f"Bearer {TOKEN}", "Content-Type": "application/json"}
    assert server.request("POST", "/decode", b"not json", auth).status == 400
    assert server.request("POST", "/other", b"{}", auth).status == 404
    # Refused from the declared length, before the body is read.
    oversized = {**auth, "Content-Length": str(4 * 1024 * 1024 + 1)}
    assert server.request("POST", "/decode", b"{}", oversized).status == 413
