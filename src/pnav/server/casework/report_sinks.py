"""Built-in report sinks: ``webhook``, ``folder`` and ``email`` (docs/backends-casework.md),
and a JSON-lines audit log.

``webhook``: signed JSON POST, event ``report``, same options as the webhook
dispatcher (``url``, ``secret``/``secret_file``, ``timeout``, ``attempts``, …).

``folder``: each report becomes ``<UTC time>-<report id>.json`` and a detached
signature ``….json.sig`` in ``folder`` (mode 0700; files 0600), for a service that
collects them (a shared drive, an sftp pick-up). Files are written to a temporary
name and renamed, the signature first: a ``.json`` that exists is complete and
signed. Options: ``folder`` (required), ``signature = "ed25519"`` (default; key from
``signing_key_file``, default ``report-signing.key`` in the data directory, created
with its ``.pub`` when missing) or ``"hmac"`` (with ``secret``/``secret_file``).
:func:`verify_bundle` checks a bundle on the receiving side.

``email``: SMTP to the service's address (``to`` overrides it); same options as the
smtp dispatcher. The report travels as text and as ``report.json``.
"""

from __future__ import annotations

import hashlib
import hmac
import json
import logging
import os
import secrets
import threading
from pathlib import Path
from typing import Any

from nacl.encoding import HexEncoder
from nacl.exceptions import BadSignatureError
from nacl.signing import SigningKey, VerifyKey

from pnav.sdk.report_sink import AuditRecord, Report, ReportReceipt, ReportSink
from pnav.sdk.signing import BadSignature
from pnav.server.casework.outbound import MailedBackend, SignedWebhookBackend, canonical_json
from pnav.server.options import Options

__all__ = [
    "EmailReportSink",
    "FolderReportSink",
    "JsonlAuditLog",
    "WebhookReportSink",
    "report_text",
    "verify_bundle",
    "write_private",
]

log = logging.getLogger(__name__)


class WebhookReportSink(SignedWebhookBackend, ReportSink):
    """Signed JSON POST, event ``report``, delivery id = the report's id."""

    kind = "webhook report sink"
    event = "report"

    def submit(self, report: Report) -> ReportReceipt:
        return ReportReceipt.of(self.post(report.id, report.to_payload()), report_id=report.id)


def write_private(path: Path, data: bytes) -> None:
    """Write ``data`` to ``path`` atomically, mode 0600: a temporary file in the same
    folder, flushed to disk, then renamed over ``path``."""
    tmp = path.with_name(f".{path.name}.{secrets.token_hex(4)}.tmp")
    fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    try:
        os.fchmod(fd, 0o600)
        os.write(fd, data)
        os.fsync(fd)
    except BaseException:
        os.close(fd)
        tmp.unlink(missing_ok=True)
        raise
    os.close(fd)
    os.replace(tmp, path)
    dir_fd = os.open(path.parent, os.O_RDONLY)
    try:
        os.fsync(dir_fd)
    finally:
        os.close(dir_fd)


def _signing_key(path: Path) -> SigningKey:
    """The Ed25519 key in ``path`` (hex seed), created with its ``.pub`` if missing."""
    if path.exists():
        try:
            return SigningKey(path.read_bytes().strip(), encoder=HexEncoder)
        except (OSError, ValueError, TypeError) as exc:
            raise ValueError(f"folder report sink: cannot read the key {path}: {exc}") from None
    path.parent.mkdir(parents=True, exist_ok=True, mode=0o700)
    key = SigningKey.generate()
    write_private(path, key.encode(encoder=HexEncoder) + b"\n")
    pub = path.with_name(path.name + ".pub")
    pub.write_bytes(key.verify_key.encode(encoder=HexEncoder) + b"\n")
    log.info("folder report sink: new signing key; public key in %s", pub)
    return key


class FolderReportSink(ReportSink):
    """Signed JSON bundles in a folder."""

    @classmethod
    def from_options(cls, options: dict[str, Any], context: dict[str, Any]) -> FolderReportSink:
        opts = Options("folder report sink", options, context)
        folder = opts.path("folder", required=True)
        kind = opts.string("signature", "ed25519")
        assert folder is not None
        if kind == "hmac":
            secret = opts.secret("secret", required=True)
            opts.done()
            return cls(folder, hmac_secret=secret)
        if kind != "ed25519":
            raise ValueError("folder report sink: signature must be 'ed25519' or 'hmac'")
        key_path = opts.path("signing_key_file", "report-signing.key")
        assert key_path is not None
        opts.done()
        return cls(folder, signing_key=_signing_key(key_path))

    def __init__(
        self,
        folder: str | Path,
        *,
        signing_key: SigningKey | None = None,
        hmac_secret: bytes | None = None,
    ) -> None:
        if (signing_key is None) == (hmac_secret is None):
            raise ValueError("folder report sink: give a signing_key or an hmac_secret")
        if hmac_secret is not None and len(hmac_secret) < 16:
            raise ValueError("folder report sink: the hmac secret must be at least 16 bytes")
        self.folder = Path(folder)
        try:
            self.folder.mkdir(parents=True, exist_ok=True, mode=0o700)
        except OSError as exc:
            raise ValueError(f"folder report sink: cannot create {self.folder}: {exc}") from None
        if not os.access(self.folder, os.W_OK | os.X_OK):
            raise ValueError(f"folder report sink: cannot write into {self.folder}")
        self._key = signing_key
        self._secret = hmac_secret
        self._lock = threading.Lock()

    def _signature(self, data: bytes) -> dict[str, str]:
        if self._key is not None:
            signed = self._key.sign(data, encoder=HexEncoder)
            return {
                "algorithm": "ed25519",
                "public_key": self._key.verify_key.encode(encoder=HexEncoder).decode(),
                "signature": signed.signature.decode(),
            }
        assert self._secret is not None
        mac = hmac.new(self._secret, data, hashlib.sha256).hexdigest()
        return {"algorithm": "hmac-sha256", "signature": mac}

    def submit(self, report: Report) -> ReportReceipt:
        stamp = report.created_at.strftime("%Y%m%dT%H%M%S%fZ")
        name = f"{stamp}-{report.id}.json"
        data = canonical_json({"event": "report", "version": 1, "data": report.to_payload()})
        try:
            with self._lock:
                write_private(self.folder / (name + ".sig"), canonical_json(self._signature(data)))
                write_private(self.folder / name, data)
        except OSError as exc:
            log.error("folder report sink: cannot write report %s: %s", report.id, exc.strerror)
            reason = exc.strerror or type(exc).__name__
            detail = f"cannot write the bundle: {reason}"
            return ReportReceipt("failed", detail, report_id=report.id)
        return ReportReceipt("sent", "written to the folder", name, report_id=report.id)


def verify_bundle(
    path: str | Path, *, verify_key: VerifyKey | None = None, hmac_secret: bytes | None = None
) -> dict[str, Any]:
    """The report in a bundle, after checking its detached signature against the key
    the receiver trusts; raises :class:`~pnav.sdk.signing.BadSignature`."""
    path = Path(path)
    data = path.read_bytes()
    try:
        sig = json.loads(path.with_name(path.name + ".sig").read_bytes())
        algorithm, signature = sig["algorithm"], bytes.fromhex(sig["signature"])
    except (OSError, ValueError, KeyError, TypeError) as exc:
        raise BadSignature(f"no readable signature for {path.name}") from exc
    if algorithm == "ed25519" and verify_key is not None:
        try:
            verify_key.verify(data, signature)
        except BadSignatureError:
            raise BadSignature(f"bad signature on {path.name}") from None
    elif algorithm == "hmac-sha256" and hmac_secret is not None:
        expected = hmac.new(hmac_secret, data, hashlib.sha256).digest()
        if not hmac.compare_digest(expected, signature):
            raise BadSignature(f"bad signature on {path.name}")
    else:
        raise BadSignature(f"{path.name} is signed with {algorithm!r}, no key given for it")
    envelope: dict[str, Any] = json.loads(data)
    return envelope


def report_text(report: Report) -> str:
    """The plain-text body of a report email (French: the services read French)."""
    place = report.place
    people = "\n".join(f"  - {p.role} : {p.description}" for p in report.people) or "  (aucune)"
    when = " → ".join(str(d) for d in (report.first_date, report.last_date) if d)
    lines = [
        "Signalement transmis par la plateforme d'accompagnement des victimes.",
        "",
        f"Service destinataire : {report.service.name} ({report.service.id})",
        f"Référence : {report.id}",
        f"Établi le : {report.created_at.isoformat()}",
        f"Opérateur : {report.operator}",
        f"Conversation : {report.conversation}",
        f"Catégorie : {report.category}",
        "",
        f"Dates : {when} {report.dates}".rstrip(),
        f"Lieu : {place.address} {place.postal_code or ''} {place.city}".rstrip(),
        f"Précisions sur le lieu : {place.details}",
        "Personnes concernées :",
        people,
        "",
        "Faits :",
        report.facts,
        "",
        "Consentement à être recontacté(e) : " + ("OUI" if report.consent else "NON"),
        f"Comment recontacter : {report.contact}" if report.consent else "",
        "",
        "Les mêmes informations sont jointes au format JSON (report.json).",
    ]
    return "\n".join(lines) + "\n"


class EmailReportSink(MailedBackend, ReportSink):
    """Email to the service. ``sent`` means the mail server accepted it, no more."""

    kind = "email report sink"

    def submit(self, report: Report) -> ReportReceipt:
        outcome = self.mailer.mail(
            self.to or report.service.email,
            report.service.id,
            f"Signalement plateforme victimes — réf. {report.id}",
            report_text(report),
            ("report.json", canonical_json(report.to_payload())),
        )
        return ReportReceipt.of(outcome, report_id=report.id)


class JsonlAuditLog:
    """Appends one JSON line per audit record to a file (mode 0600), flushed to disk
    before the submission is reported done."""

    def __init__(self, path: str | Path) -> None:
        self.path = Path(path)
        self.path.parent.mkdir(parents=True, exist_ok=True, mode=0o700)
        self._lock = threading.Lock()

    def __call__(self, record: AuditRecord) -> None:
        line = canonical_json(record.to_payload()) + b"\n"
        with self._lock:
            fd = os.open(self.path, os.O_WRONLY | os.O_CREAT | os.O_APPEND, 0o600)
            try:
                os.write(fd, line)
                os.fsync(fd)
            finally:
                os.close(fd)

    def records(self) -> list[dict[str, Any]]:
        if not self.path.exists():
            return []
        with self.path.open(encoding="utf-8") as fh:
            return [json.loads(line) for line in fh if line.strip()]
