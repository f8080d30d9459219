"""The CSV directory: the shipped data, errors that point at the cell, opening hours."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

import pytest

from pnav.sdk import registry
from pnav.sdk.directory import Directory, OpeningHours, department_of
from pnav.server.casework.directory import (
    CsvDirectory,
    DirectoryDataError,
    dump_csv,
    load_csv,
    packaged,
)

SERVICES_HEADER = (
    "id,role,kind,name,phone,email,address,commune_codes,postal_codes,departments,categories,"
    "example\n"
)
RESOURCES_HEADER = "id,category,name,phone,sms,url,email,description,hours,areas,example\n"


def test_the_national_numbers_ship_and_are_real() -> None:
    directory = CsvDirectory()
    numbers = {r.id: (r.phone, r.sms) for r in directory.resources()}
    assert numbers == {
        "fr-17": ("17", ""),
        "fr-112": ("112", ""),
        "fr-114": ("", "114"),  # by text message
        "fr-3919": ("3919", ""),
        "fr-116006": ("116 006", ""),
        "fr-3018": ("3018", ""),
    }
    assert not any(r.example for r in directory.resources())
    assert directory.emergency_centre("75011") is None  # no services unless given


def test_the_sample_set_is_marked_as_fiction() -> None:
    directory = registry.create("directory", "csv", {"sample": True}, base=Directory)
    assert isinstance(directory, CsvDirectory)
    assert directory.services and all(s.example for s in directory.services)
    for record in [*directory.services, *directory.resources()]:
        if record.example:
            assert "EXEMPLE FICTIF" in record.name
            assert not getattr(record, "phone", ""), "fictional services get no phone number"
            assert record.email.endswith("example.org")
    centre = directory.emergency_centre("35000")
    assert centre is not None and centre.kind == "police"
    assert centre.id == "example-cic-rennes"
    assert [r.id for r in directory.resources("35200", "legal")] == ["example-droit-rennes"]


def _write(tmp_path: Path, text: str, name: str = "data.csv") -> Path:
    path = tmp_path / name
    path.write_text(text, encoding="utf-8")
    return path


@pytest.mark.parametrize(
    ("body", "line", "column", "problem"),
    [
        ("s1,emergncy,police,CIC,,,,,,35,,\n", 2, "role", "is not one of emergency, report"),
        ("s1,report,army,X,,,,,,35,,\n", 2, "kind", "'army' is not one of"),
        ("s1,report,police,X,,,,,,,,\n", 2, "departments", "needs commune_codes"),
        ("s1,report,police,X,,,,,3500,,,\n", 2, "postal_codes", "'3500' is not a postal code"),
        ("s1,report,police,X,,,,,,35 999,,\n", 2, "departments", "'999' is not a department"),
        ("s1,report,police,X,,nobody,,,,35,,\n", 2, "email", "not an email"),
        ("s1,report,police,X,abc,,,,,35,,\n", 2, "phone", "not a phone number"),
        ("s1,report,police,X,,,,,,35,theft,\n", 2, "categories", "'theft' is not a category"),
        ("s1,report,police,X,,,,,,35,,maybe\n", 2, "example", "yes or no"),
        ("s1,report,police,,,,,,,35,,\n", 2, "name", "is empty"),
        ("s1,report,police,X,,,,,,35,,\ns1,report,police,Y,,,,,,35,,\n", 3, "id", "twice"),
        ("s1,report,police,X,,,,,,35\n", 2, None, "10 cells, 12 columns"),
        ('s1,report,police,"X\nY",,,,,,35,,\ns2,report,kaput,X,,,,,,35,,\n', 4, "kind", ""),
    ],
)
def test_bad_service_rows_name_file_line_and_column(
    tmp_path: Path, body: str, line: int, column: str | None, problem: str
) -> None:
    path = _write(tmp_path, SERVICES_HEADER + body)
    with pytest.raises(DirectoryDataError) as err:
        load_csv(path)
    assert (err.value.path, err.value.line, err.value.column) == (path, line, column)
    assert problem in str(err.value)
    assert str(err.value).startswith(f"{path}, line {line}")


@pytest.mark.parametrize(
    ("body", "column", "problem"),
    [
        ("r1,helpline,X,,,,,,,,\n", "category", "'helpline' is not one of"),
        ("r1,legal,X,,,,,,Mo-Fr 9-17,,\n", "hours", "is not a range like 09:00-17:00"),
        ("r1,legal,X,,,,,,Mo-Xy 09:00-17:00,,\n", "hours", "is not a day"),
        ("r1,legal,X,,,ftp://x,,,,,\n", "url", "not an http(s) URL"),
        ("r1,legal,X,,,,,,,Paris,\n", "areas", "'Paris' is not a department or postal code"),
        ("r1,legal,X,,SMS!,,,,,,\n", "sms", "not a phone number"),
    ],
)
def test_bad_resource_rows_name_the_column(
    tmp_path: Path, body: str, column: str, problem: str
) -> None:
    with pytest.raises(DirectoryDataError) as err:
        load_csv(_write(tmp_path, RESOURCES_HEADER + body))
    assert (err.value.line, err.value.column) == (2, column)
    assert problem in err.value.problem


def test_bad_files_are_explained(tmp_path: Path) -> None:
    cases = [
        (_write(tmp_path, "id,role,name,colour\n", "a.csv"), 1, "colour", "unknown column"),
        (_write(tmp_path, "id,role,name\n", "b.csv"), 1, "kind", "missing column"),
        (_write(tmp_path, "id,name\n", "c.csv"), 1, "category", "missing column"),
    ]
    for path, line, column, problem in cases:
        with pytest.raises(DirectoryDataError) as err:
            load_csv(path)
        assert (err.value.line, err.value.column) == (line, column)
        assert problem in str(err.value) and str(path) in str(err.value)
    latin = tmp_path / "latin1.csv"
    latin.write_bytes(
        RESOURCES_HEADER.encode() + "r1,legal,Aide à domicile,,,,,,,,\n".encode("latin-1")
    )
    with pytest.raises(DirectoryDataError, match=r"latin1\.csv.*not UTF-8"):
        load_csv(latin)
    with pytest.raises(DirectoryDataError, match=r"missing\.csv.*cannot read"):
        load_csv(tmp_path / "missing.csv")


def test_a_bad_file_stops_start_up_with_its_name(tmp_path: Path) -> None:
    _write(tmp_path, SERVICES_HEADER + "s1,report,army,X,,,,,,35,,\n", "services.csv")
    with pytest.raises(registry.RegistryError, match=r"services\.csv, line 2, column 'kind'"):
        registry.create("directory", "csv", {"services": "services.csv"}, {"data_dir": tmp_path})
    with pytest.raises(registry.RegistryError, match="unknown options colour"):
        registry.create("directory", "csv", {"colour": "blue"})
    with pytest.raises(registry.RegistryError, match="'sample' must be true or false"):
        registry.create("directory", "csv", {"sample": "yes"})


def test_spreadsheet_exports_load(tmp_path: Path) -> None:
    """A byte-order mark, CRLF line ends, blank lines and ';' separated lists."""
    text = SERVICES_HEADER + "s1,report,gendarmerie,Brigade,,,,,35000;35200,,,oui\n\n"
    path = tmp_path / "excel.csv"
    path.write_bytes(b"\xef\xbb\xbf" + text.replace("\n", "\r\n").encode())
    (service,) = load_csv(path).services
    assert service.postal_codes == ("35000", "35200") and service.example


def test_what_is_dumped_loads_back_the_same(tmp_path: Path) -> None:
    directory = CsvDirectory(sample=True)
    dump_csv(tmp_path / "s.csv", directory.services)
    dump_csv(tmp_path / "r.csv", directory.resource_list)
    again = CsvDirectory([tmp_path / "s.csv"], [tmp_path / "r.csv"], national=False)
    assert again.services == directory.services
    assert again.resource_list == directory.resource_list
    assert load_csv(packaged("sample_services.csv")).services == tuple(directory.services)


def test_a_resource_id_in_two_files_is_refused(tmp_path: Path) -> None:
    dump_csv(tmp_path / "r.csv", CsvDirectory().resource_list[:1])
    with pytest.raises(ValueError, match="fr-17"):
        CsvDirectory(resources=[tmp_path / "r.csv"])


def test_opening_hours() -> None:
    paris = OpeningHours.parse("Mo-Fr 09:00-12:00,14:00-17:30; Sa 10:00-12:00")
    monday_11 = datetime(2024, 1, 8, 10, 0, tzinfo=UTC)  # 11:00 in Paris (winter)
    monday_13 = datetime(2024, 1, 8, 12, 0, tzinfo=UTC)
    saturday_11 = datetime(2024, 1, 13, 10, 0, tzinfo=UTC)
    sunday_11 = datetime(2024, 1, 14, 10, 0, tzinfo=UTC)
    assert paris.is_open(monday_11) is True
    assert paris.is_open(monday_13) is False
    assert paris.is_open(saturday_11) is True
    assert paris.is_open(sunday_11) is False
    night = OpeningHours.parse("Fr-Sa 21:00-02:00")
    assert night.is_open(datetime(2024, 1, 14, 0, 30, tzinfo=UTC)) is True  # Sun 01:30
    assert night.is_open(datetime(2024, 1, 14, 2, 30, tzinfo=UTC)) is False  # Sun 03:30
    weekend = OpeningHours.parse("Sa-Mo 10:00-11:00")  # wraps over Sunday
    assert [d for d in range(7) if weekend.opens_at(d)] == [0, 5, 6]
    assert OpeningHours.parse("").is_open(monday_11) is None
    assert OpeningHours.parse("24/7").is_open(monday_11) is True
    for bad in ("Mo", "Mo 25:00-26:00", "Mo 9:00-10:00", "Someday 10:00-11:00"):
        with pytest.raises(ValueError, match="opening hours"):
            OpeningHours.parse(bad)


def test_departments() -> None:
    cases = {
        "75011": "75",
        "35238": "35",
        "97411": "974",
        "20000": "2A",
        "20200": "2B",
        "2B033": "2B",
        "35": "35",
        "974": "974",
        "": None,
        "Paris": None,
        "7501": None,
    }
    assert {code: department_of(code) for code in cases} == cases
