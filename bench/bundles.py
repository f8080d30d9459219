"""Sizes of the browser's downloads against their budgets (issue 16, item 5).

Asks a pnav app (in process, no network) for what a browser gets, as it is served:
the loader with the reference partner's settings and banner texts written in (every
page view; in each shipped locale, the worst one counts), the panel (first
interaction), the chat bundle and its one language of strings, the parts loaded on
demand (Argon2 for resume codes and operator logins, the proof-of-work solver), and the
console with its page. Prints raw, gzip (level 9) and brotli (quality 11) sizes against
the gzip budgets of issue 16 (widget/build.mjs enforces the same numbers) and writes
its section of docs/benchmarks.md. Run `npm --prefix widget run build` first.

    .venv/bin/python bench/bundles.py
    .venv/bin/python bench/bundles.py --no-write
"""

from __future__ import annotations

import argparse
import gzip
import json
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

from benchdoc import write_section

ROOT = Path(__file__).resolve().parent.parent
STATIC = ROOT / "src" / "pnav" / "server" / "web" / "static"
LOCALES = ROOT / "widget" / "src" / "locales"
# The reference partner (as in widget/build.mjs): a town hall's banner.
PARTNER = "mairie-saint-exemple"
ORIGIN = "https://www.mairie-saint-exemple.fr"
# Gzip budgets of issue 16, in bytes; widget/build.mjs fails the build past them.
LOADER, CHAT, CONSOLE = 2500, 20000, 40000

_BROTLI = (
    "const z=require('zlib');const c=[];process.stdin.on('data',d=>c.push(d));"
    "process.stdin.on('end',()=>process.stdout.write(String(z.brotliCompressSync("
    "Buffer.concat(c),{params:{[z.constants.BROTLI_PARAM_QUALITY]:11}}).length)))"
)


def _brotli(data: bytes) -> int:
    """Brotli size (quality 11) through Node's zlib, which the widget build needs anyway."""
    out = subprocess.run(
        ["node", "-e", _BROTLI], input=data, capture_output=True, check=True, timeout=60
    )
    return int(out.stdout)


def _gzip(data: bytes) -> int:
    return len(gzip.compress(data, compresslevel=9, mtime=0))


def _shipped_locales() -> list[str]:
    index: dict[str, Any] = json.loads((LOCALES / "index.json").read_text(encoding="utf-8"))
    return list(index)


def _client(data_dir: Path) -> Any:
    from pnav.server import Settings, create_app

    settings = Settings.load(
        None,
        environ={},
        data_dir=data_dir,
        partners={PARTNER: {"origins": [ORIGIN], "exit_url": "https://www.example.org/meteo"}},
    )
    return create_app(settings, maintenance=False).test_client()


def _get(client: Any, url: str, **headers: str) -> bytes:
    response = client.get(url, headers=headers)
    if response.status_code != 200:
        raise RuntimeError(f"GET {url}: {response.status_code} (is the widget built?)")
    body: bytes = response.get_data()
    return body


def _worst(fetch: Callable[[str], bytes]) -> tuple[str, bytes]:
    """The shipped locale whose answer is the largest once gzipped, and that answer."""
    answers = {tag: fetch(tag) for tag in _shipped_locales()}
    tag = max(answers, key=lambda t: _gzip(answers[t]))
    return tag, answers[tag]


def measure(client: Any) -> list[dict[str, object]]:
    tag, loader = _worst(
        lambda t: _get(client, f"/widget/loader.js?partner={PARTNER}&lang={t}", Origin=ORIGIN)
    )
    panel_tag, panel = _worst(
        lambda t: _get(client, f"/widget/panel.js?partner={PARTNER}&lang={t}")
    )
    strings_tag, strings = _worst(lambda t: _get(client, f"/widget/locale.js?want={t}&n=1"))

    def static(name: str) -> bytes:
        return (STATIC / name).read_bytes()

    console_page = _get(client, "/console", **{"Accept-Language": "fr"})
    groups: list[tuple[str, str, bytes, int | None]] = [
        (f"loader, every page view (worst locale: {tag})", "/widget/loader.js", loader, LOADER),
        (f"panel, on the first interaction ({panel_tag})", "/widget/panel.js", panel, None),
        ("chat bundle, before the first screen", "widget/chat.js", static("widget/chat.js"), CHAT),
        (f"chat strings, one language ({strings_tag})", "/widget/locale.js", strings, None),
        ("chat styles", "widget/chat.css", static("widget/chat.css"), None),
        ("proof of work (on demand)", "widget/pow.js", static("widget/pow.js"), None),
        ("Argon2 (on demand)", "widget/argon2.js", static("widget/argon2.js"), None),
        ("console bundle", "console/console.js", static("console/console.js"), CONSOLE),
        (
            "console page (its strings inside) and styles",
            "/console + console/console.css",
            console_page + static("console/console.css"),
            None,
        ),
    ]
    rows: list[dict[str, object]] = []
    for what, source, data, budget in groups:
        gz = _gzip(data)
        rows.append(
            {
                "what": what,
                "source": source,
                "raw": len(data),
                "gzip": gz,
                "brotli": _brotli(data),
                "budget": budget,
                "within": None if budget is None else gz <= budget,
            }
        )
    return rows


def _table(rows: list[dict[str, object]]) -> str:
    lines = [
        "| what | as served from | raw | gzip | brotli | gzip budget | within |",
        "|---|---|---|---|---|---|---|",
    ]
    for r in rows:
        budget = r["budget"]
        within = {None: "-", True: "yes", False: "**no**"}[r["within"]]  # type: ignore[index]
        lines.append(
            f"| {r['what']} | {r['source']} | {r['raw']:,} | {r['gzip']:,} | "
            f"{r['brotli']:,} | {'-' if budget is None else format(budget, ',')} | {within} |"
        )
    return "\n".join(lines)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--no-write", action="store_true", help="do not update docs")
    args = parser.parse_args()
    wanted = ["widget/loader.js", "widget/chat.js", "widget/pow.js", "console/console.js"]
    missing = [f for f in wanted if not (STATIC / f).is_file()]
    if missing:
        print(f"not built: {', '.join(missing)} (npm --prefix widget run build)", file=sys.stderr)
        return 2
    with tempfile.TemporaryDirectory() as data_dir:
        rows = measure(_client(Path(data_dir)))
    table = _table(rows)
    print(table)
    if not args.no_write:
        write_section(
            "## Bundles: bytes the browser downloads\n\n"
            "`.venv/bin/python bench/bundles.py` (what the pnav app serves, asked in process: "
            "the loader with the reference partner's settings and banner texts, for a page "
            "whose origin the server checked, in each shipped locale, the worst one shown; "
            "gzip level 9, brotli quality 11; gzip budgets of issue 16, in bytes, which "
            "`widget/build.mjs` enforces: the build fails past them). Argon2 and the "
            "proof-of-work solver are loaded on demand, the strings one language at a time. "
            f"Measured {time.strftime('%Y-%m-%d')}.\n\n" + table + "\n"
        )
    return 0 if all(r["within"] is not False for r in rows) else 1


if __name__ == "__main__":
    sys.exit(main())
