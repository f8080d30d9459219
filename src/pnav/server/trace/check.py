"""``pnav trace-check URL``: does a page embedding the pnav banner leave a trace of the chat?

It does what a person would, in a real Chromium with a fresh profile on disk: opens
the page, opens the chat, passes the pre-chat, sends a message, leaves by quick exit,
closes the browser. Then it reads every file of the profile (``trace_scan``) for the
chat server's address, the chat's ids, tokens and keys (taken from the websocket and
the ticket answer as they went by), and the message; and it reads how the History
database recorded the quick exit (``trace.history``: a redirect chain from the
partner page's visit tells that a quick exit was used). The tests in tests/e2e use
the same pieces with an operator on the other side.

The check opens a real conversation on the chat server: operators see it in their
queue (as a professional, "other", with a message saying it is a test) until the
quick exit, which the server records. Playwright is an optional dependency
(``pip install 'pnav[trace]'``).
"""

from __future__ import annotations

import argparse
import json
import os
import re
import secrets
import shutil
import sys
import tempfile
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any
from urllib.parse import urlsplit

from pnav.server.trace.history import ChainFinding, exit_chain, read_visits
from pnav.server.trace.report import format_findings, meaning, report
from pnav.server.trace.scan import Excuse, Finding, Needle, host_needles, scan_profile

if TYPE_CHECKING:
    from playwright.sync_api import BrowserContext, Page, Playwright, Response, WebSocket

__all__ = [
    "CHROMIUM",
    "CHROMIUM_ARGS",
    "ChainFinding",
    "Excuse",
    "Finding",
    "Needle",
    "UsageError",
    "WireCapture",
    "cmd_trace_check",
    "format_findings",
    "launch",
    "meaning",
    "partner_excuses",
    "scan_profile",
]

CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = (
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
)
_INSTALL_CHROMIUM = (
    "install Chromium (Debian/Ubuntu: `sudo apt-get install chromium`) "
    "or give its path with --chromium PATH"
)
_INSTALL_PLAYWRIGHT = "pip install 'pnav[trace]'"


class UsageError(Exception):
    """The check could not run (bad URL, no banner, no browser): exit code 2."""


# ------------------------------------------------------------------ what went by


_KINDS = {
    "conv": "conversation",
    "ticket": "token",
    "token": "token",
    "exit": "token",
    "body": "message",
    "note": "message",
    "sealed_key": "key",
    "wrapped_key": "key",
    "lookup": "key",
    "public": "key",
    "salt": "key",
    "code": "token",
}
# Protocol words ("victim", "cyber_harassment") are the same for everyone: not secrets.
_WORD = re.compile(r"[a-z_]+")


@dataclass
class WireCapture:
    """Every value of the chat's websocket frames (both ways) and of the ticket answer
    that could tell this chat apart, turned into needles."""

    needles: dict[str, Needle] = field(default_factory=dict)
    server: str | None = None  # the chat server's origin, once seen
    welcomed: bool = False
    _answers: list[Response] = field(default_factory=list)

    def watch(self, page: Page) -> None:
        page.on("websocket", self._socket)
        page.on("response", self._response)

    def _socket(self, ws: WebSocket) -> None:
        if not ws.url.rstrip("/").endswith("/ws/person"):
            return
        parts = urlsplit(ws.url)
        self.server = self.server or f"{parts.scheme.replace('ws', 'http', 1)}://{parts.netloc}"
        ws.on("framesent", self._frame)
        ws.on("framereceived", self._frame)

    def _response(self, response: Response) -> None:
        if response.url.endswith("/api/ticket") and response.request.method == "POST":
            self._answers.append(response)

    def _frame(self, payload: str | bytes) -> None:
        self.add_json(payload if isinstance(payload, str) else payload.decode(errors="replace"))

    def add_json(self, raw: str, where: str | None = None) -> None:
        """Take the secrets out of one JSON document (a frame, or the ticket answer)."""
        try:
            data = json.loads(raw)
        except ValueError:
            return
        if not isinstance(data, dict):
            return
        kind = data.get("t")
        if kind == "welcome":
            self.welcomed = True
        self._walk(data, where or f"a {kind!r} frame", "")

    def _walk(self, value: Any, where: str, key: str) -> None:
        if isinstance(value, dict):
            for k, v in value.items():
                self._walk(v, where, str(k))
        elif isinstance(value, list):
            for v in value:
                self._walk(v, where, key)
        elif isinstance(value, str) and len(value) >= 12 and not _WORD.fullmatch(value):
            if value.startswith(("http:", "https:", "ws:", "wss:")):
                return  # URLs name the server: covered by the server's own needles
            kind = _KINDS.get(key, "chat")
            self.needles.setdefault(value, Needle(kind, f"the {key!r} of {where}", value))

    def read_answers(self) -> None:
        """Read the ticket answers seen so far (call it before the page goes away)."""
        from playwright.sync_api import Error as PlaywrightError

        while self._answers:
            response = self._answers.pop()
            try:
                self.add_json(response.text(), "the ticket answer")
            except PlaywrightError:  # the body may be gone already
                continue


def partner_excuses(
    server: str, documents: Iterable[str], loader_url: str | None = None
) -> list[Excuse]:
    """What every visitor of the partner page gets, chat or not: the lines of the
    page's own HTML (and header values) that name the chat server, and the V8
    code-cache key of the loader script, which runs on every view of the page."""
    netloc = urlsplit(server).netloc
    excuses = [
        Excuse(line.strip(), "inside the partner page's own HTML, which every visitor gets")
        for document in documents
        for line in document.splitlines()
        if netloc in line and line.strip()
    ]
    if loader_url:
        excuses.append(
            Excuse(
                "_key" + loader_url,
                "the code-cache key of the loader script, which runs on every view of the "
                "partner page, chat or not",
            )
        )
        # The loader's second part arrives on the page's first interaction, chat or not.
        panel_url = loader_url.split("?")[0].removesuffix("loader.js") + "panel.js"
        excuses.append(
            Excuse(
                "_key" + panel_url,
                "the code-cache key of the loader's second part, which arrives on the first "
                "interaction with the partner page (a click, a key), chat or not",
            )
        )
    return excuses


# ------------------------------------------------------------------ the browser


def launch(playwright: Playwright, profile: Path, chromium: str = CHROMIUM) -> BrowserContext:
    """Chromium with its profile on disk in ``profile`` (what is examined afterwards)."""
    return playwright.chromium.launch_persistent_context(
        str(profile), executable_path=chromium, args=list(CHROMIUM_ARGS), locale="fr-FR"
    )


@dataclass
class _Run:
    server: str = ""
    loader: str | None = None
    documents: list[str] = field(default_factory=list)
    capture: WireCapture = field(default_factory=WireCapture)
    canary: str = ""
    steps: list[str] = field(default_factory=list)
    page_url: str = ""  # the partner page, as it was finally loaded
    exit_url: str = ""  # where quick exit went
    # What the History database says about the quick exit (trace.history).
    chain: list[ChainFinding] = field(default_factory=list)


def _drive(page: Page, url: str, timeout_ms: float, run: _Run) -> None:
    from playwright.sync_api import Error as PlaywrightError
    from playwright.sync_api import expect

    run.capture.watch(page)
    try:
        response = page.goto(url, timeout=timeout_ms)
    except PlaywrightError as exc:
        raise UsageError(f"cannot open {url}: {str(exc).splitlines()[0]}") from exc
    run.page_url = page.url
    if response is not None:
        run.documents.append(response.text())
        run.documents.extend(v for v in response.headers.values())
    banner = page.locator('[data-pnav="banner"]')
    try:
        banner.wait_for(state="visible", timeout=timeout_ms)
    except PlaywrightError as exc:
        raise UsageError(
            f'no pnav banner on {url} (no element [data-pnav="banner"] appeared): '
            "is the pnav snippet on this page, and does the page's CSP allow the pnav server?"
        ) from exc
    run.steps.append("banner found")
    run.loader = page.evaluate(
        """() => [...document.scripts].map((s) => s.src)
             .find((u) => /\\/widget\\/loader\\.js(\\?|$)/.test(u)) || null"""
    )
    page.locator('[data-pnav="open"]').click()
    chat = page.frame_locator('iframe[title="Chat"]')
    try:
        expect(chat.locator('[data-pnav="prechat-start"]')).to_be_visible(timeout=timeout_ms)
    except AssertionError as exc:
        raise UsageError(
            "the chat did not open (no pre-chat form): is this page's origin on the "
            "partner's allowlist of the pnav server, and is an operator enrolled?"
        ) from exc
    for group, choice in (("who", "professional"), ("what", "other")):
        wanted = chat.locator(f'label[for="pnav-{group}-{choice}"]')
        fallback = chat.locator(f'[data-pnav="prechat-{group}"] label').first
        (wanted if wanted.count() else fallback).click()
    chat.locator('[data-pnav="prechat-start"]').click()
    run.steps.append("pre-chat passed")
    box = chat.locator('[data-pnav="message-input"]')
    box.wait_for(state="visible", timeout=timeout_ms)
    run.canary = f"pnav trace-check: a test message, please ignore {secrets.token_hex(10)}"
    box.fill(run.canary)
    box.press("Enter")
    mine = chat.locator('[data-pnav="message"][data-from="person"]').filter(has_text=run.canary)
    try:
        expect(mine).to_have_attribute("data-state", "sent", timeout=timeout_ms)
        run.steps.append("message sent and acknowledged by the server")
    except AssertionError:
        run.steps.append("message sent, NOT acknowledged by the server in time")
    run.capture.read_answers()
    before = page.url
    page.locator('[data-pnav="exit"]').click()
    try:
        page.wait_for_url(lambda u: u != before, timeout=timeout_ms)
        run.exit_url = page.url
        run.steps.append(f"quick exit: the page left for {page.url}")
    except PlaywrightError:
        run.steps.append("quick exit: the page did NOT leave in time")
    if run.capture.server:
        run.server = run.capture.server
    elif run.loader:
        parts = urlsplit(run.loader)
        run.server = f"{parts.scheme}://{parts.netloc}"


def check_page(
    url: str, chromium: str, timeout: float, profile: Path
) -> tuple[_Run, list[Finding]]:
    """Drive the page in Chromium with ``profile`` as its profile, then scan it."""
    try:
        from playwright.sync_api import Error as PlaywrightError
        from playwright.sync_api import sync_playwright
    except ImportError as exc:
        raise UsageError(f"Playwright is not installed: {_INSTALL_PLAYWRIGHT}") from exc
    run = _Run()
    with sync_playwright() as p:
        try:
            context = launch(p, profile, chromium)
        except PlaywrightError as exc:
            first = str(exc).strip().splitlines()[0]
            raise UsageError(
                f"cannot start Chromium at {chromium} ({first}): {_INSTALL_CHROMIUM}"
            ) from exc
        try:
            page = context.pages[0] if context.pages else context.new_page()
            _drive(page, url, timeout * 1000, run)
        finally:
            context.close()
    if not run.server:
        raise UsageError("could not tell which pnav server the page uses (no loader, no socket)")
    if not run.capture.welcomed:
        raise UsageError(
            "the chat's websocket was not seen (no 'welcome' from the server): "
            "the chat did not start, so there is nothing to check"
        )
    if run.exit_url:
        run.chain = exit_chain(read_visits(profile), [run.page_url], run.exit_url)
    needles = host_needles(run.server) + list(run.capture.needles.values())
    needles.append(Needle("message", "the test message", run.canary))
    return run, scan_profile(
        profile, needles, partner_excuses(run.server, run.documents, run.loader)
    )


def _report(url: str, run: _Run, findings: list[Finding], profile: Path, kept: bool) -> str:
    files = sum(1 for p in profile.rglob("*") if p.is_file())
    return report(url, run.server, run.steps, findings, files, profile if kept else None, run.chain)


def page_and_chromium(url: str, chromium: str) -> str:
    """The Chromium executable to open ``url`` with; UsageError if ``url`` is not an
    http(s) page or Chromium is not there (the commands that open a partner page)."""
    parts = urlsplit(url)
    if parts.scheme not in ("http", "https") or not parts.netloc:
        raise UsageError(f"{url!r} is not an http(s) URL of a page")
    found = shutil.which(chromium) or chromium
    if not (os.path.isfile(found) and os.access(found, os.X_OK)):
        raise UsageError(f"Chromium not found at {chromium}: {_INSTALL_CHROMIUM}")
    return found


def cmd_trace_check(args: argparse.Namespace) -> int:
    """The ``pnav trace-check`` subcommand: 0 clean, 1 traces found, 2 could not check."""
    url: str = args.url
    try:
        chromium = page_and_chromium(url, args.chromium)
        kept = args.keep_profile is not None
        if kept:
            profile = Path(args.keep_profile)
            if profile.exists() and any(profile.iterdir()):
                raise UsageError(f"--keep-profile {profile}: the folder must be new or empty")
            profile.mkdir(parents=True, exist_ok=True)
            run, findings = check_page(url, chromium, args.timeout, profile)
            text = _report(url, run, findings, profile, kept=True)
        else:
            with tempfile.TemporaryDirectory(prefix="pnav-trace-") as tmp:
                profile = Path(tmp, "profile")
                run, findings = check_page(url, chromium, args.timeout, profile)
                text = _report(url, run, findings, profile, kept=False)
    except UsageError as exc:
        print(f"pnav trace-check: {exc}", file=sys.stderr)
        return 2
    print(text)
    traces = any(f.excused is None for f in findings) or any(c.trace for c in run.chain)
    return 1 if traces else 0


def add_parser(sub: Any) -> None:
    """Register ``trace-check`` on the ``pnav`` command's subparsers."""
    check = sub.add_parser(
        "trace-check",
        help="open a page that embeds the banner in Chromium, chat, quick exit, and look "
        "for traces of the chat in the browser's profile on disk",
    )
    check.add_argument("url", help="the page to check (a partner page with the pnav banner)")
    check.add_argument("--chromium", default=CHROMIUM, help=f"Chromium's path (default {CHROMIUM})")
    check.add_argument(
        "--timeout", type=float, default=20, help="seconds to wait for each step (default 20)"
    )
    check.add_argument(
        "--keep-profile",
        metavar="DIR",
        help="use DIR (new or empty) as the browser profile and keep it afterwards",
    )
    check.set_defaults(func=cmd_trace_check)
