"""``python -m pnav.server``: the ``pnav`` command, without the gevent server (pnav.server
is imported before anything could be patched): ``python -m pnav`` serves with it."""

import sys

from pnav.server.cli import main

sys.exit(main())
