"""One training loop for every neural replica (after minGPT's model-agnostic trainer).

A model exposes ``forward(batch) -> (output, loss)`` and ``predict(batch) -> ratings``; when it also
has ``output_to_rating(output)``, the running training RMSE is logged from the outputs it already
computed. Data are dicts of equal-length tensors (see :mod:`mmrec_core.inputs`); a batch is
the same dict indexed by a slice of a seeded permutation.

- Seeded and deterministic on CPU: the same seed gives the same numbers (the shuffle of epoch e
  comes from a generator seeded with (seed, e), so a resumed run shuffles exactly as an
  uninterrupted one, and the torch RNG state is stored in each checkpoint for dropout).
- ``device="auto"``: CUDA when available, else CPU.
- ``bf16=True``: bfloat16 autocast for the forward pass (CPU and CUDA); weights, optimizer and loss
  stay float32. Leave it off where it costs accuracy (the notebooks compare).
- Early stopping on validation RMSE with ``patience``; the best epoch's weights are restored.
- ``lr_schedule="cosine"``: ``torch.optim.lr_scheduler.CosineAnnealingLR`` with ``T_max = t_max``
  epochs, stepped once per epoch (the TSEM report's scheduler). Past ``t_max`` the rate climbs
  again (torch's cosine is periodic), which is what the report shows as a jump in validation loss.
- Data schedule (the TSEM report: "we allowed more training data once the overall model loss
  achieved 0.61"): ``initial_fraction < 1`` trains on that seeded fraction of the training ratings;
  with ``grow_at_val_mse`` set, every rating is used from the epoch after validation MSE first
  reaches that value; without it the fraction stays (a "less data" run). Off by default.
- A checkpoint per epoch (model + optimizer + epoch + history + config + RNG state) in
  ``checkpoint_dir``; a rerun with the same directory resumes after the last finished epoch, and a
  finished run is not trained again. Loaded with ``torch.load(..., weights_only=True)``.
"""
from __future__ import annotations

import contextlib
import json
import math
import time
from dataclasses import asdict, dataclass, field
from pathlib import Path

import numpy as np

from .device import resolve_device  # noqa: F401  (re-exported: the trainer's device rule)
from .progress import progress_bar


@dataclass
class TrainConfig:
    lr: float = 5e-4                 # Adam(W) learning rate (Xia et al.'s best: 5e-4)
    epochs: int = 10                 # maximum epochs
    batch_size: int = 512            # ratings per optimizer step
    weight_decay: float = 0.0        # AdamW decoupled weight decay
    patience: int = 2                # epochs without a better validation RMSE before stopping
    seed: int = 0                    # model initialisation, shuffling, dropout
    device: str = "auto"             # auto | cpu | cuda | cuda:N
    bf16: bool = False               # bfloat16 autocast for forward/backward matmuls
    grad_clip: float | None = 1.0    # max gradient norm (None: no clipping)
    eval_batch_size: int = 4096      # ratings per forward pass when evaluating
    checkpoint_dir: str | None = None  # per-epoch checkpoints; a rerun resumes from here
    num_threads: int | None = None   # torch CPU threads (None: leave torch's default)
    progress: bool = True            # tqdm progress bar
    max_batches_per_epoch: int | None = None  # cap (tests, quick profile); None: the whole train set
    lr_schedule: str = "constant"    # constant | cosine (CosineAnnealingLR over t_max epochs)
    t_max: int = 15                  # cosine: epochs of one half-period
    initial_fraction: float = 1.0    # data schedule: fraction of the training ratings used at first
    grow_at_val_mse: float | None = None  # data schedule: use every rating once val MSE <= this

    def to_dict(self) -> dict:
        return asdict(self)


@dataclass
class TrainResult:
    history: dict                     # lists per epoch: epoch, train_loss, train_rmse, val_loss, val_rmse, seconds
    best_epoch: int
    best_val_rmse: float
    seconds: float
    resumed_from: int = 0             # epochs already done when this call started
    device: str = "cpu"
    config: dict = field(default_factory=dict)


def seed_everything(seed: int) -> None:
    import random

    import torch

    random.seed(seed)
    np.random.seed(seed % (2 ** 32))
    torch.manual_seed(seed)
    if torch.cuda.is_available():
        torch.cuda.manual_seed_all(seed)


def autocast(device, enabled: bool):
    import torch

    if not enabled:
        return contextlib.nullcontext()
    return torch.autocast(device_type=device.type, dtype=torch.bfloat16)


def n_rows(data: dict) -> int:
    return len(next(iter(data.values())))


def take(data: dict, idx, device) -> dict:
    return {k: v[idx].to(device, non_blocking=True) for k, v in data.items()}


def predict(model, data: dict, method: str = "predict", batch_size: int = 4096,
            device: str | None = None, bf16: bool = False) -> np.ndarray:
    """Call ``model.<method>(batch)`` over ``data`` in eval mode; concatenated as numpy."""
    import torch

    dev = next(model.parameters()).device if device is None else resolve_device(device)
    was_training = model.training
    model.eval()
    out = []
    with torch.no_grad(), autocast(dev, bf16):
        n = n_rows(data)
        for start in range(0, n, batch_size):
            idx = torch.arange(start, min(start + batch_size, n))
            out.append(getattr(model, method)(take(data, idx, dev)).float().cpu())
    model.train(was_training)
    return torch.cat(out).numpy() if out else np.zeros(0, np.float32)


def evaluate(model, data: dict, batch_size: int = 4096, bf16: bool = False) -> tuple[float, float]:
    """(mean loss, RMSE of ``predict``) over ``data`` in eval mode."""
    import torch

    dev = next(model.parameters()).device
    was_training = model.training
    model.eval()
    n = n_rows(data)
    loss_sum, sq = 0.0, 0.0
    with torch.no_grad(), autocast(dev, bf16):
        for start in range(0, n, batch_size):
            idx = torch.arange(start, min(start + batch_size, n))
            batch = take(data, idx, dev)
            output, loss = model(batch)
            loss_sum += float(loss) * len(idx)
            pred = _to_rating(model, output, batch)
            sq += float(((pred.float() - batch["rating"]) ** 2).sum())
    model.train(was_training)
    return loss_sum / n, math.sqrt(sq / n)


def _to_rating(model, output, batch):
    if hasattr(model, "output_to_rating"):
        return model.output_to_rating(output)
    return model.predict(batch)


def _save(path: Path, state: dict) -> None:
    import torch

    tmp = path.with_suffix(".tmp")
    torch.save(state, tmp)
    tmp.replace(path)


def _same_run(saved: dict, cfg: TrainConfig) -> bool:
    keys = ("lr", "batch_size", "weight_decay", "seed", "bf16", "grad_clip", "max_batches_per_epoch",
            "lr_schedule", "t_max", "initial_fraction", "grow_at_val_mse")
    return all(saved.get(k) == getattr(cfg, k) for k in keys)


def fit(model, train: dict, val: dict, cfg: TrainConfig, *, stop_after_epochs: int | None = None
        ) -> TrainResult:
    """Train ``model`` in place; return the history. The best validation epoch's weights are loaded.

    ``stop_after_epochs`` ends this call after that many epochs of *this* call (used by the tests
    to simulate an interrupted run); the checkpoint then lets a rerun resume.
    """
    import torch

    if cfg.num_threads:
        torch.set_num_threads(cfg.num_threads)
    torch.set_flush_denormal(True)  # denormal Adam moments make CPU steps several times slower
    device = resolve_device(cfg.device)
    seed_everything(cfg.seed)
    model.to(device)
    opt = torch.optim.AdamW(model.parameters(), lr=cfg.lr, weight_decay=cfg.weight_decay,
                            fused=device.type in ("cpu", "cuda"))
    sched = _scheduler(opt, cfg)
    history = {k: [] for k in ("epoch", "train_loss", "train_rmse", "val_loss", "val_rmse", "seconds",
                               "lr", "train_fraction")}
    best = {"epoch": 0, "val_rmse": float("inf"), "state": None}
    start_epoch, done = 0, False
    ckpt_dir = Path(cfg.checkpoint_dir) if cfg.checkpoint_dir else None
    if ckpt_dir is not None:
        ckpt_dir.mkdir(parents=True, exist_ok=True)
        last = ckpt_dir / "last.pt"
        if last.exists():
            state = torch.load(last, map_location=device, weights_only=True)
            if _same_run(json.loads(state["config"]), cfg):
                model.load_state_dict(state["model"])
                opt.load_state_dict(state["optimizer"])
                if sched is not None and "scheduler" in state:
                    sched.load_state_dict(json.loads(state["scheduler"]))
                history = {**history, **{k: list(v) for k, v in json.loads(state["history"]).items()}}
                start_epoch, done = int(state["epoch"]), bool(state["done"])
                best["epoch"], best["val_rmse"] = int(state["best_epoch"]), float(state["best_val_rmse"])
                torch.set_rng_state(state["rng_cpu"])
                if (ckpt_dir / "best.pt").exists():
                    best["state"] = torch.load(ckpt_dir / "best.pt", map_location=device,
                                               weights_only=True)
    resumed_from = start_epoch
    t_start = time.perf_counter()
    n_all = n_rows(train)
    subset = _initial_subset(n_all, cfg)
    grown = _grown(history, cfg)
    bad_epochs = _bad_epochs(history, best["epoch"])
    epochs_this_call = 0
    model.train()
    for epoch in range(start_epoch + 1, cfg.epochs + 1):
        if done:
            break
        t0 = time.perf_counter()
        rows = None if (subset is None or grown) else subset
        n = n_all if rows is None else len(rows)
        steps = math.ceil(n / cfg.batch_size)
        if cfg.max_batches_per_epoch:
            steps = min(steps, cfg.max_batches_per_epoch)
        perm = torch.randperm(n, generator=torch.Generator().manual_seed(cfg.seed * 100_003 + epoch))
        if rows is not None:
            perm = rows[perm]
        lr_now = opt.param_groups[0]["lr"]
        loss_sum, sq_sum, seen = 0.0, 0.0, 0
        bar = _progress(steps, f"epoch {epoch}/{cfg.epochs}", cfg.progress)
        for step in range(steps):
            idx = perm[step * cfg.batch_size:(step + 1) * cfg.batch_size]
            batch = take(train, idx, device)
            with autocast(device, cfg.bf16):
                output, loss = model(batch)
            opt.zero_grad(set_to_none=True)
            loss.backward()
            if cfg.grad_clip:
                torch.nn.utils.clip_grad_norm_(model.parameters(), cfg.grad_clip)
            opt.step()
            with torch.no_grad():
                b = len(idx)
                loss_sum += float(loss) * b
                sq_sum += float(((_to_rating(model, output.detach(), batch).float()
                                  - batch["rating"]) ** 2).sum())
                seen += b
            bar.update(1)
            if step % 20 == 0 and not bar.disable:
                bar.set_postfix(loss=f"{loss_sum / seen:.4f}", rmse=f"{math.sqrt(sq_sum / seen):.4f}")
        bar.close()
        val_loss, val_rmse = evaluate(model, val, cfg.eval_batch_size, cfg.bf16)
        if sched is not None:
            sched.step()
        for k, v in (("epoch", epoch), ("train_loss", loss_sum / seen),
                     ("train_rmse", math.sqrt(sq_sum / seen)), ("val_loss", val_loss),
                     ("val_rmse", val_rmse), ("seconds", time.perf_counter() - t0), ("lr", lr_now),
                     ("train_fraction", n / n_all)):
            history[k].append(float(v))
        if subset is not None and not grown and cfg.grow_at_val_mse is not None:
            grown = val_rmse ** 2 <= cfg.grow_at_val_mse
        if val_rmse < best["val_rmse"]:
            best.update(epoch=epoch, val_rmse=val_rmse,
                        state={k: v.detach().clone() for k, v in model.state_dict().items()})
            bad_epochs = 0
            if ckpt_dir is not None:
                _save(ckpt_dir / "best.pt", best["state"])
        else:
            bad_epochs += 1
        done = bad_epochs >= cfg.patience or epoch == cfg.epochs
        if ckpt_dir is not None:
            _save(ckpt_dir / "last.pt", {
                "model": model.state_dict(), "optimizer": opt.state_dict(), "epoch": epoch,
                "done": done, "history": json.dumps(history), "config": json.dumps(cfg.to_dict()),
                "best_epoch": best["epoch"], "best_val_rmse": best["val_rmse"],
                "rng_cpu": torch.get_rng_state(),
                **({"scheduler": json.dumps(sched.state_dict())} if sched is not None else {})})
        if cfg.progress:
            print(f"epoch {epoch}: train loss {history['train_loss'][-1]:.4f} rmse "
                  f"{history['train_rmse'][-1]:.4f} | val loss {val_loss:.4f} rmse {val_rmse:.4f} "
                  f"| {history['seconds'][-1]:.0f}s", flush=True)
        epochs_this_call += 1
        if stop_after_epochs is not None and epochs_this_call >= stop_after_epochs and not done:
            break
    if best["state"] is not None:
        model.load_state_dict(best["state"])
    return TrainResult(history=history, best_epoch=best["epoch"], best_val_rmse=best["val_rmse"],
                       seconds=time.perf_counter() - t_start, resumed_from=resumed_from,
                       device=str(device), config=cfg.to_dict())


def _scheduler(opt, cfg: TrainConfig):
    import torch

    if cfg.lr_schedule == "constant":
        return None
    if cfg.lr_schedule == "cosine":
        return torch.optim.lr_scheduler.CosineAnnealingLR(opt, T_max=cfg.t_max)
    raise ValueError(f"lr_schedule must be 'constant' or 'cosine', got {cfg.lr_schedule!r}")


def _initial_subset(n: int, cfg: TrainConfig):
    """Positions of the training ratings a data-scheduled run starts with (None: all of them)."""
    import torch

    if not 0 < cfg.initial_fraction <= 1:
        raise ValueError(f"initial_fraction must be in (0, 1], got {cfg.initial_fraction}")
    if cfg.initial_fraction == 1:
        return None
    keep = max(1, int(round(cfg.initial_fraction * n)))
    perm = torch.randperm(n, generator=torch.Generator().manual_seed(cfg.seed * 7_919 + 1))
    return perm[:keep].sort().values


def _grown(history: dict, cfg: TrainConfig) -> bool:
    """Whether a resumed data-scheduled run had already switched to every rating."""
    if cfg.grow_at_val_mse is None:
        return False
    return any(r ** 2 <= cfg.grow_at_val_mse for r in history.get("val_rmse", []))


def _bad_epochs(history: dict, best_epoch: int) -> int:
    return len([e for e in history["epoch"] if e > best_epoch])


def _progress(total: int, desc: str, enabled: bool):
    return progress_bar(total=total, desc=desc, enabled=enabled, leave=False, mininterval=2.0)
