"""Report sinks: signed bundles in a folder, webhook and email specifics, the audit log."""

from __future__ import annotations

import json
import stat
from collections.abc import Iterator
from pathlib import Path

import pytest
from fakes.smtp import FakeSMTP
from fakes.webhook import FakeWebhook
from nacl.encoding import HexEncoder
from nacl.signing import SigningKey, VerifyKey

from pnav.sdk import registry, signing
from pnav.sdk.report_sink import (
    AuditedReportSink,
    AuditError,
    AuditRecord,
    Involved,
    MemoryAuditLog,
    MemoryReportSink,
    Report,
    ReportReceipt,
    ReportSink,
)
from pnav.sdk.testing.casework import sample_report
from pnav.server.casework.report_sinks import FolderReportSink, JsonlAuditLog, verify_bundle

SECRET = "a-shared-secret-of-32-characters"


def _mode(path: Path) -> int:
    return stat.S_IMODE(path.stat().st_mode)


@pytest.fixture
def folder_sink(tmp_path: Path) -> FolderReportSink:
    sink: FolderReportSink = registry.create(
        "report_sink", "folder", {"folder": "outbox"}, {"data_dir": tmp_path}, base=ReportSink
    )
    return sink


def test_a_bundle_is_private_complete_and_signed(
    tmp_path: Path, folder_sink: FolderReportSink
) -> None:
    report = sample_report()
    receipt = folder_sink.submit(report)
    outbox = tmp_path / "outbox"
    assert receipt.status == "sent" and receipt.reference
    assert _mode(outbox) == 0o700
    files = sorted(p.name for p in outbox.iterdir())
    assert files == [receipt.reference, receipt.reference + ".sig"]  # no temporary left
    bundle = outbox / receipt.reference
    assert _mode(bundle) == 0o600 and _mode(outbox / (receipt.reference + ".sig")) == 0o600
    public = (tmp_path / "report-signing.key.pub").read_bytes().strip()
    assert _mode(tmp_path / "report-signing.key") == 0o600
    envelope = verify_bundle(bundle, verify_key=VerifyKey(public, encoder=HexEncoder))
    assert envelope == {"event": "report", "version": 1, "data": report.to_payload()}


def test_a_tampered_bundle_or_the_wrong_key_is_refused(
    tmp_path: Path, folder_sink: FolderReportSink
) -> None:
    name = folder_sink.submit(sample_report()).reference
    assert name
    bundle = tmp_path / "outbox" / name
    stranger = SigningKey.generate().verify_key
    with pytest.raises(signing.BadSignature, match="bad signature"):
        verify_bundle(bundle, verify_key=stranger)
    with pytest.raises(signing.BadSignature, match="no key given"):
        verify_bundle(bundle, hmac_secret=SECRET.encode())
    key = VerifyKey((tmp_path / "report-signing.key.pub").read_bytes().strip(), HexEncoder)
    bundle.write_bytes(bundle.read_bytes().replace(b'"consent":true', b'"consent":false'))
    with pytest.raises(signing.BadSignature, match="bad signature"):
        verify_bundle(bundle, verify_key=key)
    (tmp_path / "outbox" / (name + ".sig")).unlink()
    with pytest.raises(signing.BadSignature, match="no readable signature"):
        verify_bundle(bundle, verify_key=key)


def test_the_signing_key_is_kept_across_restarts(tmp_path: Path) -> None:
    context = {"data_dir": tmp_path}
    registry.create("report_sink", "folder", {"folder": "a"}, context)
    first = (tmp_path / "report-signing.key").read_bytes()
    sink = registry.create("report_sink", "folder", {"folder": "a"}, context)
    assert (tmp_path / "report-signing.key").read_bytes() == first
    name = sink.submit(sample_report()).reference
    key = SigningKey(first.strip(), encoder=HexEncoder).verify_key
    verify_bundle(tmp_path / "a" / name, verify_key=key)


def test_hmac_bundles(tmp_path: Path) -> None:
    options = {"folder": "out", "signature": "hmac", "secret": SECRET}
    sink = registry.create("report_sink", "folder", options, {"data_dir": tmp_path})
    name = sink.submit(sample_report()).reference
    verify_bundle(tmp_path / "out" / name, hmac_secret=SECRET.encode())
    with pytest.raises(signing.BadSignature):
        verify_bundle(tmp_path / "out" / name, hmac_secret=b"x" * 32)


def test_folder_options_are_checked(tmp_path: Path) -> None:
    context = {"data_dir": tmp_path}
    (tmp_path / "file").write_text("")
    cases = [
        ({}, "'folder' is required"),
        ({"folder": "o", "signature": "rsa"}, "'ed25519' or 'hmac'"),
        ({"folder": "o", "signature": "hmac"}, "'secret' or 'secret_file' is required"),
        ({"folder": "file/o"}, "cannot create"),
        ({"folder": "o", "signing_key_file": "file"}, "cannot read the key"),
        ({"folder": "o", "secret": SECRET}, "unknown options secret"),
    ]
    for options, message in cases:
        with pytest.raises(registry.RegistryError, match=message):
            registry.create("report_sink", "folder", options, context)


def test_the_webhook_sink_sends_a_signed_report_event() -> None:
    fake = FakeWebhook(SECRET.encode()).start()
    try:
        sink = registry.create("report_sink", "webhook", {"url": fake.url, "secret": SECRET})
        report = sample_report()
        receipt = sink.submit(report)
        assert (receipt.status, receipt.reference) == ("acknowledged", "R-1")
        (got,) = fake.received
        assert got.signature_ok and got.headers[signing.EVENT_HEADER] == "report"
        assert got.headers[signing.DELIVERY_HEADER] == report.id
    finally:
        fake.stop()


@pytest.fixture
def smtp() -> Iterator[FakeSMTP]:
    fake = FakeSMTP().start()
    yield fake
    fake.stop()


def _email_sink(smtp: FakeSMTP) -> ReportSink:
    options = {
        "host": "127.0.0.1",
        "port": smtp.port,
        "sender": "pnav@example.org",
        "starttls": False,
        "helo": "pnav.test",
    }
    sink: ReportSink = registry.create("report_sink", "email", options)
    return sink


def test_the_email_says_whether_the_person_may_be_contacted(smtp: FakeSMTP) -> None:
    sink = _email_sink(smtp)
    sink.submit(sample_report())
    sink.submit(sample_report(consent=False, contact=""))
    with_consent, without = (m.message for m in smtp.wait_for(2))
    assert with_consent["To"] == "station@example.org"
    text = with_consent.get_body(("plain",)).get_content()
    assert "recontacté(e) : OUI" in text and "par téléphone après 18 h" in text
    assert "suspect : son conjoint" in text and "2024-03-01 → 2024-05-02" in text
    assert "recontacté(e) : NON" in without.get_body(("plain",)).get_content()
    assert "Violences" not in with_consent["Subject"]


def test_the_audit_log_is_a_private_file_of_records_without_facts(tmp_path: Path) -> None:
    log = JsonlAuditLog(tmp_path / "audit" / "reports.jsonl")
    sink = AuditedReportSink(MemoryReportSink(), log)
    reports = [sample_report(), sample_report(operator="op-2")]
    receipts = [sink.submit(r) for r in reports]
    assert _mode(tmp_path / "audit" / "reports.jsonl") == 0o600
    records = log.records()
    assert [r["receipt_id"] for r in records] == [r.id for r in receipts]
    assert [r["operator"] for r in records] == ["op-17", "op-2"]
    assert set(records[0]) == {
        "at",
        "operator",
        "report_id",
        "conversation",
        "service_id",
        "sink",
        "status",
        "receipt_id",
        "reference",
    }
    assert records[0]["sink"] == "pnav.sdk.report_sink.MemoryReportSink"
    raw = (tmp_path / "audit" / "reports.jsonl").read_text()
    assert "Violences" not in raw and "Tilleuls" not in raw and "18 h" not in raw


def test_a_sink_that_raises_is_audited_as_failed() -> None:
    class Buggy(ReportSink):
        def submit(self, report: Report) -> ReportReceipt:
            raise OSError(report.facts)

    audit = MemoryAuditLog()
    receipt = AuditedReportSink(Buggy(), audit).submit(sample_report())
    assert receipt.status == "failed" and "Violences" not in receipt.detail
    assert [r.status for r in audit.records] == ["failed"]


def test_when_the_audit_log_fails_the_caller_still_gets_the_receipt() -> None:
    def broken(record: AuditRecord) -> None:
        raise OSError("disk full")

    inner = MemoryReportSink()
    with pytest.raises(AuditError) as err:
        AuditedReportSink(inner, broken).submit(sample_report())
    assert err.value.receipt.status == "acknowledged" and len(inner.reports) == 1


def test_a_report_is_checked_when_made() -> None:
    with pytest.raises(ValueError, match="did not consent"):
        sample_report(consent=False)
    with pytest.raises(ValueError, match="report id"):
        sample_report(id="../../etc/cron.d/x")  # ids become file names
    with pytest.raises(ValueError, match="the facts"):
        sample_report(facts=" ")
    with pytest.raises(ValueError, match="role"):
        Involved("bystander", "x")
    centre = sample_report().service.__class__("c", "emergency", "police", "C")
    with pytest.raises(ValueError, match="does not take reports"):
        sample_report(service=centre)
    first = sample_report().first_date
    with pytest.raises(ValueError, match="before first_date"):
        sample_report(last_date=first.replace(year=2000) if first else None)
    assert json.loads(json.dumps(sample_report().to_payload()))["people"][1]["role"] == "suspect"
