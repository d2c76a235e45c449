"""The fast CSV writer of the measures tables prints exactly what the cell-by-cell rules give."""

import csv
import datetime as dt
import io
import math
import random

import pyarrow as pa
import pytest

from pmo_metrics import serialise
from pmo_metrics.serialise import to_csv


def reference_csv(table: pa.Table) -> str:
    """The original writer: every cell through `_csv_value`, every row through the csv module."""
    columns = serialise._python_columns(table)
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\n")
    writer.writerow([serialise.guard_formula(name) for name, _, _ in columns])
    for i in range(table.num_rows):
        writer.writerow([serialise._csv_value(values[i], month) for _, values, month in columns])
    return buffer.getvalue()


AWKWARD_FLOATS = [None, 0.0, -0.0, 1.0, -1000.0, 0.1 + 0.2, 1e-4, 1e-5, 1.5e-7, -1e-13, 1e11, 999999999999.4,
                  1e12, 123456789012345.0, 1e300, -2.5e-300, math.nan, math.inf, -math.inf, 5e-324,
                  0.000123456789012345, 12345.678901234567, -0.00001, 1 / 3, 2 / 3 * 1e9]


def test_awkward_floats_print_as_the_cell_rules_say():
    table = pa.table({"x": pa.array(AWKWARD_FLOATS, pa.float64()), "n": list(range(len(AWKWARD_FLOATS)))})
    assert to_csv(table) == reference_csv(table)


def test_random_tables_of_every_type_print_the_same():
    rng = random.Random(7)
    n = 3000
    words = ["plain", "=SUM(A1)", "+1", "-x", "@me", "\ttab", "has,comma", 'has "quote"', "line\nbreak", "", "é ü"]

    def maybe(value):
        return None if rng.random() < 0.1 else value

    floats = [maybe(rng.choice([rng.uniform(-1e6, 1e6), rng.uniform(-1, 1) * 10 ** rng.randint(-12, 15),
                                rng.choice(AWKWARD_FLOATS[1:])])) for _ in range(n)]
    plain_words = [w for w in words if not any(c in w for c in ',"\n')]
    for cells in (words, plain_words):  # with and without cells the csv module must quote
        table = pa.table({
            "f": pa.array(floats, pa.float64()),
            "f32": pa.array([maybe(rng.uniform(-5, 5)) for _ in range(n)], pa.float32()),
            "s": [maybe(rng.choice(cells)) for _ in range(n)],
            "i": pa.array([maybe(rng.randint(-10**12, 10**12)) for _ in range(n)], pa.int64()),
            "b": [maybe(rng.random() < 0.5) for _ in range(n)],
            "month": [maybe(dt.date(2020 + rng.randint(0, 6), rng.randint(1, 12), 1)) for _ in range(n)],
            "day": [maybe(dt.date(2026, 1, rng.randint(1, 28))) for _ in range(n)],
            "-header": [maybe(rng.randint(0, 5)) for _ in range(n)],
        })
        assert to_csv(table) == reference_csv(table)


@pytest.mark.parametrize("table", [
    pa.table({"only": pa.array([None, 1.5, None], pa.float64())}),   # one column: an empty cell prints ""
    pa.table({"a": pa.array([], pa.float64()), "b": pa.array([], pa.string())}),
    pa.table({"a": ["x,y"], "b": [1.0]}),
])
def test_edge_tables_print_the_same(table):
    assert to_csv(table) == reference_csv(table)
