"""One training run and the run cache: the code whose edits retire cached runs.

Each run lives in ``cache_home()/runs/<model>-<dataset>-seed<s>-<key>/``. The key hashes
everything that determines its numbers: the model config, the training config, the dataset and
split identity, a hash of the exact input tensors and content tables the model reads (a change of
encoder weights or precision gives new features and therefore new runs) and the model's code
fingerprint from the registry (its file plus this module, the trainer, the input encoder and the
metrics). The trainer checkpoints there every epoch, so an interrupted run resumes; a finished run
leaves ``result.json`` and ``predictions.npz`` and is not trained again; a long one is also kept in
the committed run store (:mod:`mmrec_core.run_store`), where a fresh machine finds it. A run holds an exclusive
lock on its folder while it loads or trains, so two processes that share the cache (two notebooks
run side by side) never train the same run twice: the second waits and then reuses the result.
"""
from __future__ import annotations

import contextlib
import copy
import fcntl
import hashlib
import json
import time
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from . import run_store
from .evaluate import METRICS
from .paths import cache_home

# Training options that do not change the numbers (left out of the run key).
SKIP_IN_KEY = ("progress", "checkpoint_dir", "num_threads", "device", "eval_batch_size")


@dataclass
class RunOutcome:
    model: str                 # registry name
    variant: str
    seed: int
    config: dict               # model config
    train_config: dict         # training config (as keyed)
    history: dict
    best_epoch: int
    epoch_cap: int
    seconds: float
    metrics: dict              # subset -> {metric: value}
    predictions: dict          # "<subset>/<method>" -> array
    content: dict              # content key -> encoder name (what the model read)
    device: str
    folder: str
    reused: bool = False
    fingerprint: str = ""      # the model's code fingerprint when it was trained (registry)
    data_hash: str = ""        # hash of the input tensors and content tables it read

    @property
    def epochs_run(self) -> int:
        return len(self.history.get("epoch", []))


def run_key(parts: dict) -> str:
    return hashlib.sha256(json.dumps(parts, sort_keys=True, default=str).encode()).hexdigest()[:10]


@contextlib.contextmanager
def run_lock(folder: Path, wait: bool = True):
    """Hold an exclusive lock on one run's folder; yields whether it was taken.

    wait=True blocks while another process holds it; wait=False yields False at once instead.
    """
    with open(folder / ".lock", "a") as fh:
        try:
            fcntl.flock(fh, fcntl.LOCK_EX if wait else fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            yield False
            return
        try:
            yield True
        finally:
            fcntl.flock(fh, fcntl.LOCK_UN)


def run_one(model: str, config, train_cfg, experiment, *, variant: str = "",
            root: str | Path | None = None, wait: bool = True) -> RunOutcome | None:
    """Train one (model, config, seed) with early stopping on validation RMSE, or load it.

    wait=False returns None at once when another process is training this run (see ``run_lock``).
    A run is looked up in the run cache, then (unless ``root`` is given) in the run store
    (:mod:`mmrec_core.run_store`: runs another machine trained, committed with the results), and
    trained only when neither holds it. A run from the store has no ``train`` subset predictions.

    Every subset is then evaluated in eval mode with the best epoch's weights (the tested
    checkpoint): train numbers are not running averages with dropout on.
    """
    import torch

    from .models import get_model
    from .train import predict, seed_everything

    entry = get_model(model)
    train_cfg = copy.deepcopy(train_cfg)
    used = entry.content_used(config, experiment.encoder)
    cfg_key = {k: v for k, v in train_cfg.to_dict().items() if k not in SKIP_IN_KEY}
    fingerprint, data_hash = entry.fingerprint(), experiment.data_hash(used)
    key = run_key({"model": entry.name, "config": config.to_dict(), "train": cfg_key,
                   "identity": experiment.identity, "data": data_hash,
                   "metrics": entry.metrics, "code": fingerprint})
    folder = (Path(root) if root else cache_home() / "runs") / (
        f"{entry.name}-{experiment.identity['dataset']}-seed{train_cfg.seed}-{key}")
    folder.mkdir(parents=True, exist_ok=True)
    store = run_store.store_dir() if root is None else None    # an explicit cache root (tests) has no store
    with run_lock(folder, wait) as taken:
        if not taken:
            return None
        content = {k: experiment.encoder.content[k].encoder for k in used}
        done = folder / "result.json"
        stored = None
        if done.exists():
            rec = json.loads(done.read_text())
            with np.load(folder / "predictions.npz") as z:
                preds = {k: z[k] for k in z.files}
            if store is not None and run_store.worth_storing(rec, preds):
                run_store.save(store, folder.name, rec, preds)      # a run cached before the store
        else:
            stored = run_store.load(store, folder.name)
        if done.exists() or stored is not None:
            rec, preds = stored if stored is not None else (rec, preds)
            return RunOutcome(entry.name, variant, rec["seed"], rec["config"], rec["train_config"],
                              rec["history"], rec["best_epoch"], rec["epoch_cap"], rec["seconds"],
                              rec["metrics"], preds, rec["content"], rec["device"],
                              str(folder if stored is None else store / folder.name), reused=True,
                              fingerprint=fingerprint, data_hash=data_hash)
        t0 = time.perf_counter()
        seed_everything(train_cfg.seed)
        net = entry.build_model(config, experiment.encoder)
        train_cfg.checkpoint_dir = str(folder / "checkpoints")
        res = entry.fit_model(net, experiment.data, train_cfg)
        metrics, preds = {}, {}
        for subset, tensors in experiment.data.items():
            y = tensors["rating"].numpy()
            metrics[subset] = {}
            for metric, (method, fn) in entry.metrics.items():
                name = f"{subset}/{method}"
                if name not in preds:
                    preds[name] = predict(net, tensors, method, train_cfg.eval_batch_size,
                                          bf16=train_cfg.bf16).astype(np.float32)
                metrics[subset][metric] = METRICS[fn](y, preds[name])
        # wall time of this process, plus the epochs an interrupted earlier process had already done
        seconds = time.perf_counter() - t0 + float(sum(res.history.get("seconds", [])[:res.resumed_from]))
        rec = {"model": entry.name, "seed": train_cfg.seed, "config": config.to_dict(), "train_config": cfg_key,
               "history": res.history, "best_epoch": res.best_epoch, "epoch_cap": train_cfg.epochs,
               "seconds": seconds, "resumed_from": res.resumed_from, "metrics": metrics, "content": content, "device": res.device,
               "identity": experiment.identity, "n_parameters": int(sum(p.numel() for p in net.parameters()))}
        np.savez(folder / "predictions.npz", **preds)
        partial = folder / "result.json.partial"   # written whole, then renamed: never half a result
        partial.write_text(json.dumps(rec, indent=1, default=str))
        partial.replace(done)
        if store is not None and run_store.worth_storing(rec, preds):
            run_store.save(store, folder.name, rec, preds)
        for ckpt in (folder / "checkpoints").glob("*.pt"):   # keep the disk small: the result is kept
            ckpt.unlink()
        del net
        if torch.cuda.is_available():
            torch.cuda.empty_cache()
        return RunOutcome(entry.name, variant, train_cfg.seed, config.to_dict(), cfg_key, res.history,
                          res.best_epoch, train_cfg.epochs, seconds, metrics, preds, content, res.device,
                          str(folder), fingerprint=fingerprint, data_hash=data_hash)


def run_task(args, wait: bool = True) -> RunOutcome | None:
    """``run_one`` on a (model, variant, config, train config, experiment, root) tuple (for executors)."""
    model, variant, config, train_cfg, experiment, root = args
    return run_one(model, config, train_cfg, experiment, variant=variant, root=root, wait=wait)
