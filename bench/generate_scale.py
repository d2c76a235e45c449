"""Generate an enterprise-scale portfolio for the benchmark (SPEC §6 performance).

One workbook (or, with --csv, one CSV per sheet) per reporting month, each a full monthly return:
Projects, Financials (long: every project's whole phased life, `--financial-months` rows each),
Benefits and BenefitValues (WIDE: benefit_id, measure, one column per month). Values are a pure
function of (seed, entity, month), so actuals of a past month are the same in every snapshot and
any month's file can be regenerated alone.

    .venv/bin/python bench/generate_scale.py                       # 5,000 projects, 20,000 benefits, 36 months
    .venv/bin/python bench/generate_scale.py --months 3 --csv      # quick CSV set
    .venv/bin/python bench/generate_scale.py --projects 6250 --months 1   # one 300k-row Financials sheet
    .venv/bin/python bench/generate_scale.py --months 12 --incremental    # month 1 full, then only new periods

With --incremental every month after the first is an incremental return (SPEC §7.1, `mode` on its
About sheet): the registers whole, and only the period that month reports (its actuals replace
the forecast the earlier files gave); nothing earlier is restated. Loaded in order they give the
same effective figures as the full series.

xlsxwriter (constant-memory mode) is used when installed, else openpyxl's write-only mode.
"""

from __future__ import annotations

import argparse
import csv
import datetime as dt
import html
import io
import itertools
import json
import sys
import time
import zipfile
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
from pmo_metrics import schema  # noqa: E402  (script run from anywhere, package not installed)

try:
    import xlsxwriter
except ImportError:  # the openpyxl fallback is slower but always there
    xlsxwriter = None

DEFAULT_OUT = Path(__file__).resolve().parent / "out" / "scale"
OBJECTIVES = ("Grow recurring revenue", "Reduce cost to serve", "Improve customer experience",
              "Strengthen resilience & compliance", "Build digital & data capability")
BENEFIT_TYPES = ("revenue", "cost saving", "cost avoidance", "productivity")


def month_index(text: str) -> int:
    """Return `YYYY-MM` as a month count."""
    year, month = text.split("-")
    return int(year) * 12 + int(month) - 1


def month_text(index: int) -> str:
    """Return the `YYYY-MM` of a month count."""
    return f"{index // 12:04d}-{index % 12 + 1:02d}"


def _noise(a: int, b: int, salt: int) -> float:
    """Return a deterministic value in [0, 1) for (a, b, salt): a cheap integer hash, no RNG state."""
    h = (a * 2654435761 + b * 40503 + salt * 97531) & 0xFFFFFFFF
    h ^= h >> 15
    h = (h * 2246822519) & 0xFFFFFFFF
    h ^= h >> 13
    return (h & 0xFFFF) / 65536.0


@dataclass(frozen=True)
class World:
    """Per-project parameters, drawn once from the seed; every month's file is computed from them."""

    n_projects: int
    n_benefits: int
    financial_months: int
    value_months: int
    first_month: int  # months of project starts are spread around the reporting months
    span: int
    seed: int

    def project_start(self, p: int) -> int:
        return self.first_month - self.financial_months + (p * 7919 + self.seed) % self.span

    def project_end(self, p: int) -> int:
        return self.project_start(p) + self.financial_months - 1


def make_world(n_projects: int, n_benefits: int, first_as_of: str, n_months: int, financial_months: int = 48,
               value_months: int = 36, seed: int = 1) -> World:
    """Return the generated world for reporting months starting at `first_as_of`."""
    return World(n_projects, n_benefits, financial_months, value_months, month_index(first_as_of),
                 n_months + financial_months + 12, seed)


def _bac(world: World, p: int) -> int:
    """Return project `p`'s budget at completion: £100k to £5m in whole thousands."""
    return 100_000 + int(4_900 * _noise(p, 0, world.seed + 5)) * 1000


def _first_day(month: int) -> dt.date:
    return dt.date(month // 12, month % 12 + 1, 1)


def _phasing(months: int) -> list[float]:
    """Return a hump-shaped share of the budget per month, summing to 1."""
    weights = [0.35 + (i + 0.5) / months * (1 - (i + 0.5) / months) * 4 for i in range(months)]
    total = sum(weights)
    return [w / total for w in weights]


def _stage(start: int, end: int, as_of: int) -> str:
    if as_of < start:
        return "initiation" if start - as_of > 3 else "planning"
    if as_of <= end:
        return "execution"
    return "closing" if as_of == end + 1 else "closed"


def project_rows(world: World, as_of: int) -> Iterator[list]:
    """Yield Projects rows in schema column order."""
    for p in range(world.n_projects):
        start, end = world.project_start(p), world.project_end(p)
        yield [f"P{p:06d}", f"Project {p:06d}", f"Portfolio {p % 12:02d}", f"Programme {p % 150:03d}",
               f"Sponsor {p % 40:02d}", f"Manager {p % 400:03d}", OBJECTIVES[p % len(OBJECTIVES)],
               _stage(start, end, as_of), _first_day(start), _first_day(end + 1) - dt.timedelta(days=1),
               _bac(world, p), "GBP"]


def financial_rows(world: World, as_of: int) -> Iterator[list]:
    """Yield Financials rows (long): every project's whole phased life, actuals to `as_of`, forecast after."""
    shares = _phasing(world.financial_months)
    percent_every = 10  # every tenth project reports percent_complete instead of earned value
    for p in range(world.n_projects):
        bac = _bac(world, p)
        cost_factor = 0.9 + 0.25 * _noise(p, 0, world.seed + 1)
        schedule_factor = 0.85 + 0.2 * _noise(p, 0, world.seed + 2)
        start, pid = world.project_start(p), f"P{p:06d}"
        cumulative = 0.0
        for i, share in enumerate(shares):
            month = start + i
            planned = round(bac * share)
            if month <= as_of:
                actual = round(planned * cost_factor * (0.9 + 0.2 * _noise(p, month, world.seed)))
                earned = min(planned * schedule_factor, bac - cumulative)
                cumulative += earned
                quality = 60 + int(40 * _noise(p, month, world.seed + 3))
                if p % percent_every == 0:
                    yield [pid, month_text(month), planned, actual, None, None,
                           round(100 * cumulative / bac, 1), quality]
                else:
                    yield [pid, month_text(month), planned, actual, None, round(earned), None, quality]
            else:
                yield [pid, month_text(month), planned, None, round(planned * cost_factor), None, None, None]


def benefit_rows(world: World) -> Iterator[list]:
    """Yield Benefits rows in schema column order; every fifth benefit is a non-financial level."""
    for b in range(world.n_benefits):
        p = b % world.n_projects
        level = b % 5 == 4
        yield [f"B{b:07d}", f"P{p:06d}", f"Benefit {b:07d}",
               "non_financial" if level else "financial",
               "customer" if level else BENEFIT_TYPES[b % len(BENEFIT_TYPES)],
               None if b % 7 == 0 else f"Owner {b % 900:03d}",
               "CSAT points" if level else None, "level" if level else "flow",
               70 if level else None, 85 if level else None, OBJECTIVES[p % len(OBJECTIVES)],
               round(0.6 + 0.4 * _noise(b, 0, world.seed + 4), 2)]


def benefit_window(world: World, b: int) -> int:
    """Return the first month of benefit `b`'s values: six months before its project ends."""
    return world.project_end(b % world.n_projects) - 6


def benefit_value_months(world: World) -> list[int]:
    """Return every month any benefit has a value in: the wide sheet's month columns."""
    starts = [benefit_window(world, p) for p in range(min(world.n_projects, world.n_benefits))]
    return list(range(min(starts), max(starts) + world.value_months)) if starts else []


def benefit_value_rows(world: World, as_of: int, months: list[int]) -> Iterator[list]:
    """Yield wide BenefitValues rows: benefit_id, measure, then one cell per month of `months`."""
    width = len(months)
    for b in range(world.n_benefits):
        first_column = months[0]
        first = benefit_window(world, b)
        level = b % 5 == 4
        size = 5_000 + 45_000 * _noise(b, 1, world.seed)
        factor = 0.7 + 0.4 * _noise(b, 2, world.seed)
        planned = [None] * width
        forecast = [None] * width
        realised = [None] * width
        for i in range(world.value_months):
            month = first + i
            col = month - first_column
            ramp = min(1.0, (i + 1) / 6)
            plan = 70 + 15 * ramp if level else size * ramp
            planned[col] = round(plan, 1) if level else round(plan)
            if month <= as_of:
                value = plan * factor * (0.95 + 0.1 * _noise(b, month, world.seed))
                realised[col] = round(value, 1) if level else round(value)
            else:
                forecast[col] = round(plan * factor, 1) if level else round(plan * factor)
        bid = f"B{b:07d}"
        yield [bid, "planned", *planned]
        if first + world.value_months - 1 > as_of:
            yield [bid, "forecast", *forecast]
        if first <= as_of:
            yield [bid, "realised", *realised]


def _headers(sheet: schema.Sheet) -> list[str]:
    return [c.name for c in sheet.columns]


def incremental_financial_rows(world: World, as_of: int) -> Iterator[list]:
    """Yield only the Financials rows of period `as_of`: what changed since the month before."""
    period = month_text(as_of)
    return (row for row in financial_rows(world, as_of) if row[1] == period)


def incremental_benefit_value_rows(world: World, as_of: int, months: list[int]) -> Iterator[list]:
    """Yield wide BenefitValues rows with the one column of `as_of`, only those with a value in it."""
    column = 2 + months.index(as_of) if as_of in months else None
    if column is None:
        return
    for row in benefit_value_rows(world, as_of, months):
        if row[column] is not None:
            yield [row[0], row[1], row[column]]


def _sheets(world: World, as_of: int, incremental: bool = False):
    """Return (sheet name, header, rows iterator) for one monthly return (only its new periods when
    `incremental`)."""
    months = benefit_value_months(world)
    if incremental:
        return [
            ("Projects", _headers(schema.PROJECTS), project_rows(world, as_of)),
            ("Financials", _headers(schema.FINANCIALS), incremental_financial_rows(world, as_of)),
            ("Benefits", _headers(schema.BENEFITS), benefit_rows(world)),
            ("BenefitValues", ["benefit_id", "measure", month_text(as_of)],
             incremental_benefit_value_rows(world, as_of, months)),
        ]
    return [
        ("Projects", _headers(schema.PROJECTS), project_rows(world, as_of)),
        ("Financials", _headers(schema.FINANCIALS), financial_rows(world, as_of)),
        ("Benefits", _headers(schema.BENEFITS), benefit_rows(world)),
        ("BenefitValues", ["benefit_id", "measure", *(month_text(m) for m in months)],
         benefit_value_rows(world, as_of, months)),
    ]


def _write_xlsxwriter(path: Path, as_of: str, sheets) -> dict[str, int]:
    counts = {}
    # constant_memory streams each row to disk, so memory stays flat at any size.
    wb = xlsxwriter.Workbook(str(path), {"constant_memory": True, "strings_to_numbers": False,
                                         "strings_to_formulas": False, "strings_to_urls": False})
    date_format = wb.add_format({"num_format": "yyyy-mm-dd"})
    about = wb.add_worksheet(schema.ABOUT_SHEET)
    about.write_row(0, 0, ["as_of", as_of])
    for name, header, rows in sheets:
        ws = wb.add_worksheet(name)
        ws.write_row(0, 0, header)
        # Typed writes skip xlsxwriter's per-cell type dispatch, and empty cells are not written at
        # all: together about three times faster than write_row on these mostly-sparse rows.
        write_string, write_number, write_date = ws.write_string, ws.write_number, ws.write_datetime
        r = 0
        for r, row in enumerate(rows, start=1):
            for c, value in enumerate(row):
                if value is None:
                    continue
                if isinstance(value, str):
                    write_string(r, c, value)
                elif isinstance(value, dt.date):
                    write_date(r, c, value, date_format)
                else:
                    write_number(r, c, value)
        counts[name] = r
    wb.close()
    return counts


_CONTENT_TYPES = (
    '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n'
    '<Types xmlns="http://schemas.openxmlformats.org/package/2006/content-types">'
    '<Default Extension="rels" ContentType="application/vnd.openxmlformats-package.relationships+xml"/>'
    '<Default Extension="xml" ContentType="application/xml"/>'
    '<Override PartName="/xl/workbook.xml" '
    'ContentType="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet.main+xml"/>'
    '<Override PartName="/xl/styles.xml" '
    'ContentType="application/vnd.openxmlformats-officedocument.spreadsheetml.styles+xml"/>'
    '{sheets}</Types>'
)
_SHEET_TYPE = ('<Override PartName="/xl/worksheets/sheet{n}.xml" '
               'ContentType="application/vnd.openxmlformats-officedocument.spreadsheetml.worksheet+xml"/>')
_ROOT_RELS = (
    '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n'
    '<Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships">'
    '<Relationship Id="rId1" '
    'Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/officeDocument" '
    'Target="xl/workbook.xml"/></Relationships>'
)
_REL_NS = "http://schemas.openxmlformats.org/officeDocument/2006/relationships"
_MAIN_NS = "http://schemas.openxmlformats.org/spreadsheetml/2006/main"
# Style 1 is the built-in date format 14, so dates read back as dates.
_STYLES = (
    f'<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n<styleSheet xmlns="{_MAIN_NS}">'
    '<fonts count="1"><font><sz val="11"/><name val="Calibri"/></font></fonts>'
    '<fills count="2"><fill><patternFill patternType="none"/></fill>'
    '<fill><patternFill patternType="gray125"/></fill></fills>'
    '<borders count="1"><border><left/><right/><top/><bottom/><diagonal/></border></borders>'
    '<cellStyleXfs count="1"><xf numFmtId="0" fontId="0" fillId="0" borderId="0"/></cellStyleXfs>'
    '<cellXfs count="2"><xf numFmtId="0" fontId="0" fillId="0" borderId="0" xfId="0"/>'
    '<xf numFmtId="14" fontId="0" fillId="0" borderId="0" xfId="0" applyNumberFormat="1"/></cellXfs>'
    '<cellStyles count="1"><cellStyle name="Normal" xfId="0" builtinId="0"/></cellStyles>'
    '</styleSheet>'
)
_EXCEL_EPOCH = dt.date(1899, 12, 30)


def _column_letters(count: int) -> list[str]:
    letters = []
    for index in range(1, count + 1):
        text = ""
        while index:
            index, rem = divmod(index - 1, 26)
            text = chr(65 + rem) + text
        letters.append(text)
    return letters


def _write_xml(path: Path, as_of: str, sheets, mode: str | None = None) -> dict[str, int]:
    """Stream the workbook as SpreadsheetML with inline strings, the layout xlsxwriter's
    constant-memory mode produces, at a fraction of the per-cell cost."""
    counts = {}
    names = [schema.ABOUT_SHEET] + [name for name, _, _ in sheets]
    about = iter([[schema.ABOUT_MODE[0], mode]] if mode else ())
    tables = [(schema.ABOUT_SHEET, ["as_of", as_of], about)] + list(sheets)
    escaped: dict[str, str] = {}  # most strings repeat (ids aside), so escape each once
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED, compresslevel=1) as archive:
        archive.writestr("[Content_Types].xml", _CONTENT_TYPES.format(
            sheets="".join(_SHEET_TYPE.format(n=n) for n in range(1, len(names) + 1))))
        archive.writestr("_rels/.rels", _ROOT_RELS)
        archive.writestr("xl/styles.xml", _STYLES)
        archive.writestr("xl/workbook.xml", (
            f'<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n'
            f'<workbook xmlns="{_MAIN_NS}" xmlns:r="{_REL_NS}"><sheets>'
            + "".join(f'<sheet name="{html.escape(name)}" sheetId="{n}" r:id="rId{n}"/>'
                      for n, name in enumerate(names, start=1))
            + "</sheets></workbook>"))
        archive.writestr("xl/_rels/workbook.xml.rels", (
            '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n'
            '<Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships">'
            + "".join(f'<Relationship Id="rId{n}" Type="{_REL_NS}/worksheet" Target="worksheets/sheet{n}.xml"/>'
                      for n in range(1, len(names) + 1))
            + f'<Relationship Id="rId{len(names) + 1}" Type="{_REL_NS}/styles" Target="styles.xml"/>'
            "</Relationships>"))
        for n, (name, header, rows) in enumerate(tables, start=1):
            letters = _column_letters(len(header))
            with archive.open(f"xl/worksheets/sheet{n}.xml", "w", force_zip64=True) as raw:
                out = io.TextIOWrapper(raw, encoding="utf-8", newline="")
                out.write(f'<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n'
                          f'<worksheet xmlns="{_MAIN_NS}"><sheetData>')
                count = 0
                for r, row in enumerate(itertools.chain([header], rows), start=1):
                    cells = []
                    for letter, value in zip(letters, row, strict=False):
                        if value is None:
                            continue
                        if isinstance(value, str):
                            text = escaped.get(value)
                            if text is None:
                                text = escaped[value] = html.escape(value, quote=False)
                            cells.append(f'<c r="{letter}{r}" t="inlineStr"><is><t>{text}</t></is></c>')
                        elif isinstance(value, dt.date):
                            cells.append(f'<c r="{letter}{r}" s="1"><v>{(value - _EXCEL_EPOCH).days}</v></c>')
                        else:
                            cells.append(f'<c r="{letter}{r}"><v>{value}</v></c>')
                    out.write(f'<row r="{r}">{"".join(cells)}</row>')
                    count = r - 1
                out.write("</sheetData></worksheet>")
                out.flush()
                out.detach()
            if n > 1:
                counts[name] = count
    return counts


def _write_openpyxl(path: Path, as_of: str, sheets) -> dict[str, int]:
    from openpyxl import Workbook

    counts = {}
    wb = Workbook(write_only=True)
    wb.create_sheet(schema.ABOUT_SHEET).append(["as_of", as_of])
    for name, header, rows in sheets:
        ws = wb.create_sheet(name)
        ws.append(header)
        count = 0
        for row in rows:
            ws.append(row)
            count += 1
        counts[name] = count
    wb.save(path)
    return counts


def write_monthly_workbook(path: str | Path, n_projects: int, n_benefits: int, as_of: str, *,
                           financial_months: int = 48, value_months: int = 36, seed: int = 1,
                           first_as_of: str | None = None, n_months: int = 1,
                           engine: str = "auto", incremental: bool = False) -> dict[str, int]:
    """Write one monthly return workbook to `path`; return its data rows per sheet.

    `first_as_of` and `n_months` place the month inside a longer series (default: a series of one).
    `engine` is "xml" (a built-in streaming writer, the fastest), "xlsxwriter" or "openpyxl"; "auto"
    means "xml". `incremental` writes only the month's own periods, marked `mode: incremental` on
    the About sheet (xml engine only).
    """
    world = make_world(n_projects, n_benefits, first_as_of or as_of, n_months, financial_months,
                       value_months, seed)
    sheets = _sheets(world, month_index(as_of), incremental)
    if incremental and engine not in ("auto", "xml"):
        raise ValueError("incremental workbooks are written by the xml engine only")
    if engine in ("auto", "xml"):
        return _write_xml(Path(path), as_of, sheets, "incremental" if incremental else None)
    if engine == "xlsxwriter":
        if xlsxwriter is None:
            raise RuntimeError("xlsxwriter is not installed; use engine='openpyxl'")
        return _write_xlsxwriter(Path(path), as_of, sheets)
    return _write_openpyxl(Path(path), as_of, sheets)


def write_monthly_csvs(out_dir: str | Path, n_projects: int, n_benefits: int, as_of: str, *,
                       financial_months: int = 48, value_months: int = 36, seed: int = 1,
                       first_as_of: str | None = None, n_months: int = 1) -> dict[str, int]:
    """Write one monthly return as `<as_of> <Sheet>.csv` files in `out_dir`; return data rows per sheet."""
    world = make_world(n_projects, n_benefits, first_as_of or as_of, n_months, financial_months,
                       value_months, seed)
    counts = {}
    for name, header, rows in _sheets(world, month_index(as_of)):
        count = 0
        with open(Path(out_dir) / f"{as_of} {name}.csv", "w", newline="", encoding="utf-8") as handle:
            writer = csv.writer(handle)
            writer.writerow(header)
            for row in rows:
                writer.writerow(["" if v is None else v for v in row])
                count += 1
        counts[name] = count
    return counts


def main(argv: list[str] | None = None) -> int:
    """Command line: write K monthly returns and a manifest.json; print rows and seconds per 100k rows."""
    parser = argparse.ArgumentParser(description="Generate an enterprise-scale portfolio for the benchmark.")
    parser.add_argument("--projects", type=int, default=5000, help="number of projects (default 5000)")
    parser.add_argument("--benefits", type=int, default=20000, help="number of benefits (default 20000)")
    parser.add_argument("--months", type=int, default=36, help="reporting months to write (default 36)")
    parser.add_argument("--last", default="2026-10", help="last reporting month, YYYY-MM (default 2026-10)")
    parser.add_argument("--financial-months", type=int, default=48, help="phased months per project (48)")
    parser.add_argument("--value-months", type=int, default=36, help="valued months per benefit (36)")
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--csv", action="store_true", help="write CSVs (one per sheet) instead of xlsx")
    parser.add_argument("--engine", choices=("auto", "xml", "xlsxwriter", "openpyxl"), default="auto")
    parser.add_argument("--incremental", action="store_true",
                        help="after the first month, write incremental returns (only each month's new periods)")
    parser.add_argument("-o", "--out", type=Path, default=DEFAULT_OUT, help=f"output directory ({DEFAULT_OUT})")
    args = parser.parse_args(argv)

    args.out.mkdir(parents=True, exist_ok=True)
    last = month_index(args.last)
    first = month_text(last - args.months + 1)
    common = dict(financial_months=args.financial_months, value_months=args.value_months, seed=args.seed,
                  first_as_of=first, n_months=args.months)
    manifest, total_rows, started = [], 0, time.perf_counter()
    for index in range(last - args.months + 1, last + 1):
        as_of, tick = month_text(index), time.perf_counter()
        incremental = args.incremental and index > last - args.months + 1
        if args.csv:
            if args.incremental:
                parser.error("--incremental writes workbooks, not CSVs")
            counts = write_monthly_csvs(args.out, args.projects, args.benefits, as_of, **common)
            manifest += [{"file": f"{as_of} {name}.csv", "as_of": as_of} for name in counts]
        else:
            name = f"{as_of} Scale.xlsx"
            counts = write_monthly_workbook(args.out / name, args.projects, args.benefits, as_of,
                                            engine=args.engine, incremental=incremental, **common)
            manifest.append({"file": name, "as_of": as_of, "mode": "incremental" if incremental else "full"})
        rows = sum(counts.values())
        total_rows += rows
        seconds = time.perf_counter() - tick
        print(f"{as_of}: {rows:,} rows {counts} in {seconds:.1f}s ({seconds / rows * 1e5:.2f}s per 100k rows)",
              flush=True)
    (args.out / "manifest.json").write_text(json.dumps(manifest, indent=1) + "\n", encoding="utf-8")
    seconds = time.perf_counter() - started
    print(f"total: {total_rows:,} rows in {seconds:.1f}s ({seconds / max(total_rows, 1) * 1e5:.2f}s per 100k rows)"
          f" -> {args.out}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
