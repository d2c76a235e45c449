"""The bundled sample portfolio (pmo_metrics/sample_data/, made by data/generate_sample.py)."""

from __future__ import annotations

import json
from pathlib import Path

# Package data, so the sample loads from a wheel install as from a checkout.
SAMPLE_DIR = Path(__file__).resolve().parent / "sample_data"


def sample_manifest() -> list[tuple[Path, str]]:
    """Return the sample files in load order as (path, reporting month 'YYYY-MM') pairs."""
    entries = json.loads((SAMPLE_DIR / "manifest.json").read_text(encoding="utf-8"))
    return [(SAMPLE_DIR / entry["file"], entry["as_of"]) for entry in entries]
