"""`python -m pmo_metrics COMMAND …`: the same as the `pmo-metrics` console script."""

from .cli import run

run()
