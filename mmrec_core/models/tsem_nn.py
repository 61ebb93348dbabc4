"""The CityU report's baseline "NN" (section 9, model (a)).

What the report says: "A simple Neural Network with an user embedding layer and 2 linear layers
with Relu activations and a classifier. This model trains on user ids and genome ratings of each
movie. This model serves as the baseline model for benchmarking purposes." The loss is MSE
(section 9: "our models will be under the regression spectrum with Mean Squared Error (MSE) as the
loss function").

Architecture (``TsemNN``)::

    user id -> embedding (embed_dim) \\
                                      concat -> [linear -> ReLU] x 2 (hidden) -> linear -> rating
    movie content vector ------------/

Deviations and assumptions (the report gives no sizes for this model):

- Movie content: on ML-100K the 19 genre flags replace the 1,128 genome scores (the genome is not
  released for ML-100K); on a tag-genome release (``item_content="genome"``) the genome scores are
  used, as in the report (a movie without genome scores reads zeros and is counted as masked).
- "a classifier" is read as the output unit of a rating regression (the loss is MSE); no movie id
  embedding, exactly as described (so two movies with the same content vector look the same).
- Sizes assumed: embedding 64, hidden layers 128 and 64, no dropout; Adam; early stopping on
  validation RMSE. Output bias starts at 3.5 (about the mean rating); predictions clamped to [1, 5].

Trial (real ML-100K, random 80/10/10 split seed 0, model seed 0, lr 1e-3, batch 1024, patience 5,
1 thread; nothing in results/): best validation epoch 13 of 18 run, 4.8 s (no setting was chosen by
it; the page's five seeds are in ``30_tsem``).
"""
from __future__ import annotations

from dataclasses import asdict, dataclass

import torch
import torch.nn as nn

from .layers import RatingRegressor
from .tsem_parts import item_content_table


@dataclass
class TsemNNConfig:
    embed_dim: int = 64               # user embedding width (assumed)
    hidden: tuple = (128, 64)         # the "2 linear layers with Relu activations" (widths assumed)
    item_content: str = "genres"      # genres (ML-100K) | genome (tag-genome releases)
    dropout: float = 0.0              # after each hidden layer (assumed none)
    init_bias: float = 3.5

    def to_dict(self) -> dict:
        return asdict(self)


class TsemNN(RatingRegressor):
    """``forward(batch) -> (rating (B,), MSE loss)``; ``predict`` clamps to [1, 5]."""

    def __init__(self, cfg: TsemNNConfig, n_users: int, content: torch.Tensor):
        super().__init__()
        self.cfg = cfg
        self.user = nn.Embedding(n_users, cfg.embed_dim)
        self.register_buffer("content", content, persistent=False)
        layers, width = [], cfg.embed_dim + content.shape[1]
        for h in cfg.hidden:
            layers += [nn.Linear(width, h), nn.ReLU(), nn.Dropout(cfg.dropout)]
            width = h
        self.mlp = nn.Sequential(*layers)
        self.out = nn.Linear(width, 1)
        nn.init.constant_(self.out.bias, cfg.init_bias)

    def forward(self, batch):
        # "an user embedding layer" + "genome ratings of each movie"
        x = torch.cat([self.user(batch["user"]), self.content[batch["item_row"]]], dim=-1)
        out = self.out(self.mlp(x)).squeeze(-1)     # "2 linear layers with Relu activations and a classifier"
        loss = self.mse_loss(out, batch)
        return out, loss


def build_tsem_nn(cfg: TsemNNConfig, encoder) -> TsemNN:
    return TsemNN(cfg, encoder.cardinalities["user"], item_content_table(encoder, cfg.item_content))


def content_keys(cfg: TsemNNConfig, encoder) -> list[str]:
    return ["genome"] if cfg.item_content == "genome" else []
