"""Prometheus metrics that name no one (docs/operations.md, "Metrics").

Counters and histograms live in one registry per process (:data:`PROCESS`); the chat,
the sockets and the casework endpoints feed them through the small functions below,
which are the only way in. Every label value comes from a fixed set written here, so
no conversation id, username, address, language or text can ever become a label: a
value outside its set is counted as ``other``. The floor's gauges (queue, active
conversations, operators connected) are read from the last readiness round's
snapshot, never from the store at scrape time.

What a scrape shows (these and the floor's gauges, in one registry per app) is put
together in exposition.py.
"""

from __future__ import annotations

import time
from collections.abc import Iterator, Mapping
from contextlib import contextmanager

from prometheus_client import CollectorRegistry, Counter, Gauge, Histogram, ProcessCollector

__all__ = [
    "ALARM_KINDS",
    "LIMIT_RULES",
    "PROCESS",
    "REFUSAL_REASONS",
    "alarm",
    "answer_waited",
    "dispatch",
    "frame_refused",
    "limit_refused",
    "maintenance_round",
    "message_relayed",
    "message_stored",
    "queue_waited",
    "readiness",
    "report",
    "resume_code",
    "socket_open",
    "translation",
]

PROCESS = CollectorRegistry(auto_describe=True)
ProcessCollector(registry=PROCESS)  # memory, CPU, open files of this process

# Why a frame was refused: the FrameError codes of docs/protocol.md, and those of the
# abuse limits. A new refusal reason is added here (else it is counted as "other").
REFUSAL_REASONS = frozenset(
    {
        "malformed",
        "too_large",
        "unknown_type",
        "bad_ticket",
        "bad_token",
        "bad_code",
        "bad_outcome",
        "closed",
        "forbidden",
        "no_conversation",
        "no_operator",
        "not_yours",
        "rate_limited",
        "taken",
        "unauthorised",
        "timeout",
        "too_fast",
        "internal",
    }
)
# The abuse limits' rules (issue 15, src/pnav/server/abuse): what refused a ticket, a
# conversation, a message, a login or a resume code. A new rule is added here.
LIMIT_RULES = frozenset(
    {
        "tickets_per_address",
        "tickets_per_address_per_minute",
        "conversations_per_address",
        "conversations_per_address_per_hour",
        "messages_per_conversation",
        "messages_per_conversation_per_minute",
        "bytes_per_conversation",
        "conversation_bytes_per_day",
        "logins_per_address",
        "logins_per_address_per_hour",
        "logins_per_account",
        "logins_per_account_per_hour",
        "resume_codes_per_address",
        "resume_codes_per_address_per_hour",
        "proof_of_work",
        "ticket_used",
        "bad_ticket",
        "busy",
    }
)
ALARM_KINDS = (
    "dispatch_failed",
    "report_failed",
    "translator_down",
    "no_operator",
    "danger_unanswered",
)
_SOCKET_KINDS = ("person", "console")
_SENDERS = ("person", "operator")
_CASEWORK_RESULTS = ("sent", "acknowledged", "failed", "refused")
_TRANSLATION_RESULTS = (
    "translated",
    "unknown_language",
    "disabled",
    "empty",
    "same_language",
    "timeout",
    "error",
    "malformed",
    "unavailable",
)
_RESUME_RESULTS = ("matched", "wrong", "rate_limited", "malformed")
CHECKS = ("store", "broker", "assets", "translator", "dispatcher", "report_sink")
OTHER = "other"

_WAIT_BUCKETS = (5, 15, 30, 60, 120, 300, 600, 1200, 1800, 3600, 7200)
_ANSWER_BUCKETS = (5, 15, 30, 60, 120, 300, 600, 1200, 3600)
_ROUND_BUCKETS = (0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10)

_MESSAGES_STORED = Counter(
    "pnav_messages_stored",
    "Messages stored (new ones, not client retries), by sender.",
    ["sender"],
    registry=PROCESS,
)
_MESSAGES_RELAYED = Counter(
    "pnav_messages_relayed",
    "Message frames handed to sockets in this process, by the side that received them.",
    ["to"],
    registry=PROCESS,
)
_FRAMES_REFUSED = Counter(
    "pnav_frames_refused",
    "Frames refused with an error frame, by reason.",
    ["reason"],
    registry=PROCESS,
)
_LIMITS_REFUSED = Counter(
    "pnav_limits_refused",
    "Requests and frames refused by an abuse limit, by rule.",
    ["rule"],
    registry=PROCESS,
)
_SOCKETS = Gauge(
    "pnav_sockets_open",
    "Websockets open in this process, by kind.",
    ["kind"],
    registry=PROCESS,
    multiprocess_mode="livesum",
)
_QUEUE_WAIT = Histogram(
    "pnav_queue_wait_seconds",
    "How long a conversation waited in the queue before an operator took it.",
    buckets=_WAIT_BUCKETS,
    registry=PROCESS,
)
_ANSWER_WAIT = Histogram(
    "pnav_answer_wait_seconds",
    "How long a person's message waited for the operator's next message.",
    buckets=_ANSWER_BUCKETS,
    registry=PROCESS,
)
_DISPATCHES = Counter(
    "pnav_dispatches", "Emergency dispatches, by final result.", ["result"], registry=PROCESS
)
_REPORTS = Counter("pnav_reports", "Reports filed, by final result.", ["result"], registry=PROCESS)
_TRANSLATIONS = Counter(
    "pnav_translator_calls", "Translation requests, by result.", ["result"], registry=PROCESS
)
_RESUME_CODES = Counter(
    "pnav_resume_code_attempts", "Resume-code attempts, by result.", ["result"], registry=PROCESS
)
_MAINTENANCE = Histogram(
    "pnav_maintenance_seconds",
    "Duration of one maintenance round (presence, idle closing, retention).",
    buckets=_ROUND_BUCKETS,
    registry=PROCESS,
)
_ALARM = Gauge(
    "pnav_alarm",
    "1 while the floor's alarm of this kind is raised (docs/operations.md).",
    ["kind"],
    registry=PROCESS,
    multiprocess_mode="livemax",
)
_ALARMS_RAISED = Counter(
    "pnav_alarms_raised", "Times an alarm of this kind was raised.", ["kind"], registry=PROCESS
)
_CHECK_UP = Gauge(
    "pnav_check_up",
    "1 when the readiness check passes, 0 when it fails (only configured checks).",
    ["check"],
    registry=PROCESS,
    multiprocess_mode="livemin",
)
_READY = Gauge(
    "pnav_ready", "1 when /readyz answers 200.", registry=PROCESS, multiprocess_mode="livemin"
)

for _kind in ALARM_KINDS:  # every alarm shows as 0 from the start, so rules can use it
    _ALARM.labels(_kind).set(0)


def _pick(value: str, allowed: tuple[str, ...] | frozenset[str]) -> str:
    return value if value in allowed else OTHER


def frame_refused(reason: str) -> None:
    """A frame was answered with an error frame of this code (limits call this too)."""
    _FRAMES_REFUSED.labels(_pick(reason, REFUSAL_REASONS)).inc()


def limit_refused(rule: str) -> None:
    """An abuse limit refused something (a ticket, a conversation, a message, a login, a
    resume code): the abuse limits call this wherever they refuse, HTTP or frame."""
    _LIMITS_REFUSED.labels(_pick(rule, LIMIT_RULES)).inc()


@contextmanager
def socket_open(kind: str) -> Iterator[None]:
    """Count a websocket as open while the block runs."""
    with _SOCKETS.labels(_pick(kind, _SOCKET_KINDS)).track_inprogress():
        yield


# The per-message counters' children, looked up once (``labels`` takes a lock and
# builds a key on every call, on the path of every message).
_STORED_BY = {s: _MESSAGES_STORED.labels(s) for s in _SENDERS}
_RELAYED_TO = {s: _MESSAGES_RELAYED.labels(s) for s in _SENDERS}


def message_stored(sender: str) -> None:
    (_STORED_BY.get(sender) or _MESSAGES_STORED.labels(OTHER)).inc()


def message_relayed(to: str, sockets: int = 1) -> None:
    """``sockets`` message frames handed to sockets of ``to`` ("person" or "operator")."""
    if sockets:
        (_RELAYED_TO.get(to) or _MESSAGES_RELAYED.labels(OTHER)).inc(sockets)


def queue_waited(seconds: float) -> None:
    _QUEUE_WAIT.observe(max(0.0, seconds))


def answer_waited(seconds: float) -> None:
    _ANSWER_WAIT.observe(max(0.0, seconds))


def dispatch(result: str) -> None:
    _DISPATCHES.labels(_pick(result, _CASEWORK_RESULTS)).inc()


def report(result: str) -> None:
    _REPORTS.labels(_pick(result, _CASEWORK_RESULTS)).inc()


def translation(result: str) -> None:
    _TRANSLATIONS.labels(_pick(result, _TRANSLATION_RESULTS)).inc()


def resume_code(result: str) -> None:
    _RESUME_CODES.labels(_pick(result, _RESUME_RESULTS)).inc()


@contextmanager
def maintenance_round() -> Iterator[None]:
    start = time.perf_counter()
    try:
        yield
    finally:
        _MAINTENANCE.observe(time.perf_counter() - start)


def alarm(kind: str, on: bool) -> None:
    """An alarm was raised (``on``) or cleared."""
    name = _pick(kind, ALARM_KINDS)
    _ALARM.labels(name).set(1 if on else 0)
    if on:
        _ALARMS_RAISED.labels(name).inc()


def readiness(checks: Mapping[str, bool], ready: bool) -> None:
    for name, ok in checks.items():
        _CHECK_UP.labels(_pick(name, CHECKS)).set(1 if ok else 0)
    _READY.set(1 if ready else 0)
