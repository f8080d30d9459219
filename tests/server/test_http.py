"""Every HTTP route: privacy headers, no cookies for people, the ticket's origin check."""

from __future__ import annotations

import json

import pytest
from flask import Flask

from pnav.server import Settings, create_app
from pnav.server.desk import enrol_operator
from pnav.server.sqlite_store import SQLiteStore

PARTNER_ORIGIN = "https://partner.example"


@pytest.fixture
def app(tmp_path) -> Flask:
    settings = Settings.load(
        None, environ={}, data_dir=tmp_path, partners={"demo": [PARTNER_ORIGIN]}
    )
    store = SQLiteStore(settings.database_path)
    enrol_operator(store, "alice", "a long password", kdf_ops=1, kdf_mem=8 << 20)
    return create_app(settings, store=store, maintenance=False)


def _sample_requests(app: Flask) -> list[tuple[str, str]]:
    """One request for every non-websocket route, with path arguments filled in."""
    samples = {"name": "loader.js"}
    out = []
    for rule in app.url_map.iter_rules():
        if rule.websocket:
            continue
        path = rule.rule
        for arg in rule.arguments:
            path = path.replace(f"<{arg}>", samples[arg])
        for method in sorted((rule.methods or set()) - {"HEAD", "OPTIONS"}):
            out.append((method, path))
    return out


def test_every_route_is_covered_by_the_header_checks(app: Flask) -> None:
    routes = {path for _, path in _sample_requests(app)}
    assert {"/api/ticket", "/api/exit", "/widget/loader.js", "/console"} <= routes


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
        assert "Permissions-Policy" in h, where
        if not path.startswith("/console"):  # what a person's browser can receive
            assert "Set-Cookie" not in h, where


def test_ticket_is_given_only_to_the_partners_own_origin(app: Flask) -> None:
    client = app.test_client()
    body = json.dumps({"partner": "demo"})
    ok = client.post("/api/ticket", data=body, headers={"Origin": PARTNER_ORIGIN})
    assert ok.status_code == 200
    assert ok.headers["Access-Control-Allow-Origin"] == PARTNER_ORIGIN
    assert set(ok.get_json()) == {"ticket", "ws", "exit", "desk_key", "resume"}
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
