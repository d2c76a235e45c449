"""Pages under load: 20 browser sessions reading the dashboard while a month loads (SPEC §12).

Starts the dashboard as `make run` does (bench/browser_bench.py's start_app) on a COPY of the
large store (5,000 projects, 36 months; built by bench/run_bench.py) and opens `--sessions`
sessions in one headless Chromium (a browser context each). Every session clicks through the
sidebar's pages in turn, from a different page than the others, timing each click to "fully
drawn" (browser_bench's definition: no script running, every chart drawn). After `--before`
seconds the next month's return loads into the same store with `pmo-metrics ingest`, a whole
process; the sessions keep reading until `--after` seconds past its end.

A page is an error when it shows a Streamlit exception, or is not fully drawn within `--limit`
seconds; a page showing the "database is busy" message is counted on its own (users see it).
Reported for before, during and after the load: pages, p50/p95 click to drawn, errors and busy
pages; and the load's own time, also measured alone (no sessions) on a second copy.

    .venv/bin/python bench/concurrent_bench.py                      # 20 sessions on bench/out/large.duckdb
    .venv/bin/python bench/concurrent_bench.py --sessions 4 --before 20 --no-write
"""

from __future__ import annotations

import argparse
import asyncio
import datetime as dt
import json
import math
import os
import platform
import shutil
import sys
import tempfile
import time
from dataclasses import dataclass, field
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "bench"))

import browser_bench  # noqa: E402  (bench script, run from anywhere)
import generate_scale  # noqa: E402

OUT = ROOT / "bench" / "out"
BIN = Path(sys.executable).parent
# The large store's series (bench/run_bench.py): 36 months of 5,000 projects ending 2026-10.
SERIES = {"projects": 5000, "benefits": 20000, "first_as_of": "2023-11", "n_months": 36}
NEXT_MONTH = "2026-11"
TARGET_ERRORS = 0

# What the page shows besides charts: Streamlit's exception boxes and the text of its alerts.
PROBLEMS = """
() => ({exceptions: [...document.querySelectorAll('[data-testid="stException"]')]
          .map(e => e.innerText.slice(0, 300)),
        alerts: [...document.querySelectorAll('[data-testid="stAlert"]')].map(a => a.innerText.slice(0, 300))})
"""

# Why a view is not drawn: the app's script state, its status widget's words, charts not drawn.
STATE = """
() => {
  const app = document.querySelector('[data-testid="stApp"]');
  const status = document.querySelector('[data-testid="stStatusWidget"]');
  const charts = [...document.querySelectorAll('[data-testid="stVegaLiteChart"]')];
  return `script ${app ? app.getAttribute('data-test-script-state') : 'no app'}, status `
    + `${status ? JSON.stringify(status.innerText.slice(0, 80)) : 'none'}, `
    + `${charts.filter(c => !c.querySelector('canvas, svg')).length} of ${charts.length} charts undrawn, `
    + `${document.querySelectorAll('[data-stale="true"]').length} stale elements, `
    + `${[...document.querySelectorAll('[data-testid="stSkeleton"]')].filter(e => e.getClientRects().length).length} `
    + `waiting for their code, ${window.__bench.runs} runs`;
}
"""


@dataclass
class Sample:
    """One page view: which session, which page, when (monotonic s), and how it ended."""

    session: int
    page: str
    start: float
    end: float
    seconds: float | None  # click to fully drawn; None when not drawn within the limit
    error: str | None = None
    busy: bool = False


@dataclass
class Run:
    """What the sessions share: when to stop, every sample, and the load's interval."""

    stop: bool = False
    samples: list[Sample] = field(default_factory=list)
    opened: int = 0
    load_start: float | None = None
    load_end: float | None = None


def percentile(values: list[float], q: float) -> float | None:
    """Return the `q` (0-100) percentile of `values` by the nearest-rank rule, or None when empty."""
    if not values:
        return None
    ordered = sorted(values)
    return ordered[max(0, math.ceil(q / 100 * len(ordered)) - 1)]


def phase(sample: Sample, load_start: float, load_end: float) -> str:
    """Return 'before', 'during' or 'after' the load, by when the view was asked for (a view that
    hangs from before the load is not the load's doing)."""
    if sample.start < load_start:
        return "before"
    if sample.start >= load_end:
        return "after"
    return "during"


def summarise(samples: list[Sample], load_start: float, load_end: float) -> dict[str, dict]:
    """Return per phase: views, p50/p95/max seconds of the drawn ones, errors and busy views."""
    out = {}
    for name in ("before", "during", "after"):
        mine = [s for s in samples if phase(s, load_start, load_end) == name]
        times = [s.seconds for s in mine if s.seconds is not None]
        out[name] = {"views": len(mine), "p50": percentile(times, 50), "p95": percentile(times, 95),
                     "max": max(times) if times else None, "errors": sum(1 for s in mine if s.error),
                     "busy": sum(1 for s in mine if s.busy),
                     "error_texts": sorted({s.error for s in mine if s.error})[:8]}
    return out


def is_busy(alerts: list[str]) -> bool:
    """Return True when an alert is the dashboard's "database is busy" message."""
    return any("busy" in text.lower() for text in alerts)


async def _drawn(tab, since: int, limit: float) -> dict | None:
    """Wait (at most `limit` s) until the page is fully drawn after run `since`; None on time-out."""
    try:
        return await asyncio.wait_for(tab.evaluate(browser_bench.DRAWN, [since, 150]), limit)
    except TimeoutError:
        return None


async def _session(index: int, browser, url: str, run: Run, limit: float) -> None:
    context = await browser.new_context(viewport={"width": 1400, "height": 1000})
    await context.add_init_script(browser_bench.WATCH)
    tab = await context.new_page()
    tab.set_default_timeout(limit * 1000)
    await tab.goto(url)
    await _drawn(tab, 0, 300)  # twenty sessions open at once: the first draw is not timed
    titles = [t.strip().splitlines()[-1].strip()
              for t in await tab.locator('[data-testid="stSidebarNav"] a').all_inner_texts()]
    shift = index % len(titles)
    order = titles[shift:] + titles[:shift]  # the sessions spread over the pages
    run.opened += 1
    shown_now = titles[0]  # the overview opens first
    while not run.stop:
        for title in order:
            if run.stop:
                break
            if title == shown_now:  # a click on the page in view starts no run, so it would never be "drawn"
                continue
            shown_now = title
            start = time.monotonic()
            since, clicked = await tab.evaluate(browser_bench.CLICK, title)
            done = await _drawn(tab, since, limit)
            end = time.monotonic()
            if done is None:
                state = await tab.evaluate(STATE)
                run.samples.append(Sample(index, title, start, end, None, f"not drawn within {limit:.0f} s ({state})"))
                await tab.goto(url)  # start the session again, as a user would reload
                await _drawn(tab, 0, 300)
                shown_now = titles[0]
                continue
            shown = await tab.evaluate(PROBLEMS)
            error = f"exception: {shown['exceptions'][0]}" if shown["exceptions"] else None
            run.samples.append(Sample(index, title, start, end, (done["at"] - clicked) / 1000, error,
                                      is_busy(shown["alerts"])))
    await context.close()


async def _load(workbook: Path, db: Path) -> dict:
    """Run `pmo-metrics ingest` on `workbook` into `db`; return its seconds, exit code and last words."""
    started = time.monotonic()
    process = await asyncio.create_subprocess_exec(
        str(BIN / "pmo-metrics"), "ingest", str(workbook), "--db", str(db), cwd=ROOT,
        stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.STDOUT)
    output, _ = await process.communicate()
    return {"seconds": time.monotonic() - started, "returncode": process.returncode,
            "output": output.decode(errors="replace").strip().splitlines()[:3]}


async def _under_load(url: str, db: Path, workbook: Path, sessions: int, before: float, after: float,
                      limit: float) -> tuple[Run, dict]:
    from playwright.async_api import async_playwright

    run = Run()
    async with async_playwright() as p:
        browser = await p.chromium.launch(executable_path=browser_bench.CHROMIUM, args=browser_bench.CHROMIUM_ARGS)
        tasks = [asyncio.create_task(_session(i, browser, url, run, limit)) for i in range(sessions)]
        while run.opened < sessions:
            if any(t.done() for t in tasks):  # a session failed to open: say why
                for t in tasks:
                    if t.done() and t.exception():
                        raise t.exception()
            await asyncio.sleep(0.2)
        await asyncio.sleep(before)
        run.load_start = time.monotonic()
        load = await _load(workbook, db)
        run.load_end = time.monotonic()
        await asyncio.sleep(after)
        run.stop = True
        await asyncio.gather(*tasks)
        await browser.close()
    return run, load


def next_workbook(directory: Path) -> Path:
    """Return the large store's next month's return (generated once, cached)."""
    path = directory / f"{NEXT_MONTH} Scale.xlsx"
    if not path.exists():
        directory.mkdir(parents=True, exist_ok=True)
        partial = path.with_suffix(".part")
        generate_scale.write_monthly_workbook(partial, SERIES["projects"], SERIES["benefits"], NEXT_MONTH,
                                              first_as_of=SERIES["first_as_of"], n_months=SERIES["n_months"])
        partial.rename(path)
    return path


def copy_store(source: Path, target: Path) -> Path:
    """Copy the store (and any write-ahead log) to `target`, replacing what was there."""
    for suffix in ("", ".wal"):
        Path(str(target) + suffix).unlink(missing_ok=True)
        if Path(str(source) + suffix).exists():
            shutil.copyfile(str(source) + suffix, str(target) + suffix)
    return target


def _fmt(seconds: float | None) -> str:
    return "-" if seconds is None else f"{seconds:.2f} s"


def report(summary: dict, load: dict, alone: dict | None, sessions: int, limit: float, db: Path,
           load_avg: tuple[float, float]) -> str:
    """Return the figures as markdown."""
    ok = load["returncode"] == 0
    lines = [
        f"Run {dt.datetime.now():%Y-%m-%d %H:%M} on {platform.machine()} with {os.cpu_count()} cores, Python "
        f"{platform.python_version()}; load average {load_avg[0]:.1f} at the start, {load_avg[1]:.1f} at the end. "
        f"`bench/concurrent_bench.py`: the dashboard (`streamlit run app.py`) on a copy of {db.name} "
        f"(5,000 projects, 36 months), {sessions} sessions in one headless Chromium, each clicking through "
        f"the sidebar's pages in turn; meanwhile the {NEXT_MONTH} return loads with `pmo-metrics ingest` into "
        "the same store. A view is an error when it shows a Streamlit exception or is not fully drawn within "
        f"{limit:.0f} s; views showing the \"database is busy\" message are counted on their own.",
        "",
        "| phase | views | p50 click to drawn | p95 | slowest | errors | \"busy\" shown |",
        "|---|---|---|---|---|---|---|",
    ]
    for name, figures in summary.items():
        lines.append(f"| {name} the load | {figures['views']} | {_fmt(figures['p50'])} | {_fmt(figures['p95'])} | "
                     f"{_fmt(figures['max'])} | {figures['errors']} | {figures['busy']} |")
    lines += ["", f"The load ({NEXT_MONTH}, whole process, to its exit) with {sessions} sessions reading: "
                  f"{load['seconds']:.1f} s, " + ("loaded." if ok else f"FAILED (exit {load['returncode']}): "
                                                    f"{' '.join(load['output'])[:300]}")]
    if alone:
        lines.append(f"The same load alone (no sessions, on a second copy): {alone['seconds']:.1f} s"
                     + ("." if alone["returncode"] == 0 else f", failed: {' '.join(alone['output'])[:300]}"))
    errors = sum(f["errors"] for f in summary.values())
    during = summary["during"]
    lines += ["", f"- {'PASS' if errors <= TARGET_ERRORS else 'FAIL'}: no errors ({errors}"
                  + (f": {'; '.join(t for f in summary.values() for t in f['error_texts'])[:300]}" if errors else "")
                  + ")",
              f"- {'PASS' if ok else 'FAIL'}: the month loads while the sessions read",
              f"- {'PASS' if during['busy'] == 0 else 'FAIL'}: no session is told the database is busy during the "
              f"load ({during['busy']} of {during['views']} views)"]
    texts = sorted({t for f in summary.values() for t in f["error_texts"]})
    if texts:
        lines += ["", "Errors seen: " + "; ".join(texts)[:600]]
    return "\n".join(lines) + "\n"


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--db", type=Path, default=OUT / "large.duckdb", help="the store to copy (large.duckdb)")
    parser.add_argument("--workbook", type=Path, help=f"the return to load (default: {NEXT_MONTH} of the large series)")
    parser.add_argument("--sessions", type=int, default=20)
    parser.add_argument("--before", type=float, default=60, help="seconds of reading before the load (60)")
    parser.add_argument("--after", type=float, default=30, help="seconds of reading after the load (30)")
    parser.add_argument("--limit", type=float, default=60, help="seconds a view may take to be fully drawn (60)")
    parser.add_argument("--no-alone", action="store_true", help="do not time the load alone for comparison")
    parser.add_argument("--json", type=Path, help="also write the results here")
    parser.add_argument("--no-write", action="store_true", help="do not write docs/benchmarks.md")
    args = parser.parse_args(argv)
    if not Path(browser_bench.CHROMIUM).exists():
        raise SystemExit(f"{browser_bench.CHROMIUM} is not installed (`make chromium`)")
    if not args.db.exists():
        raise SystemExit(f"{args.db} does not exist: `bench/run_bench.py` builds the large store")
    work = OUT / "concurrent"
    work.mkdir(parents=True, exist_ok=True)
    workbook = args.workbook or next_workbook(work)
    start_avg = os.getloadavg()[0]
    alone = None
    if not args.no_alone:
        print("== the load alone", flush=True)
        alone_db = copy_store(args.db, work / "alone.duckdb")
        alone = asyncio.run(_load(workbook, alone_db))
        for suffix in ("", ".wal"):
            Path(str(alone_db) + suffix).unlink(missing_ok=True)
        print(f"  {alone['seconds']:.1f} s (exit {alone['returncode']})", flush=True)
    db = copy_store(args.db, work / "store.duckdb")
    print(f"== {args.sessions} sessions, {args.before:.0f} s before the load", flush=True)
    with tempfile.TemporaryDirectory() as scratch:
        process, url = browser_bench.start_app(db, Path(scratch) / "streamlit.log")
        try:
            run, load = asyncio.run(_under_load(url, db, workbook, args.sessions, args.before, args.after, args.limit))
        finally:
            browser_bench.stop(process)
    summary = summarise(run.samples, run.load_start, run.load_end)
    text = report(summary, load, alone, args.sessions, args.limit, args.db, (start_avg, os.getloadavg()[0]))
    print(text)
    if args.json:
        args.json.write_text(json.dumps({"summary": summary, "load": load, "alone": alone,
                                         "load_start": run.load_start, "load_end": run.load_end,
                                         "samples": [s.__dict__ for s in run.samples]}, indent=1))
    if not args.no_write:
        from doc_section import write_section

        write_section("concurrent", f"Under load: {args.sessions} sessions reading while a month loads", text)
        print("written to docs/benchmarks.md")
    for suffix in ("", ".wal"):
        Path(str(db) + suffix).unlink(missing_ok=True)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
