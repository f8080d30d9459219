"""The interface's locale tables (widget/src/locales/<tag>.json): every shipped locale
has exactly the reference's keys, the same placeholders in each string, and no empty text.

English is the reference. Each file has sections: "banner" (the loader on the partner's
page) and "chat" (the chat app, also the referral-card labels the console renders in the
person's language) in every locale; "console" (the operator console) in fr and en, and
when another locale has one it must be complete too.
"""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Any

import pytest

LOCALES = Path(__file__).resolve().parents[2] / "widget" / "src" / "locales"
REFERENCE = "en"
EVERY_LOCALE = ("banner", "chat")
CONSOLE_LOCALES = ("fr", "en")
PLACEHOLDER = re.compile(r"\{(\w+)\}")


def _index() -> dict[str, dict[str, str]]:
    index: dict[str, dict[str, str]] = json.loads((LOCALES / "index.json").read_text("utf-8"))
    return index


def _table(tag: str) -> dict[str, dict[str, Any]]:
    table: dict[str, dict[str, Any]] = json.loads((LOCALES / f"{tag}.json").read_text("utf-8"))
    return table


def _problems(tag: str) -> list[str]:
    """Every difference between a locale's table and the reference, named."""
    ref, table = _table(REFERENCE), _table(tag)
    problems = [f"unknown section {s!r}" for s in sorted(set(table) - set(ref))]
    required = EVERY_LOCALE + (("console",) if tag in CONSOLE_LOCALES else ())
    for section in ref:
        if section not in table:
            if section in required:
                problems.append(f"missing section {section!r}")
            continue
        want, have = ref[section], table[section]
        problems += [f"{section}: missing key {k!r}" for k in want if k not in have]
        problems += [f"{section}: extra key {k!r}" for k in have if k not in want]
        for key in want.keys() & have.keys():
            text = have[key]
            if not isinstance(text, str) or not text.strip():
                problems.append(f"{section}.{key}: empty or not a string")
                continue
            expected = sorted(PLACEHOLDER.findall(want[key]))
            found = sorted(PLACEHOLDER.findall(text))
            if expected != found:
                problems.append(f"{section}.{key}: placeholders {found} instead of {expected}")
    return problems


def test_every_shipped_locale_has_a_file_and_every_file_is_shipped() -> None:
    files = {p.stem for p in LOCALES.glob("*.json")} - {"index"}
    assert set(_index()) == files
    for tag, meta in _index().items():
        assert meta["name"].strip(), tag
        assert meta["dir"] in ("ltr", "rtl"), tag


@pytest.mark.parametrize("tag", sorted(p.stem for p in LOCALES.glob("*.json") if p.stem != "index"))
def test_locale_table_matches_the_reference(tag: str) -> None:
    assert _problems(tag) == []


def test_the_check_names_missing_extra_keys_and_placeholder_mismatches(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The check itself finds each kind of fault (it must be able to fail)."""
    ref = _table(REFERENCE)
    broken = json.loads(json.dumps(ref))
    key_with_var = next(k for k, v in ref["chat"].items() if PLACEHOLDER.search(v))
    broken["chat"][key_with_var] = "no placeholder left"
    first = next(iter(ref["chat"]))
    del broken["chat"][first]
    broken["chat"]["notAKey"] = "x"
    broken["banner"]["open"] = " "
    del broken["console"]
    (tmp_path / "en.json").write_text(json.dumps(ref), "utf-8")
    (tmp_path / "xx.json").write_text(json.dumps(broken), "utf-8")
    monkeypatch.setitem(globals(), "LOCALES", tmp_path)
    found = _problems("xx")
    assert f"chat: missing key {first!r}" in found
    assert "chat: extra key 'notAKey'" in found
    assert "banner.open: empty or not a string" in found
    assert any(p.startswith(f"chat.{key_with_var}: placeholders [] instead of") for p in found)
    assert not any("console" in p for p in found)  # optional outside fr and en
