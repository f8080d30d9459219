"""Quick exit, by the banner's button and by pressing Shift three times: the person
lands on the neutral page, the chat leaves no history entry and nothing stored in the
browser, and the operator is told the person left by quick exit.

How History records the exit is tests/e2e/test_exit_history.py.

Then the rest of issue 7 §3: the page is blank in the very next frame (measured with
requestAnimationFrame, the neutral page held back so the old page can be read), also
with the pnav server unreachable and with the chat's own thread busy; only physical
Shift presses count; the "leave quickly" link is the first tab stop of the page and of
the chat; a page restored from the back-forward cache shows nothing of the chat; on a
touch screen the exit button is large and above the partner's own overlays; nothing
but the exit beacon leaves the page."""

from __future__ import annotations

import json
import re
import time
from collections.abc import Callable, Iterator
from typing import Any

import pytest
from playwright.sync_api import Browser, Page, Route, WebSocketRoute, expect

NO_STORAGE = {
    "localStorage": 0,
    "sessionStorage": 0,
    "indexedDB": [],
    "caches": [],
    "serviceWorkers": 0,
}


def _by_button(person: Any) -> None:
    person.page.locator('[data-pnav="exit"]').click()


def _by_shift_on_partner_page(person: Any) -> None:
    # Focus on the partner's own page, out of the chat iframe.
    person.page.locator("h1").click()
    assert person.page.evaluate("document.activeElement.tagName") == "BODY"
    for _ in range(3):
        person.page.keyboard.press("Shift")


def _by_shift_in_chat(person: Any) -> None:
    box = person.chat.locator('[data-pnav="message-input"]')
    box.click()
    expect(box).to_be_focused()
    assert person.page.evaluate("document.activeElement.tagName") == "IFRAME"
    for _ in range(3):
        person.page.keyboard.press("Shift")


@pytest.mark.parametrize(
    "leave",
    [_by_button, _by_shift_on_partner_page, _by_shift_in_chat],
    ids=["button", "shift-on-partner-page", "shift-in-chat"],
)
def test_quick_exit_leaves_no_trace(live_server, person, operator, leave):
    page = person.page
    # A first partner page, then the one where the chat is opened: "back" after the
    # exit must land on the first one, with no chat.
    person.goto_partner("/")
    person.goto_partner("/?page=aide")
    history_before = page.evaluate("history.length")

    person.open_chat()
    operator.login()
    operator.accept()
    expect(person.status).to_have_attribute("data-state", "active")
    person.send("il faut que je parte vite")
    expect(operator.presence).to_have_attribute("data-person", "connected")

    leave(person)

    page.wait_for_url(live_server.partner_url + "/meteo")
    expect(page.locator("h1")).to_have_text("Météo du jour")
    # A followed link (so History records no redirect, tests/e2e/test_exit_history.py):
    # one more entry in the tab's history, as any link adds.
    assert page.evaluate("history.length") == history_before + 1

    expect(operator.presence).to_have_attribute("data-person", "quick_exit")
    expect(operator.presence).to_contain_text("quick exit")

    # Nothing kept by the partner's origin (this tab is on it) nor by the server's.
    assert person.storage() == NO_STORAGE
    server_page = person.context.new_page()
    server_page.goto(live_server.url + "/console")
    assert person.storage(server_page) == NO_STORAGE
    server_page.close()
    assert person.context.cookies() == []
    assert person.context.storage_state(indexed_db=True) == {"cookies": [], "origins": []}

    # Back: the partner page the chat was on, banner only, the chat closed.
    page.go_back()
    assert page.url == live_server.partner_url + "/?page=aide"
    expect(page.locator('[data-pnav="banner"]')).to_be_visible()
    expect(page.locator('[data-pnav="open"]')).to_have_attribute("aria-expanded", "false")
    expect(page.locator('[data-pnav="panel"]')).to_have_count(0)
    expect(page.locator("iframe")).to_have_count(0)


# ------------------------------------------------------------- blank in one frame

# Installed in the partner page before the exit: the time of the trigger (the last
# Shift, Enter or click, seen by a listener that runs in the same dispatch as the
# loader's) and, for every animation frame, what that frame is about to paint (a
# requestAnimationFrame callback runs just before its frame's style, layout and paint).
# Once the page has been blank for three frames, the probe reports on the console:
# while the navigation to the neutral page is held back, the old page keeps painting
# and logging, but cannot be evaluated from the test.
PROBE = """() => {
  let trigger = 0;
  const frames = [];
  const now = () => performance.timeOrigin + performance.now();
  addEventListener('keydown', (e) => {
    if (e.key === 'Shift' || e.key === 'Enter') trigger = now();
  }, true);
  addEventListener('click', () => { trigger = now(); }, true);
  const state = () => {
    const f = document.querySelector('iframe[title="Chat"]');
    const r = f && f.isConnected ? f.getBoundingClientRect() : null;
    const top = document.elementFromPoint(innerWidth / 2, innerHeight / 2);
    return {
      t: now(),
      chat: !!r && r.width > 0 && r.height > 0 && getComputedStyle(f).visibility === 'visible',
      hidden: getComputedStyle(document.body).visibility === 'hidden',
      cover: !!top && top.getAttribute('data-pnav') === 'cover',
    };
  };
  let blankRun = 0;
  const tick = () => {
    const s = state();
    frames.push(s);
    if (frames.length > 120) frames.shift();
    blankRun = !s.chat && s.hidden && s.cover ? blankRun + 1 : 0;
    if (blankRun === 3) console.log('pnav-exit-probe ' + JSON.stringify({ trigger, frames }));
    else requestAnimationFrame(tick);
  };
  requestAnimationFrame(tick);
}"""
PROBE_TIMEOUT_MS = 5_000
BUSY_FOR_3_S = """() => setTimeout(() => {
  const end = Date.now() + 3000;
  while (Date.now() < end);
}, 0)"""


class HeldNeutralPage:
    """Holds the navigation to the neutral page, so the old page keeps painting."""

    def __init__(self, page: Page, url: str) -> None:
        self.routes: list[Route] = []
        self.released = False
        page.route(url, self._hold)

    def _hold(self, route: Route) -> None:
        # Route events and release() run on the same (Playwright dispatch) thread.
        if self.released:
            route.continue_()
        else:
            self.routes.append(route)

    def release(self) -> None:
        self.released = True
        for route in self.routes:
            route.continue_()


def _watch_exit(page: Page, trigger: Callable[[], None]) -> dict[str, Any]:
    """Run ``trigger`` under the probe; what the probe saw once the page was blank."""
    page.evaluate(PROBE)
    with page.expect_console_message(
        lambda m: m.text.startswith("pnav-exit-probe "), timeout=PROBE_TIMEOUT_MS
    ) as message:
        trigger()
    report: dict[str, Any] = json.loads(message.value.text.split(" ", 1)[1])
    return report


def _assert_blank_from(probe: dict[str, Any], trigger: float, *, next_frame: bool) -> float:
    """The frames painted from ``trigger`` on: blank (no chat, page hidden, the cover
    on top) in the very next one when ``next_frame``, else within 100 ms and for good.
    Returns the milliseconds from the trigger to the first blank frame."""
    before = [f for f in probe["frames"] if f["t"] < trigger]
    after = [f for f in probe["frames"] if f["t"] >= trigger]
    assert before and before[-1]["chat"], "the chat was not on screen before the exit"
    assert after, "no frame was painted after the exit"
    blank = [not f["chat"] and f["hidden"] and f["cover"] for f in after]
    first = blank.index(True) if True in blank else None
    assert first is not None, f"never blank: {after[:5]}"
    assert all(blank[first:]), "the chat came back after the blank frame"
    if next_frame:
        assert first == 0, f"the frame after the exit still showed: {after[0]}"
    elapsed = float(after[first]["t"] - trigger)
    assert elapsed < 100, f"blank only after {elapsed:.1f} ms"
    print(f"blank {elapsed:.1f} ms after the trigger, in frame {first + 1} after it")
    return elapsed


def _click(page: Page, selector: str) -> None:
    """A real click that does not wait for the (held) navigation it starts."""
    box = page.locator(selector).bounding_box()
    assert box is not None
    page.mouse.click(box["x"] + box["width"] / 2, box["y"] + box["height"] / 2)


def _trigger_button(page: Page, person: Any) -> None:
    _click(page, '[data-pnav="exit"]')


def _trigger_shift_on_page(page: Page, person: Any) -> None:
    page.locator("h1").click()
    for _ in range(3):
        page.keyboard.press("Shift")


def _trigger_leave_link(page: Page, person: Any) -> None:
    page.locator('[data-pnav="leave"]').focus()
    page.keyboard.press("Enter")


@pytest.mark.parametrize(
    "trigger",
    [_trigger_button, _trigger_shift_on_page, _trigger_leave_link],
    ids=["button", "shift-on-partner-page", "leave-link"],
)
def test_page_is_blank_in_the_next_frame(live_server, person, trigger):
    """Also: no analytics about an exit, ever. The only requests are the beacon to the
    pnav server and the neutral page itself."""
    page = person.page
    person.goto_partner("/")
    person.open_chat()
    held = HeldNeutralPage(page, live_server.partner_url + "/meteo")
    requests: list[tuple[str, str]] = []
    page.on("request", lambda r: requests.append((r.method, r.url)))
    probe = _watch_exit(page, lambda: trigger(page, person))
    _assert_blank_from(probe, probe["trigger"], next_frame=True)
    held.release()
    page.wait_for_url(live_server.partner_url + "/meteo")
    beacon = ("POST", live_server.url + "/api/exit")
    assert beacon in requests
    assert set(requests) <= {beacon, ("GET", live_server.partner_url + "/meteo")}, requests


def test_shift_in_the_chat_blanks_within_100_ms(live_server, person):
    """Keys pressed in the chat reach the loader by postMessage: one hop, still well
    inside 100 ms (measured from before the third key was sent, so an upper bound)."""
    page = person.page
    person.goto_partner("/")
    person.open_chat()
    box = person.chat.locator('[data-pnav="message-input"]')
    box.click()
    held = HeldNeutralPage(page, live_server.partner_url + "/meteo")
    sent: list[float] = []

    def three_shifts() -> None:
        page.keyboard.press("Shift")
        page.keyboard.press("Shift")
        # Two frames painted with the chat on, then the time just before the third key.
        page.evaluate("new Promise((r) => requestAnimationFrame(() => requestAnimationFrame(r)))")
        sent.append(page.evaluate("performance.timeOrigin + performance.now()"))
        page.keyboard.press("Shift")

    probe = _watch_exit(page, three_shifts)
    _assert_blank_from(probe, sent[0], next_frame=False)
    held.release()
    page.wait_for_url(live_server.partner_url + "/meteo")


@pytest.fixture
def cuttable_server(person: Any, live_server: Any) -> Iterator[Callable[[], None]]:
    """The person's socket passes through a route that can go silent (a dead socket:
    open, nothing arrives either way); the returned function also makes every HTTP
    request to the pnav server fail."""
    cut = {"on": False}

    def through(ws: WebSocketRoute) -> None:
        server = ws.connect_to_server()
        ws.on_message(lambda m: None if cut["on"] else server.send(m))
        server.on_message(lambda m: None if cut["on"] else ws.send(m))

    person.page.route_web_socket(re.compile(r"/ws/person"), through)

    def cut_now() -> None:
        cut["on"] = True
        person.page.route(live_server.url + "/**", lambda route: route.abort())

    yield cut_now


def test_exit_with_the_server_unreachable_and_the_chat_busy(
    live_server, person, cuttable_server, browser_log
):
    """The worst case at once: the socket dead, every request to the pnav server
    failing, and the chat stuck in a long task. The chat runs in its own sandboxed,
    opaque-origin frame (its own process in Chromium), so the banner's exit neither
    waits for it nor for the network."""
    page = person.page
    person.goto_partner("/")
    person.open_chat()
    cuttable_server()
    chat = next(f for f in page.frames if f.url == "about:srcdoc")
    held = HeldNeutralPage(page, live_server.partner_url + "/meteo")
    chat.evaluate(BUSY_FOR_3_S)
    started = time.monotonic()
    probe = _watch_exit(page, lambda: _click(page, '[data-pnav="exit"]'))
    _assert_blank_from(probe, probe["trigger"], next_frame=True)
    assert time.monotonic() - started < 2, "the exit waited for the busy chat"
    held.release()
    page.wait_for_url(live_server.partner_url + "/meteo")
    expect(page.locator("h1")).to_have_text("Météo du jour")
    # The beacon could not reach the server: expected here, and the only error.
    failed = [e for e in browser_log.errors if "/api/exit" in e]
    assert failed
    browser_log.errors[:] = [e for e in browser_log.errors if e not in failed]


# -------------------------------------------------------------------- only real keys


def test_synthetic_or_held_shift_does_not_exit(live_server, person):
    """Only physical presses count: events made by a script (isTrusted false, which is
    also all an on-screen keyboard could offer: a phone's virtual keyboard sends no
    keydown for its shift key) and the auto-repeat of a held key do not."""
    page = person.page
    person.goto_partner("/")
    person.open_chat()
    synthetic = """() => {
      for (let i = 0; i < 3; i++) {
        for (const target of [window, document, document.body]) {
          const init = { key: 'Shift', code: 'ShiftLeft', bubbles: true };
          target.dispatchEvent(new KeyboardEvent('keydown', init));
          target.dispatchEvent(new KeyboardEvent('keyup', init));
        }
      }
      return document.body.hidden || document.querySelector('[data-pnav="cover"]') !== null
        || getComputedStyle(document.documentElement).visibility === 'hidden';
    }"""
    # Exit is synchronous on both sides: had it fired, the same call would see it.
    assert page.evaluate(synthetic) is False
    chat = next(f for f in page.frames if f.url == "about:srcdoc")
    assert chat.evaluate(synthetic) is False
    # Shift held down: one press and its auto-repeats.
    page.locator("h1").click()
    page.keyboard.down("Shift")
    page.keyboard.down("Shift")
    page.keyboard.down("Shift")
    page.keyboard.up("Shift")
    assert page.evaluate("document.querySelector('[data-pnav=\"cover\"]')") is None
    expect(person.chat.locator('[data-pnav="message-input"]')).to_be_visible()
    # Two more real presses make three within 2 s: that one does leave.
    page.keyboard.press("Shift")
    page.keyboard.press("Shift")
    page.wait_for_url(live_server.partner_url + "/meteo")


# ---------------------------------------------------------------- the hidden link


def test_leave_link_is_the_first_tab_stop_of_the_page(live_server, person):
    page = person.page
    person.goto_partner("/")
    link = page.locator('[data-pnav="leave"]')
    # Visually hidden until focused.
    assert link.evaluate("e => getComputedStyle(e).clipPath") == "inset(50%)"
    page.keyboard.press("Tab")
    expect(link).to_be_focused()
    expect(link).to_have_text("Quitter ce site rapidement")
    assert link.evaluate("e => getComputedStyle(e).clipPath") == "none"
    box = link.bounding_box()
    assert box and box["width"] >= 44 and box["height"] >= 44
    history = page.evaluate("history.length")
    page.keyboard.press("Enter")
    page.wait_for_url(live_server.partner_url + "/meteo")
    assert page.evaluate("history.length") == history + 1  # a followed link


def test_leave_link_is_the_first_tab_stop_of_the_chat(live_server, person):
    page = person.page
    person.goto_partner("/")
    person.open_chat()
    chat = next(f for f in page.frames if f.url == "about:srcdoc")
    first = chat.evaluate(
        """() => [...document.querySelectorAll('a[href], button, input, select, textarea')]
              .find((e) => e.tabIndex >= 0 && !e.disabled)
              ?.getAttribute('data-pnav')"""
    )
    assert first == "chat-leave"
    # From the banner's last button, Tab enters the chat on that button.
    page.locator('[data-pnav="exit"]').focus()
    page.keyboard.press("Tab")
    leave = person.chat.locator('[data-pnav="chat-leave"]')
    expect(leave).to_be_focused()
    expect(leave).to_have_text("Quitter ce site rapidement")
    box = leave.bounding_box()
    assert box and box["width"] >= 44 and box["height"] >= 44
    page.keyboard.press("Enter")
    page.wait_for_url(live_server.partner_url + "/meteo")


# -------------------------------------------------------------- back-forward cache


@pytest.fixture
def bfcache_browser(browser: Browser) -> Iterator[Browser]:
    """Playwright turns the back-forward cache off; this browser has it, as people do."""
    other = browser.browser_type.launch(
        executable_path="/usr/bin/chromium",
        args=["--no-sandbox", "--disable-gpu", "--no-first-run"],
        ignore_default_args=["--disable-back-forward-cache"],
    )
    yield other
    other.close()


def test_page_restored_from_the_back_forward_cache_shows_no_chat(
    live_server, bfcache_browser, browser_log
):
    """The loader removes the chat on pagehide, so the cached page holds nothing of it
    (and, its socket closed, the page may enter the cache at all)."""
    context = bfcache_browser.new_context(locale="fr-FR")
    context.set_default_timeout(10_000)
    browser_log.watch(context, "person")
    page = context.new_page()
    page.goto(live_server.partner_url + "/")
    chat = page.frame_locator('iframe[title="Chat"]')
    page.locator('[data-pnav="open"]').click()
    chat.locator('label[for="pnav-who-victim"]').click()
    chat.locator('label[for="pnav-what-domestic"]').click()
    chat.locator('[data-pnav="prechat-start"]').click()
    expect(chat.locator('[data-pnav="status"]')).to_have_attribute("data-state", "waiting")
    page.evaluate("window.__sameDocument = true")

    page.goto(live_server.partner_url + "/meteo")
    page.go_back(wait_until="commit")  # a restore from the cache fires no load event

    expect(page.locator('[data-pnav="banner"]')).to_be_visible()
    # The very document we left, restored from the cache, and nothing of the chat in it.
    assert page.evaluate("window.__sameDocument") is True
    expect(page.locator("iframe")).to_have_count(0)
    expect(page.locator('[data-pnav="panel"]')).to_have_count(0)
    expect(page.locator('[data-pnav="open"]')).to_have_attribute("aria-expanded", "false")
    # And the banner still works: a fresh chat opens.
    page.locator('[data-pnav="open"]').click()
    expect(chat.locator('[data-pnav="prechat-start"]')).to_be_visible()
    context.close()


# ------------------------------------------------------------------- touch screens


def _hit(page: Page, locator: Any) -> str | None:
    """The data-pnav of what a finger on the middle of ``locator`` touches."""
    box = locator.bounding_box()
    assert box is not None
    hit: str | None = page.evaluate(
        "([x, y]) => document.elementFromPoint(x, y)?.getAttribute('data-pnav')",
        [box["x"] + box["width"] / 2, box["y"] + box["height"] / 2],
    )
    return hit


def test_exit_button_on_a_touch_screen_is_large_and_above_partner_overlays(
    live_server, browser, browser_log
):
    context = browser.new_context(
        locale="fr-FR", viewport={"width": 390, "height": 844}, is_mobile=True, has_touch=True
    )
    context.set_default_timeout(10_000)
    browser_log.watch(context, "person")
    page = context.new_page()
    page.goto(live_server.partner_url + "/")
    exit_button = page.locator('[data-pnav="exit"]')
    expect(exit_button).to_be_visible()
    assert page.evaluate("matchMedia('(pointer: coarse)').matches") is True
    # The partner's own overlay, added after the banner, with the largest z-index.
    page.evaluate(
        """() => {
          const o = document.createElement('div');
          o.id = 'partner-overlay';
          o.style.cssText = 'position:fixed;inset:0;z-index:2147483647;background:rgba(0,0,0,.6)';
          document.body.append(o);
        }"""
    )
    box = exit_button.bounding_box()
    assert box is not None
    assert box["width"] >= 56 and box["height"] >= 56, box
    # Fully on screen, and what a finger on it touches.
    assert box["x"] >= 0 and box["y"] >= 0
    assert box["x"] + box["width"] <= 390 and box["y"] + box["height"] <= 844
    assert _hit(page, exit_button) == "exit"
    # The chat open, full-screen above the banner: the exit button and the focused
    # "leave quickly" link still on top of it and of the overlay.
    page.locator('[data-pnav="open"]').tap()
    chat = page.frame_locator('iframe[title="Chat"]')
    expect(chat.locator('[data-pnav="prechat-start"]')).to_be_visible()
    assert _hit(page, exit_button) == "exit"
    leave = page.locator('[data-pnav="leave"]')
    leave.focus()
    assert _hit(page, leave) == "leave"
    exit_button.tap()
    page.wait_for_url(live_server.partner_url + "/meteo")
    context.close()
