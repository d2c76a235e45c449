"""Ingest as a user waits for it: `pmo-metrics ingest FILE`, launch to exit, against a parse of the file.

For each workbook shape (bench/shapes.py: long financials, money typed as text, wide benefit
values, CSV) and each upload mode (full, incremental, full + complete), alternating pairs are
timed, each a whole new process from launch to exit:

- parse: a process that imports fastexcel and reads every sheet to Arrow (for the CSV,
  `pyarrow.csv.read_csv`: fastexcel reads no CSV, and Arrow's reader is the fastest one at hand);
- ingest: `pmo-metrics ingest FILE --mode … [--complete]` into a store that already holds the
  month before (a user's store exists): a copy of a store built once, untimed, for the shape.

Median of the runs; the ratio is of the medians of the same run, and each pair's own ratio is
listed. Peak RSS is each child's own (os.wait4).

    .venv/bin/python bench/ingest_bench.py                       # 300k rows, 5 pairs, every shape and mode
    .venv/bin/python bench/ingest_bench.py --rows 30000 --runs 3 --modes full
"""

from __future__ import annotations

import argparse
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "bench"))

import shapes  # noqa: E402  (bench script, run from anywhere)

OUT = ROOT / "bench" / "out"
BIN = Path(sys.executable).parent
PREVIOUS, MONTH = "2026-09", "2026-10"
MODES = {"full": ["--mode", "full"], "incremental": ["--mode", "incremental"],
         "complete": ["--mode", "full", "--complete"]}
TARGET_RATIO = 1.3

PARSE_XLSX = """
import sys, fastexcel
reader = fastexcel.read_excel(sys.argv[1])
rows = sum(reader.load_sheet(name).to_arrow().num_rows for name in reader.sheet_names)
print(rows)
"""
PARSE_CSV = """
import sys, pyarrow.csv
print(pyarrow.csv.read_csv(sys.argv[1]).num_rows)
"""


def timed(command: list[str], env: dict | None = None) -> tuple[float, float, str]:
    """Run `command` as a new process; return (seconds launch to exit, its peak RSS in MB, its stdout)."""
    with tempfile.TemporaryFile() as out, tempfile.TemporaryFile() as err:
        started = time.perf_counter()
        process = subprocess.Popen(command, cwd=ROOT, env=env, stdout=out, stderr=err)
        _, status, usage = os.wait4(process.pid, 0)
        seconds = time.perf_counter() - started
        process.returncode = os.waitstatus_to_exitcode(status)
        out.seek(0)
        err.seek(0)
        stdout, stderr = out.read().decode(), err.read().decode()
    if process.returncode:
        raise SystemExit(f"{' '.join(command)} failed ({process.returncode}):\n{stdout[-1500:]}\n{stderr[-1500:]}")
    return seconds, usage.ru_maxrss / 1024, stdout


def files_for(shape: str, rows: int, directory: Path) -> tuple[Path, Path]:
    """Return (the month before, the month timed) of `shape`, writing them when missing."""
    directory.mkdir(parents=True, exist_ok=True)
    ext = "csv" if shape == "csv" else "xlsx"
    before_shape = "long" if shape == "csv" else shape  # the CSV's projects come from last month's workbook
    before = directory / f"{PREVIOUS} {before_shape}.xlsx"
    this = directory / (f"{MONTH} Financials.csv" if shape == "csv" else f"{MONTH} {shape}.{ext}")
    for path, kind, month in ((before, before_shape, PREVIOUS), (this, shape, MONTH)):
        if not path.exists():
            tick = time.perf_counter()
            # In a process of its own: a child's peak RSS counts the memory of the process it was
            # forked from (Linux keeps the high-water mark across exec), and writing a 1M-row
            # workbook here left this one at ~1 GB, which every later child then reported.
            subprocess.run([sys.executable, "-c", "import sys, pathlib, shapes; shapes.write(sys.argv[1], "
                            "pathlib.Path(sys.argv[2]), sys.argv[3], int(sys.argv[4]))", kind, str(path), month,
                            str(rows)], cwd=ROOT / "bench", check=True)
            print(f"  wrote {path.name} ({path.stat().st_size / 1e6:.1f} MB) in {time.perf_counter() - tick:.1f} s",
                  flush=True)
    return before, this


def ingest_command(path: Path, mode: str, as_module: bool = False) -> list[str]:
    """The command a user types; `as_module`: `python -m pmo_metrics` (the same CLI; with --baseline both
    versions run so, as the console script imports the entry point this version names)."""
    extra = ["--as-of", MONTH, "--sheet", "Financials"] if path.suffix == ".csv" else []
    # -P: the working directory (this tree) must not come before the baseline's PYTHONPATH
    launcher = [sys.executable, "-P", "-m", "pmo_metrics"] if as_module else [str(BIN / "pmo-metrics")]
    return [*launcher, "ingest", str(path), *MODES[mode], *extra]


def prepared_store(before: Path, directory: Path) -> Path:
    """Return a store holding the month before (built once per shape through the CLI, untimed)."""
    db = directory / f"store-{before.stem.replace(' ', '-')}.duckdb"
    if not db.exists():
        env = dict(os.environ, PMO_METRICS_DB=str(db))
        timed(ingest_command(before, "full"), env)
    return db


def kept_rows_made(db: Path, seconds: float = 120) -> float:
    """Return the clock once `db` is free and holds the month rows of the month loaded."""
    import duckdb

    deadline = time.perf_counter() + seconds
    while time.perf_counter() < deadline:
        try:
            con = duckdb.connect(str(db), read_only=True)
        except duckdb.IOException:  # held by the process making them
            time.sleep(0.05)
            continue
        try:
            done = con.execute("SELECT count(*) FROM month_rows_made WHERE as_of = ?", [MONTH + "-01"]).fetchall()[0][0]
        finally:
            con.close()
        if done and not Path(str(db) + ".wal").exists():
            return time.perf_counter()
        time.sleep(0.05)
    raise SystemExit(f"the month rows of {db.name} were not made within {seconds} s")


def one_ingest(template: Path, this: Path, mode: str, db: Path, baseline: Path | None = None,
               as_module: bool = False) -> tuple:
    """Time one whole-process ingest of `this` into a copy of `template`; `baseline`: with that
    source tree's pmo_metrics instead of this one's (for before/after in one run); `as_module`: as
    `ingest_command` has it."""
    shutil.copyfile(template, db)
    env = dict(os.environ, PMO_METRICS_DB=str(db))
    if baseline is not None:
        env["PYTHONPATH"] = str(baseline)
    started = time.perf_counter()
    seconds, rss, stdout = timed(ingest_command(this, mode, as_module), env)
    if "loaded:" not in stdout:
        raise SystemExit(f"{this.name} did not load:\n{stdout[-1500:]}")
    # The command may leave the month rows to a detached process: wait for them (not counted in the
    # ingest, reported on its own), so that work never overlaps the next measurement.
    settled = kept_rows_made(db) - started
    db.unlink()
    Path(str(db) + ".wal").unlink(missing_ok=True)
    return seconds, rss, stdout, settled


def compare(shape: str, mode: str, before: Path, this: Path, runs: int, work: Path,
            baseline: Path | None = None) -> dict:
    """Alternate `runs` parse/ingest pairs of `this` (triples with the baseline ingest too); return
    medians, each pair's ratio and peak RSS."""
    template = prepared_store(before, this.parent)
    parse = [sys.executable, "-c", PARSE_CSV if shape == "csv" else PARSE_XLSX, str(this)]
    parses, ingests, olds = [], [], []
    for run in range(runs):
        parses.append(timed(parse))
        if baseline is not None:
            olds.append(one_ingest(template, this, mode, work / f"old-{shape}-{mode}-{run}.duckdb", baseline,
                                   as_module=True))
        ingests.append(one_ingest(template, this, mode, work / f"run-{shape}-{mode}-{run}.duckdb",
                                  as_module=baseline is not None))
    parse_s = statistics.median(p[0] for p in parses)
    ingest_s = statistics.median(i[0] for i in ingests)
    result = {"shape": shape, "mode": mode, "file": this.name, "mb": this.stat().st_size / 1e6,
              "sheet_rows": int(parses[0][2].strip()), "parse_s": parse_s, "ingest_s": ingest_s,
              "ratio": ingest_s / parse_s, "pairs": [i[0] / p[0] for p, i in zip(parses, ingests, strict=True)],
              "parse_rss_mb": max(p[1] for p in parses), "ingest_rss_mb": max(i[1] for i in ingests),
              "loaded": ingests[0][2].strip().splitlines()[0], "settled_s": statistics.median(i[3] for i in ingests)}
    if olds:
        old_s = statistics.median(o[0] for o in olds)
        result.update(before_settled_s=statistics.median(o[3] for o in olds))
        result.update(before_s=old_s, before_ratio=old_s / parse_s, before_rss_mb=max(o[1] for o in olds),
                      before_pairs=[o[0] / p[0] for p, o in zip(parses, olds, strict=True)])
    return result


def startup(runs: int) -> dict:
    """Whole-process seconds of an interpreter, of importing fastexcel and of `pmo-metrics ingest --help`."""
    commands = {"python -c pass": [sys.executable, "-c", "pass"],
                "python -c 'import fastexcel, pyarrow'": [sys.executable, "-c", "import fastexcel, pyarrow"],
                "pmo-metrics ingest --help": [str(BIN / "pmo-metrics"), "ingest", "--help"]}
    return {name: statistics.median(timed(command)[0] for _ in range(runs)) for name, command in commands.items()}


def table(results: list[dict], start: dict, rows: int, runs: int) -> str:
    """Return the results as markdown (with the baseline's columns when it was timed)."""
    before = any("before_s" in r for r in results)
    lines = [
        f"Files of ~{rows:,} stored rows each (bench/shapes.py); each ingest into a copy of a store already "
        f"holding {PREVIOUS} of the same shape; medians of {runs} alternating "
        f"{'triples (parse, ingest before, ingest now)' if before else 'pairs (parse, ingest)'}, whole processes. "
        "*Month rows made*: seconds from the ingest's launch until the rows kept for the pages were made "
        "and the store checkpointed (in the command before; after it, in a detached process)."
        + (" Both versions run as `python -m pmo_metrics ingest` (the console script names this version's "
           "entry point)." if before else ""),
        "",
        "| shape | mode | file | parse | "
        + ("ingest before | ratio before | month rows made before | " if before else "")
        + "ingest | ratio | month rows made | each pair's ratio | peak RSS parse / " + ("before / " if before else "")
        + "ingest |",
        "|---" * (12 if before else 9) + "|",
    ]
    for r in results:
        cells = [r["shape"], r["mode"], f"{r['mb']:.1f} MB, {r['sheet_rows']:,} sheet rows", f"{r['parse_s']:.2f} s"]
        rss = [f"{r['parse_rss_mb']:.0f}"]
        if before:
            cells += [f"{r['before_s']:.2f} s", f"{r['before_ratio']:.2f}×", f"{r['before_settled_s']:.2f} s"]
            rss.append(f"{r['before_rss_mb']:.0f}")
        cells += [f"{r['ingest_s']:.2f} s", f"**{r['ratio']:.2f}×**", f"{r['settled_s']:.2f} s",
                  ", ".join(f"{p:.2f}" for p in r["pairs"]), " / ".join([*rss, f"{r['ingest_rss_mb']:.0f}"]) + " MB"]
        lines.append("| " + " | ".join(cells) + " |")
    lines += ["", "| start-up (whole process, median) | seconds |", "|---|---|",
              *[f"| `{name}` | {s:.2f} s |" for name, s in start.items()], ""]
    worst = max(results, key=lambda r: r["ratio"])
    verdict = "PASS" if worst["ratio"] <= TARGET_RATIO else "FAIL"
    lines.append(f"- {verdict}: ingest ≤ {TARGET_RATIO}× the parse for every shape and mode "
                 f"(worst: {worst['shape']}/{worst['mode']} {worst['ratio']:.2f}×)")
    return "\n".join(lines) + "\n"


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, default=300_000)
    parser.add_argument("--runs", type=int, default=5)
    parser.add_argument("--shapes", default=",".join(shapes.SHAPES))
    parser.add_argument("--modes", default=",".join(MODES))
    parser.add_argument("--json", help="also write the results here")
    parser.add_argument("--write", action="store_true", help="write the figures into docs/benchmarks.md")
    parser.add_argument("--baseline", type=Path,
                        help="a source tree of an earlier version (its pmo_metrics/ is used through PYTHONPATH): "
                             "its ingest is timed in the same run, each pair then a triple")
    args = parser.parse_args(argv)
    if args.baseline and not (args.baseline / "pmo_metrics" / "cli.py").exists():
        raise SystemExit(f"{args.baseline} holds no pmo_metrics/ (e.g. `git archive REV pmo_metrics | tar -x -C DIR`)")
    directory = OUT / f"shapes-{args.rows}"
    results = []
    with tempfile.TemporaryDirectory(dir=OUT if OUT.exists() else None) as work:
        for shape in args.shapes.split(","):
            before, this = files_for(shape, args.rows, directory)
            for mode in args.modes.split(","):
                result = compare(shape, mode, before, this, args.runs, Path(work), args.baseline)
                old = (f" (before {result['before_s']:.2f} s {result['before_ratio']:.2f}x)"
                       if "before_s" in result else "")
                print(f"  {shape:5} {mode:11} parse {result['parse_s']:.2f} s  ingest {result['ingest_s']:.2f} s  "
                      f"{result['ratio']:.2f}x{old}  RSS {result['parse_rss_mb']:.0f}/{result['ingest_rss_mb']:.0f} MB",
                      flush=True)
                results.append(result)
    start = startup(args.runs)
    text = table(results, start, args.rows, args.runs)
    from doc_section import publish

    publish("ingest", "Ingest as the user waits for it (whole process)", text, args.write, args.json,
            {"results": results, "startup": start})
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
