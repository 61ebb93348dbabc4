
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
