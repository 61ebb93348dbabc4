"""Replica of Mu & Wu 2023 ("Multi-modal movie recommendation system using deep learning",
Mathematics 11(4):895) as Xia et al. describe their re-implementation of it (section 4.2): "use
convolution neural network to embed the poster information and use dense layer to embed other
information such as users' age, ZIP code movies' genre and so on", single-modal (no poster) and
cross-modal (with poster).

Architecture (``Mu``):

    user tower  : embeddings of user id, age group, gender, occupation, ZIP prefix -> concat
                  -> dense ReLU -> (B, d_hidden)
    movie tower : embeddings of movie id, release decade + genres (multi-hot -> dense)
                  [+ poster CNN (B, d_cnn)] -> concat -> dense ReLU -> (B, d_hidden)
    head        : concat(user, movie) -> dense ReLU -> dense -> rating (regression, MSE)

The poster CNN is trained end to end from pixels: three conv3x3-BN-ReLU-maxpool blocks and a
global average pool. Each unique poster in a batch is run through the CNN once and its output
shared by the batch's ratings of that movie (same gradient as running it per rating; less work).
The per-rating gather is an ``index_select`` so that its backward is deterministic on CPU (see
the notes below).

Assumptions (the paper's details are sparse; none of these is stated by Mu & Wu or Xia et al.):

- Text is not used (Xia's description names posters and structured data only).
- Posters at 32x32 RGB (the notebook's POSTER_SIZE; small for a 2-core CPU) scaled to [0, 1] and
  normalised by ImageNet mean/std; no augmentation.
- Embedding width 32, hidden width 128, CNN channels 16/32/64, dropout 0.2 (small enough to
  train end to end on a 2-core CPU in the notebook's budget).
- Regression output trained with mean squared error; predictions clamped to [1, 5].
- A missing or undecodable poster: the CNN output is replaced by a learned "no poster" vector
  (the missing-modality embedding), never by the CNN of a blank image.
- Optimiser, learning rate (1e-3, Mu & Wu's reported value), batch size and early stopping come
  from :class:`mmrec_core.train.TrainConfig`.

Implementation notes:

- Bit-reproducible across processes on CPU (same seed, same thread count -> same parameters).
  An earlier version gathered the per-rating poster features with ``feats[inv]``; the backward of
  that advanced indexing is ``index_put_(accumulate=True)``, which PyTorch's CPU kernel runs in
  parallel with atomic float adds once the gradient has >= 32768 elements (batch 1024 x 64 CNN
  features) and more than one thread is in use, so duplicate movies in a batch summed their
  gradients in a racing order and the CNN weights differed in the last bits from run to run
  (ML-100K, 5 batches of 1024: a different parameter hash in every process, and in repeats within
  one process too; two notebook runs differed in the fourth decimal of every metric). ``feats.index_select(0,
  inv)`` has the same value and gradient, its backward (``index_add_``) is serial, and it is
  faster, not slower (CPU, 2 threads, 1024 x 64 gather: about 75 us vs 1.2 ms forward + backward;
  20 real training batches about 4.5 s vs 6.4 s). No kernel is pinned: oneDNN convolution and
  batch norm were deterministic in the bisection (bit-identical CNN outputs and gradients across
  processes on real batches; disabling mkldnn did not remove the difference,
  ``torch.use_deterministic_algorithms(True)`` or one thread did).
"""
from __future__ import annotations

from dataclasses import asdict, dataclass

import numpy as np
import torch
import torch.nn as nn

from ..features.images import IMAGENET_MEAN, IMAGENET_STD
from .layers import RatingRegressor


@dataclass
class MuConfig:
    embed_dim: int = 32               # width of each attribute embedding
    d_hidden: int = 128               # tower and head width
    cnn_channels: tuple = (16, 32, 64)   # conv blocks (3x3, BN, ReLU, 2x2 max-pool)
    dropout: float = 0.2              # dropout in the towers and head
    use_poster: bool = True           # cross-modal (True) or single-modal (False)

    def to_dict(self) -> dict:
        return asdict(self)


class PosterCNN(nn.Module):
    """(N, 3, S, S) uint8 -> (N, C) features."""

    def __init__(self, channels):
        super().__init__()
        layers, c_in = [], 3
        for c in channels:
            layers += [nn.Conv2d(c_in, c, 3, padding=1, bias=False), nn.BatchNorm2d(c),
                       nn.ReLU(inplace=True), nn.MaxPool2d(2)]
            c_in = c
        self.net = nn.Sequential(*layers)
        self.out_dim = c_in
        self.register_buffer("mean", torch.tensor(IMAGENET_MEAN).view(1, 3, 1, 1), persistent=False)
        self.register_buffer("std", torch.tensor(IMAGENET_STD).view(1, 3, 1, 1), persistent=False)

    def forward(self, pixels):
        x = (pixels.float() / 255.0 - self.mean) / self.std
        return self.net(x).mean(dim=(2, 3))


class Mu(RatingRegressor):
    """``forward(batch) -> (rating prediction (B,), MSE loss)``; ``predict`` clamps to [1, 5]."""

    USER = ("user", "age", "gender", "occupation", "zip")
    ITEM = ("item", "year")

    def __init__(self, cfg: MuConfig, cardinalities: dict, genre_table: np.ndarray,
                 pixels=None):
        super().__init__()
        self.cfg = cfg
        e, h = cfg.embed_dim, cfg.d_hidden
        self.embed = nn.ModuleDict({n: nn.Embedding(cardinalities[n], e) for n in self.USER + self.ITEM})
        self.register_buffer("genre_table", torch.as_tensor(genre_table, dtype=torch.float32),
                             persistent=False)
        self.genre = nn.Linear(genre_table.shape[1], e)
        self.user_tower = nn.Sequential(nn.Linear(len(self.USER) * e, h), nn.ReLU(), nn.Dropout(cfg.dropout))
        item_in = (len(self.ITEM) + 1) * e
        if cfg.use_poster:
            if pixels is None:
                raise ValueError("cross-modal Mu (use_poster=True) needs a 'pixels' table")
            self.register_buffer("pixels", torch.as_tensor(pixels.values), persistent=False)
            self.register_buffer("pixels_mask", torch.as_tensor(pixels.mask), persistent=False)
            self.cnn = PosterCNN(cfg.cnn_channels)
            self.no_poster = nn.Parameter(torch.zeros(self.cnn.out_dim))
            item_in += self.cnn.out_dim
        self.item_tower = nn.Sequential(nn.Linear(item_in, h), nn.ReLU(), nn.Dropout(cfg.dropout))
        self.head = nn.Sequential(nn.Linear(2 * h, h), nn.ReLU(), nn.Dropout(cfg.dropout),
                                  nn.Linear(h, 1))
        nn.init.constant_(self.head[-1].bias, 3.5)

    def poster_features(self, row):
        """CNN features per rating (B, C), computed once per unique poster in the batch."""
        uniq, inv = torch.unique(row, return_inverse=True)
        has = self.pixels_mask[uniq]
        feats = self.no_poster.expand(len(uniq), -1).clone()
        if has.any():
            feats[has] = self.cnn(self.pixels[uniq[has]]).to(feats.dtype)
        # index_select, not feats[inv]: the backward of advanced indexing is index_put_ with
        # accumulate=True, which on CPU with >1 thread and >= 32768 elements adds with racing
        # atomics (run-to-run different bits); index_select's backward (index_add_) is serial.
        return feats.index_select(0, inv)

    def forward(self, batch):
        row = batch["item_row"]
        u = torch.cat([self.embed[n](batch[n]) for n in self.USER], dim=-1)
        parts = [self.embed[n](batch[n]) for n in self.ITEM] + [self.genre(self.genre_table[row])]
        if self.cfg.use_poster:
            parts.append(self.poster_features(row))
        i = torch.cat(parts, dim=-1)
        out = self.head(torch.cat([self.user_tower(u), self.item_tower(i)], dim=-1)).squeeze(-1)
        loss = self.mse_loss(out, batch)
        return out, loss


def build_mu(cfg: MuConfig, encoder) -> Mu:
    """A model sized by a fitted ``RatingEncoder`` (its ``pixels`` table becomes a buffer)."""
    return Mu(cfg, encoder.cardinalities, encoder.genre_table, encoder.content.get("pixels"))


def content_keys(cfg: MuConfig, encoder) -> list[str]:
    """The encoder's content tables this configuration reads (for the registry's result rows)."""
    return ["pixels"] if cfg.use_poster else []
