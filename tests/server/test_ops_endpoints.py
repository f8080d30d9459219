"""Probes, the metrics' door, the floor alarms and ``pnav status`` (issue 18)."""

from __future__ import annotations

import json
import secrets
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any
from urllib.error import HTTPError
from urllib.request import Request, urlopen

import pytest
from fakes.libretranslate import FakeLibreTranslate
from flask import Flask

from pnav.sdk.client import ClientError
from pnav.sdk.testing import ServerProcess, free_port
from pnav.server import Settings, create_app
from pnav.server.cli import main
from pnav.server.operators.desk import enrol_operator
from pnav.server.ops import exposition, metrics
from pnav.server.ops.status import read_status, render
from pnav.server.settings import SettingsError
from pnav.server.stores.sqlite.store import SQLiteStore
from pnav.server.web.headers import LOCKED_CSP

TOKEN = secrets.token_urlsafe(24)
PARTNER = "https://partner.example"
SECRET = "a webhook secret of enough length"


def _app(tmp_path: Path, **settings: Any) -> Flask:
    loaded = Settings.load(
        None,
        environ={},
        data_dir=tmp_path / "data",
        partners={"demo": [PARTNER]},
        health_every=1,
        **settings,
    )
    store = SQLiteStore(loaded.database_path)
    enrol_operator(store, "alice", "a long password", kdf_ops=1, kdf_mem=8 << 20)
    return create_app(loaded, store=store, maintenance=False)


@pytest.fixture
def app(tmp_path: Path) -> Iterator[Flask]:
    application = _app(tmp_path, metrics_path="/metrics", metrics_token=TOKEN)
    yield application
    application.extensions["pnav"].shutdown()


def wait_readiness(app: Flask, ready: bool, within: float = 10, **states: str) -> dict[str, Any]:
    """Poll /readyz until it is (not) ready, with these checks in these states."""
    client = app.test_client()
    deadline = time.monotonic() + within
    while True:
        answer = client.get("/readyz")
        checks = answer.get_json()["checks"]
        if (answer.status_code == 200) == ready and states.items() <= checks.items():
            body: dict[str, Any] = answer.get_json()
            return body
        assert time.monotonic() < deadline, answer.get_json()
        time.sleep(0.05)


def test_probes_answer_json_with_the_strict_headers_and_nothing_about_conversations(
    app: Flask,
) -> None:
    client = app.test_client()
    alive = client.get("/healthz")
    assert (alive.status_code, alive.get_json()) == (200, {"status": "alive"})
    body = wait_readiness(app, True)
    assert body == {"status": "ready", "checks": {"store": "ok", "assets": "ok"}}
    for path in ("/healthz", "/readyz"):
        h = client.get(path).headers
        assert h["Cache-Control"] == "no-store"
        assert h["Content-Security-Policy"] == LOCKED_CSP
        assert h["X-Content-Type-Options"] == "nosniff"
        assert h["Referrer-Policy"] == "no-referrer"
        assert h["Cross-Origin-Resource-Policy"] == "same-origin"
        assert "Set-Cookie" not in h


def test_the_metrics_need_the_token_and_refuse_web_pages(app: Flask) -> None:
    client = app.test_client()
    assert client.get("/metrics").status_code == 401
    assert client.get("/metrics").headers["WWW-Authenticate"].startswith("Bearer")
    wrong = {"Authorization": "Bearer " + "x" * len(TOKEN)}
    assert client.get("/metrics", headers=wrong).status_code == 401
    assert client.get("/metrics", headers={"Authorization": TOKEN}).status_code == 401
    assert client.get(f"/metrics?token={TOKEN}").status_code == 401
    good = {"Authorization": f"Bearer {TOKEN}"}
    # From a partner page's script (its origin), or any page: refused even with the token.
    for page in ({"Origin": PARTNER}, {"Origin": "null"}, {"Sec-Fetch-Site": "cross-site"}):
        refused = client.get("/metrics", headers={**good, **page})
        assert refused.status_code == 403, page
        assert "Access-Control-Allow-Origin" not in refused.headers
    answer = client.get("/metrics", headers=good)
    assert answer.status_code == 200
    assert answer.headers["Content-Type"].startswith("text/plain; version=")
    assert "pnav_frames_refused_total" in answer.text or "pnav_alarm" in answer.text
    assert answer.headers["Cache-Control"] == "no-store"


def test_without_metrics_settings_there_is_no_metrics_route(tmp_path: Path) -> None:
    application = _app(tmp_path)
    try:
        assert application.test_client().get("/metrics").status_code == 404
    finally:
        application.extensions["pnav"].shutdown()


def test_the_metrics_listener_of_their_own(tmp_path: Path) -> None:
    port = free_port()
    application = _app(tmp_path, metrics_listen=f"127.0.0.1:{port}", metrics_token=TOKEN)
    url = f"http://127.0.0.1:{port}/metrics"
    try:
        with pytest.raises(HTTPError) as refused:
            urlopen(url, timeout=5)
        assert refused.value.code == 401
        with pytest.raises(HTTPError) as from_page:
            urlopen(Request(url, headers={"Authorization": f"Bearer {TOKEN}", "Origin": PARTNER}))
        assert from_page.value.code == 403
        request = Request(url, headers={"Authorization": f"Bearer {TOKEN}"})
        with urlopen(request, timeout=5) as answer:
            assert answer.status == 200
            assert answer.headers["Cache-Control"] == "no-store"
            assert b"pnav_alarm{" in answer.read()
        # The metrics are not on the main app's routes.
        assert application.test_client().get("/metrics").status_code == 404
    finally:
        application.extensions["pnav"].shutdown()


@pytest.mark.parametrize(
    ("changes", "words"),
    [
        ({"metrics_path": "/metrics"}, "metrics_token"),
        ({"metrics_listen": "127.0.0.1:9400", "metrics_token": "short"}, "16 characters"),
        ({"metrics_path": "/api/metrics", "metrics_token": TOKEN}, "away from"),
        ({"metrics_path": "/console/m", "metrics_token": TOKEN}, "away from"),
        ({"metrics_path": "metrics", "metrics_token": TOKEN}, "such as /metrics"),
        ({"metrics_listen": "9400", "metrics_token": TOKEN}, "host:port"),
        ({"metrics_listen": "127.0.0.1:99999", "metrics_token": TOKEN}, "host:port"),
        ({"danger_answer_limit": 1}, "at least 10"),
        ({"health_every": 0}, "at least 1"),
    ],
)
def test_bad_operations_settings_are_clear_errors(
    tmp_path: Path, changes: dict[str, Any], words: str
) -> None:
    with pytest.raises(SettingsError, match=words):
        Settings.load(None, environ={}, data_dir=tmp_path, **changes)


def test_operations_settings_come_from_the_environment(tmp_path: Path) -> None:
    env = {
        "PNAV_DATA_DIR": str(tmp_path),
        "PNAV_METRICS_PATH": "/internal/metrics",
        "PNAV_METRICS_TOKEN": TOKEN,
        "PNAV_HEALTH_EVERY": "2",
        "PNAV_DANGER_ANSWER_LIMIT": "60",
    }
    settings = Settings.load(None, environ=env)
    assert (settings.metrics_path, settings.metrics_token) == ("/internal/metrics", TOKEN)
    assert (settings.health_every, settings.danger_answer_limit) == (2, 60)


def _listen_on(port: int) -> socket.socket:
    sock = socket.socket()
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    sock.bind(("127.0.0.1", port))
    sock.listen(16)
    return sock


def test_an_unreachable_casework_service_makes_the_server_not_ready_until_it_is_back(
    tmp_path: Path,
) -> None:
    port = free_port()
    application = _app(
        tmp_path,
        dispatcher="webhook",
        dispatcher_options={"url": f"http://127.0.0.1:{port}/", "secret": SECRET},
    )
    try:
        body = wait_readiness(application, False, dispatcher="unreachable", store="ok")
        assert body["reasons"] == ["dispatcher_unreachable"]
        centre = _listen_on(port)
        try:
            assert wait_readiness(application, True)["checks"]["dispatcher"] == "ok"
            # The check connected and sent nothing: no emergency, no probe request.
            centre.settimeout(5)
            conn, _ = centre.accept()
            conn.settimeout(5)
            assert conn.recv(1024) == b""
            conn.close()
        finally:
            centre.close()
        body = wait_readiness(application, False, dispatcher="unreachable", store="ok")
        assert body["reasons"] == ["dispatcher_unreachable"]
    finally:
        application.extensions["pnav"].shutdown()


def test_a_translator_that_goes_down_raises_the_alarm_and_clears_it(
    live_server_with: Any,
    clients_of: Any,
) -> None:
    libre = FakeLibreTranslate().start()
    port = libre.port
    live = live_server_with(
        health_every=1, translator="libretranslate", translator_options={"url": libre.url}
    )
    live.app.extensions["pnav"].ops.start()  # the live server runs no background work
    supervisor = clients_of(live).login()
    libre.stop()
    alarm = supervisor.wait("alarm", timeout=15, alarm="translator_down", on=True)
    assert alarm["count"] == 1
    back = _listen_on(port)
    try:
        assert supervisor.wait("alarm", timeout=15, alarm="translator_down", on=False)
    finally:
        back.close()
    supervisor.close()


def test_no_operator_while_people_wait_is_an_alarm_for_the_supervisors(
    live_server_with: Any,
    clients_of: Any,
) -> None:
    live = live_server_with(health_every=1)
    clients = clients_of(live)
    supervisor = clients.login()  # alice: a supervisor, not an operator
    ops = live.app.extensions["pnav"].ops
    person = clients.person(danger=False)
    supervisor.wait_queue(person.conv)
    ops.floor_round()
    assert supervisor.wait("alarm", alarm="no_operator", on=True)["count"] == 1
    bob = clients.login("bob", live.add_operator("bob"))
    ops.floor_round()
    assert supervisor.wait("alarm", alarm="no_operator", on=False)
    # A danger conversation: the alarm once it waits past the limit, not before.
    danger = clients.person(danger=True)
    bob.wait_queue(danger.conv)
    now = time.time()
    assert ops.floor_round(now).danger_overdue == 0
    late = ops.floor_round(now + live.settings.danger_answer_limit + 1)
    assert late.danger_overdue == 1
    assert supervisor.wait("alarm", alarm="danger_unanswered", on=True)["count"] == 1
    with pytest.raises(ClientError):
        bob.wait("alarm", timeout=0.5)  # operators are not told: supervisors are
    bob.accept(danger.conv)
    danger.wait("status", state="active")
    danger.send("Au secours")
    bob.receive()
    assert ops.floor_round(now + live.settings.danger_answer_limit + 1).danger_overdue == 1
    bob.send(danger.conv, "Je suis là")
    assert ops.floor_round(time.time() + 1).danger_overdue == 0
    assert supervisor.wait("alarm", alarm="danger_unanswered", on=False)
    for client in (supervisor, bob, person, danger):
        client.close()


def test_pnav_status_for_the_person_on_call(
    live_server_with: Any, clients_of: Any, capsys: pytest.CaptureFixture[str]
) -> None:
    live = live_server_with(metrics_path="/metrics", metrics_token=TOKEN, health_every=1)
    clients = clients_of(live)
    op = clients.login()
    person = clients.person(danger=True)
    op.wait_queue(person.conv)
    deadline = time.monotonic() + 10
    while read_status(live.url, live.settings).floor.get("waiting") != 1:
        assert time.monotonic() < deadline
        time.sleep(0.1)
    env = {"PNAV_METRICS_PATH": "/metrics", "PNAV_METRICS_TOKEN": TOKEN}
    with pytest.MonkeyPatch.context() as mp:
        for key, value in env.items():
            mp.setenv(key, value)
        code = main(["status", "--url", live.url, "--data-dir", str(live.data_dir)])
    out = capsys.readouterr().out
    assert code == 0, out
    assert f"{live.url}: ready" in out
    assert "1 waiting, 1 waiting in danger" in out
    assert "1 supervisor(s)" in out
    assert "alarms       none" in out
    status = read_status(live.url, None)
    assert status.ready and "metrics are not configured" in render(live.url, status)
    person.close()
    op.close()


def test_pnav_status_says_when_the_server_is_not_reachable(
    capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    url = f"http://127.0.0.1:{free_port()}"
    assert main(["status", "--url", url, "--data-dir", str(tmp_path)]) == 2
    assert "NOT REACHABLE" in capsys.readouterr().out


def test_json_logs_on_request(tmp_path: Path) -> None:
    script = (
        "import logging; from pnav.server.ops import logs;"
        "logs.configure('json'); log = logging.getLogger('pnav.x');"
        "log.info('conversation closed (outcome=%s)', 'referral');"
        "logs.event(log, logging.WARNING, 'alarm.raised', kind='no_operator', count=2)"
    )
    done = subprocess.run(
        [sys.executable, "-c", script], capture_output=True, text=True, check=True, timeout=60
    )
    first, second = (json.loads(line) for line in done.stderr.splitlines())
    assert first["event"] == "pnav.x.conversation_closed_outcome"
    assert (first["level"], first["message"]) == ("info", "conversation closed (outcome=referral)")
    assert second["event"] == "alarm.raised"
    assert (second["kind"], second["count"], second["level"]) == ("no_operator", 2, "warning")
    plain = subprocess.run(
        [sys.executable, "-c", script.replace("'json'", "None")],
        capture_output=True,
        text=True,
        check=True,
        timeout=60,
    )
    assert " WARNING pnav.x: alarm.raised kind=no_operator count=2" in plain.stderr


def test_a_label_value_outside_its_set_is_counted_as_other() -> None:
    before = _other_refusals()
    metrics.frame_refused("5f3a9c conversation of alice")  # what a careless caller might pass
    metrics.translation("es")
    text = exposition.exposition(metrics.PROCESS).decode()
    assert "alice" not in text and '"es"' not in text
    assert _other_refusals() == before + 1


def _other_refusals() -> float:
    value = metrics.PROCESS.get_sample_value("pnav_frames_refused_total", {"reason": "other"})
    return value or 0.0


def test_pnav_serve_logs_no_address_for_a_request_it_refuses(tmp_path: Path) -> None:
    """gevent (pnav serve) and Werkzeug (--dev) both name the client in such lines."""
    server = ServerProcess(tmp_path / "data", env={"PNAV_SECRET_KEY": secrets.token_hex(32)})
    server.start()
    try:
        with socket.create_connection(("127.0.0.1", server.port), timeout=5) as raw:
            bad = b"GET /?token=" + TOKEN.encode() + b" HTTP/9.9\r\n\r\n"  # no such version
            raw.sendall(bad)
            assert b"400" in raw.recv(4096)
        deadline = time.monotonic() + 10
        while "http.refused" not in server.log_path.read_text():
            assert time.monotonic() < deadline, server.log_path.read_text()
            time.sleep(0.1)
    finally:
        server.stop()
    log = server.log_path.read_text()
    assert "127.0.0.1" not in log and TOKEN not in log and "NONSENSE" not in log


def test_pnav_serve_answers_probes_and_metrics_on_its_own_listener(tmp_path: Path) -> None:
    """The production server (gevent) runs the checks and the metrics listener too."""
    port = free_port()
    env = {
        "PNAV_SECRET_KEY": secrets.token_hex(32),
        "PNAV_METRICS_LISTEN": f"127.0.0.1:{port}",
        "PNAV_METRICS_TOKEN": TOKEN,
        "PNAV_HEALTH_EVERY": "1",
    }
    server = ServerProcess(tmp_path / "data", env=env)
    server.start()
    try:
        deadline = time.monotonic() + 20
        while True:
            try:
                with urlopen(server.url + "/readyz", timeout=5) as answer:
                    assert json.loads(answer.read())["status"] == "ready"
                    break
            except HTTPError as err:
                assert err.code == 503
                assert time.monotonic() < deadline, err.read()
                time.sleep(0.1)
        scrape = Request(
            f"http://127.0.0.1:{port}/metrics", headers={"Authorization": f"Bearer {TOKEN}"}
        )
        with urlopen(scrape, timeout=5) as answer:
            text = answer.read().decode()
        assert "pnav_ready 1.0" in text
        assert "pnav_conversations_waiting 0.0" in text
    finally:
        server.stop()
