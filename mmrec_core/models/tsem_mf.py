"""The CityU report's "MF" (section 9, model (b)): matrix factorisation after Koren et al. (2009).

What the report says: Matrix Factorization "helps capture the low-rank structure of the user-item
interactions. In the training, we created an embedding layer for user and item, and used it to
estimate the latent user-item matrix." Its related-work section cites Koren, Bell & Volinsky
(2009), whose biased model is ``r_ui = mu + b_u + b_i + q_i . p_u`` with L2 regularisation.

Deviations and assumptions:

- The biased form of Koren et al. (global mean, user and item biases, dot product); the report
  says only "an embedding layer for user and item". The global mean is the training mean.
- 64 factors, initialised N(0, 0.01); L2 penalty ``l2 * (|p_u|^2 + |q_i|^2 + b_u^2 + b_i^2)`` per
  rating added to the MSE (Koren's regularised squared error), ``l2`` assumed; trained with Adam in
  mini-batches instead of Koren's SGD; early stopping on validation RMSE.
- The reported loss (curves, MSE) is the data term only; the penalty is added for the gradient.

Trial (real ML-100K, random 80/10/10 split seed 0, model seed 0, lr 1e-3, batch 1024, patience 5,
1 thread; nothing in results/): best validation epoch 21 of 26 run, 4.5 s (no setting was chosen by
it; the page's five seeds are in ``30_tsem``).
"""
from __future__ import annotations

from dataclasses import asdict, dataclass

import torch
import torch.nn as nn

from .layers import RatingRegressor


@dataclass
class TsemMFConfig:
    factors: int = 64                 # latent dimension (assumed)
    l2: float = 0.05                  # per-rating L2 penalty on the factors and biases (assumed)
    init_std: float = 0.01

    def to_dict(self) -> dict:
        return asdict(self)


class TsemMF(RatingRegressor):
    """``forward(batch) -> (rating (B,), MSE + L2)``; ``predict`` clamps to [1, 5]."""

    def __init__(self, cfg: TsemMFConfig, n_users: int, n_items: int, global_mean: float):
        super().__init__()
        self.cfg = cfg
        self.p = nn.Embedding(n_users, cfg.factors)
        self.q = nn.Embedding(n_items, cfg.factors)
        self.b_u = nn.Embedding(n_users, 1)
        self.b_i = nn.Embedding(n_items, 1)
        for emb in (self.p, self.q):
            nn.init.normal_(emb.weight, std=cfg.init_std)
        for emb in (self.b_u, self.b_i):
            nn.init.zeros_(emb.weight)
        self.register_buffer("mu", torch.tensor(float(global_mean)))

    def parts(self, batch):
        u, i = batch["user"], batch["item"]
        return self.p(u), self.q(i), self.b_u(u).squeeze(-1), self.b_i(i).squeeze(-1)

    def forward(self, batch):
        p, q, bu, bi = self.parts(batch)
        out = self.mu + bu + bi + (p * q).sum(-1)            # Koren et al. 2009, eq. 4
        if "rating" not in batch:
            return out, None
        loss = self.mse_loss(out, batch)
        if self.training and self.cfg.l2:
            loss = loss + self.cfg.l2 * ((p ** 2).sum(-1) + (q ** 2).sum(-1) + bu ** 2 + bi ** 2).mean()
        return out, loss


def build_tsem_mf(cfg: TsemMFConfig, encoder) -> TsemMF:
    card = encoder.cardinalities
    return TsemMF(cfg, card["user"], card["item"], encoder.train_mean)


def content_keys(cfg: TsemMFConfig, encoder) -> list[str]:
    return []
