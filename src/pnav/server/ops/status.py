"""``pnav status``: what ``/readyz`` says, and the floor in numbers, for the person on
call (docs/operations.md, "On call").

Reads the server over HTTP like the monitoring does: ``/readyz``, then the metrics
with the token from the settings (queue, danger, active conversations, staff
connected, alarms up). Exit status: 0 ready, 1 not ready, 2 not reachable.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from dataclasses import dataclass, field
from urllib.error import HTTPError, URLError
from urllib.request import Request, urlopen

from prometheus_client.parser import text_string_to_metric_families

from pnav.server.settings import Settings

__all__ = ["Status", "metrics_url", "read_status", "render"]

_TIMEOUT = 5.0
_FLOOR = {
    "pnav_conversations_waiting": "waiting",
    "pnav_conversations_waiting_danger": "waiting in danger",
    "pnav_conversations_active": "active",
}


@dataclass
class Status:
    reachable: bool
    ready: bool = False
    checks: dict[str, str] = field(default_factory=dict)
    floor: dict[str, int] = field(default_factory=dict)
    operators: dict[str, int] = field(default_factory=dict)
    alarms: list[str] = field(default_factory=list)
    note: str = ""

    @property
    def exit_code(self) -> int:
        return 0 if self.ready else 1 if self.reachable else 2


def metrics_url(settings: Settings, base: str) -> str | None:
    """Where this server's metrics are: its own listener, else its metrics path."""
    if settings.metrics_listen:
        host, _, port = settings.metrics_listen.rpartition(":")
        host = "127.0.0.1" if host in ("0.0.0.0", "::", "[::]") else host  # noqa: S104
        return f"http://{host}:{port}/metrics"
    if settings.metrics_path:
        return base.rstrip("/") + settings.metrics_path
    return None


Fetch = Callable[[Request], tuple[int, bytes]]


def _fetch(request: Request) -> tuple[int, bytes]:
    try:
        with urlopen(request, timeout=_TIMEOUT) as answer:  # noqa: S310 - an http(s) URL we built
            return int(answer.status), bytes(answer.read(1 << 20))
    except HTTPError as err:
        return err.code, err.read(1 << 20)


def read_status(base: str, settings: Settings | None, fetch: Fetch = _fetch) -> Status:
    try:
        code, body = fetch(Request(base.rstrip("/") + "/readyz"))  # noqa: S310 - http(s) base
        answer = json.loads(body)
    except (URLError, OSError, ValueError) as exc:
        return Status(False, note=f"cannot read {base}/readyz: {type(exc).__name__}")
    status = Status(True, ready=code == 200, checks=dict(answer.get("checks", {})))
    url = None if settings is None else metrics_url(settings, base)
    if url is None or settings is None:
        status.note = "metrics are not configured (metrics_path or metrics_listen)"
        return status
    token = {"Authorization": f"Bearer {settings.metrics_token}"}
    request = Request(url, headers=token)  # noqa: S310 - built from settings
    try:
        code, body = fetch(request)
    except (URLError, OSError) as exc:
        status.note = f"cannot read the metrics: {type(exc).__name__}"
        return status
    if code != 200:
        status.note = f"the metrics answered HTTP {code}"
        return status
    for family in text_string_to_metric_families(body.decode()):
        for sample in family.samples:
            if sample.name in _FLOOR:
                status.floor[_FLOOR[sample.name]] = int(sample.value)
            elif sample.name == "pnav_operators_connected":
                status.operators[sample.labels["role"]] = int(sample.value)
            elif sample.name == "pnav_alarm" and sample.value > 0:
                status.alarms.append(sample.labels["kind"])
    return status


def render(base: str, status: Status) -> str:
    if not status.reachable:
        return f"{base}: NOT REACHABLE\n  {status.note}\n"
    lines = [f"{base}: {'ready' if status.ready else 'NOT READY'}"]
    lines += [f"  check {name:<12} {state}" for name, state in status.checks.items()]
    if status.floor:
        lines.append("  queue        " + ", ".join(f"{v} {k}" for k, v in status.floor.items()))
    if status.operators:
        staff = ", ".join(f"{n} {role}(s)" for role, n in sorted(status.operators.items()))
        lines.append(f"  connected    {staff}")
    if status.floor or status.operators:
        lines.append("  alarms       " + (", ".join(status.alarms) or "none"))
    if status.note:
        lines.append(f"  ({status.note})")
    return "\n".join(lines) + "\n"
