"""The README's notebook commands, run exactly as printed (in check-only mode, so in seconds).

Each ``.venv/bin/papermill ...`` and ``.venv/bin/python -m mmrec_core run ...`` line of the README's
``bash`` blocks runs through ``bash`` unchanged except for the virtualenv's folder (the interpreter
running the tests), with ``MMREC_CHECK_ONLY=1``: every notebook checks its parameters and folders in
its first cell and skips the rest. The data home is a folder this test makes, found through
``$MMREC_DATA`` like any user's; nothing is written outside temporary folders.
"""
from __future__ import annotations

import os
import re
import subprocess
import sys
import time
from pathlib import Path

import nbformat
import pytest

REPO = Path(__file__).resolve().parents[2]
README = (REPO / "README.md").read_text()
VENV_BIN = ".venv/bin/"


def _bash_lines() -> list[str]:
    blocks = re.findall(r"```bash\n(.*?)```", README, flags=re.S)
    return [line for block in blocks for line in block.splitlines()]


COMMANDS = [line for line in _bash_lines()
            if line.startswith((f"{VENV_BIN}papermill ", f"{VENV_BIN}python -m mmrec_core run"))]


@pytest.fixture
def shell(tmp_path):
    """A working folder holding ``notebooks/`` and ``configs/`` (links to this checkout) and the
    environment of a user with a data home, in check-only mode."""
    for name in ("notebooks", "configs"):
        (tmp_path / name).symlink_to(REPO / name)
    data = tmp_path / "data"
    (data / "ml-100k").mkdir(parents=True)
    env = {**os.environ, "MMREC_CHECK_ONLY": "1", "MMREC_DATA": str(data),
           "MMREC_CACHE": str(tmp_path / "cache"), "MMREC_RESULTS": str(tmp_path / "results"),
           "PYTHONPATH": os.pathsep.join([str(REPO), *filter(None, [os.environ.get("PYTHONPATH")])])}

    def run(line: str) -> subprocess.CompletedProcess:
        command = line.replace(VENV_BIN, f"{Path(sys.executable).parent}/", 1)
        return subprocess.run(["bash", "-c", command], cwd=tmp_path, env=env, capture_output=True, text=True,
                              timeout=300)
    run.folder = tmp_path
    return run


def test_the_readme_shows_the_parameter_forms_and_the_run_commands():
    papermill = [c for c in COMMANDS if "papermill" in c]
    assert any('-p SEEDS "[0, 1, 2, 3, 4]"' in c for c in papermill)
    assert any('-y "SEEDS: [0, 1, 2]"' in c for c in papermill) and any("-p SEEDS 3 " in c for c in papermill)
    assert any("-f configs/quick/" in c for c in papermill)
    assert sum("mmrec_core run" in c for c in COMMANDS) >= 3


@pytest.mark.parametrize("line", COMMANDS, ids=[c.split("  #")[0].strip()[len(VENV_BIN):] for c in COMMANDS])
def test_a_readme_command_runs_as_printed(shell, line):
    t0 = time.perf_counter()
    out = shell(line)
    assert out.returncode == 0, f"{line}\n{out.stdout[-3000:]}\n{out.stderr[-3000:]}"
    assert time.perf_counter() - t0 < 120
    if "papermill" in line:
        notebook = re.search(r"notebooks/(\w+)\.ipynb", line).group(1)
        executed = nbformat.read(str(shell.folder / "out.ipynb"), as_version=4)
        text = "".join(o.get("text", "") for c in executed.cells if c.cell_type == "code" for o in c.get("outputs", []))
        assert f"MMREC_CHECK_ONLY: {notebook} checked" in text, text
        assert not [o for c in executed.cells if c.cell_type == "code" for o in c.get("outputs", [])
                    if o.get("output_type") == "error"]
        seeds = re.search(r"#.*seeds (\[[\d, ]+\])", line)      # the comment says which seeds the line gives
        if seeds:
            assert f"SEEDS={seeds.group(1)}" in text, text
    else:
        only = re.search(r"--only ((?:\d\d_\w+ ?)+)", line.split("  #")[0])
        names = only.group(1).split() if only else []
        checked = re.findall(r"^(\w+)\s+parameters ok", out.stdout, flags=re.M)
        assert checked == names if names else len(checked) >= 10, out.stdout


def test_a_bad_value_stops_in_the_first_cell_with_the_readmes_message(shell):
    """The message the README prints is the one a user gets, on one screen."""
    shown = README.split("Anything else stops", 1)[1].split("```text\n", 1)[1].split("```", 1)[0].strip()
    out = shell(f'{VENV_BIN}papermill notebooks/20_xia_fusion.ipynb out.ipynb -p SEEDS "[0, 1, 2"')
    assert out.returncode != 0
    output = out.stdout + out.stderr
    assert shown in output, output[-3000:]
    assert len(output.splitlines()) < 50 and "mmrec_core/notebook.py" not in output
