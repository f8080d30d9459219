"""``pnav partner check URL [--partner ID]``: is this partner page set up right?

It opens the page in Chromium and reports, each with ok or FAIL and what to change:
the snippet is there (for the expected partner); the loader ran and the page's origin
is registered for the partner; the banner (or the partner's own launcher) is visible
and not covered by the page; its colours pass WCAG AA contrast; the page's
Content-Security-Policy lets the chat load, get a ticket and open its socket (it opens
the chat, passes the pre-chat as a test, and leaves by quick exit); and the quick exit
leaves no trace on the device (``pnav trace-check``'s own run). Exit status: 0 all ok,
1 a check failed, 2 the page could not be checked.

It opens two test conversations on the chat server (one here, one in the trace step),
both marked as tests and ended by quick exit.
"""

from __future__ import annotations

import argparse
import sys
import tempfile
from pathlib import Path
from typing import Any

from pnav.server.partner_page import Check, page_checks
from pnav.server.trace.check import (
    CHROMIUM,
    CHROMIUM_ARGS,
    UsageError,
    check_page,
    page_and_chromium,
)
from pnav.server.trace.report import format_findings

__all__ = ["Check", "add_parser", "cmd_partner_check", "run_checks"]


def _trace_check(url: str, chromium: str, timeout: float) -> Check:
    """trace-check's own run: chat, quick exit, and a scan of the profile on disk."""
    with tempfile.TemporaryDirectory(prefix="pnav-partner-") as tmp:
        try:
            _run, findings = check_page(url, chromium, timeout, Path(tmp, "profile"))
        except UsageError as exc:
            return Check("no trace", False, str(exc))
    traces = [f for f in findings if f.excused is None]
    if traces:
        return Check(
            "no trace",
            False,
            "the chat left traces in the browser's profile (run `pnav trace-check "
            f"{url}` for the report):\n" + format_findings(traces),
        )
    return Check("no trace", True, "after a chat and a quick exit, nothing of it on the disk")


def run_checks(url: str, partner: str | None, chromium: str, timeout: float) -> list[Check]:
    """Every check, in order; those after a failure that prevents them are not run."""
    try:
        from playwright.sync_api import Error as PlaywrightError
        from playwright.sync_api import sync_playwright
    except ImportError as exc:
        raise UsageError("Playwright is not installed: pip install 'pnav[trace]'") from exc
    with sync_playwright() as p:
        try:
            browser = p.chromium.launch(executable_path=chromium, args=list(CHROMIUM_ARGS))
        except PlaywrightError as exc:
            raise UsageError(f"cannot start Chromium at {chromium}: {exc}") from exc
        try:
            context = browser.new_context(locale="fr-FR")
            checks = page_checks(context.new_page(), url, partner, timeout * 1000)
        finally:
            browser.close()
    if all(c.ok for c in checks) and checks[-1].name == "quick exit":
        checks.append(_trace_check(url, chromium, timeout))
    else:
        checks.append(Check("no trace", None, "not checked: an earlier check failed"))
    return checks


def _report(url: str, checks: list[Check]) -> str:
    lines = [f"pnav partner check {url}"]
    for check in checks:
        mark = {True: "ok  ", False: "FAIL", None: "-   "}[check.ok]
        lines.append(f"  {mark}  {check.name}: {check.detail}")
    failed = sum(1 for c in checks if c.ok is False)
    lines.append(
        f"RESULT: {'FAIL' if failed else 'PASS'}" + (f" ({failed} failed)" if failed else "")
    )
    return "\n".join(lines)


def cmd_partner_check(args: argparse.Namespace) -> int:
    """0 every check passed, 1 one failed, 2 the page could not be checked."""
    url: str = args.url
    try:
        chromium = page_and_chromium(url, args.chromium)
        checks = run_checks(url, args.partner, chromium, args.timeout)
    except UsageError as exc:
        print(f"pnav partner check: {exc}", file=sys.stderr)
        return 2
    print(_report(url, checks))
    return 1 if any(c.ok is False for c in checks) else 0


def add_parser(sub: Any) -> None:
    """Register ``partner check`` on the ``pnav`` command's subparsers."""
    partner = sub.add_parser("partner", help="partner pages")
    actions = partner.add_subparsers(dest="action", required=True)
    check = actions.add_parser(
        "check",
        help="open a partner page in Chromium and check its pnav set-up before going live",
    )
    check.add_argument("url", help="the partner page with the pnav snippet")
    check.add_argument("--partner", help="the partner id the page must use")
    check.add_argument("--chromium", default=CHROMIUM, help=f"Chromium's path (default {CHROMIUM})")
    check.add_argument(
        "--timeout", type=float, default=20, help="seconds to wait for each step (default 20)"
    )
    check.set_defaults(func=cmd_partner_check)
