"""The CSV reader's columns: what the per-cell loop they replaced gave, for any records."""

from __future__ import annotations

from hypothesis import given, settings
from hypothesis import strategies as st

from pmo_metrics.readers.csvfile import _columns

CELLS = st.text(alphabet=st.sampled_from(["a", "1", " ", "\t", "\u00a0", "\u2003", "\x1c", "£", ","]), max_size=4)


def _by_loop(records: list[list[str]], width: int) -> list[list[str | None]]:
    out = []
    for position in range(width):
        values = [(record[position] if position < len(record) else None) for record in records]
        out.append([v if v is not None and v.strip() != "" else None for v in values])
    return out


@settings(max_examples=100, deadline=None)
@given(st.integers(1, 4).flatmap(lambda width: st.tuples(
    st.just(width), st.lists(st.lists(CELLS, min_size=0, max_size=width + 2), max_size=8))))
def test_columns_match_the_cell_by_cell_rules(case):
    width, records = case
    assert [column.to_pylist() for column in _columns(records, width)] == _by_loop(records, width)


BODY_CELLS = st.text(alphabet=st.sampled_from(["a", "1", " ", "\t", "\u00a0", "\x1c", "£", "\u2028", "é"]), max_size=3)
LINE_ENDS = st.sampled_from(["\n", "\r\n", "\r"])


@settings(max_examples=150, deadline=None)
@given(st.integers(1, 4).flatmap(lambda width: st.tuples(
    st.just(width), st.sampled_from([",", ";"]),
    st.lists(st.tuples(st.lists(BODY_CELLS, min_size=0, max_size=width + 1), LINE_ENDS), max_size=8),
    st.booleans())))
def test_arrows_reader_of_an_unquoted_body_gives_the_records_columns_and_lines(case):
    """A CSV without quotes is read by Arrow after its header; where it can (every line has the header's
    cells), it gives what the standard library's records give, and each record is its own line."""
    import csv
    import io

    from pmo_metrics.readers.csvfile import body_columns

    width, delimiter, lines, last_end = case
    header = delimiter.join(f"h{i}" for i in range(width))
    text = header + "\n" + "".join(delimiter.join(cells) + end for cells, end in lines)
    if not last_end and text.endswith(("\n", "\r")):
        text = text.rstrip("\r\n") if lines else text
    reader = csv.reader(io.StringIO(text, newline=""), delimiter=delimiter)
    records, numbers = [], []
    for record in reader:
        records.append(record)
        numbers.append(reader.line_num)
    fast = body_columns(text, delimiter, 1, width)
    body = records[1:]
    if fast is None:  # only a line of another width (or an empty one) goes the record-by-record way
        assert any(len(record) != width for record in body)
        return
    assert [column.to_pylist() for column in fast] == [column.to_pylist() for column in _columns(body, width)]
    assert numbers[1:] == list(range(2, 2 + len(body)))
