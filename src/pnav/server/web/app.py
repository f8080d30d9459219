"""The application factory."""

from __future__ import annotations

import hashlib
import hmac
import logging
from pathlib import Path
from typing import Any

from flask import Flask
from werkzeug.middleware.proxy_fix import ProxyFix

from pnav.sdk import crypto, registry
from pnav.sdk.broker import Broker
from pnav.sdk.directory import Directory
from pnav.sdk.dispatcher import Dispatcher, SafeDispatcher
from pnav.sdk.report_sink import AuditedReportSink, ReportSink
from pnav.sdk.router import Router
from pnav.sdk.store import Store
from pnav.sdk.translator import SafeTranslator, Translator
from pnav.server.abuse import AbuseLimits, ProofOfWork, SlowWork
from pnav.server.casework.report_sinks import JsonlAuditLog
from pnav.server.chat.connection import SendLimits
from pnav.server.chat.hub import Hub
from pnav.server.chat.maintenance import Maintenance
from pnav.server.chat.service import ChatService, Timings
from pnav.server.chat.tokens import Tokens
from pnav.server.ops.watch import Watch
from pnav.server.settings import Settings
from pnav.server.web import console, headers, loader, locale_api, ops, person, sockets
from pnav.server.web.state import Abuse, AppState, Casework, missing_assets

__all__ = ["StoreUnavailable", "create_app", "open_casework", "open_store"]

# simple-websocket refuses (closes with 1009) frames over this; smaller oversized frames
# get a `too_large` error frame and the socket stays open (frames.MAX_FRAME_CHARS).
_HARD_FRAME_LIMIT = 1024 * 1024
_PING_SECONDS = 25


def _decline_compression(wsgi_app: Any) -> Any:
    """Take the ``permessage-deflate`` offer out of websocket handshakes.

    Browsers offer it and simple-websocket accepts whatever is offered, which costs a
    zlib compressor and decompressor (about 200 KiB) for every idle socket; message
    bodies are ciphertext in base64, which deflate barely shrinks. Without the offer
    the handshake settles on plain frames (RFC 7692: an extension is used only if
    both sides agree)."""

    def app(environ: dict[str, Any], start_response: Any) -> Any:
        environ.pop("HTTP_SEC_WEBSOCKET_EXTENSIONS", None)
        return wsgi_app(environ, start_response)

    return app


class StoreUnavailable(RuntimeError):
    """The store cannot be opened (unreachable, or its schema needs `pnav db upgrade`)."""


def open_store(settings: Settings) -> Store:
    """The store the settings name (``store``, ``store_options``), through the registry."""
    context = {"data_dir": settings.data_dir, "database_path": settings.database_path}
    try:
        store: Store = registry.create(
            "store", settings.store, settings.store_options, context, base=Store
        )
    except (RuntimeError, OSError) as exc:
        raise StoreUnavailable(f"the {settings.store} store cannot be opened: {exc}") from exc
    return store


def open_casework(settings: Settings) -> Casework:
    """The translator, directory, dispatcher and report sink the settings name."""
    context = {"data_dir": settings.data_dir}

    def make(slot: str, base: type[Any]) -> Any:
        return registry.create(
            slot, getattr(settings, slot), getattr(settings, f"{slot}_options"), context, base=base
        )

    dispatcher = make("dispatcher", Dispatcher) if settings.dispatcher else None
    sink = make("report_sink", ReportSink) if settings.report_sink else None
    audit = JsonlAuditLog(settings.data_dir / "audit" / "reports.jsonl")
    return Casework(
        translator=SafeTranslator(make("translator", Translator)),
        directory=make("directory", Directory),
        dispatcher=None if dispatcher is None else SafeDispatcher(dispatcher),
        report_sink=None if sink is None else AuditedReportSink(sink, audit),
    )


def create_app(
    settings: Settings, store: Store | None = None, *, maintenance: bool = True
) -> Flask:
    """Build the pnav server. A ``store`` instance, when given, wins over the settings.

    ``maintenance=False`` leaves out the background thread that runs presence, idle and
    retention checks (tests drive ``state.chat.tick`` with a simulated clock instead).
    """
    # instance_path is the data directory: Flask's default would be beside the package.
    app = Flask(
        "pnav.server",
        static_folder=None,
        root_path=str(Path(__file__).parent),
        instance_path=str(settings.data_dir.resolve()),
    )
    app.config["SOCK_SERVER_OPTIONS"] = {
        "max_message_size": _HARD_FRAME_LIMIT,
        "ping_interval": _PING_SECONDS,
        **sockets.server_options(),
    }
    app.config["MAX_CONTENT_LENGTH"] = 64 * 1024
    # The data directory holds the database, the signing secret and audit logs: pnav's
    # user only.
    settings.data_dir.mkdir(mode=0o700, parents=True, exist_ok=True)
    settings.data_dir.chmod(0o700)
    store = store or open_store(settings)
    tokens = Tokens(
        settings.secret_key,
        settings.ticket_max_age,
        settings.person_token_max_age,
        settings.console_session_max_age,
    )
    broker: Broker = registry.create(
        "broker", settings.broker, settings.broker_options, {}, base=Broker
    )
    hub = Hub(broker)
    timings = Timings(
        person_gone_after=settings.person_gone_after,
        operator_grace=settings.operator_grace,
        idle_close_hours=settings.idle_close_hours,
        retention_days=settings.retention_days,
    )
    # The resume-code KDF salt is per deployment, so codes cannot be precomputed across
    # deployments; it derives from the signing secret (docs/security.md, "Resume code").
    resume_salt = hmac.new(settings.secret_key, b"pnav.resume-salt", hashlib.sha256).digest()
    chat = ChatService(
        store,
        hub,
        tokens,
        settings.max_body_chars,
        timings,
        resume_salt=resume_salt[: crypto.SALT_BYTES],
        router=registry.create("router", settings.router, settings.router_options, {}, base=Router),
    )
    checks = Maintenance(chat, settings.maintenance_every) if maintenance else None
    casework = open_casework(settings)
    watch = Watch(
        store,
        broker,
        hub.operator_connected,
        hub.to_supervisors,
        translator=casework.translator,
        dispatcher=casework.dispatcher,
        report_sink=casework.report_sink,
        assets=missing_assets,
        every=settings.health_every,
        danger_limit=settings.danger_answer_limit,
        floor_alarms=maintenance,
    )
    app.extensions["pnav"] = AppState(
        settings=settings,
        store=store,
        hub=hub,
        tokens=tokens,
        chat=chat,
        maintenance=checks,
        casework=casework,
        ops=watch,
        sockets=sockets.SocketLimits(
            settings.secret_key, settings.max_sockets, settings.max_sockets_per_address
        ),
        send_limits=SendLimits(deadline=settings.send_deadline),
        abuse=Abuse(
            limits=AbuseLimits(settings),
            proof_of_work=ProofOfWork(
                settings.secret_key, settings.proof_of_work_max_number, settings.ticket_max_age
            ),
            password_checks=SlowWork(settings.login_concurrency),
        ),
    )
    if checks is not None:
        checks.start()
    if maintenance:  # else at the first probe or scrape (tests build many apps)
        watch.start()
    if settings.metrics_listen:
        host, _, port = settings.metrics_listen.rpartition(":")
        listener = ops.MetricsListener(watch, settings.metrics_token, host.strip("[]"), int(port))
        listener.start()
        watch.closing.append(listener.stop)
    if settings.trusted_proxies:
        # The address limits count people, not the proxy (docs/deploy.md, "Limits").
        n = settings.trusted_proxies
        app.wsgi_app = ProxyFix(app.wsgi_app, x_for=n, x_proto=n)  # type: ignore[method-assign]
    headers.init_app(app)
    sockets.init_app(app, app.extensions["pnav"].sockets)
    ops.init_app(app)
    app.wsgi_app = _decline_compression(app.wsgi_app)  # type: ignore[method-assign]
    app.register_blueprint(person.bp)
    app.register_blueprint(loader.bp)
    app.register_blueprint(console.bp)
    locale_api.init_app(app)
    logging.getLogger("pnav").setLevel(logging.INFO)
    return app
