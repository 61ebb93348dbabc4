"""Replica of Aljunid & Manjaiah 2020 ("An Efficient Deep Learning Approach for Collaborative
Filtering Recommender System", Procedia Computer Science 171:829-836, doi:10.1016/j.procs.2020.04.090;
"DLCRS"), as Xia et al. re-ran it for their Table 2 (section 4.2: "For deep learning method we
replicate Siet et al.'s [30] work and Aljunid et al.'s [31] work").

What the sources say about the model (the only descriptions available here):

- Xia et al., section 2: "Aljunid et al. used deep learning to embed the characteristics of users
  and movies, and achieves dimensionality reduction through embedding layer, and predicts the score
  through forward propagation method [31]."
- The paper's summary (bohrium.com record of doi 10.1016/j.procs.2020.04.090): "This paper develops
  an efficient deep learning method for a collaborative recommender system (DLCRS) that does not rely
  on additional information other than user-item interactions and outperforms conventional
  approaches."

The full text of the paper (its layer sizes, activation, dropout, optimiser, learning rate, batch size,
epochs and its own RMSE/MAE) could not be found with the search tools of this project, so every
hyper-parameter below is an assumption, chosen as the common form of an embedding + MLP rating
regressor, and none of Aljunid's own numbers is recorded in :mod:`mmrec_core.papers`.

Architecture (``Aljunid``):

    user id  -> embedding (embed_dim)  \\
                                        concat (2 embed_dim) -> dropout
    item id  -> embedding (embed_dim)  /
      -> [dense -> ReLU -> dropout] for each width in ``hidden`` -> dense -> rating (regression)

Assumptions (none stated in the sources above):

- Inputs: user id and movie id only ("does not rely on additional information other than
  user-item interactions"); no demographics, genres, text or posters (``content_keys`` is empty).
- Embedding width 32 for users and movies ("dimensionality reduction through embedding layer";
  the width is not given).
- Two hidden dense layers of 128 and 64 units, ReLU, dropout 0.3 after the concatenated embeddings
  and after each hidden layer ("predicts the score through forward propagation").
- One linear output unit, trained with mean squared error (a rating regression; the paper's
  loss is not given); its bias starts at 3.5 (about the mean rating). Predictions are clamped to
  [1, 5] for evaluation.
- Optimiser: the shared trainer's (AdamW, weight decay 0, i.e. Adam; gradient-norm clip 1.0),
  learning rate 1e-3 (Keras' Adam default), batch size 1024 (large, for CPU throughput; the paper's
  batch size is not given), early stopping on validation RMSE instead of a fixed epoch count.
- Vocabularies from the training ratings only: a user or movie seen only in validation or test maps
  to the learned "unknown" embedding (index 0), which on Xia's 90/5/5 split is almost never trained.
- Train RMSE is measured in eval mode (dropout off) at the best validation epoch, by the experiment
  layer; the running training RMSE of the curves is with dropout on.

Trials of the epoch cap (real ML-100K, Xia's split seed 0, this default config, batch 1024,
patience 5, CPU with 1 thread while another engineer's run used the other core; run cache in /tmp,
nothing in results/). No setting was chosen by a score: the learning rate is the assumed Keras
default and the cap only has to lie above every seed's best epoch.

- lr 1e-3, cap 60, seed 0: best epoch 48 of 53 run (too close to the cap: raised to 150).
- lr 3e-3, cap 150, seed 0: best epoch 26 of 31 (half the epochs; not used, to keep the assumed
  Keras-default learning rate).
- lr 1e-3, cap 150, seeds 0-4 (the notebook's setting): best epochs 48 / 59 / 57 / 61 / 62 of cap 150;
  30-55 s per seed, 208 s for the five (the test numbers are the page's, ``23_aljunid``).

Threads: this model is a few small matrix products per step, so torch's intra-op threads buy
nothing; on a loaded 2-core machine two threads were 10-20x slower than one (benchmarks/bench_aljunid.py:
about 110,000-200,000 training ratings/s with 1 thread, 9,000-18,000 with 2). The notebook trains
with ``THREADS = 1`` (``num_threads`` is not part of the run key).
"""
from __future__ import annotations

from dataclasses import asdict, dataclass

import torch
import torch.nn as nn

from .layers import RatingRegressor


@dataclass
class AljunidConfig:
    embed_dim: int = 32               # width of the user and movie embeddings (assumed)
    hidden: tuple = (128, 64)         # dense ReLU layers after the concatenation (assumed)
    dropout: float = 0.3              # after the concatenation and each hidden layer (assumed)
    init_bias: float = 3.5            # starting bias of the output unit (about the mean rating)

    def to_dict(self) -> dict:
        return asdict(self)


class Aljunid(RatingRegressor):
    """``forward(batch) -> (rating prediction (B,), MSE loss)``; ``predict`` clamps to [1, 5]."""

    def __init__(self, cfg: AljunidConfig, n_users: int, n_items: int):
        super().__init__()
        self.cfg = cfg
        e = cfg.embed_dim
        self.user = nn.Embedding(n_users, e)
        self.item = nn.Embedding(n_items, e)
        layers, width = [nn.Dropout(cfg.dropout)], 2 * e
        for h in cfg.hidden:
            layers += [nn.Linear(width, h), nn.ReLU(), nn.Dropout(cfg.dropout)]
            width = h
        self.mlp = nn.Sequential(*layers)
        self.out = nn.Linear(width, 1)
        nn.init.constant_(self.out.bias, cfg.init_bias)

    def forward(self, batch):
        # "does not rely on additional information other than user-item interactions" (summary);
        # "achieves dimensionality reduction through embedding layer" (Xia, section 2)
        x = torch.cat([self.user(batch["user"]), self.item(batch["item"])], dim=-1)
        # "predicts the score through forward propagation" (Xia, section 2): dense layers, one output
        out = self.out(self.mlp(x)).squeeze(-1)
        loss = self.mse_loss(out, batch)
        return out, loss


def build_aljunid(cfg: AljunidConfig, encoder) -> Aljunid:
    """A model sized by a fitted ``RatingEncoder`` (user and movie vocabularies)."""
    card = encoder.cardinalities
    return Aljunid(cfg, card["user"], card["item"])


def content_keys(cfg: AljunidConfig, encoder) -> list[str]:
    """DLCRS reads no content table (interactions only)."""
    return []
