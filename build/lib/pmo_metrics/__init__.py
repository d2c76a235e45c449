"""PMO value dashboard: load monthly PMO workbooks into DuckDB and compute the four-level value model."""

__version__ = "0.1.0"
