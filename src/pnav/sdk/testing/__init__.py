"""Helpers for testing pnav and what integrators build on it; also a pytest plugin.

- Contract suites, one per backend slot: subclass one in a ``Test…`` class, set
  ``__test__ = True`` and provide its fixture, and your backend is checked against
  every promise pnav relies on: :class:`StoreContract` (fixture ``store``),
  :class:`BrokerContract` (``brokers``), :class:`RouterContract` (``router``),
  and the casework slots' :class:`TranslatorContract`, :class:`DirectoryContract`,
  :class:`DispatcherContract`, :class:`ReportSinkContract` (their fixtures are
  described in pnav.sdk.testing.casework).
- :class:`TcpProxy` cuts connections on demand; :class:`ServerProcess` runs
  ``pnav serve`` that can be killed with SIGKILL and started again; for hostile-load
  tests, :class:`RawSocket` (a client that never reads) and :class:`HonestFloor`
  (conversations whose latency is measured meanwhile).

Installed with pnav, this module is registered as the pytest plugin ``pnav``
(entry point ``pytest11``), which adds the ``pnav_proxy`` fixture: a factory of
:class:`TcpProxy` instances closed after the test.
"""

from __future__ import annotations

import contextlib
import os
import signal
import socket
import subprocess
import sys
import threading
import time
from collections.abc import Callable, Iterator, Mapping
from pathlib import Path

import pytest

from pnav.sdk.testing.broker import BrokerContract
from pnav.sdk.testing.casework import (
    DirectoryContract,
    DispatcherContract,
    ReportSinkContract,
    TranslatorContract,
)
from pnav.sdk.testing.peers import HonestFloor, RawSocket
from pnav.sdk.testing.router import RouterContract
from pnav.sdk.testing.store import StoreContract

__all__ = [
    "BrokerContract",
    "DirectoryContract",
    "DispatcherContract",
    "HonestFloor",
    "RawSocket",
    "ReportSinkContract",
    "RouterContract",
    "ServerProcess",
    "StoreContract",
    "TcpProxy",
    "TranslatorContract",
    "free_port",
    "pnav_proxy",
]


def free_port() -> int:
    """A loopback TCP port nobody listens on right now."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port


class ServerProcess:
    """``pnav serve`` in a child process, on a fixed loopback port, that can be killed
    with SIGKILL and started again on the same data directory and port."""

    def __init__(
        self,
        data_dir: Path,
        env: Mapping[str, str] | None = None,
        port: int | None = None,
        log_path: Path | None = None,
    ) -> None:
        self.data_dir = data_dir
        self.port = port or free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        self.env = {**os.environ, "PNAV_DATA_DIR": str(data_dir), **(env or {})}
        self.log_path = log_path or data_dir.parent / f"server-{self.port}.log"
        self._proc: subprocess.Popen[bytes] | None = None

    def start(self, timeout: float = 20) -> None:
        log = self.log_path.open("ab")
        cmd = [sys.executable, "-m", "pnav", "serve", "--port", str(self.port)]
        self._proc = subprocess.Popen(cmd, env=self.env, stdout=log, stderr=log)  # noqa: S603
        log.close()
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self._proc.poll() is not None:
                raise RuntimeError(f"pnav serve exited with {self._proc.returncode}")
            try:
                socket.create_connection(("127.0.0.1", self.port), timeout=1).close()
                return
            except OSError:
                time.sleep(0.05)
        self.kill()
        raise RuntimeError(f"pnav serve did not listen on port {self.port} in {timeout}s")

    @property
    def pid(self) -> int | None:
        """The server's process id while it runs."""
        return None if self._proc is None else self._proc.pid

    def kill(self) -> None:
        """SIGKILL: no goodbye to anyone, no flushing."""
        if self._proc is not None and self._proc.poll() is None:
            self._proc.send_signal(signal.SIGKILL)
            self._proc.wait(10)
        self._proc = None

    def stop(self) -> None:
        if self._proc is not None and self._proc.poll() is None:
            self._proc.terminate()
            try:
                self._proc.wait(10)
            except subprocess.TimeoutExpired:
                self._proc.kill()
                self._proc.wait(10)
        self._proc = None


class TcpProxy:
    """A loopback TCP relay in front of a server, that can fail on demand.

    ``cut()`` breaks every connection through it at once (as a lost network would);
    ``refuse(True)`` makes it drop new connections as soon as they arrive, until
    ``refuse(False)``. Point a client at ``port`` instead of the server's.
    """

    def __init__(self, target_port: int, target_host: str = "127.0.0.1") -> None:
        self.target = (target_host, target_port)
        self._listener = socket.create_server(("127.0.0.1", 0))
        self.port: int = self._listener.getsockname()[1]
        self._lock = threading.Lock()
        self._open: set[socket.socket] = set()
        self._refusing = False
        self._closed = False
        self.cuts = 0
        threading.Thread(target=self._accept, name="pnav-proxy", daemon=True).start()

    def _accept(self) -> None:
        while True:
            try:
                client, _ = self._listener.accept()
            except OSError:
                return  # closed
            with self._lock:
                refusing = self._refusing or self._closed
            if refusing:
                client.close()
                continue
            with self._lock:
                target = self.target
            try:
                upstream = socket.create_connection(target, timeout=5)
                upstream.settimeout(None)
            except OSError:
                client.close()
                continue
            with self._lock:
                self._open.update((client, upstream))
            for src, dst in ((client, upstream), (upstream, client)):
                threading.Thread(target=self._pump, args=(src, dst), daemon=True).start()

    def _pump(self, src: socket.socket, dst: socket.socket) -> None:
        try:
            while data := src.recv(65536):
                dst.sendall(data)
        except OSError:
            pass
        finally:
            self._drop(src, dst)

    def _drop(self, *socks: socket.socket) -> None:
        for sock in socks:
            with contextlib.suppress(OSError):
                sock.shutdown(socket.SHUT_RDWR)
            sock.close()
            with self._lock:
                self._open.discard(sock)

    def cut(self) -> None:
        """Break every open connection."""
        with self._lock:
            socks = list(self._open)
            self.cuts += 1
        self._drop(*socks)

    def retarget(self, port: int, host: str = "127.0.0.1") -> None:
        """Send new connections to another server (as a load balancer would)."""
        with self._lock:
            self.target = (host, port)

    def refuse(self, refusing: bool) -> None:
        with self._lock:
            self._refusing = refusing

    def close(self) -> None:
        with self._lock:
            self._closed = True
        self._listener.close()
        self.cut()


@pytest.fixture
def pnav_proxy() -> Iterator[Callable[[int], TcpProxy]]:
    """``pnav_proxy(port)``: a :class:`TcpProxy` in front of ``port``, closed afterwards."""
    made: list[TcpProxy] = []

    def make(port: int) -> TcpProxy:
        made.append(TcpProxy(port))
        return made[-1]

    yield make
    for proxy in made:
        proxy.close()
