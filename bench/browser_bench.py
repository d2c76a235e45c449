"""Pages as a user waits for them: Chromium on the large store, click to fully drawn; the board pack.

Starts the dashboard as `make run` does (`streamlit run app.py`) on the 5,000-project, 36-month
store (built by run_bench.py, cached in bench/out/) and drives Debian's chromium with Playwright:

- the overview loaded by URL, each time in a new browser context (a new session, nothing cached):
  from the navigation's start to fully drawn; the first load is the server's first request;
- the same in a new tab of one browser context kept open (a new session of a returning user,
  whose browser has the app's scripts cached);
- every page of the sidebar, clicked in turn, `--runs` rounds: from the click to fully drawn.

"Fully drawn": a script run began after the click (the app's `data-test-script-state` went to
running), the app is no longer running (`notRunning`, no status widget, no stale element), no visible
element still waits for its code (`stSkeleton`: a new session loads each element's script when it first
needs it, and until then the chart or tile is a grey box), and every `stVegaLiteChart` holds its
canvas or svg — held for 150 ms, timed at its first frame.

Then the board pack: `pmo-metrics scorecard --as-of … -o pack.pdf`, a whole process, and its pages.

    .venv/bin/python bench/browser_bench.py                 # the large store, 5 rounds
    .venv/bin/python bench/browser_bench.py --db other.duckdb --as-of 2026-06 --runs 3
"""

from __future__ import annotations

import argparse
import os
import re
import shutil
import socket
import statistics
import subprocess
import sys
import tempfile
import time
import urllib.request
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
OUT = ROOT / "bench" / "out"
BIN = Path(sys.executable).parent
CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
                 "--disable-background-networking", "--disable-component-update", "--disable-sync"]
TARGET_PAGE_S, TARGET_URL_S, TARGET_PACK_S, TARGET_PACK_PAGES = 0.6, 1.5, 10.0, 12

# Counts every run the app starts (its stApp element's data-test-script-state going to running or
# rerunRequested), from the document's start. A run can start and end between two observer callbacks
# on a busy page, so each attribute change is read from its record (the value before it), not from
# the element when the callback runs: reading the element alone missed fast runs under load.
WATCH = """
window.__bench = {runs: 0, last: null};
const ATTRIBUTE = 'data-test-script-state', RUNNING = ['running', 'rerunRequested'];
new MutationObserver((records) => {
  const changes = records.filter(r => r.type === 'attributes' && r.attributeName === ATTRIBUTE
                                      && r.target.getAttribute('data-testid') === 'stApp');
  changes.forEach((r, i) => {
    const after = i + 1 < changes.length ? changes[i + 1].oldValue : r.target.getAttribute(ATTRIBUTE);
    if (after !== r.oldValue && RUNNING.includes(after)) window.__bench.runs++;
  });
  const app = document.querySelector('[data-testid="stApp"]');
  const state = app && app.getAttribute(ATTRIBUTE);
  // a new app element (the page's first) arrives by insertion, not as an attribute change
  if (!changes.length && state && state !== window.__bench.last && RUNNING.includes(state)) window.__bench.runs++;
  window.__bench.last = state;
}).observe(document, {subtree: true, childList: true, attributes: true, attributeOldValue: true,
                      attributeFilter: ['data-test-script-state']});
"""
# Resolves with the page clock's time at the first frame from which the page stayed fully drawn
# for `hold` ms, once a run has started after `since` runs.
DRAWN = """
([since, hold]) => new Promise((resolve, reject) => {
  let first = null;
  const started = performance.now();
  const describe = () => JSON.stringify({runs: window.__bench.runs, since,
    state: document.querySelector('[data-testid="stApp"]')?.getAttribute('data-test-script-state'),
    status: !!document.querySelector('[data-testid="stStatusWidget"]'),
    stale: document.querySelectorAll('[data-stale="true"]').length,
    skeletons: [...document.querySelectorAll('[data-testid="stSkeleton"]')]
      .filter(e => e.getClientRects().length).length,
    charts: [...document.querySelectorAll('[data-testid="stVegaLiteChart"]')]
      .map(c => !!c.querySelector('canvas, svg'))});
  const drawn = () => {
    const app = document.querySelector('[data-testid="stApp"]');
    return window.__bench.runs > since && app && app.getAttribute('data-test-script-state') === 'notRunning'
      && !document.querySelector('[data-testid="stStatusWidget"]')
      && !document.querySelector('[data-stale="true"]')
      && ![...document.querySelectorAll('[data-testid="stSkeleton"]')].some(e => e.getClientRects().length)
      && [...document.querySelectorAll('[data-testid="stVegaLiteChart"]')].every(c => c.querySelector('canvas, svg'));
  };
  const check = () => {
    const now = performance.now();
    if (now - started > 120000) return reject(new Error('not fully drawn within 120 s: ' + describe()));
    if (drawn()) {
      if (first === null) first = now;
      if (now - first >= hold) return resolve({at: first, charts:
        document.querySelectorAll('[data-testid="stVegaLiteChart"]').length});
    } else first = null;
    requestAnimationFrame(check);
  };
  check();
})
"""
CLICK = """
(title) => {
  const link = [...document.querySelectorAll('[data-testid="stSidebarNav"] a')]
    .find(a => a.textContent.trim().endsWith(title));
  const runs = window.__bench.runs;
  const at = performance.now();
  link.click();
  return [runs, at];
}
"""


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def start_app(db: Path, log: Path, tree: Path = ROOT, script: str = "app.py") -> tuple[subprocess.Popen, str]:
    """Start `streamlit run app.py` (or `script`) of `tree` on `db`; return the process and its URL once it answers.

    The app's own folder comes first on Python's path, so a baseline tree runs its own package."""
    port = free_port()
    env = {**os.environ, "PMO_METRICS_DB": str(db), "PMO_METRICS_NO_SAMPLE": "1"}
    with open(log, "wb") as out:
        process = subprocess.Popen(
            [str(BIN / "python"), "-m", "streamlit", "run", script, "--server.port", str(port),
             "--server.headless", "true", "--server.address", "127.0.0.1", "--browser.gatherUsageStats", "false"],
            cwd=tree, env={**env, "PYTHONPATH": str(tree)}, stdout=out, stderr=subprocess.STDOUT)
    url = f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise SystemExit(f"streamlit stopped: {log.read_text()[-2000:]}")
        try:
            with urllib.request.urlopen(f"{url}/_stcore/health", timeout=1) as response:
                if response.status == 200:
                    return process, url
        except OSError:
            time.sleep(0.2)
    process.kill()
    raise SystemExit("streamlit did not start within 60 s")


def stop(process: subprocess.Popen) -> None:
    process.terminate()
    try:
        process.wait(timeout=10)
    except subprocess.TimeoutExpired:
        process.kill()


def drawn(tab, since: int) -> dict:
    return tab.evaluate(DRAWN, [since, 150])


def _session(browser, url: str):
    context = browser.new_context(viewport={"width": 1400, "height": 1000})
    context.add_init_script(WATCH)
    tab = context.new_page()
    tab.set_default_timeout(120_000)
    tab.goto(url)
    return context, tab


def pages_in_browser(urls: dict[str, str], runs: int, floor: str | None = None) -> dict[str, dict]:
    """Time the overview by URL (new sessions) and every sidebar page (click to drawn), `runs` each, for
    every app in `urls` (label → address), taking turns round by round so that they share the load; the
    `floor` app (floor_app.py) is opened by URL in the same turns, under the label "floor"."""
    from playwright.sync_api import sync_playwright

    results = {label: {"by_url": [], "by_url_cached": [], "clicks": {}} for label in urls}
    opened = {**urls, **({"floor": floor} if floor else {})}
    results.update({"floor": {"by_url": [], "by_url_cached": [], "clicks": {}}} if floor else {})
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        # A returning user's browser keeps the app's scripts: a new tab in one context is a new
        # session (a new websocket, a first script run) with the browser's cache warm.
        returning = {label: browser.new_context(viewport={"width": 1400, "height": 1000}) for label in opened}
        for context in returning.values():
            context.add_init_script(WATCH)
        for _ in range(runs):
            for label, url in opened.items():
                context, tab = _session(browser, url)
                done = drawn(tab, 0)  # performance.now() counts from the navigation's start
                results[label]["by_url"].append((done["at"] / 1000, done["charts"]))
                context.close()
                tab = returning[label].new_page()
                tab.set_default_timeout(120_000)
                tab.goto(url)
                done = drawn(tab, 0)
                results[label]["by_url_cached"].append((done["at"] / 1000, done["charts"]))
                tab.close()
        tabs, orders = {}, {}
        for label, url in urls.items():
            _, tab = _session(browser, url)
            drawn(tab, 0)
            # A link's text is its material icon's name, a line break, then its title.
            titles = [t.strip().splitlines()[-1].strip()
                      for t in tab.locator('[data-testid="stSidebarNav"] a').all_inner_texts()]
            tabs[label], orders[label] = tab, titles[1:] + titles[:1]  # start away from the open overview
        for _ in range(runs):
            for label, tab in tabs.items():
                for title in orders[label]:
                    since, clicked = tab.evaluate(CLICK, title)
                    done = drawn(tab, since)
                    results[label]["clicks"].setdefault(title, []).append(((done["at"] - clicked) / 1000,
                                                                           done["charts"]))
        browser.close()
    return results


def board_pack(db: Path, as_of: str, runs: int) -> dict:
    """Median whole-process seconds of `pmo-metrics scorecard … -o pack.pdf`, and the pack's pages."""
    seconds = []
    with tempfile.TemporaryDirectory() as work:
        pdf = Path(work) / "pack.pdf"
        for _ in range(runs):
            started = time.perf_counter()
            subprocess.run([str(BIN / "pmo-metrics"), "scorecard", "--as-of", as_of, "-o", str(pdf), "--db", str(db)],
                           cwd=ROOT, check=True, capture_output=True)
            seconds.append(time.perf_counter() - started)
        data = pdf.read_bytes()
    pages = len(re.findall(rb"/Type\s*/Page(?![a-zA-Z])", data))
    return {"seconds": statistics.median(seconds), "each": seconds, "pages": pages, "mb": len(data) / 1e6}


def _median(samples: list) -> float:
    return statistics.median(s for s, _ in samples)


def report(results: dict[str, dict], pack: dict | None, db: Path, runs: int) -> str:
    """Return the figures as markdown; with a baseline, its medians beside this tree's."""
    result = results["this tree"]
    baseline = results.get("baseline")
    lines = [
        f"Store {db.name} ({sum(p.stat().st_size for p in db.parent.glob(db.name + '*')) / 1e6:.0f} MB); "
        f"Chromium (headless) through Playwright; medians of {runs}"
        + ("; the baseline tree's app timed in the same run, taking turns round by round." if baseline else "."),
        "",
        "| page | opened | first time (s) | median (s) | each (s) | charts | target |"
        + (" baseline median (s) | ratio |" if baseline else ""),
        "|---|---|---|---|---|---|---|" + ("---|---|" if baseline else ""),
    ]

    def row(title: str, how: str, samples: list, target: float, before: list | None) -> str:
        values = [s for s, _ in samples]
        median = statistics.median(values)
        text = (f"| {title} | {how} | {values[0]:.2f} | {median:.2f} | {', '.join(f'{s:.2f}' for s in values)} | "
                f"{samples[-1][1]} | {'PASS' if median <= target else 'FAIL'} ≤ {target} s |")
        if baseline:
            text += (f" {_median(before):.2f} | {median / _median(before):.2f} |" if before else " — | — |")
        return text

    lines.append(row("Executive overview", "by URL, new session", result["by_url"], TARGET_URL_S,
                     baseline["by_url"] if baseline else None))
    lines.append(row("Executive overview", "by URL, new session, browser cache warm", result["by_url_cached"],
                     TARGET_URL_S, baseline["by_url_cached"] if baseline else None))
    if "floor" in results:  # the limit: Streamlit drawing the same kinds of element with no work
        floor = results["floor"]
        for how, key in (("by URL, new session", "by_url"), ("by URL, new session, browser cache warm",
                                                             "by_url_cached")):
            lines.append(f"| Floor: a page of the overview's kinds of element, no work (bench/floor_app.py) | {how} | "
                         f"{floor[key][0][0]:.2f} | {_median(floor[key]):.2f} | "
                         f"{', '.join(f'{s:.2f}' for s, _ in floor[key])} | {floor[key][-1][1]} | overview ÷ floor: "
                         f"{_median(result[key]) / _median(floor[key]):.2f} |" + (" — | — |" if baseline else ""))
    for title, samples in result["clicks"].items():
        lines.append(row(title, "sidebar click", samples, TARGET_PAGE_S,
                         baseline["clicks"].get(title) if baseline else None))
    if pack:
        ok = pack["seconds"] <= TARGET_PACK_S and pack["pages"] <= TARGET_PACK_PAGES
        lines += ["", f"Board pack (`pmo-metrics scorecard --as-of … -o pack.pdf`, whole process): "
                      f"{pack['seconds']:.1f} s median ({', '.join(f'{s:.1f}' for s in pack['each'])}), "
                      f"{pack['pages']} pages, {pack['mb']:.1f} MB — {'PASS' if ok else 'FAIL'} "
                      f"(≤ {TARGET_PACK_S:.0f} s and ≤ {TARGET_PACK_PAGES} pages)."]
    lines += ["", f"Load average when the run ended: {', '.join(f'{v:.2f}' for v in os.getloadavg())} "
                  f"({os.cpu_count()} cores)."]
    return "\n".join(lines) + "\n"


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--db", type=Path, default=OUT / "large.duckdb")
    parser.add_argument("--as-of", default="2026-10")
    parser.add_argument("--runs", type=int, default=5)
    parser.add_argument("--pack-runs", type=int, default=3, help="0 leaves the board pack out")
    parser.add_argument("--baseline", type=Path,
                        help="another tree of this app (e.g. `git worktree add /tmp/before main`): its app is "
                             "started too and timed in the same run, taking turns, so the two compare under one load")
    parser.add_argument("--json", help="also write the results here")
    parser.add_argument("--write", action="store_true", help="write the figures into docs/benchmarks.md")
    args = parser.parse_args(argv)
    if not Path(CHROMIUM).exists():
        raise SystemExit(f"{CHROMIUM} is not installed (`make chromium`)")
    if not args.db.exists():
        raise SystemExit(f"{args.db} does not exist: `bench/run_bench.py` builds the large store")
    trees = {"this tree": ROOT, **({"baseline": args.baseline.resolve()} if args.baseline else {})}
    db = args.db.resolve()  # the app runs in its tree's folder
    with tempfile.TemporaryDirectory() as work:
        # Each app gets its own copy of the store: one process holds a DuckDB file until it has
        # been idle for 2 s, so two apps on one file would wait for each other at every turn.
        dbs = {"this tree": db}
        if args.baseline:
            dbs["baseline"] = Path(work) / db.name
            shutil.copyfile(db, dbs["baseline"])
            if Path(f"{db}.wal").exists():
                shutil.copyfile(f"{db}.wal", f"{dbs['baseline']}.wal")
        started = {label: start_app(dbs[label], Path(work) / f"streamlit-{n}.log", tree)
                   for n, (label, tree) in enumerate(trees.items())}
        started["floor"] = start_app(db, Path(work) / "streamlit-floor.log", ROOT / "bench", "floor_app.py")
        try:
            floor = started["floor"][1]
            results = pages_in_browser({label: url for label, (_, url) in started.items() if label != "floor"},
                                       args.runs, floor)
        finally:
            for process, _ in started.values():
                stop(process)
    pack = board_pack(args.db, args.as_of, args.pack_runs) if args.pack_runs else None
    text = report(results, pack, args.db, args.runs)
    from doc_section import publish

    publish("browser", "Pages in Chromium and the board pack", text, args.write, args.json,
            {"pages": results, "pack": pack})
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
