"""Workbooks of the four shapes users upload, for the whole-process ingest benchmark (SPEC §12).

Written here from scratch, as an office's export would be, and independent of the test factories
and of generate_scale.py: the .xlsx parts are written directly (shared strings, as Excel saves
them), so nothing in the product or its tests shapes the files the benchmark reads.

- `long`: Projects and Financials in long form (one row per project and month), money as numbers.
- `text`: the same, with every amount typed as text: `£1,234,567` for costs, `1234567.5` for
  earned value (finance-system exports do both).
- `wide`: Projects, Benefits and BenefitValues wide (benefit_id, measure, one column per month).
- `csv`: the long Financials as one CSV file.

`rows` is the number of stored rows the shape yields (financial rows for long/text/csv, benefit
values once melted for wide), ~300k by default.

    .venv/bin/python bench/shapes.py long -o /tmp/long.xlsx --as-of 2026-10 --rows 300000
"""

from __future__ import annotations

import argparse
import csv
import io
import zipfile
from pathlib import Path
from xml.sax.saxutils import escape

SHAPES = ("long", "text", "wide", "csv")
MONTHS_PER_PROJECT = 48  # a project's whole phased life in Financials
VALUE_MONTHS = 24  # month columns of the wide BenefitValues sheet
PORTFOLIOS = 12


def _month(index: int) -> str:
    return f"{index // 12:04d}-{index % 12 + 1:02d}"


def _index(text: str) -> int:
    year, month = text.split("-")
    return int(year) * 12 + int(month) - 1


def _noise(a: int, b: int) -> float:
    """A value in [0, 1) from two integers (an integer hash: no generator state, any month alone)."""
    h = (a * 2654435761 + b * 40503 + 12345) & 0xFFFFFFFF
    h ^= h >> 15
    h = (h * 2246822519) & 0xFFFFFFFF
    h ^= h >> 13
    return (h & 0xFFFF) / 65536.0


def _column(position: int) -> str:
    name = ""
    position += 1
    while position:
        position, rest = divmod(position - 1, 26)
        name = chr(65 + rest) + name
    return name


class _Sheet:
    """One worksheet's XML, built row by row with shared strings."""

    def __init__(self, strings: dict[str, int]):
        self.strings = strings
        self.parts: list[str] = []
        self.rows = 0
        self.letters = [_column(i) for i in range(200)]

    def row(self, values: list) -> None:
        self.rows += 1
        r = self.rows
        cells = []
        for position, value in enumerate(values):
            if value is None:
                continue
            ref = f"{self.letters[position]}{r}"
            if isinstance(value, str):
                index = self.strings.setdefault(value, len(self.strings))
                cells.append(f'<c r="{ref}" t="s"><v>{index}</v></c>')
            else:
                cells.append(f'<c r="{ref}"><v>{value}</v></c>')
        self.parts.append(f'<row r="{r}">{"".join(cells)}</row>')

    def xml(self) -> str:
        return ('<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n'
                '<worksheet xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main">'
                f'<sheetData>{"".join(self.parts)}</sheetData></worksheet>')


def _write_xlsx(path: Path, sheets: dict[str, list[list]]) -> None:
    strings: dict[str, int] = {}
    built = {}
    for name, rows in sheets.items():
        sheet = _Sheet(strings)
        for row in rows:
            sheet.row(row)
        built[name] = sheet.xml()
    ns = "http://schemas.openxmlformats.org/spreadsheetml/2006/main"
    rel = "http://schemas.openxmlformats.org/officeDocument/2006/relationships"
    names = list(built)
    content_types = (
        '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n'
        '<Types xmlns="http://schemas.openxmlformats.org/package/2006/content-types">'
        '<Default Extension="rels" ContentType="application/vnd.openxmlformats-package.relationships+xml"/>'
        '<Default Extension="xml" ContentType="application/xml"/>'
        '<Override PartName="/xl/workbook.xml" '
        'ContentType="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet.main+xml"/>'
        + "".join(f'<Override PartName="/xl/worksheets/sheet{i + 1}.xml" '
                  'ContentType="application/vnd.openxmlformats-officedocument.spreadsheetml.worksheet+xml"/>'
                  for i in range(len(names)))
        + '<Override PartName="/xl/sharedStrings.xml" '
          'ContentType="application/vnd.openxmlformats-officedocument.spreadsheetml.sharedStrings+xml"/>'
          '<Override PartName="/xl/styles.xml" '
          'ContentType="application/vnd.openxmlformats-officedocument.spreadsheetml.styles+xml"/>'
          '</Types>')
    root_rels = ('<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n'
                 '<Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships">'
                 f'<Relationship Id="rId1" Type="{rel}/officeDocument" Target="xl/workbook.xml"/>'
                 '</Relationships>')
    workbook = (f'<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n<workbook xmlns="{ns}" '
                f'xmlns:r="{rel}"><sheets>'
                + "".join(f'<sheet name="{escape(n)}" sheetId="{i + 1}" r:id="rId{i + 1}"/>'
                          for i, n in enumerate(names))
                + "</sheets></workbook>")
    workbook_rels = ('<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n'
                     '<Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships">'
                     + "".join(f'<Relationship Id="rId{i + 1}" Type="{rel}/worksheet" '
                               f'Target="worksheets/sheet{i + 1}.xml"/>' for i in range(len(names)))
                     + f'<Relationship Id="rId{len(names) + 1}" Type="{rel}/sharedStrings" '
                       'Target="sharedStrings.xml"/>'
                       f'<Relationship Id="rId{len(names) + 2}" Type="{rel}/styles" Target="styles.xml"/>'
                       '</Relationships>')
    ordered = sorted(strings, key=strings.__getitem__)
    shared = (f'<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n<sst xmlns="{ns}" '
              f'count="{len(ordered)}" uniqueCount="{len(ordered)}">'
              + "".join(f"<si><t>{escape(s)}</t></si>" for s in ordered) + "</sst>")
    styles = (f'<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n<styleSheet xmlns="{ns}">'
              '<fonts count="1"><font><sz val="11"/><name val="Calibri"/></font></fonts>'
              '<fills count="1"><fill><patternFill patternType="none"/></fill></fills>'
              '<borders count="1"><border/></borders>'
              '<cellStyleXfs count="1"><xf numFmtId="0" fontId="0" fillId="0" borderId="0"/></cellStyleXfs>'
              '<cellXfs count="1"><xf numFmtId="0" fontId="0" fillId="0" borderId="0" xfId="0"/></cellXfs>'
              '</styleSheet>')
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED, compresslevel=6) as archive:
        archive.writestr("[Content_Types].xml", content_types)
        archive.writestr("_rels/.rels", root_rels)
        archive.writestr("xl/workbook.xml", workbook)
        archive.writestr("xl/_rels/workbook.xml.rels", workbook_rels)
        for i, name in enumerate(names):
            archive.writestr(f"xl/worksheets/sheet{i + 1}.xml", built[name])
        archive.writestr("xl/sharedStrings.xml", shared)
        archive.writestr("xl/styles.xml", styles)


def _projects(n: int, as_of: int) -> list[list]:
    rows = [["project_id", "project_name", "portfolio", "programme", "sponsor", "manager", "strategic_objective",
             "stage", "budget_at_completion", "currency"]]
    for p in range(n):
        start = as_of - 30 + p % 24
        stage = "execution" if start <= as_of < start + MONTHS_PER_PROJECT else "planning"
        rows.append([f"PR-{p:05d}", f"Project {p:05d}", f"Portfolio {p % PORTFOLIOS:02d}",
                     f"Programme {p % 120:03d}", f"Sponsor {p % 30:02d}", f"Manager {p % 300:03d}",
                     f"Objective {p % 6}", stage, 200_000 + 1000 * int(4000 * _noise(p, 1)), "GBP"])
    return rows


def _money_text(value: float) -> str:
    return f"£{value:,.0f}"


def _financials(n: int, as_of: int, as_text: bool) -> list[list]:
    rows = [["project_id", "period", "planned_cost", "actual_cost", "forecast_cost", "earned_value",
             "quality_score"]]
    for p in range(n):
        start = as_of - 30 + p % 24
        bac = 200_000 + 1000 * int(4000 * _noise(p, 1))
        for i in range(MONTHS_PER_PROJECT):
            month = start + i
            planned = round(bac / MONTHS_PER_PROJECT * (0.6 + 0.8 * _noise(p, month)))
            if month <= as_of:
                actual = round(planned * (0.85 + 0.3 * _noise(p, month + 7)))
                earned = round(planned * (0.8 + 0.3 * _noise(p, month + 11)), 1)
                forecast, quality = None, 60 + int(40 * _noise(p, month + 3))
            else:
                actual = earned = quality = None
                forecast = round(planned * 1.05)
            if as_text:
                planned, actual, forecast = (None if v is None else _money_text(v) for v in (planned, actual, forecast))
                earned = None if earned is None else f"{earned}"
            rows.append([f"PR-{p:05d}", _month(month), planned, actual, forecast, earned, quality])
    return rows


def _benefits(n: int, projects: int) -> list[list]:
    rows = [["benefit_id", "project_id", "benefit_name", "category", "benefit_type", "owner", "measure",
             "confidence"]]
    for b in range(n):
        rows.append([f"BN-{b:06d}", f"PR-{b % projects:05d}", f"Benefit {b:06d}", "financial", "cost saving",
                     f"Owner {b % 500:03d}", "flow", round(0.5 + 0.5 * _noise(b, 2), 2)])
    return rows


def _benefit_values_wide(n: int, as_of: int) -> list[list]:
    months = list(range(as_of - VALUE_MONTHS // 2 + 1, as_of + VALUE_MONTHS // 2 + 1))
    rows = [["benefit_id", "measure", *(_month(m) for m in months)]]
    for b in range(n):
        size = 2_000 + 40_000 * _noise(b, 5)
        planned = [round(size * (0.8 + 0.4 * _noise(b, m))) for m in months]
        realised = [round(v * (0.7 + 0.5 * _noise(b, m + 1))) if m <= as_of else None
                    for v, m in zip(planned, months, strict=True)]
        forecast = [round(v * 0.95) if m > as_of else None for v, m in zip(planned, months, strict=True)]
        rows += [[f"BN-{b:06d}", "planned", *planned], [f"BN-{b:06d}", "realised", *realised],
                 [f"BN-{b:06d}", "forecast", *forecast]]
    return rows


def write(shape: str, path: Path, as_of: str, rows: int = 300_000) -> Path:
    """Write one file of `shape` for reporting month `as_of` holding about `rows` stored rows."""
    month = _index(as_of)
    about = [["as_of", as_of]]
    if shape in ("long", "text", "csv"):
        projects = max(1, rows // MONTHS_PER_PROJECT)
        financials = _financials(projects, month, as_text=shape == "text")
        if shape == "csv":
            buffer = io.StringIO(newline="")
            csv.writer(buffer, lineterminator="\r\n").writerows(financials)
            path.write_text(buffer.getvalue(), encoding="utf-8")
            return path
        _write_xlsx(path, {"About": about, "Projects": _projects(projects, month), "Financials": financials})
    elif shape == "wide":
        benefits = max(1, rows // VALUE_MONTHS // 2)  # planned every month, realised or forecast each month
        projects = max(1, benefits // 4)
        _write_xlsx(path, {"About": about, "Projects": _projects(projects, month),
                           "Benefits": _benefits(benefits, projects),
                           "BenefitValues": _benefit_values_wide(benefits, month)})
    else:
        raise ValueError(f"unknown shape {shape!r}")
    return path


def projects_of(shape: str, rows: int) -> int:
    """Return how many projects a file of `shape` and `rows` lists (the CSV's come from an earlier workbook)."""
    return max(1, rows // MONTHS_PER_PROJECT) if shape != "wide" else max(1, rows // VALUE_MONTHS // 2 // 4)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("shape", choices=SHAPES)
    parser.add_argument("-o", "--output", required=True)
    parser.add_argument("--as-of", default="2026-10")
    parser.add_argument("--rows", type=int, default=300_000)
    args = parser.parse_args(argv)
    write(args.shape, Path(args.output), args.as_of, args.rows)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
