"""The codec server as an operator runs it (``python -m ops.codec_server``, a child process whose stdout and stderr
are read back), under the faults found when it was a hand-written ``http.server`` handler:

- a malformed body whose client resets the connection printed a stack trace quoting the body;
- a garbage request line got no answer and an ``AttributeError`` trace;
- a second server on a busy port died with a raw traceback;
- connections that promise a body and never send it each held a thread forever.

Each test asserts on what the server wrote (no submitted text, no traceback) and on what the client saw.
"""

from __future__ import annotations

import asyncio
import json
import os
import socket
import struct
import subprocess
import threading
import time
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import pytest

from local.temporal import clean_environment
from ops.codec_server import LOOPBACK
from tests.support.codec_server import (
    SECRET,
    SECRET_NAME,
    CodecServerProcess,
    Issuer,
    codec_server_argv,
    codec_server_process,
    make_tls_files,
    payloads_body,
    plain_payload,
    post_payloads,
)
from tests.support.temporal import TEST_ONLY_KEYRING, keyring_codec

KEYRING_ENV = {"PAYLOAD_KEY_ID": "local", "PAYLOAD_LOCAL_KEYRING_FILE": str(TEST_ONLY_KEYRING)}
BODY_TIMEOUT = 2.0
IDLE_TIMEOUT = 3.0
SLOW_CONNECTIONS = 50


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[CodecServerProcess]:
    with codec_server_process(tmp_path_factory.mktemp("codec-server"), KEYRING_ENV,
                              "--body-timeout-seconds", str(BODY_TIMEOUT),
                              "--idle-timeout-seconds", str(IDLE_TIMEOUT)) as running:
        yield running


def assert_clean(output: str) -> None:
    """Nothing the clients sent, no traceback; every line a JSON log record."""
    assert SECRET_NAME not in output and SECRET_NAME.split()[0] not in output
    assert "Traceback" not in output and "Error handling request" not in output
    for line in output.splitlines():
        assert isinstance(json.loads(line), dict), line


def open_socket(port: int) -> socket.socket:
    return socket.create_connection((LOOPBACK, port), timeout=30)


def reset(sock: socket.socket) -> None:
    """Close with SO_LINGER 0: the kernel sends RST instead of FIN, as a crashing or impatient client does."""
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
    sock.close()


def read_all(sock: socket.socket) -> bytes:
    chunks = []
    while chunk := sock.recv(65536):
        chunks.append(chunk)
    return b"".join(chunks)


def socket_count(pid: int) -> int:
    """Open sockets of a process (Linux /proc): listening socket plus connections."""
    count = 0
    for fd in Path(f"/proc/{pid}/fd").iterdir():
        try:
            count += os.readlink(fd).startswith("socket:")
        except FileNotFoundError:  # closed since the listing
            continue
    return count


async def test_a_malformed_body_whose_client_resets_leaves_no_trace(server: CodecServerProcess) -> None:
    start = len(server.output())
    malformed = [
        b'{"payloads": [{"metadata": {}, "data": "' + SECRET_NAME.encode() + b'"',  # cut short
        b'{"payloads": [{"' + SECRET_NAME.encode() + b'": 1}]}',  # valid JSON, not Payloads
        SECRET,  # JSON, not Payloads
    ]
    for body in malformed:
        for pause, sent in ((0.0, body), (0.3, body), (0.3, body[: len(body) // 2])):
            sock = open_socket(server.port)
            sock.sendall(b"POST /decode HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: application/json\r\n"
                         + f"Content-Length: {len(body)}\r\n\r\n".encode() + sent)
            time.sleep(pause)  # 0: reset at once; 0.3: the server has read, parsed and answered
            reset(sock)
    # The server is still up and answers; by now it has handled every reset connection.
    (envelope,) = keyring_codec().encode_sync([plain_payload()])
    assert (await post_payloads(server.url, "decode", [envelope])).status == 200
    await asyncio.sleep(0.5)
    output = server.output()[start:]
    assert '"status":400' in output  # some malformed bodies were read and refused before the reset
    assert_clean(output)


@pytest.mark.parametrize("head", [
    f"{SECRET_NAME}\r\n\r\n",
    f"GET /decode HTTP/1.1 {SECRET_NAME}\r\n\r\n",
    f"POST /decode HTTP/1.1\r\nHost: 127.0.0.1\r\n{SECRET_NAME}\r\n\r\n",
    f"POST /decode HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Length: {SECRET_NAME}\r\n\r\n",
    f"POST /{SECRET_NAME.replace(' ', '')}{'x' * 9000} HTTP/1.1\r\n\r\n",
    "\x16\x03\x01\x02\x00\x01\x00\x01\xfc\x03\x03" + SECRET_NAME,  # a TLS ClientHello to the http port
])
def test_a_garbage_request_head_gets_a_400_and_no_trace(server: CodecServerProcess, head: str) -> None:
    start = len(server.output())
    with open_socket(server.port) as sock:
        sock.sendall(head.encode("latin-1"))
        answer = read_all(sock)  # the server closes after its answer
    status_line, _, rest = answer.partition(b"\r\n")
    assert status_line.split(b" ", 2)[1] == b"400", status_line
    assert rest.split(b"\r\n\r\n", 1)[1] == b'{"error": "Bad Request"}'
    assert b"Connection: close" in answer or status_line.startswith(b"HTTP/1.0")
    assert SECRET_NAME.encode() not in answer
    time.sleep(0.2)
    output = server.output()[start:]
    assert '"status":400' in output
    assert_clean(output)


def test_a_second_server_on_a_busy_port_fails_with_a_clear_message(server: CodecServerProcess) -> None:
    env = {**clean_environment(), **KEYRING_ENV}
    result = subprocess.run(codec_server_argv("--port", str(server.port)), env=env, capture_output=True, text=True,
                            timeout=120, check=False)
    assert result.returncode == 2
    assert "--port: the address is already in use" in result.stdout
    assert "Traceback" not in result.stdout + result.stderr


async def test_connections_that_never_send_their_body_are_closed_after_the_body_timeout(
    server: CodecServerProcess,
) -> None:
    start = len(server.output())
    baseline = socket_count(server.process.pid)
    opened: list[tuple[asyncio.StreamReader, asyncio.StreamWriter, float]] = []
    for _ in range(SLOW_CONNECTIONS):
        reader, writer = await asyncio.open_connection(LOOPBACK, server.port)
        sent_at = time.monotonic()  # before the server can have the head, so before its timer starts
        writer.write(f"POST /decode HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: application/json\r\n"
                     f"Content-Length: {len(SECRET) + 100}\r\n\r\n".encode() + SECRET[:10])
        await writer.drain()
        opened.append((reader, writer, sent_at))

    # Meanwhile a normal request is served, while every slow connection is still open.
    (envelope,) = keyring_codec().encode_sync([plain_payload()])
    served = await post_payloads(server.url, "decode", [envelope])
    assert served.status == 200 and served.payloads() == [plain_payload()]
    assert not any(reader.at_eof() for reader, _, _ in opened)
    during = socket_count(server.process.pid)
    assert during >= baseline + SLOW_CONNECTIONS

    async def closed_after(reader: asyncio.StreamReader, sent_at: float) -> tuple[bytes, float]:
        answer = await asyncio.wait_for(reader.read(), timeout=60)  # until the server closes
        return answer, time.monotonic() - sent_at

    results = await asyncio.gather(*(closed_after(reader, sent_at) for reader, _, sent_at in opened))
    for _, writer, _ in opened:
        writer.close()
    for answer, elapsed in results:
        assert answer.startswith(b"HTTP/1.1 408 ") and b"Connection: close" in answer
        assert elapsed >= BODY_TIMEOUT  # never before the configured timeout
    await asyncio.sleep(0.5)
    after = socket_count(server.process.pid)
    assert after <= baseline
    output = server.output()[start:]
    assert output.count('"status":408') == SLOW_CONNECTIONS
    assert_clean(output)
    print(f"\nslow connections closed after {min(e for _, e in results):.2f}-{max(e for _, e in results):.2f} s "
          f"(body timeout {BODY_TIMEOUT} s); server sockets {baseline} before, {during} during, {after} after")


async def test_silent_and_half_sent_connections_are_closed_after_the_idle_timeout(
    server: CodecServerProcess,
) -> None:
    heads = [b"", b"POST /decode HTTP/1.1\r\nHost: 127.0", b"POST /decode HTTP/1.1\r\n"]
    opened = []
    for head in heads * 5:
        connecting_at = time.monotonic()  # before the server accepts, so before its idle timer starts
        reader, writer = await asyncio.open_connection(LOOPBACK, server.port)
        writer.write(head)
        await writer.drain()
        opened.append((reader, writer, connecting_at))
    results = await asyncio.gather(*(asyncio.wait_for(reader.read(), timeout=60) for reader, _, _ in opened))
    closed_at = time.monotonic()
    for _, writer, _ in opened:
        writer.close()
    assert results == [b""] * len(opened)  # closed without an answer: nothing was asked
    assert all(closed_at - sent_at >= IDLE_TIMEOUT for _, _, sent_at in opened)


def test_the_server_keeps_answering_after_all_of_the_above(server: CodecServerProcess) -> None:
    """A final check that no fault case left the process unable to serve (it runs last in this module)."""
    with open_socket(server.port) as sock:
        body = payloads_body(keyring_codec().encode_sync([plain_payload()]))
        sock.sendall(b"POST /decode HTTP/1.1\r\nHost: localhost\r\nConnection: close\r\n"
                     + f"Content-Length: {len(body)}\r\n\r\n".encode() + body)
        assert read_all(sock).startswith(b"HTTP/1.1 200 ")
    assert server.process.poll() is None
    assert_clean(server.output())


@pytest.fixture
def static_jwks() -> Iterator[tuple[Issuer, str]]:
    """An issuer whose JWKS a standard-library server answers from its own thread (the server under test fetches
    it at start, while this test's event loop waits for the process)."""
    issuer = Issuer()
    issuer.add_key()
    document = json.dumps(issuer.jwks()).encode()

    class Jwks(BaseHTTPRequestHandler):
        def do_GET(self) -> None:
            self.send_response(200)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(document)))
            self.end_headers()
            self.wfile.write(document)

        def log_message(self, format: str, *args: object) -> None:
            pass

    httpd = ThreadingHTTPServer((LOOPBACK, 0), Jwks)
    thread = threading.Thread(target=httpd.serve_forever, daemon=True)
    thread.start()
    try:
        yield issuer, f"http://{LOOPBACK}:{httpd.server_port}/.well-known/jwks.json"
    finally:
        httpd.shutdown()
        httpd.server_close()
        thread.join()


async def test_jwt_mode_from_the_command_line(static_jwks: tuple[Issuer, str], tmp_path: Path) -> None:
    issuer, jwks_url = static_jwks
    tls = make_tls_files(tmp_path)
    origin = "https://cloud.temporal.io"
    args = ["--mode", "jwt", "--tls-cert", str(tls.cert_file), "--tls-key", str(tls.key_file), "--ui-origin", origin,
            "--jwt-issuer", issuer.name, "--jwks-url", jwks_url, "--jwt-audience", issuer.audience,
            "--namespace", "default"]
    (envelope,) = keyring_codec().encode_sync([plain_payload()])
    with codec_server_process(tmp_path, KEYRING_ENV, *args) as server:
        url = server.url.replace("http://", "https://")
        token = issuer.token(permissions=["default:read"])
        granted = await post_payloads(url, "decode", [envelope], {
            "Origin": origin, "Authorization": f"Bearer {token}", "X-Namespace": "default"},
            ssl_context=tls.client_context())
        other = await post_payloads(url, "decode", [envelope], {
            "Origin": origin, "Authorization": f"Bearer {issuer.token(permissions=['payments:read'])}",
            "X-Namespace": "default"}, ssl_context=tls.client_context())
        output = server.output()
    assert granted.status == 200 and granted.payloads() == [plain_payload()]
    assert (other.status, other.json()) == (403, {"error": "namespace not granted by the token"})
    assert '"mode":"jwt"' in output and '"address":"https://127.0.0.1:' in output
    assert_clean(output)
    assert all(part not in output for part in token.split("."))


@pytest.mark.parametrize(("args", "env", "named", "hidden"), [
    (["--port", SECRET_NAME], {}, "--port", SECRET_NAME),
    (["--ui-origin", f"https://ui.example/{SECRET_NAME}"], {}, "--ui-origin", SECRET_NAME),
    (["--mode", "jwt"], {}, "--jwt-issuer", ""),
    ([], {"CODEC_SERVER_TOKEN": "Amelia-short"}, "CODEC_SERVER_TOKEN", "Amelia-short"),
    (["--unknown-option", SECRET_NAME], {}, "unrecognized arguments", SECRET_NAME),
])
def test_configuration_errors_exit_2_naming_the_setting_never_the_value(
    args: list[str], env: dict[str, str], named: str, hidden: str,
) -> None:
    result = subprocess.run(codec_server_argv(*args), env={**clean_environment(), **KEYRING_ENV, **env},
                            capture_output=True, text=True, timeout=120, check=False)
    output = result.stdout + result.stderr
    assert result.returncode == 2 and named in output and "Traceback" not in output
    if hidden:
        assert hidden not in output
