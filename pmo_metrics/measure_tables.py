"""The names of the measures tables (SPEC §5), apart from the queries that make them.

The command line offers them as choices before it has loaded anything else (the query engine
among it), so the name list lives here, with no imports.
"""

TABLES = ("delivery", "kpi", "benefits", "returns", "objectives", "benchmarks", "sustained", "membership",
          "completeness", "changes", "raid", "forecast_accuracy", "bridge")
