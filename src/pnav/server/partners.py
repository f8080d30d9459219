"""Per-partner settings (``[partners.<id>]``): where the banner may appear, how it looks,
what it says, where quick exit goes. Checked when the settings load; delivered to the
partner's pages inside the loader script itself (:func:`loader_config`), so a page
view makes one request and the device stores nothing.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import urlsplit

from pnav.sdk.contrast import AA_NORMAL, ColorError, contrast_ratio

__all__ = [
    "BANNER_KEYS",
    "DEFAULT_COLORS",
    "DEFAULT_EXIT",
    "MODES",
    "Locale",
    "Partner",
    "PartnerError",
    "loader_config",
    "parse_partner",
]

MODES = ("banner", "corner", "launcher")
POSITIONS = ("right", "left")
# The banner section of the locale tables (widget/src/locales/<tag>.json): what a
# partner may reword, per language.
BANNER_KEYS = ("open", "exit", "exitLabel", "region", "fail", "retry", "leave")
DEFAULT_COLORS: Mapping[str, str] = {
    "banner": "#2b2256",
    "banner_text": "#ffffff",
    "button": "#ffffff",
    "button_text": "#2b2256",
}
# Text on its background, each pair checked for WCAG AA (normal text, 4.5:1).
CONTRAST_PAIRS = (("banner_text", "banner"), ("button_text", "button"))
# Written right to left, for a partner's own texts in a language no locale table has
# yet (a shipped table says its direction itself).
RTL_LANGUAGES = frozenset({"ar", "fa", "he", "ur", "ps", "yi", "dv", "ckb", "sd", "ug"})
# Where quick exit goes when neither the partner nor the page says.
DEFAULT_EXIT = "https://www.google.com/"
_KEYS = ("origins", "mode", "position", "default_lang", "exit_url", "colors", "texts")
LANG_TAG = re.compile(r"^[A-Za-z]{2,3}(-[A-Za-z0-9]{2,8})*$")
_MAX_TEXT = 200


class PartnerError(ValueError):
    """A ``[partners.<id>]`` setting is wrong; the message names the setting."""


@dataclass(frozen=True)
class Partner:
    """One partner's settings, checked."""

    id: str
    origins: tuple[str, ...]
    mode: str = "banner"
    position: str = "right"
    default_lang: str = "fr"
    exit_url: str = ""
    colors: Mapping[str, str] = field(default_factory=lambda: dict(DEFAULT_COLORS))
    # language tag -> banner key -> text
    texts: Mapping[str, Mapping[str, str]] = field(default_factory=dict)


def origin_of(value: str, where: str) -> str:
    parts = urlsplit(value.strip())
    if parts.scheme not in ("http", "https") or not parts.netloc or parts.path not in ("", "/"):
        raise PartnerError(f"{where}: origin {value!r} must look like https://example.org")
    return f"{parts.scheme}://{parts.netloc}".lower()


def _choice(spec: Mapping[str, Any], key: str, allowed: tuple[str, ...], where: str) -> str:
    value = spec.get(key, allowed[0])
    if value not in allowed:
        raise PartnerError(f"{where}.{key} must be one of {', '.join(allowed)}, not {value!r}")
    return str(value)


def _colors(raw: Any, where: str) -> dict[str, str]:
    if not isinstance(raw, Mapping):
        raise PartnerError(f'{where}.colors must be a table such as {{ banner = "#2b2256" }}')
    unknown = sorted(set(raw) - set(DEFAULT_COLORS))
    if unknown:
        raise PartnerError(
            f"{where}.colors: unknown {', '.join(unknown)} (known: {', '.join(DEFAULT_COLORS)})"
        )
    colors = {**DEFAULT_COLORS, **{str(k): str(v) for k, v in raw.items()}}
    for text, background in CONTRAST_PAIRS:
        try:
            ratio = contrast_ratio(colors[text], colors[background])
        except ColorError as exc:
            raise PartnerError(f"{where}.colors: {exc}") from exc
        if ratio < AA_NORMAL:
            raise PartnerError(
                f"{where}.colors: {text} {colors[text]} on {background} {colors[background]} "
                f"has a contrast of {ratio:.2f}:1, below the {AA_NORMAL}:1 of WCAG AA"
            )
    return colors


def _texts(raw: Any, where: str) -> dict[str, dict[str, str]]:
    if not isinstance(raw, Mapping):
        raise PartnerError(f"{where}.texts must be a table per language: [{where}.texts.fr]")
    texts: dict[str, dict[str, str]] = {}
    for lang, table in raw.items():
        if not LANG_TAG.match(str(lang)) or not isinstance(table, Mapping):
            raise PartnerError(f"{where}.texts.{lang}: a language tag with a table of texts")
        unknown = sorted(set(table) - set(BANNER_KEYS))
        if unknown:
            raise PartnerError(
                f"{where}.texts.{lang}: unknown {', '.join(unknown)} "
                f"(known: {', '.join(BANNER_KEYS)})"
            )
        for key, text in table.items():
            if not isinstance(text, str) or not text.strip() or len(text) > _MAX_TEXT:
                raise PartnerError(
                    f"{where}.texts.{lang}.{key} must be a text of 1 to {_MAX_TEXT} characters"
                )
        texts[str(lang).lower()] = {str(k): str(v) for k, v in table.items()}
    return texts


def parse_partner(pid: str, spec: Any) -> Partner:
    """``[partners.<pid>]`` as a table, or (the older form) a bare list of origins."""
    where = f"partners.{pid}"
    if not isinstance(spec, Mapping):
        spec = {"origins": spec}
    unknown = sorted(set(spec) - set(_KEYS))
    if unknown:
        raise PartnerError(f"{where}: unknown {', '.join(unknown)} (known: {', '.join(_KEYS)})")
    origins = spec.get("origins")
    if not isinstance(origins, list | tuple) or not origins:
        raise PartnerError(f"{where}.origins: partner {pid!r} needs a non-empty list of origins")
    default_lang = str(spec.get("default_lang", "fr"))
    if not LANG_TAG.match(default_lang):
        raise PartnerError(f"{where}.default_lang must be a language tag such as 'fr'")
    exit_url = str(spec.get("exit_url", ""))
    if exit_url:
        parts = urlsplit(exit_url)
        if parts.scheme not in ("http", "https") or not parts.netloc:
            raise PartnerError(f"{where}.exit_url must be an absolute http(s) URL")
    return Partner(
        id=pid,
        origins=tuple(origin_of(str(o), f"{where}.origins") for o in origins),
        mode=_choice(spec, "mode", MODES, where),
        position=_choice(spec, "position", POSITIONS, where),
        default_lang=default_lang.lower(),
        exit_url=exit_url,
        colors=_colors(spec.get("colors", {}), where),
        texts=_texts(spec.get("texts", {}), where),
    )


def _base(tag: str) -> str:
    return tag.lower().split("-")[0]


@dataclass(frozen=True)
class Locale:
    """A locale table's banner section and writing direction (built into
    static/widget/banner-texts.json from widget/src/locales/)."""

    dir: str
    texts: Mapping[str, str]


def _table(locales: Mapping[str, Locale], tag: str) -> Locale | None:
    """The table for ``tag`` itself ("zh-Hans"), else for its language ("zh")."""
    by_tag = {t.lower(): locale for t, locale in locales.items()}
    return by_tag.get(tag.lower()) or by_tag.get(_base(tag))


def loader_config(
    partner: Partner,
    asked_lang: str,
    locales: Mapping[str, Locale],
    keys: tuple[str, ...] = BANNER_KEYS,
) -> dict[str, Any]:
    """What the loader needs for this partner, in one language: the asked one if the
    partner or the locale tables speak it, else the partner's default language; only
    the texts named in ``keys``."""
    own = {t.lower() for t in partner.texts} | {_base(t) for t in partner.texts}
    speaks = asked_lang and (_table(locales, asked_lang) or asked_lang.lower() in own)
    lang = asked_lang if speaks else partner.default_lang
    table = _table(locales, lang)
    english = _table(locales, "en")
    texts = {
        **(english.texts if english else {}),
        **(table.texts if table else {}),
        **partner.texts.get(_base(lang), {}),
        **partner.texts.get(lang.lower(), {}),
    }
    return {
        "partner": partner.id,
        "origins": list(partner.origins),
        "mode": partner.mode,
        "position": partner.position,
        "lang": lang,
        "dir": table.dir if table else ("rtl" if _base(lang) in RTL_LANGUAGES else "ltr"),
        "texts": {k: texts[k] for k in keys if k in texts},
        "colors": dict(partner.colors),
        "exit": partner.exit_url or DEFAULT_EXIT,
    }
