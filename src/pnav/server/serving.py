"""The HTTP servers ``pnav serve`` and ``pnav demo`` run.

By default a gevent server: every websocket is a greenlet (tens of KiB, not a thread),
so thousands of people can hold a chat open in one process. The request line and
headers must arrive within ``header_timeout`` seconds (a half-sent request is closed,
not held); the response, a websocket that may last hours, has no such limit. No
access log: it would record people's addresses.

The standard library must be patched for gevent before anything else is imported:
the ``pnav`` command does it (pnav/cli.py) when the command serves without ``--dev``.
``--dev`` runs Werkzeug's threaded development server instead.
"""

from __future__ import annotations

import logging
from typing import Any

from werkzeug.serving import BaseWSGIServer, WSGIRequestHandler, make_server

from pnav.server.ops.logs import event

__all__ = ["ProductionServer", "QuietRequestHandler", "dev_server", "production_server"]

log = logging.getLogger(__name__)
_http_log = logging.getLogger("pnav.server.http")


class QuietRequestHandler(WSGIRequestHandler):
    """Werkzeug's handler without its access log, and whose own error lines (a request
    refused before routing) carry neither the client's address nor the raw request
    line, which may hold a token in its query string: no IPs, paths or user agents."""

    def log_request(self, code: int | str = "-", size: int | str = "-") -> None:
        return None

    def log(self, type: str, message: str, *args: Any) -> None:
        code = args[0] if message.startswith("code ") and args else "-"
        level = logging.WARNING if type == "error" else logging.DEBUG
        event(_http_log, level, "http.refused", code=code)


_QuietHandler = QuietRequestHandler  # its earlier name (tests/e2e/test_trace.py)


def dev_server(app: Any, host: str, port: int) -> BaseWSGIServer:
    """Werkzeug's threaded server (``--dev``, and the tests' live servers)."""
    return make_server(host, port, app, threaded=True, request_handler=QuietRequestHandler)


class ProductionServer:
    """A gevent WSGI server; ``server_port`` and ``serve_forever`` like Werkzeug's."""

    def __init__(self, app: Any, host: str, port: int, header_timeout: float) -> None:
        from gevent.pywsgi import WSGIHandler, WSGIServer

        class Handler(WSGIHandler):  # type: ignore[misc]
            def handle_one_request(self) -> Any:
                # The request line and headers have this long to arrive.
                self.socket.settimeout(header_timeout)
                return super().handle_one_request()

            def handle_one_response(self) -> Any:
                self.socket.settimeout(None)  # a websocket lasts as long as the chat
                result = super().handle_one_response()
                if self.environ.get("HTTP_UPGRADE", "").lower() == "websocket":
                    # The websocket ran on a duplicate of this socket and is over:
                    # close the original too, or the peer never sees the end.
                    self.close_connection = True
                return result

            def log_request(self) -> None:
                return None

            def log_error(self, msg: str, *args: Any) -> None:
                # gevent writes the client's address and the raw request line (which
                # may hold a token) to stderr: the event only (docs/operations.md).
                event(_http_log, logging.WARNING, "http.refused", code="-")

        self._server = WSGIServer((host, port), app, handler_class=Handler, log=None)
        self._server.init_socket()

    @property
    def server_port(self) -> int:
        port: int = self._server.server_port
        return port

    def serve_forever(self) -> None:
        self._server.serve_forever()

    def shutdown(self) -> None:
        self._server.stop(timeout=5)


def production_server(app: Any, host: str, port: int, header_timeout: float) -> ProductionServer:
    from gevent import monkey

    if not monkey.is_module_patched("socket"):
        raise RuntimeError(
            "the gevent server needs the standard library patched first: start it with the "
            "`pnav` command (or use --dev for the threaded development server)"
        )
    return ProductionServer(app, host, port, header_timeout)
