"""Every HTTP route: privacy headers, no cookies for people, the ticket's origin check."""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Any

import pytest
from flask import Flask

from pnav.server import Settings, create_app
from pnav.server.operators.desk import enrol_operator
from pnav.server.stores.sqlite.store import SQLiteStore
from pnav.server.web.headers import PERMISSIONS_POLICY

PARTNER_ORIGIN = "https://partner.example"


def _app(data_dir: Path, **settings: Any) -> Flask:
    settings.setdefault("partners", {"demo": [PARTNER_ORIGIN]})
    loaded = Settings.load(None, environ={}, data_dir=data_dir, **settings)
    store = SQLiteStore(loaded.database_path)
    enrol_operator(store, "alice", "a long password", kdf_ops=1, kdf_mem=8 << 20)
    return create_app(loaded, store=store, maintenance=False)


@pytest.fixture
def app(tmp_path) -> Flask:
    return _app(tmp_path)


# Every route and who reaches it: a person's browser (from a partner page, cross-origin)
# or an operator's (the console, same-origin). A route missing here fails the suite.
PERSON, OPERATOR, MONITORING = "person", "operator", "monitoring"
ROUTES = {
    "/healthz": MONITORING,  # probes (src/pnav/server/web/ops.py)
    "/readyz": MONITORING,
    "/widget/<name>": PERSON,
    "/widget/locale.js": PERSON,
    "/widget/loader.js": PERSON,
    "/widget/panel.js": PERSON,
    "/api/ticket": PERSON,
    "/api/exit": PERSON,
    "/api/service": PERSON,
    "/ws/person": PERSON,
    "/console": OPERATOR,
    "/console/<name>": OPERATOR,
    "/console/api/prelogin": OPERATOR,
    "/console/api/login": OPERATOR,
    "/console/api/logout": OPERATOR,
    "/console/api/me": OPERATOR,
    "/console/api/translate": OPERATOR,
    "/console/api/locale": OPERATOR,
    "/console/api/canned": OPERATOR,
    "/console/api/canned/<reply_id>": OPERATOR,
    "/console/api/operators": OPERATOR,
    "/console/api/operators/<path:username>/remove": OPERATOR,
    "/console/api/desk/rotate": OPERATOR,
    "/console/api/casework": OPERATOR,
    "/console/api/centre": OPERATOR,
    "/console/api/service": OPERATOR,
    "/console/api/resources": OPERATOR,
    "/console/api/emergency": OPERATOR,
    "/console/api/report": OPERATOR,
    "/console/ws": OPERATOR,
    "/console/stats": OPERATOR,
    "/console/stats.csv": OPERATOR,
}


def _sample_requests(app: Flask) -> list[tuple[str, str]]:
    """One request for every route and method, with path arguments filled in (a
    websocket route gets a plain GET: what any non-websocket client sees)."""
    samples = {"name": "loader.js", "reply_id": "1", "username": "alice"}
    out = []
    for rule in app.url_map.iter_rules():
        path = re.sub(r"<(?:\w+:)?(\w+)>", lambda m: samples[m.group(1)], rule.rule)
        for method in sorted((rule.methods or set()) - {"HEAD", "OPTIONS"}):
            out.append((method, path))
    return out


def test_every_route_is_covered_by_the_header_checks(app: Flask) -> None:
    routes = {path for _, path in _sample_requests(app)}
    assert {"/api/ticket", "/api/exit", "/widget/loader.js", "/console", "/ws/person"} <= routes


def test_every_route_has_a_declared_policy(app: Flask) -> None:
    """A new route must say here who reaches it, so that its headers are checked."""
    assert {rule.rule for rule in app.url_map.iter_rules()} == set(ROUTES)


def _csp(header: str) -> dict[str, list[str]]:
    directives: dict[str, list[str]] = {}
    for part in filter(None, (p.strip() for p in header.split(";"))):
        name, *values = part.split()
        assert name not in directives, f"{name} twice in {header}"
        directives[name] = values
    return directives


def _kind(path: str) -> str:
    for rule, kind in ROUTES.items():
        prefix = rule.split("<", 1)[0]
        if path == rule or ("<" in rule and path.startswith(prefix)):
            return kind
    raise AssertionError(f"{path} matches no declared route")


def test_every_route_sends_privacy_headers(app: Flask) -> None:
    client = app.test_client()
    for method, path in _sample_requests(app):
        response = client.open(path, method=method, headers={"Origin": PARTNER_ORIGIN})
        h = response.headers
        where = f"{method} {path} ({response.status_code})"
        assert "no-store" in h.get("Cache-Control", ""), where
        assert h.get("Referrer-Policy") == "no-referrer", where
        assert h.get("X-Content-Type-Options") == "nosniff", where
        csp = h.get("Content-Security-Policy", "")
        assert "default-src 'none'" in csp, where
        assert "unsafe-inline" not in csp, where
        assert "unsafe-eval" not in csp.replace("wasm-unsafe-eval", ""), where
        policy = _csp(csp)
        assert policy["default-src"] == ["'none'"], where
        assert policy["object-src"] == ["'none'"], where
        assert policy["base-uri"] == ["'none'"], where
        # Nothing here is meant to be framed: the console refuses it (clickjacking),
        # and scripts, styles and JSON are never documents.
        assert policy["frame-ancestors"] == ["'none'"], where
        # Scripts only by nonce or hash (or none at all: default-src 'none').
        for source in policy.get("script-src", []):
            assert source.startswith(("'nonce-", "'sha256-", "'sha384-", "'sha512-")) or (
                source == "'wasm-unsafe-eval'"
            ), f"{where}: script source {source}"
        assert h.get("Permissions-Policy") == PERMISSIONS_POLICY, where
        assert h.get("Cross-Origin-Opener-Policy") == "same-origin", where
        kind = _kind(path)
        if kind == PERSON:
            assert "Set-Cookie" not in h, where
            if path != "/ws/person":  # a plain GET there is refused before routing
                # Fetched by partner pages and the opaque-origin chat frame.
                assert h.get("Cross-Origin-Resource-Policy") == "cross-origin", where
        else:
            assert h.get("Cross-Origin-Resource-Policy") == "same-origin", where
        # Plain HTTP: never HSTS.
        assert "Strict-Transport-Security" not in h, where


@pytest.mark.parametrize("tls", ["request", "public_url"])
def test_hsts_over_tls_on_the_console_only(tmp_path, tls: str) -> None:
    """Over TLS (here, or at a proxy: an https public URL), the console gets HSTS. A
    person's browser never navigates to the chat server and would keep the HSTS entry
    in its profile (TransportSecurity): the person's routes never send it."""
    if tls == "request":
        app, base = _app(tmp_path), "https://chat.example"
    else:
        app, base = _app(tmp_path, public_url="https://chat.example"), "http://127.0.0.1:8400"
    client = app.test_client()
    for method, path in _sample_requests(app):
        response = client.open(
            path, method=method, base_url=base, headers={"Origin": PARTNER_ORIGIN}
        )
        hsts = response.headers.get("Strict-Transport-Security")
        where = f"{method} {path} ({response.status_code})"
        if _kind(path) == OPERATOR:
            assert hsts == "max-age=63072000; includeSubDomains", where
        else:
            assert hsts is None, where


def test_the_console_page_runs_only_its_own_script_by_nonce(app: Flask) -> None:
    client = app.test_client()
    first, second = client.get("/console"), client.get("/console")
    nonces = []
    for response in (first, second):
        assert response.status_code == 200
        [nonce] = re.findall(r"'nonce-([^']+)'", response.headers["Content-Security-Policy"])
        assert len(nonce) >= 22
        html = response.get_data(as_text=True)
        scripts = re.findall(r"<script\b[^>]*>", html)
        assert scripts, "the console page has no script?"
        for tag in scripts:
            assert f'nonce="{nonce}"' in tag, tag
        nonces.append(nonce)
    assert nonces[0] != nonces[1], "a nonce is made per response"


def test_ticket_is_given_only_to_the_partners_own_origin(app: Flask) -> None:
    client = app.test_client()
    body = json.dumps({"partner": "demo"})
    ok = client.post("/api/ticket", data=body, headers={"Origin": PARTNER_ORIGIN})
    assert ok.status_code == 200
    assert ok.headers["Access-Control-Allow-Origin"] == PARTNER_ORIGIN
    assert set(ok.get_json()) == {"ticket", "pow", "ws", "exit", "desk_key", "resume", "service"}
    assert "Set-Cookie" not in ok.headers

    other = client.post("/api/ticket", data=body, headers={"Origin": "https://evil.example"})
    assert other.status_code == 403
    assert "Access-Control-Allow-Origin" not in other.headers
    unknown = client.post(
        "/api/ticket", data=json.dumps({"partner": "nope"}), headers={"Origin": PARTNER_ORIGIN}
    )
    assert unknown.status_code == 403
    garbage = client.post("/api/ticket", data="{", headers={"Origin": PARTNER_ORIGIN})
    assert garbage.status_code == 400
    assert "partner" in garbage.get_json()["error"]


def test_console_login_sets_a_strict_console_cookie(app: Flask) -> None:
    from pnav.sdk import crypto

    client = app.test_client()
    pre = client.get("/console/api/prelogin?username=alice").get_json()
    keys = crypto.derive_operator_keys(
        "a long password", crypto.b64decode(pre["salt"]), pre["kdf"]["ops"], pre["kdf"]["mem"]
    )
    origin = "http://localhost"
    bad = client.post(
        "/console/api/login",
        json={"username": "alice", "auth": crypto.b64encode(b"x" * 32)},
        headers={"Origin": origin},
    )
    assert bad.status_code == 401
    assert "Set-Cookie" not in bad.headers
    foreign = client.post(
        "/console/api/login",
        json={"username": "alice", "auth": crypto.b64encode(keys.auth)},
        headers={"Origin": "https://evil.example"},
    )
    assert foreign.status_code == 403
    ok = client.post(
        "/console/api/login",
        json={"username": "alice", "auth": crypto.b64encode(keys.auth)},
        headers={"Origin": origin},
    )
    assert ok.status_code == 200
    cookie = ok.headers["Set-Cookie"]
    for attr in ("Secure", "HttpOnly", "SameSite=Strict", "Path=/console"):
        assert attr in cookie
    desk = ok.get_json()["desk_keys"][0]
    secret = crypto.unwrap_desk_key(crypto.b64decode(desk["wrapped"]), keys.wrap)
    assert len(secret) == 32


def test_prelogin_does_not_reveal_whether_a_name_exists(app: Flask) -> None:
    client = app.test_client()
    a = client.get("/console/api/prelogin?username=nobody").get_json()
    b = client.get("/console/api/prelogin?username=nobody").get_json()
    c = client.get("/console/api/prelogin?username=alice").get_json()
    assert a == b
    assert set(a) == set(c) and set(a["kdf"]) == set(c["kdf"])


def test_a_partners_id_is_refused_from_another_partners_origin(tmp_path) -> None:
    app = _app(
        tmp_path, partners={"town": ["https://town.example"], "club": ["https://club.example"]}
    )
    client = app.test_client()

    def ask(partner: str, origin: str) -> Any:
        body = json.dumps({"partner": partner})
        return client.post("/api/ticket", data=body, headers={"Origin": origin})

    assert ask("town", "https://town.example").status_code == 200
    assert ask("club", "https://club.example").status_code == 200
    for partner, origin in (("town", "https://club.example"), ("club", "https://town.example")):
        refused = ask(partner, origin)
        assert refused.status_code == 403, (partner, origin)
        assert "Access-Control-Allow-Origin" not in refused.headers
        assert "ticket" not in refused.get_json()
    # The sandboxed chat frame's opaque origin, no Origin at all, look-alikes:
    for origin in ("null", "https://town.example.evil", "http://town.example", None):
        headers = {"Origin": origin} if origin else {}
        body = json.dumps({"partner": "town"})
        refused = client.post("/api/ticket", data=body, headers=headers)
        assert refused.status_code == 403, origin


def test_the_quick_exit_answer_clears_the_chat_servers_site_storage(app: Flask) -> None:
    """The beacon's answer asks the browser to drop whatever the chat server's origin
    stores (pnav stores nothing: this is a backstop); not "cache" nor "cookies", which
    Chromium answers by writing the origin into the profile (docs/privacy.md)."""
    client = app.test_client()
    token = app.extensions["pnav"].tokens.exit("some-conversation")
    ok = client.post("/api/exit", data=token, headers={"Origin": PARTNER_ORIGIN})
    assert ok.status_code == 204
    assert ok.headers["Clear-Site-Data"] == '"storage"'
    stale = client.post("/api/exit", data="not a token", headers={"Origin": PARTNER_ORIGIN})
    assert stale.status_code == 400
    assert stale.headers["Clear-Site-Data"] == '"storage"'
