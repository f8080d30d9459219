"""``python -m pnav.server``: the same as the ``pnav`` command."""

import sys

from pnav.server.cli import main

sys.exit(main())
