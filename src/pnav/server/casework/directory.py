"""Built-in directory: services and resources from CSV files (``directory = "csv"``).

Two kinds of file, UTF-8 (a spreadsheet's byte-order mark is fine), one header row,
list cells separated by spaces or ``;``. A file is a services file when its header
has a ``role`` column, else a resources file.

Services (``id``, ``role``, ``kind``, ``name`` required)::

    id, role (emergency | report), kind (police | gendarmerie | other), name,
    phone, email, address, commune_codes (INSEE), postal_codes, departments,
    categories (report categories it takes; empty: all), example (yes | no)

Resources (``id``, ``category``, ``name`` required)::

    id, category (emergency | domestic_violence | victim_support | cyber | child |
    legal | health | shelter | other), name, phone, sms, url, email, description,
    hours (24/7, or like "Mo-Fr 09:00-17:00; Sa 10:00-12:00"), areas (departments or
    postal codes; empty: national), example (yes | no)

Options: ``services`` and ``resources`` (a path or a list; relative to the data
directory), ``national`` (default true: the real national numbers shipped with pnav),
``sample`` (default false: fictional example services, for demos only).
"""

from __future__ import annotations

import csv
import logging
import os
import re
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from importlib.resources import files
from pathlib import Path
from typing import Any

from pnav.sdk.directory import (
    KINDS,
    RESOURCE_CATEGORIES,
    ROLES,
    MemoryDirectory,
    OpeningHours,
    Resource,
    Service,
    department_of,
)
from pnav.sdk.store import WHAT
from pnav.server.options import Options

__all__ = [
    "RESOURCE_COLUMNS",
    "SERVICE_COLUMNS",
    "CsvDirectory",
    "DirectoryConflict",
    "DirectoryData",
    "DirectoryDataError",
    "dump_csv",
    "load_csv",
    "packaged",
]

log = logging.getLogger(__name__)

SERVICE_COLUMNS = (
    *("id", "role", "kind", "name", "phone", "email", "address"),
    *("commune_codes", "postal_codes", "departments", "categories", "example"),
)
RESOURCE_COLUMNS = (
    *("id", "category", "name", "phone", "sms", "url", "email"),
    *("description", "hours", "areas", "example"),
)
_REQUIRED = {"services": ("id", "role", "kind", "name"), "resources": ("id", "category", "name")}
_PHONE = re.compile(r"\+?[0-9][0-9 .]{1,19}")
_POSTAL = re.compile(r"\d{5}")
_COMMUNE = re.compile(r"\d[\dAB]\d{3}")
_EMAIL = re.compile(r"[^@\s]+@[^@\s]+\.[^@\s]+")
_YES_NO = ("yes", "no", "true", "false", "1", "0", "oui", "non")
_MAX_BYTES = 16 * 1024 * 1024


class DirectoryDataError(ValueError):
    """Bad directory data; says which file, line and column."""

    def __init__(self, path: Path, line: int, column: str | None, problem: str) -> None:
        where = f"{path}, line {line}" + (f", column {column!r}" if column else "")
        super().__init__(f"{where}: {problem}")
        self.path, self.line, self.column, self.problem = path, line, column, problem


@dataclass(frozen=True)
class DirectoryData:
    services: tuple[Service, ...] = ()
    resources: tuple[Resource, ...] = ()


def imported_dir(data_dir: Path) -> Path:
    """Where ``pnav directory import`` keeps the CSV files the csv directory loads."""
    return data_dir / "directory"


class DirectoryConflict(ValueError):
    """The file is fine alone but the directory would not load with it (an id that
    another file already has, say): the server would not start."""


def import_csv(
    path: str | Path, data_dir: Path, options: dict[str, Any] | None = None
) -> DirectoryData:
    """Check a CSV file (:class:`DirectoryDataError` names file, line and column) and
    copy it into the data directory, replacing a file of the same name. With the
    deployment's csv directory ``options``, the directory is first loaded as the next
    start would load it, with this file among the others (:class:`DirectoryConflict`).
    Nothing is copied when there is a problem."""
    source = Path(path)
    data = load_csv(source)
    target_dir = imported_dir(data_dir)
    target_dir.mkdir(parents=True, exist_ok=True)
    target = target_dir / source.name
    tmp = target.with_name(f".{target.name}.tmp")
    tmp.write_bytes(source.read_bytes())
    try:
        if options is not None:
            _load_with(tmp, target.name, data_dir, options)
        os.replace(tmp, target)
    finally:
        tmp.unlink(missing_ok=True)
    return data


def _load_with(staged: Path, name: str, data_dir: Path, options: dict[str, Any]) -> None:
    """Load the directory as the server would, ``staged`` standing for ``name``."""
    others = [p for p in sorted(imported_dir(data_dir).glob("*.csv")) if p.name != name]
    opts = {**options, "imported": False}
    given = opts.get("services") or []
    opts["services"] = [*(given if isinstance(given, list) else [given]), *others, staged]
    try:
        CsvDirectory.from_options(opts, {"data_dir": data_dir})
    except DirectoryDataError:
        raise
    except (ValueError, TypeError, OSError) as exc:
        raise DirectoryConflict(f"with the files already imported: {exc}") from exc


def packaged(name: str) -> Path:
    """A CSV file shipped with pnav (``national_resources.csv``, ``sample_services.csv``,
    ``sample_resources.csv``)."""
    return Path(str(files("pnav.server.casework") / "data" / "directory" / name))


def _split(cell: str) -> tuple[str, ...]:
    return tuple(part for part in re.split(r"[\s;]+", cell.strip()) if part)


def _yes(cell: str) -> bool:
    value = cell.strip().lower()
    if value not in ("", "yes", "no", "true", "false", "1", "0", "oui", "non"):
        raise ValueError(f"{cell!r} is not yes or no")
    return value in ("yes", "true", "1", "oui")


def _is_dept(value: str) -> bool:
    return len(value) <= 3 and department_of(value) == value.upper()


# A check returns the problem with a cell, or None.
Check = Callable[[str], str | None]


def _one_of(choices: Sequence[str]) -> Check:
    return lambda v: None if v in choices else f"{v!r} is not one of {', '.join(choices)}"


def _optional(ok: Callable[[str], object], what: str) -> Check:
    return lambda v: None if not v or ok(v) else f"{v!r} is not {what}"


def _each(ok: Callable[[str], object], what: str) -> Check:
    return lambda v: next((f"{x!r} is not {what}" for x in _split(v) if not ok(x)), None)


_PHONE_CHECK = _optional(_PHONE.fullmatch, "a phone number")
_CHECKS: dict[str, dict[str, Check]] = {
    "services": {
        "role": _one_of(ROLES),
        "kind": _one_of(KINDS),
        "phone": _PHONE_CHECK,
        "email": _optional(_EMAIL.fullmatch, "an email address"),
        "commune_codes": _each(_COMMUNE.fullmatch, "an INSEE commune code"),
        "postal_codes": _each(_POSTAL.fullmatch, "a postal code"),
        "departments": _each(_is_dept, "a department code"),
        "categories": _each(WHAT.__contains__, f"a category ({', '.join(WHAT)})"),
        "example": _optional(lambda v: v.lower() in _YES_NO, "yes or no"),
    },
    "resources": {
        "category": _one_of(RESOURCE_CATEGORIES),
        "phone": _PHONE_CHECK,
        "sms": _PHONE_CHECK,
        "url": _optional(lambda v: v.startswith(("https://", "http://")), "an http(s) URL"),
        "email": _optional(_EMAIL.fullmatch, "an email address"),
        "areas": _each(
            lambda v: _is_dept(v) or _POSTAL.fullmatch(v), "a department or postal code"
        ),
        "example": _optional(lambda v: v.lower() in _YES_NO, "yes or no"),
    },
}


def _record(kind: str, cell: dict[str, str]) -> Service | Resource:
    """A record from a checked row; raises _CellError."""
    for column, check in _CHECKS[kind].items():
        problem = check(cell.get(column, ""))
        if problem:
            raise _CellError(column, problem)
    get = cell.get
    if kind == "resources":
        try:
            hours = OpeningHours.parse(get("hours", ""))
        except ValueError as exc:
            raise _CellError("hours", str(exc)) from None
        return Resource(
            id=cell["id"],
            category=cell["category"],
            name=cell["name"],
            phone=get("phone", ""),
            sms=get("sms", ""),
            url=get("url", ""),
            email=get("email", ""),
            description=get("description", ""),
            hours=hours,
            areas=_split(get("areas", "").upper()),
            example=_yes(get("example", "")),
        )
    if not any(get(c, "") for c in ("commune_codes", "postal_codes", "departments")):
        raise _CellError(
            "departments", "a service needs commune_codes, postal_codes or departments"
        )
    return Service(
        id=cell["id"],
        role=cell["role"],
        kind=cell["kind"],
        name=cell["name"],
        phone=get("phone", ""),
        email=get("email", ""),
        address=get("address", ""),
        commune_codes=_split(get("commune_codes", "").upper()),
        postal_codes=_split(get("postal_codes", "")),
        departments=_split(get("departments", "").upper()),
        categories=_split(get("categories", "")),
        example=_yes(get("example", "")),
    )


class _CellError(Exception):
    def __init__(self, column: str, problem: str) -> None:
        super().__init__(problem)
        self.column, self.problem = column, problem


def load_csv(path: str | Path) -> DirectoryData:
    """Services or resources from one CSV file; :class:`DirectoryDataError` names the
    file, line and column of the first problem."""
    path = Path(path)
    try:
        if path.stat().st_size > _MAX_BYTES:
            raise DirectoryDataError(path, 0, None, "the file is larger than 16 MiB")
        text = path.read_text(encoding="utf-8-sig")
    except UnicodeDecodeError as exc:
        raise DirectoryDataError(path, 0, None, f"not UTF-8 ({exc.reason})") from None
    except OSError as exc:
        raise DirectoryDataError(path, 0, None, f"cannot read it ({exc.strerror})") from None
    reader = csv.reader(text.splitlines(keepends=True))
    header = [h.strip().lower() for h in next(reader, [])]
    kind = "services" if "role" in header else "resources"
    columns = SERVICE_COLUMNS if kind == "services" else RESOURCE_COLUMNS
    for name in header:
        if name not in columns:
            raise DirectoryDataError(path, 1, name, f"unknown column for a {kind} file")
    for name in _REQUIRED[kind]:
        if name not in header:
            raise DirectoryDataError(path, 1, name, f"missing column in a {kind} file")
    made: list[Any] = []
    ids: set[str] = set()
    for row in reader:
        line = reader.line_num
        if not any(cell.strip() for cell in row):
            continue
        if len(row) != len(header):
            raise DirectoryDataError(path, line, None, f"{len(row)} cells, {len(header)} columns")
        cell = {name: value.strip() for name, value in zip(header, row, strict=True)}
        for name in _REQUIRED[kind]:
            if not cell[name]:
                raise DirectoryDataError(path, line, name, "is empty")
        if cell["id"] in ids:
            raise DirectoryDataError(path, line, "id", f"{cell['id']!r} appears twice")
        ids.add(cell["id"])
        try:
            made.append(_record(kind, cell))
        except _CellError as exc:
            raise DirectoryDataError(path, line, exc.column, exc.problem) from None
    if kind == "services":
        return DirectoryData(services=tuple(made))
    return DirectoryData(resources=tuple(made))


def dump_csv(path: str | Path, records: Sequence[Service] | Sequence[Resource]) -> None:
    """Write services or resources in the format :func:`load_csv` reads."""
    is_service = bool(records) and isinstance(records[0], Service)
    columns = SERVICE_COLUMNS if is_service else RESOURCE_COLUMNS
    with open(path, "w", encoding="utf-8", newline="") as fh:
        writer = csv.writer(fh)
        writer.writerow(columns)
        for record in records:
            row = []
            for name in columns:
                value = getattr(record, name)
                if isinstance(value, tuple):
                    value = " ".join(value)
                elif isinstance(value, bool):
                    value = "yes" if value else "no"
                elif isinstance(value, OpeningHours):
                    value = value.text
                row.append(value)
            writer.writerow(row)


class CsvDirectory(MemoryDirectory):
    """Services and resources read from CSV files once, at start."""

    @classmethod
    def from_options(cls, options: dict[str, Any], context: dict[str, Any]) -> CsvDirectory:
        opts = Options("csv directory", options, context)
        services = opts.paths("services")
        resources = opts.paths("resources")
        national = opts.boolean("national", True)
        sample = opts.boolean("sample", False)
        imported = opts.boolean("imported", True)
        opts.done()
        if imported and "data_dir" in context:
            # What `pnav directory import` put in the data directory, already checked.
            services = [*services, *sorted(imported_dir(Path(context["data_dir"])).glob("*.csv"))]
        return cls(services, resources, national=national, sample=sample)

    def __init__(
        self,
        services: Iterable[str | Path] = (),
        resources: Iterable[str | Path] = (),
        *,
        national: bool = True,
        sample: bool = False,
    ) -> None:
        files_: list[Path] = []
        if national:
            files_.append(packaged("national_resources.csv"))
        if sample:
            files_ += [packaged("sample_services.csv"), packaged("sample_resources.csv")]
        files_ += [Path(p) for p in (*services, *resources)]
        found_services: list[Service] = []
        found_resources: list[Resource] = []
        for file in files_:
            data = load_csv(file)
            found_services += data.services
            found_resources += data.resources
        rids = [r.id for r in found_resources]
        dupes = sorted({i for i in rids if rids.count(i) > 1})
        if dupes:
            raise ValueError(f"csv directory: resource ids in several files: {', '.join(dupes)}")
        super().__init__(found_services, found_resources)
        if sample:
            log.warning("directory: sample data loaded: its local services are fictional")
        log.info(
            "directory: %d services, %d resources from %d files",
            len(found_services),
            len(found_resources),
            len(files_),
        )
