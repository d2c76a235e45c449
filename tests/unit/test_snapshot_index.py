"""entity_validity (schema 3, pmo_metrics/snapshot_index.py): effective_uploads as a range filter gives
exactly what the arg_max rule it replaced gives, for every kind and month, through random
sequences of loads (different and equal as_of, out-of-order months, partial corrective re-uploads,
batches) and voids; and the migration fills the index for a schema 2 database."""

import datetime as dt
import random

import duckdb
import pytest

from pmo_metrics import month_rows
from pmo_metrics.store import SCHEMA_VERSION, SQL_DIR, Store
from tests.factories_store import benchmark, benefit, file_load, financial, kpi, months, project, value

KINDS = ["projects", "financials", "benefits", "benefit_values", "kpis", "benchmarks"]
MONTHS = months("2026-01", 6)
CHECK_MONTHS = months("2025-12", 8)  # one before the first as_of to one after the last

# The rule as effective.sql stated it before schema 3, for every (kind, month) at once.
OLD_RULE = """
SELECT ev.kind, ms.m, ev.entity_key, arg_max(ev.upload_id, (ev.as_of, ev.upload_id)) AS upload_id
FROM (SELECT unnest($months) AS m) AS ms, entity_versions AS ev
JOIN uploads AS u USING (upload_id)
WHERE ev.as_of <= ms.m AND u.status = 'loaded'
GROUP BY ev.kind, ms.m, ev.entity_key
ORDER BY ALL
"""
# The macro the measures use now.
NEW_RULE = """
SELECT ks.kind, ms.m, e.entity_key, e.upload_id
FROM (SELECT unnest($kinds) AS kind) AS ks, (SELECT unnest($months) AS m) AS ms,
     LATERAL effective_uploads(ks.kind, ms.m) AS e
ORDER BY ALL
"""
# The whole index recomputed from scratch (what the incremental refresh must leave).
FULL_INDEX = ((SQL_DIR / "migrations/schema_v3.sql").read_text(encoding="utf-8")
              .split("INSERT INTO entity_validity", 1)[1].rstrip().rstrip(";"))


def rules(store):
    params = {"months": CHECK_MONTHS, "kinds": KINDS}
    with store.connect() as con:
        old = con.execute(OLD_RULE, {"months": CHECK_MONTHS}).fetchall()
        new = con.execute(NEW_RULE, params).fetchall()
    return old, new


def assert_same_rule(store):
    old, new = rules(store)
    assert new == old
    with store.connect() as con:
        stored = con.execute("SELECT * FROM entity_validity ORDER BY ALL").fetchall()
        full = con.execute(f"SELECT * FROM ({FULL_INDEX}) ORDER BY ALL").fetchall()  # noqa: S608 (a constant)
    assert stored == full


ROWS = {
    "projects": lambda k, tag: project(project_id=f"P{k}", project_name=tag),
    "financials": lambda k, tag: financial(project_id=f"P{k}", period="2026-01"),
    "benefits": lambda k, tag: benefit(benefit_id=f"B{k}", project_id=f"P{k}", benefit_name=tag),
    "benefit_values": lambda k, tag: value(benefit_id=f"B{k}", period="2026-02"),
    "kpis": lambda k, tag: kpi(kpi_id=f"K{k}", period="2026-03"),
    "benchmarks": lambda k, tag: benchmark(metric=f"M{k}", period="2026-04"),
}


def random_file(rng, step):
    """One upload: a random month and, for a random few kinds, a random subset of 4 entities."""
    tables = {}
    for kind in rng.sample(KINDS, rng.randint(1, 3)):
        keys = rng.sample(range(4), rng.randint(1, 4))
        tables[kind] = [ROWS[kind](k, f"s{step}") for k in sorted(keys)]
    return file_load(rng.choice(MONTHS), **tables)


@pytest.mark.parametrize("seed", range(50))
def test_random_loads_and_voids_resolve_as_the_arg_max_rule_did(tmp_path, seed):
    rng = random.Random(seed)
    store = Store(tmp_path / "t.duckdb")
    loaded: list[int] = []
    for step in range(rng.randint(4, 10)):
        if loaded and rng.random() < 0.3:
            victim = rng.choice(loaded)
            store.void(victim)
            loaded.remove(victim)
        else:
            batch = [random_file(rng, step) for _ in range(rng.choice([1, 1, 1, 2, 3]))]
            if len(batch) > 1 and rng.random() < 0.5:  # a batch for one month: equal as_of
                for item in batch:
                    item.as_of = batch[0].as_of
            loaded.extend(store.load(batch))
        assert_same_rule(store)
    old, _ = rules(store)
    if loaded:
        assert old  # the comparison was not vacuous


def test_same_month_correction_and_void_fall_back(store):
    oct_, nov = dt.date(2026, 10, 1), dt.date(2026, 11, 1)
    first = store.load([file_load(oct_, projects=[project(project_id="P1"), project(project_id="P2")])])[0]
    fix = store.load([file_load(oct_, projects=[project(project_id="P1")])])[0]
    later = store.load([file_load(nov, projects=[project(project_id="P1")])])[0]
    with store.connect() as con:
        ranges = con.execute("SELECT entity_key, upload_id, valid_from, valid_to FROM entity_validity "
                             "ORDER BY entity_key, upload_id").fetchall()
    # The superseded same-month version covers no month; the correction covers October only.
    assert ranges == [("P1", first, oct_, oct_), ("P1", fix, oct_, nov), ("P1", later, nov, None),
                      ("P2", first, oct_, None)]
    store.void(fix)
    assert_same_rule(store)
    got = store.query("SELECT entity_key, upload_id FROM effective_uploads('projects', ?::DATE) ORDER BY 1",
                      [oct_]).to_pylist()
    assert got == [{"entity_key": "P1", "upload_id": first}, {"entity_key": "P2", "upload_id": first}]


def test_a_failed_load_leaves_the_index_unchanged(store, monkeypatch):
    store.load([file_load("2026-10", projects=[project(project_id="P1")])])
    with store.connect() as con:
        before = con.execute("SELECT * FROM entity_validity ORDER BY ALL").fetchall()

    def boom(*_):
        raise RuntimeError("summaries failed")

    monkeypatch.setattr(month_rows, "after_load", boom)
    with pytest.raises(RuntimeError):
        store.load([file_load("2026-11", projects=[project(project_id="P1"), project(project_id="P9")])])
    with store.connect() as con:
        assert con.execute("SELECT * FROM entity_validity ORDER BY ALL").fetchall() == before


def make_v2_database(path, rng):
    """A database as schema 2 left it, with random uploads (some voided) and their entity versions."""
    con = duckdb.connect(str(path))
    try:
        con.execute((SQL_DIR / "migrations/schema_v1.sql").read_text(encoding="utf-8"))
        con.execute((SQL_DIR / "migrations/schema_v2.sql").read_text(encoding="utf-8"))
        con.execute("INSERT INTO meta VALUES ('schema_version', '2')")
        for upload_id in range(1, 31):
            as_of = rng.choice(MONTHS)
            status = rng.choice(["loaded", "loaded", "loaded", "voided"])
            con.execute("""INSERT INTO uploads (batch_id, file_name, sha256, size_bytes, as_of, status)
                           VALUES (?, 'f.xlsx', ?, 1, ?, ?)""", [upload_id, str(upload_id), as_of, status])
            for kind in rng.sample(KINDS, rng.randint(1, 3)):
                for key in rng.sample(range(5), rng.randint(1, 5)):
                    con.execute("INSERT INTO entity_versions VALUES (?, ?, ?, ?)", [kind, f"E{key}", upload_id, as_of])
    finally:
        con.close()


@pytest.mark.parametrize("seed", range(3))
def test_the_migration_fills_the_index_of_a_schema_2_database(tmp_path, seed):
    path = tmp_path / "v2.duckdb"
    make_v2_database(path, random.Random(seed))
    store = Store(path)
    with store.connect() as con:
        assert Store.schema_version(con) == SCHEMA_VERSION
    old, new = rules(store)
    assert old and new == old
    assert_same_rule(store)
