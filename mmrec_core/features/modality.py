"""Item features aligned to item ids, with a missing mask (after Cornac's modalities).

Models consume an ``ItemModality``: rows of ``features`` line up with ``item_ids``; where ``mask``
is False the item has no such content (no poster, no plot) and its row is zeros that a model must
mask out, never treat as a real vector.
"""
from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np


@dataclass
class ItemModality:
    name: str                 # "text" or "image"
    encoder: str              # registry name of the encoder that produced the features
    item_ids: np.ndarray      # (n,) int64 dataset item ids
    features: np.ndarray      # (n, d) float32; zero rows where mask is False
    mask: np.ndarray          # (n,) bool, True where the item has this content
    info: dict = field(default_factory=dict)  # provenance: weights identity, preprocessing, counts

    def __post_init__(self):
        self.item_ids = np.asarray(self.item_ids, dtype=np.int64)
        self.features = np.asarray(self.features, dtype=np.float32)
        self.mask = np.asarray(self.mask, dtype=bool)
        n = len(self.item_ids)
        if self.features.ndim != 2 or self.features.shape[0] != n or self.mask.shape != (n,):
            raise ValueError(f"{self.name}: features {self.features.shape} and mask {self.mask.shape} "
                             f"must have one row per item id ({n})")
        if len(np.unique(self.item_ids)) != n:
            raise ValueError(f"{self.name}: item ids must be unique")
        self.features[~self.mask] = 0.0

    @property
    def dim(self) -> int:
        return int(self.features.shape[1])

    @property
    def n_missing(self) -> int:
        return int((~self.mask).sum())

    def align(self, item_ids) -> tuple[np.ndarray, np.ndarray]:
        """Features and mask for ``item_ids`` in that order; unknown ids come back masked."""
        item_ids = np.asarray(item_ids, dtype=np.int64)
        order = np.argsort(self.item_ids)
        pos = np.searchsorted(self.item_ids, item_ids, sorter=order)
        pos = np.clip(pos, 0, len(order) - 1)
        rows = order[pos]
        found = self.item_ids[rows] == item_ids
        feats = np.where(found[:, None], self.features[rows], 0.0).astype(np.float32)
        mask = found & self.mask[rows]
        return feats, mask

    def __repr__(self) -> str:
        return (f"ItemModality({self.name}, encoder={self.encoder!r}, items={len(self.item_ids)}, "
                f"dim={self.dim}, missing={self.n_missing})")
