"""The four casework slots in one import: translator, directory, dispatcher, report sink.

Each slot lives in its own module (``translator``, ``directory``, ``dispatcher``,
``report_sink``); this module gathers their base classes, records and in-memory
implementations for the server and for integrators. Their contract suites are in
:mod:`pnav.sdk.testing.casework`; the built-in backends in ``pnav.server``
(``translators``, ``directory``, ``dispatchers``, ``report_sinks``), registered in the
entry-point groups ``pnav.translator``, ``pnav.directory``, ``pnav.dispatcher`` and
``pnav.report_sink``.
"""

from __future__ import annotations

from pnav.sdk.directory import (
    Directory,
    Location,
    MemoryDirectory,
    OpeningHours,
    Resource,
    Service,
    department_of,
)
from pnav.sdk.dispatcher import (
    Dispatcher,
    DispatchResult,
    Emergency,
    MemoryDispatcher,
    SafeDispatcher,
)
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
from pnav.sdk.translator import (
    MemoryTranslator,
    NoneTranslator,
    SafeTranslator,
    Translation,
    Translator,
    TranslatorError,
)

__all__ = [
    "AuditError",
    "AuditRecord",
    "AuditedReportSink",
    "Directory",
    "DispatchResult",
    "Dispatcher",
    "Emergency",
    "Involved",
    "Location",
    "MemoryAuditLog",
    "MemoryDirectory",
    "MemoryDispatcher",
    "MemoryReportSink",
    "MemoryTranslator",
    "NoneTranslator",
    "OpeningHours",
    "Report",
    "ReportReceipt",
    "ReportSink",
    "Resource",
    "SafeDispatcher",
    "SafeTranslator",
    "Service",
    "Translation",
    "Translator",
    "TranslatorError",
    "department_of",
]
