"""GLocal-K: global and local kernels for matrix completion (Han, Lim, Long, Burgstaller & Poon,
CIKM 2021, doi:10.1145/3459637.3482112, arXiv 2108.12184; public code github.com/usydnlp/Glocal_K).

The paper's abstract: "we pre-train an auto encoder with the local kernelised weight matrix, which
transforms the data from one space into the feature space by using a 2d-RBF kernel. Then, the
pre-trained auto encoder is fine-tuned with the rating matrix, produced by a convolution-based
global kernel, which captures the characteristics of each item ... only a user-item rating matrix,
with no side information." Beyond the abstract and author list the paper's text could not be read
with this project's search tools, so every size below is read from the authors' public notebook
(``GLocal_K.ipynb``, and its earlier copy ``glocal_k.ipynb``, which agree on every number used here).

What the public code computes (TensorFlow 1, ML-100K settings), and where it is here:

- The rating matrix ``R`` is items x users (``train_r[item - 1, user - 1] = rating``; 0 where not
  rated) and each *row* (one movie's ratings by every user) is one input of the auto-encoder.
- Kernel layer (:class:`KernelLayer`): ``y = act(x (W * K) + b)`` with the local kernel
  ``K[i, j] = max(0, 1 - ||u_i - v_j||^2)`` (:func:`local_kernel`) between learned vectors
  ``u_i`` (one per input unit) and ``v_j`` (one per output unit) of dimension ``n_dim = 5``; the
  kernel multiplies the dense weights elementwise. Penalties per layer: ``lambda_2 * l2(W)`` and
  ``lambda_s * l2(K)``, with TensorFlow's ``l2(w) = sum(w^2) / 2``; ``lambda_2 = 20``,
  ``lambda_s = 0.006``.
- Auto-encoder (:meth:`GlocalK.autoencoder`): two kernel layers of ``n_hid = 500`` sigmoid units,
  then a kernel layer back to one output per user, identity activation.
- Pre-training: minimise ``l2(M * (R - AE(R))) + penalties`` (``M``: 1 where rated) with
  L-BFGS-B, ``iter_p = 5`` iterations per epoch, ``epoch_p = 30`` epochs.
- Global kernel (:func:`global_kernel`): ``y' = AE(R)`` with the same weights; "item based average
  pooling" ``mean(y', axis=1)`` (one number per movie); its dot product with a learned
  ``(n_items, gk_size^2)`` matrix, times ``dot_scale = 1``, reshaped to a ``3 x 3`` kernel.
- Fine-tuning (:func:`global_conv`): ``R_hat = relu(conv2d(R, kernel, 'SAME'))`` over the
  items x users matrix; prediction ``AE(R_hat)``; the same loss, gradients through both passes of
  the auto-encoder and the global kernel; L-BFGS-B, ``iter_f = 5`` iterations per epoch,
  ``epoch_f = 60`` epochs.
- Evaluation: ``clip(prediction, 1, 5)`` at the test positions; RMSE each epoch; the number
  reported is the lowest test RMSE over the fine-tuning epochs (README: ML-100K u1 0.8889).

Here that is :class:`GlocalK` (built by :func:`build_glocal_k` from a fitted ``RatingEncoder``) and
:func:`fit_glocal_k`, which replaces the shared mini-batch trainer (``train.fit``): GLocal-K learns
from the whole matrix at once with L-BFGS, in two stages. The model holds the training matrix as a
buffer (:meth:`GlocalK.set_ratings`); ``forward(batch)`` and ``predict(batch)`` take the same batch
dicts as every model (``user``, ``item_row``, ``rating``) and read the full reconstruction at
those positions.

Two protocols (``GlocalKTrainConfig.protocol``):

- ``"published"`` (optimistic, the public code's): train on the whole ``.base`` file (this
  project's train and validation parts together), run the fixed epochs, and keep the fine-tuning
  epoch of lowest **test** RMSE (:func:`optimistic_best_test_epoch`). The test set chooses the
  epoch, so the number is biased low; it is reported only to compare with the paper's.
- ``"ours"``: train on the train part, choose the fine-tuning epoch of lowest **validation** RMSE
  (:func:`best_validation_epoch`; optionally stop after ``patience`` epochs without a better one).
  The test part is never passed in (:func:`fit_parts` does not read it).

Deviations and choices (none set by a test score):

- Optimiser: scipy's L-BFGS-B, as the public code (TensorFlow's ``ScipyOptimizerInterface``:
  ``maxiter`` = iterations per epoch, ``maxcor = 10``, scipy's defaults otherwise; a fresh
  optimiser, so a fresh curvature memory, every epoch), on the float32 parameters as one float64
  vector, gradients by torch autograd. ``optimizer="torch-lbfgs"`` is a stand-in that stays on the
  GPU (``torch.optim.LBFGS``, strong-Wolfe line search, same memory, at most 21 evaluations per
  iteration like scipy's ``maxls = 20``, gradient tolerance 1e-5 like scipy's ``pgtol``): not the
  public code's, off by default.
- Initialisation follows TensorFlow 1's defaults that the public code relies on (Glorot-uniform
  ``W`` and ``b``, a bias of ``n`` units drawing from +-sqrt(3 / n) by TensorFlow's fan rule for
  vectors; ``u``, ``v`` truncated normal, std 1e-3; the global kernel matrix truncated normal,
  std 0.1), drawn from torch's generator: the same distributions, not the same numbers.
- The squared distance is summed directly (the public code takes the norm, then squares it): the
  same value, without the norm's undefined gradient at distance 0.
- Matrix layout: rows are every movie of the item table, in its order (ML-100K: by id), so a movie
  with no training rating has an all-zero row, as in the public code (it sizes the matrix from
  ``.base`` and ``.test`` together); columns are the users of the training ratings, in id order (the
  public code: every user of ``.base`` and ``.test``; the same users on u1 when each test user has a
  training rating). A rating of a user absent from training is predicted as the mean training rating
  (the public code would read an all-zero column). On the real ML-100K folds u1..u5 with a 5%
  validation part, the train part holds all 943 users and the item table all 1682 movies, so the
  matrix is the public code's and the fallback is never used (``tests/unit/models/test_glocal_k.py``).
- The published protocol's candidates are the fine-tuning epochs only (the public code prints the
  pre-training epochs' test RMSE but does not keep them); ``epochs_finetune = 0`` (the local kernel
  alone, not in the public code) selects among the pre-training epochs instead.
- Under the published protocol the training matrix is this project's train and validation parts of
  ``.base`` together; a validation rating of a user absent from the train part (whose vocabulary
  numbers the columns) is left out of the matrix.
- ``PUBLISHED_SETTINGS`` keeps the public code's ML-1M values too (``lambda_2 = 70``,
  ``lambda_s = 0.018``, ``iter_p = 50``, ``iter_f = 10``, ``epoch_p = 20``, ``epoch_f = 30``,
  ``dot_scale = 0.5``); the defaults of the config classes are the ML-100K ones.
"""
from __future__ import annotations

import json
import math
import time
from dataclasses import asdict, dataclass
from pathlib import Path

import torch
import torch.nn as nn
import torch.nn.functional as F

from ..device import resolve_device
from ..train import TrainResult, _save, seed_everything
from .layers import RATING_RANGE, RatingRegressor

OPTIMIZERS = ("scipy-lbfgsb", "torch-lbfgs")
PROTOCOLS = ("ours", "published")

# The public notebook's per-dataset cell: model-config and train-config values.
PUBLISHED_SETTINGS = {
    "ml-100k": {"lambda_2": 20.0, "lambda_s": 0.006, "dot_scale": 1.0,
                "iters_pretrain": 5, "iters_finetune": 5, "epochs_pretrain": 30, "epochs_finetune": 60},
    "ml-1m": {"lambda_2": 70.0, "lambda_s": 0.018, "dot_scale": 0.5,
              "iters_pretrain": 50, "iters_finetune": 10, "epochs_pretrain": 20, "epochs_finetune": 30},
}


@dataclass
class GlocalKConfig:
    hidden: tuple = (500, 500)   # sigmoid kernel layers of the auto-encoder (n_hid = 500, n_layers = 2)
    kernel_dim: int = 5          # dimension of the vectors u_i, v_j of the local kernel (n_dim)
    lambda_2: float = 20.0       # L2 penalty on the dense weights W, lambda_2 * sum(W^2) / 2
    lambda_s: float = 0.006      # sparsity penalty on the local kernel K, lambda_s * sum(K^2) / 2
    gk_size: int = 3             # the global convolution kernel is gk_size x gk_size
    dot_scale: float = 1.0       # scale of the dot product that makes the global kernel

    def __post_init__(self):
        self.hidden = tuple(int(h) for h in self.hidden)
        if not self.hidden or min(self.hidden) < 1 or self.kernel_dim < 1 or self.gk_size < 1:
            raise ValueError(f"hidden, kernel_dim and gk_size must be positive, got {self}")

    def to_dict(self) -> dict:
        return asdict(self)


@dataclass
class GlocalKTrainConfig:
    """What :func:`fit_glocal_k` reads; also what the run cache keys (names as in ``TrainConfig``)."""

    epochs_pretrain: int = 30        # L-BFGS calls of pre-training (epoch_p)
    epochs_finetune: int = 60        # L-BFGS calls of fine-tuning (epoch_f)
    iters_pretrain: int = 5          # L-BFGS iterations per pre-training epoch (iter_p)
    iters_finetune: int = 5          # L-BFGS iterations per fine-tuning epoch (iter_f)
    history_size: int = 10           # L-BFGS curvature pairs kept (maxcor)
    optimizer: str = "scipy-lbfgsb"  # scipy-lbfgsb (the public code's) | torch-lbfgs (stand-in, stays on the GPU)
    lr: float = 1.0                  # torch-lbfgs only: first trial step of each line search (scipy has none)
    protocol: str = "ours"           # ours: epoch chosen on validation | published: lowest TEST RMSE (optimistic)
    patience: int | None = None      # ours: stop after this many fine-tuning epochs without a better val RMSE
    seed: int = 0                    # initialisation (training itself draws no random numbers)
    device: str = "auto"             # auto | cpu | cuda | cuda:N
    num_threads: int | None = None   # torch CPU threads (None: leave torch's default)
    progress: bool = False           # print one line per epoch
    checkpoint_dir: str | None = None  # per-epoch checkpoints; a rerun resumes from here
    eval_batch_size: int = 4096      # ratings per ``predict`` call when the run cache evaluates
    bf16: bool = False               # not supported (L-BFGS in float32); here because the run cache reads it

    def __post_init__(self):
        if self.optimizer not in OPTIMIZERS:
            raise ValueError(f"optimizer must be one of {OPTIMIZERS}, got {self.optimizer!r}")
        if self.protocol not in PROTOCOLS:
            raise ValueError(f"protocol must be one of {PROTOCOLS}, got {self.protocol!r}")
        if self.protocol == "published" and self.patience is not None:
            raise ValueError("the published protocol runs the public code's fixed epochs: patience must be None")
        if self.bf16:
            raise ValueError("GLocal-K trains in float32 (L-BFGS); bf16 is not supported")
        if self.epochs_pretrain < 0 or self.epochs_finetune < 0 or self.epochs < 1:
            raise ValueError("epochs_pretrain and epochs_finetune must be >= 0, and not both 0")

    @property
    def epochs(self) -> int:
        """All epochs, pre-training then fine-tuning (the run cache's ``epoch_cap``)."""
        return self.epochs_pretrain + self.epochs_finetune

    def to_dict(self) -> dict:
        return asdict(self)


def published_configs(dataset: str = "ml-100k", **train_overrides) -> tuple[GlocalKConfig, GlocalKTrainConfig]:
    """The public notebook's settings for ``dataset`` (``ml-100k`` or ``ml-1m``) as config objects."""
    try:
        s = PUBLISHED_SETTINGS[dataset]
    except KeyError:
        raise KeyError(f"no published GLocal-K settings for {dataset!r}; known: {sorted(PUBLISHED_SETTINGS)}") from None
    model = GlocalKConfig(**{k: v for k, v in s.items() if k in GlocalKConfig.__dataclass_fields__})
    train = {k: v for k, v in s.items() if k in GlocalKTrainConfig.__dataclass_fields__}
    return model, GlocalKTrainConfig(**{**train, **train_overrides})


# ------------------------------------------------------------------------------------ kernels
def local_kernel(u: torch.Tensor, v: torch.Tensor) -> torch.Tensor:
    """``K[i, j] = max(0, 1 - ||u_i - v_j||^2)``: u (n_in, 1, d), v (1, n_out, d) -> (n_in, n_out).

    Finite support: exactly 0 where the vectors are at distance 1 or more.
    """
    return torch.clamp(1.0 - (u - v).square().sum(-1), min=0.0)


def global_kernel(reconstruction: torch.Tensor, conv_kernel: torch.Tensor, dot_scale: float,
                  gk_size: int) -> torch.Tensor:
    """Item-based average pooling, then a scaled dot product: (n_items, n_users) -> (gk, gk).

    ``pooled = mean over users of the reconstruction`` (n_items,); ``pooled @ conv_kernel``
    (conv_kernel: n_items x gk^2) ``* dot_scale``, read row by row as a gk x gk kernel.
    """
    pooled = reconstruction.mean(dim=1)                                   # (n_items,)
    return (pooled @ conv_kernel * dot_scale).view(gk_size, gk_size)


def global_conv(ratings: torch.Tensor, kernel: torch.Tensor) -> torch.Tensor:
    """``relu`` of the 2-D convolution (cross-correlation) of the matrix with the kernel, same size.

    Zero padding as TensorFlow's ``'SAME'``: ``(k - 1) // 2`` before, the rest after (even sizes).
    """
    pads = []
    for k in reversed(kernel.shape):                                   # F.pad: last dimension first
        pads += [(k - 1) // 2, (k - 1) - (k - 1) // 2]
    x = F.pad(ratings[None, None], pads)
    return F.relu(F.conv2d(x, kernel[None, None]))[0, 0]


class KernelLayer(nn.Module):
    """``y = act(x (W * K(U, V)) + b)``: a dense layer whose weights the local kernel multiplies elementwise."""

    def __init__(self, n_in: int, n_out: int, kernel_dim: int, activation: str):
        super().__init__()
        if activation not in ("sigmoid", "identity"):
            raise ValueError(f"activation must be 'sigmoid' or 'identity', got {activation!r}")
        self.activation = activation
        self.W = nn.Parameter(torch.empty(n_in, n_out))
        self.b = nn.Parameter(torch.empty(n_out))
        self.u = nn.Parameter(torch.empty(n_in, 1, kernel_dim))
        self.v = nn.Parameter(torch.empty(1, n_out, kernel_dim))
        self.reset_parameters()

    @torch.no_grad()
    def reset_parameters(self):
        n_in, n_out = self.W.shape
        a = math.sqrt(6.0 / (n_in + n_out))                 # TensorFlow's default: Glorot uniform
        self.W.uniform_(-a, a)
        a = math.sqrt(3.0 / n_out)                          # ... of a vector: fan_in = fan_out = n_out
        self.b.uniform_(-a, a)
        nn.init.trunc_normal_(self.u, std=1e-3, a=-2e-3, b=2e-3)
        nn.init.trunc_normal_(self.v, std=1e-3, a=-2e-3, b=2e-3)

    def kernel(self) -> torch.Tensor:
        return local_kernel(self.u, self.v)                 # (n_in, n_out)

    def forward(self, x):
        # x: (n_rows, n_in) -> (n_rows, n_out), and the kernel (n_in, n_out) for its penalty
        k = self.kernel()
        y = x @ (self.W * k) + self.b                       # "local kernelised weight matrix"
        return (torch.sigmoid(y) if self.activation == "sigmoid" else y), k

    def extra_repr(self) -> str:
        return f"{self.W.shape[0]} -> {self.W.shape[1]}, kernel_dim={self.u.shape[-1]}, {self.activation}"


# -------------------------------------------------------------------------------------- model
class GlocalK(RatingRegressor):
    """Kernel auto-encoder over the items x users training matrix, with a global convolution kernel.

    ``forward(batch) -> (reconstruction at the batch's (item, user) positions (B,), MSE loss)``;
    ``predict`` clamps to [1, 5]. Call :meth:`set_ratings` (``fit_glocal_k`` does) before either.
    """

    def __init__(self, cfg: GlocalKConfig, n_items: int, n_users: int):
        super().__init__()
        self.cfg = cfg
        widths = (n_users, *cfg.hidden, n_users)
        self.layers = nn.ModuleList(
            KernelLayer(a, b, cfg.kernel_dim, "sigmoid" if j < len(cfg.hidden) else "identity")
            for j, (a, b) in enumerate(zip(widths[:-1], widths[1:])))
        self.conv_kernel = nn.Parameter(torch.empty(n_items, cfg.gk_size ** 2))
        nn.init.trunc_normal_(self.conv_kernel, std=0.1, a=-0.2, b=0.2)
        self.register_buffer("ratings", torch.zeros(n_items, n_users))   # R: 0 where not rated
        self.register_buffer("fallback", torch.tensor(float("nan")))     # mean training rating
        self.register_buffer("finetuning", torch.tensor(False))          # stage: pre-training / fine-tuning

    # ------------------------------------------------------------------------------- the matrix
    @staticmethod
    def positions(part: dict) -> tuple[torch.Tensor, torch.Tensor]:
        """(row, column) of each rating: ``item_row - 1`` and ``user - 1`` (-1: not in the matrix)."""
        return part["item_row"] - 1, part["user"] - 1

    @torch.no_grad()
    def set_ratings(self, *parts: dict) -> int:
        """Fill the training matrix from batch dicts; returns how many ratings were left out (unknown user)."""
        R = torch.zeros_like(self.ratings)
        dropped = 0
        for part in parts:
            row, col = (t.to(R.device) for t in self.positions(part))
            keep = (row >= 0) & (col >= 0)
            R[row[keep], col[keep]] = part["rating"].to(R.device, R.dtype)[keep]
            dropped += int((~keep).sum())
        if not (R > 0).any():
            raise ValueError("GLocal-K needs at least one training rating")
        self.ratings.copy_(R)
        self.fallback.fill_(R[R > 0].mean())
        return dropped

    def set_stage(self, stage: str) -> None:
        if stage not in ("pretrain", "finetune"):
            raise ValueError(f"stage must be 'pretrain' or 'finetune', got {stage!r}")
        self.finetuning.fill_(stage == "finetune")

    @property
    def stage(self) -> str:
        return "finetune" if bool(self.finetuning) else "pretrain"

    def stage_parameters(self) -> list[nn.Parameter]:
        """What the stage optimises: the auto-encoder; in fine-tuning also the global kernel matrix."""
        params = list(self.layers.parameters())
        return params + [self.conv_kernel] if bool(self.finetuning) else params

    # ---------------------------------------------------------------------------- computation
    def autoencoder(self, x):
        """(n_items, n_users) -> reconstruction (n_items, n_users), and the penalties of its layers."""
        penalty = x.new_zeros(())
        for layer in self.layers:
            x, k = layer(x)
            penalty = penalty + 0.5 * (self.cfg.lambda_2 * layer.W.square().sum()
                                       + self.cfg.lambda_s * k.square().sum())
        return x, penalty

    def reconstruct(self):
        """The full predicted matrix (unclipped) of the current stage, and its penalty."""
        R = self.ratings
        if not bool(self.finetuning):
            return self.autoencoder(R)                                   # pre-training: AE(R)
        pretrained, _ = self.autoencoder(R)                              # y' of the same network
        kernel = global_kernel(pretrained, self.conv_kernel, self.cfg.dot_scale, self.cfg.gk_size)
        return self.autoencoder(global_conv(R, kernel))                  # AE(relu(conv(R, kernel)))

    def objective(self, full=None, penalty=None):
        """What L-BFGS minimises: ``sum(M * (R - prediction))^2 / 2 + penalties`` (TensorFlow's l2_loss)."""
        if full is None:
            full, penalty = self.reconstruct()
        rated = (self.ratings > 0).to(full.dtype)
        return 0.5 * (rated * (self.ratings - full)).square().sum() + penalty

    def gather(self, full, batch):
        """Values of the full matrix at the batch's positions; the fallback where a position is unknown."""
        row, col = self.positions(batch)
        known = (row >= 0) & (col >= 0)
        out = full[row.clamp(min=0), col.clamp(min=0)]
        return torch.where(known, out, self.fallback.to(out.dtype))

    def forward(self, batch):
        if torch.isnan(self.fallback):
            raise RuntimeError("GLocal-K learns from the whole training matrix with L-BFGS, not from mini-batches: "
                               "train it with mmrec_core.models.glocal_k.fit_glocal_k (or fit_parts), "
                               "which also fills the matrix (set_ratings)")
        full, _ = self.reconstruct()
        out = self.gather(full, batch)
        return out, self.mse_loss(out, batch)

    @torch.no_grad()
    def predict_matrix(self) -> torch.Tensor:
        """The clipped full matrix (n_items, n_users): what the public code evaluates."""
        return self.reconstruct()[0].clamp(*RATING_RANGE)

    def summary(self):
        """One row per layer: shape, activation, parameters (the architecture table of a page)."""
        import pandas as pd

        rows = [{"part": f"kernel layer {j + 1}", "shape": f"{l.W.shape[0]} -> {l.W.shape[1]}",
                 "activation": l.activation, "kernel": f"max(0, 1 - ||u_i - v_j||^2), d={l.u.shape[-1]}",
                 "parameters": sum(p.numel() for p in l.parameters())} for j, l in enumerate(self.layers)]
        rows.append({"part": "global kernel", "shape": f"item pooling {self.conv_kernel.shape[0]} -> "
                     f"{self.cfg.gk_size} x {self.cfg.gk_size}", "activation": "relu after the convolution",
                     "kernel": f"dot product x {self.cfg.dot_scale:g}", "parameters": self.conv_kernel.numel()})
        return pd.DataFrame(rows)


def build_glocal_k(cfg: GlocalKConfig, encoder) -> GlocalK:
    """A model sized by a fitted ``RatingEncoder``: a row per movie of its item table, a column per training user."""
    return GlocalK(cfg, n_items=len(encoder.item_ids), n_users=encoder.cardinalities["user"] - 1)


def content_keys(cfg: GlocalKConfig, encoder) -> list[str]:
    """GLocal-K reads no content table ("only a user-item rating matrix, with no side information")."""
    return []


# --------------------------------------------------------------------------------- optimisers
def scipy_lbfgsb(objective, params, max_iter: int, history_size: int = 10) -> int:
    """Minimise ``objective()`` over ``params`` with scipy's L-BFGS-B (a fresh memory), in place.

    The parameters travel as one float64 vector, as TensorFlow's ``ScipyOptimizerInterface`` sends
    them; the objective and its gradient are computed in the parameters' own dtype and device.
    Returns the number of objective evaluations.
    """
    from scipy.optimize import minimize

    sizes = [p.numel() for p in params]

    @torch.no_grad()
    def load(x):
        flat = torch.from_numpy(x)
        for p, chunk in zip(params, flat.split(sizes)):
            p.copy_(chunk.view_as(p))

    def value_and_grad(x):
        load(x)
        with torch.enable_grad():
            loss = objective()
            grads = torch.autograd.grad(loss, params, allow_unused=True)
        g = torch.cat([(torch.zeros_like(p) if gr is None else gr).reshape(-1) for p, gr in zip(params, grads)])
        return float(loss.detach()), g.double().cpu().numpy()

    x0 = torch.cat([p.detach().reshape(-1) for p in params]).double().cpu().numpy()
    res = minimize(value_and_grad, x0, jac=True, method="L-BFGS-B",
                   options={"maxiter": int(max_iter), "maxcor": int(history_size)})
    load(res.x)
    return int(res.nfev)


def torch_lbfgs(objective, params, max_iter: int, history_size: int = 10, lr: float = 1.0) -> int:
    """The stand-in: ``torch.optim.LBFGS`` (strong Wolfe) with scipy's limits where it has them."""
    opt = torch.optim.LBFGS(params, lr=lr, max_iter=int(max_iter), max_eval=int(max_iter) * 21,
                            history_size=int(history_size), tolerance_grad=1e-5, tolerance_change=1e-9,
                            line_search_fn="strong_wolfe")
    count = [0]

    def closure():
        opt.zero_grad(set_to_none=True)
        loss = objective()
        loss.backward()
        count[0] += 1
        return loss

    opt.step(closure)
    return count[0]


# ---------------------------------------------------------------------------- epoch selection
def _argmin_epoch(history: dict, key: str) -> int:
    """Epoch of the lowest ``key`` (first on ties) among the fine-tuning epochs (pre-training if none)."""
    stage = "finetune" if "finetune" in history["stage"] else "pretrain"
    if key not in history:
        raise KeyError(f"the history has no {key!r}: {sorted(history)}")
    cands = [(v, e) for e, s, v in zip(history["epoch"], history["stage"], history[key]) if s == stage]
    if not cands:
        raise ValueError("the history holds no epoch to choose from")
    return int(min(cands, key=lambda ve: (math.inf if math.isnan(ve[0]) else ve[0], ve[1]))[1])  # NaN: never chosen


def best_validation_epoch(history: dict) -> int:
    """The ``ours`` protocol: the fine-tuning epoch of lowest validation RMSE (the test set is not read)."""
    return _argmin_epoch(history, "val_rmse")


def optimistic_best_test_epoch(history: dict) -> int:
    """The ``published`` protocol, OPTIMISTIC: the fine-tuning epoch of lowest TEST RMSE.

    This is what the public GLocal-K notebook reports (``if test_rmse < best_rmse``): the test set
    picks the epoch, so the RMSE at that epoch is biased low. Use it only to compare with the paper.
    """
    return _argmin_epoch(history, "test_rmse")


SELECTORS = {"ours": ("val", best_validation_epoch), "published": ("test", optimistic_best_test_epoch)}


# ---------------------------------------------------------------------------------- training
def _on(part: dict | None, device) -> dict | None:
    if part is None:
        return None
    return {k: part[k].to(device) for k in ("user", "item_row", "rating")}


@torch.no_grad()
def _epoch_scores(model: GlocalK, parts: dict) -> dict:
    """Objective and, per part, MSE of the raw and RMSE of the clipped predictions (one reconstruction)."""
    full, penalty = model.reconstruct()
    out = {"objective": float(model.objective(full, penalty))}
    for name, part in parts.items():
        raw = model.gather(full, part).float()
        out[f"{name}_loss"] = float((raw - part["rating"]).square().mean())
        out[f"{name}_rmse"] = float((raw.clamp(*RATING_RANGE) - part["rating"]).square().mean().sqrt())
    return out


def _n(part: dict | None) -> int:
    return 0 if part is None else len(part["rating"])


def fit_glocal_k(model: GlocalK, train: dict, val: dict | None, cfg: GlocalKTrainConfig, *,
                 test: dict | None = None, stop_after_epochs: int | None = None) -> TrainResult:
    """Pre-train, then fine-tune ``model`` on the matrix of ``train``; the chosen epoch's weights are loaded.

    Follows ``train.fit``'s contract: seeded, ``device="auto"``, a per-epoch history (``epoch``,
    ``stage``, ``objective``, ``train_loss``/``train_rmse``, ``val_loss``/``val_rmse`` when a
    validation part is given, ``test_loss``/``test_rmse`` under the published protocol, ``seconds``,
    ``evaluations``), checkpoints in ``cfg.checkpoint_dir`` that a rerun resumes from, and
    ``stop_after_epochs`` to simulate an interruption.

    ``ours`` reads ``train`` and ``val`` only (passing ``test`` is an error); ``published`` needs
    ``test`` and takes ``val`` as optional (normally None: the caller merged it into ``train``).
    """
    if cfg.protocol == "ours":
        if test is not None:
            raise ValueError("the 'ours' protocol chooses the epoch on validation and never reads the test set: "
                             "do not pass test=")
        if _n(val) == 0:
            raise ValueError("the 'ours' protocol needs a validation part to choose the epoch")
    elif _n(test) == 0:
        raise ValueError("the published protocol chooses the epoch on the test set: pass test=")
    if cfg.num_threads:
        torch.set_num_threads(cfg.num_threads)
    device = resolve_device(cfg.device)
    seed_everything(cfg.seed)
    model.to(device)
    parts = {name: _on(p, device) for name, p in (("train", train), ("val", val), ("test", test)) if _n(p)}
    model.set_ratings(parts["train"])
    select_on, select = SELECTORS[cfg.protocol]
    history = {"epoch": [], "stage": [], "seconds": [], "evaluations": []}
    best = {"epoch": 0, "state": None}
    start, done = 0, False
    ckpt = Path(cfg.checkpoint_dir) if cfg.checkpoint_dir else None
    keyed = json.dumps({k: v for k, v in cfg.to_dict().items()
                        if k not in ("checkpoint_dir", "progress", "num_threads", "device", "eval_batch_size")},
                       sort_keys=True)
    if ckpt is not None:
        ckpt.mkdir(parents=True, exist_ok=True)
        if (ckpt / "last.pt").exists():
            state = torch.load(ckpt / "last.pt", map_location=device, weights_only=True)
            if state["config"] == keyed:
                model.load_state_dict(state["model"])
                history = json.loads(state["history"])
                start, done, best["epoch"] = int(state["epoch"]), bool(state["done"]), int(state["best_epoch"])
                if (ckpt / "best.pt").exists():
                    best["state"] = torch.load(ckpt / "best.pt", map_location=device, weights_only=True)
    resumed_from = start
    t_start = time.perf_counter()
    this_call = 0
    for epoch in range(start + 1, cfg.epochs + 1):
        if done:
            break
        t0 = time.perf_counter()
        stage = "pretrain" if epoch <= cfg.epochs_pretrain else "finetune"
        model.set_stage(stage)
        iters = cfg.iters_pretrain if stage == "pretrain" else cfg.iters_finetune
        params = model.stage_parameters()
        if cfg.optimizer == "scipy-lbfgsb":
            evaluations = scipy_lbfgsb(model.objective, params, iters, cfg.history_size)
        else:
            evaluations = torch_lbfgs(model.objective, params, iters, cfg.history_size, cfg.lr)
        scores = _epoch_scores(model, parts)
        history["epoch"].append(epoch)
        history["stage"].append(stage)
        for k, v in (("seconds", time.perf_counter() - t0), ("evaluations", evaluations), *scores.items()):
            history.setdefault(k, []).append(float(v))
        last_stage = stage == ("finetune" if cfg.epochs_finetune else "pretrain")
        if last_stage:
            chosen = select(history)
            if chosen == epoch:
                best.update(epoch=epoch, state={k: v.detach().clone() for k, v in model.state_dict().items()})
                if ckpt is not None:
                    _save(ckpt / "best.pt", best["state"])
            stale = sum(1 for e, s in zip(history["epoch"], history["stage"]) if s == stage and e > chosen)
            done = cfg.patience is not None and stale >= cfg.patience
        done = done or epoch == cfg.epochs
        if ckpt is not None:
            _save(ckpt / "last.pt", {"model": model.state_dict(), "epoch": epoch, "done": done,
                                     "history": json.dumps(history), "config": keyed,
                                     "best_epoch": best["epoch"]})
        if cfg.progress:
            shown = " | ".join(f"{k} {scores[k]:.4f}" for k in scores if k.endswith("rmse"))
            print(f"epoch {epoch} ({stage}): objective {scores['objective']:.1f} | {shown} "
                  f"| {history['seconds'][-1]:.1f}s", flush=True)
        this_call += 1
        if stop_after_epochs is not None and this_call >= stop_after_epochs and not done:
            break
    if best["state"] is not None:
        model.load_state_dict(best["state"])
    val_rmse = (history["val_rmse"][history["epoch"].index(best["epoch"])]
                if best["epoch"] and "val_rmse" in history else float("nan"))
    return TrainResult(history=history, best_epoch=best["epoch"], best_val_rmse=float(val_rmse),
                       seconds=time.perf_counter() - t_start, resumed_from=resumed_from,
                       device=str(device), config=cfg.to_dict())


def merge_parts(*parts: dict) -> dict:
    """Batch dicts concatenated key by key (the published protocol's train = train part + validation part)."""
    return {k: torch.cat([p[k] for p in parts]) for k in parts[0]}


def fit_parts(model: GlocalK, data, cfg: GlocalKTrainConfig, **kwargs) -> TrainResult:
    """Train on an experiment's parts (``{"train", "val", "test"} -> batch dict``) as the protocol says.

    ``ours``: :func:`fit_glocal_k` on ``train``, choosing on ``val``; ``data["test"]`` is not read.
    ``published``: on ``train`` and ``val`` merged (the whole ``.base``), choosing on ``test``.
    The registry entry names it (``fit="fit_parts"``), so the run cache trains GLocal-K through it.
    """
    if cfg.protocol == "ours":
        return fit_glocal_k(model, data["train"], data["val"], cfg, **kwargs)
    return fit_glocal_k(model, merge_parts(data["train"], data["val"]), None, cfg, test=data["test"], **kwargs)
