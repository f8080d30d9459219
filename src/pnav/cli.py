"""The ``pnav`` command's entry point.

When the command serves (``serve`` or ``demo``, without ``--dev``), the standard
library is patched for gevent here, before anything else of pnav is imported: threads,
sockets and locks then become greenlets, as the production server needs
(pnav/server/serving.py). Every other command runs unpatched.
"""

from __future__ import annotations

import sys
from collections.abc import Sequence

__all__ = ["main"]


def _serves(argv: Sequence[str]) -> bool:
    """True for ``[--config FILE] serve|demo …`` without ``--dev``."""
    rest = iter(argv)
    for word in rest:
        if word == "--config":
            next(rest, None)
        elif not word.startswith("-"):
            return word in ("serve", "demo") and "--dev" not in argv
    return False


def main(argv: Sequence[str] | None = None) -> int:
    args = list(sys.argv[1:] if argv is None else argv)
    if _serves(args):
        from gevent import monkey

        monkey.patch_all()
    from pnav.server.cli import main as run

    return run(args)
