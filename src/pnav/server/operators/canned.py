"""Canned replies: what a valid one is, how one is shown in JSON, and the demo's few.

Pure functions, no Flask (canned_api.py is the HTTP side). A canned reply is written by
a supervisor in one language and inserted by an operator into a reply, which they edit
and send themselves: it is not conversation content, and the store keeps it in clear.
"""

from __future__ import annotations

import re
from typing import Any

from pnav.sdk.store import CannedReply, Store
from pnav.sdk.translator import is_language_code

__all__ = [
    "DEMO_REPLIES",
    "MAX_TEXT_CHARS",
    "MAX_TITLE_CHARS",
    "CannedReplyError",
    "as_json",
    "parse_reply",
    "seed_demo",
]

MAX_TITLE_CHARS = 80
MAX_TEXT_CHARS = 2000
# Control characters: none in a title; in a text, line breaks and tabs only.
_TITLE_CONTROL = re.compile(r"[\x00-\x1f\x7f]")
_TEXT_CONTROL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]")

# What `pnav demo` offers on a fresh data directory, so the console shows some.
DEMO_REPLIES: tuple[tuple[str, str, str], ...] = (
    ("fr", "Accueil", "Bonjour, je suis là pour vous écouter. Vous pouvez écrire librement."),
    (
        "fr",
        "Sécurité",
        "Êtes-vous en sécurité en ce moment ? Si vous êtes en danger, appelez le 17.",
    ),
    (
        "fr",
        "Dépôt de plainte",
        "Vous pouvez porter plainte dans un commissariat ou une brigade "
        "de gendarmerie, ou écrire au procureur de la République. Je peux vous expliquer comment.",
    ),
    ("en", "Welcome", "Hello, I am here to listen. You can write freely."),
    ("en", "Safety", "Are you safe right now? If you are in danger, call 112."),
)


class CannedReplyError(ValueError):
    """A canned reply that cannot be stored; the message says why, for a 400 answer."""


def parse_reply(data: Any) -> tuple[str, str, str]:
    """``(lang, title, text)`` from a request's JSON, title and text trimmed."""
    if not isinstance(data, dict):
        raise CannedReplyError('body must be JSON {"lang", "title", "text"}')
    lang, title, text = data.get("lang"), data.get("title"), data.get("text")
    if not is_language_code(lang):
        raise CannedReplyError("lang must be a language code such as fr, es or pt-BR")
    if not isinstance(title, str) or not title.strip():
        raise CannedReplyError("title is required (a string)")
    if not isinstance(text, str) or not text.strip():
        raise CannedReplyError("text is required (a string)")
    title, text = title.strip(), text.strip()
    if len(title) > MAX_TITLE_CHARS:
        raise CannedReplyError(f"title is longer than {MAX_TITLE_CHARS} characters")
    if len(text) > MAX_TEXT_CHARS:
        raise CannedReplyError(f"text is longer than {MAX_TEXT_CHARS} characters")
    if _TITLE_CONTROL.search(title):
        raise CannedReplyError("title must be one line, without control characters")
    if _TEXT_CONTROL.search(text):
        raise CannedReplyError("text must not contain control characters (line breaks are fine)")
    assert isinstance(lang, str)
    return lang, title, text


def as_json(reply: CannedReply) -> dict[str, Any]:
    return {
        "id": reply.id,
        "lang": reply.lang,
        "title": reply.title,
        "text": reply.text,
        "updated_at": reply.updated_at,
    }


def seed_demo(store: Store) -> int:
    """Add :data:`DEMO_REPLIES` to a store that has no canned reply; how many were added."""
    if store.canned_replies():
        return 0
    for lang, title, text in DEMO_REPLIES:
        store.put_canned_reply(lang, title, text)
    return len(DEMO_REPLIES)
