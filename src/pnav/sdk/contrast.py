"""WCAG 2 contrast between two colours, for partner themes (settings and ``pnav partner check``).

Written here rather than taken from a package: the formula is a few lines of the WCAG
2.2 definition (relative luminance of sRGB), and the parsing only needs the two forms
we meet, ``#rgb``/``#rrggbb`` in settings and ``rgb()``/``rgba()`` from a browser's
computed style.
"""

from __future__ import annotations

import re

__all__ = ["AA_LARGE", "AA_NORMAL", "ColorError", "contrast_ratio", "parse_color"]

# WCAG 2.2 success criterion 1.4.3, level AA: normal text, and large or bold text.
AA_NORMAL = 4.5
AA_LARGE = 3.0

_HEX = re.compile(r"^#([0-9a-fA-F]{3}|[0-9a-fA-F]{6})$")
_RGB = re.compile(
    r"^rgba?\(\s*(\d{1,3})[\s,]+(\d{1,3})[\s,]+(\d{1,3})\s*(?:[,/]\s*([\d.]+%?)\s*)?\)$"
)


class ColorError(ValueError):
    """Not a colour this module reads; the message says what it expects."""


def parse_color(value: str) -> tuple[int, int, int]:
    """``#2b2256``, ``#fff`` or ``rgb(43, 34, 86)`` as (r, g, b). A translucent
    ``rgba()`` is refused: its contrast depends on what lies under it."""
    text = value.strip()
    if match := _HEX.match(text):
        digits = match.group(1)
        if len(digits) == 3:
            digits = "".join(c * 2 for c in digits)
        r, g, b = (int(digits[i : i + 2], 16) for i in (0, 2, 4))
        return r, g, b
    if match := _RGB.match(text):
        alpha = match.group(4)
        opacity = 1.0 if alpha is None else float(alpha.rstrip("%")) / (100 if "%" in alpha else 1)
        if opacity < 1:
            raise ColorError(
                f"{value!r} is translucent: its contrast depends on the page behind it"
            )
        channels = tuple(int(match.group(i)) for i in (1, 2, 3))
        if any(c > 255 for c in channels):
            raise ColorError(f"{value!r}: rgb() channels go from 0 to 255")
        return channels[0], channels[1], channels[2]
    raise ColorError(f"{value!r} is not a colour written #rgb or #rrggbb")


def _luminance(rgb: tuple[int, int, int]) -> float:
    def linear(channel: int) -> float:
        c = channel / 255
        return c / 12.92 if c <= 0.04045 else ((c + 0.055) / 1.055) ** 2.4

    r, g, b = (linear(c) for c in rgb)
    return 0.2126 * r + 0.7152 * g + 0.0722 * b


def contrast_ratio(foreground: str, background: str) -> float:
    """The WCAG contrast ratio, from 1 (same colour) to 21 (black on white)."""
    lighter, darker = sorted(
        (_luminance(parse_color(foreground)), _luminance(parse_color(background))), reverse=True
    )
    return (lighter + 0.05) / (darker + 0.05)
