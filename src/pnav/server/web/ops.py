"""Probes and metrics: ``/healthz``, ``/readyz`` and the token-protected metrics, on
a path of this server (``metrics_path``) and/or a listener of their own
(``metrics_listen``). docs/operations.md says what each answers.

None of these is for a browser: the metrics refuse any request that carries an
``Origin`` (a page's script, such as a partner page's) and any without the bearer
token; the probes say whether the server can work, never anything about a
conversation.
"""

from __future__ import annotations

import hmac
import threading

from flask import Flask, Response, jsonify, request
from werkzeug.serving import BaseWSGIServer, make_server

from pnav.server.ops import exposition
from pnav.server.ops.watch import Watch
from pnav.server.serving import QuietRequestHandler
from pnav.server.web.headers import LOCKED_CSP, PERMISSIONS_POLICY
from pnav.server.web.state import state

__all__ = ["MetricsListener", "init_app", "metrics_response"]


_METRICS_MAX_AGE = "no-store"


def healthz() -> Response:
    """Alive: the process answers requests (restart it when this fails)."""
    return jsonify({"status": "alive"})


def readyz() -> Response:
    """Ready: the last background checks all passed; else 503 and their reasons."""
    readiness = state().ops.health.readiness()
    response = jsonify(readiness.to_json())
    response.status_code = 200 if readiness.ready else 503
    return response


def _refusal(status: int, message: str) -> Response:
    response = jsonify({"error": message})
    response.status_code = status
    if status == 401:
        response.headers["WWW-Authenticate"] = 'Bearer realm="pnav metrics"'
    return response


def metrics_response(watch: Watch, token: str) -> Response:
    """The metrics for a scraper that sends ``Authorization: Bearer <token>``."""
    if request.headers.get("Origin") is not None or request.headers.get("Sec-Fetch-Site"):
        return _refusal(403, "metrics are not served to web pages")
    given = request.headers.get("Authorization", "")
    scheme, _, value = given.partition(" ")
    if scheme.lower() != "bearer" or not hmac.compare_digest(value.encode(), token.encode()):
        return _refusal(401, "a valid bearer token is required")
    watch.health.start()  # the floor gauges come from the checks
    return Response(
        exposition.exposition(watch.registry), mimetype=None, content_type=exposition.CONTENT_TYPE
    )


def _app_metrics() -> Response:
    st = state()
    return metrics_response(st.ops, st.settings.metrics_token)


def init_app(app: Flask) -> None:
    """The probes, and the metrics on ``metrics_path`` when it is set."""
    app.add_url_rule("/healthz", "healthz", healthz, methods=["GET"])
    app.add_url_rule("/readyz", "readyz", readyz, methods=["GET"])
    path: str = app.extensions["pnav"].settings.metrics_path
    if path:
        app.add_url_rule(path, "metrics", _app_metrics, methods=["GET"])


class MetricsListener:
    """The metrics on a listener of their own (``metrics_listen``), at ``/metrics``:
    a port the organisation's monitoring reaches and the public never does."""

    def __init__(self, watch: Watch, token: str, host: str, port: int) -> None:
        app = Flask("pnav.metrics")

        @app.get("/metrics")
        def scrape() -> Response:
            return metrics_response(watch, token)

        @app.after_request
        def strict(response: Response) -> Response:
            h = response.headers
            h["Cache-Control"] = _METRICS_MAX_AGE
            h["X-Content-Type-Options"] = "nosniff"
            h["Referrer-Policy"] = "no-referrer"
            h["Content-Security-Policy"] = LOCKED_CSP
            h["Permissions-Policy"] = PERMISSIONS_POLICY
            h["Cross-Origin-Resource-Policy"] = "same-origin"
            return response

        self.server: BaseWSGIServer = make_server(
            host, port, app, threaded=True, request_handler=QuietRequestHandler
        )
        self.port = self.server.server_port
        self._thread = threading.Thread(
            target=self.server.serve_forever, name="pnav-metrics", daemon=True
        )

    def start(self) -> None:
        self._thread.start()

    def stop(self) -> None:
        self.server.shutdown()
        self.server.server_close()
