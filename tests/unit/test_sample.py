"""The bundled sample: manifest, size, and that it is exactly what the generator makes."""

import importlib.util
import re
import sys
from pathlib import Path

import openpyxl

from pmo_metrics.sample import SAMPLE_DIR, sample_manifest


def _generator():
    script = Path(__file__).resolve().parents[2] / "data" / "generate_sample.py"
    spec = importlib.util.spec_from_file_location("generate_sample", script)
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module  # dataclasses look their module up while the class is built
    spec.loader.exec_module(module)
    return module


def test_manifest_lists_existing_files_in_month_order():
    entries = sample_manifest()
    assert len(entries) >= 21
    months = [as_of for _, as_of in entries]
    assert months == sorted(months)
    assert months[0] == "2026-04" and months[-1] == "2026-10"
    for path, as_of in entries:
        assert path.is_file(), path
        assert re.fullmatch(r"\d{4}-\d{2}", as_of)
        assert path.name.startswith(as_of)


def test_sample_is_small():
    assert sum(path.stat().st_size for path, _ in sample_manifest()) < 3_000_000


def test_corrected_upload_follows_its_original():
    names = [path.name for path, _ in sample_manifest()]
    corrected = names.index("2026-09 Operational Excellence (corrected).xlsx")
    assert names.index("2026-09 Operational Excellence.xlsx") < corrected


def test_about_sheet_carries_the_reporting_month():
    for path, as_of in sample_manifest():
        if path.suffix == ".xlsx" and "Benchmarks" not in path.name:
            about = openpyxl.load_workbook(path, read_only=True)["About"]
            assert [c.value for c in next(about.iter_rows(max_row=1))] == ["as_of", as_of]


def test_committed_sample_matches_the_generator(tmp_path):
    """Regenerating must reproduce the committed bytes, so the sample never drifts from its script."""
    manifest = _generator().generate(tmp_path)
    for entry in manifest:
        assert (tmp_path / entry["file"]).read_bytes() == (SAMPLE_DIR / entry["file"]).read_bytes(), entry
    assert (tmp_path / "manifest.json").read_text() == (SAMPLE_DIR / "manifest.json").read_text()
