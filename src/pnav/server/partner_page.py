"""The in-browser part of ``pnav partner check`` (partner_check.py): what it reads on
the partner's page, and each check's verdict with what to change."""

from __future__ import annotations

import contextlib
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any
from urllib.parse import parse_qs, urlsplit

from pnav.sdk.contrast import AA_LARGE, AA_NORMAL, ColorError, contrast_ratio
from pnav.server.trace.check import UsageError

if TYPE_CHECKING:
    from playwright.sync_api import ConsoleMessage, Page, WebSocket

__all__ = ["Check", "page_checks"]

# The page's CSP violations, recorded from the first script on (an init script is not
# subject to the page's policy).
_WATCH_VIOLATIONS = """
window.__pnavViolations = [];
addEventListener('securitypolicyviolation', (e) =>
  window.__pnavViolations.push(`${e.violatedDirective} blocked ${e.blockedURI || 'inline code'}`));
"""
_LOADER = """() => [...document.scripts].map((s) => s.src)
    .find((u) => /\\/widget\\/loader\\.js(\\?|$)/.test(u)) || null"""
# Waits for the loader's API, then for 'ready' or 'unavailable' (told also when late).
_STATE = """(ms) => new Promise((resolve) => {
  const end = Date.now() + ms;
  (function poll() {
    const api = window.pnav;
    if (api && !Array.isArray(api)) {
      api.on('ready', () => resolve('ready'));
      api.on('unavailable', () => resolve('unavailable'));
    } else if (Date.now() > end) resolve('absent');
    else setTimeout(poll, 50);
  })();
})"""
_COLORS = """() => {
  const pick = (sel) => document.querySelector(sel);
  const css = (e) => e && getComputedStyle(e);
  // An opaque colour as rgb(r, g, b), whatever its notation (the loader's text colour on a
  // page's theme computes to color(srgb-linear …)); a translucent one as it is.
  const rgb = (c) => {
    const g = document.createElement('canvas').getContext('2d');
    g.fillStyle = c;
    g.fillRect(0, 0, 1, 1);
    const [r, gr, b, a] = g.getImageData(0, 0, 1, 1).data;
    return a === 255 ? `rgb(${r}, ${gr}, ${b})` : c;
  };
  const pair = (e) => e && [rgb(css(e).color), rgb(css(e).backgroundColor)];
  const open = pick('[data-pnav="open"]');
  const exit = pick('[data-pnav="exit"]');
  const bar = pick('[data-pnav="banner"]');
  return {
    open: pair(open),
    exit: pair(exit),
    bar: bar && rgb(css(bar).backgroundColor),
    banner: !!bar && css(bar).left === '0px' && css(bar).right === '0px',
  };
}"""
_COVERED = """(sel) => {
  const e = document.querySelector(sel);
  if (!e) return 'missing';
  const r = e.getBoundingClientRect();
  const top = document.elementFromPoint(r.left + r.width / 2, r.top + r.height / 2);
  if (!top || top === e || e.contains(top)) return '';
  const cls = typeof top.className === 'string' ? top.className.trim() : '';
  return top.tagName.toLowerCase() + (top.id ? '#' + top.id : '') +
    (cls ? '.' + cls.split(/\\s+/).join('.') : '');
}"""


@dataclass
class Check:
    """One line of the report: ``ok`` None means it could not be checked."""

    name: str
    ok: bool | None
    detail: str


@dataclass
class _Seen:
    console: list[str] = field(default_factory=list)
    ticket: tuple[int, str] | None = None
    welcomed: bool = False

    def watch(self, page: Page) -> None:
        page.on("console", self._console)
        page.on("websocket", self._socket)
        page.on("response", self._response)

    def _console(self, message: ConsoleMessage) -> None:
        if message.type == "error":
            self.console.append(message.text)

    def _socket(self, ws: WebSocket) -> None:
        def frame(payload: str | bytes) -> None:
            text = payload if isinstance(payload, str) else payload.decode("utf-8", "replace")
            self.welcomed = self.welcomed or '"welcome"' in text

        ws.on("framereceived", frame)

    def _response(self, response: Any) -> None:
        if response.url.endswith("/api/ticket") and response.request.method == "POST":
            try:
                body = response.text()
            except Exception:  # the body may be gone already; the status is what counts
                body = ""
            self.ticket = (response.status, body[:300])

    def blocked(self) -> list[str]:
        """The browser's own words for what the page's CSP refused."""
        return [line for line in self.console if "Content Security Policy" in line][:3]


def _contrast_checks(colors: dict[str, Any], partner: str) -> list[Check]:
    where = f"[partners.{partner}].colors in the pnav settings, or the snippet's data-pnav-theme"
    pairs: list[tuple[str, str, str, float]] = []
    if colors.get("open"):
        pairs.append(("the open button's text", *colors["open"], AA_NORMAL))
    if colors.get("exit"):
        pairs.append(("the quick-exit button's text", *colors["exit"], AA_NORMAL))
    if colors.get("banner") and colors.get("open") and colors.get("bar"):
        # WCAG 1.4.11: a control stands out from what is around it by 3:1.
        pairs.append(("the open button", colors["open"][1], colors["bar"], AA_LARGE))
    checks = []
    failed = []
    for label, fg, bg, least in pairs:
        try:
            ratio = contrast_ratio(fg, bg)
        except ColorError as exc:
            failed.append(f"{label}: {exc}")
            continue
        if ratio < least:
            failed.append(
                f"{label} ({fg}) on its background ({bg}) has a contrast of {ratio:.2f}:1, "
                f"below {least}:1: change {where}"
            )
    if not pairs:
        checks.append(Check("colours", None, "no banner or button to measure (launcher mode)"))
    elif failed:
        checks.append(Check("colours", False, "; ".join(failed)))
    else:
        checks.append(Check("colours", True, "every pair passes WCAG AA contrast"))
    return checks


def _chat_checks(page: Page, seen: _Seen, timeout_ms: float) -> list[Check]:
    from playwright.sync_api import Error as PlaywrightError

    checks: list[Check] = []
    page.evaluate("() => window.pnav.open()")
    chat = page.frame_locator('iframe[title="Chat"]')
    start = chat.locator('[data-pnav="prechat-start"]')
    try:
        start.wait_for(state="visible", timeout=timeout_ms)
    except PlaywrightError:
        blocked = seen.blocked()
        if seen.ticket and seen.ticket[0] != 200:
            cause = f"the server refused the ticket ({seen.ticket[0]}: {seen.ticket[1]})"
        elif blocked:
            cause = "the page's CSP blocked it: " + " | ".join(blocked)
            cause += " (docs/privacy.md lists what to allow for the pnav server)"
        else:
            cause = "the chat frame did not show its first screen in time"
        return [Check("chat loads", False, cause)]
    checks.append(Check("chat loads", True, "the chat's scripts and styles loaded in its frame"))
    if seen.ticket and seen.ticket[0] == 200:
        checks.append(Check("ticket", True, "the server gave this page a ticket"))
    else:
        checks.append(Check("ticket", False, f"no ticket: {seen.ticket}"))
        return checks
    for group, choice in (("who", "professional"), ("what", "other")):
        chat.locator(f'label[for="pnav-{group}-{choice}"]').click()
    start.click()
    # The chat says "waiting" once the server welcomed it on the socket.
    waiting = chat.locator('[data-pnav="status"][data-state="waiting"]')
    with contextlib.suppress(PlaywrightError):  # then the socket check below fails
        waiting.wait_for(state="attached", timeout=timeout_ms)
    if seen.welcomed:
        checks.append(Check("socket", True, "the chat's websocket opened and the server answered"))
    else:
        blocked = [b for b in seen.blocked() if "connect" in b] or seen.blocked()
        ws = page.evaluate(_LOADER) or ""
        parts = urlsplit(ws)
        socket = f"{parts.scheme.replace('http', 'ws', 1)}://{parts.netloc}"
        checks.append(
            Check(
                "socket",
                False,
                "the chat's websocket did not open"
                + (": " + " | ".join(blocked) if blocked else "")
                + f"; add {socket} to the page's connect-src",
            )
        )
        return checks
    before = page.url
    page.locator('[data-pnav="exit"]').click()
    try:
        page.wait_for_url(lambda u: u != before, timeout=timeout_ms)
        checks.append(Check("quick exit", True, f"the page left for {page.url}"))
    except PlaywrightError:
        checks.append(Check("quick exit", False, "the page did not leave after quick exit"))
    return checks


def page_checks(page: Page, url: str, partner: str | None, timeout_ms: float) -> list[Check]:
    from playwright.sync_api import Error as PlaywrightError

    seen = _Seen()
    seen.watch(page)
    page.add_init_script(_WATCH_VIOLATIONS)
    try:
        page.goto(url, timeout=timeout_ms)
    except PlaywrightError as exc:
        raise UsageError(f"cannot open {url}: {str(exc).splitlines()[0]}") from exc
    checks: list[Check] = []
    loader = page.evaluate(_LOADER)
    if not loader:
        return [
            Check(
                "snippet",
                False,
                "no pnav loader script on the page: add the snippet (embed_snippet, "
                "{{ pnav_banner() }} or {% pnav_banner %})",
            )
        ]
    found = parse_qs(urlsplit(loader).query).get("partner", [""])[0]
    if partner and found != partner:
        checks.append(
            Check("snippet", False, f'the snippet is for partner "{found}", not "{partner}"')
        )
        return checks
    partner = found or partner or "?"
    checks.append(Check("snippet", True, f'the loader {loader.split("?")[0]} for "{partner}"'))
    state = page.evaluate(_STATE, timeout_ms)
    if state == "absent":
        blocked = seen.blocked()
        checks.append(
            Check(
                "loader runs",
                False,
                "the loader did not run"
                + (": " + " | ".join(blocked) if blocked else "")
                + "; allow the pnav server in script-src, or give the snippet the page's "
                "nonce (embed_snippet(nonce=...))",
            )
        )
        return checks
    checks.append(Check("loader runs", True, "the loader ran and its API answers"))
    if state == "unavailable":
        said = [c for c in seen.console if c.startswith("pnav:")]
        checks.append(Check("origin registered", False, said[0] if said else "unavailable"))
        return checks
    origin = page.evaluate("location.origin")
    checks.append(Check("origin registered", True, f'{origin} is registered for "{partner}"'))
    launcher = page.evaluate(
        """() => [...document.scripts].find((s) => /\\/widget\\/loader\\.js/.test(s.src))
            ?.dataset.pnavLauncher || ''"""
    )
    bar_visible = page.locator('[data-pnav="banner"]').is_visible()
    target = '[data-pnav="open"]' if bar_visible else launcher
    if not target:
        checks.append(
            Check(
                "banner visible",
                False,
                "launcher mode, and the snippet names no launcher: add data-pnav-launcher "
                "(embed_snippet(launcher=...)) or call pnav.open() from the page's button",
            )
        )
    else:
        covered = page.evaluate(_COVERED, target)
        what = "the banner" if bar_visible else f"the launcher {target}"
        if covered == "missing":
            checks.append(Check("banner visible", False, f"no element matches {target}"))
        elif covered:
            checks.append(
                Check(
                    "banner visible",
                    False,
                    f"{what} is covered by the page's {covered}: move it, or lower its z-index",
                )
            )
        else:
            checks.append(Check("banner visible", True, f"{what} is visible and on top"))
    checks.extend(_contrast_checks(page.evaluate(_COLORS), partner))
    checks.extend(_chat_checks(page, seen, timeout_ms))
    return checks
