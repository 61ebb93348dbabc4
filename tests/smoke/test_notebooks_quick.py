"""Smoke tier: every notebook the runner knows, executed with papermill in the quick profile."""
from pathlib import Path

import nbformat
import pytest

from mmrec_core import runner
from mmrec_core.results import read_results, read_run_records

pytestmark = pytest.mark.smoke


@pytest.fixture(scope="module")
def quick_run(tmp_path_factory):
    out = tmp_path_factory.mktemp("quick-notebooks")
    res = tmp_path_factory.mktemp("quick-results")
    statuses = runner.run_notebooks("quick", output_dir=out, results=res, force=True, progress=False)
    return statuses, out, res


def test_every_notebook_runs(quick_run):
    statuses, out, _ = quick_run
    names = [s.name for s in runner.available_notebooks()]
    assert [s["notebook"] for s in statuses] == names
    failed = [s for s in statuses if s["status"] != "ok"]
    assert not failed, failed
    for name in names:
        nb = nbformat.read(out / f"{name}.ipynb", as_version=4)
        errors = [o for c in nb.cells if c.cell_type == "code" for o in c.get("outputs", [])
                  if o.get("output_type") == "error"]
        assert not errors, (name, errors)


def test_quick_results_are_recorded_as_quick(quick_run):
    _, _, res = quick_run
    rows = read_results(res)
    assert len(rows) and set(rows.profile) == {"quick"}
    t1 = rows[(rows.table == "table1") & (rows.dataset == "ml-100k")].set_index("metric").value
    assert t1["users"] == 60 and t1["ratings"] == 2400 and t1["sparsity_pct"] == pytest.approx(50.0)
    t2 = rows[(rows.table == "table2") & (rows.subset == "test")]
    assert {"Item-CF", "User-CF", "SVD", "GlobalMean"} <= set(t2.model)
    cv = rows[rows.table == "cv5"]
    assert set(cv.metric) == {"rmse", "mae", "fit_s", "test_s"} and cv.model.nunique() == 10
    assert set(cv.split) == {"kfold5-seed0"}


def test_provenance_and_skip_when_inputs_unchanged(quick_run):
    statuses, out, res = quick_run
    runs = read_run_records(res)
    assert set(runs.notebook) == {s["notebook"] for s in statuses}
    assert (runs.status == "ok").all() and (runs.seconds > 0).all() and runs.commit.str.len().gt(6).all()
    again = runner.run_notebooks("quick", output_dir=out, results=res, progress=False,
                                 only=["00_data", "10_baselines"])
    assert [s["status"] for s in again] == ["skipped (inputs unchanged)"] * 2


def test_corrupt_data_fails_clearly_without_partial_results(tmp_path, synthetic_home):
    path = synthetic_home / "ml-100k" / "u.data"
    path.write_bytes(path.read_bytes().replace(b"\t", b" ", 1))
    res = tmp_path / "res"
    previous = tmp_path / "nb" / "00_data.ipynb"   # the last good executed copy the book renders
    previous.parent.mkdir()
    previous.write_text("last good execution")
    statuses = runner.run_notebooks("quick", only=["00_data"], output_dir=tmp_path / "nb", results=res,
                                    extra_parameters={"DATA_HOME": str(synthetic_home)}, progress=False)
    assert statuses[0]["status"] == "failed"
    assert previous.read_text() == "last good execution"
    assert Path(statuses[0]["output"]).exists() and Path(statuses[0]["output"]) != previous
    assert "ChecksumMismatch" in statuses[0]["error"] and "u.data" in statuses[0]["error"]
    assert not (res / "records").exists()
    assert read_run_records(res).status.tolist() == ["failed"]


def test_ml1m_path_runs_end_to_end_on_synthetic_ml1m_files(tmp_path):
    statuses = runner.run_notebooks("quick", only=["10_baselines"], output_dir=tmp_path / "nb",
                                    results=tmp_path / "res", progress=False,
                                    extra_parameters={"DATASET": "ml-1m", "CV_ALGORITHMS": ["SVD"]})
    assert statuses[0]["status"] == "ok", statuses
    rows = read_results(tmp_path / "res", dataset="ml-1m")
    assert {"table2", "cv5"} <= set(rows.table) and set(rows.profile) == {"quick"}


@pytest.mark.realdata
def test_ml1m_without_ratings_fails_with_instructions(tmp_path, real_home):
    if (real_home / "ml-1m" / "ratings.dat").exists():
        pytest.skip("this data home has ML-1M ratings")
    statuses = runner.run_notebooks("paper", only=["10_baselines"], output_dir=tmp_path / "nb",
                                    results=tmp_path / "res", progress=False,
                                    extra_parameters={"DATASET": "ml-1m", "DATA_HOME": str(real_home)})
    assert statuses[0]["status"] == "failed"
    assert "ratings.dat" in statuses[0]["error"] and "git hash-object" in statuses[0]["error"]
    assert not (tmp_path / "res" / "records").exists()


def test_tsem_genome_path_runs_end_to_end_on_synthetic_ml25m_files(tmp_path):
    from mmrec_core.data.synthetic import write_synthetic_genome

    home = write_synthetic_genome(tmp_path / "home", "ml-25m")
    statuses = runner.run_notebooks("quick", only=["30_tsem"], output_dir=tmp_path / "nb", results=tmp_path / "res",
                                    progress=False, extra_parameters={"DATASET": "ml-25m", "DATA_HOME": str(home),
                                                                      "MIN_USER_RATINGS": 20, "SEEDS": [0, 1]})
    assert statuses[0]["status"] == "ok", statuses
    rows = read_results(tmp_path / "res", dataset="ml-25m")
    tsem = rows[(rows.paper == "tsem") & (rows.metric == "rmse") & (rows.subset == "test")]
    assert {"NN", "MF", "MF_NN", "TSEM"} <= set(tsem.model) and set(tsem.split) == {"random-80-10-10"}
    means, runs = tsem[tsem.seed.isna()], tsem[tsem.seed.notna()]
    assert (means.n_seeds == 2).all() and (tsem.encoder_text == "").all()     # no plot texts for ML-25M here
    assert (runs.n_seeds == 1).all() and sorted(set(runs.seed)) == [0, 1]    # one row per run, its seed typed
