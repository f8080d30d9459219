"""Log lines a log shipper can rely on (docs/operations.md, "Logs").

Plain text by default; ``pnav --log-format json`` (or ``PNAV_LOG_FORMAT=json``) writes
one JSON object per line with ``ts``, ``level``, ``logger``, ``event`` and ``message``,
plus the event's own fields. ``event`` is stable: the name given to :func:`event`, or
else derived from the line's template (never from the values put into it), so
alerting can match on it across versions of a message's wording only where
:func:`event` names it.

What is never logged, whatever the format: message bodies, IP addresses, user
agents, tokens (tests/server/test_ops_audit.py greps a whole scripted day's log).
"""

from __future__ import annotations

import json
import logging
import os
import re
from datetime import UTC, datetime
from typing import Any

__all__ = ["FORMATS", "TEXT_FORMAT", "JsonFormatter", "configure", "event", "event_name"]

FORMATS = ("text", "json")
TEXT_FORMAT = "%(asctime)s %(levelname)s %(name)s: %(message)s"

_WORD = re.compile(r"[a-z]+")


def event_name(record: logging.LogRecord) -> str:
    """The record's event: the name given to :func:`event`, else ``<logger>.<words of
    the template>`` (e.g. ``pnav.server.chat.service.conversation_closed_outcome``)."""
    named = getattr(record, "event", None)
    if isinstance(named, str):
        return named
    words = _WORD.findall(str(record.msg).lower().replace("%s", " ").replace("%d", " "))
    return f"{record.name}.{'_'.join(words[:6]) or 'log'}"


def event(logger: logging.Logger, level: int, name: str, **fields: Any) -> None:
    """Log the event ``name`` with its fields (numbers, short codes: never personal
    data). Text logs show ``name key=value ...``; JSON logs one key per field."""
    text = " ".join([name, *(f"{k}={v}" for k, v in fields.items())])
    logger.log(level, "%s", text, extra={"event": name, "fields": fields})


class JsonFormatter(logging.Formatter):
    """One JSON object per line."""

    def format(self, record: logging.LogRecord) -> str:
        line: dict[str, Any] = {
            "ts": datetime.fromtimestamp(record.created, UTC).isoformat(timespec="milliseconds"),
            "level": record.levelname.lower(),
            "logger": record.name,
            "event": event_name(record),
            "message": record.getMessage(),
        }
        fields = getattr(record, "fields", None)
        if isinstance(fields, dict):
            for key, value in fields.items():
                line.setdefault(key, value)
        if record.exc_info:
            # The exception's type and where: a traceback's frames hold no request data,
            # but its message may (a DSN, a host), so the message is left out.
            exc_type = record.exc_info[0]
            line["exception"] = exc_type.__name__ if exc_type else "Exception"
            line["traceback"] = self.formatException(record.exc_info).splitlines()[:-1]
        return json.dumps(line, ensure_ascii=False, default=str)


def configure(log_format: str | None = None, level: int = logging.INFO) -> None:
    """Set up the root logger for ``pnav`` commands: ``text`` (default) or ``json``
    (``PNAV_LOG_FORMAT`` when ``log_format`` is None). Under gunicorn, which runs no
    ``pnav`` command, ``pnav.server.wsgi`` calls this too (docs/deploy.md)."""
    chosen = log_format or os.environ.get("PNAV_LOG_FORMAT", "text")
    if chosen not in FORMATS:
        raise ValueError(f"log format must be one of {', '.join(FORMATS)}, not {chosen!r}")
    handler = logging.StreamHandler()
    handler.setFormatter(JsonFormatter() if chosen == "json" else logging.Formatter(TEXT_FORMAT))
    # As logging.basicConfig: a root logger set up already (by a host program) is kept.
    logging.basicConfig(level=level, handlers=[handler])
