"""``pnav partner check URL`` as a partner's developer runs it before going live: it
passes on the example partner site and fails, naming the cause and what to change, on
an unregistered origin, a CSP that blocks the socket and a low-contrast theme.

The command starts its own Playwright; it runs in a thread here, because the e2e
suite's session browser may already hold this thread's Playwright.
"""

from __future__ import annotations

import threading
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from partner_pages import EmbedEnv, embed_env

from pnav.server.cli import main


def _partner_check(*args: str) -> int:
    result: list[int] = []
    thread = threading.Thread(target=lambda: result.append(main(["partner", "check", *args])))
    thread.start()
    thread.join(120)
    assert result, "pnav partner check did not finish in 120 s"
    return result[0]


@pytest.fixture
def env(tmp_path: Path) -> Iterator[EmbedEnv]:
    with embed_env(tmp_path) as running:
        yield running


def test_the_example_partner_site_passes(
    live_server: Any, capsys: pytest.CaptureFixture[str]
) -> None:
    assert _partner_check(live_server.partner_url + "/", "--partner", "demo") == 0
    out = capsys.readouterr().out
    for name in (
        "snippet",
        "loader runs",
        "origin registered",
        "banner visible",
        "colours",
        "chat loads",
        "ticket",
        "socket",
        "quick exit",
        "no trace",
    ):
        assert f"  ok    {name}: " in out, (name, out)
    assert out.rstrip().endswith("RESULT: PASS")


def test_another_partners_id_fails_on_the_snippet(
    live_server: Any, capsys: pytest.CaptureFixture[str]
) -> None:
    assert _partner_check(live_server.partner_url + "/", "--partner", "club") == 1
    assert 'FAIL  snippet: the snippet is for partner "demo", not "club"' in capsys.readouterr().out


def test_an_unregistered_origin_fails_naming_the_setting(
    env: EmbedEnv, capsys: pytest.CaptureFixture[str]
) -> None:
    assert _partner_check(env.page("stranger")) == 1
    out = capsys.readouterr().out
    assert "FAIL  origin registered: pnav: this page's origin is not registered" in out
    assert 'for partner "stranger"' in out
    assert "add it to origins in [partners.stranger]" in out
    assert "-     no trace: not checked" in out
    assert out.rstrip().endswith("RESULT: FAIL (1 failed)")


def test_a_csp_that_blocks_the_socket_fails_naming_it(
    env: EmbedEnv, capsys: pytest.CaptureFixture[str]
) -> None:
    assert _partner_check(env.page(csp="no-socket")) == 1
    out = capsys.readouterr().out
    assert "ok    chat loads" in out and "ok    ticket" in out
    assert "FAIL  socket: the chat's websocket did not open" in out
    assert "connect-src" in out
    assert f"add {env.ws} to the page's connect-src" in out


def test_a_low_contrast_theme_fails_naming_the_pair(
    env: EmbedEnv, capsys: pytest.CaptureFixture[str]
) -> None:
    # A translucent theme: what shows through it is the page's, so no text colour can
    # be known to be readable on it.
    assert _partner_check(env.page("corner", theme="rgba(204, 204, 204, 0.5)")) == 1
    out = capsys.readouterr().out
    assert "FAIL  colours: the open button's text: " in out
    assert "is translucent: its contrast depends on the page behind it" in out


def test_a_light_opaque_theme_passes_as_the_loader_picks_black_text(
    env: EmbedEnv, capsys: pytest.CaptureFixture[str]
) -> None:
    # White on #cccccc would read at 1.61:1; the loader picks black (issue 11 §7).
    _partner_check(env.page("corner", theme="#cccccc"))
    out = capsys.readouterr().out
    assert "ok    colours: every pair passes WCAG AA contrast" in out, out


def test_a_page_that_cannot_be_checked_exits_2(capsys: pytest.CaptureFixture[str]) -> None:
    assert _partner_check("not a url") == 2
    assert "is not an http(s) URL" in capsys.readouterr().err
    assert _partner_check("http://127.0.0.1:9/") == 2
    assert "cannot open http://127.0.0.1:9/" in capsys.readouterr().err
