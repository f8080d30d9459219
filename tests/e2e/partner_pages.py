"""Partner pages for the embedding tests: a pnav server with several partners (one per
display mode, one whose origin is somewhere else) and a partner site whose page takes
its snippet options and its Content-Security-Policy from the query string.

``/page?partner=corner&csp=strict&launcher=%23talk&queue=open&theme=%23ccc``
"""

from __future__ import annotations

import contextlib
import secrets
import threading
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from urllib.parse import urlencode

from flask import Flask, Response, request

from pnav.sdk import embed_snippet
from pnav.server import Settings, create_app
from pnav.server.operators.desk import enrol_operator
from pnav.server.serving import dev_server as _server
from pnav.server.stores.sqlite.store import SQLiteStore

# The policies a partner page may have; {server} is the pnav server's origin, {ws} its
# websocket origin, {nonce} this response's nonce (the page's own inline script has it).
CSPS = {
    # What docs/privacy.md tells partners to add to a policy of their own.
    "documented": (
        "default-src 'self'; script-src 'self' 'nonce-{nonce}' {server} 'wasm-unsafe-eval'; "
        "style-src 'self' {server}; connect-src 'self' {server} {ws}; img-src 'self' data:; "
        "object-src 'none'; base-uri 'none'"
    ),
    # Nothing at all but what pnav needs.
    "none": (
        "default-src 'none'; script-src 'nonce-{nonce}' {server} 'wasm-unsafe-eval'; "
        "style-src {server}; connect-src {server} {ws}; img-src data:"
    ),
    # A nonce-based policy: hosts are ignored, trust goes to what trusted scripts create.
    "strict": (
        "script-src 'nonce-{nonce}' 'strict-dynamic' 'wasm-unsafe-eval'; "
        "object-src 'none'; base-uri 'none'"
    ),
    "trusted-types": (
        "script-src 'nonce-{nonce}' 'strict-dynamic' 'wasm-unsafe-eval'; "
        "object-src 'none'; base-uri 'none'; require-trusted-types-for 'script'; "
        "trusted-types pnav"
    ),
    # The documented policy, but the websocket's origin forgotten.
    "no-socket": (
        "default-src 'self'; script-src 'self' 'nonce-{nonce}' {server} 'wasm-unsafe-eval'; "
        "style-src 'self' {server}; connect-src 'self' {server}; img-src 'self' data:"
    ),
}

# Records the API's events (name, number of arguments) and the page's CSP violations;
# queues API calls before the (async) loader has arrived.
RECORDER = """<script nonce="{nonce}">
window.pnavEvents = [];
window.violations = [];
addEventListener('securitypolicyviolation',
  (e) => violations.push(e.violatedDirective + ' ' + e.blockedURI));
window.pnav = window.pnav || [];
window.queuedBeforeLoader = Array.isArray(window.pnav);
for (const name of ['ready', 'open', 'close', 'exit', 'unavailable']) {{
  pnav.push(['on', name, function () {{
    pnavEvents.push([name, arguments.length]);
    if (window.recordEvent) window.recordEvent(name, arguments.length);
  }}]);
}}
{queued}
</script>"""

PAGE = """<!doctype html>
<html lang="fr"><head><meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>Mairie</title>{recorder}</head>
<body><header><h1>Mairie de Saint-Exemple</h1></header>
<main><p>Horaires d'ouverture : du lundi au vendredi.</p>
<button id="talk" type="button">Parler à quelqu'un de la mairie</button></main>
{snippet}
</body></html>"""

NEUTRAL = "<!doctype html><html lang='fr'><title>Météo</title><h1>Météo du jour</h1></html>"


@dataclass
class EmbedEnv:
    server: str
    site: str
    operator: str
    password: str

    @property
    def ws(self) -> str:
        return self.server.replace("http", "ws", 1)

    def page(self, partner: str = "demo", **options: str) -> str:
        return f"{self.site}/page?{urlencode({'partner': partner, **options})}"


def partner_site(env: dict[str, str]) -> Flask:
    site = Flask("partner_pages")

    @site.get("/page")
    def page() -> Response:
        args = request.args
        nonce = secrets.token_urlsafe(16)
        snippet = embed_snippet(
            env["server"],
            args.get("partner", "demo"),
            exit_url=request.host_url + "meteo",
            nonce=nonce,
            launcher=args.get("launcher"),
            lang=args.get("lang"),
        )
        if theme := args.get("theme"):
            snippet = snippet.replace(" async>", f' data-pnav-theme="{theme}" async>')
        queued = "pnav.push(['open']);" if args.get("queue") == "open" else ""
        recorder = RECORDER.format(nonce=nonce, queued=queued)
        response = Response(PAGE.format(recorder=recorder, snippet=snippet), mimetype="text/html")
        if csp := args.get("csp"):
            ws = env["server"].replace("http", "ws", 1)
            response.headers["Content-Security-Policy"] = CSPS[csp].format(
                nonce=nonce, server=env["server"], ws=ws
            )
        return response

    @site.get("/meteo")
    def meteo() -> Response:
        return Response(NEUTRAL, mimetype="text/html")

    return site


@contextlib.contextmanager
def embed_env(tmp_path: Path) -> Iterator[EmbedEnv]:
    """A pnav server whose partners ``demo`` (banner), ``corner`` (left corner),
    ``launcher`` (launcher only) are on the partner site, and ``stranger`` is not."""
    env: dict[str, str] = {"server": "http://placeholder.invalid"}
    site_server = _server(partner_site(env), "127.0.0.1", 0)
    threading.Thread(target=site_server.serve_forever, daemon=True).start()
    site = f"http://127.0.0.1:{site_server.server_port}"
    partners: dict[str, Any] = {
        "demo": {
            "origins": [site],
            # A right-to-left language no locale table ships yet: the partner's own words.
            "texts": {
                "ar": {
                    "open": "تحدث إلى شخص ما",
                    "exit": "خروج سريع",
                    "exitLabel": "خروج سريع: غادر هذا الموقع الآن",
                    "region": "دعم الضحايا",
                    "leave": "غادر هذا الموقع بسرعة",
                }
            },
        },
        "corner": {"origins": [site], "mode": "corner", "position": "left"},
        "launcher": {"origins": [site], "mode": "launcher"},
        "stranger": {"origins": ["https://elsewhere.example"]},
    }
    settings = Settings.load(None, environ={}, data_dir=tmp_path / "data", partners=partners)
    store = SQLiteStore(settings.database_path)
    password = secrets.token_urlsafe(12)
    enrol_operator(store, "alice", password, kdf_ops=1, kdf_mem=8 << 20)
    app = create_app(settings, store=store, maintenance=False)
    server = _server(app, "127.0.0.1", 0)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    env["server"] = f"http://127.0.0.1:{server.server_port}"
    try:
        yield EmbedEnv(env["server"], site, "alice", password)
    finally:
        server.shutdown()
        site_server.shutdown()
        app.extensions["pnav"].shutdown()
        store.close()
