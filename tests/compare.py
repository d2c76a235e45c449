"""Compare measures output with its expected values: the same keys and lengths, equal values, floats
to 1e-12 relative (sums over many rows are additions whose order DuckDB does not fix)."""

import pytest


def same(got, want, where: str = "") -> None:
    """Assert `got` equals `want`, recursing into dicts and lists; `where` names the place in messages."""
    if isinstance(want, dict):
        assert got.keys() == want.keys(), where
        for key in want:
            same(got[key], want[key], f"{where}.{key}")
    elif isinstance(want, list):
        assert len(got) == len(want), where
        for i, (g, w) in enumerate(zip(got, want, strict=True)):
            same(g, w, f"{where}[{i}]")
    elif isinstance(want, float):
        assert got == pytest.approx(want, rel=1e-12, abs=1e-9), where
    else:
        assert got == want, where
