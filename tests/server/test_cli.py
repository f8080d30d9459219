"""The pnav command, run as a user would run it."""

from __future__ import annotations

import os
import re
import socket
import subprocess
import sys
import urllib.request

from pnav.server.cli import main
from pnav.server.stores.sqlite.store import SQLiteStore


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def test_operator_add_needs_an_enrolled_operator_to_unlock_the_desk_key(
    tmp_path, monkeypatch, capsys
):
    monkeypatch.setenv("PNAV_NEW_PASSWORD", "first operator pw")
    assert main(["operator", "add", "alice", "--data-dir", str(tmp_path)]) == 0
    monkeypatch.setenv("PNAV_NEW_PASSWORD", "second operator pw")
    assert main(["operator", "add", "bob", "--data-dir", str(tmp_path)]) == 2
    assert "cannot open it by itself" in capsys.readouterr().err
    monkeypatch.setenv("PNAV_UNLOCK_PASSWORD", "first operator pw")
    args = ["operator", "add", "bob", "--unlock-user", "alice", "--data-dir", str(tmp_path)]
    assert main(args) == 0
    store = SQLiteStore(tmp_path / "pnav.sqlite3")
    assert [o.username for o in store.list_operators()] == ["alice", "bob"]


def test_serve_without_data_dir_is_one_clear_line(tmp_path, monkeypatch, capsys):
    monkeypatch.delenv("PNAV_DATA_DIR", raising=False)
    monkeypatch.chdir(tmp_path)
    assert main(["serve"]) == 2
    assert capsys.readouterr().err.strip() == (
        "pnav: data_dir is required (PNAV_DATA_DIR or data_dir in the TOML file)"
    )


def test_demo_serves_the_partner_page_and_the_console(tmp_path):
    port, partner_port = _free_port(), _free_port()
    cmd = [
        sys.executable,
        "-m",
        "pnav",
        "demo",
        "--data-dir",
        str(tmp_path / "demo"),
        "--port",
        str(port),
        "--partner-port",
        str(partner_port),
    ]
    proc = subprocess.Popen(
        cmd, stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True, env=dict(os.environ)
    )
    try:
        assert proc.stdout is not None
        lines = [proc.stdout.readline() for _ in range(5)]
        text = "".join(lines)
        assert f"partner page : http://127.0.0.1:{partner_port}/" in text
        assert f"console      : http://127.0.0.1:{port}/console" in text
        login = re.search(r"supervisor   : demo / (\S+)", text)
        assert login is not None
        assert login.group(1) == (tmp_path / "demo" / "demo-operator.txt").read_text().strip()
        # and a plain operator, their password kept for this user only
        plain = re.search(r"operator     : operator / (\S+)", text)
        assert plain is not None
        saved = tmp_path / "demo" / "demo-plain-operator.txt"
        assert plain.group(1) == saved.read_text().strip()
        assert saved.stat().st_mode & 0o077 == 0
        page = urllib.request.urlopen(f"http://127.0.0.1:{partner_port}/", timeout=10).read()
        assert f'src="http://127.0.0.1:{port}/widget/loader.js?partner=demo'.encode() in page
        console = urllib.request.urlopen(f"http://127.0.0.1:{port}/console", timeout=10)
        assert b'data-pnav="login-user"' in console.read()
    finally:
        proc.terminate()
        proc.wait(timeout=10)


def test_db_upgrade_and_a_store_that_cannot_be_opened(tmp_path, capsys, monkeypatch) -> None:
    data = tmp_path / "data"
    assert main(["db", "upgrade", "--data-dir", str(data)]) == 0
    assert "applied schema version(s) 2" in capsys.readouterr().out
    assert main(["db", "upgrade", "--data-dir", str(data)]) == 0
    assert "the schema is up to date" in capsys.readouterr().out
    monkeypatch.setenv("PNAV_STORE", "postgres")
    monkeypatch.setenv("PNAV_STORE_OPTIONS", '{"dsn": "postgresql://nobody@127.0.0.1:1/x"}')
    assert main(["purge", "--data-dir", str(data)]) == 2
    err = capsys.readouterr().err
    assert err.startswith("pnav: the postgres store cannot be opened") and err.count("\n") == 1
    monkeypatch.setenv("PNAV_STORE", "cassandra")
    assert main(["purge", "--data-dir", str(data)]) == 2
    assert "available:" in capsys.readouterr().err


def test_directory_import_checks_then_adds_to_the_data_directory(tmp_path, capsys) -> None:
    from pnav.server import Settings, create_app
    from pnav.server.casework.directory import packaged

    data = tmp_path / "data"
    header, first = packaged("sample_resources.csv").read_text(encoding="utf-8").splitlines()[:2]
    good = tmp_path / "local.csv"
    good.write_text(f"{header}\n{first.replace('example-victimes-75', 'local-1')}\n")
    assert main(["directory", "import", str(good), "--data-dir", str(data)]) == 0
    assert "imported 0 service(s) and 1 resource(s)" in capsys.readouterr().out
    app = create_app(Settings.load(None, environ={}, data_dir=data), maintenance=False)
    ids = {r.id for r in app.extensions["pnav"].casework.directory.resources()}
    assert {"local-1", "fr-3919", "fr-17"} <= ids  # imported, and the national numbers
    app.extensions["pnav"].shutdown()

    bad = tmp_path / "bad.csv"
    bad.write_text(f"{header}\nlocal-2,not-a-category,Name,,,,,,,75,no\n")
    assert main(["directory", "import", str(bad), "--data-dir", str(data)]) == 2
    err = capsys.readouterr().err
    assert err.startswith("pnav: nothing imported from") and "line 2" in err
    assert not (data / "directory" / "bad.csv").exists()
