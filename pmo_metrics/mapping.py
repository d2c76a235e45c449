"""Column mappings (SPEC §7.6): a sheet's own headers named as contract columns, kept by name.

A return's headers ("GMPP ID", "Department", "Whole Life Cost (£m)") are mapped once — on the
upload page or by `save_mapping` — and the mapping is applied to later files with the same header
set, or to any file when chosen by name (`ingest --mapping NAME`). A mapping may also translate
values of a column (portfolio `BEIS` -> `DESNZ`, stage `Delivery` -> `execution`).
"""

from __future__ import annotations

import csv
import io
import json
from dataclasses import dataclass, field

import fastexcel
import pyarrow as pa
import pyarrow.compute as pc

from . import schema
from .schema import Sheet, normalise_name

IGNORE = ""  # a header mapped to nothing: kept out of the model without a warning


def fold(header: object) -> str:
    """Return a header folded for matching (case, spacing and punctuation ignored)."""
    return normalise_name("" if header is None else header)


def header_set(headers: list) -> str:
    """Return the folded, sorted set of a row's non-blank headers, as one text (how mappings match)."""
    return "|".join(sorted({fold(h) for h in headers if h is not None and str(h).strip()} - {""}))


@dataclass(frozen=True)
class Mapping:
    """One named mapping of a sheet's headers (and values) to the contract."""

    name: str
    sheet: str  # the contract sheet it fills
    header_set: str
    columns: dict[str, str] = field(default_factory=dict)  # header as written -> contract column, or IGNORE
    value_maps: dict[str, dict[str, str]] = field(default_factory=dict)  # column -> {value: replacement}
    source_sheet: str = ""  # the tab it was made from, folded

    @property
    def spec(self) -> Sheet:
        """The contract sheet this mapping fills."""
        found = schema.sheet_for_name(self.sheet)
        if found is None:
            raise ValueError(f"mapping {self.name!r} names no contract sheet: {self.sheet!r}")
        return found

    def column_for(self, header: object) -> str | None:
        """Return the contract column a header maps to, IGNORE, or None when the mapping does not name it."""
        folded = fold(header)
        for written, column in self.columns.items():
            if fold(written) == folded:
                return column
        return None

    def required_headers(self) -> set[str]:
        """The folded headers this mapping maps to the sheet's required columns."""
        required = set(self.spec.required)
        return {fold(h) for h, c in self.columns.items() if c in required}

    def fits(self, tab: str, headers: list, chosen: bool) -> bool:
        """Return True when this mapping applies to a tab with these headers.

        Applied automatically to a header set equal to the one it was made from; chosen by name, to
        any row holding the headers it maps to required columns.
        """
        tab_spec = schema.sheet_for_name(tab)
        if tab_spec is not None and tab_spec.name != self.sheet:
            return False
        if chosen:
            present = {fold(h) for h in headers if h is not None}
            return bool(self.required_headers()) and self.required_headers() <= present
        return header_set(headers) == self.header_set

    def translate(self, column: str, values: pa.Array | pa.ChunkedArray) -> pa.Array | pa.ChunkedArray:
        """Return a column's values with this mapping's replacements made (case and spacing ignored)."""
        replacements = self.value_maps.get(column)
        if not replacements or not (pa.types.is_string(values.type) or pa.types.is_large_string(values.type)):
            return values
        keys = [" ".join(str(k).split()).lower() for k in replacements]
        folded = pc.utf8_lower(pc.utf8_trim_whitespace(values))
        index = pc.index_in(folded, value_set=pa.array(keys, pa.string()))
        replaced = pc.take(pa.array(list(replacements.values()), values.type), index)
        return pc.if_else(pc.is_null(index), values, replaced)


def find(mappings: list[Mapping], tab: str, rows: list[list], chosen: str | None = None) -> tuple[int, Mapping] | None:
    """Return (0-based header row, mapping) of the first row a mapping fits, or None.

    A mapping chosen by name is tried alone; otherwise every stored mapping, by name.
    """
    candidates = [m for m in mappings if m.name == chosen] if chosen else mappings
    for index, row in enumerate(rows):
        for mapping in candidates:
            if mapping.fits(tab, row, chosen is not None):
                return index, mapping
    return None


def from_row(row: dict) -> Mapping:
    """Return a Mapping from a stored column_mappings row."""
    columns = row["columns"] if isinstance(row["columns"], dict) else json.loads(row["columns"] or "{}")
    value_maps = row["value_maps"] if isinstance(row["value_maps"], dict) else json.loads(row["value_maps"] or "{}")
    return Mapping(row["name"], row["sheet"], row["header_set"], columns, value_maps, row.get("source_sheet") or "")


def stored_mappings(store) -> list[Mapping]:
    """Return every mapping kept in the store."""
    return [from_row(r) for r in store.mappings().to_pylist()]


def save_mapping(store, name: str, sheet: str, headers: list, columns: dict[str, str],
                 value_maps: dict[str, dict[str, str]] | None = None, source_sheet: str = "",
                 user: str | None = None) -> Mapping:
    """Check and store a named mapping made from a sheet's header row; return it.

    Raises ValueError with a readable message for an unknown sheet or column, or a required column
    left unmapped.
    """
    name = " ".join(str(name).split())
    if not name or len(name) > 100:
        raise ValueError("give the mapping a name (at most 100 characters)")
    spec = schema.sheet_for_name(sheet)
    if spec is None:
        names = ", ".join(s.name for s in schema.SHEETS)
        raise ValueError(f"{sheet!r} is not a contract sheet; expected one of {names}")
    known = {c.name for c in spec.columns}
    for header, column in columns.items():
        if column != IGNORE and column not in known:
            raise ValueError(f"{column!r} is not a column of {spec.name} (header {header!r})")
    targets = [c for c in columns.values() if c != IGNORE]
    repeated = sorted({c for c in targets if targets.count(c) > 1})
    if repeated:
        raise ValueError(f"two headers map to {', '.join(repeated)}: map each column once")
    lookup = {s: c.name for c in spec.columns for s in c.spellings()}
    named = set(targets) | {lookup[fold(h)] for h in headers if h is not None and fold(h) in lookup
                            and h not in columns}
    missing = [c for c in spec.required if c not in named]
    if missing:
        raise ValueError(f"{spec.name} needs {', '.join(missing)}: map a header to each")
    for column in value_maps or {}:
        if column not in known:
            raise ValueError(f"{column!r} is not a column of {spec.name}")
    value_maps = {c: {str(k): str(v) for k, v in m.items() if str(k).strip()} for c, m in (value_maps or {}).items()
                  if m}
    mapping = Mapping(name, spec.name, header_set(headers), dict(columns), value_maps, fold(source_sheet))
    store.save_mapping(mapping.name, mapping.sheet, mapping.source_sheet, mapping.header_set, mapping.columns,
                       mapping.value_maps, user)
    return mapping


# -- the upload page's "map your columns" step ---------------------------------------------------

PREVIEW_ROWS = 5
MAPPING_CODES = ("unknown_sheet", "missing_column", "no_header", "unknown_columns")


@dataclass
class SheetPreview:
    """One sheet whose headers need mapping: its header row and first rows, and a guess per header."""

    file: str
    tab: str
    sheet: str | None  # the contract sheet it seems to be, if any
    header_row: int  # 1-based
    headers: list[str]
    rows: list[list[str | None]]
    guesses: dict[str, str]  # header -> contract column it already names (or IGNORE)


def preview_sheets(file_name: str, data: bytes, tabs: list[str]) -> list[SheetPreview]:
    """Return previews of the named tabs (a CSV: its one sheet) for mapping their columns.

    The file is checked by the archive guard first, as for any read; only the first rows are kept.
    """
    from .readers import check_archive
    from .readers.csvfile import decode_head

    found: dict[str, list[list]] = {}
    if file_name.lower().endswith((".csv", ".txt")):
        text = decode_head(data, 1_000_000)
        first = text.splitlines()[0] if text.strip() else ""
        delimiter = ";" if first.count(";") > first.count(",") else ","
        records = []
        for record in csv.reader(io.StringIO(text, newline=""), delimiter=delimiter):
            records.append([v if v.strip() else None for v in record])
            if len(records) >= schema.MAX_HEADER_SEARCH_ROWS + PREVIEW_ROWS:
                break
        found[tabs[0] if tabs else file_name] = records
    else:
        if check_archive(file_name, data) is not None:
            return []
        reader = fastexcel.read_excel(data)
        for tab in tabs:
            if tab not in reader.sheet_names:
                continue
            sheet = reader.load_sheet(tab, header_row=None, n_rows=schema.MAX_HEADER_SEARCH_ROWS + PREVIEW_ROWS,
                                      dtypes="string")
            batch = sheet.to_arrow()
            columns = [batch.column(i).to_pylist() for i in range(batch.num_columns)]
            found[tab] = [list(row) for row in zip(*columns, strict=True)] if columns else []
    return [_preview(file_name, tab, rows) for tab, rows in found.items() if rows]


def _preview(file_name: str, tab: str, rows: list[list]) -> SheetPreview:
    # The header: the first row with at least two filled cells (titles above it have one).
    index = next((i for i, row in enumerate(rows[: schema.MAX_HEADER_SEARCH_ROWS])
                  if sum(1 for v in row if v is not None and str(v).strip()) >= 2), 0)
    header = [str(v).strip() if v is not None else "" for v in rows[index]]
    spec = schema.sheet_for_name(tab) or schema.sheet_for_file_stem(tab)
    guesses = {}
    for text in header:
        if not text:
            continue
        column = None
        for candidate in (spec,) if spec else schema.SHEETS:
            lookup = {s: c.name for c in candidate.columns for s in c.spellings()}
            column = lookup.get(fold(text))
            if column:
                break
        guesses[text] = column or IGNORE
    body = rows[index + 1: index + 1 + PREVIEW_ROWS]
    return SheetPreview(file_name, tab, spec.name if spec else None, index + 1, header,
                        [[None if v is None else str(v) for v in row] for row in body], guesses)


def parse_value_maps(text: str) -> dict[str, dict[str, str]]:
    """Return value maps from lines such as `portfolio: BEIS -> DESNZ`; raise ValueError naming a bad line."""
    maps: dict[str, dict[str, str]] = {}
    for number, line in enumerate(str(text or "").splitlines(), start=1):
        if not line.strip():
            continue
        column, sep, rest = line.partition(":")
        source, arrow, target = rest.partition("->")
        if not sep or not arrow or not column.strip() or not source.strip():
            raise ValueError(f"line {number}: write `column: value -> replacement`, e.g. portfolio: BEIS -> DESNZ")
        maps.setdefault(column.strip(), {})[source.strip()] = target.strip()
    return maps
