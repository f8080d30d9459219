"""What a casework backend answers for one hand-over to a receiving end.

:class:`~pnav.sdk.dispatcher.DispatchResult` (an emergency to a centre) and
:class:`~pnav.sdk.report_sink.ReportReceipt` (a report to a service) are both an
:class:`Outcome`: a status, a sentence for the operator, the receiver's reference when
it gave one, and the attempts it took with one short reason per failed attempt (no
personal data), so that the console can show the retries.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Self

__all__ = ["STATUSES", "Outcome"]

# sent: handed over; acknowledged: the receiver's system confirmed it; failed.
STATUSES = ("sent", "acknowledged", "failed")


@dataclass(frozen=True)
class Outcome:
    status: str
    detail: str = ""
    reference: str | None = None  # the receiver's own reference, when it gave one
    attempts: int = 1
    errors: tuple[str, ...] = ()

    def __post_init__(self) -> None:
        if self.status not in STATUSES:
            raise ValueError(f"status {self.status!r} is not one of {', '.join(STATUSES)}")

    @property
    def ok(self) -> bool:
        return self.status != "failed"

    @classmethod
    def of(cls, outcome: Outcome, **extra: Any) -> Self:
        """This kind of outcome with ``outcome``'s fields (and the kind's own, ``extra``)."""
        return cls(
            status=outcome.status,
            detail=outcome.detail,
            reference=outcome.reference,
            attempts=outcome.attempts,
            errors=outcome.errors,
            **extra,
        )
