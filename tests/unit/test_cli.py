"""The command line of SPEC §5: exit codes, readable output, never a traceback."""

import json
import subprocess
import sys

import openpyxl
import pytest

from pmo_metrics.cli import main
from tests.factories import default_rows, make_csv, make_workbook


@pytest.fixture
def db(tmp_path):
    return str(tmp_path / "cli.duckdb")


def run(capsys, *argv):
    code = main(list(argv))
    out, err = capsys.readouterr()
    return code, out, err


def test_ingest_loads_then_reports_a_duplicate_with_exit_0(tmp_path, db, capsys):
    path = tmp_path / "2026-10 Digital.xlsx"
    path.write_bytes(make_workbook())
    code, out, _ = run(capsys, "ingest", str(path), "--db", db, "--user", "ann")
    assert code == 0 and out.startswith("loaded: 2026-10 Digital.xlsx as upload 1")
    code, out, _ = run(capsys, "ingest", str(path), "--db", db)
    assert code == 0 and out.startswith("duplicate:")
    code, out, _ = run(capsys, "uploads", "--db", db)
    assert code == 0
    lines = out.splitlines()
    assert lines[0].split() == ["id", "status", "as_of", "mode", "file", "rows", "user", "when", "errors"]
    assert "duplicate" in lines[2] and "loaded" in lines[3] and "ann" in lines[3]


@pytest.mark.parametrize(
    ("name", "data", "fragment"),
    [
        ("2026-10 a.xlsx", make_workbook(cell=("Financials", "D3", "abc")), "D3"),
        ("2026-10 b.xlsx", make_workbook(cell=("Financials", "A2", "PRJ-404")), "unknown project"),
        ("2026-10 c.xlsx", make_workbook(cell=("Projects", "A3", "PRJ-001")), "duplicate key"),
        ("2026-10 d.xlsx", make_workbook(cell=("Financials", "C2", -10)), "must not be below 0"),
        ("2026-10 e.xlsx", b"hello, I am not a workbook", "not a valid Excel workbook"),
    ],
)
def test_malformed_files_exit_1_naming_the_problem_and_change_nothing(tmp_path, db, capsys, name, data, fragment):
    good = tmp_path / "2026-09 base.xlsx"
    good.write_bytes(make_workbook(about="2026-09"))
    assert run(capsys, "ingest", str(good), "--db", db)[0] == 0
    before = run(capsys, "measures", "delivery", "--as-of", "2026-10", "--db", db)[1]
    bad = tmp_path / name
    bad.write_bytes(data)
    code, out, err = run(capsys, "ingest", str(bad), "--db", db)
    assert code == 1 and fragment in out and "Traceback" not in out + err
    assert run(capsys, "measures", "delivery", "--as-of", "2026-10", "--db", db)[1] == before


def test_usage_errors_exit_2(tmp_path, db, capsys):
    with pytest.raises(SystemExit) as stop:
        main(["ingest", "x.xlsx", "--as-of", "October", "--db", db])
    assert stop.value.code == 2
    code, _, err = run(capsys, "ingest", str(tmp_path / "missing.xlsx"), "--db", db)
    assert code == 2 and "no such file" in err


def test_db_defaults_to_the_environment_variable(tmp_path, monkeypatch, capsys):
    target = tmp_path / "env.duckdb"
    monkeypatch.setenv("PMO_METRICS_DB", str(target))
    path = tmp_path / "2026-10 x.xlsx"
    path.write_bytes(make_workbook())
    assert run(capsys, "ingest", str(path))[0] == 0
    assert target.exists()


def test_csv_with_an_explicit_sheet_and_month(tmp_path, db, capsys):
    base = tmp_path / "2026-10 base.xlsx"
    base.write_bytes(make_workbook(KPIs=None))
    assert run(capsys, "ingest", str(base), "--db", db)[0] == 0
    csv_path = tmp_path / "export.csv"
    csv_path.write_bytes(make_csv(default_rows("KPIs")))
    code, out, _ = run(capsys, "ingest", str(csv_path), "--sheet", "KPIs", "--as-of", "2026-10", "--db", db)
    assert code == 0 and "KPIs 2" in out


def test_void_and_void_twice(tmp_path, db, capsys):
    path = tmp_path / "2026-10 x.xlsx"
    path.write_bytes(make_workbook())
    run(capsys, "ingest", str(path), "--db", db)
    assert run(capsys, "void", "1", "--db", db)[0] == 0
    code, _, err = run(capsys, "void", "1", "--db", db)
    assert code == 1 and "only a loaded upload can be voided" in err


def test_template_writes_a_workbook_with_every_sheet(tmp_path, db, capsys):
    out = tmp_path / "template.xlsx"
    assert run(capsys, "template", "-o", str(out), "--db", db)[0] == 0
    names = openpyxl.load_workbook(out).sheetnames
    assert {"Projects", "Financials", "Benefits", "BenefitValues", "KPIs", "Benchmarks", "About"} <= set(names)


def test_settings_show_and_set(db, capsys):
    assert run(capsys, "settings", "fiscal_year_start_month", "4", "--db", db)[0] == 0
    code, out, _ = run(capsys, "settings", "--db", db)
    assert code == 0 and "fiscal_year_start_month = 4" in out
    code, _, err = run(capsys, "settings", "discount_rate", "lots", "--db", db)
    assert code == 2 and "expects a float" in err


def test_python_dash_m_runs_the_same_cli_without_tracebacks(tmp_path):
    bad = tmp_path / "2026-10 broken.xlsx"
    bad.write_bytes(b"PK\x03\x04 truncated")
    proc = subprocess.run([sys.executable, "-m", "pmo_metrics", "ingest", str(bad), "--db", str(tmp_path / "m.db")],
                          capture_output=True, text=True, timeout=120)
    assert proc.returncode == 1
    assert "Traceback" not in proc.stdout + proc.stderr
    assert "not a valid Excel workbook" in proc.stdout


def test_the_command_leaves_at_once_with_all_its_output_and_its_exit_code(tmp_path, db, capsys):
    # `run` ends the process with os._exit: what it printed must still arrive whole (output to a
    # pipe waits in a buffer until flushed), and the database must be closed as at any exit.
    path = tmp_path / "2026-10 x.xlsx"
    path.write_bytes(make_workbook())
    assert run(capsys, "ingest", str(path), "--db", db)[0] == 0
    expected = run(capsys, "measures", "delivery", "--as-of", "2026-10", "--format", "json", "--db", db)[1]
    proc = subprocess.run([sys.executable, "-m", "pmo_metrics", "measures", "delivery", "--as-of", "2026-10",
                           "--format", "json", "--db", db], capture_output=True, text=True, timeout=120)
    assert proc.returncode == 0 and proc.stdout == expected and expected.startswith('[{"project_id"')
    proc = subprocess.run([sys.executable, "-m", "pmo_metrics", "measures", "nothing-of-the-kind", "--db", db],
                          capture_output=True, text=True, timeout=120)
    assert proc.returncode == 2 and "Traceback" not in proc.stderr
    again = tmp_path / "2026-11 x.xlsx"
    again.write_bytes(make_workbook(title_rows=1))  # other bytes: not a duplicate
    proc = subprocess.run([sys.executable, "-m", "pmo_metrics", "ingest", str(again), "--as-of", "2026-11",
                           "--db", db], capture_output=True, text=True, timeout=120)
    assert proc.returncode == 0, proc.stdout + proc.stderr
    code, out, _ = run(capsys, "uploads", "--format", "json", "--db", db)
    assert code == 0 and [u["status"] for u in json.loads(out)].count("loaded") == 2


def test_uploads_as_json(tmp_path, db, capsys):
    path = tmp_path / "2026-10 x.xlsx"
    path.write_bytes(make_workbook())
    run(capsys, "ingest", str(path), "--db", db)
    code, out, _ = run(capsys, "uploads", "--format", "json", "--db", db)
    assert code == 0 and json.loads(out)[0]["status"] == "loaded"


def test_an_oversized_file_is_refused_without_reading_it_whole(tmp_path, db, capsys):
    assert run(capsys, "settings", "max_upload_mb", "0.01", "--db", db)[0] == 0
    big = tmp_path / "2026-10 big.csv"
    big.write_bytes(b"x" * 2_000_000)
    code, out, _ = run(capsys, "ingest", str(big), "--db", db)
    assert code == 1 and "over the 0.01 MB upload limit" in out


def test_ingest_units_and_an_unknown_unit(tmp_path, db, capsys):
    path = tmp_path / "2026-10 units.xlsx"
    make_workbook(path)
    code, _, err = run_usage(capsys, "ingest", str(path), "--db", db, "--units", "furlongs")
    assert code == 2 and "not a money unit" in err
    code, out, _ = run(capsys, "ingest", str(path), "--db", db, "--units", "£000")
    assert code == 0 and "loaded" in out
    code, out, _ = run(capsys, "measures", "delivery", "--as-of", "2026-10", "--db", db, "--format", "json")
    bac = {r["project_id"]: r["bac"] for r in json.loads(out)}
    assert bac["PRJ-001"] == 120_000_000


def run_usage(capsys, *argv):
    """Run a command that argparse refuses (it exits 2)."""
    with pytest.raises(SystemExit) as stop:
        main(list(argv))
    out, err = capsys.readouterr()
    return stop.value.code, out, err


def test_the_command_line_role_comes_from_pmo_metrics_role(tmp_path, db, capsys, monkeypatch):
    path = tmp_path / "2026-10 x.xlsx"
    path.write_bytes(make_workbook())
    monkeypatch.setenv("PMO_METRICS_ROLE", "submitter")
    assert run(capsys, "ingest", str(path), "--db", db)[0] == 0  # a submitter may load
    code, _, err = run(capsys, "void", "1", "--db", db)
    assert code == 1 and "PMO manager or Admin can void uploads" in err and "PMO_METRICS_ROLE" in err
    code, _, err = run(capsys, "settings", "currency", "EUR", "--db", db)
    assert code == 1 and "Admin can change settings" in err
    monkeypatch.setenv("PMO_METRICS_ROLE", "viewer")
    code, _, err = run(capsys, "demo", "--db", db)
    assert code == 1 and "can check and load uploads" in err
    monkeypatch.setenv("PMO_METRICS_ROLE", "boss")
    code, _, err = run(capsys, "uploads", "--db", db)
    assert code == 2 and "not a role" in err
    monkeypatch.delenv("PMO_METRICS_ROLE")
    assert run(capsys, "void", "1", "--db", db)[0] == 0  # unset: every right


def test_uploads_as_csv_keeps_the_problems_as_json(tmp_path, db, capsys):
    path = tmp_path / "2026-10 x.xlsx"
    path.write_bytes(make_workbook(cell=("KPIs", "E3", "twelve")))
    run(capsys, "ingest", str(path), "--db", db)
    code, out, _ = run(capsys, "uploads", "--format", "csv", "--db", db)
    assert code == 0 and "twelve" in out and "rejected" in out


def test_thousands_of_rebaselines_print_ten_lines_and_where_the_rest_are():
    """A return that moves every project's plan says so in ten lines, not one per project."""
    import datetime as dt
    import io

    from pmo_metrics.cli import print_ingest
    from pmo_metrics.ingest import FileOutcome, IngestResult
    from pmo_metrics.problems import info, warning

    problems = [warning("f.xlsx", f"plan differs from the baseline: held as pending re-baseline {n}",
                        code="rebaseline_pending") for n in range(1, 2501)]
    problems += [info("f.xlsx", "extends the baseline: 12 period(s) planned for the first time"),
                 warning("f.xlsx", "a warning of another kind", code="other")]
    out = io.StringIO()
    print_ingest(IngestResult([FileOutcome("f.xlsx", "loaded", dt.date(2026, 10, 1), {"Projects": 1},
                                           problems, upload_id=1)]), out)
    text = out.getvalue()
    assert "pending re-baseline 10" in text
    assert "pending re-baseline 11" not in text
    assert "extends the baseline" in text and "a warning of another kind" in text
    assert "and 2,490 more re-baseline line(s)" in text and "pmo-metrics rebaseline list" in text
    assert len(text.splitlines()) < 30
