"""The casework contracts, run over every built-in backend of the four slots, each
against a real receiving end on loopback (tests/fakes)."""

from __future__ import annotations

import json
import logging
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from fakes.libretranslate import FakeLibreTranslate
from fakes.smtp import FakeSMTP
from fakes.webhook import FakeWebhook
from nacl.encoding import HexEncoder
from nacl.signing import SigningKey

from pnav.sdk import registry
from pnav.sdk.directory import Directory, MemoryDirectory
from pnav.sdk.dispatcher import Dispatcher, MemoryDispatcher
from pnav.sdk.report_sink import MemoryReportSink, ReportSink
from pnav.sdk.testing import free_port
from pnav.sdk.testing.casework import (
    DirectoryContract,
    DispatcherContract,
    ReportSinkContract,
    Rig,
    TranslatorContract,
)
from pnav.sdk.translator import MemoryTranslator, Translator
from pnav.server.casework.directory import dump_csv
from pnav.server.casework.report_sinks import verify_bundle

SECRET = "a-shared-secret-of-32-characters"
FAST = {"attempts": 2, "backoff": 0.01, "timeout": 3}


def _create(slot: str, name: str, options: dict[str, Any], tmp_path: Path | None = None) -> Any:
    base = {"dispatcher": Dispatcher, "report_sink": ReportSink}[slot]
    context = {"data_dir": tmp_path} if tmp_path else {}
    return registry.create(slot, name, options, context, base=base)


# -- translator ------------------------------------------------------------------------


class TestNoneTranslator(TranslatorContract):
    __test__ = True
    translates = False

    @pytest.fixture
    def translator(self) -> Translator:
        return registry.create("translator", "none", {}, base=Translator)  # type: ignore[no-any-return]


class TestMemoryTranslator(TranslatorContract):
    __test__ = True

    @pytest.fixture
    def translator(self) -> Translator:
        return MemoryTranslator(words={"necesito": "es"})

    @pytest.fixture
    def broken_translators(self) -> Iterator[list[Translator]]:
        broken = [MemoryTranslator(fail=mode) for mode in ("error", "malformed", "slow")]
        yield list(broken)
        for translator in broken:
            translator.release.set()


class TestLibreTranslate(TranslatorContract):
    __test__ = True

    @pytest.fixture
    def translator(self) -> Iterator[Translator]:
        key = "an-api-key-of-some-length"
        fake = FakeLibreTranslate(api_key=key).start()
        options = {"url": fake.url, "api_key": key, "timeout": 3}
        yield registry.create("translator", "libretranslate", options, base=Translator)
        fake.stop()

    @pytest.fixture
    def broken_translators(self) -> Iterator[list[Translator]]:
        fakes = [FakeLibreTranslate(mode).start() for mode in ("slow", "error", "malformed")]
        fakes.append(FakeLibreTranslate("wrong_shape").start())
        urls = [f.url for f in fakes] + [f"http://127.0.0.1:{free_port()}/"]  # nobody there
        yield [
            registry.create("translator", "libretranslate", {"url": url, "timeout": 5})
            for url in urls
        ]
        for fake in fakes:
            fake.stop()


# -- directory -------------------------------------------------------------------------


class TestMemoryDirectory(DirectoryContract):
    __test__ = True

    @pytest.fixture
    def make_directory(self) -> Any:
        return MemoryDirectory


class TestCsvDirectory(DirectoryContract):
    __test__ = True

    @pytest.fixture
    def make_directory(self, tmp_path: Path) -> Any:
        def make(services: list[Any], resources: list[Any]) -> Directory:
            dump_csv(tmp_path / "services.csv", services)
            dump_csv(tmp_path / "resources.csv", resources)
            options = {"services": "services.csv", "resources": ["resources.csv"]}
            options["national"] = False  # type: ignore[assignment]
            directory: Directory = registry.create(
                "directory", "csv", options, {"data_dir": tmp_path}, base=Directory
            )
            return directory

        return make


# -- dispatcher ------------------------------------------------------------------------


@pytest.fixture
def webhook() -> Iterator[FakeWebhook]:
    fake = FakeWebhook(SECRET.encode()).start()
    yield fake
    fake.stop()


@pytest.fixture
def smtp() -> Iterator[FakeSMTP]:
    fake = FakeSMTP().start()
    yield fake
    fake.stop()


def _attachments(smtp: FakeSMTP) -> list[dict[str, Any]]:
    out = []
    for mail in smtp.mails:
        (part,) = list(mail.message.iter_attachments())
        out.append(json.loads(part.get_content()))
    return out


def _smtp_options(smtp: FakeSMTP) -> dict[str, Any]:
    return {
        "host": "127.0.0.1",
        "port": smtp.port,
        "sender": "pnav@example.org",
        "starttls": False,
        "helo": "pnav.test",
        **FAST,
    }


def _fail_webhook(fake: FakeWebhook) -> None:
    fake.script = [(500, {"error": "down"})] * 10


def _fail_smtp(fake: FakeSMTP) -> None:
    fake.script = ["451 4.3.0 try again later"] * 10


class TestMemoryDispatcher(DispatcherContract):
    __test__ = True

    @pytest.fixture
    def rig(self) -> Rig:
        backend = MemoryDispatcher()
        return Rig(
            backend,
            lambda: [e.to_payload() for e in backend.sent],
            lambda: setattr(backend, "failing", True),
        )


class TestWebhookDispatcher(DispatcherContract):
    __test__ = True

    @pytest.fixture
    def rig(self, webhook: FakeWebhook) -> Rig:
        backend = _create("dispatcher", "webhook", {"url": webhook.url, "secret": SECRET, **FAST})
        return Rig(
            backend,
            lambda: [r.envelope["data"] for r in webhook.accepted()],
            lambda: _fail_webhook(webhook),
        )


class TestSmtpDispatcher(DispatcherContract):
    __test__ = True

    @pytest.fixture
    def rig(self, smtp: FakeSMTP) -> Rig:
        backend = _create("dispatcher", "smtp", _smtp_options(smtp))
        return Rig(backend, lambda: _attachments(smtp), lambda: _fail_smtp(smtp))


class _LogCapture(logging.Handler):
    def __init__(self) -> None:
        super().__init__(logging.DEBUG)
        self.lines: list[str] = []

    def emit(self, record: logging.LogRecord) -> None:
        self.lines.append(record.getMessage())

    def payloads(self) -> list[dict[str, Any]]:
        return [json.loads(line.partition(" ")[2]) for line in self.lines]


@pytest.fixture
def emergency_log() -> Iterator[_LogCapture]:
    handler = _LogCapture()
    logger = logging.getLogger("pnav.emergency")
    logger.addHandler(handler)
    yield handler
    logger.removeHandler(handler)


class TestLogDispatcher(DispatcherContract):
    __test__ = True

    @pytest.fixture
    def rig(self, emergency_log: _LogCapture) -> Rig:
        backend = _create("dispatcher", "log", {})
        return Rig(backend, emergency_log.payloads, carries_details=False)


class TestLogDispatcherWithDetails(DispatcherContract):
    __test__ = True

    @pytest.fixture
    def rig(self, emergency_log: _LogCapture) -> Rig:
        return Rig(_create("dispatcher", "log", {"details": True}), emergency_log.payloads)


# -- report sink -----------------------------------------------------------------------


class TestMemoryReportSink(ReportSinkContract):
    __test__ = True

    @pytest.fixture
    def rig(self) -> Rig:
        backend = MemoryReportSink()
        return Rig(
            backend,
            lambda: [r.to_payload() for r in backend.reports],
            lambda: setattr(backend, "failing", True),
        )


class TestWebhookReportSink(ReportSinkContract):
    __test__ = True

    @pytest.fixture
    def rig(self, webhook: FakeWebhook) -> Rig:
        backend = _create("report_sink", "webhook", {"url": webhook.url, "secret": SECRET, **FAST})
        return Rig(
            backend,
            lambda: [r.envelope["data"] for r in webhook.accepted()],
            lambda: _fail_webhook(webhook),
        )


class TestEmailReportSink(ReportSinkContract):
    __test__ = True

    @pytest.fixture
    def rig(self, smtp: FakeSMTP) -> Rig:
        backend = _create("report_sink", "email", _smtp_options(smtp))
        return Rig(backend, lambda: _attachments(smtp), lambda: _fail_smtp(smtp))


def _break_folder(folder: Path) -> None:
    """A file where the folder was: every write fails (chmod would not stop root)."""
    for child in folder.iterdir():
        child.unlink()
    folder.rmdir()
    folder.write_text("not a folder")


class TestFolderReportSinkEd25519(ReportSinkContract):
    __test__ = True

    @pytest.fixture
    def rig(self, tmp_path: Path) -> Rig:
        folder = tmp_path / "outbox"
        backend = _create("report_sink", "folder", {"folder": "outbox"}, tmp_path)
        seed = (tmp_path / "report-signing.key").read_bytes().strip()
        key = SigningKey(seed, encoder=HexEncoder)

        def received() -> list[dict[str, Any]]:
            if not folder.is_dir():
                return []
            return [
                verify_bundle(p, verify_key=key.verify_key)["data"]
                for p in sorted(folder.glob("*.json"))
            ]

        return Rig(backend, received, lambda: _break_folder(folder))


class TestFolderReportSinkHmac(ReportSinkContract):
    __test__ = True

    @pytest.fixture
    def rig(self, tmp_path: Path) -> Rig:
        folder = tmp_path / "outbox"
        options = {"folder": str(folder), "signature": "hmac", "secret": SECRET}
        backend = _create("report_sink", "folder", options, tmp_path)

        def received() -> list[dict[str, Any]]:
            if not folder.is_dir():
                return []
            return [
                verify_bundle(p, hmac_secret=SECRET.encode())["data"]
                for p in sorted(folder.glob("*.json"))
            ]

        return Rig(backend, received, lambda: _break_folder(folder))
