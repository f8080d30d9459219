"""Sizes of the browser bundles against their budgets (issue 16, item 5).

Reads the built files in src/pnav/server/web/static (run `npm --prefix widget run build`
first) and prints, for each, its raw, gzip (level 9) and brotli (quality 11) size, and
the gzip budget of issue 16 where it has one: what runs on every partner page view
(the loader), the chat bundle the person's browser runs before the first screen
(Argon2 comes later, only for resume codes), and the console bundle, as issue 16
counts them. Writes
docs/benchmarks.md.

    .venv/bin/python bench/bundles.py
    .venv/bin/python bench/bundles.py --no-write
"""

from __future__ import annotations

import argparse
import gzip
import subprocess
import sys
import time
from pathlib import Path

from benchdoc import write_section

STATIC = Path(__file__).resolve().parent.parent / "src" / "pnav" / "server" / "web" / "static"
KB = 1000  # the budgets are in KB

# group -> (files, gzip budget in bytes of issue 16, or None)
GROUPS: dict[str, tuple[list[str], int | None]] = {
    "loader, every page view": (["widget/loader.js"], int(2.5 * KB)),
    "chat bundle, before the first screen": (["widget/chat.js"], 20 * KB),
    "chat styles": (["widget/chat.css"], None),
    "Argon2, only for resume codes (on demand)": (["widget/argon2.js"], None),
    "console bundle": (["console/console.js"], 40 * KB),
    "console page and styles": (["console/index.html", "console/console.css"], None),
}


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


def measure() -> list[dict[str, object]]:
    rows: list[dict[str, object]] = []
    for group, (files, budget) in GROUPS.items():
        raw = gz = br = 0
        for name in files:
            data = (STATIC / name).read_bytes()
            raw += len(data)
            gz += len(gzip.compress(data, compresslevel=9, mtime=0))
            br += _brotli(data)
        rows.append(
            {
                "group": group,
                "files": " + ".join(files),
                "raw": raw,
                "gzip": gz,
                "brotli": br,
                "budget": budget,
                "within": None if budget is None else gz <= budget,
            }
        )
    return rows


def _table(rows: list[dict[str, object]]) -> str:
    lines = [
        "| what | files | raw | gzip | brotli | gzip budget | within |",
        "|---|---|---|---|---|---|---|",
    ]
    for r in rows:
        budget = r["budget"]
        within = {None: "-", True: "yes", False: "**no**"}[r["within"]]  # type: ignore[index]
        lines.append(
            f"| {r['group']} | {r['files']} | {r['raw']:,} | {r['gzip']:,} | "
            f"{r['brotli']:,} | "
            f"{'-' if budget is None else format(budget, ',')} | {within} |"
        )
    return "\n".join(lines)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--no-write", action="store_true", help="do not update docs")
    args = parser.parse_args()
    missing = [f for files, _ in GROUPS.values() for f in files if not (STATIC / f).is_file()]
    if missing:
        print(f"not built: {', '.join(missing)} (npm --prefix widget run build)", file=sys.stderr)
        return 2
    rows = measure()
    table = _table(rows)
    print(table)
    if not args.no_write:
        write_section(
            "## Bundles: bytes the browser downloads\n\n"
            "`.venv/bin/python bench/bundles.py` (built files; gzip level 9, brotli quality "
            "11; budgets of issue 16, in bytes; `widget/build.mjs` fails the build past "
            f"its own gzip ceilings). Measured {time.strftime('%Y-%m-%d')}.\n\n" + table + "\n"
        )
    return 0 if all(r["within"] is not False for r in rows) else 1


if __name__ == "__main__":
    sys.exit(main())
