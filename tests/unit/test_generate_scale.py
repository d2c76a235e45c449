"""The benchmark's scale generator, at a small scale."""

import csv
import importlib.util
import json
import sys
from pathlib import Path

import openpyxl
import pytest

from pmo_metrics import schema

_PATH = Path(__file__).resolve().parents[2] / "bench" / "generate_scale.py"


@pytest.fixture(scope="module")
def scale():
    spec = importlib.util.spec_from_file_location("generate_scale", _PATH)
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module  # dataclasses look their module up while the class is built
    spec.loader.exec_module(module)
    return module


def _rows(path: Path, sheet: str) -> list[tuple]:
    wb = openpyxl.load_workbook(path, read_only=True)
    return list(wb[sheet].iter_rows(values_only=True))


def test_workbook_has_the_promised_shape(scale, tmp_path):
    path = tmp_path / "one.xlsx"
    counts = scale.write_monthly_workbook(path, 12, 30, "2026-10", financial_months=24, value_months=18)
    assert counts["Projects"] == 12 and counts["Benefits"] == 30
    assert counts["Financials"] == 12 * 24
    financials = _rows(path, "Financials")
    assert list(financials[0]) == [c.name for c in schema.FINANCIALS.columns]
    assert len({(r[0], r[1]) for r in financials[1:]}) == 12 * 24  # keys unique
    assert all(v is None or v >= 0 for r in financials[1:] for v in r[2:])
    values = _rows(path, "BenefitValues")
    assert values[0][:2] == ("benefit_id", "measure")
    assert {r[1] for r in values[1:]} <= {"planned", "forecast", "realised"}
    assert sum(1 for r in values[1:] if r[1] == "planned") == 30
    assert _rows(path, "About")[0] == ("as_of", "2026-10")


def test_engines_write_the_same_cells(scale, tmp_path):
    scale.write_monthly_workbook(tmp_path / "xml.xlsx", 5, 10, "2026-10", engine="xml")
    scale.write_monthly_workbook(tmp_path / "opx.xlsx", 5, 10, "2026-10", engine="openpyxl")
    for sheet in ("About", "Projects", "Financials", "Benefits", "BenefitValues"):
        assert _rows(tmp_path / "xml.xlsx", sheet) == _rows(tmp_path / "opx.xlsx", sheet), sheet


def test_past_actuals_do_not_change_between_snapshots(scale):
    world = scale.make_world(5, 5, "2026-09", 2)
    september = {(r[0], r[1]): r[3] for r in scale.financial_rows(world, scale.month_index("2026-09"))}
    october = {(r[0], r[1]): r[3] for r in scale.financial_rows(world, scale.month_index("2026-10"))}
    assert all(october[k] == v for k, v in september.items() if v is not None)


def test_main_writes_csvs_and_manifest(scale, tmp_path, capsys):
    assert scale.main(["--projects", "4", "--benefits", "8", "--months", "2", "--csv", "-o", str(tmp_path)]) == 0
    manifest = json.loads((tmp_path / "manifest.json").read_text())
    assert [m["as_of"] for m in manifest] == ["2026-09"] * 4 + ["2026-10"] * 4
    with open(tmp_path / "2026-10 Financials.csv", newline="") as handle:
        assert len(list(csv.reader(handle))) == 1 + 4 * 48
    assert "per 100k rows" in capsys.readouterr().out
