"""``python -m pnav``: the same as the ``pnav`` command."""

import sys

from pnav.cli import main

sys.exit(main())
