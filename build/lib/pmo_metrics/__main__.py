"""`python -m pmo_metrics COMMAND …`: the same as the `pmo-metrics` console script."""

import sys

from .cli import main

sys.exit(main())
