"""``python -m kpilib.cli``: the ``kpi`` command."""

import sys

from kpilib.cli import main

sys.exit(main())
