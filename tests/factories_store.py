"""Build a Store with typed rows directly (no workbook), for the measures tests.

Each row helper returns a dict of defaults overridden by keyword; `upload` turns lists of such
rows into one FileLoad typed by the contract in pmo_metrics.schema, and loads it.

    store = Store(tmp_path / "t.duckdb")
    upload(store, "2026-03", projects=[project()], financials=[financial(period="2026-01")])
"""

from __future__ import annotations

import datetime as dt
import hashlib
import itertools

import pyarrow as pa

from pmo_metrics.schema import DATE, NUMBER, PERCENT, PERIOD, SHEETS_BY_TABLE
from pmo_metrics.store import FileLoad, Store

_ARROW = {NUMBER: pa.float64(), PERCENT: pa.float64(), DATE: pa.date32(), PERIOD: pa.date32()}
_counter = itertools.count(1)


def month(value: str | dt.date) -> dt.date:
    """Return the first day of a month given as `YYYY-MM` (or a date)."""
    if isinstance(value, dt.date):
        return value.replace(day=1)
    return dt.date.fromisoformat(value[:7] + "-01")


def months(first: str, count: int) -> list[dt.date]:
    """Return `count` consecutive months starting at `first`."""
    start = month(first)
    return [dt.date(start.year + (start.month - 1 + i) // 12, (start.month - 1 + i) % 12 + 1, 1)
            for i in range(count)]


def project(**kw) -> dict:
    return {"project_id": "P1", "project_name": "Project one", "portfolio": "Core", **kw}


def financial(**kw) -> dict:
    return {"project_id": "P1", "period": "2026-01", **kw}


def benefit(**kw) -> dict:
    return {"benefit_id": "B1", "project_id": "P1", "benefit_name": "Benefit one", "category": "financial", **kw}


def value(**kw) -> dict:
    return {"benefit_id": "B1", "period": "2026-01", **kw}


def kpi(**kw) -> dict:
    return {"kpi_id": "K1", "period": "2026-01", **kw}


def benchmark(**kw) -> dict:
    return {"metric": "M1", "period": "2026-01", "our_value": 1.0, "peer_median": 1.0, **kw}


def _cell(kind: str, raw):
    if raw is None:
        return None
    if kind in (DATE, PERIOD):
        return month(raw) if kind == PERIOD else (dt.date.fromisoformat(raw) if isinstance(raw, str) else raw)
    if kind in (NUMBER, PERCENT):
        return float(raw)
    return raw


def typed_table(table: str, rows: list[dict]) -> pa.Table:
    """Return `rows` as an Arrow table typed like the store table `table`."""
    sheet = SHEETS_BY_TABLE[table]
    present = [c for c in sheet.columns if any(c.name in r for r in rows)]
    unknown = {k for r in rows for k in r} - {c.name for c in sheet.columns} - {"source_row"}
    if unknown:
        raise KeyError(f"{table} has no column(s) {sorted(unknown)}")
    typed = pa.table({
        c.name: pa.array([_cell(c.type, r.get(c.name)) for r in rows], _ARROW.get(c.type, pa.string()))
        for c in present
    })
    if any("source_row" in r for r in rows):  # the sheet row a reader would give (the map's first mention)
        typed = typed.append_column("source_row", pa.array([r.get("source_row") for r in rows], pa.int64()))
    return typed


def file_load(as_of: str | dt.date, name: str | None = None, mode: str = "full", complete: bool = False,
              **tables: list[dict]) -> FileLoad:
    """Return one FileLoad with a unique hash holding the given rows per store table (SPEC §7.1
    `mode` and `complete` as given)."""
    n = next(_counter)
    name = name or f"upload-{n}.xlsx"
    digest = hashlib.sha256(f"{name}:{n}:{tables!r}".encode()).hexdigest()
    return FileLoad(name, digest, 1000 + n, month(as_of),
                    {t: typed_table(t, rows) for t, rows in tables.items()}, mode=mode, complete=complete)


def upload(store: Store, as_of: str | dt.date, mode: str = "full", complete: bool = False,
           **tables: list[dict]) -> int:
    """Load one upload of the given rows into `store`; return its upload id."""
    return store.load([file_load(as_of, mode=mode, complete=complete, **tables)])[0]


def make_store(tmp_path, as_of: str | dt.date | None = None, **tables: list[dict]) -> Store:
    """Return a new Store in `tmp_path`, with one upload loaded when `as_of` is given."""
    store = Store(tmp_path / "t.duckdb")
    if as_of is not None:
        upload(store, as_of, **tables)
    return store


def flow(benefit_id, first, count, planned=100.0, realised_upto=None, realised=90.0, forecast=95.0):
    """Values of one benefit: a plan every month, realised up to a month, a forecast after it."""
    rows = []
    for period in months(first, count):
        row = value(benefit_id=benefit_id, period=period, planned_value=planned)
        if realised_upto and period <= dt.date.fromisoformat(realised_upto + "-01"):
            row["realised_value"] = realised
        else:
            row["forecast_value"] = forecast
        rows.append(row)
    return rows


def costs(project_id, first, count, actual_upto, planned=40.0, actual=45.0, forecast=50.0):
    """Financials of one project: planned every month, actual up to a month, a forecast after it."""
    rows = []
    for period in months(first, count):
        row = financial(project_id=project_id, period=period, planned_cost=planned)
        if period <= dt.date.fromisoformat(actual_upto + "-01"):
            row["actual_cost"] = actual
        else:
            row["forecast_cost"] = forecast
        rows.append(row)
    return rows
