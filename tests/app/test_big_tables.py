"""A measures table of any size renders, its RAG words on RAG-coloured labels (no pandas Styler).

Styler refuses more than 262,144 cells: the 5,000-project store's benefits table (20,000 rows x 22
columns) broke the Performance page with "Something went wrong"; a Styler also cost the server a
style and a display value per cell on every run.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
from streamlit.testing.v1 import AppTest

ROWS = 13_000  # x 22 columns: more cells than a Styler renders


def _big_table() -> None:
    import datetime as dt

    import numpy as np
    import pandas as pd

    from pmo_metrics.measures import Scope
    from pmo_metrics.ui import data
    from pmo_metrics.ui import widgets as w

    rows = 13_000
    rng = np.random.default_rng(3)
    frame = pd.DataFrame({f"x{i}": rng.normal(size=rows) for i in range(19)})
    frame.insert(0, "benefit_id", [f"B{i:05d}" for i in range(rows)])
    frame.insert(1, "benefit_name", [f"Benefit {i}" for i in range(rows)])
    frame["rag"] = np.array(["green", "amber", "red", None], dtype=object)[np.arange(rows) % 4]
    ctx = data.Context("unused.duckdb", (), dt.date(2026, 10, 1), Scope(), "GBP")
    w.measures_table(frame, list(frame.columns), ctx, key="big")


def test_a_table_with_more_cells_than_a_styler_renders_whole():
    at = AppTest.from_function(_big_table, default_timeout=60).run()
    assert not at.exception and not at.error, [e.value for e in at.exception]
    shown = at.dataframe[0]
    assert shown.value.shape == (ROWS, 22)
    # The words stay; the colour is the column's, per word.
    assert list(shown.value["rag"][:4]) == ["Green · on track", "Amber · watch", "Red · off track", "Not rated"]
    config = shown.proto.columns
    assert '"multiselect"' in config and "#F6D2BF" in config
    assert not shown.proto.arrow_data.styler.uuid  # no Styler, so no per-cell styles either
    assert np.isfinite(pd.to_numeric(shown.value["x0"])).all()


def test_only_a_table_above_the_threshold_is_sent_as_the_rows_come_into_view(monkeypatch):
    """Above LAZY_TABLE_ROWS the grid gets the rows in view and fetches the rest as the user scrolls or
    sorts (the 20,000-row benefits table cost Performance a fifth of a second in the browser); a smaller
    table keeps the grid's search and download."""
    import datetime as dt

    from pmo_metrics.measures import Scope
    from pmo_metrics.ui import data
    from pmo_metrics.ui import widgets as w

    asked = {}
    monkeypatch.setattr(w.st, "dataframe", lambda frame, **kwargs: asked.__setitem__(len(frame), kwargs))
    ctx = data.Context("unused.duckdb", (), dt.date(2026, 10, 1), Scope(), "GBP")
    for rows in (w.LAZY_TABLE_ROWS, w.LAZY_TABLE_ROWS + 1):
        frame = pd.DataFrame({"benefit_id": [f"B{i}" for i in range(rows)], "rag": "green"})
        w.measures_table(frame, ["benefit_id", "rag"], ctx)
    assert "lazy" not in asked[w.LAZY_TABLE_ROWS]
    assert asked[w.LAZY_TABLE_ROWS + 1]["lazy"] is True
