"""The literature page's machinery: canonical folds through ``prepare``, the validation-fitted blend,
numbers pooled over folds, figures against a published number, and the published-vs-ours table."""
from __future__ import annotations

from types import SimpleNamespace

import numpy as np
import pandas as pd
import pytest

torch = pytest.importorskip("torch")

from mmrec_core import experiment, literature  # noqa: E402
from mmrec_core.data import load_canonical_split, load_movielens  # noqa: E402
from mmrec_core.experiment import Runs  # noqa: E402
from mmrec_core.notebook import DataContext  # noqa: E402
from mmrec_core.papers import literature_figure, literature_figures  # noqa: E402
from mmrec_core.run_cache import RunOutcome  # noqa: E402


@pytest.fixture(scope="module")
def folds(synthetic_home_ro):
    ctx = DataContext(dataset="ml-100k", data_home=synthetic_home_ro, profile="quick")
    return literature.fold_experiments(ctx, ("u1", "u2"), split_seed=3)


def _keys(frame):
    return set(zip(frame.user_id, frame.item_id, frame.timestamp))


def test_prepare_on_a_canonical_fold_keeps_its_test_file_and_carves_validation_from_base(folds, synthetic_home_ro):
    ds = load_movielens("ml-100k", synthetic_home_ro)
    for fold, exp in folds.items():
        base, test = load_canonical_split(ds, fold)
        split = exp.split
        assert exp.identity["split"] == f"{fold}-val5" and exp.identity["split_seed"] == 3
        assert _keys(split.test) == _keys(test)                                  # the .test file, untouched
        assert _keys(split.train) | _keys(split.val) == _keys(base)              # base = train + validation
        assert not _keys(split.val) & _keys(split.test) and not _keys(split.train) & _keys(split.val)
        assert len(split.val) == round(0.05 * len(base))
        assert len(exp.data["test"]["rating"]) == len(test)
    assert not _keys(folds["u1"].split.test) & _keys(folds["u2"].split.test)    # disjoint test folds
    sizes = literature.fold_sizes(folds)
    assert list(sizes.fold) == ["u1", "u2"] and (sizes.test > 0).all() and (sizes.val < sizes.train).all()


def test_prepare_refuses_a_fold_together_with_other_split_options(synthetic_home_ro):
    ctx = DataContext(dataset="ml-100k", data_home=synthetic_home_ro, profile="quick")
    with pytest.raises(ValueError, match="fold files fix the split"):
        experiment.prepare(ctx, canonical_fold="u1", split_fractions=(0.8, 0.1, 0.1))
    with pytest.raises(ValueError, match="no canonical split 'u9'"):
        experiment.prepare(ctx, canonical_fold="u9")


def test_fit_blend_recovers_known_weights_and_apply_clips_to_the_rating_range():
    rng = np.random.default_rng(0)
    p = rng.uniform(1, 5, size=(500, 2))
    y = 0.3 + 0.5 * p[:, 0] + 0.4 * p[:, 1]
    w = literature.fit_blend(p, y)
    assert np.allclose(w, [0.3, 0.5, 0.4])
    out = literature.apply_blend(np.array([0.0, 2.0]), np.array([[0.2], [3.0]]))
    assert out.tolist() == [1.0, 5.0]


def _fake_experiment(y_val, y_test, split="u1-val5"):
    data = {s: {"rating": torch.tensor(y, dtype=torch.float32)} for s, y in (("val", y_val), ("test", y_test))}
    ident = {"dataset": "ml-100k", "split": split, "split_seed": 0, "profile": "quick"}
    return SimpleNamespace(identity=ident, data=data)


def _runs(exp, variant, per_seed, model="m"):
    outs = [RunOutcome(model, variant, seed, {}, {}, {}, 0, 0, 0.0, {"test": {"rmse": 0.0}},
                       {"val/predict": np.asarray(v, np.float32), "test/predict": np.asarray(t, np.float32)}, {}, "cpu", "")
            for seed, (v, t) in per_seed.items()]
    return Runs(outs, exp)


def test_blend_steps_fit_on_validation_only_and_a_member_fitted_once_serves_every_seed():
    rng = np.random.default_rng(1)
    y_val, y_test = rng.uniform(1, 5, 400), rng.uniform(1, 5, 300)
    exp = _fake_experiment(y_val, y_test)
    noisy = {s: (y_val + rng.normal(0, 0.5, 400), y_test + rng.normal(0, 0.5, 300)) for s in (0, 1)}
    a = _runs(exp, "a", noisy)
    once = _runs(exp, "k", {0: (y_val + rng.normal(0, 0.5, 400), y_test + rng.normal(0, 0.5, 300))})
    blends = literature.blend_steps([("A", a, "a"), ("K", once, "k")], [0, 1])
    assert blends.variants == ["A", "A +K"]
    for o in blends.of("A +K"):
        x = np.column_stack([noisy[o.seed][0], once.outcomes[0].predictions["val/predict"]])
        assert np.allclose(o.config["weights"], literature.fit_blend(x, y_val), atol=1e-5)
    # two independent noisy members average out: the blend beats the first one alone, on test
    assert all(b.metrics["test"]["rmse"] < s.metrics["test"]["rmse"] for b, s in zip(blends.of("A +K"), blends.of("A")))
    # the test ratings never enter a fit: other test ratings, the same weights
    exp2 = _fake_experiment(y_val, rng.uniform(1, 5, 300))
    a2, k2 = Runs(a.outcomes, exp2), Runs(once.outcomes, exp2)
    again = literature.blend_steps([("A", a2, "a"), ("K", k2, "k")], [0, 1])
    assert [o.config["weights"] for o in again.outcomes] == [o.config["weights"] for o in blends.outcomes]
    steps = literature.compare_steps(blends)
    assert len(steps) == 1 and steps.effect.iloc[0] < 0
    boot = literature.compare_steps(blends, method="bootstrap")
    assert boot.method.iloc[0].startswith("bootstrap") and boot.ci_high.iloc[0] < 0      # helps, ratings resampled
    assert boot.effect.iloc[0] == pytest.approx(steps.effect.iloc[0])
    with pytest.raises(ValueError, match="method must be"):
        literature.compare_blends(blends, "A", "A +K", method="welch")
    weights = literature.blend_weights(blends)
    assert list(weights.columns) == ["blend", "seed", "intercept", "A", "K"]
    rows = literature.blend_rows(blends, "ours", "literature")
    assert {r.variant for r in rows} >= {"A", "A +K", "A_+K-vs-A"}
    assert {r.metric for r in rows if r.variant == "A_+K-vs-A"} == {"rmse_diff", "rmse_diff_bootstrap"}
    assert all(r.std is None or r.n_seeds > 1 for r in rows)


def test_blend_steps_refuses_members_on_another_split_or_missing_seeds():
    y = np.ones(10)
    exp, other = _fake_experiment(y, y), _fake_experiment(y, y, split="u2-val5")
    a = _runs(exp, "a", {0: (y, y), 1: (y, y)})
    with pytest.raises(ValueError, match="must share the split"):
        literature.blend_steps([("A", a, "a"), ("B", _runs(other, "b", {0: (y, y)}), "b")], [0, 1])
    with pytest.raises(ValueError, match="no run for seeds \\[2\\]"):
        literature.blend_steps([("A", a, "a")], [0, 1, 2])


def test_model_on_folds_pools_over_folds_and_seeds():
    exp1, exp2 = _fake_experiment(np.ones(3), np.ones(3)), _fake_experiment(np.ones(3), np.ones(3), split="u2-val5")

    def runs(exp, values):
        return Runs([RunOutcome("m", "v", s, {}, {}, {}, 0, 0, 0.0, {"test": {"rmse": v}}, {}, {}, "cpu", "")
                     for s, v in enumerate(values)], exp)

    m = literature.ModelOnFolds("M", {"u1": runs(exp1, [0.90, 0.92]), "u2": runs(exp2, [0.94, 0.96])}, "v")
    p = m.pooled()
    assert p["runs"] == 4 and p["folds"] == 2 and p["mean"] == pytest.approx(0.93)
    assert p["u1"] == pytest.approx(0.91) and p["u2"] == pytest.approx(0.95)
    assert p["std"] == pytest.approx(np.std([0.90, 0.92, 0.94, 0.96], ddof=1))
    table = literature.folds_table([m])
    assert list(table.columns[:3]) == ["model", "u1", "u2"]
    assert literature.page_rows("ours", "literature", pooled=[m]) == []          # two folds: no pooled number
    five = literature.ModelOnFolds("M", {f: runs(_fake_experiment(np.ones(3), np.ones(3), split=f"{f}-val5"), [0.9, 0.92])
                                         for f in literature.FOLDS}, "v", "SVDpp")
    (row,) = literature.page_rows("ours", "literature", pooled=[five])
    assert (row.model, row.variant, row.split, row.n_seeds) == ("SVDpp", "v", "u1-u5-val5", 10)
    assert row.value == pytest.approx(0.91) and "5 folds" in row.notes


def _scored(exp, variant, values, model="m"):
    return Runs([RunOutcome(model, variant, s, {}, {}, {}, 0, 0, 0.0, {"test": {"rmse": v}}, {}, {}, "cpu", "")
                 for s, v in enumerate(values)], exp)


def test_compare_on_folds_is_welch_per_fold_and_paired_by_fold_when_pooled():
    exps = {f: _fake_experiment(np.ones(3), np.ones(3), split=f"{f}-val5") for f in ("u1", "u2")}
    a = literature.ModelOnFolds("A", {"u1": _scored(exps["u1"], "v", [0.900, 0.901, 0.902]),
                                      "u2": _scored(exps["u2"], "v", [0.920, 0.921, 0.922])}, "v", "SVDpp")
    b = literature.ModelOnFolds("B", {"u1": _scored(exps["u1"], "w", [0.880, 0.881, 0.882]),
                                      "u2": _scored(exps["u2"], "w", [0.910, 0.911, 0.912])}, "w", "HybridMF")
    out = literature.compare_on_folds(a, b)
    assert list(out.fold) == ["u1", "u2", "pooled"]
    assert out.effect.tolist() == pytest.approx([-0.02, -0.01, -0.015])
    assert out.method.iloc[0].startswith("Welch") and out.method.iloc[2].startswith("paired t over folds (n=2")
    half = 12.706 * np.std([-0.02, -0.01], ddof=1) / np.sqrt(2)                     # t(0.975, 1 df)
    assert (out.ci_low.iloc[2], out.ci_high.iloc[2]) == pytest.approx((-0.015 - half, -0.015 + half), abs=1e-4)
    assert out.verdict.iloc[2].startswith("no detectable") and out.verdict.iloc[0] == "B better"
    assert [c["b"] for c in b.runs["u1"].comparisons] == ["B"]        # per fold: kept for that fold's rows
    (row,) = literature.fold_comparison_rows(out, "ours", "literature")
    assert (row.model, row.variant, row.split, row.metric, row.n_seeds) == ("HybridMF", "B-vs-A", "u1+u2-val5",
                                                                            "rmse_diff", 2)
    with pytest.raises(ValueError, match="no common fold"):
        literature.compare_on_folds(a, literature.ModelOnFolds("C", {"u3": b.runs["u1"]}, "w"))


def test_a_comparison_on_one_fold_records_no_pooled_row_and_a_model_on_no_fold_is_a_blank_row():
    exps = {f: _fake_experiment(np.ones(3), np.ones(3), split=f"{f}-val5") for f in ("u1", "u2")}
    a = literature.ModelOnFolds("A", {f: _scored(exps[f], "v", [0.90, 0.91, 0.92]) for f in exps}, "v", "SVDpp")
    b = literature.ModelOnFolds("B", {"u1": _scored(exps["u1"], "w", [0.95, 0.96, 0.97])}, "w", "Fusion")
    out = literature.compare_on_folds(a, b)
    assert list(out.fold) == ["u1", "pooled"] and out.method.iloc[1] == "one fold: no interval"
    assert out.verdict.iloc[1] == "no interval (one fold)"
    assert literature.fold_comparison_rows(out, "ours", "literature") == []     # u1's row is recorded by its Runs
    assert [c["b"] for c in b.runs["u1"].comparisons] == ["B"]
    found = literature.comparison_findings({"fusion": out, "both": literature.compare_on_folds(a, a)})
    assert (found["fusion"], found["fusion_b"], found["fusion_where"]) == (pytest.approx(0.05), pytest.approx(0.96), "on u1")
    assert found["fusion_verdict"] == out.verdict.iloc[0] and found["fusion_low"] == out.ci_low.iloc[0]
    assert (found["both"], found["both_where"]) == (pytest.approx(0.0), "pooled over 2 folds")
    table = literature.folds_table([a, b, literature.ModelOnFolds("C", {}, "x")])
    assert table.set_index("model").loc["B", "u1"] == pytest.approx(0.96) and np.isnan(table.set_index("model").loc["B", "u2"])
    c = table.set_index("model").loc["C"]
    assert (c.folds, c.runs) == (0, 0) and np.isnan(c["mean"]) and np.isnan(c["u1"])


def test_folds_log_puts_the_fold_in_front_and_says_when_no_fold_ran():
    exps = {f: _fake_experiment(np.ones(3), np.ones(3), split=f"{f}-val5") for f in ("u1", "u2")}
    log = literature.folds_log({f: _scored(exps[f], "v", [0.90, 0.91]) for f in exps})
    assert log.columns[0] == "fold" and log.fold.tolist() == ["u1", "u1", "u2", "u2"]
    assert log.test_rmse.tolist() == pytest.approx([0.90, 0.91, 0.90, 0.91])
    assert literature.folds_log({}, why_none="FUSION_FOLDS is empty").to_dict("records") == [
        {"fold": "none", "note": "FUSION_FOLDS is empty"}]


def test_fold_blends_chain_the_members_each_fold_has_and_pool_each_step_over_folds():
    rng = np.random.default_rng(2)
    members = {}
    for f in ("u1", "u2"):
        y_val, y_test = rng.uniform(1, 5, 300), rng.uniform(1, 5, 200)
        exp = _fake_experiment(y_val, y_test, split=f"{f}-val5")
        noise = lambda: {s: (y_val + rng.normal(0, 0.5, 300), y_test + rng.normal(0, 0.5, 200)) for s in (0, 1)}  # noqa: E731
        members[f] = {"a": _runs(exp, "a", noise()), "k": _runs(exp, "k", noise()), "g": _runs(exp, "g", noise())}
    blends = literature.fold_blends([("A", {f: m["a"] for f, m in members.items()}, "a"),
                                     ("K", {f: m["k"] for f, m in members.items()}, "k"),
                                     ("G", {"u1": members["u1"]["g"]}, "g")], [0, 1])   # G ran on u1 only
    assert blends["u1"].variants == ["A", "A +K", "A +K +G"] and blends["u2"].variants == ["A", "A +K"]
    assert literature.common_steps(blends) == ["A", "A +K"]
    on_folds = literature.blend_on_folds(blends)
    assert (on_folds.variant, on_folds.model, on_folds.pooled()["runs"]) == ("A +K", "Blend", 4)
    steps = literature.fold_steps(blends)
    assert list(steps.fold) == ["u1", "u2", "pooled"] and (steps.step == "A +K").all()
    per_fold = steps.effect.iloc[:2].to_numpy()
    assert steps.effect.iloc[2] == pytest.approx(per_fold.mean()) and (per_fold < 0).all()   # two noisy members help
    (row,) = literature.fold_comparison_rows(steps, "ours", "literature")
    assert (row.model, row.variant, row.split) == ("Blend", "A_+K-vs-A", "u1+u2-val5")
    assert {c["b"] for c in blends["u2"].comparisons} == {"A +K"}      # per fold: recorded by blend_rows
    with pytest.raises(ValueError, match="two blends made on every fold"):
        literature.fold_steps({"u1": literature.blend_steps([("A", members["u1"]["a"], "a")], [0, 1])})
    one = literature.fold_steps({"u1": blends["u1"]})                  # one fold: its pooled row has no interval
    pooled = one[(one.fold == "pooled") & (one.step == "A +K")].iloc[0]
    assert (pooled.n, pooled.method, pooled.verdict) == (1, "one fold: no interval", "no interval (one fold)")
    assert pooled.effect == pytest.approx(one[(one.fold == "u1") & (one.step == "A +K")].effect.iloc[0])
    assert "A +K better" in steps.verdict.iloc[2]                       # the verdict names the better blend


def test_versus_figure_folds_takes_the_fold_as_the_unit():
    exps = {f: _fake_experiment(np.ones(3), np.ones(3), split=f"{f}-val5") for f in ("u1", "u2", "u3")}
    m = literature.ModelOnFolds("M", {f: _scored(exps[f], "v", v) for f, v in
                                      zip(exps, ([0.870, 0.872], [0.874, 0.876], [0.872, 0.874]))}, "v")
    out = literature.versus_figure_folds(m, 0.883).iloc[0]
    assert (out.folds, out.runs) == (3, 6) and out["mean"] == pytest.approx(0.873)
    assert out.verdict == "below the figure"



    assert literature.against_figure([0.870, 0.871, 0.869], 0.883)["verdict"] == "below the figure"
    assert literature.against_figure([0.890, 0.891, 0.889], 0.883)["verdict"] == "above the figure"
    assert literature.against_figure([0.87, 0.90, 0.88], 0.883)["verdict"] == "not distinguishable from the figure"
    assert literature.against_figure([0.87], 0.883)["verdict"] == "one run: no interval"


def _record(**kw):
    row = dict(paper="ours", table="literature", dataset="ml-100k", split="u1-val5", model="GLocal-K",
               variant="published", subset="test", slice_by="", metric="rmse", seed=np.nan, value=0.8901,
               std=0.001, n_seeds=5, profile="paper")
    row.update(kw)
    return row


def test_literature_table_sets_ours_beside_each_figure_of_its_protocol():
    table = literature.literature_table(pd.DataFrame([_record(), _record(seed=0, value=0.7)]))
    glk = table[(table.model == "GLocal-K") & (table.dataset == "ml-100k")].iloc[0]
    assert glk.ours == pytest.approx(0.8901) and glk.difference == pytest.approx(0.8901 - 0.8889)
    assert glk.runs == 5 and "50_literature" in glk.status
    svdpp = table[table.model == "SVD++"].iloc[0]
    assert np.isnan(svdpp.ours) and svdpp.status == "not recorded yet (page 10_baselines)"
    ml1m = table[(table.model == "GLocal-K") & (table.dataset == "ml-1m")].iloc[0]
    assert "ratings.dat" in ml1m.status and np.isnan(ml1m.ours)
    # a quick run never stands beside a published figure as a paper number
    quick = literature.literature_table(pd.DataFrame([_record(profile="quick")]))
    assert np.isnan(quick[quick.model == "GLocal-K"].ours.iloc[0])
    assert len(table) == len(literature_figures())


def test_published_figures_are_typed_once():
    assert literature_figure("GraphRec") == 0.883 and literature_figure("GLocal-K") == 0.8889
    assert literature_figure("GLocal-K", "ml-1m") == 0.8227
    with pytest.raises(KeyError, match="published figures of 'NoSuchModel'"):
        literature_figure("NoSuchModel")
    figures = literature_figures()
    optimistic = figures[figures.model.str.startswith(("GLocal-K", "GraphRec"))]
    assert (optimistic.optimistic != "").all()          # every optimistic record says why


def test_glocal_k_protocols_differ_only_in_the_protocol():
    v = literature.glocal_k_protocols("ml-100k", hidden=[8, 8], epochs=[1, 2], threads=1)
    (mp, tp), (mo, to) = v["published"], v["ours"]
    assert mp == mo and mp.hidden == (8, 8)
    assert (tp.protocol, to.protocol) == ("published", "ours")
    assert (tp.epochs_pretrain, tp.epochs_finetune) == (1, 2) and tp.num_threads == 1
    full = literature.glocal_k_protocols("ml-100k")["ours"]
    assert full[0].hidden == (500, 500) and (full[1].epochs_pretrain, full[1].epochs_finetune) == (30, 60)


def test_findings_reads_the_headline_numbers_from_the_runs_and_tables():
    rng = np.random.default_rng(4)
    exp = _fake_experiment(np.ones(3), np.ones(3))
    glocal = Runs(_scored(exp, "ours", [0.894, 0.893, 0.895]).outcomes
                  + _scored(exp, "published", [0.891, 0.890, 0.891]).outcomes, exp)
    y_val, y_test = rng.uniform(1, 5, 200), rng.uniform(1, 5, 100)
    fexp = _fake_experiment(y_val, y_test)
    member = _runs(fexp, "a", {s: (y_val + rng.normal(0, 0.3, 200), y_test + rng.normal(0, 0.3, 100)) for s in (0, 1)})
    blend = literature.blend_steps([("A", member, "a")], [0, 1])
    on_folds = literature.ModelOnFolds("Blend A", {"u1": blend}, "A", "Blend")
    vs = pd.DataFrame([{"fold": "pooled", "effect": -0.02, "ci_low": -0.03, "ci_high": -0.01}])
    out = literature.findings(glocal, 0.8889, blend, on_folds, vs, blend, 0.883)
    assert out["glocal_k_published"] == pytest.approx(np.mean([0.891, 0.890, 0.891]))
    assert out["glocal_k_optimism"] == pytest.approx(np.mean([0.891, 0.890, 0.891]) - 0.894)
    assert out["glocal_k_optimism_low"] < out["glocal_k_optimism"] < out["glocal_k_optimism_high"]
    assert out["blend_u1_members"] == "A" and out["blend_xia"] == out["blend_u1"]
    assert out["blend_u1_verdict"] in ("below the figure", "above the figure", "not distinguishable from the figure")
    assert (out["blend_folds_vs_svdpp"], out["blend_folds_vs_svdpp_high"]) == (-0.02, -0.01)
    assert out["blend_folds_verdict"] == "one run: no interval"                      # one fold: no interval


def test_replica_variants_take_the_settings_their_own_pages_run():
    paper = literature.replica_variants("paper", threads=1)
    (a_cfg, a_train), = paper["aljunid"].values()
    (m_cfg, m_train), (c_cfg, c_train) = paper["mu"]["single"], paper["mu"]["cross"]
    assert (a_cfg.embed_dim, a_cfg.hidden, a_cfg.dropout) == (32, (128, 64), 0.3)      # 23_aljunid's cell
    assert (a_train.epochs, a_train.patience, a_train.num_threads) == (150, 5, 1)
    assert m_cfg.use_poster is False and (m_train.epochs, m_train.patience) == (60, 3)  # 21_mu's cell
    assert c_cfg.use_poster is True and c_train == m_train
    assert literature.replica_poster_size("paper") == 32 and literature.replica_poster_size("quick") == 16
    (q_cfg, q_train), = literature.replica_variants("quick")["aljunid"].values()
    assert q_cfg.embed_dim == 8 and q_train.lr == 0.01                                 # configs/quick/23_aljunid.yaml
    (f_cfg, f_train), (x_cfg, x_train) = paper["fusion"]["single"], paper["fusion"]["cross"]
    assert (x_cfg.d_model, x_cfg.n_layer, x_cfg.n_head, x_cfg.d_ff) == (768, 1, 12, 3072)  # 20_xia_fusion's cell
    assert x_cfg.use_poster is True and f_cfg.use_poster is False and f_train == x_train
    assert (x_train.lr, x_train.epochs, x_train.patience, x_train.batch_size, x_train.bf16) == (5e-4, 50, 3, 512, True)
    (_, longer), = [literature.replica_variants("paper", fusion_patience=5)["fusion"]["cross"]]
    assert longer.patience == 5 and longer.epochs == 50
    assert literature.replica_variants("paper", fusion_patience=5)["mu"] == literature.replica_variants("paper")["mu"]
    with pytest.raises(ValueError, match="fusion_patience"):
        literature.replica_variants("paper", fusion_patience=50)                     # never below the cap
    (_, raised), = [literature.replica_variants("paper", fusion_patience=5, fusion_epochs=100)["fusion"]["cross"]]
    assert (raised.epochs, raised.patience, raised.lr) == (100, 5, x_train.lr)        # only the cap moves
    literature.replica_variants("paper", fusion_patience=50, fusion_epochs=100)      # a raised cap admits it
    for epochs, patience in ((0, None), (5, 5)):
        with pytest.raises(ValueError, match="fusion_"):
            literature.replica_variants("paper", fusion_patience=patience, fusion_epochs=epochs)
    (_, q_fusion) = literature.replica_variants("quick")["fusion"]["cross"]
    assert (q_fusion.epochs, q_fusion.bf16) == (3, False)                            # configs/quick/20_xia_fusion.yaml
