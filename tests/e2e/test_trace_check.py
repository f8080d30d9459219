"""``pnav trace-check URL`` run as a partner would run it, on a clean page and on leaky ones.

The command starts its own Playwright; it runs in a thread here, because the e2e
suite's session browser may already hold this thread's Playwright.
"""

from __future__ import annotations

import secrets
import threading
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest
from flask import Flask, Response, request

from pnav.sdk import embed_snippet
from pnav.server import Settings, create_app
from pnav.server.cli import main
from pnav.server.operators.desk import enrol_operator
from pnav.server.serving import dev_server as _server
from pnav.server.stores.sqlite.store import SQLiteStore


def _trace_check(*args: str) -> int:
    result: list[int] = []
    thread = threading.Thread(target=lambda: result.append(main(["trace-check", *args])))
    thread.start()
    thread.join(60)
    assert result, "pnav trace-check did not finish in 60 s"
    return result[0]


def test_the_example_partner_page_is_clean(live_server, capsys):
    assert _trace_check(live_server.partner_url + "/") == 0
    out = capsys.readouterr().out
    assert "message sent and acknowledged by the server" in out
    assert "quick exit: the page left for " + live_server.partner_url + "/meteo" in out
    assert "No trace of the chat on the disk." in out
    assert out.rstrip().endswith("PASS")
    # The partner page's own footprint is shown, as not a trace of the chat.
    assert "the code-cache key of the loader script" in out


# A partner page that embeds the banner and then leaks: a cookie or a localStorage
# entry naming the chat server (an analytics tag recording the click, say).
LEAKY_PAGE = """<!doctype html><html lang="fr"><head><meta charset="utf-8"><title>Leaky</title>
</head><body><h1>Leaky partner</h1>{snippet}
<script>
document.addEventListener('click', (e) => {{
  if (e.target.closest('[data-pnav="open"]') && {store})
    localStorage.setItem('last_help_click', {server!r});
}}, true);
</script></body></html>"""


@dataclass
class Leaky:
    url: str
    server: str
    where: str  # the profile file the report must name


def _leaky_site(leak: str) -> Flask:
    site = Flask("leaky_partner")
    site.config["PNAV_SERVER"] = "http://placeholder.invalid"

    @site.get("/")
    def home() -> Response:
        server = site.config["PNAV_SERVER"]
        exit_url = request.host_url + "meteo"
        snippet = embed_snippet(server, "leaky", lang="fr", exit_url=exit_url)
        page = LEAKY_PAGE.format(
            snippet=snippet, store="true" if leak == "localStorage" else "false", server=server
        )
        response = Response(page, mimetype="text/html")
        if leak == "cookie":
            response.set_cookie("help_chat", server, max_age=86400)
        return response

    @site.get("/meteo")
    def meteo() -> Response:
        return Response("<!doctype html><title>Météo</title><h1>Météo</h1>", mimetype="text/html")

    return site


@pytest.fixture(params=["cookie", "localStorage"])
def leaky(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[Leaky]:
    site = _leaky_site(request.param)
    site_server = _server(site, "127.0.0.1", 0)
    threading.Thread(target=site_server.serve_forever, daemon=True).start()
    site_url = f"http://127.0.0.1:{site_server.server_port}"
    settings = Settings.load(
        None,
        environ={},
        data_dir=tmp_path / "data",
        partners={"leaky": [site_url]},
        when_nobody_on_duty="queue",  # no console here: queue the person as before
    )
    store = SQLiteStore(settings.database_path)
    enrol_operator(store, "alice", secrets.token_urlsafe(12), kdf_ops=1, kdf_mem=8 << 20)
    app = create_app(settings, store=store, maintenance=False)
    server = _server(app, "127.0.0.1", 0)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    site.config["PNAV_SERVER"] = f"http://127.0.0.1:{server.server_port}"
    where = {"cookie": "Default/Cookies", "localStorage": "Default/Local Storage/leveldb/"}
    yield Leaky(site_url + "/", site.config["PNAV_SERVER"], where[request.param])
    server.shutdown()
    site_server.shutdown()
    app.extensions["pnav"].shutdown()
    store.close()


def test_a_leaky_page_fails_and_the_report_names_the_file(leaky: Leaky, capsys, tmp_path):
    kept = tmp_path / "kept-profile"
    assert _trace_check(leaky.url, "--keep-profile", str(kept), "--timeout", "10") == 1
    out = capsys.readouterr().out
    assert "FOUND" in out and out.rstrip().endswith("FAIL")
    [named] = [line for line in out.splitlines() if line.startswith("  " + leaky.where)]
    assert "the chat server's address" in out.split(named, 1)[1].splitlines()[1], out
    assert kept.is_dir() and (kept / "Default").is_dir(), "--keep-profile keeps the profile"


def test_usage_errors_exit_2_with_a_clear_message(live_server, capsys, tmp_path):
    assert _trace_check("ftp://example.org/") == 2
    assert "not an http(s) URL" in capsys.readouterr().err

    assert _trace_check(live_server.partner_url + "/", "--chromium", str(tmp_path / "nope")) == 2
    assert "apt-get install chromium" in capsys.readouterr().err

    assert _trace_check(live_server.partner_url + "/meteo", "--timeout", "2") == 2
    assert "no pnav banner" in capsys.readouterr().err
