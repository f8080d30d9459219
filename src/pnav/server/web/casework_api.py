"""The console's casework endpoints: emergencies, reports, referral resources.

Routes are declared in console.py (which checks the session and, for ``POST``, the
console's own origin); these handlers parse (casework_forms.py) and delegate to the
backends the app built (``state().casework``):

- ``GET /console/api/casework``: which of the emergency dispatcher and the report sink
  are configured, so the console says so before anyone fills a form in.
- ``GET /console/api/centre?postal_code=&commune_code=``: the competent operational
  centre, shown while the operator types the place.
- ``GET /console/api/service?postal_code=&commune_code=&category=``: the territorial
  service a report would go to.
- ``POST /console/api/emergency``: directory → ``SafeDispatcher.send``, which blocks
  through the backend's bounded retries (the chat socket is another request and goes
  on meanwhile) → the result with every attempt's error.
- ``POST /console/api/report``: directory → ``AuditedReportSink.submit`` (every
  submission is in the audit log) → the receipt.
- ``GET /console/api/resources?postal_code=&category=``: national resources, and
  those local to the postal code, each with whether it is open now.

A delivery that was attempted is a ``200`` whatever its outcome (``status``: ``sent``,
``acknowledged`` or ``failed``, with ``attempts`` and ``errors``); ``400`` names the
field that is wrong, ``403``/``404`` the conversation, ``422`` a place no centre or
service covers, ``503`` a backend that is not configured, ``500`` a report that went out
but could not be audited (the receipt comes with it). A look-up that finds nothing
answers ``{"centre": null, "message": …}``.

What an operator writes in these forms leaves the encrypted channel on purpose, for
the centre or the service (docs/backends-casework.md); it is never logged here: the
log says which emergency or report went to which service, and how it ended.
"""

from __future__ import annotations

import datetime as dt
import logging
from dataclasses import replace
from typing import Any

from flask import Response, jsonify, request

from pnav.sdk.directory import Resource, Service
from pnav.sdk.dispatcher import Emergency
from pnav.sdk.report_sink import AuditError, Report, ReportReceipt
from pnav.sdk.store import WHAT, Conversation, Operator
from pnav.server.casework.forms import (
    FormError,
    parse_area,
    parse_emergency,
    parse_report,
    parse_resource_query,
)
from pnav.server.web.state import state

__all__ = ["centre", "emergency", "overview", "report", "resources", "service"]

log = logging.getLogger(__name__)


class _Refused(Exception):
    def __init__(self, status: int, message: str, field: str | None = None) -> None:
        super().__init__(message)
        self.status, self.message, self.field = status, message, field


def _answer(body: dict[str, Any], status: int = 200) -> Response:
    response = jsonify(body)
    response.status_code = status
    response.headers["Cache-Control"] = "no-store"
    return response


def _refusal(err: _Refused | FormError) -> Response:
    if isinstance(err, FormError):
        return _answer({"error": str(err), "field": err.field}, 400)
    body: dict[str, Any] = {"error": err.message}
    if err.field:
        body["field"] = err.field
    return _answer(body, err.status)


def _service(s: Service) -> dict[str, Any]:
    """What the console shows of a centre or a service (not its email)."""
    return {"id": s.id, "name": s.name, "kind": s.kind, "phone": s.phone, "example": s.example}


def _where(postal: str | None, commune: str | None) -> str:
    return f"commune {commune}" if commune else f"postal code {postal}"


def _conversation(op: Operator, conv_id: str) -> Conversation:
    """The conversation, if ``op`` holds it or is a supervisor."""
    conv = state().store.get_conversation(conv_id)
    if conv is None:
        raise _Refused(404, "no such conversation (closed and purged, or never existed)")
    if op.role != "supervisor" and conv.operator_id != op.id:
        raise _Refused(403, "this conversation is not assigned to you", "conversation")
    return conv


def _json() -> Any:
    data = request.get_json(silent=True)
    if data is None:
        raise _Refused(400, "the body must be a JSON object")
    return data


def overview() -> Response:
    casework = state().casework
    return _answer(
        {"emergency": casework.dispatcher is not None, "report": casework.report_sink is not None}
    )


def _centre(postal: str | None, commune: str | None) -> Service:
    found = state().casework.directory.emergency_centre(postal, commune)
    if found is None:
        raise _Refused(
            422,
            f"no operational centre in the directory covers {_where(postal, commune)}: "
            "call 17 or 112",
            "location.postal_code",
        )
    return found


def _report_service(postal: str | None, commune: str | None, category: str) -> Service:
    found = state().casework.directory.report_service(postal, commune, category)
    if found is None:
        raise _Refused(
            422,
            f"no territorial service in the directory takes {category} reports for "
            f"{_where(postal, commune)}",
            "place.postal_code",
        )
    return found


def centre() -> Response:
    try:
        found = _centre(*parse_area(request.args))
    except FormError as err:
        return _refusal(err)
    except _Refused as err:  # found nothing: an answer, not an error
        return _answer({"centre": None, "message": err.message})
    return _answer({"centre": _service(found)})


def service() -> Response:
    try:
        postal, commune = parse_area(request.args)
        category = request.args.get("category") or "other"
        if category not in WHAT:
            raise FormError("category", f"must be one of {', '.join(WHAT)}")
        found = _report_service(postal, commune, category)
    except FormError as err:
        return _refusal(err)
    except _Refused as err:
        return _answer({"service": None, "message": err.message})
    return _answer({"service": _service(found)})


def emergency(op: Operator) -> Response:
    dispatcher = state().casework.dispatcher
    try:
        if dispatcher is None:
            raise _Refused(
                503,
                "no emergency dispatcher is configured on this server (setting "
                "`dispatcher`): call the operational centre, 17 or 112",
            )
        form = parse_emergency(_json())
        conv = _conversation(op, form.conversation)
        found = _centre(form.location.postal_code, form.location.commune_code)
    except (FormError, _Refused) as err:
        return _refusal(err)
    alert = Emergency(
        conversation=conv.id,
        location=form.location,
        danger=form.danger,
        people_at_risk=form.people_at_risk,
        operator=op.username,
        centre=found,
        callback=form.callback,
    )
    if form.id:  # the console retries a failed one: same id, so a receiver can de-duplicate
        alert = replace(alert, id=form.id)
    result = dispatcher.send(alert)
    state().ops.dispatched(result.status)  # metric, and the floor's alarm when it failed
    log.info(
        "emergency %s to centre %s: %s after %d attempt(s)",
        alert.id,
        found.id,
        result.status,
        result.attempts,
    )
    body = {
        "id": alert.id,
        "conversation": conv.id,
        "status": result.status,
        "detail": result.detail,
        "reference": result.reference,
        "attempts": result.attempts,
        "errors": list(result.errors),
        "centre": _service(found),
    }
    return _answer(body)


def _receipt(report: Report, receipt: ReportReceipt) -> dict[str, Any]:
    return {
        "id": report.id,
        "receipt": receipt.id,
        "conversation": report.conversation,
        "category": report.category,
        "consent": report.consent,
        "status": receipt.status,
        "detail": receipt.detail,
        "reference": receipt.reference,
        "attempts": receipt.attempts,
        "errors": list(receipt.errors),
        "service": _service(report.service),
    }


def report(op: Operator) -> Response:
    sink = state().casework.report_sink
    try:
        if sink is None:
            raise _Refused(
                503,
                "no report sink is configured on this server (setting `report_sink`): "
                "send the report to the service by its usual channel",
            )
        form = parse_report(_json(), dt.date.today())
        conv = _conversation(op, form.conversation)
        category = form.category or conv.what
        found = _report_service(form.place.postal_code, form.place.commune_code, category)
    except (FormError, _Refused) as err:
        return _refusal(err)
    filed = Report(
        conversation=conv.id,
        category=category,
        facts=form.facts,
        place=form.place,
        service=found,
        operator=op.username,
        consent=form.consent,
        contact=form.contact,
        first_date=form.first_date,
        last_date=form.last_date,
        dates=form.dates,
        people=form.people,
    )
    if form.id:
        filed = replace(filed, id=form.id)
    try:
        receipt = sink.submit(filed)
    except AuditError as err:
        state().ops.reported(err.receipt.status)
        body = _receipt(filed, err.receipt)
        body["error"] = (
            f"the report was {err.receipt.status} but the audit log could not record it: "
            "tell the platform's administrator"
        )
        return _answer(body, 500)
    state().ops.reported(receipt.status)
    log.info(
        "report %s to service %s: %s after %d attempt(s)",
        filed.id,
        found.id,
        receipt.status,
        receipt.attempts,
    )
    return _answer(_receipt(filed, receipt))


def _resource(r: Resource, now: dt.datetime) -> dict[str, Any]:
    return {
        "id": r.id,
        "category": r.category,
        "name": r.name,
        "description": r.description,
        "phone": r.phone,
        "sms": r.sms,
        "url": r.url,
        "email": r.email,
        "hours": r.hours.text,
        "open_now": r.is_open(now),
        "national": r.national,
        "example": r.example,
    }


def resources() -> Response:
    try:
        area, category = parse_resource_query(request.args)
    except FormError as err:
        return _refusal(err)
    found = state().casework.directory.resources(area, category)
    if area is None:
        found = [r for r in found if r.national]  # no place given: what serves everywhere
    now = dt.datetime.now(dt.UTC)
    return _answer({"resources": [_resource(r, now) for r in found]})
