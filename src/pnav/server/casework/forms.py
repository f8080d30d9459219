"""The console's casework forms, as data: what an emergency, a report or a look-up
posted by the console says, checked field by field.

Each parser takes the decoded JSON (or query arguments) and answers plain values and
SDK objects, or raises :class:`FormError` naming the field, so the console can put
the message next to it. No Flask here, and no message ever repeats what was typed
in a free-text field: the texts an operator writes about a person in danger do not
belong in errors or logs.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date, timedelta
from typing import Any

from pnav.sdk.directory import RESOURCE_CATEGORIES, Location
from pnav.sdk.dispatcher import check_id
from pnav.sdk.report_sink import PERSON_ROLES, Involved
from pnav.sdk.store import WHAT

__all__ = [
    "MAX_PEOPLE",
    "EmergencyForm",
    "FormError",
    "ReportForm",
    "parse_area",
    "parse_emergency",
    "parse_report",
    "parse_resource_query",
]

_POSTAL = re.compile(r"\d{5}")
_COMMUNE = re.compile(r"\d[\dAB]\d{3}")
# Anything but tab and newline below U+0020, and DEL: nothing a form needs.
_CONTROL = re.compile(r"[\x00-\x08\x0b-\x1f\x7f]")
# Characters a field may hold (the whole request is capped at 64 KiB anyway).
SHORT, MEDIUM, LONG = 200, 2_000, 20_000
MAX_PEOPLE = 20


class FormError(ValueError):
    """A field of a casework form is missing or wrong; ``field`` is its dotted name
    (``location.postal_code``, ``people.1.role``)."""

    def __init__(self, field: str, message: str) -> None:
        super().__init__(f"{field}: {message}")
        self.field = field
        self.message = message


@dataclass(frozen=True)
class EmergencyForm:
    conversation: str
    location: Location
    danger: str
    people_at_risk: str
    callback: str
    id: str | None  # given when the console retries a failed emergency


@dataclass(frozen=True)
class ReportForm:
    conversation: str
    category: str | None  # None: the conversation's own category
    facts: str
    place: Location
    first_date: date | None
    last_date: date | None
    dates: str
    people: tuple[Involved, ...]
    consent: bool
    contact: str
    id: str | None


def _object(data: object, field: str) -> Mapping[str, Any]:
    if not isinstance(data, Mapping):
        raise FormError(field, "must be a JSON object")
    return data


def _text(data: Mapping[str, Any], name: str, field: str, limit: int, *, required: str = "") -> str:
    """A trimmed string; ``required`` is what to say when it is missing or blank."""
    value = data.get(name, "")
    if value is None:
        value = ""
    if not isinstance(value, str):
        raise FormError(field, "must be text")
    value = value.strip()
    if required and not value:
        raise FormError(field, required)
    if len(value) > limit:
        raise FormError(field, f"is longer than {limit} characters")
    if _CONTROL.search(value):
        raise FormError(field, "contains control characters")
    return value


def _code(data: Mapping[str, Any], name: str, field: str) -> str | None:
    value = _text(data, name, field, 20).upper()
    if not value:
        return None
    if name == "postal_code" and not _POSTAL.fullmatch(value):
        raise FormError(field, f"{value!r} is not a postal code (5 digits)")
    if name == "commune_code" and not _COMMUNE.fullmatch(value):
        raise FormError(field, f"{value!r} is not an INSEE commune code (like 35238 or 2A004)")
    return value


def parse_area(args: Mapping[str, Any], prefix: str = "") -> tuple[str | None, str | None]:
    """``(postal_code, commune_code)``, at least one of them given."""
    postal = _code(args, "postal_code", prefix + "postal_code")
    commune = _code(args, "commune_code", prefix + "commune_code")
    if postal is None and commune is None:
        raise FormError(
            prefix + "postal_code",
            "a postal code or an INSEE commune code is required: "
            "it decides which service is competent",
        )
    return postal, commune


def _location(data: object, field: str, *, full: bool) -> Location:
    """A place; ``full`` (an emergency): the address and the city are required too."""
    loc = _object(data, field)
    postal, commune = parse_area(loc, field + ".")
    need = "is required: where must help go?" if full else ""
    return Location(
        address=_text(loc, "address", f"{field}.address", MEDIUM, required=need),
        postal_code=postal,
        commune_code=commune,
        city=_text(loc, "city", f"{field}.city", SHORT, required="is required" if full else ""),
        details=_text(loc, "details", f"{field}.details", MEDIUM),
    )


def _conversation(data: Mapping[str, Any]) -> str:
    conv = data.get("conversation")
    if not isinstance(conv, str) or not conv or len(conv) > 128:
        raise FormError("conversation", "the conversation's id is required")
    return conv


def _retry_id(data: Mapping[str, Any]) -> str | None:
    value = data.get("id")
    if value is None:
        return None
    try:
        check_id(value, "id")
    except ValueError as exc:
        raise FormError("id", str(exc).removeprefix("id ")) from None
    return str(value)


def parse_emergency(data: object) -> EmergencyForm:
    body = _object(data, "body")
    return EmergencyForm(
        conversation=_conversation(body),
        location=_location(body.get("location"), "location", full=True),
        danger=_text(body, "danger", "danger", LONG, required="say what the danger is"),
        people_at_risk=_text(
            body, "people_at_risk", "people_at_risk", MEDIUM, required="say who is at risk"
        ),
        callback=_text(body, "callback", "callback", SHORT),
        id=_retry_id(body),
    )


def _date(body: Mapping[str, Any], name: str, today: date) -> date | None:
    value = body.get(name)
    if value in (None, ""):
        return None
    if not isinstance(value, str):
        raise FormError(name, "must be a date like 2024-05-02")
    try:
        day = date.fromisoformat(value)
    except ValueError:
        raise FormError(name, f"{value[:20]!r} is not a date like 2024-05-02") from None
    # a day of slack: the console's calendar may be ahead of the server's
    if day > today + timedelta(days=1):
        raise FormError(name, "is in the future")
    return day


def _people(value: object) -> tuple[Involved, ...]:
    if value in (None, ""):
        return ()
    if not isinstance(value, list):
        raise FormError("people", "must be a list")
    if len(value) > MAX_PEOPLE:
        raise FormError("people", f"at most {MAX_PEOPLE} people")
    people = []
    for n, raw in enumerate(value, 1):
        person = _object(raw, f"people.{n}")
        role = person.get("role")
        if role not in PERSON_ROLES:
            raise FormError(f"people.{n}.role", f"must be one of {', '.join(PERSON_ROLES)}")
        description = _text(
            person, "description", f"people.{n}.description", MEDIUM, required="describe them"
        )
        people.append(Involved(str(role), description))
    return tuple(people)


def parse_report(data: object, today: date) -> ReportForm:
    body = _object(data, "body")
    category = body.get("category")
    if category in (None, ""):
        category = None
    elif category not in WHAT:
        raise FormError("category", f"must be one of {', '.join(WHAT)}")
    consent = body.get("consent")
    if not isinstance(consent, bool):
        raise FormError("consent", "must be true or false: does the person agree to be contacted?")
    contact = _text(body, "contact", "contact", SHORT)
    if contact and not consent:
        raise FormError("contact", "is only given when the person consents to be contacted")
    first, last = _date(body, "first_date", today), _date(body, "last_date", today)
    if first and last and last < first:
        raise FormError("last_date", "is before first_date")
    return ReportForm(
        conversation=_conversation(body),
        category=category,
        facts=_text(body, "facts", "facts", LONG, required="the facts are required"),
        place=_location(body.get("place"), "place", full=False),
        first_date=first,
        last_date=last,
        dates=_text(body, "dates", "dates", MEDIUM),
        people=_people(body.get("people")),
        consent=consent,
        contact=contact,
        id=_retry_id(body),
    )


def parse_resource_query(args: Mapping[str, Any]) -> tuple[str | None, str | None]:
    """``(area, category)`` of ``GET /console/api/resources``; both optional."""
    area = _code(args, "postal_code", "postal_code")
    category = _text(args, "category", "category", 40) or None
    if category is not None and category not in RESOURCE_CATEGORIES:
        raise FormError("category", f"must be one of {', '.join(RESOURCE_CATEGORIES)}")
    return area, category
