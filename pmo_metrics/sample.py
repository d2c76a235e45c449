"""The bundled sample portfolio (data/sample/, made by data/generate_sample.py)."""

from __future__ import annotations

import json
from pathlib import Path

SAMPLE_DIR = Path(__file__).resolve().parent.parent / "data" / "sample"


def sample_manifest() -> list[tuple[Path, str]]:
    """Return the sample files in load order as (path, reporting month 'YYYY-MM') pairs."""
    entries = json.loads((SAMPLE_DIR / "manifest.json").read_text(encoding="utf-8"))
    return [(SAMPLE_DIR / entry["file"], entry["as_of"]) for entry in entries]
