"""``python -m kpilib.cli``: the ``kpi`` command."""

import sys

from kpilib.cli import main

if __name__ == "__main__":  # not when a doctest collector imports this module
    sys.exit(main())
