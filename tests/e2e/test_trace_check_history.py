"""``pnav trace-check`` reports how History recorded the quick exit, as findings of their
own kind (issue 17 §3): an ordinary link visit and the partner visit's duration on the
example page (PASS); a script redirect chained from the partner visit on a page whose
own script takes over the exit button and leaves with ``location.replace()`` (FAIL).

The command starts its own Playwright; it runs in a thread here, because the e2e
suite's session browser may already hold this thread's Playwright.
"""

from __future__ import annotations

import secrets
import threading
from collections.abc import Iterator
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


def test_the_example_page_leaves_an_ordinary_visit(live_server, capsys):
    assert _trace_check(live_server.partner_url + "/") == 0
    out = capsys.readouterr().out
    section = out.split("How the History database recorded the quick exit:", 1)[1]
    exit_line = f"[fact ] visit 2 {live_server.partner_url}/meteo"
    assert exit_line in section, out
    assert "ordinary one (LINK|CHAIN_START|CHAIN_END, from no visit)" in section
    assert f"[fact ] visit 1 {live_server.partner_url}/" in section
    assert "the partner page's visit lasted" in section
    assert "TRACE" not in section
    assert out.rstrip().endswith("PASS")


# The page takes the exit button over (capture phase, before the loader's handler) and
# leaves with location.replace(), as the loader did before issue 17.
SCRIPTED_EXIT = """<!doctype html><html lang="fr"><head><meta charset="utf-8">
<title>Scripted exit</title></head><body><h1>Partner</h1>{snippet}
<script>
document.addEventListener('click', (e) => {{
  if (!e.target.closest('[data-pnav="exit"]')) return;
  e.stopPropagation();
  location.replace({exit!r});
}}, true);
</script></body></html>"""


@pytest.fixture
def scripted_exit_page(tmp_path: Path) -> Iterator[str]:
    site = Flask("scripted_exit_partner")
    site.config["PNAV_SERVER"] = "http://placeholder.invalid"

    @site.get("/")
    def home() -> Response:
        exit_url = request.host_url + "meteo"
        snippet = embed_snippet(site.config["PNAV_SERVER"], "scripted", exit_url=exit_url)
        return Response(SCRIPTED_EXIT.format(snippet=snippet, exit=exit_url), mimetype="text/html")

    @site.get("/meteo")
    def meteo() -> Response:
        return Response("<!doctype html><title>Météo</title><h1>Météo</h1>", mimetype="text/html")

    site_server = _server(site, "127.0.0.1", 0)
    threading.Thread(target=site_server.serve_forever, daemon=True).start()
    site_url = f"http://127.0.0.1:{site_server.server_port}"
    settings = Settings.load(
        None, environ={}, data_dir=tmp_path / "data", partners={"scripted": [site_url]}
    )
    store = SQLiteStore(settings.database_path)
    enrol_operator(store, "alice", secrets.token_urlsafe(12), kdf_ops=1, kdf_mem=8 << 20)
    app = create_app(settings, store=store, maintenance=False)
    server = _server(app, "127.0.0.1", 0)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    site.config["PNAV_SERVER"] = f"http://127.0.0.1:{server.server_port}"
    yield site_url
    server.shutdown()
    site_server.shutdown()
    app.extensions["pnav"].shutdown()
    store.close()


def test_a_page_that_leaves_by_script_fails_on_its_redirect_chain(scripted_exit_page, capsys):
    assert _trace_check(scripted_exit_page + "/", "--timeout", "10") == 1
    out = capsys.readouterr().out
    assert "No trace of the chat on the disk." in out  # the files are clean...
    section = out.split("How the History database recorded the quick exit:", 1)[1]
    assert f"[TRACE] visit 2 {scripted_exit_page}/meteo" in section, out
    assert "recorded as a redirect (LINK|CHAIN_END|CLIENT_REDIRECT)" in section
    assert out.rstrip().endswith("FAIL")  # ...but History tells a quick exit was used
