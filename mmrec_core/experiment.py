"""Train one (model, variant, seed), evaluate every subset, keep the result on disk.

``run_seed`` is what the notebooks loop over. Each run lives in its own folder under
``cache_home()/runs/`` named by a hash of everything that determines its numbers (model config,
training config, dataset, split, content encoders, and the source of the model and training code);
the trainer checkpoints there per epoch, and a
finished run leaves ``result.json`` and ``predictions.npz`` so a rerun of the notebook skips it.
"""
from __future__ import annotations

import hashlib
import json
import time
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from ..evaluate import rmse
from ..paths import cache_home, hash_package_sources

SKIP_IN_KEY = ("progress", "checkpoint_dir", "num_threads", "device", "eval_batch_size")
# Source files whose code determines a run's numbers: editing any of them retires cached runs.
CODE_FILES = ("models/fusion.py", "models/mu.py", "models/inputs.py", "models/poster_pixels.py",
              "models/experiment.py", "train.py", "evaluate.py")


def code_fingerprint(files=CODE_FILES) -> str:
    """Hash of the package source that trains and evaluates the models (part of every run key)."""
    h = hashlib.sha256()
    hash_package_sources(h, files)
    return h.hexdigest()[:12]


@dataclass
class RunOutcome:
    name: str
    seed: int
    history: dict
    best_epoch: int
    seconds: float
    metrics: dict            # subset -> {metric: value}
    predictions: dict        # "<subset>/<method>" -> array
    folder: Path
    reused: bool = False


def run_key(parts: dict) -> str:
    return hashlib.sha256(json.dumps(parts, sort_keys=True, default=str).encode()).hexdigest()[:10]


def run_seed(name: str, build, encoder, data: dict, train_cfg, *, identity: dict,
             methods: dict | None = None, root: str | Path | None = None) -> RunOutcome:
    """Train ``build()`` on ``data["train"]`` (early stopping on ``data["val"]``), evaluate all subsets.

    build:    zero-argument function returning a fresh model (called after seeding).
    identity: everything else that determines the numbers (dataset, split, encoders, model config).
    methods:  metric name -> model method returning ratings; default ``{"rmse": "predict"}``.
    """
    import torch

    from ..train import fit, predict, seed_everything

    methods = methods or {"rmse": "predict"}
    cfg_key = {k: v for k, v in train_cfg.to_dict().items() if k not in SKIP_IN_KEY}
    key = run_key({"name": name, "train": cfg_key, "identity": identity, "methods": methods,
                   "code": code_fingerprint()})
    folder = Path(root or cache_home() / "runs") / f"{name}-seed{train_cfg.seed}-{key}"
    folder.mkdir(parents=True, exist_ok=True)
    done = folder / "result.json"
    if done.exists():
        rec = json.loads(done.read_text())
        z = np.load(folder / "predictions.npz")
        return RunOutcome(name, train_cfg.seed, rec["history"], rec["best_epoch"], rec["seconds"],
                          rec["metrics"], {k: z[k] for k in z.files}, folder, reused=True)
    t0 = time.perf_counter()
    seed_everything(train_cfg.seed)
    model = build()
    train_cfg.checkpoint_dir = str(folder / "checkpoints")
    res = fit(model, data["train"], data["val"], train_cfg)
    metrics, preds = {}, {}
    for subset, tensors in data.items():
        y = tensors["rating"].numpy()
        metrics[subset] = {}
        for metric, method in methods.items():
            p = predict(model, tensors, method, train_cfg.eval_batch_size, bf16=train_cfg.bf16)
            preds[f"{subset}/{method}"] = p.astype(np.float32)
            metrics[subset][metric] = rmse(y, p)
    seconds = res.seconds + (time.perf_counter() - t0 - res.seconds)
    rec = {"name": name, "seed": train_cfg.seed, "history": res.history, "best_epoch": res.best_epoch,
           "seconds": seconds, "metrics": metrics, "device": res.device, "train_config": cfg_key,
           "identity": identity, "n_parameters": int(sum(p.numel() for p in model.parameters()))}
    np.savez(folder / "predictions.npz", **preds)
    done.write_text(json.dumps(rec, indent=1, default=str))
    for ckpt in (folder / "checkpoints").glob("*.pt"):   # keep the disk small: the result is kept
        ckpt.unlink()
    del model
    torch.cuda.empty_cache() if torch.cuda.is_available() else None
    return RunOutcome(name, train_cfg.seed, res.history, res.best_epoch, seconds, metrics, preds, folder)


def summarise(outcomes: list[RunOutcome]) -> dict:
    """subset -> metric -> (mean, std, n) over the seeds of one configuration."""
    from ..evaluate import mean_std

    out = {}
    for subset in outcomes[0].metrics:
        out[subset] = {}
        for metric in outcomes[0].metrics[subset]:
            vals = [o.metrics[subset][metric] for o in outcomes]
            m, s = mean_std(vals)
            out[subset][metric] = (m, s, len(vals))
    return out
