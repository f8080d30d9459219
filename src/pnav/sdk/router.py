"""The router slot: which operator a waiting conversation goes to.

The server asks the router whenever something changes (a conversation arrives, an
operator connects, a conversation closes or moves, and every few seconds). Waiting
conversations are offered danger first, then oldest first; for each, the router
returns an operator id or None (it stays in the queue, where operators can still
take it themselves). Once assigned, a conversation stays with its operator: routing
never moves an assigned conversation (that is a transfer, docs/protocol.md).

Built-ins: ``queue`` (the default: operators take conversations from the queue),
``least_loaded`` (the connected operator with the fewest conversations, under a
capacity cap: each operator's own when a supervisor set one, else the router's),
``skills`` (the same among operators who speak the person's language
and take the category), and ``http`` (the platform's own service decides;
pnav.server.routers.http).
"""

from __future__ import annotations

import abc
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from pnav.sdk.store import Conversation

__all__ = ["Candidate", "LeastLoadedRouter", "QueueRouter", "Router", "SkillsRouter"]


@dataclass(frozen=True)
class Candidate:
    """An operator the router may choose, with their current load."""

    id: int
    username: str
    role: str
    active: int  # conversations they hold now
    connected: bool
    idle_since: float | None = None  # when they last took or closed a conversation
    # how many conversations they may hold at once, set by a supervisor; None: the
    # router's own default (its ``capacity``)
    capacity: int | None = None


class Router(abc.ABC):
    #: False for routers that never assign (the server then skips routing rounds).
    automatic = True
    #: The deployment's default of how many conversations an operator holds at once
    #: (a candidate's own ``capacity`` wins); None: no cap. Shown on supervisors' floor.
    capacity: int | None = None

    @abc.abstractmethod
    def choose(self, conv: Conversation, candidates: Sequence[Candidate]) -> int | None:
        """The id of the operator to give ``conv`` to, or None to leave it waiting.

        Only a connected candidate may be returned; the server checks and ignores
        anything else. Must be quick, or bounded by a timeout."""

    def close(self) -> None:  # noqa: B027 - optional hook
        """Release connections."""


class QueueRouter(Router):
    """No automatic assignment: operators take conversations from the queue."""

    automatic = False

    def choose(self, conv: Conversation, candidates: Sequence[Candidate]) -> int | None:
        return None


def _least_loaded(candidates: Sequence[Candidate], capacity: int) -> int | None:
    """The connected candidate with the fewest conversations among those below their
    own capacity (``capacity`` for those who have none)."""
    free = [
        c
        for c in candidates
        if c.connected and c.active < (capacity if c.capacity is None else c.capacity)
    ]
    if not free:
        return None
    best = min(free, key=lambda c: (c.active, c.idle_since or 0.0, c.id))
    return best.id


class LeastLoadedRouter(Router):
    """The connected operator with the fewest conversations, below their capacity (their
    own, set by a supervisor, or else ``capacity``)."""

    capacity: int

    def __init__(self, capacity: int = 3) -> None:
        if not isinstance(capacity, int) or capacity < 1:
            raise ValueError("capacity must be a whole number of at least 1")
        self.capacity = capacity

    def choose(self, conv: Conversation, candidates: Sequence[Candidate]) -> int | None:
        return _least_loaded(candidates, self.capacity)


@dataclass(frozen=True)
class Skills:
    languages: frozenset[str] = field(default_factory=frozenset)  # empty: any
    categories: frozenset[str] = field(default_factory=frozenset)  # empty: any

    def fit(self, conv: Conversation) -> bool:
        lang = conv.lang.split("-")[0].lower()
        # A person who did not say what it is about ("not_said") fits any category.
        return (not self.languages or lang in self.languages) and (
            not self.categories or conv.what in self.categories or conv.what == "not_said"
        )


class SkillsRouter(Router):
    """Least loaded among the operators whose skills fit: the person's language (its
    primary subtag) and the category. ``skills`` maps a username to
    ``{"languages": [...], "categories": [...]}``; operators not listed take anything.
    With ``fallback`` true, a conversation nobody fits goes to the least loaded.
    Capacities as for :class:`LeastLoadedRouter`."""

    capacity: int

    def __init__(
        self,
        capacity: int = 3,
        skills: Mapping[str, Mapping[str, Sequence[str]]] | None = None,
        fallback: bool = False,
    ) -> None:
        if not isinstance(capacity, int) or capacity < 1:
            raise ValueError("capacity must be a whole number of at least 1")
        self.capacity = capacity
        self.fallback = fallback
        self.skills: dict[str, Skills] = {}
        for name, spec in (skills or {}).items():
            unknown = set(spec) - {"languages", "categories"}
            if unknown:
                raise ValueError(f"skills of {name!r}: unknown keys {', '.join(sorted(unknown))}")
            self.skills[name] = Skills(
                frozenset(x.lower() for x in spec.get("languages", ())),
                frozenset(spec.get("categories", ())),
            )

    def choose(self, conv: Conversation, candidates: Sequence[Candidate]) -> int | None:
        fit = [c for c in candidates if self.skills.get(c.username, Skills()).fit(conv)]
        chosen = _least_loaded(fit, self.capacity)
        if chosen is None and self.fallback:
            chosen = _least_loaded(candidates, self.capacity)
        return chosen


def describe(conv: Conversation) -> dict[str, Any]:
    """The triage fields a router may see (never a message, never a key)."""
    return {
        "conv": conv.id,
        "partner": conv.partner,
        "who": conv.who,
        "what": conv.what,
        "danger": conv.danger,
        "lang": conv.lang,
        "waiting_since": conv.created_at,
    }
