"""What the upload page shows, built without Streamlit so tests can call it directly.

Check validates and stores nothing; load stores the batch all or nothing through
`actions.load` (SPEC §2, §3). Both return a `Report` of plain tables for the page: a per-file
summary and the located problems. The audit-log frames, the mapping step's previews and the
error workbooks are built here too; the page only lays them out.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
from collections.abc import Callable
from dataclasses import dataclass, field

import pandas as pd

from . import access, actions
from .access import User
from .ingest import IngestResult, check, month_from_file_name, parse_month_argument
from .mapping import MAPPING_CODES, SheetPreview, preview_sheets
from .parsing import parse_units
from .problems import Problem
from .report import error_workbook, report_name
from .schema import SHEETS, sheet_for_file_stem
from .store import Store, mode_label

PROBLEM_COLUMNS = ["file", "sheet", "cell", "column", "value", "problem", "severity", "code"]
SUMMARY_COLUMNS = ["file", "status", "as_of", "mode", "rows", "errors", "warnings", "upload_id"]
SHEET_NAMES = [s.name for s in SHEETS]
UNIT_OPTIONS = ["units", "thousands", "millions", "billions"]  # SPEC §7.4, for the upload form


@dataclass
class Report:
    """What the page shows after a check or load."""

    action: str  # "check" | "load"
    ok: bool
    summary: pd.DataFrame
    problems: pd.DataFrame
    fingerprint: str = ""
    months: list[dt.date] = field(default_factory=list)
    message: str = ""
    # Each file with errors and its problems, for the error workbook download (SPEC §7.7)
    rejected: dict[str, list[Problem]] = field(default_factory=dict)


def fingerprint(files: list[tuple[str, bytes]], month_text: str, csv_sheets: dict[str, str],
                choices: dict | None = None) -> str:
    """Return a token for these files and choices, so a stale check never unlocks a load."""
    digest = hashlib.sha256()
    for name, data in files:
        digest.update(name.encode() + b"\0" + hashlib.sha256(data).digest())
    digest.update(month_text.strip().encode() + json.dumps(csv_sheets, sort_keys=True).encode())
    if choices:  # the units and mapping asked for (SPEC §7.4, §7.6)
        digest.update(json.dumps(choices, sort_keys=True, default=str).encode())
    return digest.hexdigest()


def rejected_files(result: IngestResult) -> dict[str, list[Problem]]:
    """Return each file with errors and every one of its problems."""
    return {f.name: list(f.problems) for f in result.files if f.errors}


def error_workbook_for(files: list[tuple[str, bytes]], report: Report, name: str) -> tuple[str, bytes]:
    """Return (download name, bytes) of a rejected file's error workbook (SPEC §7.7)."""
    data = dict(files).get(name, b"")
    return report_name(name), error_workbook(name, data, report.rejected.get(name, []))


def sheets_to_map(files: list[tuple[str, bytes]], report: Report) -> list[SheetPreview]:
    """Return previews of the sheets whose headers the contract does not know (SPEC §7.6 "map your columns")."""
    if report.problems.empty or "code" not in report.problems:
        return []
    wanted = report.problems[report.problems["code"].isin(MAPPING_CODES)]
    previews = []
    for name, data in files:
        tabs = sorted({t for t in wanted.loc[wanted["file"] == name, "sheet"] if t})
        if tabs:
            previews.extend(preview_sheets(name, data, tabs))
    return previews


def units_choice(text: str | None) -> str | None:
    """Return the canonical unit of the form's choice (None: take it from each file's About sheet)."""
    return parse_units(text) if text and text != "units" else None


def suggested_month(names: list[str]) -> str:
    """Return the YYYY-MM the file names agree on, else '' (the About sheet or names decide per file)."""
    months = {month_from_file_name(n) for n in names}
    months.discard(None)
    return months.pop().strftime("%Y-%m") if len(months) == 1 else ""


def csv_needs_sheet(name: str) -> bool:
    """Return True when a CSV's file name does not say which sheet it holds."""
    stem = name.rsplit(".", 1)[0]
    return name.lower().endswith(".csv") and sheet_for_file_stem(stem) is None


def parse_month(text: str) -> tuple[dt.date | None, str]:
    """Return (month, '') for YYYY-MM text, (None, '') when blank, (None, message) when unreadable."""
    if not text.strip():
        return None, ""
    try:
        return parse_month_argument(text.strip()), ""
    except ValueError as problem:
        return None, str(problem)


def _frames(result: IngestResult) -> tuple[pd.DataFrame, pd.DataFrame]:
    summary = pd.DataFrame([{
        "file": f.name, "status": f.status, "as_of": f.as_of.strftime("%Y-%m") if f.as_of else "",
        "mode": mode_label(f.mode, f.complete),
        "rows": ", ".join(f"{sheet} {rows}" for sheet, rows in f.sheets.items()),
        "errors": len(f.errors), "warnings": len(f.problems) - len(f.errors),
        "upload_id": f.upload_id if f.upload_id is not None else f.duplicate_of,
    } for f in result.files], columns=SUMMARY_COLUMNS)
    problems = pd.DataFrame([p.as_dict() for p in result.problems], columns=PROBLEM_COLUMNS)
    problems = problems.sort_values("severity", kind="stable").reset_index(drop=True)  # errors first
    return summary, problems.astype(str).replace({"None": ""})


def _start(action: str, files: list[tuple[str, bytes]], month_text: str, csv_sheets: dict[str, str],
           choices: dict) -> tuple[dt.date | None, str, Report | None]:
    """Return the month asked for, the fingerprint of the files and choices, and a refusal Report when the
    month is unreadable."""
    month, problem = parse_month(month_text)
    token = fingerprint(files, month_text, csv_sheets, choices)
    if not problem:
        return month, token, None
    empty = Report(action, False, pd.DataFrame(columns=SUMMARY_COLUMNS), pd.DataFrame(columns=PROBLEM_COLUMNS),
                   token, message=problem)
    return month, token, empty


def run_check(store: Store, files: list[tuple[str, bytes]], month_text: str = "",
              csv_sheets: dict[str, str] | None = None,
              progress: Callable[[float, str], None] | None = None,
              mode: str | None = None, complete: bool | None = None, *,
              units: str | None = None, mapping: str | None = None, rebaseline: str | None = None) -> Report:
    """Validate the files without storing anything; return the report (`mode`, `complete`: SPEC §7.1,
    None = each file's About sheet; `units`, `mapping`: SPEC §7.4, §7.6; `rebaseline`: SPEC §9.1)."""
    csv_sheets = csv_sheets or {}
    month, token, refused = _start("check", files, month_text, csv_sheets,
                                   {"units": units, "mapping": mapping, "mode": mode, "complete": complete,
                                    "rebaseline": rebaseline})
    if refused:
        return refused
    result, _loads = check(store, files, as_of=month, csv_sheets=csv_sheets,
                           progress=progress or (lambda f, t: None), mode=mode, complete=complete,
                           units=units, mapping=mapping, rebaseline=rebaseline)
    summary, problems = _frames(result)
    ok = result.ok and not any(f.errors for f in result.files)
    months = sorted({f.as_of for f in result.files if f.as_of})
    duplicates = [f.name for f in result.files if f.status == "duplicate"]
    if not ok:
        message = "Some files have errors: fix them and upload again. Nothing has been stored."
    elif duplicates and len(duplicates) == len(result.files):
        message = "Every file is identical to one already loaded; loading changes nothing."
    else:
        message = "No errors found. Press Load to store the upload."
    return Report("check", ok, summary, problems, token, months, message, rejected=rejected_files(result))


def run_load(store: Store, files: list[tuple[str, bytes]], month_text: str = "",
             csv_sheets: dict[str, str] | None = None, user: User | None = None,
             progress: Callable[[float, str], None] | None = None, typed_name: str = "",
             mode: str | None = None, complete: bool | None = None, *,
             units: str | None = None, mapping: str | None = None, rebaseline: str | None = None) -> Report:
    """Validate and store the files in one transaction as `user` (`actions.load`); return the report
    (AccessDenied propagates)."""
    access.require(user, "upload")  # before the month is read: a refusal says nothing about the files
    csv_sheets = csv_sheets or {}
    month, token, refused = _start("load", files, month_text, csv_sheets,
                                   {"units": units, "mapping": mapping, "mode": mode, "complete": complete,
                                    "rebaseline": rebaseline})
    if refused:
        return refused
    result = actions.load(store, user, files, as_of=month, typed_name=typed_name, csv_sheets=csv_sheets,
                          progress=progress, mode=mode, complete=complete, units=units, mapping=mapping,
                          rebaseline=rebaseline)
    summary, problems = _frames(result)
    loaded = [f for f in result.files if f.status == "loaded"]
    months = sorted({f.as_of for f in loaded if f.as_of})
    if not result.ok:
        message = "The upload was rejected and nothing was stored; the problems are listed below."
    elif loaded:
        message = (f"Loaded {len(loaded)} file(s) for {', '.join(m.strftime('%Y-%m') for m in months)}. "
                   "Every page now shows the new data.")
    else:
        message = "Nothing new: every file was identical to one already loaded."
    return Report("load", result.ok, summary, problems, token, months, message, rejected=rejected_files(result))


def closed_message(month: dt.date, closed_now: bool, by: str | None, when: object) -> str:
    """Return what closing `month` did, in words for the page (SPEC §7.2)."""
    if closed_now:
        return f"{month:%b %Y} closed; it now counts as complete."
    return f"{month:%b %Y} was already closed by {by or 'unknown'} at {str(when)[:16]}."


def history_frame(uploads: pd.DataFrame) -> pd.DataFrame:
    """Return the audit log (Store.uploads, as pandas) for display: one row per upload with its row counts
    and its number of errors and warnings."""
    if uploads.empty:
        return pd.DataFrame(columns=["upload_id", "status", "file_name", "as_of", "mode", "rows", "problems",
                                     "user_name", "created_at", "voided_by"])

    out = uploads[["upload_id", "status", "file_name", "as_of", "user_name", "created_at", "voided_by"]].copy()
    out.insert(4, "mode", [mode_label(m, c) for m, c in zip(uploads["mode"], uploads["complete"], strict=True)])
    out.insert(5, "rows", uploads["sheets"].map(lambda pairs: ", ".join(f"{p['sheet']} {p['rows']}" for p in pairs)))
    out.insert(6, "problems", uploads["errors"] + uploads["warnings"])
    return out


def stored_problems(uploads: pd.DataFrame, upload_id: int) -> pd.DataFrame:
    """Return the validation messages stored with one upload (e.g. why it was rejected)."""
    row = uploads[uploads["upload_id"] == upload_id]
    if row.empty:
        return pd.DataFrame(columns=PROBLEM_COLUMNS)
    return pd.DataFrame(list(row.iloc[0]["messages"]), columns=PROBLEM_COLUMNS).fillna("").astype(str)


def preview_frame(preview: SheetPreview) -> pd.DataFrame:
    """Return a sheet's first rows under its own headers, for the mapping step (text only)."""
    width = len(preview.headers)
    names = [h or f"(column {i + 1})" for i, h in enumerate(preview.headers)]
    seen: dict[str, int] = {}
    unique = []
    for name in names:  # a frame needs distinct column names
        seen[name] = seen.get(name, 0) + 1
        unique.append(name if seen[name] == 1 else f"{name} ({seen[name]})")
    rows = [(list(r) + [None] * width)[:width] for r in preview.rows]
    return pd.DataFrame(rows, columns=unique).astype("string")


def columns_of(sheet: str) -> list[str]:
    """Return the contract columns of a sheet, by name."""
    return [c.name for s in SHEETS if s.name == sheet for c in s.columns]
