
import nbformat
import pytest

from mmrec_core import runner


def test_every_registered_notebook_has_a_parameters_cell_and_no_outputs():
    specs = runner.available_notebooks()
    assert {"00_data", "10_baselines", "90_paper_vs_ours", "91_reproducibility"} <= {s.name for s in specs}
    for spec in specs:
        nb = nbformat.read(runner.NOTEBOOK_DIR / f"{spec.name}.ipynb", as_version=4)
        code = [c for c in nb.cells if c.cell_type == "code"]
        assert "parameters" in code[0].metadata.get("tags", []), spec.name
        assert "PROFILE" in code[0].source
        assert all(not c.get("outputs") for c in code), f"{spec.name} is stored with outputs"


def test_input_hash_tracks_parameters_and_data(tmp_path, synthetic_home):
    spec = runner.NotebookSpec("10_baselines")
    a = runner.input_hash(spec, {"PROFILE": "quick"}, synthetic_home)
    assert a == runner.input_hash(spec, {"PROFILE": "quick"}, synthetic_home)
    assert a != runner.input_hash(spec, {"PROFILE": "paper"}, synthetic_home)
    (synthetic_home / "ml-100k" / "u.info").write_text("changed, and longer than before\n")
    assert a != runner.input_hash(spec, {"PROFILE": "quick"}, synthetic_home)


def test_unknown_notebook_is_refused():
    with pytest.raises(SystemExit, match="unknown notebook"):
        runner.run_notebooks("quick", only=["99_nothing"], progress=False)


def test_input_hash_ignores_code_a_notebook_does_not_use(tmp_path, synthetic_home, monkeypatch):
    pkg = tmp_path / "repo" / "mmrec_core"
    (pkg / "baselines").mkdir(parents=True)
    (pkg / "models").mkdir()
    (pkg / "data").mkdir()
    (pkg / "baselines" / "a.py").write_text("x = 1")
    (pkg / "models" / "b.py").write_text("y = 1")
    nbdir = tmp_path / "repo" / "notebooks"
    nbdir.mkdir()
    (nbdir / "10_baselines.ipynb").write_text("{}")
    monkeypatch.setattr(runner, "REPO_ROOT", tmp_path / "repo")
    monkeypatch.setattr(runner, "NOTEBOOK_DIR", nbdir)
    spec = runner.NotebookSpec("10_baselines", code=("baselines",))
    before = runner.input_hash(spec, {}, synthetic_home)
    (pkg / "models" / "b.py").write_text("y = 2")
    assert runner.input_hash(spec, {}, synthetic_home) == before
    (pkg / "baselines" / "a.py").write_text("x = 2")
    assert runner.input_hash(spec, {}, synthetic_home) != before


def test_injected_parameters_inherit_the_hidden_parameters_cell(tmp_path):
    import nbformat

    from mmrec_core.runner import _hide_injected_parameters

    def notebook(param_tags):
        nb = nbformat.v4.new_notebook()
        params = nbformat.v4.new_code_cell('PROFILE = "paper"')
        params.metadata["tags"] = param_tags
        injected = nbformat.v4.new_code_cell('PROFILE = "quick"')
        injected.metadata["tags"] = ["injected-parameters"]
        nb.cells = [params, injected, nbformat.v4.new_code_cell("1 + 1")]
        path = tmp_path / f"nb{len(param_tags)}.ipynb"
        nbformat.write(nb, str(path))
        return path

    hidden = notebook(["parameters", "remove-cell"])
    _hide_injected_parameters(hidden)
    cells = nbformat.read(str(hidden), as_version=4).cells
    assert cells[1].metadata["tags"] == ["injected-parameters", "remove-cell"]
    assert "tags" not in cells[2].metadata
    shown = notebook(["parameters"])
    _hide_injected_parameters(shown)
    assert nbformat.read(str(shown), as_version=4).cells[1].metadata["tags"] == ["injected-parameters"]


def test_each_runner_process_executes_into_its_own_work_copy(tmp_path, synthetic_home, monkeypatch):
    """Two runners sharing one cache must not write into one work notebook (one would take the other's)."""
    import os

    import papermill

    from mmrec_core import runner

    seen = []

    def failing_execute(source, work, **kw):
        seen.append(work)
        raise RuntimeError("stop here")

    monkeypatch.setattr(papermill, "execute_notebook", failing_execute)
    monkeypatch.setenv("MMREC_CACHE", str(tmp_path / "cache"))
    statuses = runner.run_notebooks("quick", only=["00_data"], force=True, output_dir=tmp_path / "out",
                                    results=tmp_path / "res", progress=False)
    assert statuses[0]["status"] == "failed" and statuses[0]["output"] == seen[0]
    assert seen[0].endswith(f"00_data-{os.getpid()}.ipynb")
    assert not (tmp_path / "out" / "00_data.ipynb").exists()     # nothing replaced the last good copy


def test_a_notebooks_spec_comes_from_its_imports_and_metadata(tmp_path):
    """No hand-kept notebook list: the code a page depends on is what its cells import."""
    nb = nbformat.v4.new_notebook()
    params = nbformat.v4.new_code_cell('PROFILE = "paper"')
    params.metadata["tags"] = ["parameters"]
    nb.cells = [params, nbformat.v4.new_code_cell("%matplotlib inline\nfrom mmrec_core import slices\n"
                                                  "import mmrec_core.notebook as nb")]
    nb.metadata["mmrec"] = {"needs_real_data": False}
    path = tmp_path / "95_toy.ipynb"
    nbformat.write(nb, str(path))
    spec = runner.notebook_spec(path)
    assert spec.name == "95_toy" and not spec.needs_real_data and not spec.uses_run_cache
    assert {"slices.py", "notebook.py", "__init__.py"} <= set(spec.code) and "models/fusion.py" not in spec.code
    # a page that trains through the registry depends on every model's code and the run cache
    fusion = runner.notebook_spec(runner.NOTEBOOK_DIR / "20_xia_fusion.ipynb")
    assert fusion.needs_real_data and fusion.uses_run_cache
    assert {"models/fusion.py", "models/mu.py", "train.py", "experiment/runs.py", "features/encoders.py"} <= set(fusion.code)
    names = [s.name for s in runner.available_notebooks()]
    assert names == sorted(names) and "90_paper_vs_ours" in names
    assert not runner.notebook_spec(runner.NOTEBOOK_DIR / "90_paper_vs_ours.ipynb").needs_real_data
    trains = {s.name for s in runner.available_notebooks() if s.uses_run_cache}
    assert {"20_xia_fusion", "30_tsem", "40_ours"} <= trains and not trains & {"00_data", "10_baselines", "91_reproducibility"}


# ----------------------------------------------------------------------------- live lines, Ctrl-C, check-only
def _fake_notebook(folder, name, code, params='PROFILE = "paper"\nRESULTS_DIR = None\nMARKER = ""'):
    """A tiny source notebook the runner can execute (no package import: seconds, not minutes)."""
    folder.mkdir(parents=True, exist_ok=True)
    nb = nbformat.v4.new_notebook()
    cell = nbformat.v4.new_code_cell(params)
    cell.metadata["tags"] = ["parameters"]
    nb.cells = [cell, nbformat.v4.new_code_cell(code)]
    nb.metadata["kernelspec"] = {"name": "python3", "display_name": "Python 3", "language": "python"}
    nbformat.write(nb, str(folder / f"{name}.ipynb"))
    return folder


def test_each_notebook_gets_a_line_when_it_starts_and_when_it_ends(tmp_path, monkeypatch, capfd):
    import re

    nbdir = _fake_notebook(tmp_path / "notebooks", "98_quick", "x = 1 + 1")
    monkeypatch.setattr(runner, "NOTEBOOK_DIR", nbdir)
    statuses = runner.run_notebooks("quick", force=True, output_dir=tmp_path / "out", results=tmp_path / "res")
    assert [s["status"] for s in statuses] == ["ok"]
    out, err = capfd.readouterr()
    lines = out.splitlines()
    assert re.fullmatch(r"98_quick\s+started \(1/1, \d\d:\d\d:\d\d\)", lines[0]), lines
    assert re.fullmatch(r"98_quick\s+ok \(\d+ s\)", lines[1]), lines
    assert "without encryption" not in out + err          # IPC kernels: no TCP warning
    assert (tmp_path / "out" / "98_quick.ipynb").exists() and (tmp_path / "res" / "runs" / "98_quick.json").exists()


SIGINT_SCRIPT = """
import sys
from pathlib import Path

from mmrec_core import runner

runner.NOTEBOOK_DIR = Path(sys.argv[1])
from mmrec_core.__main__ import main

sys.exit(main(["run", "--profile", "quick", "--force", "--output-dir", sys.argv[2], "--results-dir", sys.argv[3],
               "-p", "MARKER", sys.argv[4]]))
"""


def test_ctrl_c_stops_a_run_at_once_and_keeps_the_last_good_results(tmp_path):
    """SIGINT to a runner whose notebook is busy: exit 130 within seconds, the kernel gone, the stop
    recorded beside the last good provenance, which (like the last good executed copy) is untouched."""
    import json
    import os
    import signal
    import subprocess
    import sys
    import time

    nbdir = _fake_notebook(tmp_path / "notebooks", "99_busy",
                           "import os, pathlib, time\npathlib.Path(MARKER).write_text(str(os.getpid()))\n"
                           "time.sleep(300)")
    out, res, marker = tmp_path / "out", tmp_path / "res", tmp_path / "kernel.pid"
    (res / "runs").mkdir(parents=True)
    out.mkdir()
    good = {"notebook": "99_busy", "status": "ok", "input_hash": "old"}
    (res / "runs" / "99_busy.json").write_text(json.dumps(good))
    (out / "99_busy.ipynb").write_text("last good executed copy")
    script = tmp_path / "run.py"
    script.write_text(SIGINT_SCRIPT)
    env = {**os.environ, "PYTHONPATH": str(runner.REPO_ROOT), "MMREC_CACHE": str(tmp_path / "cache")}
    proc = subprocess.Popen([sys.executable, str(script), str(nbdir), str(out), str(res), str(marker)],
                            env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    try:
        deadline = time.monotonic() + 120
        while not marker.exists() or not marker.read_text():
            assert proc.poll() is None, proc.communicate()
            assert time.monotonic() < deadline, "the fake notebook never started"
            time.sleep(0.1)
        kernel = int(marker.read_text())
        proc.send_signal(signal.SIGINT)
        t0 = time.monotonic()
        stdout, stderr = proc.communicate(timeout=15)
        stopped_in = time.monotonic() - t0
    finally:
        if proc.poll() is None:
            proc.kill()
    assert proc.returncode == 130, stdout + stderr
    assert stopped_in < 5, stopped_in
    assert "99_busy" in stdout and "started" in stdout and "interrupted after" in stdout, stdout
    assert "Traceback" not in stderr, stderr                 # neither the runner's nor the kernel's
    with pytest.raises(ProcessLookupError):          # the kernel was stopped with the run
        os.kill(kernel, 0)
    stop = json.loads((res / "runs" / "99_busy.interrupted.json").read_text())
    assert stop["status"] == "interrupted" and stop["seconds"] > 0
    assert json.loads((res / "runs" / "99_busy.json").read_text()) == good
    assert (out / "99_busy.ipynb").read_text() == "last good executed copy"
    assert not [p for p in (res / "runs").iterdir() if ".tmp" in p.name]


def test_check_only_runs_nothing_and_says_so_per_notebook(tmp_path, monkeypatch, capsys):
    monkeypatch.setenv("MMREC_CHECK_ONLY", "1")
    statuses = runner.run_notebooks("quick", only=["10_baselines", "20_xia_fusion"], force=True,
                                    output_dir=tmp_path / "out", results=tmp_path / "res")
    assert [s["notebook"] for s in statuses] == ["10_baselines", "20_xia_fusion"]
    assert all(s["status"].startswith("checked") for s in statuses)
    assert capsys.readouterr().out.count("parameters ok") == 2
    assert not (tmp_path / "out").exists() and not (tmp_path / "res").exists()


def test_a_bad_parameter_on_the_command_line_is_refused_in_seconds(tmp_path, monkeypatch, capsys):
    import time

    from mmrec_core.__main__ import main

    monkeypatch.setenv("MMREC_CHECK_ONLY", "1")
    t0 = time.perf_counter()
    assert main(["run", "--profile", "quick", "--only", "20_xia_fusion", "-p", "SEEDS", "[0, 1", "--results-dir",
                 str(tmp_path)]) == 2
    assert time.perf_counter() - t0 < 5
    err = capsys.readouterr().err
    assert err.startswith("error: 20_xia_fusion: parameter SEEDS got '[0, 1' ") and '-p SEEDS "[0, 1, 2, 3, 4]"' in err
