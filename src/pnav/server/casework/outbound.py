"""How casework leaves the server: signed JSON webhooks and email, with bounded retries.

Shared by the dispatchers (emergencies) and the report sinks. Every attempt has a
timeout, the number of attempts is bounded and so is the back-off between them, so a
delivery ends (delivered or failed) in a known time. Errors are kept as short reasons
(``HTTP 500``, ``timeout``, ``SMTP 451``): never a URL, an address, a password or the
content.
"""

from __future__ import annotations

import functools
import json
import logging
import random
import smtplib
import socket
import ssl
import threading
from collections.abc import Callable
from dataclasses import replace
from datetime import UTC, datetime
from email.message import EmailMessage
from email.utils import format_datetime, make_msgid
from typing import Any, ClassVar, Self
from urllib.error import HTTPError, URLError
from urllib.request import HTTPRedirectHandler, Request, build_opener

from pnav.sdk.outcome import Outcome
from pnav.sdk.signing import signed_headers
from pnav.server.options import Options

__all__ = ["MailedBackend", "Mailer", "SignedPoster", "SignedWebhookBackend", "canonical_json"]

log = logging.getLogger(__name__)

_MAX_ANSWER = 64 * 1024
_RETRY_HTTP = {408, 425, 429, 500, 502, 503, 504}


def canonical_json(value: Any) -> bytes:
    return json.dumps(value, ensure_ascii=False, sort_keys=True, separators=(",", ":")).encode()


class _Retrier:
    """Attempts with exponential back-off (jittered, capped), stoppable by ``close``."""

    def __init__(self, attempts: int, backoff: float, max_backoff: float) -> None:
        if not 1 <= attempts <= 10:
            raise ValueError("attempts must be between 1 and 10")
        if not 0 <= backoff <= max_backoff <= 60:
            raise ValueError("backoff must be between 0 and max_backoff (at most 60 s)")
        self.attempts, self.backoff, self.max_backoff = attempts, backoff, max_backoff
        self._closed = threading.Event()

    def run(self, attempt: Callable[[], tuple[Outcome | None, str]]) -> Outcome:
        """``attempt`` answers (a final Outcome, "") or (None, reason to retry)."""
        errors: list[str] = []
        for n in range(1, self.attempts + 1):
            final, reason = attempt()
            if final is not None:
                errs = (*errors, reason) if reason else tuple(errors)
                return replace(final, attempts=n, errors=errs)
            errors.append(reason)
            log.warning("attempt %d/%d failed: %s", n, self.attempts, reason)
            if n < self.attempts:
                delay = min(self.max_backoff, self.backoff * 2 ** (n - 1))
                if self._closed.wait(delay * random.uniform(0.5, 1.0)):  # noqa: S311 - jitter
                    break
        detail = f"failed after {len(errors)} attempts: {errors[-1]}"
        return Outcome("failed", detail, None, len(errors), tuple(errors))

    def close(self) -> None:
        self._closed.set()


class _NoRedirect(HTTPRedirectHandler):
    """A signed delivery goes to the configured URL or nowhere."""

    def redirect_request(self, *args: Any, **kwargs: Any) -> None:
        return None


class SignedPoster:
    """POSTs JSON envelopes ``{"event", "version", "delivery", "data"}`` signed with
    HMAC-SHA256 (:mod:`pnav.sdk.signing`). A 2xx answer ``{"ack": true, "reference":
    …}`` means acknowledged, any other 2xx sent; 408, 429 and 5xx, timeouts and refused
    connections are retried; other answers fail at once (retrying will not help)."""

    @classmethod
    def from_options(cls, opts: Options) -> SignedPoster:
        allow_http = opts.boolean("allow_http", False)
        return cls(
            opts.url("url", allow_http=allow_http),
            opts.secret("secret", required=True) or b"",
            timeout=opts.number("timeout", 5.0, 0.1, 60.0),
            attempts=opts.integer("attempts", 4, 1, 10),
            backoff=opts.number("backoff", 0.5, 0.0, 30.0),
            max_backoff=opts.number("max_backoff", 8.0, 0.0, 60.0),
        )

    def __init__(
        self,
        url: str,
        secret: bytes,
        *,
        timeout: float = 5.0,
        attempts: int = 4,
        backoff: float = 0.5,
        max_backoff: float = 8.0,
    ) -> None:
        if len(secret) < 16:
            raise ValueError("the webhook secret must be at least 16 bytes")
        if not 0 < timeout <= 60:
            raise ValueError("timeout must be between 0 and 60 seconds")
        self.url = url
        self._secret = secret
        self.timeout = timeout
        self._retrier = _Retrier(attempts, backoff, max(backoff, max_backoff))
        self._opener = build_opener(_NoRedirect)

    def __repr__(self) -> str:  # never the secret
        return f"SignedPoster(timeout={self.timeout}, attempts={self._retrier.attempts})"

    def post(self, event: str, delivery_id: str, data: dict[str, Any]) -> Outcome:
        """POST ``data`` as ``event``; ``delivery_id`` (the emergency's or the report's
        id) is the same on every retry, so the receiver can drop a repeat."""
        body = canonical_json({"event": event, "version": 1, "delivery": delivery_id, "data": data})
        return self._retrier.run(lambda: self._attempt(event, delivery_id, body))

    def _attempt(self, event: str, delivery_id: str, body: bytes) -> tuple[Outcome | None, str]:
        # signed again at each attempt: a late retry carries a fresh timestamp
        headers = {
            "Content-Type": "application/json",
            "User-Agent": "pnav",
            **signed_headers(self._secret, body, delivery_id, event),
        }
        request = Request(self.url, data=body, headers=headers, method="POST")  # noqa: S310
        try:
            with self._opener.open(request, timeout=self.timeout) as response:
                answer = response.read(_MAX_ANSWER)
                code = response.status
        except HTTPError as exc:
            exc.close()
            if exc.code in _RETRY_HTTP:
                return None, f"HTTP {exc.code}"
            return Outcome("failed", f"refused with HTTP {exc.code}"), f"HTTP {exc.code}"
        except TimeoutError:
            return None, "timeout"
        except URLError as exc:
            if isinstance(exc.reason, TimeoutError):
                return None, "timeout"
            if isinstance(exc.reason, ConnectionRefusedError):
                return None, "connection refused"
            return None, "unreachable"
        except OSError as exc:
            return None, type(exc).__name__
        if not 200 <= code < 300:
            return Outcome("failed", f"answered HTTP {code}"), f"HTTP {code}"
        return _acknowledgement(answer), ""

    def close(self) -> None:
        self._retrier.close()


def _acknowledgement(answer: bytes) -> Outcome:
    try:
        value = json.loads(answer) if answer.strip() else None
    except ValueError:
        value = None
    if isinstance(value, dict) and value.get("ack") is True:
        ref = value.get("reference")
        reference = str(ref)[:200] if isinstance(ref, str | int) and ref != "" else None
        return Outcome("acknowledged", "acknowledged by the receiver", reference)
    return Outcome("sent", "delivered (no acknowledgement)")


class SignedWebhookBackend:
    """What the webhook dispatcher and the webhook report sink share: a
    :class:`SignedPoster`, its options and closing; each posts its own ``event``.
    ``kind`` names the backend in option errors."""

    kind: ClassVar[str]
    event: ClassVar[str]

    @classmethod
    def from_options(cls, options: dict[str, Any], context: dict[str, Any]) -> Self:
        opts = Options(cls.kind, options, context)
        poster = SignedPoster.from_options(opts)
        opts.done()
        return cls(poster)

    def __init__(self, poster: SignedPoster) -> None:
        self.poster = poster

    def post(self, delivery_id: str, data: dict[str, Any]) -> Outcome:
        return self.poster.post(self.event, delivery_id, data)

    def close(self) -> None:
        self.poster.close()


class Mailer:
    """Sends one email with smtplib: plain text plus an optional JSON attachment."""

    @classmethod
    def from_options(cls, opts: Options) -> Mailer:
        host = opts.string("host", required=True) or ""
        use_ssl = opts.boolean("ssl", False)
        return cls(
            host,
            opts.integer("port", 465 if use_ssl else 25, 1, 65535),
            sender=opts.string("sender", required=True) or "",
            username=opts.string("username"),
            password=(opts.secret("password") or b"").decode() or None,
            starttls=opts.boolean("starttls", not use_ssl),
            use_ssl=use_ssl,
            timeout=opts.number("timeout", 10.0, 0.1, 60.0),
            attempts=opts.integer("attempts", 3, 1, 10),
            backoff=opts.number("backoff", 1.0, 0.0, 30.0),
            helo=opts.string("helo"),
        )

    def __init__(
        self,
        host: str,
        port: int = 25,
        *,
        sender: str,
        username: str | None = None,
        password: str | None = None,
        starttls: bool = True,
        use_ssl: bool = False,
        timeout: float = 10.0,
        attempts: int = 3,
        backoff: float = 1.0,
        helo: str | None = None,
    ) -> None:
        if not host or "@" not in sender:
            raise ValueError("smtp needs a host and a sender address")
        if (username is None) != (password is None):
            raise ValueError("smtp: give both username and password, or neither")
        if starttls and use_ssl:
            raise ValueError("smtp: starttls and ssl exclude each other")
        if not 0 < timeout <= 60:
            raise ValueError("smtp: timeout must be between 0 and 60 seconds")
        self.host, self.port, self.sender = host, port, sender
        self._login = (username, password) if username and password else None
        self.starttls, self.use_ssl, self.timeout = starttls, use_ssl, timeout
        self.helo = helo
        self._context: ssl.SSLContext | None = None
        self._retrier = _Retrier(attempts, backoff, max(backoff, 30.0))

    def __repr__(self) -> str:  # never the password
        return f"Mailer({self.host!r}, {self.port})"

    def message(
        self, to: str, subject: str, text: str, attachment: tuple[str, bytes] | None = None
    ) -> EmailMessage:
        msg = EmailMessage()
        msg["From"], msg["To"], msg["Subject"] = self.sender, to, subject
        msg["Date"] = format_datetime(datetime.now(UTC))
        msg["Message-ID"] = make_msgid(domain=self.sender.rpartition("@")[2])
        msg.set_content(text)
        if attachment:
            msg.add_attachment(
                attachment[1], maintype="application", subtype="json", filename=attachment[0]
            )
        return msg

    def send(self, msg: EmailMessage) -> Outcome:
        return self._retrier.run(lambda: self._attempt(msg))

    def mail(
        self,
        to: str,
        recipient: str,
        subject: str,
        text: str,
        attachment: tuple[str, bytes] | None = None,
    ) -> Outcome:
        """Build and send one email, with retries. No address (``recipient`` names who
        has none), or one the email package refuses, is a failed delivery with no
        attempt. The subject shows in notifications and mail logs: no personal data."""
        if not to:
            return Outcome("failed", f"no email address for {recipient}", None, 0)
        try:
            msg = self.message(to, subject, text, attachment)
        except ValueError:  # a line break in an address
            return Outcome("failed", "the email address is not valid", None, 0)
        return self.send(msg)

    def _attempt(self, msg: EmailMessage) -> tuple[Outcome | None, str]:
        context = self._tls_context() if self.starttls or self.use_ssl else None
        try:
            smtp: smtplib.SMTP
            helo = self.helo or _fqdn()
            if self.use_ssl:
                smtp = smtplib.SMTP_SSL(
                    self.host, self.port, helo, timeout=self.timeout, context=context
                )
            else:
                smtp = smtplib.SMTP(self.host, self.port, helo, timeout=self.timeout)
            with smtp:
                if self.starttls:
                    smtp.starttls(context=context)
                if self._login:
                    smtp.login(*self._login)
                smtp.send_message(msg)
        except smtplib.SMTPRecipientsRefused as exc:
            codes = sorted({code for code, _ in exc.recipients.values()})
            return _smtp_code(codes[0] if codes else 550)
        except smtplib.SMTPResponseException as exc:  # includes auth and data errors
            return _smtp_code(exc.smtp_code)
        except smtplib.SMTPNotSupportedError:
            return Outcome("failed", "the mail server does not offer STARTTLS"), "no STARTTLS"
        except (TimeoutError, smtplib.SMTPServerDisconnected):
            return None, "timeout or disconnected"
        except ConnectionRefusedError:
            return None, "connection refused"
        except (OSError, smtplib.SMTPException) as exc:
            return None, type(exc).__name__
        return Outcome("sent", "accepted by the mail server"), ""

    def _tls_context(self) -> ssl.SSLContext:
        # made once: loading the system's certificates takes a tenth of a second
        if self._context is None:
            self._context = ssl.create_default_context()
        return self._context

    def close(self) -> None:
        self._retrier.close()


@functools.cache
def _fqdn() -> str:
    """This host's name for EHLO, looked up once (a DNS lookup can be slow)."""
    return socket.getfqdn()


def _smtp_code(code: int) -> tuple[Outcome | None, str]:
    if 400 <= code < 500:
        return None, f"SMTP {code}"
    return Outcome("failed", f"refused by the mail server (SMTP {code})"), f"SMTP {code}"


class MailedBackend:
    """What the email dispatcher and the email report sink share: a :class:`Mailer`, an
    optional fixed recipient (``to``; else the service's own address), their options
    and closing. ``kind`` names the backend in option errors."""

    kind: ClassVar[str]

    @classmethod
    def from_options(cls, options: dict[str, Any], context: dict[str, Any]) -> Self:
        opts = Options(cls.kind, options, context)
        to = opts.string("to")
        mailer = Mailer.from_options(opts)
        opts.done()
        return cls(mailer, to=to)

    def __init__(self, mailer: Mailer, to: str | None = None) -> None:
        self.mailer = mailer
        self.to = to

    def close(self) -> None:
        self.mailer.close()
