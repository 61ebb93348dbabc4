"""The experiment layer: replicate -> Runs (tables, seed-level comparisons, rows), run cache, registry,
and the dask executor giving the same rows as the in-process run."""
from __future__ import annotations

import dataclasses
import json
from pathlib import Path
from types import SimpleNamespace

import numpy as np
import pytest

torch = pytest.importorskip("torch")

from mmrec_core import evaluate, experiment  # noqa: E402
from mmrec_core.models import REGISTRY, ModelEntry, get_model  # noqa: E402
from mmrec_core.models.mu import MuConfig  # noqa: E402
from mmrec_core.notebook import DataContext
from mmrec_core.train import TrainConfig  # noqa: E402

TINY = dict(embed_dim=4, d_hidden=8, cnn_channels=(4, 4, 4), dropout=0.1)
TRAIN = TrainConfig(lr=3e-3, epochs=3, batch_size=128, patience=1, progress=False, num_threads=1)


@pytest.fixture(scope="module")
def exp(synthetic_home_ro):
    ctx = DataContext(dataset="ml-100k", data_home=synthetic_home_ro, profile="quick")
    return experiment.prepare(ctx, split_seed=0, poster_size=8)


VARIANTS = {"single": MuConfig(**TINY, use_poster=False), "cross": MuConfig(**TINY, use_poster=True)}


def test_replicate_tabulates_over_seeds_and_compares_seed_by_seed(exp, tmp_path):
    runs = experiment.replicate("mu", VARIANTS, [0, 1], exp, TRAIN, root=tmp_path, progress=False)
    assert len(runs.outcomes) == 4 and runs.variants == ["single", "cross"]
    log = runs.log()
    assert (log.best_epoch <= log.epoch_cap).all() and set(log.seed) == {0, 1}
    summ = runs.summary()
    test = summ[(summ.subset == "test") & (summ.metric == "rmse")].set_index("variant")
    per_seed = [o.metrics["test"]["rmse"] for o in runs.of("cross")]
    assert test.loc["cross", "mean"] == pytest.approx(np.mean(per_seed))
    assert test.loc["cross", "std"] == pytest.approx(np.std(per_seed, ddof=1)) and test.loc["cross", "n_seeds"] == 2
    cmp = runs.compare("single", "cross").iloc[0]
    diffs = [b.metrics["test"]["rmse"] - a.metrics["test"]["rmse"] for a, b in zip(runs.of("single"), runs.of("cross"))]
    assert cmp.effect == pytest.approx(np.mean(diffs)) and cmp.ci_low <= cmp.effect <= cmp.ci_high
    assert cmp.method == "paired t over seeds (n=2)"
    rows = runs.rows(paper="xia", table="table2")
    diff = [r for r in rows if r.metric == "rmse_diff"]
    assert len(diff) == 1 and diff[0].variant == "cross-vs-single" and diff[0].method == cmp.method
    assert diff[0].ci_low == cmp.ci_low and diff[0].p_value == cmp.p_value
    cross_row = next(r for r in rows if r.variant == "cross" and r.subset == "test" and r.metric == "rmse")
    assert cross_row.encoder_image == "pixels-8 CNN (end to end)" and cross_row.model == "Mu"
    assert next(r for r in rows if r.variant == "single" and r.metric == "rmse").encoder_image == ""
    assert {"best_epoch", "epochs_run", "best_epoch_max"} <= {r.metric for r in rows}


def test_one_seed_leaves_std_blank(exp, tmp_path):
    runs = experiment.replicate("mu", {"single": VARIANTS["single"]}, [3], exp, TRAIN, root=tmp_path, progress=False)
    summ = runs.summary()
    assert summ["std"].isna().all()
    assert all(r.std is None or np.isnan(r.std) for r in runs.rows(paper="xia", table="table2"))


def test_finished_runs_are_reused_and_retired_by_code_or_feature_changes(exp, tmp_path, monkeypatch):
    def go(e=exp):
        return experiment.replicate("mu", VARIANTS, [0], e, TRAIN, root=tmp_path, progress=False)

    first = go()
    again = go()
    assert all(o.reused for o in again.outcomes)
    assert [o.metrics for o in again.outcomes] == [o.metrics for o in first.outcomes]
    # new poster pixels: the cross-modal run is retrained, the single-modal one (no posters) is not
    changed = dataclasses.replace(exp, encoder=__import__("copy").deepcopy(exp.encoder))
    changed.encoder.content["pixels"].values[1:] //= 2
    mixed = {o.variant: o for o in go(changed).outcomes}
    assert mixed["single"].reused and not mixed["cross"].reused
    # an edit to the model's code (its fingerprint) retires every run of that model
    monkeypatch.setattr(ModelEntry, "fingerprint", lambda self: "edited")
    assert not any(o.reused for o in go().outcomes)


def test_registry_fingerprints_each_model_by_its_own_file():
    fusion, mu = get_model("fusion"), get_model("mu")
    assert "models/fusion.py" in fusion.code_files() and "models/fusion.py" not in mu.code_files()
    assert {"train.py", "inputs.py", "evaluate.py", "run_cache.py"} <= set(mu.code_files())
    assert "experiment.py" not in mu.code_files()  # tables and comparisons do not change a run
    assert fusion.fingerprint() != mu.fingerprint()
    assert fusion.metrics["rmse_argmax"] == ("predict_argmax", "rmse")
    with pytest.raises(KeyError, match="registered"):
        get_model("siet-not-yet")


def test_each_metric_is_computed_by_its_own_function(exp, tmp_path, monkeypatch):
    entry = ModelEntry("mu-hit", "mu", "MuConfig", "build_mu", "Mu", "xia",
                       metrics={"rmse": ("predict", "rmse"), "hit_rate": ("predict", "hit_rate")},
                       content="content_keys")
    monkeypatch.setitem(REGISTRY, "mu-hit", entry)
    out = experiment.run_one("mu-hit", VARIANTS["single"], TRAIN, exp, root=tmp_path)
    y, p = exp.data["test"]["rating"].numpy(), out.predictions["test/predict"]
    assert out.metrics["test"]["hit_rate"] == pytest.approx(evaluate.hit_rate(y, p))
    assert out.metrics["test"]["rmse"] == pytest.approx(evaluate.rmse(y, p))
    assert 0 <= out.metrics["test"]["hit_rate"] <= 1


def test_dask_local_cluster_gives_the_same_rows_as_in_process(exp, tmp_path):
    distributed = pytest.importorskip("distributed")
    local = experiment.replicate("mu", {"single": VARIANTS["single"]}, [0, 1], exp, TRAIN,
                                 root=tmp_path / "local", progress=False)
    with distributed.LocalCluster(n_workers=2, threads_per_worker=1, processes=True,
                                  dashboard_address=None) as cluster, distributed.Client(cluster) as client:
        remote = experiment.replicate("mu", {"single": VARIANTS["single"]}, [0, 1], exp, TRAIN,
                                      root=tmp_path / "dask", executor=client)
    assert not any(o.reused for o in remote.outcomes)
    strip = ("seconds", "commit", "created")
    a = [{k: v for k, v in vars(r).items() if k not in strip} for r in local.rows(paper="xia", table="t")]
    b = [{k: v for k, v in vars(r).items() if k not in strip} for r in remote.rows(paper="xia", table="t")]
    assert a == b
    for x, y in zip(local.outcomes, remote.outcomes):
        assert np.array_equal(x.predictions["test/predict"], y.predictions["test/predict"])


def test_compare_models_against_a_surprise_reference(exp, tmp_path):
    svd = experiment.surprise_reference(exp, "SVD", seeds=[0, 1], root=tmp_path)
    assert [o.seed for o in svd.outcomes] == [0, 1] and not svd.outcomes[0].reused
    again = experiment.surprise_reference(exp, "SVD", seeds=[0, 1], root=tmp_path)
    assert all(o.reused for o in again.outcomes)
    assert again.outcomes[0].metrics == svd.outcomes[0].metrics
    mu = experiment.replicate("mu", {"single": VARIANTS["single"]}, [0, 1], exp, TRAIN, root=tmp_path, progress=False)
    row = experiment.compare_models(svd, "SVD", mu, "single", a_label="SVD", b_label="Mu").iloc[0]
    expected = np.mean([o.metrics["test"]["rmse"] for o in mu.outcomes]) - np.mean(
        [o.metrics["test"]["rmse"] for o in svd.outcomes])
    assert row.effect == pytest.approx(expected) and "Welch" in row.method
    diff = [r for r in mu.rows(paper="xia", table="table2") if r.metric == "rmse_diff"]
    assert [r.variant for r in diff] == ["Mu-vs-SVD"] and diff[0].method == row.method


def test_recorded_per_seed_rows_compare_without_retraining(exp, tmp_path):
    from mmrec_core.papers import rows_frame

    mu = experiment.replicate("mu", VARIANTS, [0, 1], exp, TRAIN, root=tmp_path, progress=False)
    frame = rows_frame(mu.rows(paper="xia", table="table2"))
    seeds = frame[(frame.metric == "rmse") & frame.seed.notna() & (frame.variant == "cross") & (frame.subset == "test")]
    assert sorted(seeds.seed) == [0, 1] and (seeds.n_seeds == 1).all() and seeds["std"].isna().all()
    back = experiment.recorded(frame, exp, "table2", "Mu", "cross")
    assert [o.metrics["test"]["rmse"] for o in back.outcomes] == [o.metrics["test"]["rmse"] for o in mu.of("cross")]
    row = experiment.compare_models(back, "cross", mu, "single", a_label="Mu cross", b_label="Mu single").iloc[0]
    assert row.effect == pytest.approx(mu.summary().query("subset == 'test' and metric == 'rmse'")
                                       .set_index("variant")["mean"].diff().iloc[-1] * -1)
    with pytest.raises(LookupError, match="run that model's notebook"):
        experiment.recorded(frame, exp, "table2", "Fusion", "cross")


def test_seed_and_bootstrap_comparisons_are_separate_rows(exp, tmp_path):
    from mmrec_core.papers import rows_frame
    from mmrec_core.results import KEY

    runs = experiment.replicate("mu", VARIANTS, [0, 1], exp, TRAIN, root=tmp_path, progress=False)
    runs.compare("single", "cross")
    runs.compare("single", "cross", method="bootstrap", n_boot=100)
    frame = rows_frame(runs.rows(paper="xia", table="table2"))
    assert not frame.duplicated(KEY).any()
    diffs = frame[frame.metric.str.startswith("rmse_diff")].set_index("metric")
    assert diffs.loc["rmse_diff", "method"].startswith("paired") and diffs.loc["rmse_diff_bootstrap", "method"].startswith("bootstrap")


def test_withhold_content_masks_every_movie_and_leaves_the_original_alone(exp):
    before = exp.encoder.content["pixels"]
    kept_mask, kept_values = before.mask.copy(), before.values.copy()
    ablated = experiment.withhold_content(exp, ["pixels"])
    table = ablated.encoder.content["pixels"]
    assert not table.mask.any() and not table.values.any() and table.values.shape == kept_values.shape
    assert table.encoder == "pixels-8-withheld" and ablated.identity["withheld"] == ["pixels"]
    assert ablated.data is exp.data and ablated.split is exp.split           # same ratings, same test set
    assert ablated.data_hash(["pixels"]) != exp.data_hash(["pixels"])         # so a new run key
    np.testing.assert_array_equal(exp.encoder.content["pixels"].mask, kept_mask)   # original untouched
    np.testing.assert_array_equal(exp.encoder.content["pixels"].values, kept_values)
    assert "withheld" not in exp.identity and experiment.withhold_content(exp, []) is exp
    summary = experiment.content_summary(ablated).set_index("table")
    assert summary.loc["pixels", "movies with it"] == 0
    assert summary.loc["pixels", "masked (missing)"] == len(exp.encoder.item_ids)
    with pytest.raises(KeyError, match="cannot withhold.*'text_plot'.*pixels"):
        experiment.withhold_content(exp, ["text_plot"])


def test_content_ablation_reuses_the_full_arm_and_pairs_seeds(exp, tmp_path):
    cross = VARIANTS["cross"]
    full = experiment.replicate("mu", {"poster": cross}, [0, 1], exp, TRAIN, root=tmp_path, progress=False)
    runs = experiment.content_ablation("mu", {"no_poster": (cross, ("pixels",)), "poster": (cross, ())},
                                       [0, 1], exp, TRAIN, root=tmp_path, progress=False)
    assert runs.variants == ["no_poster", "poster"] and runs.experiment is exp
    assert all(o.reused for o in runs.of("poster")) and not any(o.reused for o in runs.of("no_poster"))
    assert [o.metrics for o in runs.of("poster")] == [o.metrics for o in full.of("poster")]
    assert runs.of("no_poster")[0].content == {"pixels": "pixels-8-withheld"}
    assert not np.allclose(runs.of("no_poster")[0].predictions["test/predict"],
                           runs.of("poster")[0].predictions["test/predict"])
    cmp = runs.compare("no_poster", "poster").iloc[0]
    assert cmp.n_seeds == 2 and cmp.method == "paired t over seeds (n=2)"
    with pytest.raises(ValueError, match="at least one arm"):
        experiment.content_ablation("mu", {}, [0], exp, TRAIN, root=tmp_path, progress=False)


def test_a_run_folder_is_locked_while_one_process_holds_it(tmp_path):
    """Two holders of one run folder take turns: the second waits until the first lets go."""
    import threading

    from mmrec_core.run_cache import run_lock

    entered = threading.Event()

    def second():
        with run_lock(tmp_path):
            entered.set()

    with run_lock(tmp_path):
        waiter = threading.Thread(target=second)
        waiter.start()
        assert not entered.wait(0.3)      # blocked while the first holds the lock
    assert entered.wait(5)                # and let in once it is released
    waiter.join()


def test_replicate_skips_runs_trained_elsewhere_and_comes_back_to_them(exp, monkeypatch):
    """A run locked by another process is passed over, the others run, and it is waited for last."""
    calls, locked = [], {0: 2}           # task 0 is locked for its first two non-blocking tries

    def fake_run_task(task, wait=True):
        seed = task[3].seed
        calls.append((seed, wait))
        if not wait and locked.get(seed, 0) > 0:
            locked[seed] -= 1
            return None
        return SimpleNamespace(seed=seed, variant=task[1], model="mu", folder=f"/runs/mu-seed{seed}", seconds=1.0,
                               reused=False, epochs_run=1, best_epoch=1, device="cpu")

    monkeypatch.setattr(experiment.runs, "run_task", fake_run_task)
    runs = experiment.replicate("mu", {"a": MuConfig()}, [0, 1, 2], exp, TrainConfig(epochs=1), progress=False)
    assert [o.seed for o in runs.outcomes] == [0, 1, 2]            # the order of the tasks
    assert calls == [(0, False), (1, False), (2, False), (0, False), (0, True)]


def test_baseline_slices_cut_the_test_ratings_by_training_count(exp):
    from mmrec_core import slices
    from mmrec_core.baselines.table2 import table2_baselines

    baselines = table2_baselines(exp.split, "ml-100k", [0, 1], "quick", progress=False)
    table = slices.baseline_slices(baselines, exp.split, {"Item-CF": "Item-CF", "SVD": "SVD"}, edges=(5, 20))
    assert set(table.model) == {"Item-CF", "SVD"} and set(table.by) == {"item", "user"}
    assert set(table[table.model == "SVD"].seeds) == {2} and set(table[table.model == "Item-CF"].seeds) == {1}
    for by, part in table[table.model == "SVD"].groupby("by"):
        assert part.test_ratings.sum() == len(exp.split.test)          # every test rating in one bin
    y = exp.split.test.rating.to_numpy(float)
    bins = slices.assign_bins(slices.training_counts(exp.split, "item"), (5, 20))
    row = table[(table.model == "SVD") & (table.by == "item")].iloc[0]
    inside = bins == slices.bin_labels((5, 20)).index(row.bin)
    by_hand = np.mean([evaluate.rmse(y[inside], p[inside]) for p in baselines.test_predictions("SVD").values()])
    assert row.test_ratings == inside.sum() and row.rmse == pytest.approx(by_hand)
    rows = slices.slice_rows(table, baselines)                         # recorded under the fits' identity
    assert {(r.dataset, r.split, r.profile) for r in rows} == {("ml-100k", exp.split.name, "quick")}


def test_a_resumed_run_records_the_time_of_every_epoch(exp, tmp_path, monkeypatch):
    """A run finished after a restart counts the epochs the interrupted process had done."""
    from mmrec_core import train

    def resumed_fit(model, train_data, val, cfg, **kw):
        hist = {"epoch": [1, 2, 3], "val_rmse": [1.0, 0.9, 0.95], "seconds": [100.0, 100.0, 0.5]}
        return train.TrainResult(hist, best_epoch=2, best_val_rmse=0.9, seconds=0.5, resumed_from=2)

    monkeypatch.setattr(train, "fit", resumed_fit)
    out = experiment.run_one("mu", VARIANTS["single"], TRAIN, exp, root=tmp_path)
    assert 200.0 <= out.seconds < 260.0                       # 2 earlier epochs + this process
    rec = json.loads((Path(out.folder) / "result.json").read_text())
    assert rec["resumed_from"] == 2 and rec["seconds"] == pytest.approx(out.seconds)


def test_the_training_ledger_keeps_each_run_once_and_marks_where_it_was_trained(tmp_path, synthetic_home_ro):
    from dataclasses import replace

    from mmrec_core.notebook import start
    from mmrec_core.results import ResultRow

    ctx = start("21_mu", {"PROFILE": "quick", "DATA_HOME": str(synthetic_home_ro), "RESULTS_DIR": str(tmp_path / "res")},
                show_banner=False)
    assert ctx.ledger == {}                                      # a new page starts an empty ledger
    exp = experiment.prepare(ctx, split_seed=0, poster_size=8)
    assert exp.ledger is ctx.ledger                              # handed over explicitly, no global
    first = experiment.replicate("mu", {"single": VARIANTS["single"]}, [0, 1], exp, TRAIN, root=tmp_path, progress=False)
    again = experiment.replicate("mu", {"single": VARIANTS["single"]}, [0, 1], replace(exp), TRAIN, root=tmp_path,
                                 progress=False)                 # a derived experiment keeps the page's ledger
    assert all(o.reused for o in again.outcomes)
    ledger = ctx.ledger
    assert sorted(ledger) == sorted(Path(o.folder).name for o in first.outcomes)
    assert not any(r["reused"] for r in ledger.values())         # trained here first: stays "trained"
    assert [ledger[Path(o.folder).name]["seconds"] for o in first.outcomes] == [round(o.seconds, 1) for o in first.outcomes]
    svd = experiment.surprise_reference(exp, "SVD", [0], root=tmp_path)    # cached Surprise fits count too
    assert Path(svd.outcomes[0].folder).name in ledger
    row = ResultRow(paper="xia", table="table2", dataset="ml-100k", split="s", model="Mu", metric="rmse",
                    value=0.9, profile="quick")
    assert "training ledger" in ctx.record([row])
    body = json.loads((tmp_path / "res" / "training" / "21_mu.json").read_text())
    assert body["notebook"] == "21_mu" and body["runs"] == json.loads(json.dumps(ledger))
    other = start("21_mu", {"PROFILE": "quick", "DATA_HOME": str(synthetic_home_ro), "RESULTS_DIR": str(tmp_path / "res")},
                  show_banner=False)
    assert other.ledger == {} and len(ctx.ledger) == 3          # pages never share a ledger


def test_a_reference_fit_waits_for_the_process_holding_its_lock(exp, tmp_path):
    """Surprise references go through the run cache's lock: a folder locked elsewhere is not fitted twice."""
    import threading

    from mmrec_core.run_cache import run_lock

    first = experiment.surprise_reference(exp, "SVD", [0], root=tmp_path)
    folder = Path(first.outcomes[0].folder)
    (folder / "result.json").unlink()
    released = threading.Event()

    def hold():
        with run_lock(folder):
            released.wait(5)
            first_rec = {"metrics": first.outcomes[0].metrics, "seconds": 123.0}
            (folder / "result.json").write_text(json.dumps(first_rec))   # the other process finishes
    t = threading.Thread(target=hold)
    t.start()
    try:
        import time
        time.sleep(0.2)
        released.set()
        again = experiment.surprise_reference(exp, "SVD", [0], root=tmp_path)
    finally:
        t.join()
    assert again.outcomes[0].reused and again.outcomes[0].seconds == 123.0


def test_code_fingerprints_follow_imports_not_lists(tmp_path):
    from mmrec_core.models import REGISTRY
    from mmrec_core.paths import package_imports

    pkg = tmp_path / "mmrec_core"
    (pkg / "sub").mkdir(parents=True)
    (pkg / "a.py").write_text("import numpy\nfrom .b import f\n")
    (pkg / "b.py").write_text("def f():\n    from .sub.c import g  # a lazy import counts too\n    return g\n")
    (pkg / "sub" / "__init__.py").write_text("")
    (pkg / "sub" / "c.py").write_text("from mmrec_core import d\ng = 1\n")
    (pkg / "d.py").write_text("")
    (pkg / "unused.py").write_text("")
    assert package_imports(("a.py",), tmp_path) == ("a.py", "b.py", "d.py", "sub/__init__.py", "sub/c.py")
    # the list the issue found stale: TSEM's fine-tuned poster CNN is loaded by features/encoders.py
    for name in ("tsem", "tsem_mf_nn", "tsem_nn"):
        assert "features/encoders.py" in REGISTRY[name].code_files(), name
    assert "models/layers.py" in REGISTRY["siet"].code_files()          # found, no longer listed
    assert not any(f.startswith("features/") for f in REGISTRY["fusion"].code_files())   # reads cached features only


def test_code_hash_ignores_docstrings_and_comments_but_not_code(tmp_path):
    import hashlib

    from mmrec_core.paths import hash_package_sources

    pkg = tmp_path / "mmrec_core"
    pkg.mkdir()
    model = pkg / "m.py"

    def digest(text):
        model.write_text(text)
        h = hashlib.sha256()
        hash_package_sources(h, ("m.py",), tmp_path)
        return h.hexdigest()

    base = digest('"""A model."""\nclass C:\n    """Trials: val RMSE 0.90."""\n    lr = 1e-3\n\n\ndef f(x):\n    return x + 1\n')
    # a documentation edit (module, class docstrings; a comment; blank lines) keeps the hash: runs stay valid
    assert digest('"""A model, with its deviations."""\nclass C:\n    """Trials: val RMSE 0.89."""\n'
                  '    lr = 1e-3  # Adam\n\ndef f(x):\n    return x + 1\n') == base
    # a code edit retires them, also one that only changes a string constant the code may read
    code = '"""A model."""\nclass C:\n    """Trials: val RMSE 0.90."""\n    lr = 1e-3\n\n\ndef f(x):\n    return x + 1\n'
    assert digest(code.replace("lr = 1e-3", "lr = 3e-3")) != base
    assert digest(code.replace("lr = 1e-3", 'lr = 1e-3\n    name = "x"')) != base


def test_finished_run_finds_the_folder_run_one_wrote_and_nothing_else(exp, tmp_path):
    cfg, train = VARIANTS["single"], dataclasses.replace(TRAIN, seed=4)
    assert experiment.finished_run("mu", cfg, train, exp, tmp_path) is None          # nothing trained yet
    out = experiment.run_one("mu", cfg, train, exp, root=tmp_path)
    rec = experiment.finished_run("mu", cfg, train, exp, tmp_path)
    assert rec == json.loads((Path(out.folder) / "result.json").read_text())
    assert experiment.finished_run("mu", cfg, dataclasses.replace(train, lr=1e-3), exp, tmp_path) is None
    assert experiment.finished_run("mu", cfg, dataclasses.replace(train, seed=5), exp, tmp_path) is None


def test_a_run_stopped_by_patience_under_a_shorter_cap_is_reused_under_a_higher_one(exp, tmp_path):
    cfg, short = VARIANTS["single"], dataclasses.replace(TRAIN, epochs=12, patience=1)
    first = experiment.replicate("mu", {"single": cfg}, [0, 1, 2], exp, short, root=tmp_path / "a", progress=False)
    stopped = [o.epochs_run < 12 for o in first.outcomes]
    assert any(stopped), [o.epochs_run for o in first.outcomes]       # the premise of the test
    high = dataclasses.replace(short, epochs=40)
    again = experiment.replicate("mu", {"single": cfg}, [0, 1, 2], exp, high, root=tmp_path / "a",
                                 progress=False, shorter_caps=[12])
    for a, b, early in zip(first.outcomes, again.outcomes, stopped):
        assert b.epoch_cap == 40 and b.train_config["epochs"] == 40
        assert (b.reused and b.folder == a.folder) == early        # reused exactly when it stopped early
    log = again.log().set_index("seed")                            # the log says which cap each run trained under
    assert list(log.epoch_cap) == [40, 40, 40]
    assert list(log.trained_under_cap) == [12 if early else 40 for early in stopped]
    assert list(first.log().trained_under_cap) == [12, 12, 12]
    # why reuse is right: trained afresh under the higher cap, an early-stopped run is the same run
    fresh = experiment.replicate("mu", {"single": cfg}, [0, 1, 2], exp, high, root=tmp_path / "b", progress=False)
    for a, f, b, early in zip(first.outcomes, fresh.outcomes, again.outcomes, stopped):
        if early:
            assert (f.best_epoch, f.epochs_run, f.metrics["test"]) == (a.best_epoch, a.epochs_run, a.metrics["test"])
            assert experiment.run_fields(f)["config_hash"] == experiment.run_fields(b)["config_hash"]
    # a run that reached the shorter cap (1 epoch, best at 1) is trained again under the higher one
    capped = experiment.replicate("mu", {"single": cfg}, [0], exp, dataclasses.replace(short, epochs=1),
                                  root=tmp_path / "c", progress=False)
    assert capped.outcomes[0].epochs_run == 1
    longer = experiment.replicate("mu", {"single": cfg}, [0], exp, dataclasses.replace(short, epochs=3),
                                  root=tmp_path / "c", progress=False, shorter_caps=[1])
    assert not longer.outcomes[0].reused and longer.outcomes[0].folder != capped.outcomes[0].folder


def test_shorter_caps_refuse_a_schedule_that_depends_on_the_cap(exp, tmp_path):
    cosine = dataclasses.replace(TRAIN, epochs=6, lr_schedule="cosine")
    with pytest.raises(ValueError, match="schedule depends on the epoch cap"):
        experiment.replicate("mu", {"single": VARIANTS["single"]}, [0], exp, cosine, root=tmp_path,
                             progress=False, shorter_caps=[3])
