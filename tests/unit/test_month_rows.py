"""project_month_rows, benefit_month_rows and project_month_flows (schema 5, month_rows.py): a stored month's
measures read the rows kept at load time instead of deriving them; every table, roll-up and tile
must equal the same figures derived live (Store.read_month_rows off), for every scope and
settings, at stored months and between them, through out-of-order loads, moves, a corrective
re-upload and voids."""

import datetime as dt
import threading

import pytest

from pmo_metrics import measures
from pmo_metrics.measures import ROLLUP_LEVELS, Scope, delivery_rollup, measure_table
from pmo_metrics.settings import Settings
from tests.compare import same
from tests.factories_store import benefit, costs, flow, project, upload
from tests.unit.test_flow_month_rows import as_older_schema, portfolio_store  # noqa: F401 (a fixture)

SCOPES = [Scope(), Scope(portfolio="Other"), Scope(programme="Alpha"), Scope(objective="Grow"),
          Scope(portfolio="Nowhere")]
SETTINGS = [Settings(), Settings(currency="USD", delivery_green=1.0, benefit_amber=0.5)]
MONTHS = [dt.date(2025, 12, 1), dt.date(2026, 2, 1), dt.date(2026, 3, 1), dt.date(2026, 4, 1),
          dt.date(2026, 6, 1)]
KEPT = ("delivery", "benefits", "objectives", "returns", "sustained")


def figures(store, as_of, scope, settings):
    out = {name: measure_table(store, name, as_of, scope, settings).to_pylist() for name in KEPT}
    out.update({level: delivery_rollup(store, as_of, level, scope, settings).to_pylist() for level in ROLLUP_LEVELS})
    # the headline query itself (its KPI, benchmark and sustained tables read no month rows)
    tiles = measures._query(store, "headline", measures._params(as_of, scope, settings)).to_pylist()[0]
    for counts in ("delivery_rag", "benefits_rag"):  # (rag, n) pairs in no fixed order
        tiles[counts] = sorted(tiles[counts] or [], key=lambda pair: str(pair["rag"]))
    out["headline"] = tiles
    return out


def assert_month_rows_exact(store, monkeypatch, settings_list=SETTINGS):
    store.fill_month_rows()
    with store.connect() as con:  # one cursor for the whole comparison
        assert con.execute("SELECT count(*) FROM month_rows_made").fetchall()[0][0] > 0
        for settings in settings_list:
            for as_of in MONTHS:
                for scope in SCOPES:
                    kept = figures(store, as_of, scope, settings)
                    with monkeypatch.context() as patch:
                        patch.setattr(store, "read_month_rows", False)
                        live = figures(store, as_of, scope, settings)
                    same(kept, live, f"{as_of} {scope} {settings.currency}")


def test_month_rows_give_the_live_figures_through_loads_moves_and_voids(portfolio_store, monkeypatch):  # noqa: F811
    store, ids = portfolio_store
    fix = upload(store, "2026-02", projects=[project(project_id="P2", portfolio="Core", currency=None)],
                 benefits=[benefit(benefit_id="B2", project_id="P2", owner="")],
                 financials=costs("P1", "2025-11", 9, "2026-02", actual=1.0),
                 benefit_values=flow("B1", "2026-01", 6, realised_upto="2026-02", realised=10))
    assert_month_rows_exact(store, monkeypatch)
    store.void(fix)
    store.void(ids["mar"])  # March is no longer a stored month: it derives February's snapshot live
    assert_month_rows_exact(store, monkeypatch, SETTINGS[:1])
    with store.connect() as con:
        kept = con.execute("SELECT DISTINCT as_of FROM project_month_rows ORDER BY 1").fetchall()
        assert [r[0] for r in kept] == [dt.date(2026, 1, 1), dt.date(2026, 2, 1), dt.date(2026, 4, 1)]


def test_a_stored_month_reads_the_month_rows(portfolio_store, monkeypatch):  # noqa: F811
    """Guard the test above against comparing the live path with itself."""
    store, _ = portfolio_store
    store.fill_month_rows()
    with store.connect() as con:
        con.execute("UPDATE benefit_month_rows SET realised_to_date = -1 WHERE as_of = '2026-02-01'")
    feb = measure_table(store, "benefits", dt.date(2026, 2, 1)).to_pylist()
    assert feb and all(row["realised_to_date"] == -1 for row in feb)
    monkeypatch.setattr(store, "read_month_rows", False)
    assert all(row["realised_to_date"] != -1 for row in measure_table(store, "benefits", dt.date(2026, 2, 1))
               .to_pylist())


@pytest.mark.parametrize(("kept", "live"), [("month_rows_delivery_base", "delivery_base"),
                                            ("month_rows_benefit_rows", "benefit_rows"),
                                            ("month_rows_project_flows", "project_flows"),
                                            ("month_rows_scoped_projects", "scoped_projects"),
                                            ("month_rows_scoped_benefits", "scoped_benefits")])
def test_the_month_rows_have_the_live_columns(portfolio_store, kept, live):  # noqa: F811
    store, _ = portfolio_store
    store.fill_month_rows()
    with store.connect() as con:
        def columns(macro):
            return con.execute(f"DESCRIBE SELECT * FROM {macro}(DATE '2026-02-01', NULL, NULL, NULL, 'GBP')"
                               ).fetchall()
        assert [c[:2] for c in columns(kept)] == [c[:2] for c in columns(live)]


def test_opening_an_older_database_fills_the_month_rows(portfolio_store):  # noqa: F811
    store, _ = portfolio_store
    from pmo_metrics.store import Store

    store.fill_month_rows()
    with store.connect() as con:
        expected = con.execute("SELECT * FROM benefit_month_rows ORDER BY ALL").fetchall()
    as_older_schema(store, 4, "DROP TABLE benefit_month_rows", "DROP TABLE project_month_rows",
                    "DROP TABLE project_month_flows")
    reopened = Store(store.path)
    with reopened.connect() as con:  # opening finds months without month rows and makes them
        pass
    reopened.wait_for_month_rows()
    with reopened.connect() as con:
        assert con.execute("SELECT * FROM benefit_month_rows ORDER BY ALL").fetchall() == expected
        assert con.execute("SELECT count(DISTINCT as_of) FROM project_month_rows").fetchall() == [(4,)]
        assert con.execute("SELECT count(DISTINCT as_of) FROM project_month_flows").fetchall() == [(4,)]


def test_a_load_or_void_forgets_the_month_rows_of_the_months_it_changes(portfolio_store):  # noqa: F811
    """Until fill_month_rows makes them again, those months are derived live, never read stale."""
    from pmo_metrics import month_rows

    store, _ = portfolio_store
    store.fill_month_rows()
    with store.connect() as con:
        con.execute("BEGIN TRANSACTION")
        month_rows.after_load(con, [dt.date(2026, 3, 1)])
        kept = [r[0] for r in con.execute("SELECT as_of FROM month_rows_made ORDER BY 1").fetchall()]
        assert kept == [dt.date(2026, 1, 1), dt.date(2026, 2, 1)]
        assert con.execute("SELECT count(*) FROM project_month_flows WHERE as_of >= '2026-03-01'").fetchall() == [(0,)]
        assert month_rows.months_without_rows(con) == [dt.date(2026, 3, 1), dt.date(2026, 4, 1)]
        con.execute("ROLLBACK")


def test_opening_the_store_makes_month_rows_a_stopped_process_left_unmade(portfolio_store):  # noqa: F811
    from pmo_metrics.store import Store

    store, _ = portfolio_store
    store.fill_month_rows()
    with store.connect() as con:  # as if the process stopped after the load committed
        con.execute("DELETE FROM month_rows_made WHERE as_of = '2026-04-01'")
        con.execute("DELETE FROM project_month_flows WHERE as_of = '2026-04-01'")
    store.close()
    reopened = Store(store.path)
    with reopened.connect() as con:
        pass
    reopened.wait_for_month_rows()
    with reopened.connect() as con:
        assert con.execute("SELECT count(*) FROM month_rows_made WHERE as_of = '2026-04-01'").fetchall() == [(1,)]
        assert con.execute("SELECT count(*) FROM project_month_flows WHERE as_of = '2026-04-01'").fetchall()[0][0] > 0


def test_a_load_committing_between_the_kept_check_and_the_query_is_not_half_seen(portfolio_store,  # noqa: F811
                                                                                   monkeypatch):
    """Whether a month is kept and its month rows are read in one snapshot: a correction committed in
    between (which forgets February's month rows) is either wholly seen or not at all, never as a
    kept month without rows."""
    store, _ = portfolio_store
    store.fill_month_rows()
    feb = dt.date(2026, 2, 1)
    before = measure_table(store, "benefits", feb).to_pylist()
    assert before
    monkeypatch.setattr(store, "_fill_month_rows_later", lambda: None)  # February stays forgotten
    real = measures._has_month_rows

    def kept_then_a_correction_commits(con, month):
        kept = real(con, month)
        correction = threading.Thread(target=upload, args=(store, "2026-02"), kwargs={
            "benefit_values": flow("B1", "2026-01", 6, realised_upto="2026-02", realised=10)})
        correction.start()
        correction.join()
        return kept

    monkeypatch.setattr(measures, "_has_month_rows", kept_then_a_correction_commits)
    same(measure_table(store, "benefits", feb).to_pylist(), before)
    monkeypatch.setattr(measures, "_has_month_rows", real)
    after = measure_table(store, "benefits", feb).to_pylist()  # derived live: the correction
    assert after and after != before
