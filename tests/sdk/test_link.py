"""The Python client's link survives a socket that is closing under it."""

from __future__ import annotations

from typing import Any

from wsproto.utilities import LocalProtocolError

from pnav.sdk.client.link import Link, Timing


class _ClosingSocket:
    """A socket whose peer sent its close frame: wsproto refuses any further message."""

    def __init__(self) -> None:
        self.tried: list[str] = []

    def send(self, raw: str) -> None:
        self.tried.append(raw)
        raise LocalProtocolError("cannot be sent in state ConnectionState.REMOTE_CLOSING")


def _link() -> Link:
    def ignore(*_: Any) -> None:
        return None

    return Link("ws://127.0.0.1:9/ws", None, ignore, ignore, ignore, Timing())


def test_a_send_on_a_socket_the_server_is_closing_is_a_failed_send_not_an_exception() -> None:
    link = _link()
    link._ws = _ClosingSocket()  # type: ignore[assignment]  # as after a connect
    assert link.send({"t": "msg", "id": "a"}) is False
    assert link._ws.tried  # it did try
