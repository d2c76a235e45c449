"""Raw sheets -> typed tables, collecting every located problem before anything is decided.

Validation is vectorised: each column is parsed in DuckDB as a whole (numbers by a SQL macro,
dates and enumerations by mapping the column's distinct values), and failures are located
afterwards by querying for cells that held something but parsed to nothing. No Python runs
per row, so a 300k-row sheet validates in a fraction of its parse time.

SQL here is composed only from the contract's own column names (checked against a strict
pattern); every value from a file reaches DuckDB as data in a registered Arrow table.
"""

from __future__ import annotations

import datetime as dt
import re
import threading
import unicodedata
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass, field

import duckdb
import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from . import confidence
from .parsing import (
    CONTROL_CHARS,
    DECIMAL_COMMA,
    INVISIBLE_CHARS,
    LINE_CHARS,
    MAX_AMOUNT,
    MONTH,
    PARSE_NUMBER_MACRO,
    PLAIN_NUMBER_RE,
    UNIT_FACTORS,
    FiscalError,
    looks_fiscal,
    markers_may_look_numeric,
    parse_date_text,
    parse_period_grain,
    withheld_pattern,
)
from .problems import Problem, error, shorten, warning
from .readers import ROW, RawFile, RawSheet
from .schema import (
    BENEFIT_MAP,
    BENEFIT_VALUES,
    BENEFITS,
    DATE,
    ENUM,
    FINANCIALS,
    NUMBER,
    PERCENT,
    PERIOD,
    PROJECTS,
    RAID,
    TEXT,
    VALUE_MEASURES,
    Column,
    Sheet,
    normalise_name,
)

VALIDATE_THREADS = 2  # sheets checked at once (see Validator)
# Cells listed per column and kind of problem. SPEC §7.7 asks for every problem: this bound is far
# above any real return and only keeps a hostile file of millions of bad cells from exhausting memory.
MAX_PROBLEMS_PER_CHECK = 100_000
DATE_WINDOW = (dt.date(1950, 1, 1), dt.date(2099, 12, 31))  # start and end dates of a project
WITHHELD_SHOWN = 5  # cells named in the one withheld warning per column
_IDENT = re.compile(r"^[a-z_][a-z0-9_]*$")

EXPECTED = {
    NUMBER: "a number (e.g. 1200, £1,200, (1,200) or 12%)",
    PERCENT: "a number or percentage",
    DATE: "a date (e.g. 2026-10-31, 31/10/2026, Oct 2026 or an Excel date)",
    PERIOD: "a month (e.g. 2026-10, Oct-26, Oct 2026, 31/10/2026 or an Excel date)",
}


def _add_years(month: dt.date, years: int) -> dt.date:
    return dt.date(month.year + years, month.month, 1)


@dataclass(frozen=True)
class Rules:
    """What checking an upload needs beyond the contract: its settings and the upload's own choices."""

    fy_start: int = 1  # fiscal-year-start month (SPEC §7.5)
    withheld_markers: str = ("exempt*, withheld*, redacted*, commercially sensitive*, n/a, na, "
                             "not applicable, not available, tbc")
    period_earliest: dt.date = dt.date(2000, 1, 1)  # SPEC §7.8 plausible window
    period_latest: dt.date = field(
        default_factory=lambda: _add_years(dt.date.today().replace(day=1), 10).replace(month=12))

    @classmethod
    def from_settings(cls, settings, today: dt.date | None = None) -> Rules:
        """Return the rules of the stored settings (the upload's unit is applied after: apply_units)."""
        year, month = (int(part) for part in settings.period_earliest.split("-"))
        today = (today or dt.date.today()).replace(day=1)
        return cls(fy_start=settings.fiscal_year_start_month,
                   withheld_markers=settings.withheld_markers, period_earliest=dt.date(year, month, 1),
                   period_latest=_add_years(today, settings.period_years_ahead).replace(month=12))

    def window_text(self) -> str:
        return f"{self.period_earliest:%Y-%m} to {self.period_latest:%Y-%m}"


@dataclass
class TypedSheet:
    """A validated sheet: typed columns named as the store's table, plus source_row."""

    file: str
    sheet_name: str
    spec: Sheet
    table: pa.Table
    # SPEC §7.3: one row per withheld cell (entity_key, period, column_name, reason, cell, source_row)
    withheld: pa.Table | None = None


@dataclass
class CheckedFile:
    """One file after validation."""

    raw: RawFile
    sheets: list[TypedSheet] = field(default_factory=list)
    problems: list[Problem] = field(default_factory=list)

    @property
    def errors(self) -> list[Problem]:
        return [p for p in self.problems if p.severity == "error"]


def _q(name: str) -> str:
    if not _IDENT.match(name):
        raise ValueError(f"unexpected identifier {name!r}")
    return f'"{name}"'


def _new_connection(rules: Rules) -> duckdb.DuckDBPyConnection:
    con = duckdb.connect()
    con.execute(PARSE_NUMBER_MACRO)
    # The markers are the user's text: they reach SQL as a bound value, never spliced into it.
    con.execute("SET VARIABLE withheld_re = ?", [withheld_pattern(rules.withheld_markers)])
    return con


class Validator:
    """Validates sheets on worker threads as they arrive, then checks references across the batch.

    fastexcel and DuckDB both release the GIL, so while the reader parses the next sheet of a
    workbook a worker is already checking the last one: a large upload costs little more than
    its parse. Each worker has its own DuckDB connection (temp tables and macros are per
    connection); two workers, so the big sheets parsed together are also checked together.
    """

    def __init__(self, workers: int = VALIDATE_THREADS, *, rules: Rules | None = None):
        self.rules = rules or Rules()
        self._local = threading.local()
        self._connections: list[duckdb.DuckDBPyConnection] = []
        self._lock = threading.Lock()
        self._pool = ThreadPoolExecutor(max_workers=workers, thread_name_prefix="validate")
        self._jobs: dict[int, tuple[list[Problem], Future]] = {}

    def _connection(self) -> duckdb.DuckDBPyConnection:
        """This worker thread's connection, opened on first use."""
        con = getattr(self._local, "con", None)
        if con is None:
            con = self._local.con = _new_connection(self.rules)
            with self._lock:
                self._connections.append(con)
        return con

    def _validate(self, sheet: RawSheet, problems: list[Problem]) -> TypedSheet | None:
        return _validate_sheet(self._connection(), sheet, problems, self.rules)

    def _references(self, checked: list[CheckedFile], known: dict[str, set[str]]) -> None:
        _check_references(self._connection(), checked, known)

    def submit(self, sheet: RawSheet) -> None:
        """Start validating one sheet (from any thread)."""
        problems: list[Problem] = []
        self._jobs[id(sheet)] = (problems, self._pool.submit(self._validate, sheet, problems))

    def finish(self, raws: list[RawFile], known: dict[str, set[str]] | None = None) -> list[CheckedFile]:
        """Return every file validated (waiting for the workers), with the reference checks done."""
        known = known or {"projects": set(), "benefits": set()}
        try:
            checked = []
            for raw in raws:
                item = CheckedFile(raw, problems=list(raw.problems))
                for sheet in raw.sheets:
                    if id(sheet) not in self._jobs:
                        self.submit(sheet)
                    problems, job = self._jobs[id(sheet)]
                    typed = job.result()
                    item.problems.extend(problems)
                    if typed is not None:
                        item.sheets.append(typed)
                checked.append(item)
            self._pool.submit(self._references, checked, known).result()
            return checked
        finally:
            self.close()

    def close(self) -> None:
        """Stop the workers and close their connections."""
        self._pool.shutdown(wait=True)
        for con in self._connections:
            con.close()
        self._connections.clear()


# -- one sheet -------------------------------------------------------------------------------


@dataclass
class _Parsed:
    column: Column
    expression: str  # typed value
    raw_text: str | None  # the cell as text, when parsing can fail
    join: str = ""  # LEFT JOIN clause of a distinct-value mapping
    withheld: str | None = None  # the cell's text when it is a withheld marker (SPEC §7.3)
    grain: str | None = None  # a period's grain: month, quarter or year (SPEC §7.5)
    withholdable: bool = False
    # Texts refused with a message of their own (a fiscal year the setting cannot place): text -> message
    refused: dict[str, str] = field(default_factory=dict)
    unit: str = "units"


def _validate_sheet(con, sheet: RawSheet, problems: list[Problem], rules: Rules | None = None) -> TypedSheet | None:
    rules = rules or Rules()
    spec = sheet.spec
    raw = sheet.table if sheet.wide else plain_numbers_typed(sheet.table, spec, rules)
    con.register("raw", raw)
    _RAW_TABLES[id(con)] = raw
    try:
        if sheet.wide:
            return _validate_wide(con, sheet, problems, rules)
        columns = [spec.column(n) for n in raw.column_names if n != ROW]
        parsed = [_parse_column(con, column, raw.schema.field(column.name).type, rules,
                                withholdable=column.name not in spec.key,
                                unit=sheet.units.get(column.name) or "units")
                  for column in columns]
        _materialise(con, parsed, extra=[ROW])
        located = _Locator(sheet, problems, {c.name: sheet.letters[c.name] for c in columns})
        _run_checks(con, [c for item in parsed for c in _column_checks(item, rules)], located)
        _check_keys(con, spec, located)
        withheld = _withheld_cells(con, sheet, parsed, located)
        typed_columns = []
        for item in parsed:
            name = _q(item.column.name)
            if item.column.name == "percent_complete":
                # SPEC §2: cumulative 0-100, or 0-1 when every value in the column is <= 1.
                typed_columns.append(
                    f"CASE WHEN (SELECT max({name}) FROM typed) <= 1 THEN {name} ELSE {name} / 100 END "  # noqa: S608
                    f"AS {name}")
            else:
                typed_columns.append(name)
            if item.grain is not None:
                typed_columns.append(f"{_q('g_' + item.column.name)} AS period_grain")
        select = ", ".join(typed_columns + [f"{ROW} AS source_row"])
        table = con.sql(f"SELECT {select} FROM typed ORDER BY {ROW}").to_arrow_table()  # noqa: S608
        return TypedSheet(sheet.file, sheet.sheet_name, spec, table, withheld)
    finally:
        _RAW_TABLES.pop(id(con), None)
        con.unregister("raw")


def _is_text(arrow_type: pa.DataType) -> bool:
    return pa.types.is_string(arrow_type) or pa.types.is_large_string(arrow_type)


NUMBER_SAMPLE_ROWS = 1_000
# The Arrow table each connection has registered as `raw` (one sheet at a time per worker).
_RAW_TABLES: dict[int, pa.Table] = {}


def plain_numbers_typed(table: pa.Table, spec: Sheet, rules: Rules) -> pa.Table:
    """Return `table` with each number column read as text typed as numbers, when every cell of it
    is a plain number (or blank): a CSV's columns are all read as text, and many sheets type
    their money as text.

    Such a cell means to Arrow's cast exactly what it means to `parse_number` (both read decimals
    correctly rounded; tests/unit/test_validate_numbers.py), and the cast is ~15x faster than
    parsing each cell in SQL, which on a 300k-row CSV was 0.4 s of its 1.5 s load. Any other cell
    ("£1,200", "n/a", " 12", "1e400") leaves the column as text, for the rules that read or report
    it; so does a withheld marker that could look like a number, which the cast would take for one.
    """
    if markers_may_look_numeric(rules.withheld_markers):
        return table
    for index, read_as in enumerate(table.schema):
        if read_as.name in (ROW, confidence.COLUMN) or not _is_text(read_as.type):
            continue
        if spec.column(read_as.name).type not in (NUMBER, PERCENT):
            continue
        numbers = _as_plain_numbers(table.column(index))
        if numbers is not None:
            table = table.set_column(index, read_as.name, numbers)
    return table


def _as_plain_numbers(texts: pa.ChunkedArray) -> pa.ChunkedArray | None:
    """Return `texts` cast to doubles when every cell is a plain, finite number or null; else None."""
    try:
        if len(texts) > NUMBER_SAMPLE_ROWS:  # money typed "£1,200" fails here, before a whole column's cast
            pc.cast(texts.slice(0, NUMBER_SAMPLE_ROWS), pa.float64())
        numbers = pc.cast(texts, pa.float64())
    except (pa.ArrowInvalid, pa.ArrowNotImplementedError):
        return None
    return None if pc.all(pc.is_finite(numbers)).as_py() is False else numbers


def _parse_column(con, column: Column, arrow_type: pa.DataType, rules: Rules | None = None,
                  withholdable: bool = False, unit: str = "units") -> _Parsed:
    """Return the SQL that types one raw column, by contract type and the type it was read as."""
    rules = rules or Rules()
    item = _parse_value(con, column, arrow_type, rules, unit)
    item.unit = unit
    if item.raw_text is not None and withholdable:
        # A withheld marker is not a value: the cell is stored empty, with its text as the reason.
        item.withheld = (f"CASE WHEN regexp_matches(lower(regexp_replace({item.raw_text}, '\\s+', ' ', 'g')), "
                         f"getvariable('withheld_re')) THEN {item.raw_text} END")
        if column.type in (NUMBER, PERCENT) and not markers_may_look_numeric(rules.withheld_markers):
            # Most cells of money typed as text are plain amounts, which no such marker matches:
            # one cheap match spares them the marker test (a third of a 300k-row sheet's typing).
            item.withheld = (f"CASE WHEN NOT regexp_full_match({item.raw_text}, '{PLAIN_NUMBER_RE}') "
                             f"THEN {item.withheld} END")
        item.expression = f"CASE WHEN ({item.withheld}) IS NULL THEN {item.expression} END"
        item.withholdable = True
    return item


def _parse_value(con, column: Column, arrow_type: pa.DataType, rules: Rules, unit: str) -> _Parsed:
    src = f"raw.{_q(column.name)}"
    is_text = _is_text(arrow_type)
    is_number = pa.types.is_integer(arrow_type) or pa.types.is_floating(arrow_type)
    is_time = pa.types.is_timestamp(arrow_type) or pa.types.is_date(arrow_type)
    is_null = pa.types.is_null(arrow_type)
    raw_text = f"NULLIF(trim(CAST({src} AS VARCHAR)), '')"
    if is_null:
        item = _Parsed(column, f"NULL::{_sql_type(column)}", None)
        if column.type == PERIOD:
            item.grain = "NULL::VARCHAR"
        return item
    kind = column.type
    if column.name == confidence.COLUMN:  # SPEC §8.1: a scale of its own; a withheld marker is blank
        return _mapped(con, column, confidence.not_withheld_sql(raw_text), confidence.canonical, pa.string(),
                       lambda e: e)
    if kind == TEXT:
        if is_number:
            expr = (f"CASE WHEN {src} = trunc({src}) AND abs({src}) < 1e15 "
                    f"THEN CAST(CAST({src} AS BIGINT) AS VARCHAR) ELSE CAST({src} AS VARCHAR) END")
            return _Parsed(column, expr, None)
        if is_time:
            return _Parsed(column, f"strftime(CAST({src} AS DATE), '%Y-%m-%d')", None)
        if column.identifier and _has_non_ascii(con, column.name):
            # SPEC §7.8: ids are NFKC-normalised, so a full-width "ＤＴ－００１" is DT-001.
            return _mapped(con, column, raw_text, lambda text: unicodedata.normalize("NFKC", text), pa.string(),
                           lambda e: e)
        # Text is always kept for its own checks (control characters, length): it is the value.
        return _Parsed(column, raw_text, raw_text)
    if kind in (NUMBER, PERCENT):
        factor = UNIT_FACTORS.get(unit, 1.0) if kind == NUMBER else 1.0
        scale = (lambda e: f"({e}) * {factor!r}") if factor != 1.0 else (lambda e: e)
        if is_number:
            return _Parsed(column, scale(f"CAST({src} AS DOUBLE)"), None)
        if is_text:
            return _Parsed(column, scale(f"parse_number({src})"), raw_text)
        return _Parsed(column, "NULL::DOUBLE", raw_text)
    if kind in (DATE, PERIOD):
        to_month = (lambda e: f"CAST(date_trunc('month', {e}) AS DATE)") if kind == PERIOD else (lambda e: e)
        month_grain = f"'{MONTH}'" if kind == PERIOD else None
        if is_time:
            item = _Parsed(column, to_month(f"CAST({src} AS DATE)"), None)
            item.grain = month_grain
            return item
        if is_number:
            # 202610 in a period column means October 2026; other numbers are Excel serials.
            expr = (f"CASE WHEN {src} BETWEEN 190001 AND 210012 AND {src} = trunc({src}) "
                    f"AND CAST({src} AS BIGINT) % 100 BETWEEN 1 AND 12 "
                    f"THEN make_date(CAST({src} AS BIGINT) // 100, CAST({src} AS BIGINT) % 100, 1) "
                    f"WHEN {src} BETWEEN 1 AND 2958465 "
                    f"THEN CAST(DATE '1899-12-30' + CAST(floor({src}) AS INTEGER) AS DATE) END")
            item = _Parsed(column, to_month(expr), raw_text)
            item.grain = month_grain
            return item
        if kind == DATE:
            return _mapped(con, column, raw_text, lambda text: parse_date_text(text), pa.date32(), to_month)
        return _mapped_periods(con, column, raw_text, rules)
    if kind == ENUM:
        lookup = column.choice_lookup()
        return _mapped(con, column, raw_text, lambda text: lookup.get(normalise_name(text)), pa.string(),
                       lambda e: e)
    raise ValueError(kind)


def _raw_column(con, name: str) -> pa.ChunkedArray:
    """Return the column `name` of the Arrow table this connection has registered as `raw`.

    Asked of Arrow, not of `raw`: every query of `raw` converts the whole table (20-60 ms at 300k
    rows), where Arrow answers these questions in a few.
    """
    return _RAW_TABLES[id(con)].column(name)


def _has_non_ascii(con, name: str) -> bool:
    """Return True when some cell of the column `name` of `raw` holds a character past ASCII."""
    values = _raw_column(con, name)
    if not _is_text(values.type):
        return False  # numbers, dates and flags read into a text column are ASCII as text
    return pc.all(pc.string_is_ascii(values)).as_py() is False


def _distinct_texts(con, raw_text: str, name: str) -> list[str]:
    """Return the distinct non-null values of `raw_text`, an expression over the column `name` of `raw`,
    computed over the column's distinct values only."""
    con.register("raw_distinct", pa.table({name: pc.unique(_raw_column(con, name))}))
    try:
        distinct = con.execute(f"SELECT DISTINCT {raw_text} AS v FROM raw_distinct AS raw "  # noqa: S608
                               "WHERE v IS NOT NULL").fetchall()
    finally:
        con.unregister("raw_distinct")
    return [row[0] for row in distinct]


def _mapped(con, column: Column, raw_text: str, convert, arrow_type, wrap) -> _Parsed:
    """Type a column by converting its distinct text values in Python and joining them back."""
    texts = _distinct_texts(con, raw_text, column.name)
    mapping = pa.table({"raw_text": pa.array(texts, pa.string()),
                        "value": pa.array([convert(t) for t in texts], arrow_type)})
    alias = f"map_{column.name}"
    con.register(alias, mapping)
    join = f"LEFT JOIN {alias} ON {alias}.raw_text = {raw_text}"
    return _Parsed(column, wrap(f"{alias}.value"), raw_text, join)


def _mapped_periods(con, column: Column, raw_text: str, rules: Rules) -> _Parsed:
    """Type a period column of text: months, and fiscal years and quarters with their grain (SPEC §7.5).

    A bare 2011-12 reads as December 2011 unless another cell of the column is plainly a fiscal
    year (2012-13, FY2013-14): then the column is one of fiscal years.
    """
    texts = _distinct_texts(con, raw_text, column.name)
    prefer_fiscal = any(looks_fiscal(t) for t in texts)
    values, grains, refused = [], [], {}
    for text in texts:
        try:
            month, grain = parse_period_grain(text, rules.fy_start, prefer_fiscal)
        except FiscalError as problem:
            month, grain, refused[text] = None, None, str(problem)
        values.append(month)
        grains.append(grain)
    alias = f"map_{column.name}"
    con.register(alias, pa.table({"raw_text": pa.array(texts, pa.string()), "value": pa.array(values, pa.date32()),
                                  "grain": pa.array(grains, pa.string())}))
    item = _Parsed(column, f"{alias}.value", raw_text, f"LEFT JOIN {alias} ON {alias}.raw_text = {raw_text}")
    item.grain, item.refused = f"{alias}.grain", refused
    return item


def _sql_type(column: Column) -> str:
    return {TEXT: "VARCHAR", NUMBER: "DOUBLE", PERCENT: "DOUBLE", DATE: "DATE", PERIOD: "DATE",
            ENUM: "VARCHAR"}[column.type]


def _raw_ref(item: _Parsed) -> str:
    """Return SQL over `typed` giving a cell's text for messages."""
    if item.raw_text is not None and item.column.type != TEXT:
        return _q("raw_" + item.column.name)
    if item.column.type in (NUMBER, PERCENT):
        return f"printf('%.15g', {_q(item.column.name)})"  # -5, as the cell shows, not -5.0
    return f"CAST({_q(item.column.name)} AS VARCHAR)"


def _materialise(con, parsed: list[_Parsed], extra: list[str], present_as_read: tuple[str, ...] = ()) -> None:
    """Create temp table `typed`: parsed values, row numbers, and the raw text of failing cells.

    Text is kept only where a message may quote it: a cell of a fallible column that did not
    parse or is out of range. (Keeping every cell's text — or casting every number to text — for
    messages that are never shown was the slowest step of a large load: a sheet of amounts
    stored as text kept 4M strings.) Blank rows — every contract column empty — are dropped
    here, as SPEC §2 asks; a cell of a `present_as_read` column (left out of `typed`) counts too.
    A withheld cell's text is kept (`w_<column>`), and a period's grain (`g_<column>`).
    """
    inner = [f"raw.{_q(e)} AS {_q(e)}" for e in extra]
    outer = [_q(e) for e in extra]
    any_present = []
    for p in parsed:
        name, text = _q(p.column.name), _q("raw_" + p.column.name)
        inner.append(f"{p.expression} AS {name}")
        outer.append(name)
        if p.withheld is not None:
            inner.append(f"{p.withheld} AS {_q('w_' + p.column.name)}")
            outer.append(_q("w_" + p.column.name))
        if p.grain is not None:
            inner.append(f"{p.grain} AS {_q('g_' + p.column.name)}")
            outer.append(_q("g_" + p.column.name))
        if p.raw_text is None or p.column.type == TEXT:  # text is its own value: checked as stored
            any_present.append(f"{name} IS NOT NULL")
            if p.withheld is not None:
                any_present.append(f"{_q('w_' + p.column.name)} IS NOT NULL")
            continue
        inner.append(f"{p.raw_text} AS {text}")
        quoted = [f"{name} IS NULL"]
        if p.column.minimum is not None:
            quoted.append(f"{name} < {float(p.column.minimum)!r}")
        if p.column.maximum is not None:
            quoted.append(f"{name} > {float(p.column.maximum)!r}")
        if p.column.type in (NUMBER, PERCENT):
            quoted.append(f"abs({name}) > {MAX_AMOUNT!r}")
        outer.append(f"CASE WHEN {' OR '.join(quoted)} THEN {text} END AS {text}")
        any_present.append(f"{text} IS NOT NULL")
    if present_as_read:
        inner.append("(" + " OR ".join(f"raw.{_q(n)} IS NOT NULL" for n in present_as_read) + ") AS _as_read")
        any_present.append("_as_read")
    joins = " ".join(p.join for p in parsed if p.join)
    where = " OR ".join(any_present) or "TRUE"
    con.execute(f"CREATE OR REPLACE TEMP TABLE typed AS SELECT {', '.join(outer)} "  # noqa: S608
                f"FROM (SELECT {', '.join(inner)} FROM raw {joins}) WHERE {where}")
    for p in parsed:
        if p.join:
            con.unregister(f"map_{p.column.name}")


class _Locator:
    """Turns row numbers and column names into located problems for one sheet."""

    def __init__(self, sheet: RawSheet, problems: list[Problem], letters: dict[str, str],
                 display: dict[str, str] | None = None):
        self.sheet, self.problems, self.letters = sheet, problems, letters
        self.display = display or {}

    def add(self, con, check: _Check, total: int) -> None:
        """Record every cell failing `check` (`total` of them, up to the memory guard) as located problems."""
        rows = con.execute(f"SELECT {ROW}, {check.value} FROM typed WHERE {check.where} "  # noqa: S608
                           f"ORDER BY 1 LIMIT {MAX_PROBLEMS_PER_CHECK}", check.params).fetchall()
        shown = self.display.get(check.column, check.column)
        for row in rows:
            self.problems.append(error(self.sheet.file, check.message, sheet=self.sheet.sheet_name,
                                       cell=f"{self.letters.get(check.column, '')}{row[0]}", column=shown,
                                       value=shorten(row[1]), code=check.code))
        if total > len(rows):
            self.problems.append(error(self.sheet.file, f"… and {total - len(rows):,} more cells with "
                                       f"the same problem: {check.message}", sheet=self.sheet.sheet_name,
                                       column=shown, code=check.code))


@dataclass
class _Check:
    """One rule over the `typed` table: rows matching `where` break it."""

    column: str
    where: str
    value: str  # the cell as shown in the message
    message: str
    params: list = field(default_factory=list)
    code: str = ""


def _run_checks(con, checks: list[_Check], at: _Locator) -> None:
    """Count every rule's failures in one pass over `typed`; locate cells only for rules that failed.

    A clean 96-month wide sheet used to cost a query per rule per column; now it costs one.
    """
    if not checks:
        return
    counts = con.execute("SELECT " + ", ".join(f"count(*) FILTER (WHERE {c.where})" for c in checks)  # noqa: S608
                         + " FROM typed", [p for c in checks for p in c.params]).fetchall()[0]
    for check, total in zip(checks, counts, strict=True):
        if total:
            at.add(con, check, total)


def _column_checks(item: _Parsed, rules: Rules | None = None) -> list[_Check]:
    """The rules one parsed column must pass (SPEC §2, §7): readable, present, in range, safe, plausible.

    The column's own declarations (schema.Column: type, required, minimum, maximum, pattern,
    identifier, max_length) say which apply.
    """
    rules = rules or Rules()
    column = item.column
    name, text = _q(column.name), _raw_ref(item)
    not_withheld = f" AND {_q('w_' + column.name)} IS NULL" if item.withheld is not None else ""
    checks = []
    if item.refused:
        for raw, message in item.refused.items():
            checks.append(_Check(column.name, f"{text} = ?", text, message, [raw], code="fiscal_year_start"))
    if item.raw_text is not None and column.type != TEXT:
        expected = EXPECTED.get(column.type) or (
            "one of " + ", ".join(column.choices) if column.type == ENUM else "a value")
        unread = f"{text} IS NOT NULL AND {name} IS NULL{not_withheld}"
        if item.refused:
            unread += f" AND {text} NOT IN ({', '.join('?' * len(item.refused))})"
        params = list(item.refused)
        if column.type in (NUMBER, PERCENT):
            checks.append(_Check(column.name, f"{unread} AND regexp_matches({text}, '{DECIMAL_COMMA}')", text,
                                 "decimal comma: write decimals with a point (1200.50), and commas only between "
                                 "groups of three digits (1,200.50)", params, code="decimal_comma"))
            unread += f" AND NOT regexp_matches({text}, '{DECIMAL_COMMA}')"
        code = {NUMBER: "bad_number", PERCENT: "bad_number", DATE: "bad_date", PERIOD: "bad_period",
                ENUM: "bad_choice"}.get(column.type, "bad_value")
        checks.append(_Check(column.name, unread, text, f"cannot read this value; expected {expected}",
                             list(params), code=code))
    if column.required:
        # A parsed value means the cell was there, even though its text was not kept.
        missing = f"{text} IS NULL AND {name} IS NULL" if item.raw_text is not None else f"{name} IS NULL"
        checks.append(_Check(column.name, missing + not_withheld, "''", "required value missing", code="required"))
        if item.withheld is not None:
            checks.append(_Check(column.name, f"{_q('w_' + column.name)} IS NOT NULL", text,
                                 "a required value cannot be withheld", code="withheld_required"))
    if column.type in (NUMBER, PERCENT):
        low, high = column.minimum, column.maximum
        if low is not None:
            checks.append(_Check(column.name, f"{name} < ?", text, f"must not be below {low:g}", [low],
                                 code="below_minimum"))
        if high is not None:
            hint = " (use a fraction 0-1 or a percentage such as 80%)" if high == 1 else ""
            checks.append(_Check(column.name, f"{name} > ?", text, f"must not be above {high:g}{hint}", [high],
                                 code="above_maximum"))
        in_units = f" (after applying the unit {item.unit})" if item.unit != "units" else ""
        checks.append(_Check(column.name, f"abs({name}) > ?", text,
                             f"not a plausible amount: amounts must lie within ±1e13{in_units}", [MAX_AMOUNT],
                             code="amount_out_of_range"))
    if column.type == PERIOD:
        checks.append(_Check(column.name, f"{name} NOT BETWEEN ? AND ?", f"strftime({name}, '%Y-%m')",
                             f"not a plausible period: expected a month from {rules.window_text()} (settings "
                             "period_earliest and period_years_ahead)",
                             [rules.period_earliest, rules.period_latest], code="period_out_of_range"))
    if column.type == DATE:
        checks.append(_Check(column.name, f"{name} NOT BETWEEN ? AND ?", f"strftime({name}, '%Y-%m-%d')",
                             f"not a plausible date: expected one from {DATE_WINDOW[0]:%Y} to {DATE_WINDOW[1]:%Y}",
                             list(DATE_WINDOW), code="date_out_of_range"))
    if column.type == TEXT and item.raw_text is not None:
        checks.extend(_text_checks(column, name))
    if column.pattern is not None:
        regex, expected = column.pattern
        checks.append(_Check(column.name, f"{name} IS NOT NULL AND NOT regexp_full_match({name}, '{regex}')",
                             text, expected, code="bad_code"))
    return checks


def _text_checks(column: Column, text: str) -> list[_Check]:
    """SPEC §7.8: text reaches the store without control characters, ids without invisible ones, names short."""
    control = f"{CONTROL_CHARS}|{LINE_CHARS}" if column.single_line else CONTROL_CHARS
    allowed = "" if column.single_line else " (tab and line breaks are allowed)"
    checks = [_Check(column.name, f"regexp_matches({text}, '{control}')", text,
                     f"holds a control character (shown as \\x..); remove it{allowed}", code="control_char")]
    if column.identifier:
        checks.append(_Check(column.name, f"regexp_matches({text}, '{INVISIBLE_CHARS}')", text,
                             "holds an invisible character (zero-width space, joiner or a direction mark), "
                             "which would make a second id that looks the same; retype it", code="invisible_char"))
    checks.append(_Check(column.name, f"length({text}) > ?", f"left({text}, 80)",
                         f"too long: at most {column.max_length} characters", [column.max_length], code="too_long"))
    return checks


def _withheld_cells(con, sheet: RawSheet, parsed: list[_Parsed], at: _Locator,
                    months: dict[str, dt.date] | None = None) -> pa.Table | None:
    """Return the sheet's withheld cells (SPEC §7.3) and warn once per column with a count and the first cells.

    For a wide sheet, `months` maps each month column to its month; the stored column is the row's
    measure (planned_value, ...).
    """
    spec = sheet.spec
    has_period = "period" in spec.key
    frames = []
    for item in parsed:
        if item.withheld is None:
            continue
        w = _q("w_" + item.column.name)
        entity = _q(spec.entity)
        if months is not None:
            period, column_name = "?", "measure || '_value'"
            params = [months[item.column.name]]
        else:
            period = "period" if has_period else "NULL::DATE"
            column_name, params = "?", [item.column.name]
        rows = con.sql(
            f"SELECT {entity} AS entity_key, CAST({period} AS DATE) AS period, "  # noqa: S608
            f"CAST({column_name} AS VARCHAR) AS column_name, {w} AS reason, {ROW} AS source_row "
            f"FROM typed WHERE {w} IS NOT NULL AND {entity} IS NOT NULL ORDER BY {ROW}",
            params=params).to_arrow_table()
        if rows.num_rows == 0:
            continue
        letter = at.letters.get(item.column.name, "")
        cells = [f"{letter}{r}" for r in rows.column("source_row").to_pylist()]
        rows = rows.append_column("cell", pa.array(cells, pa.string()))
        frames.append(rows)
        shown = at.display.get(item.column.name, item.column.name)
        first = ", ".join(cells[:WITHHELD_SHOWN]) + (", …" if len(cells) > WITHHELD_SHOWN else "")
        reasons = rows.column("reason").to_pylist()
        at.problems.append(warning(
            sheet.file, f"{len(cells):,} withheld value{'s' if len(cells) != 1 else ''} ({first}): stored as "
                        "withheld with the text as the reason, never counted as 0",
            sheet=sheet.sheet_name, cell=cells[0], column=shown, value=shorten(reasons[0]), code="withheld"))
    return pa.concat_tables(frames) if frames else None


def _check_keys(con, spec: Sheet, at: _Locator, key: tuple[str, ...] | None = None) -> None:
    """Report keys repeated inside the sheet, naming both rows (SPEC §2)."""
    key = key or spec.key
    cols = ", ".join(_q(k) for k in key)
    not_null = " AND ".join(f"{_q(k)} IS NOT NULL" for k in key)
    # Each typed row has its own row number, so count(*) finds the repeated keys; gathering row
    # lists only for those (usually none) is what keeps this cheap on a 240k-row sheet.
    rows = con.execute(
        f"WITH repeated AS (SELECT {cols} FROM typed WHERE {not_null} GROUP BY {cols} HAVING count(*) > 1) "  # noqa: S608
        f"SELECT {cols}, list({ROW} ORDER BY {ROW}) AS rows FROM typed JOIN repeated USING ({cols}) "
        f"GROUP BY {cols} ORDER BY rows[1] LIMIT {MAX_PROBLEMS_PER_CHECK}"
    ).fetchall()
    for row in rows:
        values, numbers = row[:-1], row[-1]
        shown = ", ".join(f"{k}={_display(v)}" for k, v in zip(key, values, strict=True))
        at.problems.append(error(
            at.sheet.file, f"duplicate key {shown}: rows {', '.join(map(str, numbers[:-1]))} and {numbers[-1]}",
            sheet=at.sheet.sheet_name, cell=f"{at.letters.get(key[0], '')}{numbers[-1]}", column=key[0],
            value=_display(values[0]), code="duplicate_key"))


def _display(value) -> str:
    if isinstance(value, dt.date):
        return value.strftime("%Y-%m")
    return shorten(value)


def _validate_wide(con, sheet: RawSheet, problems: list[Problem], rules: Rules) -> TypedSheet | None:
    """Validate wide benefit values column by column, then melt them into long rows.

    Month columns read as numbers (or empty) have nothing to check, so they skip DuckDB and go
    straight from the parsed sheet to the melt: copying ~100 columns into a table and back was
    most of a large sheet's check. Columns holding text are typed and checked as any other.
    """
    spec = sheet.spec
    types = sheet.table.schema
    identity = [spec.column("benefit_id"), Column("measure", ENUM, "", True, choices=VALUE_MEASURES)]
    months = [_parse_column(con, Column(name, NUMBER, ""), types.field(name).type, rules, withholdable=True,
                            unit=sheet.units.get(name, "units"))
              for name in sheet.months]
    as_read = [item.column.name for item in months if item.raw_text is None and item.unit == "units"]
    parsed = [_parse_column(con, column, types.field(column.name).type, rules) for column in identity]
    parsed += [item for item in months if item.column.name not in as_read]
    _materialise(con, parsed, extra=[ROW], present_as_read=as_read)
    display = {name: f"{month:%Y-%m}" for name, month in sheet.months.items()}
    at = _Locator(sheet, problems, dict(sheet.letters), display)
    _run_checks(con, [c for item in parsed for c in _column_checks(item, rules)], at)
    for name in as_read:  # read as numbers, they skip the checks above but not the plausible amount
        values = sheet.table.column(name)
        for index in pc.indices_nonzero(pc.fill_null(pc.greater(pc.abs(values), MAX_AMOUNT), False)).to_pylist():
            problems.append(error(sheet.file, "not a plausible amount: amounts must lie within ±1e13",
                                  sheet=sheet.sheet_name,
                                  cell=f"{sheet.letters.get(name, '')}{sheet.table.column(ROW)[index].as_py()}",
                                  column=display[name], value=shorten(values[index].as_py()),
                                  code="amount_out_of_range"))
    for name, month in sheet.months.items():  # SPEC §7.8: a month header outside the window
        if not rules.period_earliest <= month <= rules.period_latest:
            problems.append(error(sheet.file, f"not a plausible period: expected a month from {rules.window_text()}",
                                  sheet=sheet.sheet_name, cell=f"{sheet.letters.get(name, '')}{sheet.header_row}",
                                  column=f"{month:%Y-%m}", value=f"{month:%Y-%m}", code="period_out_of_range"))
    _check_keys(con, spec, at, key=("benefit_id", "measure"))
    withheld = _withheld_cells(con, sheet, [p for p in parsed if p.withheld is not None], at, sheet.months)
    typed_months = "".join(f", {_q(item.column.name)}" for item in parsed[len(identity):])
    cells = con.sql(f"SELECT benefit_id, measure, {ROW}{typed_months} FROM typed "  # noqa: S608
                    "WHERE benefit_id IS NOT NULL AND measure IS NOT NULL").to_arrow_table()
    if as_read:
        rows = pc.index_in(cells.column(ROW), value_set=sheet.table.column(ROW).combine_chunks())
        for name in as_read:
            cells = cells.append_column(name, sheet.table.column(name).take(rows).cast(pa.float64()))
    table = melt_wide(cells, sheet.months)
    if withheld is not None:
        table = _with_withheld_rows(table, withheld)
    table = table.append_column("period_grain", pa.array([MONTH] * table.num_rows, pa.string()))
    return TypedSheet(sheet.file, sheet.sheet_name, spec, table, withheld)


def _with_withheld_rows(table: pa.Table, withheld: pa.Table) -> pa.Table:
    """Add an empty row for each benefit and month whose only values are withheld, so the withheld
    count reaches the measures through the row (SPEC §7.3); rows stay ordered by benefit and month."""
    have = set(zip(table.column("benefit_id").to_pylist(), table.column("period").to_pylist(), strict=True))
    extra: dict[tuple, int] = {}
    for key, period, row in zip(withheld.column("entity_key").to_pylist(), withheld.column("period").to_pylist(),
                                withheld.column("source_row").to_pylist(), strict=True):
        if (key, period) not in have:
            extra[(key, period)] = min(row, extra.get((key, period), row))
    if not extra:
        return table
    added = pa.table({"benefit_id": pa.array([k for k, _ in extra], pa.string()),
                      "period": pa.array([p for _, p in extra], pa.date32()),
                      **{f"{m}_value": pa.nulls(len(extra), pa.float64()) for m in VALUE_MEASURES},
                      "source_row": pa.array(list(extra.values()), pa.int64())})
    merged = pa.concat_tables([table, added.cast(table.schema)])
    return merged.sort_by([("benefit_id", "ascending"), ("period", "ascending")])


def melt_wide(cells: pa.Table, months: dict[str, dt.date]) -> pa.Table:
    """Return long benefit values from wide rows (benefit_id, measure, _row, one column per month).

    One row per benefit and month holding any value, with the planned, forecast and realised
    value side by side and the first sheet row that gave one, ordered by benefit and month.
    Done as arrays (a benefit x month grid per measure) rather than SQL UNPIVOT + GROUP BY: the
    grouping took 0.3 s of a 42k-row sheet's check and sat alone at the end of the upload.
    Grids are benefit-major, as the result is: the month columns are transposed once, then rows
    are copied whole.
    Repeated (benefit, measure) rows are reported by `_check_keys` and the file refused, so
    which of them fills a cell here does not matter.
    """
    names = sorted(months, key=months.get)
    ids = cells.column("benefit_id").combine_chunks()
    benefits = pc.unique(ids).sort()
    benefit_of_row = np.asarray(pc.index_in(ids, value_set=benefits), dtype=np.int64)
    row_numbers = np.asarray(cells.column(ROW), dtype=np.int64)
    shape = (len(benefits), len(names))
    # Filled a month at a time (contiguous writes), then turned sheet row x month in one copy:
    # 4x faster than writing each month down a column of a row-major grid. An empty cell is
    # NaN here; the reader reads a column holding a NaN as text, so none is a value.
    by_month = np.empty((shape[1], cells.num_rows))
    for month, name in enumerate(names):
        by_month[month] = cells.column(name).combine_chunks().to_numpy(zero_copy_only=False)
    grid = np.ascontiguousarray(by_month.T)
    present = ~np.isnan(grid)
    never = np.iinfo(np.int64).max
    first_row = np.full(shape, never)
    measures = cells.column("measure").combine_chunks()
    values, given = {}, {}
    for measure in VALUE_MEASURES:
        rows = np.asarray(pc.equal(measures, measure).fill_null(False), dtype=bool)
        benefit = benefit_of_row[rows]
        values[measure] = np.zeros(shape)  # zeroed lazily by the OS; cells not given are masked
        given[measure] = np.zeros(shape, dtype=bool)
        values[measure][benefit] = grid[rows]
        given[measure][benefit] = present[rows]
        sheet_row = np.full((shape[0], 1), never)
        sheet_row[benefit, 0] = row_numbers[rows]
        np.minimum(first_row, np.where(given[measure], sheet_row, never), out=first_row)
    keep = np.logical_or.reduce([given[m] for m in VALUE_MEASURES]).ravel()
    period = pa.array([months[n] for n in names], pa.date32())
    columns = {
        "benefit_id": benefits.take(pa.array(np.repeat(np.arange(shape[0]), shape[1])[keep])),
        "period": period.take(pa.array(np.tile(np.arange(shape[1]), shape[0])[keep])),
    }
    for measure in VALUE_MEASURES:
        columns[f"{measure}_value"] = pa.array(values[measure].ravel()[keep], pa.float64(),
                                               mask=~given[measure].ravel()[keep])
    columns["source_row"] = pa.array(first_row.ravel()[keep], pa.int64())
    return pa.table(columns)


# -- references across the batch and the store -----------------------------------------------


def _check_references(con, checked: list[CheckedFile], known: dict[str, set[str]]) -> None:
    """Every project and benefit named must exist in this upload or already be stored (SPEC §2)."""
    available = {"projects": set(known.get("projects", ())), "benefits": set(known.get("benefits", ()))}
    for item in checked:
        for sheet in item.sheets:
            if sheet.spec is PROJECTS:
                available["projects"].update(sheet.table.column("project_id").to_pylist())
            elif sheet.spec is BENEFITS:
                available["benefits"].update(sheet.table.column("benefit_id").to_pylist())
    rules = {FINANCIALS.table: ("project_id", "projects", "project"),
             BENEFITS.table: ("project_id", "projects", "project"),
             BENEFIT_VALUES.table: ("benefit_id", "benefits", "benefit"),
             RAID.table: ("project_id", "projects", "project")}
    for kind in available:
        con.register(f"known_{kind}", pa.table({"key": pa.array(sorted(k for k in available[kind] if k),
                                                                 pa.string())}))
    near: dict[str, dict[str, str]] = {}
    for item in checked:
        for sheet in item.sheets:
            if sheet.spec.table not in rules:
                continue
            column, kind, noun = rules[sheet.spec.table]
            con.register("checked", sheet.table)
            rows = con.execute(
                f"SELECT source_row, {_q(column)} FROM checked WHERE {_q(column)} IS NOT NULL "  # noqa: S608
                f"AND {_q(column)} NOT IN (SELECT key FROM known_{kind}) ORDER BY source_row"
            ).fetchall()
            con.unregister("checked")
            letter = _letter_for(item.raw, sheet, column)
            source = "Projects" if noun == "project" else "Benefits"
            if rows and kind not in near:
                near[kind] = _near_keys(available[kind])
            for row_number, key in rows[:MAX_PROBLEMS_PER_CHECK]:
                # SPEC §7.7: an id that is a known one but for case, spacing or punctuation says which.
                match = near[kind].get(normalise_name(key))
                hint = f"; did you mean {match}?" if match else ""
                item.problems.append(error(
                    item.raw.name, f"unknown {noun}: not in this upload's {source} sheet nor already stored{hint}",
                    sheet=sheet.sheet_name, cell=f"{letter}{row_number}", column=column, value=shorten(key),
                    code="unknown_id"))
            if len(rows) > MAX_PROBLEMS_PER_CHECK:
                item.problems.append(error(item.raw.name, f"… and {len(rows) - MAX_PROBLEMS_PER_CHECK:,} more "
                                           f"rows naming an unknown {noun}", sheet=sheet.sheet_name, column=column,
                                           code="unknown_id"))
    _check_raid_and_map(checked, available, set(known.get("objectives", ())))


# -- the RAID log and the benefit map (SPEC §10.2, §10.3) ------------------------------------

RAID_ID_SEPARATORS = re.compile(r"[;,]")


def split_ids(text: str | None) -> list[str]:
    """Return the ids of a RAID item's benefit_ids cell: split on ; and , with blanks dropped."""
    return [part.strip() for part in RAID_ID_SEPARATORS.split(text or "") if part.strip()]


def _check_raid_and_map(checked: list[CheckedFile], available: dict[str, set[str]], objectives: set[str]) -> None:
    """Every benefit a RAID item names exists; the benefit map names known nodes and has no cycle."""
    objectives = set(objectives)
    for item in checked:
        for sheet in item.sheets:
            names = sheet.table.column_names
            if sheet.spec.table in ("projects", "benefits", "kpis") and "strategic_objective" in names:
                objectives.update(v for v in sheet.table.column("strategic_objective").to_pylist() if v)
    for item in checked:
        for sheet in item.sheets:
            if sheet.spec is RAID and "benefit_ids" in sheet.table.column_names:
                _check_raid_benefits(item, sheet, available["benefits"])
            elif sheet.spec is BENEFIT_MAP:
                _check_map(item, sheet, available, objectives)


def _check_raid_benefits(item: CheckedFile, sheet: TypedSheet, benefits: set[str]) -> None:
    letter = _letter_for(item.raw, sheet, "benefit_ids")
    for row, text in zip(sheet.table.column("source_row").to_pylist(), sheet.table.column("benefit_ids").to_pylist(),
                         strict=True):
        for key in split_ids(text):
            if key not in benefits:
                item.problems.append(error(
                    item.raw.name, "unknown benefit: not in this upload's Benefits sheet nor already stored "
                                   "(benefit_ids are separated by ; or ,)",
                    sheet=sheet.sheet_name, cell=f"{letter}{row}", column="benefit_ids", value=shorten(key),
                    code="unknown_id"))


def map_node_types(rows: list[tuple[int, str, str, str | None]], projects: set[str], benefits: set[str],
                   objectives: set[str]) -> dict[str, str]:
    """Return node id -> type (project, benefit, objective, enabler, outcome) for a map's rows
    (source_row, from_id, to_id, node_type), in sheet order. An id that is a project, a benefit or an
    objective is that (in this order); node_type types the other ids of its row on their first mention."""
    types: dict[str, str] = {}
    for _row, *ids, node_type in sorted(rows, key=lambda r: r[0]):
        for key in ids:
            if key in types:
                continue
            if key in projects:
                types[key] = "project"
            elif key in benefits:
                types[key] = "benefit"
            elif key in objectives:
                types[key] = "objective"
            elif node_type:
                types[key] = node_type
    return types


def map_cycles(edges: list[tuple[int, str, str]]) -> list[list[int]]:
    """Return the rows of each cycle of a map's links (row, from, to): one list per strongly connected
    group of nodes that loops (a link to itself included), rows ascending, groups by their first row."""
    graph: dict[str, list[str]] = {}
    for _row, a, b in edges:
        graph.setdefault(a, []).append(b)
        graph.setdefault(b, [])
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    group: dict[str, int] = {}
    stack: list[str] = []
    on_stack: set[str] = set()
    counter = [0, 0]
    for start in graph:  # Tarjan's algorithm, iterative so a long chain cannot overflow the stack
        if start in index:
            continue
        work = [(start, iter(graph[start]))]
        index[start] = low[start] = counter[0]
        counter[0] += 1
        stack.append(start)
        on_stack.add(start)
        while work:
            node, children = work[-1]
            child = next(children, None)
            if child is not None:
                if child not in index:
                    index[child] = low[child] = counter[0]
                    counter[0] += 1
                    stack.append(child)
                    on_stack.add(child)
                    work.append((child, iter(graph[child])))
                elif child in on_stack:
                    low[node] = min(low[node], index[child])
                continue
            work.pop()
            if work:
                low[work[-1][0]] = min(low[work[-1][0]], low[node])
            if low[node] == index[node]:
                while True:
                    member = stack.pop()
                    on_stack.discard(member)
                    group[member] = counter[1]
                    if member == node:
                        break
                counter[1] += 1
    looping: dict[int, list[int]] = {}
    for row, a, b in edges:
        if group[a] == group[b]:
            looping.setdefault(group[a], []).append(row)
    return sorted((sorted(rows) for rows in looping.values()), key=lambda rows: rows[0])


def _check_map(item: CheckedFile, sheet: TypedSheet, available: dict[str, set[str]], objectives: set[str]) -> None:
    table = sheet.table
    has_type = "node_type" in table.column_names
    rows = list(zip(table.column("source_row").to_pylist(), table.column("from_id").to_pylist(),
                    table.column("to_id").to_pylist(),
                    table.column("node_type").to_pylist() if has_type else [None] * table.num_rows, strict=True))
    rows = [r for r in rows if r[1] is not None and r[2] is not None]
    types = map_node_types(rows, available["projects"], available["benefits"], objectives)
    for column, position in (("from_id", 1), ("to_id", 2)):
        letter = _letter_for(item.raw, sheet, column)
        for row in rows:
            if row[position] not in types:
                item.problems.append(error(
                    item.raw.name, "unknown id in the benefit map: not a project, benefit or strategic objective, "
                                   "nor an enabler or outcome typed by node_type on its first mention",
                    sheet=sheet.sheet_name, cell=f"{letter}{row[0]}", column=column, value=shorten(row[position]),
                    code="unknown_id"))
    letter = _letter_for(item.raw, sheet, "from_id")
    for cycle in map_cycles([(r[0], r[1], r[2]) for r in rows]):
        nodes = [next(r[1] for r in rows if r[0] == number) for number in cycle]
        item.problems.append(error(
            item.raw.name, f"the benefit map has a cycle through {', '.join(dict.fromkeys(nodes))}: rows "
                           f"{', '.join(map(str, cycle))} (a map must lead one way, projects to objectives)",
            sheet=sheet.sheet_name, cell=f"{letter}{cycle[0]}", column="from_id", value=shorten(nodes[0]),
            code="map_cycle"))


def _near_keys(keys: set[str]) -> dict[str, str]:
    """Return folded id -> the id, for ids that fold to one id only (a suggestion must be unambiguous)."""
    found: dict[str, str | None] = {}
    for key in keys:
        if key:
            folded = normalise_name(key)
            found[folded] = key if folded not in found else None
    return {k: v for k, v in found.items() if v}


def _letter_for(raw: RawFile, sheet: TypedSheet, column: str) -> str:
    for candidate in raw.sheets:
        if candidate.sheet_name == sheet.sheet_name:
            return candidate.letters.get(column, "")
    return ""


# -- the upload's money unit ------------------------------------------------------------------


def apply_units(checked: CheckedFile, unit: str) -> None:
    """Scale the money columns of a checked file by the upload's unit (SPEC §7.4), in place.

    Applied after the sheets are checked, as the unit may come from the About sheet, which is read
    alongside them. A column whose header states its own unit keeps that one (applied when it was
    checked). Amounts beyond ±1e13 once scaled are located errors.
    """
    factor = UNIT_FACTORS.get(unit, 1.0)
    if factor == 1.0:
        return
    raws = {s.sheet_name: s for s in checked.raw.sheets}
    for index, sheet in enumerate(checked.sheets):
        raw = raws.get(sheet.sheet_name)
        stated = raw.units if raw is not None else {}
        table = sheet.table
        for column in sheet.spec.columns:
            if not column.money or column.name not in table.column_names or column.name in stated:
                continue
            scaled = pc.multiply(table.column(column.name), factor)
            table = table.set_column(table.column_names.index(column.name), column.name, scaled)
            too_large = pc.fill_null(pc.greater(pc.abs(scaled), MAX_AMOUNT), False)
            letter = raw.letters.get(column.name, "") if raw is not None else ""
            for row in pc.indices_nonzero(too_large).to_pylist()[:MAX_PROBLEMS_PER_CHECK]:
                checked.problems.append(error(
                    sheet.file, f"not a plausible amount: amounts must lie within ±1e13 (after applying the "
                                f"unit {unit})", sheet=sheet.sheet_name,
                    cell=f"{letter}{table.column('source_row')[row].as_py()}", column=column.name,
                    value=shorten(f"{table.column(column.name)[row].as_py() / factor:g}"),
                    code="amount_out_of_range"))
        checked.sheets[index] = TypedSheet(sheet.file, sheet.sheet_name, sheet.spec, table, sheet.withheld)
