"""``pip install -e .`` (run by every ``make``) builds quietly: no setuptools BuildBackendWarning.

The editable wheel is built the way pip builds it (setuptools' PEP 660 hook) from a copy of the
project's packaging files, in a subprocess that turns every warning into a record; nothing is installed.
"""
from __future__ import annotations

import json
import shutil
import subprocess
import sys
from pathlib import Path

REPO = Path(__file__).resolve().parents[2]

BUILD = """
import json, sys, tempfile, warnings
from setuptools import build_meta

with warnings.catch_warnings(record=True) as caught:
    warnings.simplefilter("always")
    wheel = build_meta.build_editable(tempfile.mkdtemp())
print(json.dumps({"wheel": wheel, "warnings": [f"{w.category.__name__}: {w.message}" for w in caught]}))
"""


def _build_editable(project: Path) -> dict:
    out = subprocess.run([sys.executable, "-c", BUILD], cwd=project, capture_output=True, text=True, timeout=120)
    assert out.returncode == 0, out.stderr[-2000:]
    return json.loads(out.stdout.strip().splitlines()[-1])


def _copy_project(dest: Path) -> Path:
    dest.mkdir()
    for name in ("pyproject.toml", "README.md"):
        shutil.copy(REPO / name, dest / name)
    shutil.copytree(REPO / "mmrec_core", dest / "mmrec_core", ignore=shutil.ignore_patterns("__pycache__"))
    for folder in ("tests", "notebooks", "benchmarks"):      # top-level folders beside the package
        (dest / folder).mkdir()
    return dest


def test_the_editable_build_prints_no_setuptools_warning(tmp_path):
    result = _build_editable(_copy_project(tmp_path / "project"))
    assert result["wheel"].startswith("mmrec_core-0.1.0") and result["warnings"] == []


def test_the_old_layout_did_warn(tmp_path):
    """The check can fail: without the explicit package-dir the same build warns (the issue's 11 lines)."""
    project = _copy_project(tmp_path / "project")
    text = (project / "pyproject.toml").read_text()
    start = text.index("[tool.setuptools]\n")
    end = text.index("[tool.setuptools.packages.find]")
    (project / "pyproject.toml").write_text(text[:start] + text[end:])
    warnings = _build_editable(project)["warnings"]
    assert any("Editable installation" in w for w in warnings), warnings
