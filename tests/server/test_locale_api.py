"""Interface strings served one language at a time: the chat's script, the console's
page and a person's labels for the console; machine-made tables for a language the
translator knows and no table ships for (made once, then cached)."""

from __future__ import annotations

import json
import re
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from fakes.libretranslate import FakeLibreTranslate
from flask import Flask
from flask.testing import FlaskClient

from pnav.sdk.translator import SafeTranslator, Translation, Translator
from pnav.server import Settings, create_app
from pnav.server.locales import MachineTables, ShippedTables
from pnav.server.locales.tables import parse_wanted
from pnav.server.stores.sqlite.store import SQLiteStore
from pnav.server.web.state import STATIC_DIR

_CALL = re.compile(r"^pnavLocale\((.*), (\d+)\);\n$", re.S)


def _app(tmp_path: Path, **changes: Any) -> Flask:
    settings = Settings.load(None, environ={}, data_dir=tmp_path / "data", **changes)
    return create_app(settings, store=SQLiteStore(settings.database_path), maintenance=False)


@pytest.fixture
def fake() -> Iterator[FakeLibreTranslate]:
    server = FakeLibreTranslate().start()
    yield server
    server.stop()


@pytest.fixture
def client(tmp_path: Path, fake: FakeLibreTranslate) -> Iterator[FlaskClient]:
    app = _app(tmp_path, translator="libretranslate", translator_options={"url": fake.url})
    yield app.test_client()
    app.extensions["pnav"].shutdown()


@pytest.fixture
def plain(tmp_path: Path) -> Iterator[FlaskClient]:
    """No translator configured (the demo's settings)."""
    app = _app(tmp_path)
    yield app.test_client()
    app.extensions["pnav"].shutdown()


def _chat(client: FlaskClient, want: str, n: str = "1") -> tuple[dict[str, Any], int]:
    answer = client.get("/widget/locale.js", query_string={"want": want, "n": n})
    assert answer.status_code == 200
    assert answer.mimetype == "text/javascript"
    assert answer.headers["Cache-Control"] == "no-store"
    assert answer.headers["Cross-Origin-Resource-Policy"] == "cross-origin"
    match = _CALL.match(answer.get_data(as_text=True))
    assert match, answer.get_data(as_text=True)[:80]
    return json.loads(match.group(1)), int(match.group(2))


def _translations(fake: FakeLibreTranslate) -> int:
    return sum(1 for path, _ in fake.requests if path == "/translate")


def test_the_first_wanted_language_with_a_table_wins(client: FlaskClient) -> None:
    data, n = _chat(client, "fr-BE,en", "7")
    assert (data["tag"], data["dir"], data["machine"], n) == ("fr", "ltr", False, 7)
    assert data["strings"]["start"] == "Commencer la discussion"
    shipped = json.loads((STATIC_DIR / "locales" / "index.json").read_text("utf-8"))
    assert [row[0] for row in data["interface"]][: len(shipped)] == list(shipped)
    # The translator's own codes where it has one for a shipped table (zh for zh-Hans).
    assert set(shipped) - {"zh-Hans"} <= set(data["writing"])
    assert "zh" in data["writing"] and "zh-Hans" not in data["writing"]
    english, _ = _chat(client, "xx-YY,en-US")
    assert english["tag"] == "en"


def test_a_language_with_no_table_gets_a_machine_made_one_once(
    client: FlaskClient, fake: FakeLibreTranslate
) -> None:
    assert ["bn", None, True] in _chat(client, "fr")[0]["interface"]
    data, _ = _chat(client, "bn-IN,fr")
    assert (data["tag"], data["dir"], data["machine"]) == ("bn", "ltr", True)
    # The fake answers "[<target>] <text>": every fixed text went through it, with
    # its placeholders intact.
    assert data["strings"]["start"] == "[bn] Start the chat"
    assert "{position}" in data["strings"]["waitingPosition"]
    made = _translations(fake)
    assert made > 50
    # Only fixed interface texts were sent, from the English table.
    english = set(_chat(client, "en")[0]["strings"].values())
    sent = {params["q"] for path, params in fake.requests if path == "/translate"}
    banner = json.loads((STATIC_DIR / "locales" / "en.json").read_text("utf-8"))["banner"]
    assert sent - english <= set(banner.values())
    again, _ = _chat(client, "bn")
    assert again == data
    assert _translations(fake) == made  # cached: the translator is not asked again


def test_without_a_translator_only_shipped_tables_are_offered(plain: FlaskClient) -> None:
    data, _ = _chat(plain, "bn,de")
    assert data["machine"] is False
    assert all(machine is False for _, _, machine in data["interface"])
    assert data["writing"] == [row[0] for row in data["interface"]]


def test_bad_wanted_lists_and_numbers_are_ignored(client: FlaskClient) -> None:
    assert parse_wanted("ar-MA;q=0.9, <script>,fr,fr,, " + "x" * 500) == ["ar-MA", "fr"]
    many = [f"fr-{chr(97 + i // 26)}{chr(97 + i % 26)}" for i in range(40)]
    assert len(parse_wanted(",".join(many))) == 12
    data, n = _chat(client, "</script>", "1;alert(1)")
    assert (data["tag"], n) == ("en", 0)
    assert client.get("/console/api/locale?section=secrets").status_code == 400


def test_the_console_page_carries_its_strings_in_the_operator_s_language(
    client: FlaskClient,
) -> None:
    for accept, tag in (("fr-FR,fr;q=0.9", "fr"), ("de-DE,fr;q=0.5", "fr"), ("ar,de", "en")):
        html = client.get("/console", headers={"Accept-Language": accept}).get_data(as_text=True)
        assert f'<html lang="{tag}" dir="ltr">' in html
        block = re.search(r'<script[^>]*id="pnav-locale">(.*?)</script>', html, re.S)
        assert block, html[:200]
        data = json.loads(block.group(1))
        assert data["tag"] == tag and "title" in data["console"] and "who" in data["chat"]


def test_the_console_gets_a_person_s_chat_labels_but_only_its_own_languages(
    client: FlaskClient,
) -> None:
    chat = client.get("/console/api/locale?section=chat&want=bn").get_json()
    assert chat["tag"] == "bn" and chat["machine"] is True
    own = client.get("/console/api/locale?section=console&want=bn,fr").get_json()
    assert own["tag"] == "fr" and "title" in own["strings"]


class _DropsPlaceholders(Translator):
    """Translates by upper-casing, and loses every {placeholder} on the way."""

    def detect(self, text: str) -> str | None:
        return None

    def translate(self, text: str, source: str, target: str) -> Translation:
        return Translation(re.sub(r"\{\w+\}", "", text).upper(), source, target, True)

    def languages(self) -> list[str]:
        return ["en", "fr", "bn"]


def test_a_text_that_lost_a_placeholder_stays_in_english() -> None:
    shipped = ShippedTables(STATIC_DIR / "locales")
    translator = SafeTranslator(_DropsPlaceholders())
    try:
        tables = MachineTables(shipped, translator)
        assert tables.unshipped() == ["bn"]
        table = tables.get("bn")
    finally:
        translator.close()
    assert table is not None and table.machine
    chat = table.sections["chat"]
    assert chat["start"] == "START THE CHAT"
    assert chat["waitingPosition"] == shipped.reference("chat")["waitingPosition"]


def test_no_bundle_carries_the_tables() -> None:
    """The chat and the console fetch their one language (issue 16, item 5): no shipped
    table's texts are in their scripts."""
    bundles = {
        name: (STATIC_DIR / name).read_text("utf-8")
        for name in ("widget/chat.js", "console/console.js")
    }
    shipped = json.loads((STATIC_DIR / "locales" / "index.json").read_text("utf-8"))
    for tag in shipped:
        table = json.loads((STATIC_DIR / "locales" / f"{tag}.json").read_text("utf-8"))
        for key in ("start", "resumeWarning", "duressTitle"):
            text = table["chat"][key]
            for name, source in bundles.items():
                assert text not in source, (tag, key, name)
