"""No trace on the disk: the forensic check of issue 7.

Chromium runs with its profile in a temporary folder; a person chats both ways with an
operator, then leaves (by quick exit, by closing the browser, after a reload, after the
tab went to the background and came back). Once the browser is closed, every file of
the profile is read, raw and through every decoding a profile uses (UTF-16LE, LevelDB
tables and logs, SQLite, gzip: pnav.server.trace.scan), for the chat server's address,
the conversation id, the ticket, the tokens, the keys, the encrypted bodies and the
message text of both sides. Only the partner page's own footprint is excused: its HTML
(which names the loader) and the loader's code-cache key, which every visitor of the
page gets whether or not they open the chat.

Over TLS (a chat server on a DNS name, which is where HSTS, and so Chromium's
TransportSecurity file, come in), the person's routes send no HSTS: the profile keeps
no entry for the chat server; a proxy that adds HSTS everywhere is caught.

The last tests plant a trace on purpose (a cookie, a localStorage entry, a chat iframe
navigated to the chat server) and check that the scan names the file.
"""

from __future__ import annotations

import base64
import hashlib
import importlib.util
import os
import secrets
import shutil
import subprocess
import threading
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
from playwright.sync_api import Browser, BrowserContext, Page, expect
from werkzeug.serving import make_server

from pnav.sdk.client import OperatorClient
from pnav.server import Settings, create_app
from pnav.server.operators.desk import enrol_operator
from pnav.server.serving import _QuietHandler
from pnav.server.serving import dev_server as _server
from pnav.server.stores.sqlite.store import SQLiteStore
from pnav.server.trace.check import (
    CHROMIUM,
    CHROMIUM_ARGS,
    Finding,
    Needle,
    WireCapture,
    format_findings,
    partner_excuses,
    scan_profile,
)
from pnav.server.trace.scan import host_needles

TIMEOUT_MS = 10_000  # as tests/e2e/conftest.py


def _canary(side: str) -> str:
    return f"{side}-canary-{secrets.token_hex(10)}"


@dataclass
class Visit:
    """A person in a Chromium whose profile lives in ``profile``, and what they said."""

    context: BrowserContext
    page: Page
    profile: Path
    live: Any
    capture: WireCapture
    documents: list[str]
    said: list[str]
    log: Any
    conv: str = ""

    @property
    def chat(self) -> Any:
        return self.page.frame_locator('iframe[title="Chat"]')

    def open_partner_page(self) -> None:
        response = self.page.goto(self.live.partner_url + "/")
        assert response is not None
        self.documents.append(response.text())
        expect(self.page.locator('[data-pnav="banner"]')).to_be_visible()

    def start_chat(self) -> None:
        self.page.locator('[data-pnav="open"]').click()
        self.chat.locator('label[for="pnav-who-victim"]').click()
        self.chat.locator('label[for="pnav-what-domestic"]').click()
        self.chat.locator('[data-pnav="prechat-start"]').click()
        expect(self.chat.locator('[data-pnav="status"]')).to_have_attribute("data-state", "waiting")

    def send(self, text: str) -> None:
        box = self.chat.locator('[data-pnav="message-input"]')
        box.fill(text)
        box.press("Enter")
        mine = self.chat.locator('[data-pnav="message"][data-from="person"]').filter(has_text=text)
        expect(mine).to_have_attribute("data-state", "sent")
        self.said.append(text)

    def sees(self, text: str) -> None:
        theirs = self.chat.locator('[data-pnav="message"][data-from="operator"]')
        expect(theirs.filter(has_text=text)).to_have_count(1)

    def needles(self) -> list[Needle]:
        self.capture.read_answers()
        found = {n.value: n for n in host_needles(self.live.url)}
        found.update(self.capture.needles)
        if self.conv:
            found.setdefault(self.conv, Needle("conversation", "the conversation id", self.conv))
        found.update({text: Needle("message", "a message", text) for text in self.said})
        return list(found.values())

    def scan(self) -> list[Finding]:
        """Every trace of the chat in the profile (the browser must be closed)."""
        excuses = partner_excuses(
            self.live.url, self.documents, self.live.url + "/widget/loader.js"
        )
        return [f for f in scan_profile(self.profile, self.needles(), excuses) if not f.excused]


@pytest.fixture
def visit(browser: Browser, browser_log: Any, live_server: Any, tmp_path: Path) -> Iterator[Visit]:
    """A persistent profile on disk (the conftest's ``browser`` lends its Playwright)."""
    profile = tmp_path / "profile"
    context = browser.browser_type.launch_persistent_context(
        str(profile), executable_path=CHROMIUM, args=list(CHROMIUM_ARGS), locale="fr-FR"
    )
    context.set_default_timeout(TIMEOUT_MS)
    browser_log.watch(context, "person")
    page = context.pages[0] if context.pages else context.new_page()
    browser_log.watch_page(page, "person")
    capture = WireCapture()
    capture.watch(page)
    yield Visit(context, page, profile, live_server, capture, [], [], browser_log)
    context.close()  # a second close (after the test's own) does nothing


@pytest.fixture
def operator_client(live_server: Any) -> Iterator[OperatorClient]:
    op = OperatorClient.login(live_server.url, live_server.operator, live_server.password)
    yield op
    op.close()


def _talk(visit: Visit, op: OperatorClient) -> None:
    """One message each way, each side sees the other's."""
    said, answered = _canary("person"), _canary("operator")
    visit.send(said)
    got = op.receive()
    assert (got.conv, got.text) == (visit.conv, said)
    op.send(visit.conv, answered)
    visit.sees(answered)
    visit.said.append(answered)


def _chat(visit: Visit, op: OperatorClient) -> None:
    visit.open_partner_page()
    visit.start_chat()
    items: list[dict[str, Any]] = []
    while not items:  # the operator was there first: an empty queue, then this chat
        items = op.wait_queue()
    [item] = items
    visit.conv = item["conv"]
    op.accept(visit.conv)
    expect(visit.chat.locator('[data-pnav="status"]')).to_have_attribute("data-state", "active")
    _talk(visit, op)
    _show_resume_code(visit)


def _show_resume_code(visit: Visit) -> None:
    """The person asks for a resume code, reads it, hides it: it must leave no trace."""
    visit.chat.locator('[data-pnav="resume-get"]').click()
    shown = visit.chat.locator('[data-pnav="resume-code"]')
    expect(shown).to_be_visible(timeout=30_000)
    digits = "".join(ch for ch in shown.inner_text() if ch.isdigit())
    assert len(digits) == 16, "the resume code is 16 digits"
    grouped = " ".join(digits[i : i + 4] for i in range(0, 16, 4))
    visit.said.extend([digits, grouped])
    visit.chat.locator('[data-pnav="resume-hide"]').click()
    expect(shown).to_have_count(0)


# ------------------------------------------------------------------ the four ways out


def _quick_exit(visit: Visit, op: OperatorClient) -> None:
    visit.page.locator('[data-pnav="exit"]').click()
    visit.page.wait_for_url(visit.live.partner_url + "/meteo")
    op.wait("presence", conv=visit.conv, person="quick_exit")


def _close(visit: Visit, op: OperatorClient) -> None:
    """The browser is closed with the chat open on screen."""


def _reload(visit: Visit, op: OperatorClient) -> None:
    visit.page.reload()
    expect(visit.page.locator('[data-pnav="banner"]')).to_be_visible()
    expect(visit.page.locator('iframe[title="Chat"]')).to_have_count(0)
    op.wait("presence", conv=visit.conv, person="reconnecting")


def _background(visit: Visit, op: OperatorClient) -> None:
    """Another tab comes to the front; the chat's tab is frozen, as Chromium freezes
    background tabs (headless Chromium keeps every tab "visible", so the freeze is
    asked for through the DevTools protocol); then it comes back and the chat goes on."""
    other = visit.context.new_page()
    other.goto(visit.live.partner_url + "/meteo")
    other.bring_to_front()
    devtools = visit.context.new_cdp_session(visit.page)
    devtools.send("Page.setWebLifecycleState", {"state": "frozen"})
    devtools.send("Page.setWebLifecycleState", {"state": "active"})
    devtools.detach()
    visit.page.bring_to_front()
    _talk(visit, op)
    other.close()


def _draft_then_a_link(visit: Visit, op: OperatorClient) -> None:
    """Words typed and not sent, then the person follows a link of the partner's site.
    Chromium keeps the state of a page's form fields in the session-restore files, for
    "back" (measured with a plain <textarea>: its text lands in Sessions/, in UTF-16LE);
    the chat's box and pre-chat leave nothing there."""
    draft = _canary("draft")
    visit.chat.locator('[data-pnav="message-input"]').fill(draft)
    visit.said.append(draft)
    visit.page.goto(visit.live.partner_url + "/?page=contact")
    expect(visit.page.locator('[data-pnav="banner"]')).to_be_visible()


@pytest.mark.parametrize(
    "leave",
    [_quick_exit, _close, _reload, _background, _draft_then_a_link],
    ids=["quick-exit", "close", "reload", "background-and-back", "unsent-draft-then-a-link"],
)
def test_the_chat_leaves_no_trace_in_the_profile(
    visit: Visit, operator_client: OperatorClient, leave: Callable[[Visit, OperatorClient], None]
) -> None:
    _chat(visit, operator_client)
    leave(visit, operator_client)
    visit.context.close()

    assert visit.capture.welcomed, "the chat's websocket frames were not captured"
    labels = {n.label for n in visit.needles()}
    assert {"the 'ticket' of a 'hello' frame", "the 'token' of a 'welcome' frame"} <= labels
    assert {"the 'exit' of a 'welcome' frame", "the 'body' of a 'msg' frame"} <= labels
    traces = visit.scan()
    assert not traces, "the chat left traces in the browser profile:\n" + format_findings(traces)


# ------------------------------------------------------------ the scan finds a trace


def _plant_cookie(visit: Visit) -> None:
    visit.page.evaluate(
        "(conv) => { document.cookie = `last_chat=${conv}; max-age=86400; path=/`; }", visit.conv
    )


def _plant_local_storage(visit: Visit) -> None:
    visit.page.evaluate("(conv) => localStorage.setItem('pnav-last-chat', conv)", visit.conv)


def _plant_navigated_iframe(visit: Visit) -> None:
    # A chat iframe navigated to the chat server, as widgets commonly do. pnav's own
    # routes refuse to be framed (frame-ancestors 'none'), which Chromium reports; the
    # navigation is what leaves the trace, framed or refused.
    visit.page.evaluate(
        """(url) => new Promise((done) => {
            const f = document.createElement('iframe');
            f.onload = done;
            f.src = url;
            document.body.append(f);
        })""",
        visit.live.url + "/widget/chat.css",
    )
    visit.log.errors[:] = [e for e in visit.log.errors if "frame-ancestors" not in e]


@pytest.mark.parametrize(
    ("plant", "where"),
    [
        (_plant_cookie, "Default/Cookies"),
        (_plant_local_storage, "Default/Local Storage/"),
        (_plant_navigated_iframe, "Default/Sessions/"),
    ],
    ids=["cookie", "localStorage", "navigated-iframe"],
)
def test_the_scan_finds_a_planted_trace(
    visit: Visit,
    operator_client: OperatorClient,
    plant: Callable[[Visit], None],
    where: str,
) -> None:
    _chat(visit, operator_client)
    plant(visit)
    visit.context.close()
    traces = visit.scan()
    report = format_findings(traces)
    assert any(f.file.startswith(where) for f in traces), f"nothing found in {where}:\n{report}"
    print(report)  # shown with -s: what a planted trace looks like in the report


# ------------------------------------------------------------------ over TLS

ROOT = Path(__file__).resolve().parents[2]


def _partner_site(server_url: str) -> Any:
    path = ROOT / "examples" / "partner_site" / "app.py"
    spec = importlib.util.spec_from_file_location("partner_site_for_trace", path)
    assert spec and spec.loader
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module.create_app(server_url=server_url, partner="demo")


def _certificate(folder: Path, host: str) -> tuple[Path, Path, str]:
    """A self-signed certificate for ``host`` and its SPKI hash (what Chromium is told
    to trust, so that the connection counts as valid TLS and HSTS is honoured)."""
    if shutil.which("openssl") is None:
        # scripts/setup.sh --test installs it: in CI a missing openssl is a failure.
        if os.environ.get("CI"):
            pytest.fail("openssl is missing: scripts/setup.sh --test installs it")
        pytest.skip("openssl is needed to make a test certificate (scripts/setup.sh --test)")
    cert, key = folder / "cert.pem", folder / "key.pem"
    subprocess.run(
        ["openssl", "req", "-x509", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:prime256v1",
         "-nodes", "-subj", f"/CN={host}", "-addext", f"subjectAltName=DNS:{host}",
         "-days", "2", "-keyout", str(key), "-out", str(cert)],
        check=True, capture_output=True,
    )  # fmt: skip
    pem = subprocess.run(
        ["openssl", "x509", "-in", str(cert), "-pubkey", "-noout"],
        check=True, capture_output=True,
    ).stdout  # fmt: skip
    der = subprocess.run(
        ["openssl", "pkey", "-pubin", "-outform", "der"], input=pem, check=True, capture_output=True
    ).stdout
    return cert, key, base64.b64encode(hashlib.sha256(der).digest()).decode()


@dataclass
class _Servers:
    url: str
    partner_url: str


def _hsts_everywhere(wsgi: Any) -> Any:
    """A reverse proxy configured to add HSTS to every response."""

    def app(environ: dict[str, Any], start_response: Any) -> Iterable[bytes]:
        def start(status: str, headers: list[tuple[str, str]], *rest: Any) -> Any:
            headers = [(k, v) for k, v in headers if k.lower() != "strict-transport-security"]
            headers.append(("Strict-Transport-Security", "max-age=31536000"))
            return start_response(status, headers, *rest)

        return wsgi(environ, start)

    return app


@pytest.mark.parametrize("proxy", ["as-shipped", "proxy-adds-hsts"])
def test_over_tls_the_chat_server_leaves_no_hsts_entry(
    browser: Browser, browser_log: Any, tmp_path: Path, proxy: str
) -> None:
    cert, key, spki = _certificate(tmp_path, "chat.test")
    partner = _server(_partner_site("https://placeholder.invalid"), "127.0.0.1", 0)
    threading.Thread(target=partner.serve_forever, daemon=True).start()
    partner_url = f"http://partner.test:{partner.server_port}"
    settings = Settings.load(
        None,
        environ={},
        data_dir=tmp_path / "data",
        partners={"demo": [partner_url]},
        when_nobody_on_duty="queue",  # no console here: queue the person as before
    )
    store = SQLiteStore(settings.database_path)
    enrol_operator(store, "alice", secrets.token_urlsafe(12), kdf_ops=1, kdf_mem=8 << 20)
    app = create_app(settings, store=store, maintenance=False)
    if proxy == "proxy-adds-hsts":
        app.wsgi_app = _hsts_everywhere(app.wsgi_app)  # type: ignore[method-assign]
    server = make_server(
        "127.0.0.1", 0, app, threaded=True, request_handler=_QuietHandler,
        ssl_context=(str(cert), str(key)),
    )  # fmt: skip
    threading.Thread(target=server.serve_forever, daemon=True).start()
    url = f"https://chat.test:{server.server_port}"
    partner.app = _partner_site(url)
    profile = tmp_path / "profile"
    args = [
        *CHROMIUM_ARGS,
        "--host-resolver-rules=MAP chat.test 127.0.0.1, MAP partner.test 127.0.0.1",
        f"--ignore-certificate-errors-spki-list={spki}",
    ]
    context = browser.browser_type.launch_persistent_context(
        str(profile), executable_path=CHROMIUM, args=args, locale="fr-FR"
    )
    try:
        context.set_default_timeout(TIMEOUT_MS)
        browser_log.watch(context, "person")
        page = context.pages[0] if context.pages else context.new_page()
        browser_log.watch_page(page, "person")
        live = _Servers(url, partner_url)
        visit = Visit(context, page, profile, live, WireCapture(), [], [], browser_log)
        visit.capture.watch(page)
        visit.open_partner_page()
        visit.start_chat()
        visit.send(_canary("person"))
        page.locator('[data-pnav="exit"]').click()
        page.wait_for_url(partner_url + "/meteo")
        context.close()
        [visit.conv] = [n.value for n in visit.needles() if n.kind == "conversation"]
        traces = visit.scan()
    finally:
        context.close()
        server.shutdown()
        partner.shutdown()
        app.extensions["pnav"].shutdown()
        store.close()
    if proxy == "as-shipped":
        assert not traces, "traces over TLS:\n" + format_findings(traces)
    else:
        assert [f.file for f in traces] == ["Default/TransportSecurity"], format_findings(traces)
        assert traces[0].needle.label == "the chat server's address (hashed, as HSTS keeps it)"
