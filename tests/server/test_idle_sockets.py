"""Idle sockets stay cheap (issue 16): the server declines the permessage-deflate that
browsers offer (bodies are ciphertext; a compressor per socket costs ~200 KiB)."""

from __future__ import annotations

import base64
import secrets
import socket
import time
from typing import Any
from urllib.parse import urlsplit

import pytest


def _handshake(url: str, path: str, extensions: str) -> str:
    """The server's answer to a websocket upgrade that offers ``extensions``."""
    parts = urlsplit(url)
    key = base64.b64encode(secrets.token_bytes(16)).decode()
    request = (
        f"GET {path} HTTP/1.1\r\nHost: {parts.netloc}\r\nUpgrade: websocket\r\n"
        f"Connection: Upgrade\r\nSec-WebSocket-Key: {key}\r\nSec-WebSocket-Version: 13\r\n"
        f"Sec-WebSocket-Extensions: {extensions}\r\n\r\n"
    )
    with socket.create_connection((parts.hostname, parts.port), timeout=10) as sock:
        sock.sendall(request.encode())
        answer = b""
        while b"\r\n\r\n" not in answer:
            chunk = sock.recv(4096)
            assert chunk, "the server closed the connection during the handshake"
            answer += chunk
    return answer.split(b"\r\n\r\n", 1)[0].decode("latin-1")


@pytest.mark.parametrize("path", ["/ws/person", "/console/ws"])
def test_compression_offered_by_a_browser_is_declined(live_server: Any, path: str) -> None:
    offer = "permessage-deflate; client_max_window_bits"  # what Chromium sends
    head = _handshake(live_server.url, path, offer)
    assert head.startswith("HTTP/1.1 101"), head
    assert "sec-websocket-extensions" not in head.lower(), head


class _Socket:
    def __init__(self) -> None:
        self.sent: list[str] = []

    def send(self, data: str) -> None:
        self.sent.append(data)

    def close(self, reason: int | None = None, message: str | None = None) -> None:
        pass

    def abort(self) -> None:
        pass


def test_the_floor_is_built_only_while_a_supervisor_is_connected(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    from pnav.sdk.memory_store import MemoryStore
    from pnav.server.chat import supervision
    from pnav.server.chat.hub import Connection, Hub
    from pnav.server.chat.service import ChatService
    from pnav.server.chat.tokens import Tokens

    builds = []
    real = supervision.floor_frame

    def counted(*args: Any) -> dict[str, Any]:
        builds.append(1)
        return real(*args)

    monkeypatch.setattr(supervision, "floor_frame", counted)
    hub = Hub()
    chat = ChatService(MemoryStore(), hub, Tokens(b"k" * 32, 120, 3600, 3600), 65536)
    try:
        chat.supervision.refresh_floor()
        assert builds == []  # nobody to show it to
        sock = _Socket()
        conn = Connection(sock)
        hub.join_operator(7, conn, supervisor=True)
        chat.supervision.refresh_floor()
        assert len(builds) == 1
        deadline = time.monotonic() + 10  # the connection's writer sends it
        while not any('"t":"floor"' in frame for frame in sock.sent):
            assert time.monotonic() < deadline, "the supervisor never got the floor"
            time.sleep(0.01)
        hub.leave_operator(7, conn)
        conn.finish()
        chat.supervision.refresh_floor()
        assert len(builds) == 1
    finally:
        chat.close()
        hub.close()
