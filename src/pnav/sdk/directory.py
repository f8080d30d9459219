"""The directory slot: who is competent where, and where else a person can turn.

A :class:`Service` is an organisation that receives casework: an operational centre
(``role="emergency"``: a police CIC or a gendarmerie CORG) that gets emergencies, or a
territorial service (``role="report"``: a police station or a gendarmerie brigade)
that gets reports. A service covers an area given by INSEE commune codes, postal
codes and/or departments; the most precise match wins (commune, then postal code,
then department).

A :class:`Resource` is something the operator refers a person to (a helpline, an
association): national, or local to some departments or postal codes, with opening
hours.
"""

from __future__ import annotations

import abc
import re
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from pnav.sdk.opening_hours import OpeningHours

__all__ = [
    "KINDS",
    "RESOURCE_CATEGORIES",
    "ROLES",
    "Directory",
    "Location",
    "MemoryDirectory",
    "OpeningHours",
    "Resource",
    "Service",
    "best_service",
    "department_of",
]

ROLES = ("emergency", "report")
KINDS = ("police", "gendarmerie", "other")
RESOURCE_CATEGORIES = (
    "emergency",  # 17, 112, 114
    "domestic_violence",  # 3919
    "victim_support",  # 116 006, local victim-support associations
    "cyber",  # 3018
    "child",
    "legal",  # legal aid, access to rights
    "health",
    "shelter",
    "other",
)


def department_of(code: str | None) -> str | None:
    """The department of a postal code or INSEE commune code (``"75011"`` → ``"75"``,
    ``"97411"`` → ``"974"``, Corsica's postal ``"20000"`` → ``"2A"``), or a department
    code itself."""
    if not code:
        return None
    code = code.strip().upper()
    if re.fullmatch(r"\d[\dAB]|97\d|98\d", code):
        return code
    if not re.fullmatch(r"\d[\dAB]\d{3}", code):
        return None
    if code[:2] in ("97", "98"):
        return code[:3]
    if code.startswith("20") and code.isdigit():  # Corsica by postal code
        return "2A" if int(code) < 20200 else "2B"
    return code[:2]


@dataclass(frozen=True)
class Location:
    """Where something happens, as the operator wrote it down."""

    address: str = ""
    postal_code: str | None = None
    commune_code: str | None = None  # INSEE code of the commune
    city: str = ""
    details: str = ""  # floor, door code, how to get in, landmarks

    def to_payload(self) -> dict[str, Any]:
        return {
            "address": self.address,
            "postal_code": self.postal_code,
            "commune_code": self.commune_code,
            "city": self.city,
            "details": self.details,
        }


@dataclass(frozen=True)
class Service:
    """An organisation that receives emergencies (``role="emergency"``) or reports."""

    id: str
    role: str
    kind: str
    name: str
    phone: str = ""
    email: str = ""
    address: str = ""
    commune_codes: tuple[str, ...] = ()
    postal_codes: tuple[str, ...] = ()
    departments: tuple[str, ...] = ()
    categories: tuple[str, ...] = ()  # report categories it takes; empty: all
    example: bool = False  # fictional sample data, never to be used for real

    def __post_init__(self) -> None:
        if not self.id or not self.name:
            raise ValueError("a service needs an id and a name")
        if self.role not in ROLES:
            raise ValueError(f"role {self.role!r} is not one of {', '.join(ROLES)}")
        if self.kind not in KINDS:
            raise ValueError(f"kind {self.kind!r} is not one of {', '.join(KINDS)}")

    def to_payload(self) -> dict[str, Any]:
        return {
            "id": self.id,
            "role": self.role,
            "kind": self.kind,
            "name": self.name,
            "phone": self.phone,
            "email": self.email,
            "example": self.example,
        }


@dataclass(frozen=True)
class Resource:
    """A helpline or association to refer a person to. ``areas`` empty: national."""

    id: str
    category: str
    name: str
    phone: str = ""
    sms: str = ""
    url: str = ""
    email: str = ""
    description: str = ""
    hours: OpeningHours = field(default_factory=lambda: OpeningHours.parse(""))
    areas: tuple[str, ...] = ()  # departments or postal codes
    example: bool = False

    def __post_init__(self) -> None:
        if not self.id or not self.name:
            raise ValueError("a resource needs an id and a name")
        if self.category not in RESOURCE_CATEGORIES:
            raise ValueError(
                f"category {self.category!r} is not one of {', '.join(RESOURCE_CATEGORIES)}"
            )

    @property
    def national(self) -> bool:
        return not self.areas

    def serves(self, area: str) -> bool:
        """Whether a person in ``area`` (postal code, commune code or department) may
        use it."""
        if self.national:
            return True
        dept = department_of(area)
        return any(a == area or (dept is not None and a == dept) for a in self.areas)

    def is_open(self, at: datetime) -> bool | None:
        return self.hours.is_open(at)


class Directory(abc.ABC):
    """Finds the competent services for a place and the resources for an area."""

    @abc.abstractmethod
    def emergency_centre(
        self, postal_code: str | None = None, commune_code: str | None = None
    ) -> Service | None:
        """The operational centre (police or gendarmerie) for the place, or ``None``
        when the directory does not know it (the operator then calls 17 or 112)."""

    @abc.abstractmethod
    def report_service(
        self,
        postal_code: str | None = None,
        commune_code: str | None = None,
        category: str | None = None,
    ) -> Service | None:
        """The territorial service that takes a report of ``category`` for the place."""

    @abc.abstractmethod
    def resources(self, area: str | None = None, category: str | None = None) -> list[Resource]:
        """National resources and those serving ``area`` (all when ``area`` is None),
        of ``category`` if given: national first, then in the directory's order."""

    def service(self, service_id: str) -> Service | None:
        """A service by id (default: not supported)."""
        return None

    def close(self) -> None:  # noqa: B027 - optional hook
        """Release what the directory holds."""


def best_service(
    services: Iterable[Service],
    role: str,
    postal_code: str | None,
    commune_code: str | None,
    category: str | None = None,
) -> Service | None:
    """A service that names the category beats one that takes every category (it is
    the specialised unit); then the most precise match wins: commune code, then postal
    code, then department; then the first in the directory's order."""
    postal = postal_code.strip() if postal_code else None
    commune = commune_code.strip().upper() if commune_code else None
    depts = {d for d in (department_of(commune), department_of(postal)) if d}
    best: tuple[int, Service] | None = None
    for service in services:
        if service.role != role:
            continue
        if service.categories and (category is None or category not in service.categories):
            continue
        if commune and commune in service.commune_codes:
            score = 30
        elif postal and postal in service.postal_codes:
            score = 20
        elif depts & set(service.departments):
            score = 10
        else:
            continue
        score += 100 if service.categories else 0
        if best is None or score > best[0]:
            best = (score, service)
    return best[1] if best else None


class MemoryDirectory(Directory):
    """Services and resources held in lists (tests, and the base of the CSV directory)."""

    def __init__(
        self, services: Iterable[Service] = (), resources: Iterable[Resource] = ()
    ) -> None:
        self.services = list(services)
        self.resource_list = list(resources)
        ids = [s.id for s in self.services]
        dupes = sorted({i for i in ids if ids.count(i) > 1})
        if dupes:
            raise ValueError(f"duplicate service ids: {', '.join(dupes)}")
        self._by_id = {s.id: s for s in self.services}

    def emergency_centre(
        self, postal_code: str | None = None, commune_code: str | None = None
    ) -> Service | None:
        return best_service(self.services, "emergency", postal_code, commune_code)

    def report_service(
        self,
        postal_code: str | None = None,
        commune_code: str | None = None,
        category: str | None = None,
    ) -> Service | None:
        return best_service(self.services, "report", postal_code, commune_code, category)

    def resources(self, area: str | None = None, category: str | None = None) -> list[Resource]:
        chosen = [
            r
            for r in self.resource_list
            if (category is None or r.category == category) and (area is None or r.serves(area))
        ]
        return [r for r in chosen if r.national] + [r for r in chosen if not r.national]

    def service(self, service_id: str) -> Service | None:
        return self._by_id.get(service_id)
