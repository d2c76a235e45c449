"""The documentation stays true: every measures column, setting and command is documented, and examples run.

The column reference in docs/measures.md is generated from the measures' own metadata and the
columns the queries really return; after changing a measure, rewrite it with
`PMO_METRICS_WRITE_DOCS=1 .venv/bin/python -m pytest tests/test_docs.py`.
"""

from __future__ import annotations

import datetime as dt
import os
import re
import shlex
import subprocess
import sys
from pathlib import Path

import pytest

from pmo_metrics import measures
from pmo_metrics.cli import build_parser
from pmo_metrics.settings import SETTING_TYPES
from pmo_metrics.store import Store

ROOT = Path(__file__).resolve().parents[1]
MEASURES_DOC = ROOT / "docs" / "measures.md"
README = ROOT / "README.md"
START, END = "<!-- measures-reference:start -->", "<!-- measures-reference:end -->"


def _all_docs() -> str:
    return "\n".join(p.read_text(encoding="utf-8") for p in [README, *sorted((ROOT / "docs").glob("*.md"))])


def _reference(store: Store) -> str:
    """The column reference: one table per measures table, in the columns' output order."""
    month = dt.date(2026, 1, 1)
    parts = [START, "", "Generated from the measures' metadata (`measures.MEASURES`) and the columns each query",
             "returns; `tests/test_docs.py` keeps it in step.", ""]
    for table in measures.TABLES:
        columns = measures.measure_table(store, table, month).column_names
        parts += [f"### `{table}`", "", "| column | label | unit | meaning | defined in |", "|---|---|---|---|---|"]
        for column in columns:
            measure = measures.MEASURES[column]
            parts.append(f"| `{column}` | {measure.label} | {measure.unit} | {measure.description} | {measure.spec} |")
        parts.append("")
    parts.append(END)
    return "\n".join(parts)


def test_every_measures_column_is_documented(store):
    text = MEASURES_DOC.read_text(encoding="utf-8")
    expected = _reference(store)
    if os.environ.get("PMO_METRICS_WRITE_DOCS"):
        if START in text:
            text = text[:text.index(START)] + expected + text[text.index(END) + len(END):]
        else:
            text = text.rstrip() + "\n\n## Column reference\n\n" + expected + "\n"
        MEASURES_DOC.write_text(text, encoding="utf-8")
    assert START in text and END in text, "docs/measures.md has no generated column reference"
    found = text[text.index(START):text.index(END) + len(END)]
    assert found == expected, ("docs/measures.md's column reference is stale: rewrite it with "
                               "PMO_METRICS_WRITE_DOCS=1 .venv/bin/python -m pytest tests/test_docs.py")


def test_every_measures_table_is_named_in_the_readme():
    text = README.read_text(encoding="utf-8")
    missing = [t for t in measures.TABLES if f"`{t}`" not in text]
    assert not missing, f"measures tables not named in README.md: {missing}"


def test_every_setting_is_documented():
    text = _all_docs()
    missing = [name for name in SETTING_TYPES if f"`{name}`" not in text]
    assert not missing, f"settings not documented in README.md or docs/: {missing}"


def _commands() -> list[str]:
    parser = build_parser()
    (subparsers,) = [a for a in parser._actions if a.__class__.__name__ == "_SubParsersAction"]
    return sorted(subparsers.choices)


def test_every_command_is_in_the_readme():
    text = README.read_text(encoding="utf-8")
    missing = [c for c in _commands() if not re.search(rf"pmo-metrics {re.escape(c)}\b", text)]
    assert not missing, f"commands not shown in README.md: {missing}"


def _readme_examples() -> list[list[str]]:
    """The README's command-line examples, as argument lists (comments dropped)."""
    block = README.read_text(encoding="utf-8").split("## Command line", 1)[1].split("```sh", 1)[1].split("```", 1)[0]
    examples = []
    for line in block.splitlines():
        line = line.split("  #", 1)[0].strip()
        if line.startswith(".venv/bin/pmo-metrics "):
            examples.append(shlex.split(line)[1:])
    return examples


def test_readme_examples_parse():
    parser = build_parser()
    examples = _readme_examples()
    assert len(examples) >= 5
    for args in examples:
        parser.parse_args(args)  # argparse exits (SystemExit) on an example that no longer parses


@pytest.mark.slow
def test_readme_examples_run(tmp_path):
    """Run every example that needs no input file of the reader's own, in order, on a fresh database."""
    env = {**os.environ, "PMO_METRICS_DB": str(tmp_path / "pmo.duckdb")}
    ran = 0
    for args in _readme_examples():
        if args[0] in ("ingest", "void", "restore", "backup"):
            continue  # these need the reader's own files or upload ids
        result = subprocess.run([sys.executable, "-m", "pmo_metrics", *args], cwd=tmp_path, env=env,
                                capture_output=True, text=True, timeout=300)
        assert result.returncode == 0, f"{shlex.join(args)}:\n{result.stdout}\n{result.stderr}"
        ran += 1
    assert ran >= 5
