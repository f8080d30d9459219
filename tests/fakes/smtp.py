"""A minimal SMTP server (RFC 5321 subset: EHLO/HELO, AUTH PLAIN, MAIL, RCPT, DATA,
RSET, NOOP, QUIT) on a loopback port, recording each message it accepts.

``script`` lists SMTP replies to give at the end of DATA instead of accepting, one per
message (``"451 try again later"``, ``"554 rejected"``); ``refuse_rcpt`` answers
``550`` to those recipients; ``login`` (user, password) requires AUTH PLAIN. No
STARTTLS: tests use it over loopback with ``starttls = false``.
"""

from __future__ import annotations

import base64
import email
import socket
import threading
from dataclasses import dataclass
from email.message import EmailMessage
from email.policy import default


@dataclass
class Mail:
    sender: str
    recipients: list[str]
    data: bytes

    @property
    def message(self) -> EmailMessage:
        msg = email.message_from_bytes(self.data, policy=default)
        assert isinstance(msg, EmailMessage)
        return msg


class FakeSMTP:
    def __init__(
        self,
        script: list[str] | None = None,
        refuse_rcpt: tuple[str, ...] = (),
        login: tuple[str, str] | None = None,
    ) -> None:
        self.script = list(script or [])
        self.refuse_rcpt = refuse_rcpt
        self.login = login
        self.mails: list[Mail] = []
        self.attempts = 0  # DATA commands seen, accepted or not
        self.lock = threading.Condition()
        self._listener = socket.create_server(("127.0.0.1", 0))
        self.port: int = self._listener.getsockname()[1]
        self._thread = threading.Thread(target=self._accept, daemon=True)

    def start(self) -> FakeSMTP:
        self._thread.start()
        return self

    def stop(self) -> None:
        self._listener.close()

    def wait_for(self, count: int, timeout: float = 10) -> list[Mail]:
        with self.lock:
            self.lock.wait_for(lambda: len(self.mails) >= count, timeout)
            return list(self.mails)

    def _accept(self) -> None:
        while True:
            try:
                conn, _ = self._listener.accept()
            except OSError:
                return
            threading.Thread(target=self._session, args=(conn,), daemon=True).start()

    def _session(self, conn: socket.socket) -> None:
        conn.settimeout(10)
        conn.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        with conn, conn.makefile("rb") as rfile:

            def say(line: str) -> None:
                conn.sendall(line.encode() + b"\r\n")

            say("220 fake.smtp.test ESMTP ready")
            sender, rcpts, authed = "", [], self.login is None
            while True:
                raw = rfile.readline(4096)
                if not raw:
                    return
                line = raw.decode(errors="replace").rstrip("\r\n")
                verb = line[:4].upper()
                arg = line[5:] if len(line) > 4 else ""
                if verb == "EHLO":
                    say("250-fake.smtp.test")
                    say("250-AUTH PLAIN")
                    say("250 8BITMIME")
                elif verb == "HELO":
                    say("250 fake.smtp.test")
                elif verb == "AUTH":
                    parts = arg.split()
                    token = parts[1] if len(parts) > 1 else ""
                    try:
                        _, user, password = base64.b64decode(token).decode().split("\0")
                    except ValueError:
                        user = password = ""
                    if self.login == (user, password):
                        authed = True
                        say("235 2.7.0 Authentication successful")
                    else:
                        say("535 5.7.8 Authentication credentials invalid")
                elif verb == "MAIL":
                    if not authed:
                        say("530 5.7.0 Authentication required")
                        continue
                    sender, rcpts = arg.partition(":")[2].strip().strip("<>").split(">")[0], []
                    say("250 OK")
                elif verb == "RCPT":
                    rcpt = arg.partition(":")[2].strip().strip("<>").split(">")[0]
                    if rcpt in self.refuse_rcpt:
                        say("550 5.1.1 No such user")
                    else:
                        rcpts.append(rcpt)
                        say("250 OK")
                elif verb == "DATA":
                    if not rcpts:
                        say("503 5.5.1 No recipients")
                        continue
                    say("354 End data with <CR><LF>.<CR><LF>")
                    data = self._read_data(rfile)
                    with self.lock:
                        self.attempts += 1
                        reply = self.script.pop(0) if self.script else None
                        if reply is None:
                            self.mails.append(Mail(sender, rcpts, data))
                            self.lock.notify_all()
                    say(reply or "250 OK queued")
                elif verb == "RSET":
                    sender, rcpts = "", []
                    say("250 OK")
                elif verb == "NOOP":
                    say("250 OK")
                elif verb == "QUIT":
                    say("221 Bye")
                    return
                else:
                    say("502 5.5.2 Command not implemented")

    @staticmethod
    def _read_data(rfile: object) -> bytes:
        lines = []
        read = rfile.readline  # type: ignore[attr-defined]
        while True:
            raw = read(1_000_000)
            if raw in (b".\r\n", b".\n", b""):
                break
            if raw.startswith(b".."):
                raw = raw[1:]
            lines.append(raw)
        return b"".join(lines)
