"""Counted limits, shared by every process of a deployment through the ``limits`` library.

Each rule is "at most N in any T seconds" (a moving window) for a key such as a hashed
address, a conversation or an account; bytes use a fixed window from the first byte.
Messages per conversation, counted for every message of every conversation, use limits'
sliding window counter instead: two counters per conversation whatever N is (a moving
window keeps one timestamp per event), near the moving window's count (it weighs the
previous window's count by the share of it still inside the last T seconds).
Single-use ids (ticket nonces) and revoked console sessions are one-hit windows that
last as long as the token could be presented.
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass

from limits import RateLimitItem, RateLimitItemPerSecond
from limits.errors import StorageError
from limits.storage import MemoryStorage, RedisStorage, Storage, storage_from_string
from limits.strategies import (
    FixedWindowRateLimiter,
    MovingWindowRateLimiter,
    RateLimiter,
    SlidingWindowCounterRateLimiter,
)

from pnav.server.abuse.addresses import AddressHasher
from pnav.server.settings import Settings, SettingsError

__all__ = ["RULES", "AbuseLimits", "Refusal", "limits_storage"]

log = logging.getLogger(__name__)

# rule -> (setting giving N, window T in seconds, strategy)
RULES: dict[str, tuple[str, int, str]] = {
    "tickets_per_address": ("tickets_per_address_per_minute", 60, "moving"),
    "conversations_per_address": ("conversations_per_address_per_hour", 3600, "moving"),
    "messages_per_conversation": ("messages_per_conversation_per_minute", 60, "sliding"),
    "bytes_per_conversation": ("conversation_bytes_per_day", 24 * 3600, "fixed"),
    "logins_per_account": ("logins_per_account_per_hour", 3600, "moving"),
    "logins_per_address": ("logins_per_address_per_hour", 3600, "moving"),
    "resume_codes_per_address": ("resume_codes_per_address_per_hour", 3600, "moving"),
}


class _MemoryStorage(MemoryStorage):
    """limits' memory storage, dropping old entries every few seconds instead of every
    10 ms. Its expiry walks every key under the key's lock and copies each moving
    window; re-armed by every hit, it took about a third of the worker's profiled time
    at 1,000 conversations under bench/relay.py. Counting does not depend on it (each check
    reads its own window and a fixed window resets on read): only how soon memory is
    given back does. Whether an expiry is due is one clock reading: asking the timer
    whether it is alive cost as much as the count itself under gevent."""

    EXPIRE_EVERY = 5.0
    _expiry_due = 0.0  # when the next expiry may be scheduled (monotonic seconds)

    # limits calls its private ``__schedule_expiry`` on every hit; this replaces it.
    def _MemoryStorage__schedule_expiry(self) -> None:
        now = time.monotonic()
        if now >= self._expiry_due:
            self._expiry_due = now + self.EXPIRE_EVERY
            expire: Callable[[], None] = self._MemoryStorage__expire_events  # type: ignore[attr-defined]
            self.timer = threading.Timer(self.EXPIRE_EVERY, expire)
            self.timer.daemon = True
            self.timer.start()


@dataclass(frozen=True)
class Refusal:
    """A limit was reached: which one, and in how many seconds it lets one more through."""

    rule: str
    retry_after: int


def limits_storage(settings: Settings) -> Storage:
    """``limits_storage`` if set; else the Redis of a "redis" broker (its key prefix
    too), so every process counts together; else memory (one process)."""
    if settings.limits_storage:
        storage = storage_from_string(settings.limits_storage, wrap_exceptions=True)
        if not isinstance(storage, Storage):
            raise SettingsError(
                "limits_storage must name a synchronous storage (memory://, redis://)"
            )
        return storage
    if settings.broker == "redis":
        url = str(settings.broker_options.get("url", "redis://127.0.0.1:6379/0"))
        prefix = str(settings.broker_options.get("prefix", "pnav"))
        return RedisStorage(url, key_prefix=f"{prefix}:limits", wrap_exceptions=True)
    return _MemoryStorage()


class AbuseLimits:
    def __init__(self, settings: Settings, storage: Storage | None = None) -> None:
        self.storage = storage or limits_storage(settings)
        self._fixed = FixedWindowRateLimiter(self.storage)
        self._strategies: dict[str, RateLimiter] = {
            "moving": MovingWindowRateLimiter(self.storage),
            "sliding": SlidingWindowCounterRateLimiter(self.storage),
            "fixed": self._fixed,
        }
        self.address = AddressHasher(settings.secret_key)
        self._items: dict[str, RateLimitItem] = {}
        for rule, (setting, seconds, _) in RULES.items():
            amount = int(getattr(settings, setting))
            self._items[rule] = RateLimitItemPerSecond(amount, seconds, namespace="pnav")
        self._once_age = max(settings.ticket_max_age, settings.console_session_max_age)

    # -- counted rules -----------------------------------------------------
    def _limiter(self, rule: str) -> RateLimiter:
        return self._strategies[RULES[rule][2]]

    def _refusal(self, rule: str, key: str) -> Refusal:
        try:
            stats = self._limiter(rule).get_window_stats(self._items[rule], rule, key)
            wait = max(1, int(stats.reset_time - time.time()) + 1)
        except StorageError:
            wait = RULES[rule][1]
        return Refusal(rule, wait)

    def hit(self, rule: str, key: str, cost: int = 1) -> Refusal | None:
        """Count one event (``cost`` units); a Refusal, counting nothing, when over."""
        try:
            allowed = self._limiter(rule).hit(self._items[rule], rule, key, cost=cost)
        except StorageError as exc:
            return self._unavailable(rule, exc)
        return None if allowed else self._refusal(rule, key)

    def forget(self, rule: str, key: str) -> None:
        """Start ``key``'s count again (a right password ends a run of wrong ones).
        Count first and forget on success, rather than check first and count failures:
        attempts sent at once would all pass the check before any failure was counted."""
        try:
            self._limiter(rule).clear(self._items[rule], rule, key)
        except StorageError as exc:
            self._unavailable(rule, exc)

    @staticmethod
    def _unavailable(rule: str, exc: Exception) -> None:
        # A victim must still reach help while Redis is down: the limit lets the event
        # through, and the operator's log says limits are off (without any key).
        log.error("limits storage unreachable; %s not enforced: %s", rule, type(exc).__name__)
        return None

    # -- single use --------------------------------------------------------
    def _once_item(self, seconds: int) -> RateLimitItem:
        return RateLimitItemPerSecond(1, max(1, seconds), namespace="pnav-once")

    def first_use(self, kind: str, token_id: str, seconds: int) -> bool:
        """True the first time ``token_id`` is used within ``seconds`` (set that to the
        token's life: afterwards the token is refused as expired anyway)."""
        try:
            return self._fixed.hit(self._once_item(seconds), kind, token_id)
        except StorageError as exc:
            self._unavailable(f"single use of {kind}", exc)
            return True

    def revoke_session(self, session_id: str) -> bool:
        """A console session logged out: refused in every process until it expires.
        False if the storage could not record it (the caller says so)."""
        try:
            self._fixed.hit(self._once_item(self._once_age), "session", session_id)
        except StorageError as exc:
            self._unavailable("session revocation", exc)
            return False
        return True

    def session_revoked(self, session_id: str) -> bool:
        try:
            return not self._fixed.test(self._once_item(self._once_age), "session", session_id)
        except StorageError as exc:
            self._unavailable("session revocation check", exc)
            return False
