"""The run store: long finished runs kept with the results, so a fresh machine reuses them."""
from __future__ import annotations

import json
import subprocess

import numpy as np
import pytest

torch = pytest.importorskip("torch")

from mmrec_core import experiment, run_store  # noqa: E402
from mmrec_core.merge import merge_results  # noqa: E402
from mmrec_core.models.mu import MuConfig  # noqa: E402
from mmrec_core.notebook import DataContext  # noqa: E402
from mmrec_core.train import TrainConfig  # noqa: E402

TINY = MuConfig(embed_dim=4, d_hidden=8, cnn_channels=(4, 4, 4), dropout=0.1, use_poster=False)
TRAIN = TrainConfig(lr=3e-3, epochs=2, batch_size=128, patience=1, progress=False, num_threads=1)
PREDS = {"train/predict": np.arange(6, dtype=np.float32), "val/predict": np.array([3.5, 4.0], np.float32),
         "test/predict": np.array([1.25, 2.5, 5.0], np.float32)}


@pytest.fixture(scope="module")
def exp(synthetic_home_ro):
    ctx = DataContext(dataset="ml-100k", data_home=synthetic_home_ro, profile="quick")
    return experiment.prepare(ctx, split_seed=0, poster_size=8)


def test_a_stored_run_keeps_every_subset_but_train(tmp_path):
    folder = run_store.save(tmp_path, "mu-ml-100k-seed0-abc", {"seconds": 500.0, "seed": 0}, PREDS)
    rec, preds = run_store.load(tmp_path, "mu-ml-100k-seed0-abc")
    assert sorted(preds) == ["test/predict", "val/predict"]
    assert all(np.array_equal(preds[k], PREDS[k]) for k in preds)
    assert rec["seconds"] == 500.0 and rec["dropped_predictions"] == ["train/predict"]
    assert run_store.entries(tmp_path) == ["mu-ml-100k-seed0-abc"] and folder == tmp_path / "mu-ml-100k-seed0-abc"
    assert run_store.load(tmp_path, "mu-ml-100k-seed0-other") is None and run_store.load(None, "x") is None


def test_only_long_runs_with_small_predictions_are_stored():
    assert run_store.worth_storing({"seconds": run_store.MIN_SECONDS}, PREDS)
    assert not run_store.worth_storing({"seconds": run_store.MIN_SECONDS - 1}, PREDS)
    big = {**PREDS, "rank/predict": np.zeros(run_store.MAX_BYTES // 4 + 1, np.float32)}
    assert not run_store.worth_storing({"seconds": 1e4}, big)
    huge_train = {**PREDS, "train/predict": np.zeros(run_store.MAX_BYTES, np.float32)}   # train is dropped
    assert run_store.worth_storing({"seconds": 1e4}, huge_train)


def test_a_failed_write_leaves_no_entry_and_no_partial_folder(tmp_path, monkeypatch):
    def broken(*args, **kwargs):
        raise OSError(28, "No space left on device")

    monkeypatch.setattr(np, "savez_compressed", broken)
    with pytest.raises(OSError, match="disk is full") as err:
        run_store.save(tmp_path, "r", {"seconds": 500.0}, PREDS)
    assert str(tmp_path / "r") in str(err.value)
    assert list(tmp_path.iterdir()) == []


def test_the_store_folder_follows_the_environment(tmp_path, monkeypatch):
    monkeypatch.setenv("MMREC_RUN_STORE", str(tmp_path / "s"))
    assert run_store.store_dir() == tmp_path / "s"
    monkeypatch.setenv("MMREC_RUN_STORE", "off")
    assert run_store.store_dir() is None
    monkeypatch.delenv("MMREC_RUN_STORE")
    monkeypatch.setenv("MMREC_RESULTS", str(tmp_path / "res"))
    assert run_store.store_dir() == tmp_path / "res" / "run_store"


def test_a_fresh_machine_reuses_a_stored_run_without_training(exp, tmp_path, monkeypatch):
    monkeypatch.setenv("MMREC_RUN_STORE", str(tmp_path / "store"))
    monkeypatch.setattr(run_store, "MIN_SECONDS", 0.0)
    monkeypatch.setenv("MMREC_CACHE", str(tmp_path / "machine-1"))
    first = experiment.run_one("mu", TINY, TRAIN, exp)
    assert not first.reused and len(run_store.entries(tmp_path / "store")) == 1
    monkeypatch.setenv("MMREC_CACHE", str(tmp_path / "machine-2"))          # an empty run cache

    def no_training(*args, **kwargs):
        raise AssertionError("a stored run was trained again")

    monkeypatch.setattr("mmrec_core.train.fit", no_training)
    again = experiment.run_one("mu", TINY, TRAIN, exp)
    assert again.reused and again.folder.startswith(str(tmp_path / "store"))
    assert again.metrics == json.loads(json.dumps(first.metrics)) and again.best_epoch == first.best_epoch
    assert np.array_equal(again.predictions["test/predict"], first.predictions["test/predict"])
    assert "train/predict" not in again.predictions
    # another seed is another run: not in the store, so it is trained
    with pytest.raises(AssertionError, match="trained again"):
        experiment.run_one("mu", TINY, TrainConfig(**{**TRAIN.to_dict(), "seed": 1}), exp)


def test_runs_cached_before_the_store_are_stored_when_read_and_tests_roots_never_are(exp, tmp_path, monkeypatch):
    monkeypatch.setenv("MMREC_CACHE", str(tmp_path / "cache"))
    monkeypatch.setenv("MMREC_RUN_STORE", "off")
    experiment.run_one("mu", TINY, TRAIN, exp)                  # cached, no store
    monkeypatch.setattr(run_store, "MIN_SECONDS", 0.0)
    monkeypatch.setenv("MMREC_RUN_STORE", str(tmp_path / "store"))
    experiment.run_one("mu", TINY, TRAIN, exp, root=tmp_path / "explicit")   # an explicit root: no store
    assert run_store.entries(tmp_path / "store") == []
    out = experiment.run_one("mu", TINY, TRAIN, exp)            # read from the cache, and stored
    assert out.reused and run_store.entries(tmp_path / "store") == [out.folder.rsplit("/", 1)[1]]


def _git(repo, *args):
    out = subprocess.run(["git", "-c", "user.name=t", "-c", "user.email=t@t", *args], cwd=repo,
                         capture_output=True, text=True)
    assert out.returncode == 0, out.stderr
    return out.stdout.strip()


def test_merge_brings_the_stored_runs_this_checkout_lacks(tmp_path):
    here, other = tmp_path / "here", tmp_path / "other"
    (here / "results" / "records").mkdir(parents=True)
    (other / "results" / "records").mkdir(parents=True)
    _git(here, "init", "-q")
    run_store.save(here / "results" / "run_store", "a", {"seconds": 500.0, "mine": True}, PREDS)
    run_store.save(other / "results" / "run_store", "a", {"seconds": 500.0, "mine": False}, PREDS)
    run_store.save(other / "results" / "run_store", "b", {"seconds": 600.0}, PREDS)
    (other / "results" / "run_store" / "c").mkdir()                    # unfinished: no result.json
    (other / "results" / "run_store" / "c" / "predictions.npz").write_bytes(b"")
    dry = merge_results(other, here, dry_run=True)
    assert [(m.page, m.status) for m in dry] == [("run_store", "taken")] and not (here / "results/run_store/b").exists()
    result = merge_results(other, here)
    assert result[0].files == ["results/run_store/b/predictions.npz", "results/run_store/b/result.json"]
    assert run_store.entries(here / "results" / "run_store") == ["a", "b"]
    assert run_store.load(here / "results" / "run_store", "a")[0]["mine"] is True     # never overwritten
    assert merge_results(other, here) == []
    # from a branch of this repository too
    _git(here, "checkout", "-qb", "elsewhere")
    run_store.save(here / "results" / "run_store", "d", {"seconds": 700.0}, PREDS)
    _git(here, "add", "-A")
    _git(here, "commit", "-qm", "stored d")
    _git(here, "checkout", "-qb", "main2", "HEAD~0")
    import shutil
    shutil.rmtree(here / "results" / "run_store" / "d")
    assert [m.files for m in merge_results("elsewhere", here)] == [["results/run_store/d/predictions.npz",
                                                                     "results/run_store/d/result.json"]]
    assert run_store.load(here / "results" / "run_store", "d")[0]["seconds"] == 700.0
