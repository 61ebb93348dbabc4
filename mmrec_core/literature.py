"""The literature's protocols: models on the canonical ML-100K folds, a blend fitted on validation,
and the table that sets each of our numbers beside the published figure made under the same protocol.

Every number in the book before page 50 is on Xia's random 90/5/5 split, which no published record
uses. Here:

- :func:`fold_experiments` prepares the canonical folds ``u1``..``u5`` (the ``.test`` file untouched,
  a seeded 5% of ``.base`` for validation: :func:`mmrec_core.data.canonical_split`), and
  :func:`replicate_folds` / :func:`surprise_folds` run a model on each with the same seeds;
  :class:`ModelOnFolds` pools a model's test numbers over folds and seeds.
- :func:`blend_steps` fits a linear blend of finished runs on the **validation** ratings (least
  squares with an intercept, one fit per seed) and adds one member at a time, so each member's
  contribution is a paired interval against the blend before it. The test ratings never enter a fit.
  :func:`fold_blends` makes it on every fold; :func:`fold_steps` and :func:`compare_on_folds` pool
  an effect over the folds with the fold as the unit (each fold's number its mean over seeds).
- :func:`literature_table` reads the records and the published figures
  (:data:`mmrec_core.papers.LITERATURE`) into one table: model, protocol, published figure and its
  source, ours under that protocol, and the difference.
"""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

from .evaluate import METRICS, mean_std
from .run_cache import RunOutcome

FOLDS = ("u1", "u2", "u3", "u4", "u5")
POOLED = "u1-u5"   # the split name of a number pooled over the five folds (``u1-u5-val5``)


def fold_experiments(ctx, folds=FOLDS, *, split_seed: int = 0, val_fraction: float = 0.05, **prepare_kwargs) -> dict:
    """``fold -> Experiment`` for each canonical fold, with the same validation rule and content tables."""
    from .experiment import prepare

    if not folds:
        raise ValueError("fold_experiments needs at least one fold (u1..u5)")
    return {f: prepare(ctx, canonical_fold=f, split_seed=split_seed, val_fraction=val_fraction, **prepare_kwargs)
            for f in folds}


def _chosen(experiments: dict, folds) -> dict:
    folds = list(experiments) if folds is None else list(folds)
    missing = [f for f in folds if f not in experiments]
    if missing:
        raise KeyError(f"folds {missing} were not prepared; prepared: {list(experiments)}")
    return {f: experiments[f] for f in folds}


def folds_log(runs_by_fold: dict, why_none: str = "not run on any fold") -> pd.DataFrame:
    """:meth:`Runs.log` of every fold of ``fold -> Runs`` with the fold in front; where no fold ran,
    one row saying so (``why_none``)."""
    if not runs_by_fold:
        return pd.DataFrame([{"fold": "none", "note": why_none}])
    return pd.concat([runs.log().assign(fold=f) for f, runs in runs_by_fold.items()], ignore_index=True).pipe(
        lambda frame: frame[["fold", *[c for c in frame.columns if c != "fold"]]])


def fold_sizes(experiments: dict) -> pd.DataFrame:
    """Per fold: ratings in train, validation and test, and the users and movies of its training part."""
    return pd.DataFrame([{"fold": f, "split": e.identity["split"], "train": len(e.split.train), "val": len(e.split.val),
                          "test": len(e.split.test), "train users": e.split.train.user_id.nunique(),
                          "train movies": e.split.train.item_id.nunique(),
                          "test users without a training rating": int((~e.split.test.user_id.isin(e.split.train.user_id)).sum())}
                         for f, e in experiments.items()])


def replicate_folds(model: str, variants: dict, seeds, experiments: dict, train=None, *, folds=None, **kwargs) -> dict:
    """:func:`mmrec_core.experiment.replicate` on every fold (or on ``folds``): ``fold -> Runs``, the
    same seeds on each."""
    from .experiment import replicate

    return {f: replicate(model, variants, seeds, exp, train, **kwargs) for f, exp in _chosen(experiments, folds).items()}


def surprise_folds(experiments: dict, name: str, seeds, params: dict | None = None, variant: str | None = None,
                   *, folds=None) -> dict:
    """:func:`mmrec_core.experiment.surprise_reference` on every fold (or on ``folds``): ``fold -> Runs``."""
    from .experiment import surprise_reference

    return {f: surprise_reference(exp, name, seeds, params=params, variant=variant)
            for f, exp in _chosen(experiments, folds).items()}


@dataclass
class ModelOnFolds:
    """One variant of one model on several folds: ``runs`` is ``fold -> Runs`` holding ``variant``."""

    label: str          # how the tables name it ("SVD++ tuned")
    runs: dict
    variant: str
    model: str = ""     # the model name its per-fold rows are recorded under ("SVDpp"); blank: the label

    def values(self, subset: str = "test", metric: str = "rmse") -> pd.DataFrame:
        """One row per (fold, seed): the run's number (no row where the model ran on no fold)."""
        return pd.DataFrame([{"fold": f, "seed": o.seed, "value": o.metrics[subset][metric]}
                             for f, runs in self.runs.items() for o in runs.of(self.variant)],
                            columns=["fold", "seed", "value"])

    def pooled(self, subset: str = "test", metric: str = "rmse") -> dict:
        """Mean and std over every (fold, seed) run, the std of the fold means, and the counts; a
        model that ran on no fold has zero counts and blank numbers (a table row that says so)."""
        v = self.values(subset, metric)
        if v.empty:
            return {"model": self.label, "folds": 0, "runs": 0, "mean": np.nan, "std": np.nan,
                    "std_of_fold_means": np.nan}
        m, s = mean_std(v.value)
        fold_means = v.groupby("fold", sort=False).value.mean()
        return {"model": self.label, "folds": len(fold_means), "runs": len(v), "mean": m, "std": s,
                "std_of_fold_means": mean_std(fold_means)[1], **fold_means.to_dict()}


def folds_table(models: list[ModelOnFolds], subset: str = "test", metric: str = "rmse") -> pd.DataFrame:
    """Per model: the mean over seeds on each fold, then the mean ± std over all (fold, seed) runs."""
    if not models:
        raise ValueError("folds_table needs at least one model")
    frame = pd.DataFrame([m.pooled(subset, metric) for m in models])
    folds = [c for c in frame.columns if c not in ("model", "folds", "runs", "mean", "std", "std_of_fold_means")]
    return frame[["model", *folds, "mean", "std", "std_of_fold_means", "folds", "runs"]]


def pooled_split(runs_by_fold: dict) -> str:
    """The split name of a number pooled over the folds of ``fold -> Runs``: ``u1-u5-val5`` over all
    five canonical folds, else the folds joined (``u1+u2-val5``)."""
    from .data import canonical_split_name

    first = next(iter(runs_by_fold.values())).experiment.identity
    val_pct = first["split"].rsplit("-val", 1)[-1]
    folds = list(runs_by_fold)
    return (canonical_split_name(POOLED, int(val_pct) / 100) if folds == list(FOLDS)
            else "+".join(folds) + f"-val{val_pct}")


def _pooled_difference(a_fold_means, b_fold_means, a_label: str, b_label: str) -> dict:
    """``b - a`` over folds, paired by fold (each fold's number is its mean over seeds): the fold is
    the unit, since both models see the same training and test ratings of a fold. With its method
    and verdict in words (naming the better of ``a_label`` / ``b_label``); one fold gives no interval."""
    from .evaluate import seed_paired_difference, verdict

    res = seed_paired_difference(np.asarray(a_fold_means, float), np.asarray(b_fold_means, float))
    n = len(a_fold_means)
    res["method"] = (f"paired t over folds (n={n}; each fold's mean over seeds)" if n > 1
                     else "one fold: no interval")
    res["verdict"] = ("no interval (one fold)" if n < 2 else verdict(res["ci_low"], res["ci_high"])
                      .replace("a better", f"{a_label} better").replace("b better", f"{b_label} better"))
    return res


def compare_on_folds(a: "ModelOnFolds", b: "ModelOnFolds", subset: str = "test", metric: str = "rmse") -> pd.DataFrame:
    """Signed effect ``b - a`` of two models on every fold both ran on, then pooled over those folds.

    Per fold: Welch's interval over the two models' seeds (:func:`mmrec_core.experiment.compare_models`;
    kept in ``b``'s ``Runs`` of that fold, so its rows record it). Pooled: a paired t over the folds'
    means (the fold is the unit); :func:`fold_comparison_rows` records it. Negative: ``b`` is better."""
    from .experiment import compare_models

    folds = [f for f in a.runs if f in b.runs]
    if not folds:
        raise ValueError(f"{a.label!r} ran on {list(a.runs)} and {b.label!r} on {list(b.runs)}: no common fold")
    rows = []
    for f in folds:
        res = compare_models(a.runs[f], a.variant, b.runs[f], b.variant, subset, metric, a_label=a.label,
                             b_label=b.label).iloc[0]
        rows.append({"fold": f, "split": b.runs[f].experiment.identity["split"], "a": a.label, "b": b.label,
                     "mean_a": res.mean_a, "mean_b": res.mean_b, "n": int(res.n_seeds), "effect": res.effect,
                     "ci_low": res.ci_low,
                     "ci_high": res.ci_high, "p_value": res.p_value, "method": res.method, "verdict": res.verdict})
    va, vb = (m.values(subset, metric) for m in (a, b))
    ma = va[va.fold.isin(folds)].groupby("fold").value.mean()[folds]
    mb = vb[vb.fold.isin(folds)].groupby("fold").value.mean()[folds]
    res = _pooled_difference(ma.values, mb.values, a.label, b.label)
    pooled = {f: a.runs[f] for f in folds}
    rows.append({"fold": "pooled", "split": pooled_split(pooled), "a": a.label, "b": b.label,
                 "mean_a": float(ma.mean()), "mean_b": float(mb.mean()), "n": len(folds), "effect": res["effect"],
                 "ci_low": res["ci_low"], "ci_high": res["ci_high"], "p_value": res["p_value"], "method": res["method"],
                 "verdict": res["verdict"]})
    frame = pd.DataFrame(rows)
    frame.attrs.update(_pooled_provenance(b, f"{b.label}-vs-{a.label}", subset, metric))
    return frame


def _pooled_provenance(model: "ModelOnFolds", variant: str, subset: str, metric: str) -> dict:
    ident = next(iter(model.runs.values())).experiment.identity
    return {"dataset": ident["dataset"], "profile": ident["profile"], "model": model.model or model.label,
            "variant": variant.replace(" ", "_"), "subset": subset, "metric": metric}


def fold_comparison_rows(frame: pd.DataFrame, paper: str, table: str) -> list:
    """Result rows of the pooled rows of :func:`compare_on_folds` / :func:`fold_steps` (their per-fold
    rows are recorded by each fold's ``Runs``). A "pooled" row over one fold is that fold's own
    number, recorded there, so it adds no row."""
    from .results import ResultRow

    a = frame.attrs
    out = []
    for r in frame[frame.fold == "pooled"].itertuples():
        if r.n < 2:
            continue
        variant = a["variant"] if "step" not in frame.columns else f"{r.b}-vs-{r.a}".replace(" ", "_")
        out.append(ResultRow(paper=paper, table=table, dataset=a["dataset"], split=r.split, model=a["model"],
                             variant=variant, subset=a["subset"], metric=f"{a['metric']}_diff", value=float(r.effect),
                             n_seeds=int(r.n), ci_low=float(r.ci_low), ci_high=float(r.ci_high), p_value=float(r.p_value),
                             method=r.method, profile=a["profile"],
                             notes=f"{r.b} minus {r.a}; mean {r.mean_b:.4f} vs {r.mean_a:.4f}; {r.verdict}"))
    return out


def pooled_rows(model: ModelOnFolds, paper: str, table: str, recorded_model: str, variant: str = "",
                metrics=("rmse",), notes: str = "") -> list:
    """Result rows of numbers pooled over folds and seeds (split ``u1-u5-val5``): mean, std over runs.

    The per-fold rows come from each fold's ``Runs.rows`` / ``reference_rows``; these add the pooled
    number a reader compares with a published 5-fold figure."""
    from .results import ResultRow

    first = next(iter(model.runs.values())).experiment.identity
    folds = list(model.runs)
    out = []
    for metric in metrics:
        v = model.values("test", metric)
        m, s = mean_std(v.value)
        seeds = sorted(set(v.seed))
        out.append(ResultRow(paper=paper, table=table, dataset=first["dataset"],
                             split=pooled_split(model.runs),
                             model=recorded_model, variant=variant, subset="test", metric=metric, value=m, std=s,
                             n_seeds=len(v), profile=first["profile"],
                             notes=f"mean and std over {len(folds)} folds ({', '.join(folds)}) x seeds {seeds} "
                                   f"= {len(v)} runs" + (f"; {notes}" if notes else "")))
    return out


def page_settings(notebook: str, profile: str = "paper") -> dict:
    """The parameters a page runs with: its ``parameters`` cell's defaults, overlaid under the quick
    profile by ``configs/quick/<notebook>.yaml`` (what the runner passes)."""
    import yaml

    from .notebook import declared_parameters, quick_config

    params = declared_parameters(notebook)
    path = quick_config(notebook)
    if profile == "quick" and path.exists():
        params.update(yaml.safe_load(path.read_text()) or {})
    return params


def replica_variants(profile: str = "paper", threads: int | None = None, fusion_patience: int | None = None,
                     fusion_epochs: int | None = None) -> dict:
    """The replicas of Xia's Table 2 run on the folds, with the settings their own pages run
    (``23_aljunid``, ``21_mu``, ``20_xia_fusion``; :func:`page_settings`): ``model -> {variant: (config, train)}``.

    Aljunid (ids only), Mu single-modal (user and movie attributes, no poster), Mu cross-modal
    (with the poster CNN: it needs an experiment prepared with :func:`replica_poster_size` pixels) and
    the fusion transformer single- and cross-modal (Table 2's learning rate, width, depth, heads,
    batch and bf16 autocast). Aljunid and Mu single train in under a minute per run here and run on
    every fold; Mu cross and the fusion model take minutes per run and a page chooses their folds.

    fusion_patience: the fusion model's patience on the folds (default: 20_xia_fusion's). Its page
    stops after 3 epochs without a better validation RMSE, which stopped a Table 3 seed at epoch 5;
    a page can ask for a longer one.
    fusion_epochs: the fusion model's epoch cap on the folds (default: 20_xia_fusion's). A seed that
    reaches the cap has not converged, so a page raises it until none does; runs that stopped by
    patience under the lower cap are the same runs under the higher one (``replicate``'s
    ``shorter_caps``). Epochs are not printed
    (``progress=False``: fifty runs would fill the page); the runs' bar still shows."""
    from .models.aljunid import AljunidConfig
    from .models.fusion import FusionConfig
    from .models.mu import MuConfig
    from .train import TrainConfig

    a, m, f = (page_settings(n, profile) for n in ("23_aljunid", "21_mu", "20_xia_fusion"))
    aljunid = (AljunidConfig(embed_dim=a["EMBED_DIM"], hidden=tuple(a["HIDDEN"]), dropout=a["DROPOUT"]),
               TrainConfig(lr=a["LR"], epochs=a["EPOCHS"], batch_size=a["BATCH_SIZE"], patience=a["PATIENCE"],
                           device="auto", num_threads=threads, progress=False))
    mu_train = TrainConfig(lr=m["LR"], epochs=m["EPOCHS"], batch_size=m["BATCH_SIZE"], patience=m["PATIENCE"],
                           device="auto", num_threads=threads, progress=False)
    epochs = f["EPOCHS"] if fusion_epochs is None else int(fusion_epochs)
    if epochs < 1:
        raise ValueError(f"fusion_epochs must be at least 1, not {epochs}")
    patience = f["PATIENCE"] if fusion_patience is None else int(fusion_patience)
    if patience < 1 or patience >= epochs:
        raise ValueError(f"fusion_patience must be between 1 and the epoch cap ({epochs} - 1), not {patience}")
    fusion_train = TrainConfig(lr=f["TABLE2_LR"], epochs=epochs, batch_size=f["BATCH_SIZE"], patience=patience,
                               device="auto", bf16=f["BF16"], num_threads=threads, progress=False)
    fusion = {variant: (FusionConfig(d_model=f["D_MODEL"], n_layer=f["N_LAYER"], n_head=f["N_HEAD"], d_ff=4 * f["D_MODEL"],
                                     use_poster=variant == "cross"), fusion_train) for variant in ("single", "cross")}
    return {"aljunid": {"default": aljunid},
            "mu": {"single": (MuConfig(use_poster=False), mu_train), "cross": (MuConfig(use_poster=True), mu_train)},
            "fusion": fusion}


def replica_poster_size(profile: str = "paper") -> int:
    """The poster pixels (square) Mu cross-modal is trained on: ``21_mu``'s ``POSTER_SIZE``."""
    return int(page_settings("21_mu", profile)["POSTER_SIZE"])


def glocal_k_protocols(dataset: str = "ml-100k", protocols=("published", "ours"), hidden=None, epochs=None,
                       threads: int | None = None) -> dict:
    """GLocal-K's public settings for ``dataset`` under each protocol: ``protocol -> (model, train)``.

    hidden: the auto-encoder's widths (default the public code's 500, 500); epochs: ``(pre-training,
    fine-tuning)`` (default 30, 60 on ML-100K). Only the quick profile changes them."""
    from dataclasses import replace

    from .models.glocal_k import published_configs

    out = {}
    for protocol in protocols:
        model, train = published_configs(dataset, protocol=protocol, num_threads=threads)
        if hidden is not None:
            model = replace(model, hidden=tuple(int(h) for h in hidden))
        if epochs is not None:
            pre, fine = (int(e) for e in epochs)
            train = replace(train, epochs_pretrain=pre, epochs_finetune=fine)
        out[protocol] = (model, train)
    return out


def page_rows(paper: str, table: str, neural=(), surprise=None, pooled=(), blends=(), fold_comparisons=()) -> list:
    """Every result row of the literature page.

    neural: ``fold -> Runs`` of registry models (``Runs.rows`` per fold); surprise: ``model name ->
    (fold -> Runs)`` of Surprise fits (``reference_rows`` per fold, variant ``tuned``); pooled:
    :class:`ModelOnFolds` (recorded under the model and variant of their per-fold rows, split
    ``u1-u5-val5``, only where they ran on all five folds); blends: ``Runs`` of
    :func:`blend_steps` (:func:`blend_rows`); fold_comparisons: frames of :func:`compare_on_folds` /
    :func:`fold_steps` (their pooled rows, :func:`fold_comparison_rows`)."""
    from .experiment import reference_rows

    rows = []
    for by_fold in neural:
        for runs in by_fold.values():
            rows += runs.rows(paper=paper, table=table)
    for name, by_fold in (surprise or {}).items():
        for runs in by_fold.values():
            rows += reference_rows(runs, paper=paper, table=table, model=name, variant="tuned",
                                   notes="parameters chosen on the validation part of Xia's split (40_ours)")
    for model in pooled:
        if list(model.runs) == list(FOLDS):   # a pooled number only over all five canonical folds
            rows += pooled_rows(model, paper, table, model.model or model.label, model.variant)
    for blends_runs in blends:
        rows += blend_rows(blends_runs, paper, table)
    for frame in fold_comparisons:
        rows += fold_comparison_rows(frame, paper, table)
    return rows


# ------------------------------------------------------------------------------------ blend
def _seed_outcomes(runs, variant: str, seeds) -> dict:
    """``seed -> RunOutcome`` of ``variant``; a variant fitted once (deterministic) serves every seed."""
    outs = {o.seed: o for o in runs.of(variant)}
    if len(outs) == 1:
        only = next(iter(outs.values()))
        return {s: only for s in seeds}
    missing = [s for s in seeds if s not in outs]
    if missing:
        raise ValueError(f"variant {variant!r} has no run for seeds {missing} (it has {sorted(outs)})")
    return outs


def fit_blend(val_predictions: np.ndarray, y_val: np.ndarray) -> np.ndarray:
    """Least-squares weights ``[intercept, w_1, ..., w_k]`` of ``y ~ 1 + predictions`` (columns)."""
    x = np.column_stack([np.ones(len(y_val)), np.asarray(val_predictions, dtype=np.float64)])
    weights, *_ = np.linalg.lstsq(x, np.asarray(y_val, dtype=np.float64), rcond=None)
    return weights


def apply_blend(weights: np.ndarray, predictions: np.ndarray, rating_range=(1.0, 5.0)) -> np.ndarray:
    """The blend's ratings: ``1 + predictions`` times the weights, clipped to the rating range."""
    x = np.column_stack([np.ones(len(predictions)), np.asarray(predictions, dtype=np.float64)])
    return np.clip(x @ weights, *rating_range)


def blend_steps(members: list, seeds, experiment=None):
    """Blends of the first 1, 2, ..., k members, each fitted on validation, as one ``Runs``.

    members: ``[(label, Runs, variant), ...]`` in the order they join; every ``Runs`` on the same
    split. Variant ``i`` of the result is named by the members so far (``"HybridMF"``,
    ``"HybridMF +KNNBaseline"``, ...). For each seed the weights are fitted on the **validation**
    predictions of that seed's runs (a member fitted once serves every seed) and applied to its test
    predictions; ``Runs.compare(step_i, step_i+1)`` is then the paired effect of member ``i + 1``.
    """
    from .experiment import Runs

    if not members:
        raise ValueError("blend_steps needs at least one member")
    seeds = [int(s) for s in seeds]
    experiment = experiment or members[0][1].experiment
    split = experiment.identity["split"], experiment.identity["split_seed"]
    for label, runs, _ in members:
        ident = runs.experiment.identity
        if (ident["split"], ident["split_seed"]) != split:
            raise ValueError(f"blend member {label!r} is on split {ident['split']} (seed {ident['split_seed']}), "
                             f"not {split[0]} (seed {split[1]}): members must share the split")
    per_member = [(label, _seed_outcomes(runs, variant, seeds)) for label, runs, variant in members]
    y = {s: experiment.data[s]["rating"].numpy() for s in ("val", "test")}
    outcomes = []
    for k in range(1, len(members) + 1):
        name = " +".join(label for label, _ in per_member[:k])
        for seed in seeds:
            preds = {s: np.column_stack([outs[seed].predictions[f"{s}/predict"] for _, outs in per_member[:k]])
                     for s in ("val", "test")}
            for s, p in preds.items():
                if len(p) != len(y[s]):
                    raise ValueError(f"blend {name!r}: {s} predictions have {len(p)} rows, the split has {len(y[s])}")
            w = fit_blend(preds["val"], y["val"])
            out_pred = {f"{s}/predict": apply_blend(w, preds[s]).astype(np.float32) for s in ("val", "test")}
            metrics = {s: {m: METRICS[m](y[s], out_pred[f"{s}/predict"]) for m in ("rmse", "mae")}
                       for s in ("val", "test")}
            config = {"members": [label for label, _ in per_member[:k]],
                      "weights": [round(float(x), 6) for x in w]}
            outcomes.append(RunOutcome("blend", name, seed, config, {}, {}, 0, 0, 0.0, metrics, out_pred, {},
                                       "cpu", ""))
    return Runs(outcomes, experiment)


def fold_blends(members: list, seeds) -> dict:
    """:func:`blend_steps` on every fold the first member ran on: ``fold -> Runs``.

    members: ``[(label, fold -> Runs, variant), ...]`` in the order they join. On each fold the blend
    takes the leading members that ran there: a member missing from a fold ends that fold's chain
    (GLocal-K, run on u1 only, joins the blend there and nowhere else)."""
    if not members:
        raise ValueError("fold_blends needs at least one member")
    out = {}
    for fold in members[0][1]:
        chain = []
        for label, by_fold, variant in members:
            if fold not in by_fold:
                break
            chain.append((label, by_fold[fold], variant))
        out[fold] = blend_steps(chain, seeds)
    return out


def common_steps(blends_by_fold: dict) -> list:
    """The blends (variants of :func:`fold_blends`) made on every fold, in joining order."""
    runs = list(blends_by_fold.values())
    return [v for v in runs[0].variants if all(v in r.variants for r in runs[1:])]


def blend_on_folds(blends_by_fold: dict, step: int = -1) -> "ModelOnFolds":
    """One blend of :func:`fold_blends` made on every fold (default the largest) as a
    :class:`ModelOnFolds` recorded under model ``Blend``."""
    variant = common_steps(blends_by_fold)[step]
    return ModelOnFolds(f"Blend {variant}", blends_by_fold, variant, "Blend")


def fold_steps(blends_by_fold: dict) -> pd.DataFrame:
    """What each member adds to the blend, fold by fold and pooled over the folds.

    For the blends made on every fold (:func:`common_steps`), each against the one before it: per fold
    the paired t over seeds (:func:`compare_blends`, kept in that fold's ``Runs``), then a paired t over
    the folds' means (:func:`fold_comparison_rows` records it). Negative: the added member helps."""
    steps = common_steps(blends_by_fold)
    if len(steps) < 2:
        raise ValueError(f"fold_steps needs two blends made on every fold, found {steps}")
    folds = list(blends_by_fold)
    rows = []
    for a, b in zip(steps, steps[1:]):
        means = {v: [] for v in (a, b)}
        for f in folds:
            res = compare_blends(blends_by_fold[f], a, b).iloc[0]
            for v, col in ((a, "mean_a"), (b, "mean_b")):
                means[v].append(float(res[col]))
            rows.append({"step": b, "fold": f, "split": blends_by_fold[f].experiment.identity["split"], "a": a, "b": b,
                         "mean_a": res.mean_a, "mean_b": res.mean_b, "n": int(res.n_seeds), "effect": res.effect,
                         "ci_low": res.ci_low, "ci_high": res.ci_high, "p_value": res.p_value, "method": res.method,
                         "verdict": res.verdict})
        res = _pooled_difference(means[a], means[b], a, b)
        rows.append({"step": b, "fold": "pooled", "split": pooled_split(blends_by_fold), "a": a, "b": b,
                     "mean_a": float(np.mean(means[a])), "mean_b": float(np.mean(means[b])), "n": len(folds),
                     "effect": res["effect"], "ci_low": res["ci_low"], "ci_high": res["ci_high"],
                     "p_value": res["p_value"], "method": res["method"], "verdict": res["verdict"]})
    frame = pd.DataFrame(rows)
    ident = next(iter(blends_by_fold.values())).experiment.identity
    frame.attrs.update({"dataset": ident["dataset"], "profile": ident["profile"], "model": "Blend",
                        "variant": "", "subset": "test", "metric": "rmse"})
    return frame


def compare_blends(blends, a: str, b: str, method: str = "seed", n_boot: int = 2000) -> pd.DataFrame:
    """Signed test-RMSE effect ``b - a`` of two blends over the same seeds (negative: ``b`` is better).

    ``"seed"``: paired t over seeds (``Runs.compare``). ``"bootstrap"``: resamples seeds and test
    ratings (:func:`mmrec_core.evaluate.bootstrap_seed_rating_difference`), the interval to read
    when there are few seeds. Either is kept in ``blends.comparisons`` for :func:`blend_rows`."""
    from .evaluate import bootstrap_seed_rating_difference, verdict

    if method == "seed":
        return blends.compare(a, b)
    if method != "bootstrap":
        raise ValueError(f"method must be 'seed' or 'bootstrap', got {method!r}")
    ra, rb = ({o.seed: o for o in blends.of(v)} for v in (a, b))
    seeds = sorted(set(ra) & set(rb))
    y = blends.experiment.data["test"]["rating"].numpy()
    res = bootstrap_seed_rating_difference(y, np.stack([ra[s].predictions["test/predict"] for s in seeds]),
                                           np.stack([rb[s].predictions["test/predict"] for s in seeds]), n_boot=n_boot)
    va, vb = [ra[s].metrics["test"]["rmse"] for s in seeds], [rb[s].metrics["test"]["rmse"] for s in seeds]
    row = {"a": a, "b": b, "b_variant": b, "subset": "test", "metric": "rmse", "mean_a": float(np.mean(va)),
           "mean_b": float(np.mean(vb)), **res,
           "per_seed_b_minus_a": " ".join(f"{y2 - y1:+.4f}" for y1, y2 in zip(va, vb)),
           "verdict": verdict(res["ci_low"], res["ci_high"]).replace("a better", f"{a} better").replace("b better", f"{b} better")}
    blends.comparisons = [c for c in blends.comparisons
                          if (c["a"], c["b"], c["method"]) != (a, b, row["method"])] + [row]
    return pd.DataFrame([row])


def compare_steps(blends, method: str = "seed") -> pd.DataFrame:
    """Each blend against the one before it (same seeds): the effect of the member it adds."""
    steps = blends.variants
    if len(steps) < 2:
        raise ValueError("compare_steps needs at least two blends")
    return pd.concat([compare_blends(blends, a, b, method) for a, b in zip(steps, steps[1:])], ignore_index=True)


def blend_weights(blends) -> pd.DataFrame:
    """The fitted weights of every blend and seed: intercept and one column per member."""
    rows = []
    for o in blends.outcomes:
        row = {"blend": o.variant, "seed": o.seed, "intercept": o.config["weights"][0]}
        row.update(dict(zip(o.config["members"], o.config["weights"][1:])))
        rows.append(row)
    return pd.DataFrame(rows)


def blend_rows(blends, paper: str, table: str, model: str = "Blend", notes: str = "") -> list:
    """Result rows of :func:`blend_steps`: per blend the test mean and std over seeds, one row per seed,
    and each paired comparison made with ``blends.compare``."""
    from .results import ResultRow

    ident = blends.experiment.identity
    common = dict(paper=paper, table=table, dataset=ident["dataset"], split=ident["split"], model=model,
                  profile=ident["profile"])
    out = []
    for variant in blends.variants:
        outs = blends.of(variant)
        for metric in ("rmse", "mae"):
            m, s = mean_std([o.metrics["test"][metric] for o in outs])
            out.append(ResultRow(variant=variant, subset="test", metric=metric, value=m, std=s, n_seeds=len(outs),
                                 notes=f"linear blend of {outs[0].config['members']} fitted on validation per seed; "
                                       f"seeds {[o.seed for o in outs]}" + (f"; {notes}" if notes else ""), **common))
            out += [ResultRow(variant=variant, subset="test", metric=metric, seed=o.seed, value=o.metrics["test"][metric],
                              notes=f"weights {o.config['weights']}", **common) for o in outs]
    for c in blends.comparisons:
        out.append(ResultRow(variant=f"{c['b']}-vs-{c['a']}".replace(" ", "_"), subset=c["subset"],
                             metric=f"{c['metric']}_diff" + ("_bootstrap" if c["method"].startswith("bootstrap") else ""),
                             value=c["effect"], n_seeds=c["n_seeds"], ci_low=c["ci_low"],
                             ci_high=c["ci_high"], p_value=c["p_value"], method=c["method"],
                             notes=f"{c['b']} minus {c['a']}; per seed {c['per_seed_b_minus_a']}; {c['verdict']}",
                             **common))
    return out


def against_figure(values, figure: float, level: float = 0.95) -> dict:
    """Mean of per-run ``values`` with its t interval, and where it lies against a published ``figure``."""
    from scipy import stats

    v = np.asarray(values, dtype=np.float64)
    m = float(v.mean())
    if len(v) < 2:
        return {"mean": m, "ci_low": np.nan, "ci_high": np.nan, "figure": figure, "verdict": "one run: no interval"}
    half = float(stats.t.ppf(0.5 + level / 2, len(v) - 1) * v.std(ddof=1) / np.sqrt(len(v)))
    lo, hi = m - half, m + half
    where = ("below the figure" if hi < figure else "above the figure" if lo > figure
             else "not distinguishable from the figure")
    return {"mean": m, "ci_low": lo, "ci_high": hi, "figure": figure, "difference": m - figure, "verdict": where}


def versus_figure(runs, variant: str, figure: float, subset: str = "test", metric: str = "rmse") -> pd.DataFrame:
    """:func:`against_figure` of one variant's per-seed numbers, as a one-row table."""
    values = [o.metrics[subset][metric] for o in runs.of(variant)]
    return pd.DataFrame([{"variant": variant, "runs": len(values), **against_figure(values, figure)}])


def versus_figure_folds(model: "ModelOnFolds", figure: float, subset: str = "test", metric: str = "rmse") -> pd.DataFrame:
    """:func:`against_figure` of a model's fold means (each the mean over seeds): the fold is the unit,
    so the interval says how far the five test files alone move the number."""
    v = model.values(subset, metric)
    means = v.groupby("fold", sort=False).value.mean()
    return pd.DataFrame([{"model": model.label, "folds": len(means), "runs": len(v), **against_figure(means.values, figure)}])


def findings(glocal_k, glocal_k_figure: float, blend_u1, blend_on_folds: "ModelOnFolds", blend_vs_svdpp: pd.DataFrame,
             blend_xia, figure: float) -> dict:
    """The page's headline numbers for its closing prose (glued, never typed): GLocal-K's published-
    protocol mean against its ``glocal_k_figure`` and its optimism (published minus ours, paired over
    seeds); the largest blend on u1, pooled over the folds (and its pooled effect against SVD++) and
    on Xia's split, each against the landmark ``figure``."""
    out = {}
    pub = versus_figure(glocal_k, "published", glocal_k_figure).iloc[0]
    opt = glocal_k.compare("ours", "published").iloc[0]
    out.update(glocal_k_published=float(pub["mean"]), glocal_k_published_verdict=pub.verdict,
               glocal_k_optimism=float(opt.effect), glocal_k_optimism_low=float(opt.ci_low),
               glocal_k_optimism_high=float(opt.ci_high))
    for name, runs in (("blend_u1", blend_u1), ("blend_xia", blend_xia)):
        row = versus_figure(runs, runs.variants[-1], figure).iloc[0]
        out.update({name: float(row["mean"]), f"{name}_verdict": row.verdict, f"{name}_members": runs.variants[-1]})
    row = versus_figure_folds(blend_on_folds, figure).iloc[0]
    pooled = blend_vs_svdpp[blend_vs_svdpp.fold == "pooled"].iloc[0]
    out.update(blend_folds=float(row["mean"]), blend_folds_verdict=row.verdict, blend_folds_members=blend_on_folds.variant,
               blend_folds_vs_svdpp=float(pooled.effect), blend_folds_vs_svdpp_low=float(pooled.ci_low),
               blend_folds_vs_svdpp_high=float(pooled.ci_high))
    return out


def comparison_findings(frames: dict) -> dict:
    """Glue values of :func:`compare_on_folds` frames, ``name -> frame``: the pooled row where the two
    models shared more than one fold, else the one fold's row. Per name: ``<name>`` (effect b - a),
    ``<name>_low`` / ``_high`` (95% interval), ``<name>_b`` (b's mean), ``<name>_verdict`` and
    ``<name>_where`` (``pooled over 5 folds`` / ``on u1``)."""
    out = {}
    for name, frame in frames.items():
        pooled = frame[frame.fold == "pooled"]
        if pooled.empty:
            raise ValueError(f"{name}: not a compare_on_folds frame (no pooled row)")
        row = pooled.iloc[0] if pooled.n.iloc[0] >= 2 else frame[frame.fold != "pooled"].iloc[0]
        where = f"pooled over {int(row.n)} folds" if row.fold == "pooled" else f"on {row.fold}"
        out.update({name: float(row.effect), f"{name}_low": float(row.ci_low), f"{name}_high": float(row.ci_high),
                    f"{name}_b": float(row.mean_b), f"{name}_verdict": row.verdict, f"{name}_where": where})
    return out


def glocal_k_curves(runs, title: str = ""):
    """GLocal-K's RMSE per epoch: the validation curve of each ``ours`` run and the test curve of each
    ``published`` run (the curve whose minimum the public code reports), with the start of fine-tuning."""
    import matplotlib.pyplot as plt

    fig, ax = plt.subplots(figsize=(7, 4))
    start = None
    for o in runs.outcomes:
        h = o.history
        key = "test_rmse" if o.variant == "published" else "val_rmse"
        if key not in h:
            continue
        ax.plot(h["epoch"], h[key], "-" if o.variant == "published" else "--", lw=1, alpha=0.8,
                color="C3" if o.variant == "published" else "C0",
                label=f"{o.variant} s{o.seed}: {key.replace('_rmse', '')}")
        fine = [e for e, s in zip(h["epoch"], h["stage"]) if s == "finetune"]
        start = fine[0] if fine else start
    if start is not None:
        ax.axvline(start - 0.5, color="grey", lw=0.8)
        ax.text(start, ax.get_ylim()[1], " fine-tuning", va="top", fontsize=8, color="grey")
    ax.set_xlabel("epoch (one L-BFGS call)")
    ax.set_ylabel("RMSE")
    ax.set_title(title or "GLocal-K: RMSE per epoch")
    ax.grid(alpha=0.3)
    ax.legend(fontsize=7, ncol=2)
    fig.tight_layout()
    return fig


def show(frame: pd.DataFrame, caption: str = "", decimals: int = 4):
    """A table of this page as the book shows it: numbers to ``decimals`` places, a value that does
    not apply blank (never NaN), prose columns that wrap (:func:`mmrec_core.tables.page_table`)."""
    from .tables import page_table

    prose = [c for c in frame.columns if frame[c].dtype == object]
    styler = page_table(frame, caption, break_anywhere=prose)
    return styler.format(precision=decimals, na_rep="")


# ------------------------------------------------------------------------------------ the page's table
def literature_table(records: pd.DataFrame, profile: str = "paper") -> pd.DataFrame:
    """Each published figure of :data:`mmrec_core.papers.LITERATURE` beside ours under its protocol.

    ``records``: :func:`mmrec_core.results.read_results`; only rows of ``profile`` count (a quick
    run's numbers never stand beside a published figure as paper numbers). Ours is the recorded mean over seeds (or
    folds) of the row the figure names; where no such row exists the cell is empty and the
    ``status`` column says why (the figure's own ``not_rerun`` reason, or "not recorded yet").
    """
    from .papers import literature_figures
    from .results import over_seeds

    ours = over_seeds(records)
    ours = ours[(ours.slice_by == "") & (ours.profile == profile)] if len(ours) else ours
    rows = []
    for f in literature_figures().itertuples():
        row = {"model": f.model, "dataset": f.dataset, "protocol": f.protocol, "published": f.value,
               "source": f.source, "ours": np.nan, "± std": np.nan, "runs": np.nan, "difference": np.nan,
               "status": f.not_rerun, "optimistic": f.optimistic}
        if f.ours_table and not f.not_rerun:
            hit = ours[(ours.table == f.ours_table) & (ours.model == f.ours_model) & (ours.variant == f.ours_variant)
                       & (ours.split == f.ours_split) & (ours.subset == f.ours_subset) & (ours.metric == f.metric)
                       & (ours.dataset == f.dataset)]
            if hit.empty:
                row["status"] = f"not recorded yet (page {f.ours_page})"
            else:
                r = hit.iloc[0]
                row.update({"ours": float(r.value), "± std": r["std"], "runs": int(r.n_seeds),
                            "difference": float(r.value) - f.value, "status": f"re-run on page {f.ours_page}"})
        rows.append(row)
    return pd.DataFrame(rows)
