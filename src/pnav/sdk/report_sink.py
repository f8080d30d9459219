"""The report-sink slot: a report (signalement) goes to a territorial service.

A :class:`Report` is the structured form the operator fills in with the person:
category, facts, dates, place, people involved, whether the person consents to being
contacted and how. It leaves the encrypted channel on purpose, for the service the
directory routed it to. A sink answers a :class:`ReportReceipt` (``sent``,
``acknowledged`` or ``failed``) and does not raise for delivery problems.

Every submission is recorded in an audit log by :class:`AuditedReportSink`, which the
server wraps around whatever sink is configured: who submitted, when, to which
service, through which sink, with what outcome; never the facts.
"""

from __future__ import annotations

import abc
import logging
import threading
from collections.abc import Callable
from dataclasses import asdict, dataclass, field
from datetime import UTC, date, datetime
from typing import Any

from pnav.sdk.directory import Location, Service
from pnav.sdk.dispatcher import check_id, new_id
from pnav.sdk.outcome import Outcome

__all__ = [
    "PERSON_ROLES",
    "AuditError",
    "AuditRecord",
    "AuditedReportSink",
    "Involved",
    "MemoryAuditLog",
    "MemoryReportSink",
    "Report",
    "ReportReceipt",
    "ReportSink",
]

log = logging.getLogger(__name__)

PERSON_ROLES = ("victim", "suspect", "witness", "other")


def _now() -> datetime:
    return datetime.now(UTC)


@dataclass(frozen=True)
class Involved:
    """A person involved, as described by the person reporting."""

    role: str
    description: str

    def __post_init__(self) -> None:
        if self.role not in PERSON_ROLES:
            raise ValueError(f"role {self.role!r} is not one of {', '.join(PERSON_ROLES)}")


@dataclass(frozen=True)
class Report:
    """A report for the territorial service ``service``."""

    conversation: str  # opaque reference, never message text
    category: str
    facts: str
    place: Location
    service: Service
    operator: str
    consent: bool  # the person agrees to be contacted by the service
    contact: str = ""  # how they may be contacted (only with consent)
    first_date: date | None = None
    last_date: date | None = None
    dates: str = ""  # how the person put it ("every weekend since March")
    people: tuple[Involved, ...] = ()
    id: str = field(default_factory=new_id)
    created_at: datetime = field(default_factory=_now)

    def __post_init__(self) -> None:
        check_id(self.id, "a report id")
        if not self.conversation or not self.operator or not self.category:
            raise ValueError("a report needs a conversation reference, an operator, a category")
        if not self.facts.strip():
            raise ValueError("a report needs the facts")
        if self.service.role != "report":
            raise ValueError(f"service {self.service.id!r} does not take reports")
        if self.contact and not self.consent:
            raise ValueError("a contact was given but the person did not consent to contact")
        if self.first_date and self.last_date and self.last_date < self.first_date:
            raise ValueError("last_date is before first_date")
        if self.created_at.tzinfo is None:
            raise ValueError("created_at must be an aware datetime")

    def to_payload(self) -> dict[str, Any]:
        """The JSON form every sink sends (docs/backends-casework.md)."""
        return {
            "id": self.id,
            "created_at": self.created_at.isoformat(),
            "conversation": self.conversation,
            "operator": self.operator,
            "category": self.category,
            "facts": self.facts,
            "first_date": self.first_date.isoformat() if self.first_date else None,
            "last_date": self.last_date.isoformat() if self.last_date else None,
            "dates": self.dates,
            "place": self.place.to_payload(),
            "people": [asdict(p) for p in self.people],
            "consent": self.consent,
            "contact": self.contact,
            "service": self.service.to_payload(),
        }


@dataclass(frozen=True)
class ReportReceipt(Outcome):
    """The outcome of one submission (:class:`~pnav.sdk.outcome.Outcome`) of the report
    ``report_id``; ``id`` names this submission in the audit log."""

    report_id: str = field(kw_only=True)
    id: str = field(default_factory=new_id, kw_only=True)


class ReportSink(abc.ABC):
    """Delivers reports to territorial services."""

    @abc.abstractmethod
    def submit(self, report: Report) -> ReportReceipt:
        """Deliver ``report``; a delivery problem is a ``failed`` receipt."""

    def close(self) -> None:  # noqa: B027 - optional hook
        """Release connections."""


class MemoryReportSink(ReportSink):
    """For tests: records every report; ``failing`` makes submissions fail."""

    def __init__(self, failing: bool = False) -> None:
        self.failing = failing
        self.reports: list[Report] = []
        self._lock = threading.Lock()

    def submit(self, report: Report) -> ReportReceipt:
        with self._lock:
            if self.failing:
                return ReportReceipt("failed", "the test service is down", report_id=report.id)
            self.reports.append(report)
            reference = f"mem-{len(self.reports)}"
            return ReportReceipt("acknowledged", "recorded", reference, report_id=report.id)


@dataclass(frozen=True)
class AuditRecord:
    """One submission, without its content."""

    at: datetime
    operator: str
    report_id: str
    conversation: str
    service_id: str
    sink: str
    status: str
    receipt_id: str
    reference: str | None

    def to_payload(self) -> dict[str, Any]:
        values = asdict(self)
        values["at"] = self.at.isoformat()
        return values


AuditLog = Callable[[AuditRecord], None]


class AuditError(RuntimeError):
    """The report was submitted (see ``receipt``) but the audit log could not record it."""

    def __init__(self, receipt: ReportReceipt, cause: BaseException) -> None:
        super().__init__(f"report {receipt.report_id} was {receipt.status} but not audited")
        self.receipt = receipt
        self.cause = cause


class MemoryAuditLog:
    """An audit log in a list (tests)."""

    def __init__(self) -> None:
        self.records: list[AuditRecord] = []

    def __call__(self, record: AuditRecord) -> None:
        self.records.append(record)


class AuditedReportSink(ReportSink):
    """Wraps a sink: every submission gets an audit record, whatever its outcome, and a
    sink that raises or answers nonsense gives a ``failed`` receipt instead."""

    def __init__(
        self, inner: ReportSink, audit: AuditLog, clock: Callable[[], datetime] = _now
    ) -> None:
        self.inner = inner
        self.audit = audit
        self._clock = clock
        self._name = f"{type(inner).__module__}.{type(inner).__qualname__}"

    def submit(self, report: Report) -> ReportReceipt:
        try:
            receipt = self.inner.submit(report)
            if not isinstance(receipt, ReportReceipt):
                raise TypeError(f"the sink answered a {type(receipt).__name__}")
        except Exception as exc:
            log.error("report sink failed with %s for report %s", type(exc).__name__, report.id)
            receipt = ReportReceipt(
                "failed", f"the sink failed ({type(exc).__name__})", report_id=report.id
            )
        record = AuditRecord(
            at=self._clock(),
            operator=report.operator,
            report_id=report.id,
            conversation=report.conversation,
            service_id=report.service.id,
            sink=self._name,
            status=receipt.status,
            receipt_id=receipt.id,
            reference=receipt.reference,
        )
        try:
            self.audit(record)
        except Exception as exc:
            log.error("audit log failed with %s for report %s", type(exc).__name__, report.id)
            raise AuditError(receipt, exc) from exc
        return receipt

    def close(self) -> None:
        self.inner.close()
