"""The committed cross-language vectors, checked by the widget's crypto module in Chromium.

tests/sdk/test_vectors.py reproduces every byte of tests/vectors/crypto-v1.json with
PyNaCl, widget/test/vectors.test.mjs with the widget's crypto module in Node; here the
same checks (widget/test/vectors-check.mjs, bundled by esbuild as the widget's build
does) run in the browser the chat runs in, under the chat's kind of CSP (scripts from
its own origin, WebAssembly allowed, no eval): tweetnacl and hash-wasm's Argon2id give
the same bytes there too, and one changed byte in any field makes its check fail.
"""

from __future__ import annotations

import copy
import json
import subprocess
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from playwright.sync_api import Browser, Page, Route

from pnav.sdk import crypto

ROOT = Path(__file__).resolve().parents[2]
WIDGET = ROOT / "widget"
VECTORS = ROOT / "tests" / "vectors" / "crypto-v1.json"
ORIGIN = "http://vectors.pnav.test"
CSP = "default-src 'none'; script-src 'self' 'wasm-unsafe-eval'; base-uri 'none'"
SECTIONS = ["messages", "sealed_keys", "operators", "resume_codes", "refused_messages"]


@pytest.fixture(scope="module")
def bundle(tmp_path_factory: pytest.TempPathFactory) -> str:
    """vectors-check.mjs and the crypto module it imports, as one minified IIFE."""
    out = tmp_path_factory.mktemp("vectors-bundle")
    entry = out / "entry.mjs"
    checker = (WIDGET / "test" / "vectors-check.mjs").as_posix()
    entry.write_text(
        f"import {{ checkVectors, checkMutations }} from {json.dumps(checker)};\n"
        "window.pnavVectors = { checkVectors, checkMutations };\n"
    )
    esbuild = WIDGET / "node_modules" / ".bin" / "esbuild"
    assert esbuild.exists(), "run scripts/setup.sh first (npm ci in widget/)"
    run = subprocess.run(
        [
            str(esbuild),
            str(entry),
            "--bundle",
            "--minify",
            "--format=iife",
            "--target=es2020",
            "--platform=browser",
            f"--outfile={out / 'vectors.js'}",
        ],
        cwd=WIDGET,
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert run.returncode == 0, run.stderr
    return (out / "vectors.js").read_text(encoding="utf-8")


@pytest.fixture
def page(browser: Browser, browser_log: Any, bundle: str) -> Iterator[Page]:
    """A page on a made-up origin whose only script is the bundle, under a strict CSP."""
    context = browser.new_context()
    browser_log.watch(context, "vectors")

    def serve(route: Route) -> None:
        if route.request.url.endswith("/vectors.js"):
            route.fulfill(
                body=bundle, content_type="text/javascript", headers={"Cache-Control": "no-store"}
            )
        else:
            html = (
                '<!doctype html><meta charset="utf-8"><title>vectors</title>'
                '<script src="/vectors.js"></script>'
            )
            route.fulfill(
                body=html, content_type="text/html", headers={"Content-Security-Policy": CSP}
            )

    context.route(f"{ORIGIN}/**", serve)
    page = context.new_page()
    browser_log.watch_page(page, "vectors")
    page.goto(ORIGIN + "/")
    page.wait_for_function("() => !!window.pnavVectors")
    yield page
    context.close()


def _vectors() -> dict[str, Any]:
    data: dict[str, Any] = json.loads(VECTORS.read_text(encoding="utf-8"))
    return data


def _check(page: Page, data: dict[str, Any]) -> dict[str, list[str]]:
    result: dict[str, list[str]] = page.evaluate(
        "(data) => window.pnavVectors.checkVectors(data)", data
    )
    return result


def test_chromium_reproduces_every_vector(page: Page) -> None:
    data = _vectors()
    result = _check(page, data)
    assert result["failed"] == []
    expected = [f"{s}[{i}]" for s in SECTIONS for i in range(len(data[s]))]
    assert result["passed"] == expected


def test_in_chromium_one_changed_byte_makes_a_check_fail(page: Page) -> None:
    data = _vectors()
    mutated: dict[str, list[str]] = page.evaluate(
        "(d) => window.pnavVectors.checkMutations(d)", data
    )
    assert mutated["missed"] == []
    sections = {label.split(".")[0] for label in mutated["caught"]}
    assert sections == set(SECTIONS) - {"refused_messages"}
    assert len(mutated["caught"]) >= 25, mutated["caught"]

    # And a whole file with one byte changed, by Python this time: exactly that vector fails.
    bad = copy.deepcopy(data)
    raw = bytearray(crypto.b64decode(bad["resume_codes"][1]["wrapped_key"]))
    raw[-1] ^= 0x80
    bad["resume_codes"][1]["wrapped_key"] = crypto.b64encode(bytes(raw))
    result = _check(page, bad)
    assert [f.split(":")[0] for f in result["failed"]] == ["resume_codes[1]"]
