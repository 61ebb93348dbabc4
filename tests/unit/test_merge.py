"""``results merge``: another checkout's page results come in page by page; conflicts and stale code are refused."""
from __future__ import annotations

import subprocess
from pathlib import Path

import nbformat
import pandas as pd
import pytest

from mmrec_core.merge import merge_results
from mmrec_core.results import COLUMNS, read_results, typed_frame


def _git(repo, *args):
    out = subprocess.run(["git", "-c", "user.name=t", "-c", "user.email=t@t", *args], cwd=repo, capture_output=True, text=True)
    assert out.returncode == 0, out.stderr
    return out.stdout.strip()


def _notebook(path: Path, imports: str):
    nb = nbformat.v4.new_notebook()
    nb.cells = [nbformat.v4.new_code_cell('PROFILE = "paper"'), nbformat.v4.new_code_cell(imports)]
    nbformat.write(nb, str(path))


def _records(root: Path, page: str, commit: str, created: str, rows):
    """``rows``: (model, value) pairs of one test RMSE each."""
    frame = typed_frame(pd.DataFrame([dict(paper="xia", table="table2", dataset="ml-100k", split="s", model=m,
                                           variant="", subset="test", metric="rmse", value=v, n_seeds=1,
                                           profile="paper", commit=commit, created=created) for m, v in rows],
                                     columns=COLUMNS))
    out = root / "results" / "records"
    out.mkdir(parents=True, exist_ok=True)
    frame.to_csv(out / f"{page}.csv", index=False)


@pytest.fixture
def repo(tmp_path):
    repo = tmp_path / "repo"
    (repo / "mmrec_core").mkdir(parents=True)
    (repo / "notebooks").mkdir()
    (repo / "mmrec_core" / "__init__.py").write_text("")
    (repo / "mmrec_core" / "a.py").write_text("X = 1\n")
    (repo / "mmrec_core" / "b.py").write_text("Y = 1\n")
    _notebook(repo / "notebooks" / "10_x.ipynb", "from mmrec_core import a")
    _notebook(repo / "notebooks" / "20_y.ipynb", "from mmrec_core import b")
    _notebook(repo / "notebooks" / "30_z.ipynb", "from mmrec_core import b")
    _git(repo, "init", "-q")
    _git(repo, "add", "-A")
    _git(repo, "commit", "-qm", "c1")
    c1 = _git(repo, "rev-parse", "HEAD")
    _records(repo, "10_x", c1, "2026-12-01T00:00:00+00:00", [("A", 0.95)])
    _git(repo, "add", "-A")
    _git(repo, "commit", "-qm", "results")
    return repo, c1


def test_new_pages_are_taken_with_their_provenance_and_notebook(repo, tmp_path):
    repo, c1 = repo
    other = tmp_path / "other"
    _records(other, "10_x", c1, "2026-12-02T00:00:00+00:00", [("A", 0.94)])
    _records(other, "20_y", c1, "2026-12-02T00:00:00+00:00", [("B", 0.99)])
    (other / "results" / "runs").mkdir(parents=True)
    (other / "results" / "runs" / "20_y.json").write_text('{"status": "ok"}')
    (other / "book" / "notebooks").mkdir(parents=True)
    (other / "book" / "notebooks" / "20_y.ipynb").write_text("executed")
    (other / "results" / "figures").mkdir()
    (other / "results" / "figures" / "20_ml-100k_curves.png").write_bytes(b"png")
    (other / "results" / "figures" / "30_ml-100k_other.png").write_bytes(b"not 20's")
    assert [m.page for m in merge_results(other, repo, dry_run=True, only=["20_y"])] == ["20_y"]
    dry = merge_results(other, repo, dry_run=True)
    assert {m.page: m.status for m in dry} == {"10_x": "taken", "20_y": "taken"}
    assert not (repo / "results" / "records" / "20_y.csv").exists()          # a dry run writes nothing
    result = {m.page: m for m in merge_results(other, repo)}
    assert result["20_y"].files == ["book/notebooks/20_y.ipynb", "results/figures/20_ml-100k_curves.png",
                                    "results/records/20_y.csv", "results/runs/20_y.json"]
    assert (repo / "book" / "notebooks" / "20_y.ipynb").read_text() == "executed"
    rows = read_results(repo / "results")
    assert dict(zip(rows.model, rows.value)) == {"A": 0.94, "B": 0.99}
    again = merge_results(other, repo)
    assert {m.status for m in again} == {"unchanged"}


def test_conflicts_stale_code_and_older_records_are_refused(repo, tmp_path):
    repo, c1 = repo
    other = tmp_path / "other"
    _records(other, "30_z", c1, "2026-12-02T00:00:00+00:00", [("A", 0.90)])       # 10_x's key
    _records(other, "20_y", c1 + "-dirty", "2026-12-02T00:00:00+00:00", [("B", 0.99)])
    result = {m.page: m for m in merge_results(other, repo)}
    assert result["30_z"].status == "conflict" and "10_x" in result["30_z"].reason
    assert result["20_y"].status == "stale" and "modified tree" in result["20_y"].reason
    # code the page imports changed here since it was recorded: stale; a page not importing it is fine
    (repo / "mmrec_core" / "a.py").write_text("X = 2\n")
    _git(repo, "commit", "-qam", "c2")
    _records(other, "10_x", c1, "2026-12-03T00:00:00+00:00", [("A", 0.93)])
    _records(other, "20_y", c1, "2026-12-03T00:00:00+00:00", [("B", 0.98)])
    _records(other, "30_z", "f" * 40, "2026-12-03T00:00:00+00:00", [("C", 0.97)])
    result = {m.page: m for m in merge_results(other, repo)}
    assert result["10_x"].status == "stale" and "mmrec_core/a.py" in result["10_x"].reason
    assert result["20_y"].status == "taken"
    assert result["30_z"].status == "stale" and "does not have" in result["30_z"].reason
    assert read_results(repo / "results", model="A").value.tolist() == [0.95]       # nothing of a refused page
    _records(other, "20_y", c1, "2026-11-30T00:00:00+00:00", [("B", 0.5)])         # older than what is here
    assert {m.page: m.status for m in merge_results(other, repo)}["20_y"] == "older"


def test_a_branch_is_a_source_too(repo):
    repo, c1 = repo
    _git(repo, "checkout", "-qb", "elsewhere")
    _records(repo, "20_y", c1, "2026-12-02T00:00:00+00:00", [("B", 0.99)])
    _git(repo, "add", "-A")
    _git(repo, "commit", "-qm", "20 run elsewhere")
    _git(repo, "checkout", "-q", "-")
    assert not (repo / "results" / "records" / "20_y.csv").exists()
    result = {m.page: m.status for m in merge_results("elsewhere", repo)}
    assert result == {"10_x": "unchanged", "20_y": "taken"}
    assert read_results(repo / "results", model="B").value.tolist() == [0.99]
    with pytest.raises(FileNotFoundError, match="neither a folder nor a commit"):
        merge_results("no-such-branch", repo)


def test_the_command_line_exits_non_zero_on_a_refusal(repo, tmp_path, capsys, monkeypatch):
    import mmrec_core.merge as merge
    from mmrec_core.__main__ import main

    repo, c1 = repo
    other = tmp_path / "other"
    _records(other, "30_z", c1, "2026-12-02T00:00:00+00:00", [("A", 0.90)])
    monkeypatch.setattr(merge, "REPO_ROOT", repo)
    assert main(["results", "merge", str(other), "--dry-run"]) == 1
    assert "conflict" in capsys.readouterr().out
    assert main(["results", "merge", str(tmp_path / "nowhere")]) == 2
