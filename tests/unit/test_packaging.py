"""Packaging: a wheel (not the editable checkout) carries its SQL and the sample, and declares its imports."""

from __future__ import annotations

import ast
import importlib.util
import os
import shutil
import subprocess
import sys
import tomllib
import zipfile
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
# Import name -> distribution name, where they differ.
DISTRIBUTIONS = {"PIL": "Pillow", "fpdf": "fpdf2", "vl_convert": "vl-convert-python", "zlib_ng": "zlib-ng",
                 "yaml": "PyYAML"}


def _declared() -> set[str]:
    project = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]
    return {name.split("[")[0].split("=")[0].split(">")[0].strip().lower() for name in project["dependencies"]}


def _third_party_imports() -> set[str]:
    found = set()
    for path in [*ROOT.joinpath("pmo_metrics").rglob("*.py"), *ROOT.joinpath("views").glob("*.py"), ROOT / "app.py"]:
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            names = []
            if isinstance(node, ast.Import):
                names = [alias.name for alias in node.names]
            elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
                names = [node.module]
            for name in names:
                top = name.split(".")[0]
                if top in sys.stdlib_module_names or top == "pmo_metrics":
                    continue
                found.add(top)
    return found


def test_every_imported_package_is_a_declared_dependency():
    declared = _declared()
    missing = {name for name in _third_party_imports()
               if DISTRIBUTIONS.get(name, name).lower().replace("_", "-") not in declared}
    assert not missing, f"imported but not in pyproject.toml dependencies: {sorted(missing)}"


def test_sign_in_packages_are_declared():
    # st.login imports these only when someone signs in: a missing one is a 500 at /auth/login.
    assert {"authlib", "httpx"} <= _declared()


@pytest.mark.slow
def test_a_wheel_install_loads_the_sample(tmp_path):
    """Build the wheel, install it outside the checkout and run `demo` from there."""
    if importlib.util.find_spec("setuptools") is None:
        pytest.skip("setuptools is not installed in this environment")
    # Built from a copy, so the build leaves no build/ folder in the checkout.
    source = tmp_path / "source"
    shutil.copytree(ROOT / "pmo_metrics", source / "pmo_metrics", ignore=shutil.ignore_patterns("__pycache__"))
    for name in ("pyproject.toml", "README.md"):
        shutil.copy(ROOT / name, source / name)
    wheels = tmp_path / "wheels"
    subprocess.run([sys.executable, "-m", "pip", "wheel", "--quiet", "--no-deps", "--no-build-isolation",
                    "-w", str(wheels), str(source)], check=True, cwd=tmp_path)
    (wheel,) = wheels.glob("pmo_metrics-*.whl")
    names = zipfile.ZipFile(wheel).namelist()
    assert any(n.startswith("pmo_metrics/sample_data/") and n.endswith(".xlsx") for n in names)
    assert "pmo_metrics/sample_data/manifest.json" in names
    assert any(n.startswith("pmo_metrics/sql/") and n.endswith(".sql") for n in names)
    target = tmp_path / "site"
    subprocess.run([sys.executable, "-m", "pip", "install", "--quiet", "--no-deps", "--target", str(target),
                    str(wheel)], check=True)
    env = {**os.environ, "PYTHONPATH": str(target), "PMO_METRICS_DB": str(tmp_path / "pmo.duckdb")}
    where = subprocess.run([sys.executable, "-c", "import pmo_metrics; print(pmo_metrics.__file__)"],
                           check=True, capture_output=True, text=True, env=env, cwd=tmp_path)
    assert where.stdout.strip().startswith(str(target))
    demo = subprocess.run([sys.executable, "-m", "pmo_metrics", "demo"], capture_output=True, text=True,
                          env=env, cwd=tmp_path, timeout=300)
    assert demo.returncode == 0, demo.stdout + demo.stderr
    assert (tmp_path / "pmo.duckdb").exists()
