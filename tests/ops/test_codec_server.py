"""Codec server, loopback mode, each test a real request to a real server on 127.0.0.1: decode round trip, the UI's
request shape, CORS locked to the UI origin, the static token, localhost only, every refusal, and logs that hold
no client data."""

from __future__ import annotations

import asyncio
import json
import logging
from collections.abc import AsyncIterator
from datetime import date
from pathlib import Path

import pytest

from onboarding.steps import assess_risk, needs_review, validate
from ops.codec_server import (
    DEFAULT_UI_ORIGIN,
    LOOPBACK,
    CodecServer,
    CodecServerConfig,
    ConfigError,
    Limits,
)
from tests.support.codec_server import SECRET, SECRET_NAME, plain_payload, post_payloads, request
from tests.support.temporal import keyring_codec
from workers.codec import is_encrypted

TOKEN = "operator-token-123"
AUTH = {"Authorization": f"Bearer {TOKEN}"}
SAMPLE_APPLICATION = Path(__file__).resolve().parents[2] / "ops" / "sample-application.json"


@pytest.fixture(scope="module")
async def server() -> AsyncIterator[CodecServer]:
    async with CodecServer(keyring_codec(), CodecServerConfig(token=TOKEN, port=0)) as running:
        yield running


async def raw_exchange(port: int, data: bytes, *, timeout: float = 10) -> bytes:
    """Send raw bytes, read until the server closes (or the timeout)."""
    reader, writer = await asyncio.open_connection(LOOPBACK, port)
    try:
        writer.write(data)
        await writer.drain()
        return await asyncio.wait_for(reader.read(), timeout)
    finally:
        writer.close()


def test_loopback_mode_listens_on_127_0_0_1_only() -> None:
    with pytest.raises(ConfigError, match="--bind") as refused:
        CodecServerConfig(host="0.0.0.0", port=0)
    assert "0.0.0.0" not in str(refused.value)


async def test_it_binds_127_0_0_1(server: CodecServer) -> None:
    assert server.url == f"http://127.0.0.1:{server.port}" and server.port > 0


async def test_encode_then_decode_round_trips(server: CodecServer) -> None:
    encoded = await post_payloads(server.url, "encode", [plain_payload()], {"Origin": DEFAULT_UI_ORIGIN, **AUTH})
    assert encoded.status == 200
    (envelope,) = encoded.payloads()
    assert is_encrypted(envelope) and SECRET not in envelope.data
    decoded = await post_payloads(server.url, "decode", [envelope], {"Origin": DEFAULT_UI_ORIGIN, **AUTH})
    assert decoded.status == 200 and decoded.payloads() == [plain_payload()]
    assert decoded.headers["access-control-allow-origin"] == DEFAULT_UI_ORIGIN
    assert decoded.headers["cache-control"] == "no-store"


async def test_the_ui_request_shape_is_served(server: CodecServer) -> None:
    """UI 2.54.1 posts to ``<endpoint>/decode?preserveStorageRefs=true`` with ``X-Namespace``; an endpoint may
    carry a path prefix."""
    (envelope,) = keyring_codec().encode_sync([plain_payload()])
    reply = await post_payloads(f"{server.url}/codec/default", "decode?preserveStorageRefs=true", [envelope],
                                {"Origin": DEFAULT_UI_ORIGIN, "X-Namespace": "default", **AUTH})
    assert reply.status == 200 and reply.payloads() == [plain_payload()]


async def test_the_ui_preflight_is_allowed(server: CodecServer) -> None:
    reply = await request("OPTIONS", f"{server.url}/decode", headers={
        "Origin": DEFAULT_UI_ORIGIN, "Access-Control-Request-Method": "POST",
        "Access-Control-Request-Headers": "authorization,authorization-extras,content-type,x-namespace"})
    assert reply.status == 204
    assert reply.headers["access-control-allow-origin"] == DEFAULT_UI_ORIGIN
    allowed = {h.strip().lower() for h in reply.headers["access-control-allow-headers"].split(",")}
    assert {"authorization", "authorization-extras", "content-type", "x-namespace"} <= allowed
    assert "access-control-allow-private-network" not in reply.headers


async def test_a_private_network_preflight_is_answered(server: CodecServer) -> None:
    """Chromium asks before a public page (the Cloud UI) calls a local address."""
    reply = await request("OPTIONS", f"{server.url}/decode", headers={
        "Origin": DEFAULT_UI_ORIGIN, "Access-Control-Request-Method": "POST",
        "Access-Control-Request-Private-Network": "true"})
    assert reply.status == 204 and reply.headers["access-control-allow-private-network"] == "true"


@pytest.mark.parametrize("method", ["OPTIONS", "POST"])
async def test_another_origin_is_refused(server: CodecServer, method: str) -> None:
    (envelope,) = keyring_codec().encode_sync([plain_payload()])
    if method == "OPTIONS":
        reply = await request("OPTIONS", f"{server.url}/decode", headers={"Origin": "https://evil.example"})
    else:
        reply = await post_payloads(server.url, "decode", [envelope], {"Origin": "https://evil.example", **AUTH})
    assert reply.status == 403
    assert "access-control-allow-origin" not in reply.headers
    assert SECRET not in reply.body


async def test_a_preflight_without_origin_is_refused(server: CodecServer) -> None:
    assert (await request("OPTIONS", f"{server.url}/decode")).status == 403


async def test_a_missing_or_wrong_token_is_refused(server: CodecServer) -> None:
    (envelope,) = keyring_codec().encode_sync([plain_payload()])
    for authorization in ("", "Bearer wrong", TOKEN, f"Basic {TOKEN}"):
        reply = await post_payloads(server.url, "decode", [envelope], {"Authorization": authorization})
        assert reply.status == 401 and SECRET not in reply.body
        assert reply.headers["www-authenticate"] == "Bearer"


async def test_without_a_token_configured_no_credential_is_needed() -> None:
    """The dev UI's mode: it sends no Authorization header to an http:// endpoint."""
    (envelope,) = keyring_codec().encode_sync([plain_payload()])
    async with CodecServer(keyring_codec(), CodecServerConfig(port=0)) as open_server:
        reply = await post_payloads(open_server.url, "decode", [envelope], {"Origin": DEFAULT_UI_ORIGIN})
    assert reply.status == 200 and reply.payloads() == [plain_payload()]


async def test_a_foreign_host_header_is_refused(server: CodecServer) -> None:
    """A DNS-rebinding page reaches 127.0.0.1 under its own host name."""
    reply = await post_payloads(server.url, "decode", [], {"Host": "attacker.example", **AUTH})
    assert reply.status == 403
    for host in (f"localhost:{server.port}", f"127.0.0.1:{server.port}", "localhost"):
        assert (await post_payloads(server.url, "decode", [], {"Host": host, **AUTH})).status == 200


async def test_undecodable_payloads_get_the_codec_error_not_data(server: CodecServer) -> None:
    reply = await post_payloads(server.url, "decode", [plain_payload()], AUTH)
    assert reply.status == 422
    assert "binary/encrypted" in str(reply.json()["error"]) and SECRET not in reply.body


async def test_bad_requests(server: CodecServer) -> None:
    headers = {**AUTH, "Content-Type": "application/json"}
    not_payloads = json.dumps({"payloads": [{"data": SECRET_NAME}]}).encode()
    for body in (b"not json " + SECRET, not_payloads, b"\xff\xfe" + SECRET):
        reply = await request("POST", f"{server.url}/decode", body=body, headers=headers)
        assert reply.status == 400 and reply.json() == {"error": "the body must be protobuf-JSON Payloads"}
    assert (await request("POST", f"{server.url}/other", body=b"{}", headers=headers)).status == 404
    assert (await request("POST", f"{server.url}/download", body=b"{}", headers=headers)).status == 404
    not_allowed = await request("GET", f"{server.url}/decode", headers=headers)
    assert not_allowed.status == 405 and not_allowed.headers["allow"] == "POST, OPTIONS"


async def test_a_chunked_body_needs_a_length(server: CodecServer) -> None:
    head = (f"POST /decode HTTP/1.1\r\nHost: 127.0.0.1\r\nAuthorization: Bearer {TOKEN}\r\n"
            "Transfer-Encoding: chunked\r\n\r\n2\r\n{}\r\n0\r\n\r\n").encode()
    answer = await raw_exchange(server.port, head)
    assert answer.startswith(b"HTTP/1.1 411 ")


async def test_an_oversized_body_is_refused_from_its_declared_length(server: CodecServer) -> None:
    """Refused before any of the body is read: the head alone gets the answer, and the connection is closed."""
    head = (f"POST /decode HTTP/1.1\r\nHost: 127.0.0.1\r\nAuthorization: Bearer {TOKEN}\r\n"
            f"Content-Length: {Limits().max_body_bytes + 1}\r\n\r\n").encode()
    answer = await raw_exchange(server.port, head)
    assert answer.startswith(b"HTTP/1.1 413 ") and b"Connection: close" in answer


async def test_logs_hold_method_operation_and_status_only(server: CodecServer,
                                                          caplog: pytest.LogCaptureFixture) -> None:
    """The client chooses the path, headers and body: none of it may reach a log."""
    caplog.set_level(logging.DEBUG)
    (envelope,) = keyring_codec().encode_sync([plain_payload()])
    nosy = {"X-Namespace": SECRET_NAME, "Origin": DEFAULT_UI_ORIGIN, **AUTH}
    await post_payloads(f"{server.url}/{SECRET_NAME.replace(' ', '')}", "decode", [envelope], nosy)
    await request("POST", f"{server.url}/decode", body=b"{" + SECRET, headers=AUTH)
    await request("POST", f"{server.url}/{SECRET_NAME.replace(' ', '')}", body=SECRET, headers=AUTH)
    await post_payloads(server.url, "decode", [envelope], {"Authorization": f"Bearer {SECRET_NAME}"})
    await raw_exchange(server.port, f"{SECRET_NAME} /decode HTTP/1.1\r\n\r\n".encode())
    records = [r for r in caplog.records if r.name.startswith(("ops.codec_server", "aiohttp", "asyncio"))]
    assert len(records) >= 5
    for record in records:
        text = record.getMessage() + json.dumps(getattr(record, "event", {})) + str(record.exc_info)
        assert SECRET_NAME not in text and SECRET_NAME.replace(" ", "") not in text
        assert record.exc_info is None
    events = [r.event for r in records if r.getMessage() == "request"]  # type: ignore[attr-defined]
    assert {"method": "POST", "operation": "decode", "status": 200} in events
    assert all(set(event) <= {"method", "operation", "status", "reason"} for event in events)


def test_the_sample_application_is_valid_and_waits_for_review() -> None:
    """The README's sample submission (synthetic) passes validation today and stops at manual review, so its
    history can be read in the UI while the workflow waits."""
    raw = json.loads(SAMPLE_APPLICATION.read_text(encoding="utf-8"))
    application = validate(raw, today=date.today())
    assert needs_review(assess_risk(application, today=date.today()))
