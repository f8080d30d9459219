"""The server's clock work: presence, supervision, idle closing and retention."""

from __future__ import annotations

import logging
import threading

from pnav.server.chat.service import ChatService
from pnav.server.ops import metrics

__all__ = ["Maintenance"]

log = logging.getLogger(__name__)


class Maintenance:
    """A daemon thread that calls :meth:`ChatService.tick` every ``every`` seconds."""

    def __init__(self, chat: ChatService, every: float) -> None:
        self.chat = chat
        self.every = every
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, name="pnav-maintenance", daemon=True)

    def start(self) -> None:
        self._thread.start()

    def stop(self) -> None:
        self._stop.set()

    def _run(self) -> None:
        while not self._stop.wait(self.every):
            try:
                with metrics.maintenance_round():
                    self.chat.tick()
            except Exception:  # one failed round must not end the checks for good
                log.exception("maintenance round failed; retrying in %ss", self.every)
