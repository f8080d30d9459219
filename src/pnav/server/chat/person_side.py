"""The person's side of a conversation: open or come back, write, leave, signal duress.

Every method answers one frame of the person's socket (web/person.py); each stores
first, then tells the person and the conversation's staff.
"""

from __future__ import annotations

import logging
from typing import Any

from pnav.sdk import crypto
from pnav.sdk.store import WHAT, WHO, Conversation, NewConversation
from pnav.sdk.translator import is_language_code
from pnav.server.chat.connection import Connection, encode
from pnav.server.chat.context import ChatContext
from pnav.server.chat.frames import msg_frame
from pnav.server.chat.lifecycle import Lifecycle
from pnav.server.chat.parse import (
    FrameError,
    after_seq,
    body_bytes,
    client_id,
    require_str,
    triage_choice,
)
from pnav.server.chat.resume import ResumeCodes
from pnav.server.chat.routing import Routing
from pnav.server.chat.tokens import TokenError, Tokens
from pnav.server.chat.views import ConversationViews
from pnav.server.ops import metrics

__all__ = ["PersonSide"]

log = logging.getLogger("pnav.server.chat.service")  # one log for the whole conversation service


class PersonSide:
    """What a person's socket asks of the service; one method per frame."""

    def __init__(
        self,
        ctx: ChatContext,
        tokens: Tokens,
        resume: ResumeCodes,
        views: ConversationViews,
        lifecycle: Lifecycle,
        routing: Routing,
    ) -> None:
        self.ctx = ctx
        self.store = ctx.store
        self.hub = ctx.hub
        self.tokens = tokens
        self.resume = resume
        self.views = views
        self.lifecycle = lifecycle
        self.routing = routing

    def hello(self, frame: dict[str, Any], conn: Connection) -> str:
        """Start or resume a conversation; returns its id. Raises FrameError."""
        wrapped_key: bytes | None = None
        if isinstance(frame.get("resume"), dict):
            resume = frame["resume"]
            try:
                conv_id = self.tokens.read_person(resume.get("token"))
            except TokenError as exc:
                raise FrameError("bad_token", "this conversation link has expired") from exc
            after = after_seq(resume)
        elif isinstance(frame.get("code"), dict):
            conv_id, wrapped_key = self.resume.find(frame["code"], conn)
            after = after_seq(frame["code"])
        else:
            conv_id = self._start(frame).id
            after = 0
        with self.ctx.lock(conv_id):
            conv = self.store.get_conversation(conv_id)
            if conv is None:
                raise FrameError("bad_token", "this conversation no longer exists")
            self.hub.join_person(conv.id, conn)
            welcome = {
                "t": "welcome",
                "conv": conv.id,
                "token": self.tokens.person(conv.id),
                "exit": self.tokens.exit(conv.id),
                "state": conv.state,
            }
            if wrapped_key is not None:
                welcome["wrapped_key"] = crypto.b64encode(wrapped_key)
            conn.send(welcome)
            self.views.replay(conn, conv.id, after, tag=False)
            if conv.state != "closed" and conv.person != "connected":
                self.lifecycle.presence(conv, "connected")
            conn.send_status(encode(self.views.status(conv)))
        return conv.id

    def _start(self, frame: dict[str, Any]) -> Conversation:
        try:
            partner = self.tokens.read_ticket(frame.get("ticket"))
        except TokenError as exc:
            raise FrameError("bad_ticket", "the chat ticket is invalid or expired") from exc
        start = frame.get("start")
        if not isinstance(start, dict):
            raise FrameError("malformed", "'start' is required to open a conversation")
        who, what = triage_choice(start, "who", WHO), triage_choice(start, "what", WHAT)
        if not isinstance(start.get("danger"), bool):
            raise FrameError("malformed", "'danger' must be true or false")
        lang = require_str(start, "lang", 35)
        if not is_language_code(lang):
            raise FrameError("malformed", "'lang' must be a language code such as 'fr' or 'es'")
        desk_key = require_str(start, "desk_key", 64)
        current = self.store.current_desk_key()
        if current is None or current.id != desk_key:
            raise FrameError("bad_ticket", "the desk key changed; reopen the chat")
        try:
            sealed = crypto.b64decode(require_str(start, "sealed_key", 200))
        except crypto.CryptoError as exc:
            raise FrameError("malformed", "'sealed_key' is not base64") from exc
        if len(sealed) != 1 + 32 + 24 + 32 + 16 or sealed[0] != crypto.FORMAT_VERSION:
            raise FrameError("malformed", "'sealed_key' is not a v1 sealed key")
        conv = self.store.create_conversation(
            NewConversation(partner, who, what, start["danger"], lang, sealed, desk_key)
        )
        log.info("conversation started (danger=%s)", conv.danger)
        self.lifecycle.queue_changed()
        self.routing.soon()
        return conv

    def resume_code(self, conv_id: str, frame: dict[str, Any], conn: Connection) -> None:
        """Remember the resume code the person's client made (its lookup hash and the
        conversation key wrapped under it); a new code replaces the old one."""
        lookup_hash = self.resume.lookup_hash(frame)
        wrapped = self.resume.wrapped_key(frame)
        with self.ctx.lock(conv_id):
            conv = self.store.get_conversation(conv_id)
            if conv is None or conv.state == "closed":
                raise FrameError("closed", "this conversation is closed")
            taken = self.store.find_resume_code(lookup_hash)
            if taken is not None and taken[0] != conv_id:
                # Registrations count against the address's code budget (person_guard),
                # so this answer tells no more than trying the code would.
                raise FrameError("code_taken", "this code cannot be used; make another one")
            self.store.put_resume_code(conv_id, lookup_hash, wrapped)
        log.debug("resume code set for a conversation")  # per frame: not INFO
        conn.send({"t": "resume_code", "saved": True})

    def sync(self, conv_id: str, frame: dict[str, Any], conn: Connection) -> None:
        after = after_seq(frame)
        with self.ctx.lock(conv_id):
            self.views.replay(conn, conv_id, after, tag=False)

    def message(self, conv_id: str, frame: dict[str, Any], conn: Connection) -> None:
        cid = client_id(frame)
        body = body_bytes(frame, self.ctx.max_body_chars, cid)
        with self.ctx.lock(conv_id):
            route = self.ctx.routes.get(conv_id)
            if route is None or route.state == "closed":
                raise FrameError("closed", "this conversation is closed", cid)
            msg, new = self.store.append_message(conv_id, "person", cid, body)
            conn.send({"t": "ack", "id": cid, "seq": msg.seq})
            if new:
                metrics.message_stored("person")
                self.ctx.to_staff(conv_id, msg_frame(msg, conv_id))

    def quick_exit(self, conv_id: str) -> None:
        with self.ctx.lock(conv_id):
            conv = self.store.get_conversation(conv_id)
            if conv is not None and conv.person != "quick_exit":
                log.info("person left by quick exit")
                self.lifecycle.presence(conv, "quick_exit")

    def duress(self, conv_id: str, frame: dict[str, Any]) -> None:
        """ "Someone is here": tell the operator silently; the chat shows a neutral view."""
        on = frame.get("on")
        if not isinstance(on, bool):
            raise FrameError("malformed", "'on' must be true or false")
        if on:
            self.ctx.duress[conv_id] = True
        else:
            self.ctx.duress.pop(conv_id, None)
        self.ctx.to_staff(conv_id, {"t": "duress", "conv": conv_id, "on": on})
        log.debug("person signalled duress %s", "on" if on else "off")  # per frame: not INFO

    def gone(self, conv_id: str, conn: Connection) -> None:
        with self.ctx.lock(conv_id):
            if not self.hub.leave_person(conv_id, conn):
                return
            conv = self.store.get_conversation(conv_id)
            if conv is not None and conv.state != "closed" and conv.person == "connected":
                self.lifecycle.presence(conv, "reconnecting")
