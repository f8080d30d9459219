"""The statistics page in every language of the accessibility matrix (issue 11 §9): its
words come from the locale tables' "stats" section (fr, en, ar, the same keys), Arabic
is laid out right to left, and a conversation whose person left who/what out counts as
"not said"."""

from __future__ import annotations

import datetime as dt
import json
import re
from pathlib import Path

import pytest

from pnav.sdk.memory_store import MemoryStore
from pnav.sdk.store import NewConversation
from pnav.server.stats.page import render_page
from pnav.server.stats.report import build_report
from pnav.server.stats.texts import LANGS, period_label, texts

LOCALES = Path(__file__).resolve().parents[2] / "widget" / "src" / "locales"


def _stats(tag: str) -> dict[str, str]:
    table: dict[str, dict[str, str]] = json.loads((LOCALES / f"{tag}.json").read_text("utf-8"))
    return table["stats"]


@pytest.mark.parametrize("tag", LANGS)
def test_every_stats_language_has_the_reference_keys_and_placeholders(tag: str) -> None:
    reference, table = _stats("en"), _stats(tag)
    assert set(table) == set(reference)
    for key, text in reference.items():
        assert set(re.findall(r"\{(\w+)\}", table[key])) == set(re.findall(r"\{(\w+)\}", text)), key


def _page(lang: str) -> str:
    store = MemoryStore()
    for who, what in (("not_said", "not_said"), ("victim", "domestic")):
        store.create_conversation(NewConversation("demo", who, what, False, "ar", b"k", "d"))
    today = dt.date.today()
    report = build_report(store, {"from": today.isoformat(), "to": today.isoformat()}, today)
    return render_page(report, lang)


def test_the_arabic_page_is_right_to_left_in_arabic() -> None:
    html = _page("ar")
    assert '<html lang="ar" dir="rtl">' in html
    assert texts("ar")["totals"] in html and texts("en")["totals"] not in html
    assert f">{texts('ar')['who.not_said']}<" in html


@pytest.mark.parametrize("lang", ["en", "fr"])
def test_the_other_pages_are_left_to_right_and_count_not_said(lang: str) -> None:
    html = _page(lang)
    assert f'<html lang="{lang}" dir="ltr">' in html
    assert f">{texts(lang)['what.not_said']}<" in html


def test_periods_are_named_in_the_page_s_language() -> None:
    assert period_label("2026-03-14", "ar") == "14 مارس"
    assert period_label("2026-W11", "fr") == "S11"
    assert period_label("2026-03", "en") == "Mar 2026"
    assert texts("de") == texts("en")  # no stats table: English
