"""axe-core (the npm package in widget/node_modules) injected into a page or a frame, and
run with its default rules: every WCAG 2.x A/AA rule and the best practices. A view
passes with zero violations of any impact.

The script is evaluated through the DevTools protocol, which the pages' own CSP (the
console's nonce policy, the chat frame's ``script-src`` of the pnav server) does not
govern, so nothing about the pages is loosened for the test.
"""

from __future__ import annotations

from functools import cache
from pathlib import Path
from typing import Any

from playwright.sync_api import Frame, Page

AXE = Path(__file__).resolve().parents[2] / "widget" / "node_modules" / "axe-core" / "axe.min.js"


@cache
def _source() -> str:
    if not AXE.is_file():
        raise RuntimeError(f"{AXE} is missing: run `npm --prefix widget ci`")
    return AXE.read_text("utf-8")


def axe_violations(target: Page | Frame) -> list[dict[str, Any]]:
    """axe's violations in this page or frame (its own document only: the chat frame
    is checked on its own), each as {id, impact, help, nodes: [selector…]}."""
    if not target.evaluate("() => typeof window.axe === 'object'"):
        target.evaluate(_source())
    result: list[dict[str, Any]] = target.evaluate(
        """async () => {
            // preload off: axe would fetch the stylesheets again, which the chat's CSP refuses.
            const options = { iframes: false, preload: false, resultTypes: ['violations'] };
            const r = await axe.run(document, options);
            return r.violations.map((v) => ({
                id: v.id, impact: v.impact, help: v.help,
                nodes: v.nodes.map((n) => n.target.join(' ') + ' :: ' + n.failureSummary),
            }));
        }"""
    )
    return result


def describe(violations: list[dict[str, Any]]) -> str:
    return "\n".join(
        f"- {v['id']} ({v['impact']}): {v['help']}\n    " + "\n    ".join(v["nodes"][:5])
        for v in violations
    )


def chat_frame(page: Page) -> Frame:
    """The chat's srcdoc frame on a partner page."""
    handle = page.locator('iframe[title="Chat"]').element_handle()
    frame = handle.content_frame() if handle else None
    if frame is None:
        raise AssertionError("the chat frame is not on the page")
    return frame
