"""The dispatcher slot: an emergency goes from the operator to an operational centre.

An :class:`Emergency` leaves the encrypted channel on purpose: it carries what the
operator typed into the emergency form (where, what danger, who is at risk) and an
opaque reference to the conversation, never the conversation itself. A dispatcher
delivers it and answers a :class:`DispatchResult`: ``sent`` (handed over),
``acknowledged`` (the centre's system confirmed it) or ``failed``.

``send`` blocks until the outcome is known (retries included, bounded by the
backend's timeouts); the server calls it off the chat's path. A dispatcher reports
delivery problems in the result and does not raise for them; :class:`SafeDispatcher`
guarantees that for any implementation.
"""

from __future__ import annotations

import abc
import logging
import re
import secrets
import threading
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

from pnav.sdk.directory import Location, Service
from pnav.sdk.outcome import STATUSES, Outcome

__all__ = [
    "STATUSES",
    "DispatchResult",
    "Dispatcher",
    "Emergency",
    "MemoryDispatcher",
    "SafeDispatcher",
    "check_id",
    "new_id",
]

log = logging.getLogger(__name__)


_ID = re.compile(r"[A-Za-z0-9_-]{1,64}")


def new_id() -> str:
    """A random id for an emergency, a report or a receipt."""
    return secrets.token_hex(12)


def check_id(value: str, what: str) -> None:
    """Ids end up in file names, mail subjects and headers: letters, digits, _ and -."""
    if not isinstance(value, str) or not _ID.fullmatch(value):
        raise ValueError(f"{what} must be 1 to 64 letters, digits, '_' or '-'")


def _now() -> datetime:
    return datetime.now(UTC)


@dataclass(frozen=True)
class Emergency:
    """What the operator raised. ``conversation`` is an opaque id: the centre gets no
    message text unless the operator typed it into one of these fields."""

    conversation: str
    location: Location
    danger: str  # nature of the danger, as the operator wrote it
    people_at_risk: str
    operator: str
    centre: Service
    callback: str = ""  # how the centre can reach the platform or the person, if given
    id: str = field(default_factory=new_id)
    raised_at: datetime = field(default_factory=_now)

    def __post_init__(self) -> None:
        check_id(self.id, "an emergency id")
        if not self.conversation or not self.operator:
            raise ValueError("an emergency needs a conversation reference and an operator")
        if not self.danger.strip():
            raise ValueError("an emergency needs the nature of the danger")
        if self.centre.role != "emergency":
            raise ValueError(f"service {self.centre.id!r} is not an operational centre")
        if self.raised_at.tzinfo is None:
            raise ValueError("raised_at must be an aware datetime")

    def to_payload(self) -> dict[str, Any]:
        """The JSON form every dispatcher sends (docs/backends-casework.md)."""
        return {
            "id": self.id,
            "raised_at": self.raised_at.isoformat(),
            "conversation": self.conversation,
            "operator": self.operator,
            "danger": self.danger,
            "people_at_risk": self.people_at_risk,
            "callback": self.callback,
            "location": self.location.to_payload(),
            "centre": self.centre.to_payload(),
        }


@dataclass(frozen=True)
class DispatchResult(Outcome):
    """The outcome of one ``send`` (:class:`~pnav.sdk.outcome.Outcome`); ``reference``
    is the centre's, when it acknowledged."""


class Dispatcher(abc.ABC):
    """Delivers emergencies to operational centres."""

    @abc.abstractmethod
    def send(self, emergency: Emergency) -> DispatchResult:
        """Deliver ``emergency``; a delivery problem is a ``failed`` result, not an
        exception."""

    def close(self) -> None:  # noqa: B027 - optional hook
        """Release connections."""


class MemoryDispatcher(Dispatcher):
    """For tests: records every emergency; answers ``acknowledged`` with a reference,
    or ``failed`` while ``failing`` is set."""

    def __init__(self, failing: bool = False) -> None:
        self.failing = failing
        self.sent: list[Emergency] = []
        self._lock = threading.Lock()
        self.delivered = threading.Condition(self._lock)

    def send(self, emergency: Emergency) -> DispatchResult:
        with self._lock:
            if self.failing:
                return DispatchResult("failed", "the test centre is down", errors=("down",))
            self.sent.append(emergency)
            self.delivered.notify_all()
            return DispatchResult("acknowledged", "recorded", reference=f"mem-{len(self.sent)}")


class SafeDispatcher(Dispatcher):
    """Wraps a dispatcher so that ``send`` never raises: an exception (a plugin's bug)
    becomes a ``failed`` result, and a result that is not a DispatchResult too."""

    def __init__(self, inner: Dispatcher) -> None:
        self.inner = inner

    def send(self, emergency: Emergency) -> DispatchResult:
        try:
            result = self.inner.send(emergency)
        except Exception as exc:
            log.error("dispatcher raised %s for emergency %s", type(exc).__name__, emergency.id)
            return DispatchResult("failed", f"the dispatcher failed ({type(exc).__name__})")
        if not isinstance(result, DispatchResult):
            log.error("dispatcher answered a %s for emergency %s", type(result), emergency.id)
            return DispatchResult("failed", "the dispatcher answered nonsense")
        return result

    def close(self) -> None:
        self.inner.close()
