"""What the app factory builds once and every handler reaches through ``state()``."""

from __future__ import annotations

from dataclasses import dataclass
from importlib import resources
from pathlib import Path

from flask import Response, abort, current_app, request, send_file

from pnav.sdk.directory import Directory
from pnav.sdk.dispatcher import SafeDispatcher
from pnav.sdk.report_sink import AuditedReportSink
from pnav.sdk.store import Store
from pnav.sdk.translator import SafeTranslator
from pnav.server.abuse import AbuseLimits, ProofOfWork, SlowWork
from pnav.server.chat.connection import SendLimits
from pnav.server.chat.hub import Hub
from pnav.server.chat.maintenance import Maintenance
from pnav.server.chat.service import ChatService
from pnav.server.chat.tokens import Tokens
from pnav.server.ops.watch import Watch
from pnav.server.settings import Settings
from pnav.server.web.sockets import SocketLimits

__all__ = [
    "STATIC_DIR",
    "Abuse",
    "AppState",
    "Casework",
    "client_address",
    "public_base",
    "state",
    "static_file",
]

STATIC_DIR = Path(str(resources.files("pnav.server.web") / "static"))


@dataclass(frozen=True)
class Casework:
    """The operator's casework tools (the console's forms use them). Each is wrapped so
    that it never raises into the chat: the translator never blocks, a failed dispatch
    or report is a result, every report is audited."""

    translator: SafeTranslator
    directory: Directory
    dispatcher: SafeDispatcher | None
    report_sink: AuditedReportSink | None


@dataclass(frozen=True)
class Abuse:
    """Abuse limits (pnav.server.abuse): counted limits, the proof of work asked for a
    new conversation, and the bounded pool of password checks."""

    limits: AbuseLimits
    proof_of_work: ProofOfWork
    password_checks: SlowWork


@dataclass(frozen=True)
class AppState:
    settings: Settings
    store: Store
    hub: Hub
    tokens: Tokens
    chat: ChatService
    maintenance: Maintenance | None
    casework: Casework
    sockets: SocketLimits
    send_limits: SendLimits
    ops: Watch  # readiness, metrics, alarms (src/pnav/server/ops)
    abuse: Abuse

    def shutdown(self) -> None:
        """Stop the background checks and the broker (the caller closes the store)."""
        self.ops.stop()
        if self.maintenance is not None:
            self.maintenance.stop()
        self.chat.close()
        self.hub.close()
        casework = self.casework
        for backend in (casework.translator, casework.dispatcher, casework.report_sink):
            if backend is not None:
                backend.close()
        casework.directory.close()


def state() -> AppState:
    st: AppState = current_app.extensions["pnav"]
    return st


def client_address() -> str:
    """The limit key of the client's address (a keyed hash: the address itself is never
    kept or logged). Behind ``trusted_proxies`` proxies, ProxyFix has set remote_addr."""
    return state().abuse.limits.address(request.remote_addr)


def public_base() -> str:
    """``https://chat.example.org``: from settings behind a proxy, else from the request."""
    configured = state().settings.public_url
    return (configured or request.host_url).rstrip("/")


def static_file(folder: str, name: str) -> Response:
    path = STATIC_DIR / folder / name
    if not path.is_file():
        current_app.logger.error(
            "widget asset %s/%s is missing: build it with `npm --prefix widget ci && "
            "npm --prefix widget run build`",
            folder,
            name,
        )
        abort(503)
    return send_file(path, max_age=0, etag=False, last_modified=None)


def missing_assets() -> list[str]:
    wanted = [
        "widget/loader.js",
        "widget/panel.js",
        "widget/banner-texts.json",
        "widget/chat.js",
        "widget/argon2.js",
        "widget/pow.js",
        "widget/chat.css",
        "console/index.html",
        "console/console.js",
        "console/console.css",
    ]
    return [w for w in wanted if not (STATIC_DIR / w).is_file()]
