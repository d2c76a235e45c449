"""The ten-year and under-load benchmarks' own logic, small and fast (the benchmarks run in `make bench`)."""

import datetime as dt

import pytest

from pmo_metrics.ingest import ingest
from pmo_metrics.measures import measure_table
from pmo_metrics.store import Store
from tests.bench_scripts import load_bench


@pytest.fixture(scope="module")
def ten_years():
    return load_bench("ten_years")


@pytest.fixture(scope="module")
def concurrent():
    return load_bench("concurrent_bench")


def test_series_and_checkpoints(ten_years):
    assert ten_years.series(3, "2026-01") == ["2025-11", "2025-12", "2026-01"]
    assert len(ten_years.series(120)) == 120 and ten_years.series(120)[-1] == ten_years.LAST
    assert ten_years.checkpoints(120) == [12, 36, 60, 90, 120]
    assert ten_years.checkpoints(40) == [12, 36, 40]
    assert ten_years.checkpoints(5) == [5]


def test_growth_takes_each_checkpoint_and_a_median_of_recent_months(ten_years):
    records = [{"kind": "full", "n": n, "as_of": f"m{n}", "load_s": float(n), "size_mb": 10.0 * n,
                "file_mb": 1.0, "rows": 100} for n in range(1, 13)]
    records.append({"kind": "full", "n": 12, "pages_ms": {"overview": 5.0}})  # a probe line, not a load
    records.append({"kind": "incremental", "n": 12, "as_of": "m12", "load_s": 99.0, "size_mb": 1.0,
                    "file_mb": 1.0, "rows": 1})
    rows = ten_years.growth(records, "full", [6, 12, 36], window=6)
    assert [r["n"] for r in rows] == [6, 12]  # month 36 not reached
    assert rows[1]["size_mb"] == 120.0 and rows[1]["load_s"] == 12.0
    assert rows[1]["median_load_s"] == 9.5  # months 7..12
    assert rows[0]["median_load_s"] == 3.5  # months 1..6


def test_read_log_skips_a_torn_last_line(ten_years, tmp_path):
    log = tmp_path / "log.jsonl"
    log.write_text('{"kind": "full", "n": 1}\n{"kind": "inc', encoding="utf-8")
    assert ten_years.read_log(log) == [{"kind": "full", "n": 1}]
    assert ten_years.read_log(tmp_path / "none.jsonl") == []


def test_incremental_returns_give_the_figures_of_full_ones(tmp_path):
    """The comparison is fair only if both stores hold the same portfolio: loaded in order, the
    incremental returns (month 1 full, then only each month's periods) give the full series' measures."""
    scale = load_bench("generate_scale")
    months = ["2026-07", "2026-08", "2026-09", "2026-10"]
    stores = {kind: Store(tmp_path / f"{kind}.duckdb") for kind in ("full", "incremental")}
    for n, as_of in enumerate(months):
        for kind, store in stores.items():
            path = tmp_path / f"{as_of} {kind}.xlsx"
            counts = scale.write_monthly_workbook(path, 8, 16, as_of, financial_months=12, value_months=8,
                                                  first_as_of=months[0], n_months=len(months),
                                                  incremental=kind == "incremental" and n > 0)
            if kind == "incremental" and n > 0:
                assert counts["Financials"] < 8 * 12  # only the month's own periods
            result = ingest(store, [(path.name, path.read_bytes())])
            assert result.ok, [str(p) for p in result.problems][:3]
    for store in stores.values():
        store.wait_for_month_rows()
    modes = stores["incremental"].query("SELECT mode FROM uploads ORDER BY upload_id").column(0).to_pylist()
    assert modes == ["full", "incremental", "incremental", "incremental"]
    for table, key in (("delivery", "project_id"), ("benefits", "benefit_id")):
        for as_of in (dt.date(2026, 8, 1), dt.date(2026, 10, 1)):
            full, incremental = (measure_table(stores[k], table, as_of).sort_by(key) for k in ("full", "incremental"))
            assert full.num_rows > 0
            assert full.to_pylist() == incremental.to_pylist(), (table, as_of)


def test_percentile_by_nearest_rank(concurrent):
    assert concurrent.percentile([], 95) is None
    assert concurrent.percentile([3.0], 50) == 3.0
    values = [float(v) for v in range(1, 21)]
    assert concurrent.percentile(values, 50) == 10.0
    assert concurrent.percentile(values, 95) == 19.0
    assert concurrent.percentile(values, 100) == 20.0


def test_views_are_split_by_the_load_and_errors_counted(concurrent):
    sample = concurrent.Sample
    samples = [
        sample(0, "Delivery", 0.0, 1.0, 1.0),
        sample(1, "KPIs", 9.0, 11.0, 2.0),  # asked for before the load started: before
        sample(2, "KPIs", 10.0, 30.0, 18.0, busy=True),
        sample(3, "Delivery", 15.0, 75.0, None, "not drawn within 60 s"),
        sample(1, "Overview", 16.0, 17.0, 1.0),
        sample(0, "Overview", 20.0, 20.5, 0.5),
    ]
    summary = concurrent.summarise(samples, 10.0, 20.0)
    assert [summary[p]["views"] for p in ("before", "during", "after")] == [2, 3, 1]
    assert summary["during"]["errors"] == 1 and summary["during"]["busy"] == 1
    assert summary["during"]["p50"] == 1.0 and summary["during"]["max"] == 18.0
    assert summary["during"]["error_texts"] == ["not drawn within 60 s"]
    assert summary["after"]["p95"] == 0.5 and summary["before"]["errors"] == 0


def test_busy_message_is_recognised(concurrent):
    assert concurrent.is_busy(["The database pmo.duckdb is busy: another program is using it"])
    assert not concurrent.is_busy(["3 of 5 projects reported for Oct 2026"])
