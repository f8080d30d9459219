"""Emergency dispatchers against local receivers: signatures, retries, acknowledgements,
failures, and what the log dispatcher leaves out."""

from __future__ import annotations

import hashlib
import hmac
import json
import logging
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from fakes.smtp import FakeSMTP
from fakes.webhook import FakeWebhook

from pnav.sdk import registry, signing
from pnav.sdk.dispatcher import Dispatcher, DispatchResult, Emergency, SafeDispatcher
from pnav.sdk.testing import free_port
from pnav.sdk.testing.casework import sample_emergency
from pnav.server.casework.dispatchers import SmtpDispatcher, WebhookDispatcher
from pnav.server.casework.outbound import Mailer, SignedPoster

SECRET = b"a-shared-secret-of-32-characters"


@pytest.fixture
def receiver() -> Iterator[FakeWebhook]:
    fake = FakeWebhook(SECRET).start()
    yield fake
    fake.stop()


@pytest.fixture
def smtp() -> Iterator[FakeSMTP]:
    fake = FakeSMTP().start()
    yield fake
    fake.stop()


def _webhook(url: str, **kw: Any) -> WebhookDispatcher:
    options = {"timeout": 2.0, "attempts": 3, "backoff": 0.01, **kw}
    return WebhookDispatcher(SignedPoster(url, SECRET, **options))


def _smtp(fake: FakeSMTP, to: str | None = None, **kw: Any) -> SmtpDispatcher:
    options = {"starttls": False, "attempts": 3, "backoff": 0.01, "helo": "pnav.test", **kw}
    return SmtpDispatcher(Mailer("127.0.0.1", fake.port, sender="pnav@example.org", **options), to)


def test_the_receiver_can_check_who_sent_it_and_when(receiver: FakeWebhook) -> None:
    emergency = sample_emergency()
    result = _webhook(receiver.url).send(emergency)
    assert (result.status, result.reference, result.attempts) == ("acknowledged", "R-1", 1)
    (got,) = receiver.received
    assert got.signature_ok, got.signature_problem
    assert got.headers[signing.DELIVERY_HEADER] == emergency.id
    assert got.headers[signing.EVENT_HEADER] == "emergency"
    assert got.envelope == {
        "event": "emergency",
        "version": 1,
        "delivery": emergency.id,
        "data": emergency.to_payload(),
    }


def test_a_tampered_or_replayed_delivery_is_refused(receiver: FakeWebhook) -> None:
    _webhook(receiver.url).send(sample_emergency())
    (got,) = receiver.received
    with pytest.raises(signing.BadSignature, match="does not match"):
        signing.verify(SECRET, got.body.replace(b"couteau", b"baton"), got.headers)
    with pytest.raises(signing.BadSignature, match="does not match"):
        signing.verify(b"another-secret-of-some-length!!", got.body, got.headers)
    later = int(got.headers[signing.TIMESTAMP_HEADER]) + 3600
    moved = {**got.headers, signing.TIMESTAMP_HEADER: str(later)}  # replayed as new
    with pytest.raises(signing.BadSignature, match="does not match"):
        signing.verify(SECRET, got.body, moved, now=later)
    with pytest.raises(signing.SignatureExpired):
        signing.verify(SECRET, got.body, got.headers, now=later)
    with pytest.raises(signing.BadSignature, match="missing"):
        signing.verify(SECRET, got.body, {})


def test_the_signature_is_hmac_sha256_of_timestamp_dot_body() -> None:
    """What a receiver in another language computes."""
    expected = hmac.new(SECRET, b'1714684443.{"a":1}', hashlib.sha256).hexdigest()
    assert signing.sign(SECRET, 1714684443, b'{"a":1}') == f"sha256={expected}"


def test_retries_after_server_errors_then_acknowledged(receiver: FakeWebhook) -> None:
    receiver.script = [(500, {"error": "busy"}), (503, b"")]
    emergency = sample_emergency()
    result = _webhook(receiver.url).send(emergency)
    assert result.status == "acknowledged" and result.reference == "R-3"
    assert (result.attempts, result.errors) == (3, ("HTTP 500", "HTTP 503"))
    assert [r.headers[signing.DELIVERY_HEADER] for r in receiver.received] == [emergency.id] * 3
    assert all(r.signature_ok for r in receiver.received)


def test_fails_after_the_last_attempt(receiver: FakeWebhook) -> None:
    receiver.script = [(500, {})] * 10
    result = _webhook(receiver.url, attempts=4).send(sample_emergency())
    assert (result.status, result.attempts) == ("failed", 4)
    assert result.errors == ("HTTP 500",) * 4
    assert result.detail == "failed after 4 attempts: HTTP 500"
    assert len(receiver.received) == 4


def test_a_refusal_is_not_retried(receiver: FakeWebhook) -> None:
    receiver.script = [(401, {"error": "bad signature"})]
    result = _webhook(receiver.url).send(sample_emergency())
    assert (result.status, result.attempts, result.errors) == ("failed", 1, ("HTTP 401",))
    assert "401" in result.detail


def test_a_redirect_is_not_followed(receiver: FakeWebhook) -> None:
    receiver.script = [(302, b"")]
    result = _webhook(receiver.url).send(sample_emergency())
    assert result.status == "failed" and len(receiver.received) == 1


def test_a_2xx_without_ack_is_sent_not_acknowledged(receiver: FakeWebhook) -> None:
    receiver.script = [(202, b"queued"), (200, {"ack": False})]
    webhook = _webhook(receiver.url)
    first, second = webhook.send(sample_emergency()), webhook.send(sample_emergency())
    assert (first.status, first.reference) == ("sent", None)
    assert second.status == "sent"


def test_a_receiver_that_hangs_costs_at_most_the_timeouts(receiver: FakeWebhook) -> None:
    receiver.script = ["hang", "hang"]
    started = time.monotonic()
    result = _webhook(receiver.url, timeout=0.3, attempts=2).send(sample_emergency())
    assert (result.status, result.errors) == ("failed", ("timeout", "timeout"))
    assert time.monotonic() - started < 3


def test_nobody_listening_fails_with_the_reason() -> None:
    result = _webhook(f"http://127.0.0.1:{free_port()}/", attempts=2).send(sample_emergency())
    assert (result.status, result.errors) == ("failed", ("connection refused",) * 2)


def test_webhook_options_are_checked(tmp_path: Path) -> None:
    cases = [
        ({"secret": SECRET.decode()}, "'url' is required"),
        ({"url": "https://gw.example"}, "'secret' or 'secret_file' is required"),
        ({"url": "https://gw.example", "secret": "short"}, "at least 16"),
        ({"url": "http://gw.example", "secret": SECRET.decode()}, "must use https"),
        ({"url": "https://gw.example", "secret": SECRET.decode(), "attempts": 0}, "between 1"),
        ({"url": "https://gw.example", "secret": SECRET.decode(), "timeout": True}, "number"),
        ({"url": "https://gw.example", "secret_file": "nope.txt"}, "cannot read secret_file"),
    ]
    for options, message in cases:
        with pytest.raises(registry.RegistryError, match=message) as err:
            registry.create("dispatcher", "webhook", options, {"data_dir": tmp_path})
        assert SECRET.decode() not in str(err.value)
    (tmp_path / "hook.secret").write_bytes(SECRET + b"\n")
    made = registry.create(
        "dispatcher",
        "webhook",
        {"url": "https://gw.example/e", "secret_file": "hook.secret"},
        {"data_dir": tmp_path},
        base=Dispatcher,
    )
    assert SECRET.decode() not in repr(made.poster)


def test_email_goes_to_the_centre_with_no_personal_data_in_the_subject(smtp: FakeSMTP) -> None:
    emergency = sample_emergency()
    result = _smtp(smtp).send(emergency)
    assert (result.status, result.attempts) == ("sent", 1)
    (mail,) = smtp.mails
    assert mail.recipients == ["cic@example.org"] and mail.sender == "pnav@example.org"
    msg = mail.message
    assert msg["Subject"] == f"URGENCE plateforme victimes — réf. {emergency.id}"
    text = msg.get_body(("plain",)).get_content()
    for value in ("12 rue des Lilas", "couteau", "deux enfants", "code porte 1234B", "35000"):
        assert value in text
        assert value not in msg["Subject"]
    (attachment,) = msg.iter_attachments()
    assert attachment.get_filename() == "emergency.json"
    assert json.loads(attachment.get_content()) == emergency.to_payload()


def test_email_retries_a_temporary_refusal_and_gives_up_on_a_permanent_one(
    smtp: FakeSMTP,
) -> None:
    smtp.script = ["451 4.3.0 try again later"]
    result = _smtp(smtp).send(sample_emergency())
    assert (result.status, result.attempts, result.errors) == ("sent", 2, ("SMTP 451",))
    smtp.script = ["554 5.7.1 rejected"]
    result = _smtp(smtp).send(sample_emergency())
    assert (result.status, result.attempts) == ("failed", 1)
    assert "SMTP 554" in result.detail and len(smtp.mails) == 1


def test_email_to_an_unknown_address_or_a_centre_without_one_fails() -> None:
    fake = FakeSMTP(refuse_rcpt=("cic@example.org",)).start()
    try:
        result = _smtp(fake).send(sample_emergency())
        assert (result.status, result.errors) == ("failed", ("SMTP 550",))
        centre = sample_emergency().centre
        no_mail = sample_emergency(centre=type(centre)(**{**centre.__dict__, "email": ""}))
        result = _smtp(fake).send(no_mail)
        assert (result.status, result.attempts) == ("failed", 0)
        assert "no email address for cic-test" in result.detail
        injected = _smtp(fake, to="cic@example.org\nBcc: someone@example.net")
        assert injected.send(sample_emergency()).status == "failed"
    finally:
        fake.stop()


def test_email_logs_in_and_can_go_to_one_fixed_address(tmp_path: Path) -> None:
    fake = FakeSMTP(login=("pnav", "a-password-of-16-chars")).start()
    try:
        (tmp_path / "smtp.pw").write_text("a-password-of-16-chars")
        options = {
            "host": "127.0.0.1",
            "port": fake.port,
            "sender": "pnav@example.org",
            "username": "pnav",
            "password_file": "smtp.pw",
            "starttls": False,
            "helo": "pnav.test",
            "to": "gateway@example.org",
        }
        dispatcher = registry.create("dispatcher", "smtp", options, {"data_dir": tmp_path})
        assert dispatcher.send(sample_emergency()).status == "sent"
        assert fake.mails[0].recipients == ["gateway@example.org"]
        (tmp_path / "smtp.pw").write_text("a-wrong-password-of-16")
        dispatcher = registry.create("dispatcher", "smtp", options, {"data_dir": tmp_path})
        result = dispatcher.send(sample_emergency())
        assert (result.status, result.errors) == ("failed", ("SMTP 535",))
    finally:
        fake.stop()


def test_starttls_is_required_by_default(smtp: FakeSMTP) -> None:
    result = _smtp(smtp, starttls=True).send(sample_emergency())
    assert result.status == "failed" and "STARTTLS" in result.detail
    assert smtp.mails == []


def test_smtp_options_are_checked() -> None:
    cases = [
        ({"sender": "p@example.org"}, "'host' is required"),
        ({"host": "mail.example"}, "'sender' is required"),
        ({"host": "mail.example", "sender": "nobody"}, "sender address"),
        ({"host": "mail.example", "sender": "p@example.org", "username": "u"}, "both"),
        ({"host": "mail.example", "sender": "p@example.org", "port": 0}, "between 1"),
        ({"host": "mail.example", "sender": "p@example.org", "ssl": True, "starttls": True}, "ssl"),
    ]
    for options, message in cases:
        with pytest.raises(registry.RegistryError, match=message):
            registry.create("dispatcher", "smtp", options)


def test_the_log_dispatcher_keeps_what_the_operator_typed_out_of_the_log(
    caplog: pytest.LogCaptureFixture,
) -> None:
    caplog.set_level(logging.INFO)
    dispatcher = registry.create("dispatcher", "log", {})
    assert "nobody is alerted" in caplog.text
    emergency = sample_emergency()
    result = dispatcher.send(emergency)
    assert result.status == "sent" and "nobody was alerted" in result.detail
    for value in ("Lilas", "couteau", "enfants", "1234B", "01 00 00 00 00"):
        assert value not in caplog.text
    assert emergency.id in caplog.text and emergency.conversation in caplog.text
    line = json.loads(caplog.records[-1].getMessage().partition(" ")[2])
    assert line["danger"] is True and line["location"]["address"] is True
    assert line["location"]["commune_code"] is True


def test_the_log_dispatcher_with_details_for_development(
    caplog: pytest.LogCaptureFixture,
) -> None:
    caplog.set_level(logging.INFO)
    registry.create("dispatcher", "log", {"details": True}).send(sample_emergency())
    assert "couteau" in caplog.text
    with pytest.raises(registry.RegistryError, match="'details' must be true or false"):
        registry.create("dispatcher", "log", {"details": "yes"})


def test_a_dispatcher_that_raises_gives_a_failed_result() -> None:
    class Buggy(Dispatcher):
        def send(self, emergency: Emergency) -> DispatchResult:
            raise RuntimeError(emergency.danger)

    class Confused(Dispatcher):
        def send(self, emergency: Emergency) -> DispatchResult:
            return "ok"  # type: ignore[return-value]

    for inner in (Buggy(), Confused()):
        result = SafeDispatcher(inner).send(sample_emergency())
        assert result.status == "failed" and "couteau" not in result.detail


def test_an_emergency_is_checked_when_made() -> None:
    with pytest.raises(ValueError, match="nature of the danger"):
        sample_emergency(danger="  ")
    report_service = sample_emergency().centre.__class__("s", "report", "police", "S")
    with pytest.raises(ValueError, match="not an operational centre"):
        sample_emergency(centre=report_service)
    with pytest.raises(ValueError, match="emergency id"):
        sample_emergency(id="a b")
    with pytest.raises(ValueError, match="status"):
        DispatchResult("maybe")
