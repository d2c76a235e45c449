"""Ten years of monthly returns (SPEC §12): a 5,000-project store of 120 monthly uploads.

Builds two stores month by month from generated returns (bench/generate_scale.py): one from full
uploads (every month restates every project's whole phased life) and one from incremental uploads
(month 1 full, then only each month's new periods), loading each month with `pmo-metrics ingest`
as a whole process, as a month-end job does. After every month it logs the load time and the
store's size on disk; at months 12, 36, 60, 90 and the last it times the pages' queries on both
stores. On the finished stores it times every page's queries (target <= 300 ms) and every
`pmo-metrics measures TABLE` as a whole process (target <= 1 s), and writes the `decade` section of
docs/benchmarks.md.

The build is cached and resumable: the stores and a per-month log (log.jsonl) live in
bench/out/decade-<projects>-<months>/; a run that stops part way resumes at the next month.
Each month's workbook is deleted once loaded (120 full returns are ~1.8 GB).

    .venv/bin/python bench/ten_years.py --months 12      # a quick trial (~5 min)
    nice -n 10 .venv/bin/python bench/ten_years.py       # 120 months (about an hour on 2 cores)
    .venv/bin/python bench/ten_years.py --build-only     # build (or resume) without the final timings
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import os
import platform
import statistics
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "bench"))

import generate_scale  # noqa: E402  (bench script, run from anywhere)
import run_bench  # noqa: E402

OUT = ROOT / "bench" / "out"
PYTHON = sys.executable
LAST = run_bench.LAST  # the final month is the one run_bench's `measures` timings ask for
KINDS = ("full", "incremental")
GROWTH_MONTHS = (12, 36, 60, 90, 120)


def series(months: int, last: str = LAST) -> list[str]:
    """Return the `YYYY-MM` reporting months of a series of `months` ending at `last`, oldest first."""
    end = generate_scale.month_index(last)
    return [generate_scale.month_text(i) for i in range(end - months + 1, end + 1)]


def checkpoints(months: int) -> list[int]:
    """Return the month numbers (1-based) at which growth is reported: 12, 36, 60, 90, 120 that
    the series reaches, and its last month."""
    return sorted({m for m in GROWTH_MONTHS if m <= months} | {months})


def read_log(path: Path) -> list[dict]:
    """Return the log's records (one JSON object a line); a torn last line is ignored."""
    records = []
    if path.exists():
        for line in path.read_text(encoding="utf-8").splitlines():
            try:
                records.append(json.loads(line))
            except json.JSONDecodeError:
                continue
    return records


def growth(records: list[dict], kind: str, at: list[int], window: int = 6) -> list[dict]:
    """Return, for each month number in `at` that `kind` reached, its store size and load time, with
    the median load time of the `window` months up to it (one month's figure is noisy)."""
    mine = {r["n"]: r for r in records if r["kind"] == kind and "load_s" in r}
    rows = []
    for n in at:
        if n not in mine:
            continue
        recent = [mine[k]["load_s"] for k in range(max(1, n - window + 1), n + 1)
                  if k in mine and mine[k]["load_s"] is not None]  # None: a load whose time was not kept
        rows.append({"n": n, "as_of": mine[n]["as_of"], "size_mb": mine[n]["size_mb"],
                     "load_s": mine[n]["load_s"], "median_load_s": statistics.median(recent) if recent else None,
                     "file_mb": mine[n]["file_mb"], "rows": mine[n]["rows"], "load_avg": mine[n].get("load_avg")})
    return rows


def store_size_mb(db: Path) -> float:
    """Return the store's size on disk: the file and its write-ahead log, in MB."""
    return sum(p.stat().st_size for p in (db, Path(str(db) + ".wal")) if p.exists()) / 1e6


def loaded_months(db: Path) -> set[str]:
    """Return the `YYYY-MM` months with a loaded upload in `db` (read-only; empty when no store)."""
    if not db.exists():
        return set()
    import duckdb

    con = duckdb.connect(str(db), read_only=True)
    try:
        rows = con.execute("SELECT DISTINCT strftime(as_of, '%Y-%m') FROM uploads WHERE status = 'loaded'").fetchall()
    finally:
        con.close()
    return {r[0] for r in rows}


def ingest_whole_process(workbook: Path, db: Path) -> float:
    """Load `workbook` into `db` with `pmo-metrics ingest`; return the seconds to the process's exit."""
    started = time.perf_counter()
    proc = subprocess.run([PYTHON, "-m", "pmo_metrics", "ingest", str(workbook), "--db", str(db)], cwd=ROOT,
                          capture_output=True, text=True, check=False)
    seconds = time.perf_counter() - started
    if proc.returncode:
        raise SystemExit(f"{workbook.name} did not load into {db.name}:\n{(proc.stdout + proc.stderr)[-3000:]}")
    return seconds


def probe(db: Path, runs: int) -> dict[str, float]:
    """Median ms of each page's queries on `db` at its latest month, in a child process (so this
    one never holds the file a load needs)."""
    proc = subprocess.run([PYTHON, str(Path(__file__).resolve()), "--probe", str(db), "--runs", str(runs)], cwd=ROOT,
                          capture_output=True, text=True, check=False)
    if proc.returncode:
        raise SystemExit(f"page queries on {db.name} failed:\n{proc.stderr[-3000:]}")
    return json.loads(proc.stdout.strip().splitlines()[-1])


def _probe_child(db: Path, runs: int) -> int:
    from pmo_metrics.store import Store

    store = Store(db)
    store.ensure_month_rows()
    as_of = store.reporting_months()[0]
    print(json.dumps(run_bench.time_calls(run_bench.page_queries(store, as_of), runs)))
    return 0


def build(directory: Path, projects: int, benefits: int, months: int, probe_runs: int, kinds=KINDS,
          upto: int | None = None) -> None:
    """Load the series month by month into one store per kind (through month `upto` only, when
    given), resuming where the log ends."""
    directory.mkdir(parents=True, exist_ok=True)
    log = directory / "log.jsonl"
    done = {(r["kind"], r["as_of"]) for r in read_log(log) if "load_s" in r}
    probed = {(r["kind"], r["n"]) for r in read_log(log) if "pages_ms" in r}
    reporting = series(months)
    stores = {kind: directory / f"{kind}.duckdb" for kind in kinds}
    in_store = {kind: loaded_months(db) for kind, db in stores.items()}
    upto = min(upto or months, months)
    wanted = {n for n in checkpoints(months) if n <= upto} | {upto}
    for n, as_of in enumerate(reporting[:upto], start=1):
        for kind in kinds:
            db = stores[kind]
            if (kind, as_of) not in done:
                if as_of in in_store[kind]:
                    # Loaded by a run that stopped before logging it: its time is lost, not re-measured.
                    record = {"kind": kind, "n": n, "as_of": as_of, "load_s": None, "gen_s": None, "rows": None,
                              "file_mb": None, "size_mb": store_size_mb(db), "load_avg": os.getloadavg()[0]}
                else:
                    workbook = directory / f"{as_of} {kind}.xlsx"
                    tick = time.perf_counter()
                    counts = generate_scale.write_monthly_workbook(
                        workbook, projects, benefits, as_of, first_as_of=reporting[0], n_months=months,
                        incremental=kind == "incremental" and n > 1)
                    gen_s = time.perf_counter() - tick
                    file_mb = workbook.stat().st_size / 1e6
                    load_s = ingest_whole_process(workbook, db)
                    workbook.unlink()
                    record = {"kind": kind, "n": n, "as_of": as_of, "load_s": load_s, "gen_s": gen_s,
                              "rows": sum(counts.values()), "file_mb": file_mb, "size_mb": store_size_mb(db),
                              "load_avg": os.getloadavg()[0]}
                with log.open("a", encoding="utf-8") as handle:
                    handle.write(json.dumps(record) + "\n")
                load = "already loaded" if record["load_s"] is None else f"loaded in {record['load_s']:.1f}s"
                print(f"{kind:11s} month {n:3d} ({as_of}): {load}, store {record['size_mb']:.0f} MB "
                      f"(load avg {record['load_avg']:.1f})", flush=True)
            if n in wanted and (kind, n) not in probed:
                pages = probe(db, probe_runs)
                with log.open("a", encoding="utf-8") as handle:
                    handle.write(json.dumps({"kind": kind, "n": n, "as_of": as_of, "pages_ms": pages,
                                             "load_avg": os.getloadavg()[0]}) + "\n")
                print(f"{kind:11s} month {n:3d}: slowest page queries {max(pages.values()):.0f} ms "
                      f"({max(pages, key=pages.get)})", flush=True)
    if upto == months:
        (directory / "built").write_text("ok\n")


def measures_commands(db: Path, runs: int, as_of: str = LAST) -> dict[str, float]:
    """Median whole-process seconds of `pmo-metrics measures TABLE --as-of as_of` for every table
    the command offers."""
    from pmo_metrics.measures import TABLES

    # run_bench times the Part I tables at its last month; ten years must keep every table's
    # target, so it is asked for all of them, at this store's last month (its function reads the
    # module's TABLES and LAST when called).
    saved = run_bench.TABLES, run_bench.LAST
    run_bench.TABLES, run_bench.LAST = TABLES, as_of
    try:
        return run_bench.time_measures_commands(db, runs)
    finally:
        run_bench.TABLES, run_bench.LAST = saved


def verdict(ok: bool) -> str:
    return run_bench.verdict(ok)


def report(directory: Path, projects: int, benefits: int, months: int, final: dict, runs: int,
           upto: int | None = None) -> str:
    """Return the `decade` section's markdown from the log and the final timings (taken at month
    `upto` when the series was stopped there)."""
    records = read_log(directory / "log.jsonl")
    upto = min(upto or months, months)
    at = sorted({n for n in checkpoints(months) if n <= upto} | {upto})
    first, last = series(months)[0], series(months)[upto - 1]
    lines = [
        f"Run {dt.datetime.now():%Y-%m-%d %H:%M} on {platform.machine()} with {os.cpu_count()} cores "
        f"(load average {os.getloadavg()[0]:.1f} at the end; each month's is in the table), Python "
        f"{platform.python_version()}. `bench/ten_years.py --months {months}`: {projects:,} projects and "
        f"{benefits:,} benefits, monthly returns {first} to {last} ("
        + (f"{upto} of the series' {months} months: the build stopped there, see below" if upto < months
           else f"{months} months") + "), each loaded with `pmo-metrics "
        "ingest` as a whole process (to the prompt, month rows included), into two stores: one of full "
        "uploads (each month restates every project's 48 phased months and every benefit's values) and "
        "one of incremental uploads (month 1 full, then the registers and only that month's periods).",
        "",
    ]
    if upto < months:
        lines += [f"The build stopped at month {upto} of {months} (the time it had on a shared machine); "
                  f"`bench/ten_years.py --months {months}` resumes it from the log and times the stores at month "
                  f"{months}. The series is one portfolio: its months 1 to {upto} are those of the full run.", ""]
    lines += [
        "### Growth",
        "",
        "| month | store | file | rows in file | store size | load (that month) | load (median of 6 months) "
        "| slowest page queries | load avg |",
        "|---|---|---|---|---|---|---|---|---|",
    ]
    pages_at = {(r["kind"], r["n"]): r["pages_ms"] for r in records if "pages_ms" in r}
    for kind in KINDS:
        for row in growth(records, kind, at):
            pages = pages_at.get((kind, row["n"]))
            slowest = f"{max(pages.values()):.0f} ms ({max(pages, key=pages.get)})" if pages else "-"
            load = "-" if row["load_s"] is None else f"{row['load_s']:.1f} s"
            median_load = "-" if row["median_load_s"] is None else f"{row['median_load_s']:.1f} s"
            file_mb = "-" if row["file_mb"] is None else f"{row['file_mb']:.1f} MB"
            rows = "-" if row["rows"] is None else f"{row['rows']:,}"
            lines.append(f"| {row['n']} ({row['as_of']}) | {kind} | {file_mb} | {rows} | {row['size_mb']:.0f} MB "
                         f"| {load} | {median_load} | {slowest} | {row['load_avg']:.1f} |")
    for kind in KINDS:
        mine = [r for r in records if r["kind"] == kind and r.get("load_s") is not None]
        if len(mine) >= 2:
            per_month = (mine[-1]["size_mb"] - mine[0]["size_mb"]) / (mine[-1]["n"] - mine[0]["n"])
            loads = [r["load_s"] for r in mine]
            lines += ["", f"{kind.capitalize()} store: {per_month:.1f} MB a month on average after month "
                      f"{mine[0]['n']}; load times from {min(loads):.1f} s to {max(loads):.1f} s (median "
                      f"{statistics.median(loads):.1f} s over {len(mine)} months)."]
    for kind, figures in final.items():
        db = directory / f"{kind}.duckdb"
        lines += ["", f"### The {upto}-month store of {kind} uploads ({store_size_mb(db):.0f} MB)", "",
                  f"Load average {figures['load_avg']:.1f} while timed; medians of {runs} runs (page queries: "
                  f"{max(runs, 5)}).", "",
                  "| page | queries (median) | target |", "|---|---|---|",
                  *[f"| {name} | {ms:.0f} ms | {verdict(ms <= run_bench.TARGET_PAGE_MS)} "
                    f"<= {run_bench.TARGET_PAGE_MS} ms |" for name, ms in figures["pages"].items()],
                  "", "| `pmo-metrics measures TABLE` (whole process) | median | target |", "|---|---|---|",
                  *[f"| {table} | {s:.2f} s | {verdict(s <= run_bench.TARGET_MEASURES_S)} "
                    f"<= {run_bench.TARGET_MEASURES_S:.0f} s |" for table, s in figures["measures"].items()]]
    return "\n".join(lines) + "\n"


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--months", type=int, default=120, help="monthly returns in the series (default 120)")
    parser.add_argument("--projects", type=int, default=5000)
    parser.add_argument("--benefits", type=int, default=20000)
    parser.add_argument("--runs", type=int, default=3, help="runs per median of the final timings (default 3)")
    parser.add_argument("--kinds", default=",".join(KINDS), help="stores to build: full,incremental")
    parser.add_argument("--build-only", action="store_true", help="build or resume the stores; time nothing else")
    parser.add_argument("--upto", type=int, help="build only the series' first UPTO months, and time the stores there")
    parser.add_argument("--no-write", action="store_true", help="do not write docs/benchmarks.md")
    parser.add_argument("--report-only", action="store_true", help="write the report from the last run's timings")
    parser.add_argument("--probe", type=Path, help=argparse.SUPPRESS)  # the child that times page queries
    args = parser.parse_args(argv)
    if args.probe:
        return _probe_child(args.probe, args.runs)
    kinds = tuple(k for k in args.kinds.split(",") if k)
    if not kinds or set(kinds) - set(KINDS):
        parser.error(f"--kinds takes {', '.join(KINDS)}")

    directory = OUT / f"decade-{args.projects}-{args.months}"
    print(f"== {args.months} months of {args.projects:,} projects into {directory.relative_to(ROOT)}", flush=True)
    upto = min(args.upto or args.months, args.months)
    if args.report_only:
        final = json.loads((directory / "final.json").read_text(encoding="utf-8"))
        return _write(directory, args, final, upto)
    build(directory, args.projects, args.benefits, args.months, probe_runs=3, kinds=kinds, upto=upto)
    if args.build_only:
        return 0
    final = {}
    for kind in kinds:
        db = directory / f"{kind}.duckdb"
        print(f"== final timings on the {kind} store", flush=True)
        pages = probe(db, max(args.runs, 5))
        final[kind] = {"pages": pages, "measures": measures_commands(db, args.runs, series(args.months)[upto - 1]),
                       "load_avg": os.getloadavg()[0]}
    (directory / "final.json").write_text(json.dumps(final, indent=1) + "\n", encoding="utf-8")
    return _write(directory, args, final, upto)


def _write(directory: Path, args: argparse.Namespace, final: dict, upto: int) -> int:
    text = report(directory, args.projects, args.benefits, args.months, final, args.runs, upto)
    print()
    print(text)
    if not args.no_write:
        from doc_section import write_section

        span = f"{args.months}" if upto == args.months else f"{upto} of {args.months}"
        write_section("decade", f"Ten years: {span} monthly returns of {args.projects:,} projects", text)
        print("written to docs/benchmarks.md")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
