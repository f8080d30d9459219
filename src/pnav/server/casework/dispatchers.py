"""Built-in dispatchers: ``webhook``, ``smtp`` and ``log`` (docs/backends-casework.md).

``webhook``: POSTs the emergency as signed JSON to one URL (the platform's gateway to
the centres; the receiver routes by ``data.centre.id``)::

    dispatcher = "webhook"
    dispatcher_options = {url = "https://gateway.example/emergency", secret_file = "…"}

Options: ``url``, ``secret`` or ``secret_file`` (HMAC key shared with the receiver, at
least 16 characters), ``timeout`` (per attempt, default 5 s), ``attempts`` (default 4),
``backoff`` (first pause, doubled each time, default 0.5 s), ``max_backoff`` (8 s),
``allow_http``.

``smtp``: emails the centre's address (``to`` overrides it for every emergency).
Options: ``host``, ``port``, ``sender``, ``username``, ``password`` or
``password_file``, ``starttls`` (default true), ``ssl``, ``timeout``, ``attempts``,
``backoff``, ``to``. The mail says what the operator entered and carries it as an
``emergency.json`` attachment.

``log``: for development only. Nobody is alerted: the emergency is written to the
``pnav.emergency`` logger. By default the line holds ids, the centre and which fields
were filled, not what they say, because logs are kept and copied where personal data
must not go; ``details = true`` adds what the operator entered (never message text,
which an emergency does not carry).
"""

from __future__ import annotations

import json
import logging
from typing import Any

from pnav.sdk.dispatcher import Dispatcher, DispatchResult, Emergency
from pnav.server.casework.outbound import MailedBackend, SignedWebhookBackend, canonical_json
from pnav.server.options import Options

__all__ = ["LogDispatcher", "SmtpDispatcher", "WebhookDispatcher", "emergency_text"]

log = logging.getLogger(__name__)


class WebhookDispatcher(SignedWebhookBackend, Dispatcher):
    """Signed JSON POST, event ``emergency``, delivery id = the emergency's id."""

    kind = "webhook dispatcher"
    event = "emergency"

    def send(self, emergency: Emergency) -> DispatchResult:
        result = DispatchResult.of(self.post(emergency.id, emergency.to_payload()))
        log.info("emergency %s: %s after %d attempts", emergency.id, result.status, result.attempts)
        return result


def emergency_text(emergency: Emergency) -> str:
    """The plain-text body of an emergency email (French: the centres read French)."""
    loc = emergency.location
    lines = [
        "URGENCE transmise par la plateforme d'accompagnement des victimes.",
        "",
        f"Centre destinataire : {emergency.centre.name} ({emergency.centre.id})",
        f"Référence : {emergency.id}",
        f"Émise le : {emergency.raised_at.isoformat()}",
        f"Opérateur : {emergency.operator}",
        f"Conversation : {emergency.conversation}",
        "",
        f"Nature du danger : {emergency.danger}",
        f"Personnes en danger : {emergency.people_at_risk}",
        "",
        f"Adresse : {loc.address}",
        f"Code postal : {loc.postal_code or ''}   Commune (INSEE) : {loc.commune_code or ''}",
        f"Ville : {loc.city}",
        f"Précisions d'accès : {loc.details}",
        f"Rappel : {emergency.callback}",
        "",
        "Les mêmes informations sont jointes au format JSON (emergency.json).",
    ]
    return "\n".join(lines) + "\n"


class SmtpDispatcher(MailedBackend, Dispatcher):
    """Email to the centre. ``sent`` means the mail server accepted it, no more."""

    kind = "smtp dispatcher"

    def send(self, emergency: Emergency) -> DispatchResult:
        result = DispatchResult.of(
            self.mailer.mail(
                self.to or emergency.centre.email,
                emergency.centre.id,
                f"URGENCE plateforme victimes — réf. {emergency.id}",
                emergency_text(emergency),
                ("emergency.json", canonical_json(emergency.to_payload())),
            )
        )
        log.info("emergency %s: %s after %d attempts", emergency.id, result.status, result.attempts)
        return result


class LogDispatcher(Dispatcher):
    """Development only: writes the emergency to the ``pnav.emergency`` logger."""

    @classmethod
    def from_options(cls, options: dict[str, Any], context: dict[str, Any]) -> LogDispatcher:
        opts = Options("log dispatcher", options, context)
        details = opts.boolean("details", False)
        opts.done()
        return cls(details=details)

    def __init__(self, details: bool = False, logger: str = "pnav.emergency") -> None:
        self.details = details
        self.logger = logging.getLogger(logger)
        log.warning("dispatcher 'log': emergencies are only logged, nobody is alerted")

    def send(self, emergency: Emergency) -> DispatchResult:
        payload = emergency.to_payload()
        if not self.details:
            payload = _redacted(payload)
        self.logger.warning("emergency %s", json.dumps(payload, ensure_ascii=False, sort_keys=True))
        return DispatchResult("sent", "written to the log only: nobody was alerted")


_KEEP = {"id", "raised_at", "conversation", "operator", "centre"}


def _redacted(payload: dict[str, Any]) -> dict[str, Any]:
    """Ids and the centre as they are; for every text the operator typed, only whether
    it was filled in."""
    out: dict[str, Any] = {}
    for key, value in payload.items():
        if key in _KEEP:
            out[key] = value
        elif isinstance(value, dict):
            out[key] = {k: bool(v) for k, v in value.items()}
        else:
            out[key] = bool(value)
    return out
