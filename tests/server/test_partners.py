"""Per-partner settings ([partners.<id>]) and the loader that carries them.

The settings are checked when they load (contrast of every colour pair, known keys,
language tags); the loader is served with its partner's settings inside, for the
asking page only; a page whose origin is not registered gets an error to print
instead, and the server logs the refused origin once an hour.
"""

from __future__ import annotations

import gzip
import json
import logging
import re
from pathlib import Path
from typing import Any

import pytest
from flask import Flask

from pnav.sdk.contrast import ColorError, contrast_ratio, parse_color
from pnav.server import Settings, create_app
from pnav.server.partners import DEFAULT_EXIT
from pnav.server.settings import SettingsError
from pnav.server.stores.sqlite.store import SQLiteStore
from pnav.server.web.loader import LOADER_TEXTS, RefusedOrigins

LOCALES = Path(__file__).resolve().parents[2] / "widget" / "src" / "locales"
TOWN = "https://town.example"
PARTNERS: dict[str, Any] = {
    "town": {
        "origins": [TOWN, "https://www.town.example"],
        "mode": "corner",
        "position": "left",
        "default_lang": "en",
        "exit_url": "https://weather.example/",
        "colors": {"banner": "#005a30", "banner_text": "#ffffff"},
        "texts": {"fr": {"open": "Parler à la mairie"}, "en": {"open": "Talk to the town"}},
    },
    "club": ["https://club.example"],  # the older form: a list of origins
}


def _app(data_dir: Path, partners: dict[str, Any] | None = None) -> Flask:
    settings = Settings.load(None, environ={}, data_dir=data_dir, partners=partners or PARTNERS)
    return create_app(settings, store=SQLiteStore(settings.database_path), maintenance=False)


@pytest.fixture
def app(tmp_path: Path) -> Flask:
    return _app(tmp_path)


def _config(body: str) -> Any:
    """The settings the server wrote into a loader part (its one argument)."""
    match = re.search(r"\}\)\((\{.*\})\);\}\)\(\);\s*$", body, re.S)
    assert match, body[-300:]
    return json.loads(match.group(1))


def test_contrast_follows_wcag() -> None:
    assert contrast_ratio("#000", "#fff") == pytest.approx(21)
    assert contrast_ratio("#ffffff", "#ffffff") == pytest.approx(1)
    # The lightest grey that passes AA on white, a well-known reference value.
    assert contrast_ratio("rgb(118, 118, 118)", "#fff") == pytest.approx(4.54, abs=0.01)
    assert parse_color("rgba(1, 2, 3, 1)") == (1, 2, 3)
    for bad in ("red", "#12345", "rgba(0, 0, 0, 0.5)", "rgb(300, 0, 0)"):
        with pytest.raises(ColorError):
            parse_color(bad)


def test_partner_tables_load(tmp_path: Path) -> None:
    settings = Settings.load(None, environ={}, data_dir=tmp_path, partners=PARTNERS)
    town = settings.partner("town")
    assert town is not None
    assert (town.mode, town.position, town.default_lang) == ("corner", "left", "en")
    assert town.colors["banner"] == "#005a30" and town.colors["button"] == "#ffffff"
    assert settings.partners["town"] == (TOWN, "https://www.town.example")
    club = settings.partner("club")
    assert club is not None and club.mode == "banner" and club.origins == ("https://club.example",)
    assert settings.partner("nobody") is None


@pytest.mark.parametrize(
    ("spec", "message"),
    [
        (
            {"colors": {"banner": "#777777"}},
            r"partners\.p\.colors: banner_text #ffffff on banner #777777 has a contrast of "
            r"4\.48:1, below the 4\.5:1 of WCAG AA",
        ),
        (
            {"colors": {"button": "#2b2256"}},
            r"button_text #2b2256 on button #2b2256 has a contrast of 1\.00:1",
        ),
        ({"colors": {"banner": "purple"}}, r"partners\.p\.colors: 'purple' is not a colour"),
        ({"colors": {"border": "#000"}}, r"partners\.p\.colors: unknown border"),
        ({"mode": "popup"}, r"partners\.p\.mode must be one of banner, corner, launcher"),
        ({"position": "top"}, r"partners\.p\.position must be one of right, left"),
        ({"texts": {"fr": {"opne": "x"}}}, r"partners\.p\.texts\.fr: unknown opne"),
        ({"texts": {"fr": {"open": ""}}}, r"partners\.p\.texts\.fr\.open must be a text"),
        ({"texts": {"français": {"open": "x"}}}, r"partners\.p\.texts\.français: a language tag"),
        ({"default_lang": "french!"}, r"partners\.p\.default_lang must be a language tag"),
        ({"exit_url": "javascript:alert(1)"}, r"partners\.p\.exit_url must be an absolute"),
        ({"theme": "#000"}, r"partners\.p: unknown theme"),
        ({"origins": []}, r"non-empty list of origins"),
    ],
)
def test_bad_partner_settings_name_the_setting(tmp_path: Path, spec: Any, message: str) -> None:
    table = {"origins": ["https://p.example"], **spec}
    with pytest.raises(SettingsError, match=message):
        Settings.load(None, environ={}, data_dir=tmp_path, partners={"p": table})


def test_the_loader_carries_its_partners_settings_for_the_asking_page(app: Flask) -> None:
    client = app.test_client()
    response = client.get("/widget/loader.js?partner=town&lang=fr", headers={"Origin": TOWN})
    assert response.status_code == 200
    assert response.mimetype == "text/javascript"
    assert response.headers["Cache-Control"] == "no-store"
    assert response.headers["Access-Control-Allow-Origin"] == "*"
    assert "Set-Cookie" not in response.headers
    config = _config(response.get_data(as_text=True))
    # The server checked the asking page's origin: no origin at all (the partner's other
    # sites are none of its business), and nothing the loader does not use (it runs on
    # every page view): no partner id, no banner-mode button colours in corner mode.
    assert "origins" not in config and "partner" not in config
    assert "error" not in config
    assert (config["mode"], config["position"], config["lang"]) == ("corner", "left", "fr")
    # Lists, in the order of LOADER_COLORS and LOADER_TEXTS (fewer bytes than keys).
    assert config["colors"] == ["#005a30", "#ffffff"]  # banner, banner_text
    assert config["dir"] == "ltr"
    texts = dict(zip(LOADER_TEXTS, config["texts"], strict=True))
    assert texts["open"] == "Parler à la mairie"
    # The locale table's texts where the partner says nothing; only what the loader shows.
    assert texts["exit"] == "Sortie rapide"
    assert all(texts.values())
    assert config["exit"] == "https://weather.example/"
    # A language neither the partner nor the tables speak: the partner's default.
    other = client.get("/widget/loader.js?partner=town&lang=tlh", headers={"Origin": TOWN})
    assert _config(other.get_data(as_text=True))["texts"][0] == "Talk to the town"


def test_a_banner_loader_carries_the_buttons_colours_and_no_side(app: Flask) -> None:
    response = app.test_client().get(
        "/widget/loader.js?partner=club&lang=fr", headers={"Origin": "https://club.example"}
    )
    config = _config(response.get_data(as_text=True))
    assert config["mode"] == "banner" and "position" not in config
    # banner, banner_text, button, button_text: the defaults
    assert config["colors"] == ["#2b2256", "#ffffff", "#ffffff", "#2b2256"]
    # Compact JSON: every byte of it goes with every page view.
    assert '"colors":["#2b2256",' in response.get_data(as_text=True)


def test_the_loader_as_served_stays_within_its_budget_in_every_shipped_locale(
    app: Flask,
) -> None:
    """Issue 16: what every page view runs, at most 2,500 bytes gzip (level 9), whatever
    the page's language (widget/build.mjs checks its mirror of this answer too)."""
    tags = json.loads((LOCALES / "index.json").read_text(encoding="utf-8"))
    client = app.test_client()
    sizes = {}
    for tag in tags:
        response = client.get(
            f"/widget/loader.js?partner=club&lang={tag}", headers={"Origin": "https://club.example"}
        )
        assert _config(response.get_data(as_text=True))["lang"] == tag
        sizes[tag] = len(gzip.compress(response.get_data(), compresslevel=9, mtime=0))
    assert len(sizes) >= 18 and max(sizes.values()) <= 2500, sizes


def test_without_an_origin_header_the_loader_checks_in_the_page(app: Flask) -> None:
    config = _config(app.test_client().get("/widget/loader.js?partner=club").get_data(True))
    assert config["origins"] == ["https://club.example"]
    assert config["exit"] == DEFAULT_EXIT
    assert 'not registered for partner "club"' in config["error"]
    assert "origins in [partners.club]" in config["error"]


def test_the_panel_gets_its_own_texts(app: Flask) -> None:
    response = app.test_client().get("/widget/panel.js?partner=town&lang=fr")
    assert response.status_code == 200
    assert _config(response.get_data(as_text=True)) == {
        "partner": "town",
        "position": "left",
        "texts": {"fail": "Le service est indisponible pour le moment.", "retry": "Réessayer"},
        "page_lang": "fr",  # the chat starts in the page's language (docs/translations.md)
    }


def test_a_refused_origin_gets_an_error_and_one_warning_an_hour(
    app: Flask, caplog: pytest.LogCaptureFixture
) -> None:
    client = app.test_client()
    caplog.set_level(logging.WARNING, logger="pnav.partners")
    for _ in range(3):
        body = client.get(
            "/widget/loader.js?partner=town", headers={"Origin": "https://evil.example"}
        ).get_data(as_text=True)
        config = _config(body)
        assert config["origins"] == [] and "texts" not in config
        assert "origins in [partners.town]" in config["error"]
    # The ticket endpoint refuses it too, and does not log it again within the hour.
    refused = client.post(
        "/api/ticket",
        data=json.dumps({"partner": "town"}),
        headers={"Origin": "https://evil.example"},
    )
    assert refused.status_code == 403
    warnings = [r for r in caplog.records if r.levelno == logging.WARNING]
    assert len(warnings) == 1
    assert '"https://evil.example"' in warnings[0].getMessage()
    assert "[partners.town]" in warnings[0].getMessage()
    # An unknown partner, and a loader URL without one.
    unknown = _config(client.get("/widget/loader.js?partner=nobody").get_data(as_text=True))
    assert "[partners.nobody]" in unknown["error"]
    bare = _config(client.get("/widget/loader.js").get_data(as_text=True))
    assert "?partner=" in bare["error"]


def test_refused_origins_are_logged_once_an_hour_and_remembered_within_bounds(
    caplog: pytest.LogCaptureFixture,
) -> None:
    caplog.set_level(logging.WARNING, logger="pnav.partners")
    refused = RefusedOrigins(every=3600, remember=3)
    assert refused.warn("town", "https://a.example", now=0)
    assert not refused.warn("town", "https://a.example", now=3599)
    assert refused.warn("town", "https://a.example", now=3600)
    # A flood of made-up origins: memory stays bounded, the oldest is forgotten.
    for i in range(10):
        refused.warn("town", f"https://{i}.example", now=4000)
    assert len(refused._last) == 3
    # An over-long Origin header is cut in the log.
    refused.warn("town", "https://" + "x" * 5000, now=5000)
    assert all(len(r.getMessage()) < 600 for r in caplog.records)


def test_made_up_origins_cannot_flood_the_log(caplog: pytest.LogCaptureFixture) -> None:
    caplog.set_level(logging.WARNING, logger="pnav.partners")
    refused = RefusedOrigins(every=3600, most=5)
    logged = [refused.warn("town", f"https://{i}.example", now=10) for i in range(50)]
    assert logged == [True] * 5 + [False] * 45
    assert len(caplog.records) == 6
    assert "more refused origins this hour" in caplog.records[-1].getMessage()
    # The next hour, logged again.
    assert refused.warn("town", "https://new.example", now=3610)


def test_odd_loader_queries_are_answered_safely(app: Flask) -> None:
    client = app.test_client()
    for query in (
        "partner=%22%29%3B%3C%2Fscript%3Ealert(1)//&lang=fr",
        "partner=town&lang=%3Cscript%3E",
        "partner=" + "x" * 5000,
        "partner=town&partner=club",
    ):
        response = client.get(f"/widget/loader.js?{query}", headers={"Origin": TOWN})
        assert response.status_code == 200, query
        config = _config(response.get_data(as_text=True))  # one JSON object, nothing else
        assert isinstance(config, dict), query
    odd = _config(client.get("/widget/loader.js?partner=town&lang=%3Cscript%3E").get_data(True))
    assert odd["lang"] == "en"  # not a language tag: the partner's default


def test_a_loader_that_lost_its_settings_slot_is_a_clear_error(
    app: Flask, monkeypatch: pytest.MonkeyPatch, tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    from pnav.server.web import loader

    static = tmp_path / "static"
    (static / "widget").mkdir(parents=True)
    (static / "widget" / "loader.js").write_text("(()=>{})();")
    (static / "widget" / "banner-texts.json").write_text('{"fr": {"dir": "ltr", "texts": {}}}')
    monkeypatch.setattr(loader, "STATIC_DIR", static)
    monkeypatch.setattr(loader, "_cache", {})
    assert app.test_client().get("/widget/loader.js?partner=town").status_code == 503
    assert "npm --prefix widget run build" in caplog.text


def test_the_language_is_the_asked_one_with_its_direction_else_the_partners() -> None:
    from pnav.server.partners import Locale, loader_config, parse_partner

    locales = {
        "en": Locale("ltr", {"open": "Talk to someone", "exit": "Quick exit"}),
        "ar": Locale("rtl", {"open": "تحدث إلى شخص ما"}),
        "zh-Hans": Locale("ltr", {"open": "与人交谈"}),
    }
    partner = parse_partner("p", {"origins": ["https://p.example"], "default_lang": "en"})
    arabic = loader_config(partner, "ar-MA", locales)
    assert (arabic["lang"], arabic["dir"]) == ("ar-MA", "rtl")
    # English fills what a table does not say yet.
    assert arabic["texts"] == {"open": "تحدث إلى شخص ما", "exit": "Quick exit"}
    assert loader_config(partner, "zh-hans", locales)["texts"]["open"] == "与人交谈"
    fallback = loader_config(partner, "tlh", locales)
    assert (fallback["lang"], fallback["dir"]) == ("en", "ltr")


def test_a_partners_own_texts_in_a_right_to_left_language_are_written_so() -> None:
    from pnav.server.partners import Locale, loader_config, parse_partner

    partner = parse_partner(
        "p", {"origins": ["https://p.example"], "texts": {"fa": {"open": "با کسی صحبت کنید"}}}
    )
    locales = {"en": Locale("ltr", {"open": "Talk to someone"})}
    config = loader_config(partner, "fa", locales)
    assert (config["lang"], config["dir"], config["texts"]["open"]) == (
        "fa",
        "rtl",
        "با کسی صحبت کنید",
    )
