"""Kill a month-end load with SIGKILL at random moments and check the database every time (SPEC §6).

A database holding a first load (September) is copied; `python -m pmo_metrics ingest` of a big
October workbook is started on the copy and killed after a seeded random delay, spread evenly over
the time a complete load takes. After each kill the database must open, `PRAGMA database_size`
must work, and its row counts and effective-data checksums must equal exactly "before" or exactly
"after a complete load"; the audit log must hold no upload whose rows are partly stored.

    .venv/bin/python bench/kill_test.py                 # 20 kills, prints the tally
    .venv/bin/python bench/kill_test.py --kills 5 --projects 500
"""

from __future__ import annotations

import argparse
import json
import random
import shutil
import signal
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass, field
from pathlib import Path

import duckdb

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "bench"))
from generate_scale import write_monthly_workbook  # noqa: E402  (script run from anywhere)

from pmo_metrics.schema import SHEETS  # noqa: E402

MONTHS = ("2026-09-01", "2026-10-01")
EFFECTIVE = ("projects", "financials", "benefits", "benefit_values")


def connect_when_free(db: Path, seconds: float = 60) -> duckdb.DuckDBPyConnection:
    """Open `db` once no other process holds it (a command's detached finishing step may, briefly)."""
    deadline = time.monotonic() + seconds
    while True:
        try:
            return duckdb.connect(str(db))
        except duckdb.IOException as error:
            if "lock" not in str(error).lower() or time.monotonic() > deadline:
                raise
            time.sleep(0.1)


def settle(db: Path) -> None:
    """Fold `db`'s log into the file, once no other process holds it: a command line's load leaves
    its checkpoint to a detached process, and a copy of the file alone holds every committed write
    only after one (docs/reliability.md)."""
    con = connect_when_free(db)
    try:
        con.execute("CHECKPOINT")
    finally:
        con.close()


def fingerprint(db: Path) -> dict:
    """Return what must be all-before or all-after: counts, effective checksums, audit consistency."""
    con = connect_when_free(db)
    try:
        con.execute("PRAGMA database_size").fetchall()
        result: dict = {}
        for table in ("uploads", "entity_versions", *(s.table for s in SHEETS)):
            result[f"rows:{table}"] = con.execute(f"SELECT count(*) FROM {table}").fetchall()[0][0]  # noqa: S608
        for month in MONTHS:
            for kind in EFFECTIVE:
                # Upload ids and source rows are excluded: they say where a row came from, not what it is.
                count, checksum = con.execute(
                    f"""SELECT count(*), coalesce(sum(hash(t::VARCHAR)), 0)::VARCHAR FROM
                        (SELECT * EXCLUDE (upload_id, source_row) FROM effective_{kind}(?::DATE)) t""",  # noqa: S608
                    [month]).fetchall()[0]
                result[f"{kind}@{month[:7]}"] = (count, checksum)
        result["audit"] = audit_problems(con)
        return result
    finally:
        con.close()


def audit_problems(con) -> list[str]:
    """Return every audit row that is half there: a loaded upload whose stored rows differ from its counts."""
    problems = []
    rows = con.execute("SELECT upload_id, status, file_name, sha256, sheets FROM uploads").fetchall()
    by_sheet = {s.name: s.table for s in SHEETS}
    for upload_id, status, file_name, sha256, sheets in rows:
        if status not in ("loaded", "rejected", "duplicate", "voided") or not file_name or not sha256:
            problems.append(f"upload {upload_id}: incomplete audit row")
            continue
        if status != "loaded":
            continue
        for sheet, expected in json.loads(sheets or "{}").items():
            stored = con.execute(f"SELECT count(*) FROM {by_sheet[sheet]} WHERE upload_id = ?",  # noqa: S608
                                 [upload_id]).fetchall()[0][0]
            if stored != expected:
                problems.append(f"upload {upload_id}: {sheet} has {stored} of {expected} rows")
    orphans = con.execute("""SELECT count(*) FROM entity_versions ev
                             WHERE NOT EXISTS (SELECT 1 FROM uploads u WHERE u.upload_id = ev.upload_id)""").fetchall()
    if orphans[0][0]:
        problems.append(f"{orphans[0][0]} snapshot rows without an upload")
    return problems


@dataclass
class Setup:
    """The workbooks, the first-load database and the two allowed states."""

    workdir: Path
    big: Path
    before_db: Path
    before: dict
    after: dict
    load_seconds: float
    rows: dict = field(default_factory=dict)


def ingest_command(workbook: Path, db: Path) -> list[str]:
    return [sys.executable, "-m", "pmo_metrics", "ingest", str(workbook), "--db", str(db), "--user", "kill-test"]


def prepare(workdir: Path, projects: int = 2500) -> Setup:
    """Write the September and October workbooks, load September, and time a complete October load."""
    first, big = workdir / "2026-09 first.xlsx", workdir / "2026-10 big.xlsx"
    write_monthly_workbook(first, projects, projects, "2026-09")
    rows = write_monthly_workbook(big, projects, projects, "2026-10")
    before_db = workdir / "before.duckdb"
    subprocess.run(ingest_command(first, before_db), cwd=ROOT, check=True, capture_output=True)
    settle(before_db)  # copied below, file alone
    after_db = workdir / "after.duckdb"
    shutil.copy(before_db, after_db)
    start = time.perf_counter()
    subprocess.run(ingest_command(big, after_db), cwd=ROOT, check=True, capture_output=True)
    seconds = time.perf_counter() - start
    settle(after_db)
    return Setup(workdir, big, before_db, fingerprint(before_db), fingerprint(after_db), seconds, rows)


def classify(setup: Setup, db: Path) -> str:
    """Return before, after, partial (opens but matches neither) or corrupt (does not open)."""
    try:
        state = fingerprint(db)
    except Exception as exc:  # any failure to open or read is what this test hunts
        print(f"  corrupt: {type(exc).__name__}: {exc}", file=sys.stderr)
        return "corrupt"
    if state["audit"]:
        return "partial"
    return "before" if state == setup.before else "after" if state == setup.after else "partial"


def _file_state(db: Path) -> tuple:
    wal = Path(str(db) + ".wal")
    return db.stat().st_size, db.stat().st_mtime_ns, wal.exists() and wal.stat().st_size


def _wait_for_writing(db: Path, process: subprocess.Popen, limit: float) -> float:
    """Wait until the database file or its WAL starts changing (the store phase); return seconds waited."""
    start, first = time.perf_counter(), _file_state(db)
    while process.poll() is None and time.perf_counter() - start < limit:
        if _file_state(db) != first:
            break
        time.sleep(0.002)
    return time.perf_counter() - start


def run_kills(setup: Setup, kills: int, seed: int = 20261031, log=print) -> dict[str, int]:
    """Kill `kills` loads at seeded moments; return the tally of outcomes.

    Even kills are spread evenly over the whole load (reading, validating, storing); odd kills
    wait for the database file to start changing and land in the store phase and its commit,
    the window that reading-dominated timings would otherwise rarely hit.
    """
    rng = random.Random(seed)
    tally = {"before": 0, "after": 0, "partial": 0, "corrupt": 0}
    span = setup.load_seconds * 1.1  # a little past the end, so some kills land after the commit
    spread = (kills + 1) // 2
    for i in range(kills):
        db = setup.workdir / f"kill-{i}.duckdb"
        shutil.copy(setup.before_db, db)
        process = subprocess.Popen(ingest_command(setup.big, db), cwd=ROOT,
                                   stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        if i % 2 == 0:
            delay = (i // 2 + rng.random()) / spread * span
            time.sleep(delay)
            when = f"at {delay:5.2f}s"
        else:
            waited = _wait_for_writing(db, process, span * 2)
            extra = rng.uniform(0, 0.4)
            time.sleep(extra)
            when = f"{extra:4.2f}s into storing (began {waited:4.2f}s)"
        finished = process.poll() is not None
        if not finished:
            process.send_signal(signal.SIGKILL)
        process.wait()
        outcome = classify(setup, db)
        tally[outcome] += 1
        log(f"kill {i + 1:2d} {when}{' (already done)' if finished else ''}: {outcome}")
        for path in (db, Path(str(db) + ".wal")):
            path.unlink(missing_ok=True)
    return tally


def main(argv: list[str] | None = None) -> int:
    """Command line: prepare, kill N times, print the tally; exit 1 on any corrupt or partial state."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--kills", type=int, default=20)
    parser.add_argument("--projects", type=int, default=2500, help="2,500 gives ~120k Financials rows")
    parser.add_argument("--seed", type=int, default=20261031)
    args = parser.parse_args(argv)
    with tempfile.TemporaryDirectory(prefix="pmo-kill-") as tmp:
        setup = prepare(Path(tmp), args.projects)
        print(f"workbook rows {setup.rows}; a complete load takes {setup.load_seconds:.2f}s")
        tally = run_kills(setup, args.kills, args.seed)
    print(f"{args.kills} kills: {tally['before']} before, {tally['after']} after, "
          f"{tally['partial']} partial, {tally['corrupt']} corrupt")
    return 0 if tally["partial"] == tally["corrupt"] == 0 else 1


if __name__ == "__main__":
    sys.exit(main())
