"""Melting wide benefit values: the array version against the plain SQL statement of the rule."""

import datetime as dt

import duckdb
import pyarrow as pa
from hypothesis import given, settings
from hypothesis import strategies as st

from pmo_metrics.validate import ROW, melt_wide

MEASURES = ("planned", "forecast", "realised")

# The rule, written the obvious way: every non-empty cell becomes (benefit, month, measure, value);
# one output row per benefit and month, each measure's value side by side, the first sheet row.
REFERENCE = """
    WITH cells AS (UNPIVOT wide ON COLUMNS('^m_') INTO NAME col VALUE value)
    SELECT benefit_id, months.period,
           max(value) FILTER (WHERE measure = 'planned') AS planned_value,
           max(value) FILTER (WHERE measure = 'forecast') AS forecast_value,
           max(value) FILTER (WHERE measure = 'realised') AS realised_value,
           min(_row) AS source_row
    FROM cells JOIN months USING (col)
    GROUP BY benefit_id, months.period ORDER BY benefit_id, months.period
"""


def reference(cells: pa.Table, months: dict[str, dt.date]) -> pa.Table:
    con = duckdb.connect()
    con.register("wide", cells)
    con.register("months", pa.table({"col": list(months), "period": pa.array(list(months.values()), pa.date32())}))
    return con.sql(REFERENCE).to_arrow_table()


@st.composite
def wide_sheets(draw):
    benefits = draw(st.lists(st.sampled_from([f"B-{i}" for i in range(12)]), min_size=1, max_size=8, unique=True))
    keys = draw(st.lists(st.tuples(st.sampled_from(benefits), st.sampled_from(MEASURES)), min_size=1,
                         max_size=24, unique=True))
    month_count = draw(st.integers(1, 6))
    # Columns in a shuffled order: the output must still follow the calendar.
    order = draw(st.permutations(range(month_count)))
    months = {f"m_{k}": dt.date(2026, 1 + index, 1) for k, index in enumerate(order)}
    value = st.one_of(st.none(), st.floats(-1e6, 1e6, allow_nan=False))
    rows = draw(st.permutations(range(2, 2 + len(keys))))
    columns = {"benefit_id": [b for b, _ in keys], "measure": [m for _, m in keys], ROW: list(rows)}
    for name in months:
        columns[name] = [draw(value) for _ in keys]
    schema = [("benefit_id", pa.string()), ("measure", pa.string()), (ROW, pa.int64())]
    schema += [(name, pa.float64()) for name in months]
    return pa.table(columns, schema=pa.schema(schema)), months


@settings(max_examples=150, deadline=None)
@given(wide_sheets())
def test_melting_by_arrays_gives_what_the_sql_rule_gives(sheet):
    cells, months = sheet
    assert melt_wide(cells, months).equals(reference(cells, months))


def test_a_hand_worked_sheet():
    cells = pa.table({"benefit_id": ["B2", "B1", "B1"], "measure": ["planned", "realised", "planned"],
                      ROW: [2, 3, 4], "m_a": [None, 5.0, 1.0], "m_b": [7.0, None, None]},
                     schema=pa.schema([("benefit_id", pa.string()), ("measure", pa.string()), (ROW, pa.int64()),
                                       ("m_a", pa.float64()), ("m_b", pa.float64())]))
    months = {"m_a": dt.date(2026, 2, 1), "m_b": dt.date(2026, 1, 1)}
    got = melt_wide(cells, months).to_pylist()
    assert got == [
        {"benefit_id": "B1", "period": dt.date(2026, 2, 1), "planned_value": 1.0, "forecast_value": None,
         "realised_value": 5.0, "source_row": 3},
        {"benefit_id": "B2", "period": dt.date(2026, 1, 1), "planned_value": 7.0, "forecast_value": None,
         "realised_value": None, "source_row": 2},
    ]


def test_a_sheet_with_no_rows_melts_to_no_rows():
    cells = pa.table({"benefit_id": [], "measure": [], ROW: [], "m_a": []},
                     schema=pa.schema([("benefit_id", pa.string()), ("measure", pa.string()), (ROW, pa.int64()),
                                       ("m_a", pa.float64())]))
    months = {"m_a": dt.date(2026, 2, 1)}
    assert melt_wide(cells, months).equals(reference(cells, months))
