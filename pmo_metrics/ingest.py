"""An upload end to end: size and duplicate checks, read, validate, decide the month, store.

`check` validates without storing (the upload page's report); `ingest` stores when, and only
when, every file of the batch is clean: a batch is all or nothing (SPEC §2 "a file with any
error loads nothing", extended to the files uploaded together, which may refer to each other).
"""

from __future__ import annotations

import datetime as dt
import hashlib
import re
from collections.abc import Callable
from dataclasses import dataclass, field

import pyarrow as pa

from . import early
from .mapping import stored_mappings
from .parsing import parse_month_argument
from .problems import Problem, error, info, warning
from .readers import RawFile, read_file, safe_file_name
from .store import MODES, FileLoad, Store
from .validate import CheckedFile, Rules, Validator, apply_units

_MONTH_IN_NAME = re.compile(r"(?<!\d)(20\d{2})[-_. ]?(0[1-9]|1[0-2])(?!\d)")

Progress = Callable[[float, str], None]


@dataclass
class FileOutcome:
    """What happened to one file of an upload."""

    name: str
    status: str  # checked | loaded | rejected | duplicate
    as_of: dt.date | None = None
    sheets: dict[str, int] = field(default_factory=dict)
    problems: list[Problem] = field(default_factory=list)
    upload_id: int | None = None
    duplicate_of: int | None = None
    sha256: str = ""  # of the bytes received, computed once
    size: int = 0
    mode: str = "full"  # SPEC §7.1, as decided for this file (flag, About sheet, default)
    complete: bool = False
    rebaseline_reason: str | None = None  # SPEC §9.1: a declared re-baseline's reason (flag or About sheet)

    @property
    def errors(self) -> list[Problem]:
        return [p for p in self.problems if p.severity == "error"]


@dataclass
class IngestResult:
    """The outcome of a batch: one entry per file."""

    files: list[FileOutcome]

    @property
    def ok(self) -> bool:
        """True when nothing was rejected."""
        return all(f.status in ("checked", "loaded", "duplicate") for f in self.files)

    @property
    def problems(self) -> list[Problem]:
        return [p for f in self.files for p in f.problems]


def month_from_file_name(name: str) -> dt.date | None:
    """Return the YYYY-MM month written in a file name, if any."""
    match = _MONTH_IN_NAME.search(name)
    return dt.date(int(match.group(1)), int(match.group(2)), 1) if match else None


def next_month(today: dt.date | None = None) -> dt.date:
    """Return the month after today's: the latest reporting month an upload may have (SPEC §7.8)."""
    today = today or dt.date.today()
    return dt.date(today.year + today.month // 12, today.month % 12 + 1, 1)


def _as_of_problem(outcome: FileOutcome, raw: RawFile, source: str, rules: Rules,
                   today: dt.date | None) -> Problem | None:
    """Return a located error when the reporting month is implausible (SPEC §7.8), else None."""
    month, latest = outcome.as_of, next_month(today)
    if month is None or rules.period_earliest <= month <= latest:
        return None
    where = {"flag": "the reporting month given", "about": "the About sheet's as_of",
             "name": "the month in the file name"}[source]
    located = {}
    if source == "about" and "as_of" in raw.about_cells:
        sheet, cell = raw.about_cells["as_of"].rsplit("!", 1)
        located = {"sheet": sheet, "cell": cell, "column": "as_of"}
    return error(outcome.name, f"not a plausible reporting month ({where}): expected a month from "
                               f"{rules.period_earliest:%Y-%m} to next month, {latest:%Y-%m}",
                 value=f"{month:%Y-%m}", code="as_of_out_of_range", **located)


def _withheld_tables(item: CheckedFile) -> dict[str, pa.Table]:
    """Return a checked file's withheld cells per store table, with the sheet they were on."""
    tables: dict[str, list[pa.Table]] = {}
    for sheet in item.sheets:
        if sheet.withheld is not None and sheet.withheld.num_rows:
            cells = sheet.withheld.append_column(
                "sheet_name", pa.array([sheet.sheet_name] * sheet.withheld.num_rows, pa.string()))
            tables.setdefault(sheet.spec.table, []).append(cells)
    return {name: pa.concat_tables(parts) for name, parts in tables.items()}


def _sha256(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def _noop(_fraction: float, _text: str) -> None:
    return None


def check(store: Store, files: list[tuple[str, bytes]], as_of: dt.date | None = None,
          csv_sheets: dict[str, str] | None = None, progress: Progress = _noop,
          mode: str | None = None, complete: bool | None = None, *,
          units: str | None = None, mapping: str | None = None,
          today: dt.date | None = None, rebaseline: str | None = None) -> tuple[IngestResult, list]:
    """Validate a batch without storing it; return the outcomes and the ready-to-store loads.

    `mode` and `complete` (SPEC §7.1), when given, hold for every file; else each file's About
    sheet `mode` and `complete` cells; else full and not complete. `units` is the upload's money
    unit (else each file's About sheet, else units: SPEC §7.4); `mapping` the name of a stored
    column mapping to read every file with (SPEC §7.6). `rebaseline`, when given, is the reason of
    a re-baseline declared for every file (else each file's About `rebaseline` and
    `rebaseline_reason` cells; SPEC §9.1).
    """
    if rebaseline is not None and not rebaseline.strip():
        raise ValueError("a re-baseline needs its reason: say why the plan changes")
    if mode is not None and mode not in MODES:
        raise ValueError(f"{mode!r} is not an upload mode; expected full or incremental")
    settings = store.settings()
    limit = int(settings.max_upload_mb * 1024 * 1024)
    rules = Rules.from_settings(settings, today=today)
    known_mappings = tuple(stored_mappings(store))
    outcomes: list[FileOutcome] = []
    raws: list[RawFile] = []
    validator = Validator(rules=rules)  # checks each sheet on a worker thread while the next ones are parsed
    try:
        total = max(1, len(files))
        for index, (name, data) in enumerate(files):
            name = safe_file_name(name)
            progress(0.1 + 0.5 * index / total, f"reading {name}")
            outcome = FileOutcome(name, "checked", sha256=_sha256(data), size=len(data))
            outcomes.append(outcome)
            if len(data) > limit:
                outcome.problems.append(error(name, "refused: the file is over the "
                                                   f"{settings.max_upload_mb:g} MB upload limit", code="too_large"))
                raws.append(RawFile(name, len(data)))
                continue
            duplicate = store.find_loaded_duplicate(outcome.sha256)
            if duplicate is not None:
                outcome.status, outcome.duplicate_of = "duplicate", duplicate
                raws.append(RawFile(name, len(data)))
                continue
            if mapping and mapping not in {m.name for m in known_mappings}:
                names = ", ".join(m.name for m in known_mappings) or "none is stored yet"
                outcome.problems.append(error(name, f"no column mapping named {mapping!r} (stored: {names})",
                                              code="unknown_mapping"))
                raws.append(RawFile(name, len(data)))
                continue
            csv_sheet = (csv_sheets or {}).get(name)
            raw = early.take(data, csv_sheet, known_mappings, mapping, validator.submit)  # the command line's
            if raw is None:
                raw = read_file(name, data, csv_sheet, on_sheet=validator.submit, mappings=known_mappings,
                                mapping_name=mapping)
            raws.append(raw)
        progress(0.6, "validating")
        live = [(o, r) for o, r in zip(outcomes, raws, strict=True) if o.status == "checked" and not o.problems]
        checked = validator.finish([r for _, r in live], store.known_keys())
    except BaseException:
        validator.close()
        raise
    by_name: dict[int, CheckedFile] = {id(o): c for (o, _), c in zip(live, checked, strict=True)}
    loads = []
    for outcome, raw in zip(outcomes, raws, strict=True):
        item = by_name.get(id(outcome))
        if item is None:
            continue
        apply_units(item, units or raw.about_units or "units")
        outcome.problems = item.problems
        outcome.sheets = {s.spec.name: s.table.num_rows for s in item.sheets}
        outcome.as_of = as_of or raw.about_as_of or month_from_file_name(outcome.name)
        outcome.mode = mode or raw.about_mode or "full"
        outcome.complete = complete if complete is not None else bool(raw.about_complete)
        outcome.rebaseline_reason = (rebaseline.strip() if rebaseline is not None
                                     else raw.about_rebaseline_reason if raw.about_rebaseline else None)
        source = "flag" if as_of else "about" if raw.about_as_of else "name"
        if (implausible := _as_of_problem(outcome, raw, source, rules, today)) is not None:
            outcome.problems.append(implausible)
        if outcome.as_of is None and not outcome.errors:
            outcome.problems.append(error(outcome.name, "reporting month unknown: give it (--as-of YYYY-MM or the "
                                                        "upload form), put an as_of cell on an About sheet, or "
                                                        "write YYYY-MM in the file name", code="no_as_of"))
        if not item.sheets and not outcome.errors:
            outcome.problems.append(error(outcome.name, "no rows to load", code="no_rows"))
        if not outcome.errors:
            loads.append(FileLoad(outcome.name, outcome.sha256, outcome.size, outcome.as_of,
                                  {s.spec.table: s.table for s in item.sheets},
                                  [p.as_dict() for p in outcome.problems], outcome.mode, outcome.complete,
                                  withheld=_withheld_tables(item), rebaseline_reason=outcome.rebaseline_reason))
    for outcome in outcomes:
        if outcome.errors:
            outcome.status = "rejected"
    return IngestResult(outcomes), loads


def ingest(store: Store, files: list[tuple[str, bytes]], as_of: dt.date | None = None,
           user: str | None = None, csv_sheets: dict[str, str] | None = None,
           progress: Progress = _noop, mode: str | None = None, complete: bool | None = None, *,
           units: str | None = None, mapping: str | None = None, rebaseline: str | None = None,
           may_rebaseline: bool = False) -> IngestResult:
    """Validate and store a batch in one transaction, recording every file in the audit log
    (`mode`, `complete`, `units`, `mapping`, `rebaseline`: as for `check`; a declared re-baseline
    takes effect only when `may_rebaseline`, else its changed plans are held pending, SPEC §9.1)."""
    with store.connect():  # one open of the database file for the whole upload
        return _ingest(store, files, as_of, user, csv_sheets, progress, mode, complete, units=units,
                       mapping=mapping, rebaseline=rebaseline, may_rebaseline=may_rebaseline)


def _ingest(store, files, as_of, user, csv_sheets, progress, mode, complete, *, units=None,
            mapping=None, rebaseline=None, may_rebaseline=False) -> IngestResult:
    result, loads = check(store, files, as_of, csv_sheets, progress, mode, complete, units=units, mapping=mapping,
                          rebaseline=rebaseline)
    return _store(store, result, loads, user, progress, may_rebaseline)


def _baseline_problems(name: str, notes: dict) -> list[Problem]:
    """Say in the upload summary what an upload did to the baseline (SPEC §9.1)."""
    found = []
    if notes.get("extended"):
        found.append(info(name, f"extends the baseline: {notes['extended']:,} period(s) planned for the first time"))
    for status, text in (("approved", "re-baseline declared and approved"),
                         ("pending", "plan differs from the baseline: held as pending re-baseline")):
        for rid, kind, key, periods, old, new, _ in notes.get(status, []):
            found.append((info if status == "approved" else warning)(
                name, f"{text} {rid}: {key} {kind} in {periods} period(s), {old:,.2f} → {new:,.2f}"
                + ("" if status == "approved" else " (a PMO manager approves or rejects it; until then the "
                                                   "baseline counts)"),
                code=f"rebaseline_{status}"))
    return found


def _store(store: Store, result: IngestResult, loads: list[FileLoad], user: str | None,
           progress: Progress, may_rebaseline: bool = False) -> IngestResult:
    """Store a checked batch when nothing in it is rejected, and record every file in the audit log."""
    rejected = any(f.status == "rejected" for f in result.files)
    if rejected:
        bad = ", ".join(f.name for f in result.files if f.status == "rejected")
        for outcome in result.files:
            if outcome.status == "checked":
                outcome.status = "rejected"
                outcome.problems.append(
                    error(outcome.name, f"not loaded: another file of this upload has errors ({bad})",
                          code="batch_rejected"))
    progress(0.8, "storing")
    if not rejected and loads:
        if not may_rebaseline:  # SPEC §9.1: only a PMO manager's declaration moves the baseline
            for outcome, item in zip([o for o in result.files if o.status == "checked"], loads, strict=True):
                if item.rebaseline_reason is not None:
                    item.rebaseline_reason = None
                    outcome.problems.append(warning(
                        outcome.name, "re-baseline not taken: only a PMO manager or an admin may re-baseline; "
                                      "changed plans are held as pending re-baselines", code="rebaseline_refused"))
        # Checked again inside the write lock: another session may have loaded the same bytes
        # since `check` looked, and two loads of one file must store it once.
        ids = store.load(loads, user=user, unique=True)
        checked = [o for o in result.files if o.status == "checked"]
        for outcome, item, upload_id in zip(checked, loads, ids, strict=True):
            if upload_id is None:
                outcome.status, outcome.duplicate_of = "duplicate", item.duplicate_of
            else:
                outcome.status, outcome.upload_id = "loaded", upload_id
                outcome.problems.extend(_baseline_problems(outcome.name, item.baseline_notes))
    for outcome in result.files:
        if outcome.status in ("rejected", "duplicate"):
            messages = [p.as_dict() for p in outcome.problems]  # the store keeps a bounded summary
            if outcome.status == "duplicate":
                messages.append({"severity": "info", "file": outcome.name,
                                 "problem": f"identical to upload {outcome.duplicate_of}; nothing changed"})
            outcome.upload_id = store.record(outcome.status, outcome.name, outcome.sha256, outcome.size,
                                             outcome.as_of, user, messages, outcome.sheets,
                                             mode=outcome.mode, complete=outcome.complete)
    progress(1.0, "done")
    return result


def load_sample(store: Store, progress: Progress = _noop) -> list[IngestResult]:
    """Load the bundled sample portfolio as one batch: every file in one transaction, or none.

    Each file keeps its own reporting month (from the manifest, which its name and About sheet
    agree with); files are stored in manifest order, so a correction still follows its original.
    A process stopped part way leaves no partial sample behind. Returns once the pages' month
    rows are made too, so the database file alone holds the whole sample.
    """
    from .sample import sample_manifest

    manifest = sample_manifest()
    files = [(path.name, path.read_bytes()) for path, _ in manifest]
    with store.connect():
        result, loads = check(store, files, progress=progress)
        for outcome, (_, month) in zip(result.files, manifest, strict=True):
            if outcome.status == "checked" and outcome.as_of != parse_month_argument(month):
                outcome.status = "rejected"
                outcome.problems.append(error(outcome.name, f"the sample manifest says {month}, the file says "
                                                            f"{outcome.as_of:%Y-%m}"))
        result = _store(store, result, loads, "sample", progress)
    # The pages read the month rows of every month, and a copy of the file should hold the sample:
    # both are made (and the log folded into the file) before the sample counts as loaded.
    progress(0.9, "preparing the pages")
    store.wait_for_month_rows()
    progress(1.0, "sample loaded")
    return [result]
