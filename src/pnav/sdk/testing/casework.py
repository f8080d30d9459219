"""The contracts of the casework slots, as pytest suites an integrator runs on theirs.

Subclass one suite in a test module under a name pytest collects, set ``__test__ =
True`` and give it its fixture:

- :class:`TranslatorContract`: ``translator`` (a working translator) and
  ``broken_translators`` (instances that hang, fail or answer nonsense; may be
  empty); ``translates = False`` for a translator that never translates.
- :class:`DirectoryContract`: ``make_directory(services, resources)`` returning a
  directory holding exactly those records.
- :class:`DispatcherContract` and :class:`ReportSinkContract`: ``rig`` returning a
  :class:`Rig`: the backend, a way to read what the receiving end accepted, and
  optionally a way to make the receiving end fail::

    class TestMyDispatcher(DispatcherContract):
        __test__ = True

        @pytest.fixture
        def rig(self):
            receiver = start_my_receiver()
            yield Rig(MyDispatcher(receiver.url), receiver.payloads, receiver.go_down)
            receiver.stop()

Every built-in backend of these slots runs its suite in
``tests/server/test_casework_contract.py``.
"""

from __future__ import annotations

import json
import time
from collections.abc import Callable
from dataclasses import dataclass, replace
from datetime import UTC, date, datetime
from typing import Any

import pytest

from pnav.sdk.directory import Directory, Location, OpeningHours, Resource, Service
from pnav.sdk.dispatcher import STATUSES, Dispatcher, Emergency, new_id
from pnav.sdk.report_sink import AuditedReportSink, Involved, MemoryAuditLog, Report, ReportSink
from pnav.sdk.translator import REASONS, SafeTranslator, Translation, Translator, is_language_code

__all__ = [
    "CONTRACT_RESOURCES",
    "CONTRACT_SERVICES",
    "DirectoryContract",
    "DispatcherContract",
    "ReportSinkContract",
    "Rig",
    "TranslatorContract",
    "sample_emergency",
    "sample_report",
]

# How long a wrapped broken translator may take beyond its timeout (thread hand-offs).
_SLACK = 2.0


class TranslatorContract:
    __test__ = False
    translates = True

    @pytest.fixture
    def broken_translators(self) -> list[Translator]:
        return []

    def test_translate_answers_a_translation_into_the_target(self, translator: Translator) -> None:
        result = translator.translate("Necesito ayuda", "es", "fr")
        assert isinstance(result, Translation)
        assert (result.source, result.target) == ("es", "fr")
        assert isinstance(result.text, str)
        assert result.translated is self.translates
        if result.translated:
            assert result.text.strip()
        else:
            assert result.text == "Necesito ayuda" and result.reason in REASONS

    def test_detect_answers_a_language_code_or_none(self, translator: Translator) -> None:
        for text in ("Necesito ayuda, por favor", "Help me", "1234"):
            found = translator.detect(text)
            assert found is None or is_language_code(found), found
        if not self.translates:
            assert translator.detect("Necesito ayuda") is None

    def test_languages_are_codes(self, translator: Translator) -> None:
        codes = translator.languages()
        assert isinstance(codes, list) and all(is_language_code(c) for c in codes)

    def test_any_text_survives_the_wrapper(self, translator: Translator) -> None:
        safe = SafeTranslator(translator, timeout=10)
        try:
            for text in ("Je suis là 🙂\nligne 2", "مرحبا", "  ", ""):
                result = safe.translate(text, "fr", "es")
                assert isinstance(result.text, str)
                if not result.translated:
                    assert result.text == text and result.reason in REASONS
            same = safe.translate("Bonjour", "fr", "fr")
            assert (same.text, same.translated, same.reason) == ("Bonjour", False, "same_language")
        finally:
            safe.close()

    def test_a_broken_backend_never_raises_or_blocks_through_the_wrapper(
        self, broken_translators: list[Translator]
    ) -> None:
        for broken in broken_translators:
            safe = SafeTranslator(broken, timeout=0.5, pause_after=100)
            try:
                started = time.monotonic()
                result = safe.translate("Necesito ayuda", "es", "fr")
                assert (result.text, result.translated) == ("Necesito ayuda", False), broken
                assert result.reason in ("timeout", "error", "malformed"), result.reason
                assert safe.detect("Necesito ayuda") is None
                assert safe.languages() == []
                assert time.monotonic() - started < 3 * 0.5 + _SLACK
            finally:
                safe.close()


def _service(id: str, role: str, kind: str, **areas: Any) -> Service:
    return Service(
        id=id, role=role, kind=kind, name=f"Service {id}", email=f"{id}@example.org", **areas
    )


CONTRACT_SERVICES = [
    _service("cic-35-city", "emergency", "police", commune_codes=("35238",)),
    _service("cic-35-postal", "emergency", "police", postal_codes=("35000", "35200")),
    _service("corg-35", "emergency", "gendarmerie", departments=("35",)),
    _service("cic-974", "emergency", "police", departments=("974",)),
    _service("corg-2a", "emergency", "gendarmerie", departments=("2A",)),
    _service("station-35", "report", "police", postal_codes=("35000",)),
    _service("brigade-35", "report", "gendarmerie", departments=("35",)),
    _service("cyber-35", "report", "police", departments=("35",), categories=("cyber_harassment",)),
]
CONTRACT_RESOURCES = [
    Resource("r-17", "emergency", "17", phone="17", hours=OpeningHours.parse("24/7")),
    Resource(
        "r-local-35",
        "victim_support",
        "Aide 35",
        email="a@example.org",
        hours=OpeningHours.parse("Mo-Fr 09:00-17:00"),
        areas=("35",),
    ),
    Resource("r-local-75", "victim_support", "Aide 75", areas=("75",)),
    Resource(
        "r-3018",
        "cyber",
        "3018",
        phone="3018",
        url="https://e-enfance.org",
        hours=OpeningHours.parse("Mo-Su 09:00-23:00"),
    ),
    Resource("r-postal", "legal", "Droit", areas=("35200",), example=True),
]


class DirectoryContract:
    __test__ = False

    @pytest.fixture
    def directory(self, make_directory: Callable[..., Directory]) -> Directory:
        return make_directory(CONTRACT_SERVICES, CONTRACT_RESOURCES)

    def _id(self, service: Service | None) -> str | None:
        return service.id if service else None

    def test_the_most_precise_area_wins(self, directory: Directory) -> None:
        assert self._id(directory.emergency_centre("35000", "35238")) == "cic-35-city"
        assert self._id(directory.emergency_centre(commune_code="35238")) == "cic-35-city"
        assert self._id(directory.emergency_centre("35200")) == "cic-35-postal"
        assert self._id(directory.emergency_centre("35510")) == "corg-35"
        assert self._id(directory.emergency_centre(commune_code="35051")) == "corg-35"

    def test_police_or_gendarmerie_by_area(self, directory: Directory) -> None:
        city = directory.emergency_centre("35000")
        country = directory.emergency_centre("35160")
        assert city is not None and city.kind == "police" and city.role == "emergency"
        assert country is not None and country.kind == "gendarmerie"

    def test_overseas_and_corsica_departments(self, directory: Directory) -> None:
        assert self._id(directory.emergency_centre("97411")) == "cic-974"
        assert self._id(directory.emergency_centre("20000")) == "corg-2a"
        assert self._id(directory.emergency_centre(commune_code="2A004")) == "corg-2a"

    def test_an_unknown_place_has_no_centre(self, directory: Directory) -> None:
        assert directory.emergency_centre("13001") is None
        assert directory.emergency_centre() is None
        assert directory.emergency_centre("not a code") is None

    def test_reports_go_to_territorial_services(self, directory: Directory) -> None:
        assert self._id(directory.report_service("35000")) == "station-35"
        assert self._id(directory.report_service("35510")) == "brigade-35"
        assert self._id(directory.report_service("35000", category="domestic")) == "station-35"
        assert self._id(directory.report_service("13001")) is None

    def test_a_specialised_service_takes_its_category(self, directory: Directory) -> None:
        found = directory.report_service("35000", category="cyber_harassment")
        assert self._id(found) == "cyber-35"

    def test_the_records_come_back_as_given(self, directory: Directory) -> None:
        assert directory.emergency_centre("35200") == CONTRACT_SERVICES[1]
        assert directory.resources(category="cyber") == [CONTRACT_RESOURCES[3]]

    def test_resources_for_an_area_are_national_then_local(self, directory: Directory) -> None:
        ids = [r.id for r in directory.resources("35200")]
        assert ids == ["r-17", "r-3018", "r-local-35", "r-postal"]
        assert [r.id for r in directory.resources("75011")] == ["r-17", "r-3018", "r-local-75"]
        assert [r.id for r in directory.resources("35000", "victim_support")] == ["r-local-35"]
        assert {r.id for r in directory.resources()} == {r.id for r in CONTRACT_RESOURCES}
        assert directory.resources("13001", "legal") == []

    def test_opening_hours_are_kept(self, directory: Directory) -> None:
        (local,) = directory.resources("35000", "victim_support")
        tuesday_noon = datetime(2024, 5, 7, 10, 0, tzinfo=UTC)  # 12:00 in Paris
        sunday = datetime(2024, 5, 5, 10, 0, tzinfo=UTC)
        assert local.is_open(tuesday_noon) is True and local.is_open(sunday) is False
        (police,) = directory.resources(category="emergency")
        assert police.is_open(sunday) is True


@dataclass
class Rig:
    """A backend wired to a receiving end the test can read (and maybe break)."""

    backend: Any  # a Dispatcher or a ReportSink
    received: Callable[[], list[dict[str, Any]]]  # payloads the receiver accepted
    break_receiver: Callable[[], None] | None = None  # later deliveries fail
    carries_details: bool = True  # False: only ids and the service reach the receiver


def sample_emergency(**changes: Any) -> Emergency:
    centre = Service(
        "cic-test", "emergency", "police", "CIC test", email="cic@example.org", departments=("35",)
    )
    values: dict[str, Any] = {
        "conversation": new_id(),
        "location": Location(
            "12 rue des Lilas, 3e étage",
            "35000",
            "35238",
            "Rennes",
            "code porte 1234B, sonner « Martin »",
        ),
        "danger": "Le conjoint menace avec un couteau",
        "people_at_risk": "Une femme et deux enfants (4 et 7 ans)",
        "operator": "op-17",
        "centre": centre,
        "callback": "plateforme : 01 00 00 00 00",
    }
    values.update(changes)
    return Emergency(**values)


def sample_report(**changes: Any) -> Report:
    service = Service(
        "station-test",
        "report",
        "police",
        "Commissariat test",
        email="station@example.org",
        departments=("35",),
    )
    values: dict[str, Any] = {
        "conversation": new_id(),
        "category": "domestic",
        "facts": "Violences répétées du conjoint depuis mars ; menaces de mort le 2 mai.",
        "place": Location("8 allée des Tilleuls", "35200", None, "Rennes"),
        "service": service,
        "operator": "op-17",
        "consent": True,
        "contact": "par téléphone après 18 h",
        "first_date": date(2024, 3, 1),
        "last_date": date(2024, 5, 2),
        "dates": "tous les week-ends depuis mars",
        "people": (Involved("victim", "la personne"), Involved("suspect", "son conjoint")),
    }
    values.update(changes)
    return Report(**values)


def _break(rig: Rig) -> None:
    """Make the receiving end fail, or skip: a backend without one cannot be failed."""
    if rig.break_receiver is None:
        pytest.skip("this backend has no receiving end that can fail (Rig.break_receiver)")
    rig.break_receiver()


def _no_extra_keys(payload: dict[str, Any], expected: dict[str, Any]) -> None:
    assert set(payload) <= set(expected), sorted(set(payload) - set(expected))


class DispatcherContract:
    __test__ = False

    def test_an_emergency_reaches_the_centre(self, rig: Rig) -> None:
        emergency = sample_emergency()
        result = rig.backend.send(emergency)
        assert result.status in ("sent", "acknowledged"), result
        assert result.attempts >= 1 and isinstance(result.errors, tuple)
        (got,) = rig.received()
        _no_extra_keys(got, emergency.to_payload())
        assert got["id"] == emergency.id and got["conversation"] == emergency.conversation
        assert got["centre"]["id"] == "cic-test"
        if rig.carries_details:
            assert got == emergency.to_payload()
        else:
            assert emergency.danger not in json.dumps(got, ensure_ascii=False)

    def test_each_emergency_arrives_once(self, rig: Rig) -> None:
        sent = [sample_emergency(danger=f"danger {i} — ü 🙂") for i in range(3)]
        results = [rig.backend.send(e) for e in sent]
        assert all(r.status in STATUSES and r.ok for r in results)
        assert sorted(p["id"] for p in rig.received()) == sorted(e.id for e in sent)

    def test_a_receiver_that_fails_gives_a_failed_result(self, rig: Rig) -> None:
        _break(rig)
        result = rig.backend.send(sample_emergency())
        assert result.status == "failed" and not result.ok
        assert result.detail and result.errors
        assert rig.received() == []

    def test_the_backend_is_a_dispatcher(self, rig: Rig) -> None:
        assert isinstance(rig.backend, Dispatcher)


class ReportSinkContract:
    __test__ = False

    def test_a_report_reaches_its_service_with_the_consent(self, rig: Rig) -> None:
        report = sample_report()
        receipt = rig.backend.submit(report)
        assert receipt.status in ("sent", "acknowledged"), receipt
        assert receipt.report_id == report.id and receipt.id
        (got,) = rig.received()
        _no_extra_keys(got, report.to_payload())
        assert got["service"]["id"] == "station-test"
        if rig.carries_details:
            assert got == report.to_payload()
            assert got["consent"] is True and got["contact"] == "par téléphone après 18 h"

    def test_a_report_without_consent_says_so(self, rig: Rig) -> None:
        rig.backend.submit(sample_report(consent=False, contact=""))
        (got,) = rig.received()
        if rig.carries_details:
            assert got["consent"] is False and got["contact"] == ""

    def test_each_report_arrives_once(self, rig: Rig) -> None:
        reports = [sample_report(facts=f"faits n°{i} — ü 🙂") for i in range(3)]
        receipts = [rig.backend.submit(r) for r in reports]
        assert all(r.ok for r in receipts) and len({r.id for r in receipts}) == 3
        assert sorted(p["id"] for p in rig.received()) == sorted(r.id for r in reports)

    def test_a_receiver_that_fails_gives_a_failed_receipt(self, rig: Rig) -> None:
        _break(rig)
        receipt = rig.backend.submit(sample_report())
        assert receipt.status == "failed" and receipt.detail and not receipt.ok
        assert rig.received() == []

    def test_every_submission_is_audited_without_the_facts(self, rig: Rig) -> None:
        audit = MemoryAuditLog()
        sink = AuditedReportSink(rig.backend, audit)
        report = sample_report()
        receipt = sink.submit(report)
        (record,) = audit.records
        assert (record.report_id, record.receipt_id, record.status) == (
            report.id,
            receipt.id,
            receipt.status,
        )
        assert (record.service_id, record.operator) == ("station-test", "op-17")
        text = json.dumps(record.to_payload(), ensure_ascii=False)
        for secret in (report.facts, report.contact, report.place.address, "conjoint"):
            assert secret not in text
        if rig.break_receiver is not None:
            rig.break_receiver()
            failed = sink.submit(replace(report, id=new_id()))
            assert audit.records[-1].status == "failed" == failed.status

    def test_the_backend_is_a_report_sink(self, rig: Rig) -> None:
        assert isinstance(rig.backend, ReportSink)
