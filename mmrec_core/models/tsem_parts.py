"""Pieces shared by the CityU report's models (``tsem_nn``, ``tsem_mf_nn``, ``tsem``).

- :func:`item_content_table`: the movie content vector of NN and TSEM: the dataset's genre flags,
  or the tag-genome scores of a genome release (``encoder.content["genome"]``).
- :class:`MaskedProjection`: one content table (text vectors, poster vectors, cast multi-hot) ->
  ``Linear -> ReLU``, with a learned vector for movies where the table is masked (no plot, no
  poster, no IMDb record): a missing modality is neither zeros nor another movie's content.
- :class:`PosterBackbone`: a pretrained CNN of the encoder registry run on poster pixels inside the
  model, for fine-tuning; once per unique poster of a batch, with the report's augmentation
  (AutoAugment, ColorJitter, RandomRotation) in training mode only.
"""
from __future__ import annotations

import torch
import torch.nn as nn


def item_content_table(encoder, kind: str) -> torch.Tensor:
    """(n_rows + 1, width) float32 movie content aligned to ``item_row``."""
    if kind == "genres":
        return torch.as_tensor(encoder.genre_table, dtype=torch.float32)
    if kind == "genome":
        if "genome" not in encoder.content:
            raise ValueError("item_content='genome' needs a tag-genome release (ml-20m or ml-25m) with "
                             "genome-scores.csv; on ML-100K use item_content='genres'")
        return torch.as_tensor(encoder.content["genome"].values, dtype=torch.float32)
    raise ValueError(f"item_content must be 'genres' or 'genome', got {kind!r}")


class MaskedProjection(nn.Module):
    """``rows (B,) -> (B, out_dim)``: ``ReLU(W x + b)`` of the row's table entry, or a learned
    "missing" vector where the table's mask is False. Computed once per unique row of the batch."""

    def __init__(self, table, out_dim: int):
        super().__init__()
        self.register_buffer("values", torch.as_tensor(table.values, dtype=torch.float32).flatten(1),
                             persistent=False)
        self.register_buffer("mask", torch.as_tensor(table.mask), persistent=False)
        self.proj = nn.Sequential(nn.Linear(self.values.shape[1], out_dim), nn.ReLU())
        self.missing = nn.Parameter(torch.zeros(out_dim))
        self.out_dim = out_dim

    def forward(self, rows):
        uniq, inv = torch.unique(rows, return_inverse=True)
        feats = self.proj(self.values[uniq])
        feats = torch.where(self.mask[uniq].unsqueeze(-1), feats, self.missing.to(feats.dtype))
        return feats.index_select(0, inv)   # index_select: a deterministic backward on CPU (see mu.py)


class PosterBackbone(nn.Module):
    """Poster pixels (uint8) -> pooled CNN features, trainable (the report fine-tunes MobileNetV3-Small).

    ``encoder``: an image encoder of :mod:`mmrec_core.features.encoders` (``mobilenet_v3_small``
    where its weights load, ``efficientnet-lite0`` here, ``tiny-cnn`` in tests).
    """

    def __init__(self, encoder_name: str, pixels, augment: bool = True):
        super().__init__()
        from ..features.encoders import load_encoder
        from ..features.images import poster_augmentation

        enc = load_encoder(encoder_name, device="cpu")
        self.family = enc.spec.family
        if self.family not in ("mobilenet-v3", "efficientnet-lite"):
            raise ValueError(f"poster fine-tuning needs a CNN encoder (mobilenet_v3_small, efficientnet-lite0, "
                             f"tiny-cnn), got {encoder_name!r} ({self.family})")
        self.net = enc.model
        self.encoder_name = enc.name
        self.out_dim = enc.dim
        self.register_buffer("pixels", torch.as_tensor(pixels.values), persistent=False)
        self.register_buffer("mask", torch.as_tensor(pixels.mask), persistent=False)
        self.register_buffer("mean", torch.tensor(enc.spec.mean).view(1, 3, 1, 1), persistent=False)
        self.register_buffer("std", torch.tensor(enc.spec.std).view(1, 3, 1, 1), persistent=False)
        self.augment = poster_augmentation() if augment else None

    def features(self, x):
        if self.family == "efficientnet-lite":
            return self.net.extract_features(x).mean((2, 3))
        return self.net.avgpool(self.net.features(x)).flatten(1)

    def forward(self, rows):
        """(B,) item rows -> (B, out_dim) features and the (B,) mask; one CNN pass per unique poster."""
        uniq, inv = torch.unique(rows, return_inverse=True)
        px = self.pixels[uniq]
        if self.training and self.augment is not None:
            px = torch.stack([self.augment(p) for p in px])
        x = (px.float() / 255.0 - self.mean) / self.std
        feats = self.features(x)
        return feats.index_select(0, inv), self.mask[rows]
