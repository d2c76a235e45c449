"""No module reaches into another's private names: what is shared is public (or moved to where it belongs)."""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
SOURCES = sorted(str(p.relative_to(ROOT)) for p in [ROOT / "app.py", *(ROOT / "views").glob("*.py"),
                                                     *(ROOT / "pmo_metrics").rglob("*.py")])
# The standard library's own public names that start with an underscore (documented API).
DOCUMENTED = {"os._exit"}


def private_uses(source: str) -> list[str]:
    """Return each `module._name` read and `from module import _name` in `source` (self/cls excepted)."""
    found = []
    for node in ast.walk(ast.parse(source)):
        if isinstance(node, ast.ImportFrom):
            found += [f"import {a.name}" for a in node.names if a.name.startswith("_") and not a.name.startswith("__")]
        elif (isinstance(node, ast.Attribute) and node.attr.startswith("_") and not node.attr.startswith("__")
              and isinstance(node.value, ast.Name) and node.value.id not in ("self", "cls")):
            found.append(f"{node.value.id}.{node.attr}")
    return [name for name in found if name not in DOCUMENTED]


def test_the_scan_sees_a_private_use():
    assert private_uses("import x\nx._y(1)\nfrom a import _b\nself._c\n") == ["import _b", "x._y"]


@pytest.mark.parametrize("path", SOURCES)
def test_no_module_uses_another_modules_private_names(path):
    assert private_uses((ROOT / path).read_text(encoding="utf-8")) == [], path
