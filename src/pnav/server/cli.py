"""The ``pnav`` command: serve, demo, operator add/remove, desk rotate, db upgrade,
directory import, purge, status, trace-check."""

from __future__ import annotations

import argparse
import contextlib
import getpass
import importlib.util
import logging
import os
import secrets
import sys
import threading
import time
from collections.abc import Sequence
from pathlib import Path
from types import ModuleType
from typing import Any

from pnav.sdk.registry import RegistryError
from pnav.sdk.store import ROLES
from pnav.server.casework import directory
from pnav.server.operators.canned import seed_demo
from pnav.server.operators.desk import DeskError, enrol_operator, remove_operator, rotate_desk_key
from pnav.server.ops import logs
from pnav.server.ops import status as ops_status
from pnav.server.partner_check import add_parser as add_partner_check_parser
from pnav.server.serving import dev_server, production_server
from pnav.server.settings import Settings, SettingsError
from pnav.server.stores.sqlite import store as sqlite_store
from pnav.server.trace.check import add_parser as add_trace_check_parser
from pnav.server.web.app import StoreUnavailable, create_app, open_store
from pnav.server.web.state import missing_assets

__all__ = ["main"]

log = logging.getLogger("pnav")


def _server(app: Any, args: argparse.Namespace, settings: Settings, port: int) -> Any:
    """The gevent server, or Werkzeug's threaded one with ``--dev`` (serving.py)."""
    if args.dev:
        return dev_server(app, args.host, port)
    try:
        return production_server(app, args.host, port, settings.header_timeout)
    except RuntimeError as exc:
        raise SystemExit(f"pnav: {exc}") from exc


def _settings(args: argparse.Namespace, **overrides: Any) -> Settings:
    if getattr(args, "data_dir", None):
        overrides["data_dir"] = args.data_dir
    return Settings.load(getattr(args, "config", None), **overrides)


def _check_assets() -> None:
    missing = missing_assets()
    if missing:
        raise SystemExit(
            "pnav: the widget is not built (missing "
            + ", ".join(missing)
            + "). Run: npm --prefix widget ci && npm --prefix widget run build"
        )


def cmd_serve(args: argparse.Namespace) -> int:
    _check_assets()
    settings = _settings(args)
    server = _server(create_app(settings), args, settings, args.port)
    kind = "development" if args.dev else "gevent"
    logs.event(log, logging.INFO, "server.started", port=server.server_port, server=kind)
    server.serve_forever()
    return 0


def _partner_example() -> ModuleType:
    path = Path(__file__).resolve().parents[3] / "examples" / "partner_site" / "app.py"
    if not path.is_file():
        path = Path.cwd() / "examples" / "partner_site" / "app.py"
    if not path.is_file():
        raise SystemExit("pnav demo runs from a source checkout (examples/partner_site is missing)")
    spec = importlib.util.spec_from_file_location("pnav_example_partner_site", path)
    assert spec and spec.loader
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def _write_login(path: Path, password: str) -> None:
    """A demo password, readable by this user only (the demo prints it on each start)."""
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(fd, "w") as fh:
        fh.write(password + "\n")


def cmd_demo(args: argparse.Namespace) -> int:
    _check_assets()
    data_dir = Path(args.data_dir)
    partner_url = f"http://{args.host}:{args.partner_port}"
    server_url = f"http://{args.host}:{args.port}"
    # The sample directory (fictional local services, flagged as examples), emergencies
    # written to the log, reports as signed bundles in the data directory: every
    # casework form works and nothing leaves the machine.
    settings = Settings.load(
        None,
        data_dir=data_dir,
        partners={"demo": [partner_url]},
        public_url=server_url,
        directory_options={"sample": True},
        dispatcher="log",
        report_sink="folder",
        report_sink_options={"folder": str(data_dir / "reports")},
    )
    login_file = data_dir / "demo-operator.txt"
    plain_file = data_dir / "demo-plain-operator.txt"
    store = open_store(settings)
    if store.find_operator("demo") is None:
        password = secrets.token_urlsafe(12)
        enrol_operator(store, "demo", password, role="supervisor")
        seed_demo(store)  # a few fr/en canned replies, so the console shows some
        _write_login(login_file, password)
    password = login_file.read_text().strip()
    # A plain operator too, to see the console as most of the floor does (the desk key
    # is wrapped for them with the supervisor's credentials).
    if store.find_operator("operator") is None:
        plain = secrets.token_urlsafe(12)
        enrol_operator(store, "operator", plain, unlock_with=("demo", password))
        _write_login(plain_file, plain)
    plain = plain_file.read_text().strip()
    app = create_app(settings, store=store)
    site = _partner_example().create_app(server_url=server_url, partner="demo")
    server = _server(app, args, settings, args.port)
    partner = _server(site, args, settings, args.partner_port)
    threading.Thread(target=partner.serve_forever, daemon=True).start()
    print(
        f"pnav demo is running (data in {data_dir})\n"
        f"  partner page : {partner_url}/\n"
        f"  console      : {server_url}/console\n"
        f"  supervisor   : demo / {password}\n"
        f"  operator     : operator / {plain}\n"
        f"  casework     : sample directory (fictional services, e.g. postal code 35000);\n"
        f"                 emergencies go to the log, reports to {data_dir / 'reports'}\n"
        "Press Ctrl+C to stop.",
        flush=True,
    )
    with contextlib.suppress(KeyboardInterrupt):
        server.serve_forever()
    return 0


def cmd_operator_add(args: argparse.Namespace) -> int:
    settings = _settings(args)
    store = open_store(settings)
    password = os.environ.get("PNAV_NEW_PASSWORD") or getpass.getpass(
        f"Password for {args.username}: "
    )
    unlock = None
    if args.unlock_user:
        unlock_pw = os.environ.get("PNAV_UNLOCK_PASSWORD") or getpass.getpass(
            f"Password of {args.unlock_user} (to unlock the desk key): "
        )
        unlock = (args.unlock_user, unlock_pw)
    op = enrol_operator(store, args.username, password, role=args.role, unlock_with=unlock)
    print(f"operator {op.username!r} added (role {op.role})")
    return 0


def cmd_operator_remove(args: argparse.Namespace) -> int:
    settings = _settings(args)
    store = open_store(settings)
    try:
        key = remove_operator(store, args.username)
    finally:
        store.close()
    print(
        f"operator {args.username!r} removed; new conversations use desk key {key.id}, "
        "which they cannot open"
    )
    return 0


def cmd_desk_rotate(args: argparse.Namespace) -> int:
    settings = _settings(args)
    store = open_store(settings)
    try:
        key = rotate_desk_key(store)
    finally:
        store.close()
    print(f"new desk key {key.id}: new conversations use it; open ones keep theirs")
    return 0


def cmd_db_upgrade(args: argparse.Namespace) -> int:
    """Apply pending schema migrations to the store the settings name."""
    settings = _settings(args)
    if settings.store == "sqlite":
        path = settings.store_options.get("path") or settings.database_path
        applied = sqlite_store.upgrade(path)
    elif settings.store == "postgres":
        dsn = settings.store_options.get("dsn")
        if not isinstance(dsn, str):
            raise SettingsError("store_options.dsn is needed to upgrade a PostgreSQL store")
        from pnav.server.stores.postgres import store as postgres_store

        applied = postgres_store.upgrade(dsn)
    else:
        print(f"pnav: the {settings.store!r} store manages its own schema", file=sys.stderr)
        return 2
    if applied:
        print("applied schema version(s) " + ", ".join(map(str, applied)))
    else:
        print("the schema is up to date")
    return 0


def cmd_directory_import(args: argparse.Namespace) -> int:
    settings = _settings(args)
    for path in args.files:
        try:
            # Checked with the files already there, as the next start loads them.
            options = dict(settings.directory_options) if settings.directory == "csv" else None
            data = directory.import_csv(path, settings.data_dir, options)
        except (directory.DirectoryDataError, directory.DirectoryConflict) as exc:
            print(f"pnav: nothing imported from {path}: {exc}", file=sys.stderr)
            return 2
        except OSError as exc:
            print(f"pnav: cannot import {path}: {exc}", file=sys.stderr)
            return 2
        print(
            f"imported {len(data.services)} service(s) and {len(data.resources)} resource(s) "
            f"from {path}; the server loads them at its next start"
        )
    return 0


def cmd_purge(args: argparse.Namespace) -> int:
    settings = _settings(args)
    store = open_store(settings)
    try:
        cutoff = time.time() - settings.retention_days * 86400
        count = store.purge_closed(cutoff)
    finally:
        store.close()
    print(f"purged {count} conversation(s) closed more than {settings.retention_days} day(s) ago")
    return 0


def cmd_status(args: argparse.Namespace) -> int:
    """Readiness, queue, staff connected and alarms of a running server."""
    settings: Settings | None
    try:
        settings = _settings(args)
    except SettingsError as exc:
        settings = None
        print(f"pnav: settings not loaded ({exc}); showing readiness only", file=sys.stderr)
    found = ops_status.read_status(args.url, settings)
    print(ops_status.render(args.url, found), end="")
    return found.exit_code


_DEV_HELP = "Werkzeug's threaded development server instead of gevent (one thread a socket)"


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="pnav", description="pnav victim-support chat server")
    parser.add_argument("--config", help="TOML settings file (PNAV_* variables override it)")
    parser.add_argument(
        "--log-format",
        choices=logs.FORMATS,
        help="text (default) or json: one JSON object per line (or PNAV_LOG_FORMAT)",
    )
    sub = parser.add_subparsers(dest="command", required=True)

    serve = sub.add_parser("serve", help="run the server")
    serve.add_argument("--data-dir", help="data directory (or PNAV_DATA_DIR)")
    serve.add_argument("--host", default="127.0.0.1")
    serve.add_argument("--port", type=int, default=8400)
    serve.add_argument("--dev", action="store_true", help=_DEV_HELP)
    serve.set_defaults(func=cmd_serve)

    demo = sub.add_parser("demo", help="server + example partner page + a demo operator")
    demo.add_argument("--data-dir", default="pnav-demo-data")
    demo.add_argument("--host", default="127.0.0.1")
    demo.add_argument("--port", type=int, default=8400)
    demo.add_argument("--partner-port", type=int, default=8401)
    demo.add_argument("--dev", action="store_true", help=_DEV_HELP)
    demo.set_defaults(func=cmd_demo)

    operator = sub.add_parser("operator", help="manage operator accounts")
    op_sub = operator.add_subparsers(dest="action", required=True)
    add = op_sub.add_parser(
        "add",
        help="add an operator (password from PNAV_NEW_PASSWORD or a prompt)",
    )
    add.add_argument("username")
    add.add_argument("--role", default="operator", choices=list(ROLES))
    add.add_argument(
        "--unlock-user",
        help="an enrolled operator whose credentials unlock the desk key "
        "(password from PNAV_UNLOCK_PASSWORD or a prompt)",
    )
    add.add_argument("--data-dir", help="data directory (or PNAV_DATA_DIR)")
    add.set_defaults(func=cmd_operator_add)
    remove = op_sub.add_parser(
        "remove",
        help="remove an operator: no more login, and the desk key is rotated so they "
        "can open nothing new",
    )
    remove.add_argument("username")
    remove.add_argument("--data-dir", help="data directory (or PNAV_DATA_DIR)")
    remove.set_defaults(func=cmd_operator_remove)

    desk = sub.add_parser("desk", help="the desk key")
    desk_sub = desk.add_subparsers(dest="action", required=True)
    rotate = desk_sub.add_parser(
        "rotate", help="make a new desk key for new conversations, sealed to every operator"
    )
    rotate.add_argument("--data-dir", help="data directory (or PNAV_DATA_DIR)")
    rotate.set_defaults(func=cmd_desk_rotate)

    db = sub.add_parser("db", help="the database schema")
    db_sub = db.add_subparsers(dest="action", required=True)
    upgrade = db_sub.add_parser("upgrade", help="apply pending schema migrations (back up first)")
    upgrade.add_argument("--data-dir", help="data directory (or PNAV_DATA_DIR)")
    upgrade.set_defaults(func=cmd_db_upgrade)

    directory_cmd = sub.add_parser("directory", help="the directory of services and resources")
    dir_sub = directory_cmd.add_subparsers(dest="action", required=True)
    imp = dir_sub.add_parser(
        "import",
        help="check CSV files of services or resources (docs/backends-casework.md) and "
        "add them to the data directory, where the csv directory loads them",
    )
    imp.add_argument("files", nargs="+")
    imp.add_argument("--data-dir", help="data directory (or PNAV_DATA_DIR)")
    imp.set_defaults(func=cmd_directory_import)

    purge = sub.add_parser(
        "purge",
        help="delete every trace of conversations closed longer ago than retention_days "
        "(the server also does this on its own)",
    )
    purge.add_argument("--data-dir", help="data directory (or PNAV_DATA_DIR)")
    purge.set_defaults(func=cmd_purge)

    status = sub.add_parser(
        "status",
        help="for the person on call: what /readyz says, the queue, staff connected and "
        "alarms (exit 0 ready, 1 not ready, 2 not reachable)",
    )
    status.add_argument("--url", default="http://127.0.0.1:8400", help="the server's base URL")
    status.add_argument("--data-dir", help="data directory (or PNAV_DATA_DIR)")
    status.set_defaults(func=cmd_status)

    add_trace_check_parser(sub)  # pnav trace-check URL (src/pnav/server/trace/check.py)
    add_partner_check_parser(sub)  # pnav partner check URL (src/pnav/server/partner_check.py)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    args = _parser().parse_args(argv)
    try:
        logs.configure(args.log_format)
    except ValueError as exc:  # a wrong PNAV_LOG_FORMAT
        print(f"pnav: {exc}", file=sys.stderr)
        return 2
    try:
        code: int = args.func(args)
    except (
        SettingsError,
        DeskError,
        RegistryError,
        StoreUnavailable,
        sqlite_store.SchemaVersionError,
    ) as exc:
        print(f"pnav: {exc}", file=sys.stderr)
        return 2
    return code
