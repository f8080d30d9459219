"""A frozen settings object, read from a TOML file and/or ``PNAV_*`` environment variables."""

from __future__ import annotations

import json
import os
import secrets
import tomllib
from collections.abc import Mapping
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from pnav.sdk.opening_hours import OpeningHours
from pnav.server.partners import Partner, PartnerError, parse_partner

__all__ = ["Settings", "SettingsError"]


class SettingsError(ValueError):
    """A setting is missing or wrong; the message says which and why."""


def _origin(value: str) -> str:
    parts = urlsplit(value.strip())
    if parts.scheme not in ("http", "https") or not parts.netloc or parts.path not in ("", "/"):
        raise SettingsError(f"partner origin {value!r} must look like https://example.org")
    return f"{parts.scheme}://{parts.netloc}".lower()


@dataclass(frozen=True)
class Settings:
    """Everything the server needs to know; passed to ``create_app`` and never mutated."""

    data_dir: Path
    secret_key: bytes
    # partner id -> origins allowed to ask for a ticket on its behalf
    partners: Mapping[str, tuple[str, ...]] = field(default_factory=dict)
    # partner id -> its display settings ([partners.<id>] tables: pnav.server.partners)
    partner_profiles: Mapping[str, Partner] = field(default_factory=dict)
    database: Path | None = None
    # Public base URL (https://chat.example.org) when behind a proxy; else taken from requests.
    public_url: str | None = None
    max_body_chars: int = 64 * 1024
    ticket_max_age: int = 120
    person_token_max_age: int = 24 * 3600
    console_session_max_age: int = 12 * 3600
    secure_cookies: bool = True
    # A person with no socket for this long shows as "gone" instead of "reconnecting".
    person_gone_after: int = 120
    # An operator with no console for this long: their conversations need a supervisor.
    operator_grace: int = 300
    # An open conversation with no message and no person connected closes after this.
    idle_close_hours: int = 72
    # Closed conversations are purged this long after they closed.
    retention_days: int = 30
    # How often the server runs presence, idle and retention checks (seconds).
    maintenance_every: int = 10
    # Sockets (docs/deploy.md, "Limits"): a person socket must say hello within
    # hello_timeout seconds; a peer that leaves a frame unread for send_deadline seconds
    # is disconnected (it resumes later); websockets per process and per address.
    hello_timeout: int = 10
    # `pnav serve`: the request line and headers must arrive within this (seconds).
    header_timeout: int = 10
    send_deadline: int = 10
    max_sockets: int = 5000
    max_sockets_per_address: int = 50
    # Reverse proxies in front of pnav that set X-Forwarded-For (nginx: 1); the address
    # limits then count the person's address, not the proxy's.
    trusted_proxies: int = 0
    # A DANGER conversation waiting this long alerts every operator again (seconds).
    danger_realert_after: int = 60
    # When operators are on duty (OpenStreetMap opening_hours subset, sdk/opening_hours.py)
    # in service_timezone; outside them the chat says so before the pre-chat.
    service_hours: str = "24/7"
    service_timezone: str = "Europe/Paris"
    # Within the hours but no operator connected: "tell" the person before the pre-chat
    # (emergency numbers, when to come back), or "queue" them for whoever connects next.
    when_nobody_on_duty: str = "tell"
    # Backends (docs/backends.md): a short name or "module:Class", and its options.
    store: str = "sqlite"
    store_options: Mapping[str, Any] = field(default_factory=dict)
    broker: str = "inprocess"
    broker_options: Mapping[str, Any] = field(default_factory=dict)
    router: str = "queue"
    router_options: Mapping[str, Any] = field(default_factory=dict)
    # Casework (docs/backends-casework.md); "" means not configured.
    translator: str = "none"
    translator_options: Mapping[str, Any] = field(default_factory=dict)
    directory: str = "csv"
    directory_options: Mapping[str, Any] = field(default_factory=dict)
    dispatcher: str = ""
    dispatcher_options: Mapping[str, Any] = field(default_factory=dict)
    report_sink: str = ""
    report_sink_options: Mapping[str, Any] = field(default_factory=dict)
    # Operations (docs/operations.md): metrics on a path of this server and/or on a
    # listener of their own ("127.0.0.1:9400"), both behind a bearer token.
    metrics_path: str = ""
    metrics_listen: str = ""
    metrics_token: str = ""
    # How often the readiness checks run (seconds), and how long a danger conversation
    # may wait for an answer before the supervisors' alarm (seconds).
    health_every: int = 5
    danger_answer_limit: int = 180
    # Abuse limits (docs/deploy.md, "Limits"): per address (hashed, never stored in
    # clear), per conversation, per account. "" storage: in memory for one process, or
    # the Redis of a "redis" broker, so that every process shares the counts.
    limits_storage: str = ""
    tickets_per_address_per_minute: int = 30
    conversations_per_address_per_hour: int = 20
    # Proof of work for a new conversation (ALTCHA): hashes a browser tries, half on average.
    proof_of_work_max_number: int = 50_000
    messages_per_conversation_per_minute: int = 30
    conversation_bytes_per_day: int = 4 * 1024 * 1024
    logins_per_account_per_hour: int = 10
    logins_per_address_per_hour: int = 30
    # Argon2id checks of passwords running at once (each takes 64 MiB); more wait.
    login_concurrency: int = 2
    resume_codes_per_address_per_hour: int = 10
    # Conversations a supervisor may close as abuse in one action.
    abuse_close_max: int = 1000

    @property
    def database_path(self) -> Path:
        return self.database or self.data_dir / "pnav.sqlite3"

    def with_partner(self, partner: str, *origins: str) -> Settings:
        partners = dict(self.partners)
        partners[partner] = tuple(_origin(o) for o in origins)
        profiles = dict(self.partner_profiles)
        profiles[partner] = replace(
            profiles.get(partner) or Partner(partner, ()), origins=partners[partner]
        )
        return replace(self, partners=partners, partner_profiles=profiles)

    def partner(self, partner: str) -> Partner | None:
        """This partner's settings, or None if it is not a partner of this server."""
        profile = self.partner_profiles.get(partner)
        if profile is None and partner in self.partners:
            profile = Partner(partner, self.partners[partner])
        return profile

    @classmethod
    def load(
        cls,
        toml_path: str | Path | None = None,
        environ: Mapping[str, str] | None = None,
        **overrides: Any,
    ) -> Settings:
        """Read a TOML file (if given), then ``PNAV_*`` variables, then keyword overrides."""
        env = os.environ if environ is None else environ
        raw: dict[str, Any] = {}
        if toml_path is not None:
            try:
                with open(toml_path, "rb") as fh:
                    raw.update(tomllib.load(fh))
            except (OSError, tomllib.TOMLDecodeError) as exc:
                raise SettingsError(f"cannot read settings file {toml_path}: {exc}") from exc
        for key in (
            "data_dir",
            "database",
            "public_url",
            "secret_key",
            "limits_storage",
            *_SLOTS,
            *_SERVICE,
        ):
            if f"PNAV_{key.upper()}" in env:
                raw[key] = env[f"PNAV_{key.upper()}"]
        for slot in _SLOTS:
            name = f"PNAV_{slot.upper()}_OPTIONS"
            if name in env:
                try:
                    raw[f"{slot}_options"] = json.loads(env[name])
                except ValueError as exc:
                    raise SettingsError(f"{name} must be a JSON object: {exc}") from exc
        if "PNAV_PARTNERS" in env:
            raw["partners"] = _parse_partner_env(env["PNAV_PARTNERS"])
        for key in _NUMBERS:
            if f"PNAV_{key.upper()}" in env:
                raw[key] = env[f"PNAV_{key.upper()}"]
        for key in _OPS_STRINGS:
            if f"PNAV_{key.upper()}" in env:
                raw[key] = env[f"PNAV_{key.upper()}"]
        if "PNAV_SECURE_COOKIES" in env:
            raw["secure_cookies"] = env["PNAV_SECURE_COOKIES"].lower() not in ("0", "false", "no")
        raw.update(overrides)
        return cls._from_raw(raw)

    @classmethod
    def _from_raw(cls, raw: dict[str, Any]) -> Settings:
        known = set(cls.__dataclass_fields__) - {"partner_profiles"}  # read from partners
        unknown = sorted(set(raw) - known)
        if unknown:
            raise SettingsError(f"unknown settings: {', '.join(unknown)}")
        if "data_dir" not in raw:
            raise SettingsError("data_dir is required (PNAV_DATA_DIR or data_dir in the TOML file)")
        data_dir = Path(raw["data_dir"])
        partners_raw = raw.get("partners", {})
        if not isinstance(partners_raw, Mapping):
            raise SettingsError("partners must map a partner id to its origins")
        profiles: dict[str, Partner] = {}
        for pid, spec in partners_raw.items():
            try:
                profiles[str(pid)] = parse_partner(str(pid), spec)
            except PartnerError as exc:
                raise SettingsError(str(exc)) from exc
        partners = {pid: p.origins for pid, p in profiles.items()}
        secret = raw.get("secret_key")
        secret_key = (
            secret.encode() if isinstance(secret, str) else secret or _secret_from(data_dir)
        )
        values = {k: v for k, v in raw.items() if k not in ("data_dir", "partners", "secret_key")}
        for key in ("database",):
            if key in values and values[key] is not None:
                values[key] = Path(values[key])
        for key, least in _NUMBERS.items():
            if key in values:
                values[key] = _number(key, values[key], least)
        for slot in _SLOTS:
            name = values.get(slot, "x")
            if not isinstance(name, str) or (not name and slot not in _OPTIONAL_SLOTS):
                raise SettingsError(f"{slot} must be a backend name or module:Class")
            if not isinstance(values.get(f"{slot}_options", {}), Mapping):
                raise SettingsError(f"{slot}_options must be a table of options")
        _check_metrics(values)
        _check_service(values)
        return cls(
            data_dir=data_dir,
            secret_key=secret_key,
            partners=partners,
            partner_profiles=profiles,
            **values,
        )


# Operations settings read from PNAV_<NAME> (docs/operations.md).
_OPS_STRINGS = ("metrics_path", "metrics_listen", "metrics_token")
# Paths the metrics may not take: the person's and the console's.
_TAKEN_PATHS = ("/api", "/widget", "/ws", "/console", "/healthz", "/readyz")


def _check_metrics(values: dict[str, Any]) -> None:
    for key in _OPS_STRINGS:
        if not isinstance(values.get(key, ""), str):
            raise SettingsError(f"{key} must be a string")
    path, listen = values.get("metrics_path", ""), values.get("metrics_listen", "")
    if path and (
        not path.startswith("/")
        or any(path == p or path.startswith(p + "/") for p in _TAKEN_PATHS)
        or not path[1:].replace("/", "").replace("-", "").replace("_", "").isalnum()
    ):
        raise SettingsError(
            f"metrics_path {path!r} must be a path such as /metrics, away from the "
            "person's and the console's routes"
        )
    if listen:
        host, sep, port = listen.rpartition(":")
        if not sep or not host or not port.isdigit() or not 0 < int(port) < 65536:
            raise SettingsError(f"metrics_listen {listen!r} must be host:port (127.0.0.1:9400)")
    if (path or listen) and len(values.get("metrics_token", "")) < 16:
        raise SettingsError(
            "metrics need a metrics_token of at least 16 characters (PNAV_METRICS_TOKEN)"
        )


# Backend slots chosen in settings (each with a `<slot>_options` table).
_SLOTS = ("store", "broker", "router", "translator", "directory", "dispatcher", "report_sink")
# Slots that may be left empty (the feature is then off, and says so when used).
_OPTIONAL_SLOTS = ("dispatcher", "report_sink")

# The service hours and their time zone (text settings, checked by _check_service).
_SERVICE = ("service_hours", "service_timezone", "when_nobody_on_duty")


def _check_service(values: Mapping[str, Any]) -> None:
    if values.get("when_nobody_on_duty", "tell") not in ("tell", "queue"):
        raise SettingsError("when_nobody_on_duty must be tell or queue")
    hours = values.get("service_hours", "24/7")
    tz = values.get("service_timezone", "Europe/Paris")
    if not isinstance(hours, str) or not hours.strip() or not isinstance(tz, str):
        raise SettingsError("service_hours must be opening hours such as 24/7 or Mo-Fr 08:00-20:00")
    try:
        ZoneInfo(tz)
    except (ZoneInfoNotFoundError, ValueError) as exc:
        raise SettingsError(f"service_timezone {tz!r} is not a known time zone") from exc
    try:
        OpeningHours.parse(hours, tz)
    except ValueError as exc:
        raise SettingsError(f"service_hours: {exc}") from exc


# Whole-number settings and their smallest allowed value.
_NUMBERS = {
    "max_body_chars": 100,
    "ticket_max_age": 10,
    "person_token_max_age": 60,
    "console_session_max_age": 60,
    "person_gone_after": 5,
    "operator_grace": 5,
    "idle_close_hours": 1,
    "retention_days": 1,
    "maintenance_every": 1,
    "hello_timeout": 1,
    "header_timeout": 1,
    "send_deadline": 1,
    "max_sockets": 1,
    "max_sockets_per_address": 1,
    "trusted_proxies": 0,
    "health_every": 1,
    "danger_answer_limit": 10,
    "danger_realert_after": 5,
    "tickets_per_address_per_minute": 1,
    "conversations_per_address_per_hour": 1,
    "proof_of_work_max_number": 1000,
    "messages_per_conversation_per_minute": 1,
    "conversation_bytes_per_day": 64 * 1024,
    "logins_per_account_per_hour": 1,
    "logins_per_address_per_hour": 1,
    "login_concurrency": 1,
    "resume_codes_per_address_per_hour": 1,
    "abuse_close_max": 1,
}


def _number(key: str, value: Any, least: int) -> int:
    try:
        number = int(value) if isinstance(value, str) else value
    except ValueError:
        number = None
    if isinstance(number, bool) or not isinstance(number, int) or number < least:
        raise SettingsError(f"{key} must be a whole number of at least {least}, not {value!r}")
    return number


def _parse_partner_env(text: str) -> dict[str, list[str]]:
    """``demo=https://a.example,https://b.example;other=https://c.example``."""
    partners: dict[str, list[str]] = {}
    for chunk in filter(None, (c.strip() for c in text.split(";"))):
        pid, sep, origins = chunk.partition("=")
        if not sep or not pid.strip():
            raise SettingsError(f"PNAV_PARTNERS entry {chunk!r} must be id=origin[,origin]")
        partners[pid.strip()] = [o for o in origins.split(",") if o.strip()]
    return partners


def _secret_from(data_dir: Path) -> bytes:
    """The signing secret lives in the data directory, made on first start (mode 0600)."""
    path = data_dir / "secret_key"
    try:
        data_dir.mkdir(parents=True, exist_ok=True)
        if not path.exists():
            fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
            with os.fdopen(fd, "w") as fh:
                fh.write(secrets.token_hex(32))
        return path.read_text().strip().encode()
    except OSError as exc:
        raise SettingsError(f"cannot read or create {path}: {exc}") from exc
