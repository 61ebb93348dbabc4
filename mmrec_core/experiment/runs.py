"""Many runs of one model: :func:`replicate` trains (or reuses) every variant and seed; :class:`Runs`
tables them, compares variants seed by seed and makes the typed result rows."""
from __future__ import annotations

import hashlib
import json
import warnings
from dataclasses import dataclass, field, replace
from pathlib import Path

import numpy as np
import pandas as pd

from ..evaluate import METRICS, bootstrap_seed_rating_difference, mean_std, seed_paired_difference, verdict, welch_difference
from ..hardware import bf16_warning
from ..run_cache import RunOutcome, run_task
from .inputs import Experiment, withhold_content


def content_ablation(model: str, arms: dict, seeds, experiment: Experiment, train, **kwargs) -> "Runs":
    """Train ``model`` once per arm and seed, each arm with some content tables withheld.

    arms: name -> (model config, content keys withheld), e.g. ``{"no content": (single, ("text_title",
    "text_plot")), "text": (single, ()), ...}``. An arm that withholds nothing is the same run as on
    the page that trained it and is reused from the run cache. All arms share the split and seeds,
    so :meth:`Runs.compare` pairs them seed by seed.
    """
    runs = None
    for name, (config, withheld) in arms.items():
        part = replicate(model, {name: config}, seeds, withhold_content(experiment, withheld), train, **kwargs)
        runs = part if runs is None else runs + part
    if runs is None:
        raise ValueError("content_ablation needs at least one arm")
    return Runs(runs.outcomes, experiment, trained_caps=runs.trained_caps)


def lr_sweep(config, train, rates) -> dict:
    """Variants that differ only in the learning rate: ``{"lr=0.001": (config, train(lr=0.001)), ...}``."""
    from ..papers import lr_variant

    return {lr_variant(lr): (config, replace(train, lr=float(lr))) for lr in rates}


def finished_run(model: str, config, train_cfg, experiment: Experiment, root: str | Path | None = None) -> dict | None:
    """The record (``result.json``) of the finished run ``run_one`` would serve for these arguments,
    from the run cache or (without ``root``) the run store, without training anything; None where
    neither holds it. The folder name is built as ``run_one`` builds it (a test pins the two together:
    this module is not part of the runs' code fingerprint, so editing it retires no run)."""
    from .. import run_store
    from ..models import get_model
    from ..paths import cache_home
    from ..run_cache import SKIP_IN_KEY, run_key

    entry = get_model(model)
    used = entry.content_used(config, experiment.encoder)
    cfg_key = {k: v for k, v in train_cfg.to_dict().items() if k not in SKIP_IN_KEY}
    key = run_key({"model": entry.name, "config": config.to_dict(), "train": cfg_key,
                   "identity": experiment.identity, "data": experiment.data_hash(used),
                   "metrics": entry.metrics, "code": entry.fingerprint()})
    name = f"{entry.name}-{experiment.identity['dataset']}-seed{train_cfg.seed}-{key}"
    done = (Path(root) if root else cache_home() / "runs") / name / "result.json"
    if done.exists():
        return json.loads(done.read_text())
    stored = run_store.load(run_store.store_dir(), name) if root is None else None
    return None if stored is None else stored[0]


def stopped_by_patience(record: dict, cap: int, patience: int) -> bool:
    """Whether a finished run stopped because its validation RMSE stopped improving, not at its cap."""
    ran = len(record["history"].get("epoch", []))
    return ran < cap or ran - int(record["best_epoch"]) >= patience


def _shorter_cap_run(task, shorter_caps) -> tuple:
    """(task, cap): the task to run and the epoch cap to report. A run whose own training config is
    not finished anywhere, but which finished under one of ``shorter_caps`` and stopped there by
    patience, is that shorter run: the trainer reads the cap only as the loop's bound (constant rate,
    early stopping on validation), so the same seed under a higher cap trains the same epochs and
    stops at the same one. It is reused and reported under the higher cap."""
    model, variant, config, tcfg, exp, root = task
    if not shorter_caps or finished_run(model, config, tcfg, exp, root) is not None:
        return task, tcfg.epochs
    if getattr(tcfg, "lr_schedule", "constant") != "constant":
        raise ValueError(f"shorter_caps: a {tcfg.lr_schedule!r} learning-rate schedule depends on the epoch cap, "
                         "so a run under a shorter cap is not the same run; leave shorter_caps empty")
    for cap in sorted(int(c) for c in shorter_caps if int(c) < tcfg.epochs):
        shorter = replace(tcfg, epochs=cap)
        rec = finished_run(model, config, shorter, exp, root)
        if rec is not None and stopped_by_patience(rec, cap, tcfg.patience):
            return (model, variant, config, shorter, exp, root), tcfg.epochs
    return task, tcfg.epochs


def replicate(model: str, variants: dict, seeds, experiment: Experiment, train=None, *,
              executor=None, root: str | Path | None = None, progress: bool = True, shorter_caps=()) -> "Runs":
    """Train (or reuse) ``model`` for every variant and seed; the same seeds for every variant.

    variants: name -> model config, or name -> (model config, training config).
    train:    the training config of variants given without one (its ``seed`` is replaced).
    executor: None (seeds one after another, in this process), a ``dask.distributed.Client`` or a
              ``concurrent.futures`` executor. Results and the run cache are the same either way.
    shorter_caps: epoch caps a run may have finished under before its cap was raised. A run that
              stopped there by patience is reused, reported under its training config's cap (it is
              the same run: :func:`_shorter_cap_run`); one that reached the shorter cap is trained
              again under the higher one.
    """
    from ..progress import progress_bar

    seeds = [int(s) for s in seeds]
    warned = []
    if not seeds:
        raise ValueError("replicate needs at least one seed")
    if len(set(seeds)) != len(seeds):
        raise ValueError(f"seeds must be distinct, got {seeds}")
    tasks = []
    for name, spec in variants.items():
        config, tcfg = spec if isinstance(spec, tuple) else (spec, train)
        if tcfg is None:
            raise ValueError(f"variant {name!r} has no training config: pass train= or (config, train)")
        slow = bf16_warning(tcfg.bf16, tcfg.device)
        if slow and slow not in warned:
            warnings.warn(slow, stacklevel=2)
            warned.append(slow)
        for seed in seeds:
            tasks.append((model, name, config, replace(tcfg, seed=seed), experiment, root))
    chosen = [_shorter_cap_run(t, shorter_caps) for t in tasks]
    tasks, caps = [t for t, _ in chosen], [c for _, c in chosen]
    if executor is None:
        outcomes = _run_in_turn(tasks, progress_bar(total=len(tasks), desc=f"{model} runs", enabled=progress))
    elif hasattr(executor, "gather"):   # dask.distributed.Client
        shared = executor.scatter(experiment, broadcast=True)
        futures = executor.map(run_task, [(*t[:4], shared, t[5]) for t in tasks], pure=False)
        outcomes = executor.gather(futures)
    else:                               # concurrent.futures.Executor
        outcomes = list(executor.map(run_task, tasks))
    outcomes = [o if t[3].epochs == cap else replace(o, epoch_cap=cap, train_config={**o.train_config, "epochs": cap})
                for o, t, cap in zip(outcomes, tasks, caps)]
    experiment.ledger.log(outcomes)
    trained_caps = {(t[1], t[3].seed): t[3].epochs for t, cap in zip(tasks, caps) if t[3].epochs != cap}
    return Runs(list(outcomes), experiment, trained_caps=trained_caps)


# Every run this process served, trained now or loaded from the run cache: run folder -> record.
# ``NotebookContext.record`` writes it beside the results (``<results>/training/<notebook>.json``), so
# ``benchmarks/bench_reproduction.py`` can add the training time of cached runs to a warm wall time.

def _run_in_turn(tasks, bar) -> list:
    """Run the tasks in order, but skip past a run that another process is training (two notebooks
    sharing the run cache then split the work) and come back to it; wait only when all that is left
    is being trained elsewhere. Outcomes come back in the order of ``tasks``."""
    done, pending = {}, list(range(len(tasks)))
    while pending:
        progressed = False
        for i in list(pending):
            out = run_task(tasks[i], wait=False)
            if out is not None:
                done[i], progressed = out, True
                pending.remove(i)
                bar.update(1)
        if pending and not progressed:   # every one left is locked by another process: wait for one
            i = pending.pop(0)
            done[i] = run_task(tasks[i], wait=True)
            bar.update(1)
    bar.close()
    return [done[i] for i in range(len(tasks))]


@dataclass
class Runs:
    """Finished runs of one model over variants and seeds, with tables, tests and result rows."""

    outcomes: list
    experiment: Experiment
    comparisons: list = field(default_factory=list)
    # (variant, seed) -> the shorter epoch cap a run was trained under, where it is reported under a
    # higher one (``replicate(shorter_caps=...)``); runs trained under their reported cap are absent
    trained_caps: dict = field(default_factory=dict)

    def __add__(self, other: "Runs") -> "Runs":
        return Runs(self.outcomes + other.outcomes, self.experiment, self.comparisons + other.comparisons,
                    {**self.trained_caps, **other.trained_caps})

    @property
    def variants(self) -> list[str]:
        return list(dict.fromkeys(o.variant for o in self.outcomes))

    def of(self, variant: str) -> list[RunOutcome]:
        out = sorted((o for o in self.outcomes if o.variant == variant), key=lambda o: o.seed)
        if not out:
            raise KeyError(f"no runs of variant {variant!r}; variants: {self.variants}")
        return out

    # ---------------------------------------------------------------------------- tables
    def log(self) -> pd.DataFrame:
        """One row per run: seed, best and stopping epoch against the cap (and the cap it was trained
        under, lower where a run that stopped by patience under a shorter cap is reused), test
        numbers, time."""
        rows = []
        for o in self.outcomes:
            row = {"variant": o.variant, "seed": o.seed, "best_epoch": o.best_epoch,
                   "epochs_run": o.epochs_run, "epoch_cap": o.epoch_cap,
                   "trained_under_cap": self.trained_caps.get((o.variant, o.seed), o.epoch_cap),
                   "best_below_cap": o.best_epoch < o.epoch_cap,
                   "val_rmse": min(o.history["val_rmse"]) if o.history.get("val_rmse") else np.nan}
            row.update({f"test_{m}": v for m, v in o.metrics.get("test", {}).items()})
            row.update(seconds=round(o.seconds, 1), device=o.device, reused=o.reused)
            rows.append(row)
        return pd.DataFrame(rows)

    def histories(self) -> dict:
        """``"<variant> s<seed>" -> history`` for :func:`mmrec_core.plots.loss_curves`."""
        return {f"{o.variant} s{o.seed}": o.history for o in self.outcomes}

    def summary(self, subsets=("train", "val", "test")) -> pd.DataFrame:
        """Mean and std over seeds per (variant, subset, metric); std is blank with one seed."""
        rows = []
        for variant in self.variants:
            runs = self.of(variant)
            for subset in subsets:
                for metric in runs[0].metrics.get(subset, {}):
                    m, s = mean_std([o.metrics[subset][metric] for o in runs])
                    rows.append({"variant": variant, "subset": subset, "metric": metric, "mean": m,
                                 "std": s, "n_seeds": len(runs),
                                 "best_epochs": " ".join(str(o.best_epoch) for o in runs),
                                 "epoch_cap": max(o.epoch_cap for o in runs)})
        return pd.DataFrame(rows)

    # ---------------------------------------------------------------------------- tests
    def compare(self, a: str, b: str, subset: str = "test", metric: str = "rmse",
                method: str = "seed", n_boot: int = 2000) -> pd.DataFrame:
        """Signed effect ``b - a`` of two variants on the same split, seed by seed.

        method ``"seed"``: per-seed metric differences, Student-t interval and paired t-test over
        seeds. ``"bootstrap"``: resamples seeds and test ratings. Only seeds run for both count.
        The result (one row, plus the per-seed differences) is also kept for :meth:`rows`.
        """
        ra = {o.seed: o for o in self.of(a)}
        rb = {o.seed: o for o in self.of(b)}
        seeds = sorted(set(ra) & set(rb))
        if not seeds:
            raise ValueError(f"variants {a!r} and {b!r} share no seed")
        va = [ra[s].metrics[subset][metric] for s in seeds]
        vb = [rb[s].metrics[subset][metric] for s in seeds]
        if method == "seed":
            res = seed_paired_difference(va, vb)
        elif method == "bootstrap":
            from ..models import get_model

            pred_method, fn = get_model(ra[seeds[0]].model).metrics[metric]
            key = f"{subset}/{pred_method}"
            y = self.experiment.data[subset]["rating"].numpy()
            res = bootstrap_seed_rating_difference(y, np.stack([ra[s].predictions[key] for s in seeds]),
                                                   np.stack([rb[s].predictions[key] for s in seeds]),
                                                   n_boot=n_boot, metric=METRICS[fn])
        else:
            raise ValueError(f"method must be 'seed' or 'bootstrap', got {method!r}")
        row = {"a": a, "b": b, "b_variant": b, "subset": subset, "metric": metric, "mean_a": float(np.mean(va)),
               "mean_b": float(np.mean(vb)), **res,
               "per_seed_b_minus_a": " ".join(f"{y - x:+.4f}" for x, y in zip(va, vb)),
               "verdict": verdict(res["ci_low"], res["ci_high"]).replace("a better", f"{a} better")
               .replace("b better", f"{b} better")}
        self.comparisons = [c for c in self.comparisons
                            if (c["a"], c["b"], c["subset"], c["metric"], c["method"])
                            != (a, b, subset, metric, row["method"])] + [row]
        return pd.DataFrame([row])

    # ---------------------------------------------------------------------------- rows
    def _encoders(self, runs) -> tuple[str, str]:
        content = runs[0].content
        text = [k for k in content if k.startswith("text")]
        names = sorted({content[k] for k in text})
        enc_text = (f"{names[0]} ({'; '.join(k.removeprefix('text_') for k in text)})"
                    if len(names) == 1 else "; ".join(f"{content[k]} ({k})" for k in text))
        image = [content[k] for k in ("image", "pixels") if k in content]
        enc_image = image[0] + (" CNN (end to end)" if "pixels" in content else "") if image else ""
        return enc_text, enc_image

    def rows(self, paper: str, table: str, model: str | None = None, notes: str = "",
             variant_names: dict | None = None) -> list:
        """Result rows: one per run, subset and metric (its seed in ``seed``, with the run's epochs,
        patience, cap, config hash, code fingerprint, feature hash, run key and device), the mean and
        std over seeds of each (:func:`~mmrec_core.evaluate.mean_std`), the epochs over seeds, and each
        comparison made.

        ``model`` defaults to the registry label; ``variant_names`` maps variant -> recorded name.
        """
        from ..models import get_model
        from ..results import ResultRow

        ident = self.experiment.identity
        rename = variant_names or {}
        out = []
        for variant in self.variants:
            runs = self.of(variant)
            entry = get_model(runs[0].model)
            label = model or entry.label
            enc_text, enc_image = self._encoders(runs)
            seeds = [o.seed for o in runs]
            lr = runs[0].train_config.get("lr")
            shared = shared_run_fields(runs)
            common = dict(paper=paper, table=table, dataset=ident["dataset"], split=ident["split"],
                          model=label, variant=rename.get(variant, variant), profile=ident["profile"],
                          encoder_text=enc_text, encoder_image=enc_image)
            over = dict(common, n_seeds=len(runs), seconds=round(sum(o.seconds for o in runs), 1), **shared)
            base = (f"seeds {seeds}; lr {lr:g}; split seed {ident['split_seed']}; eval mode at the best epoch"
                    + (f"; {notes}" if notes else ""))
            for subset in ("train", "val", "test"):
                for metric in runs[0].metrics.get(subset, {}):
                    m, s = mean_std([o.metrics[subset][metric] for o in runs])
                    out.append(ResultRow(subset=subset, metric=metric, value=m, std=s, notes=base, **over))
            for metric, values in (("best_epoch", [o.best_epoch for o in runs]),
                                   ("epochs_run", [o.epochs_run for o in runs])):
                m, s = mean_std(values)
                out.append(ResultRow(subset="train", metric=metric, value=m, std=s, **over))
            out.append(ResultRow(subset="train", metric="best_epoch_max", value=float(max(o.best_epoch for o in runs)),
                                 **over))
            for o in runs:  # one row per run: later pages compare with the seed as the unit
                run = dict(common, seed=o.seed, seconds=round(o.seconds, 1), **run_fields(o))
                for subset in ("train", "val", "test"):
                    for metric, value in o.metrics.get(subset, {}).items():
                        out.append(ResultRow(subset=subset, metric=metric, value=value, **run))
        for c in self.comparisons:
            runs = self.of(c["b_variant"])
            enc_text, enc_image = self._encoders(runs)
            out.append(ResultRow(
                paper=paper, table=table, dataset=ident["dataset"], split=ident["split"],
                model=model or get_model(runs[0].model).label,
                variant=f"{rename.get(c['b'], c['b'])}-vs-{rename.get(c['a'], c['a'])}".replace(" ", "_"),
                subset=c["subset"], metric=f"{c['metric']}_diff" + ("_bootstrap" if c["method"].startswith("bootstrap") else ""),
                value=c["effect"], n_seeds=c["n_seeds"],
                ci_low=c["ci_low"], ci_high=c["ci_high"], p_value=c["p_value"], method=c["method"],
                profile=ident["profile"], encoder_text=enc_text, encoder_image=enc_image,
                notes=f"{c['b']} minus {c['a']} (negative: {c['b']} has the lower {c['metric']}); "
                      f"per seed {c['per_seed_b_minus_a']}; {c['verdict']}"))
        return out


RUN_FIELDS = ("best_epoch", "epochs_run", "patience", "epoch_cap", "config_hash", "code_fingerprint",
              "feature_hash", "run_key", "device")


def run_fields(o) -> dict:
    """The typed run fields (:data:`RUN_FIELDS`) of one :class:`RunOutcome` for its result rows."""
    config = json.dumps({"model": o.config, "train": o.train_config}, sort_keys=True, default=str)
    return {"best_epoch": int(o.best_epoch), "epochs_run": int(o.epochs_run),
            "patience": o.train_config.get("patience"), "epoch_cap": int(o.epoch_cap),
            "config_hash": hashlib.sha256(config.encode()).hexdigest()[:12] if o.config else "",
            "code_fingerprint": o.fingerprint, "feature_hash": o.data_hash,
            "run_key": Path(o.folder).name if o.folder else "", "device": o.device}


def shared_run_fields(runs) -> dict:
    """The run fields of a variant's rows over seeds: those every seed shares; the devices joined and
    the largest cap where the seeds differ."""
    fields = [run_fields(o) for o in runs]
    out = {}
    for name in ("patience", "epoch_cap", "config_hash", "code_fingerprint", "feature_hash", "device"):
        values = {f[name] for f in fields}
        if len(values) == 1:
            out[name] = values.pop()
        elif name == "device":
            out[name] = ", ".join(sorted(map(str, values)))
        elif name == "epoch_cap":
            out[name] = max(values)
    return out


def recorded(frame: pd.DataFrame, experiment: Experiment, table: str, model: str, variant: str,
             subset: str = "test") -> "Runs":
    """Per-run numbers another page recorded (rows with a ``seed``) as ``Runs``, for
    :func:`compare_models` without retraining. Only rows on the experiment's dataset and split."""
    ident = experiment.identity
    rows = frame[(frame.table == table) & (frame.model == model) & (frame.variant == variant)
                 & (frame.subset == subset) & (frame.dataset == ident["dataset"]) & (frame.split == ident["split"])
                 & frame.seed.notna() & (frame.slice_by == "")]
    if rows.empty:
        raise LookupError(f"no per-run rows of {model} {variant!r} in table {table!r} on "
                          f"{ident['dataset']}/{ident['split']}: run that model's notebook first")
    by_seed: dict = {}
    for r in rows.itertuples():
        by_seed.setdefault(int(r.seed), {})[r.metric] = float(r.value)
    outcomes = [RunOutcome(f"recorded:{model}", variant, seed, {}, {}, {}, 0, 0, 0.0, {subset: m}, {}, {},
                           "", "", True) for seed, m in sorted(by_seed.items())]
    return Runs(outcomes, experiment)


def compare_models(a: "Runs", a_variant: str, b: "Runs", b_variant: str, subset: str = "test",
                   metric: str = "rmse", a_label: str | None = None, b_label: str | None = None) -> pd.DataFrame:
    """Signed effect ``b - a`` between variants of two *different* models on the same split.

    Their seeds are not paired, so the interval is Welch's over the per-seed values
    (:func:`~mmrec_core.evaluate.welch_difference`). The comparison is kept in ``b.comparisons``
    and recorded by ``b.rows()`` as ``<b_label>-vs-<a_label>``.
    """
    if a.experiment.identity["split"] != b.experiment.identity["split"] or (
            a.experiment.identity["split_seed"] != b.experiment.identity["split_seed"]):
        raise ValueError("compare_models needs both models on the same split and split seed")
    va = [o.metrics[subset][metric] for o in a.of(a_variant)]
    vb = [o.metrics[subset][metric] for o in b.of(b_variant)]
    res = welch_difference(va, vb)
    a_label = a_label or f"{a.outcomes[0].model}:{a_variant}"
    b_label = b_label or f"{b.outcomes[0].model}:{b_variant}"
    row = {"a": a_label, "b": b_label, "b_variant": b_variant, "subset": subset, "metric": metric,
           "mean_a": float(np.mean(va)), "mean_b": float(np.mean(vb)), **res,
           "per_seed_b_minus_a": f"a {np.round(va, 4).tolist()} b {np.round(vb, 4).tolist()}",
           "verdict": verdict(res["ci_low"], res["ci_high"]).replace("a better", f"{a_label} better")
           .replace("b better", f"{b_label} better")}
    b.comparisons = [c for c in b.comparisons if (c["a"], c["b"], c["subset"], c["metric"]) !=
                     (a_label, b_label, subset, metric)] + [row]
    return pd.DataFrame([row])
