"""The source notebooks are what a user edits in Jupyter: no outputs, stable ids, no logic, linted."""
from __future__ import annotations

import re
import shutil
import subprocess
import sys
from pathlib import Path

import nbformat
import pytest

REPO = Path(__file__).resolve().parents[2]
SOURCES = sorted((REPO / "notebooks").glob("*.ipynb"))
BIN = Path(sys.executable).parent


def _tool(name):
    path = BIN / name
    return str(path) if path.exists() else shutil.which(name)


def test_there_are_no_notebook_generators():
    assert SOURCES, "no source notebooks found"
    assert not list((REPO / "notebooks").glob("*.py")), "notebooks/*.ipynb is the only source"


@pytest.mark.parametrize("path", SOURCES, ids=lambda p: p.stem)
def test_source_notebook_has_no_outputs_and_stable_ids(path):
    nb = nbformat.read(path, as_version=4)
    nbformat.validate(nb)
    code = [c for c in nb.cells if c.cell_type == "code"]
    assert all(not c.outputs and c.execution_count is None for c in code), f"{path.name} carries outputs"
    ids = [c.id for c in nb.cells]
    assert len(set(ids)) == len(ids), f"{path.name}: duplicate cell ids"
    assert all(re.fullmatch(r"[0-9]{2}-[a-z0-9-_]+", i) for i in ids), f"{path.name}: ids must be readable and stable"
    assert "parameters" in code[0].metadata.get("tags", []), f"{path.name}: the first code cell holds the parameters"


def test_nbstripout_would_change_nothing():
    tool = _tool("nbstripout")
    if tool is None:
        pytest.skip("nbstripout not installed")
    out = subprocess.run([tool, "--verify", "--keep-id", *map(str, SOURCES)], capture_output=True, text=True)
    assert out.returncode == 0, out.stdout + out.stderr


@pytest.mark.parametrize("path", SOURCES, ids=lambda p: p.stem)
def test_cells_hold_no_functions_classes_or_seed_loops(path):
    nb = nbformat.read(path, as_version=4)
    for cell in nb.cells:
        if cell.cell_type == "code":
            bad = re.findall(r"^\s*(?:def|class) .*|.*for seed.*", cell.source, flags=re.M)
            assert not bad, f"{path.name} cell {cell.id}: logic belongs in mmrec_core: {bad}"


def test_every_start_call_names_its_own_notebook():
    for path in SOURCES:
        text = "".join(c.source for c in nbformat.read(path, as_version=4).cells if c.cell_type == "code")
        assert f'nb.start("{path.stem}", globals())' in text, path.name


def test_ruff_lints_package_notebooks_tests_and_benchmarks():
    tool = _tool("ruff")
    if tool is None:
        pytest.skip("ruff not installed")
    out = subprocess.run([tool, "check", "mmrec_core", "notebooks", "tests", "benchmarks"], cwd=REPO,
                         capture_output=True, text=True)
    assert out.returncode == 0, out.stdout + out.stderr
