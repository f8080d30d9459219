"""docs/benchmarks.md: each bench script replaces its own section (from its ``## `` heading
to the next one) with the figures of its latest run, or adds it at the end."""

from __future__ import annotations

import re
from pathlib import Path

PATH = Path(__file__).resolve().parent.parent / "docs" / "benchmarks.md"
HEADER = (
    "# Benchmarks\n\nFigures printed by the scripts in `bench/` (which also write this "
    "file), measured on a 2-core machine like CI's. Medians unless said otherwise.\n"
)


def write_section(section: str) -> None:
    """Put ``section`` (starting with its ``## Title: …`` line) into the document."""
    heading = section.split("\n", 1)[0]
    if not heading.startswith("## ") or ":" not in heading:
        raise ValueError("a section starts with a '## Title: …' line")
    key = heading.split(":", 1)[0]
    text = PATH.read_text() if PATH.exists() else HEADER
    pattern = re.compile(re.escape(key) + r":.*?(?=\n+## |\Z)", re.S)
    body = section.rstrip("\n")
    if pattern.search(text):
        text = pattern.sub(lambda _: body, text)
    else:
        text = text.rstrip("\n") + "\n\n" + body
    PATH.write_text(text.rstrip("\n") + "\n")
