"""Ratings + users + items (+ content) -> integer tensors for the neural replicas.

``RatingEncoder.fit(train, users, items)`` learns one vocabulary per structured feature from the
*training* ratings only (a user, movie, occupation... seen only in validation or test maps to index
0, "unknown"). ``transform(ratings)`` returns a dict of equal-length tensors, the batch format that
:mod:`mmrec_core.train` slices. Item content (genres, text vectors, poster vectors or pixels) is
not copied per rating: each rating carries ``item_row``, an index into per-item tables built over
*all* movies of the item table (content is not label information, so a movie unseen in training
still has its poster and plot). Row 0 of every table is "no such item" and is always masked.

Structured features (Xia et al. section 3.4: user id, age, ZIP code, occupation, gender; movie id,
genre) are coded as:

- ``user``, ``item``: id vocabularies fit on train;
- ``age``: the seven ML-1M age groups (1, 18, 25, 35, 45, 50, 56), applied to ML-100K's exact ages
  too, so both datasets share one coding;
- ``gender``, ``occupation``: vocabularies fit on train;
- ``zip``: the first three characters of the ZIP code (the US sectional centre; the full codes
  are nearly one per user);
- ``year``: the release decade (missing year -> unknown);
- genres: a multi-hot row per item (the dataset's fixed genre list), looked up through ``item_row``.
"""
from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
import pandas as pd

AGE_GROUPS = (1, 18, 25, 35, 45, 50, 56)  # ML-1M README; lower bounds of the groups
CATEGORICAL = ("user", "age", "gender", "occupation", "zip", "item", "year")


def age_group(age) -> np.ndarray:
    """Index (1..7) of the ML-1M age group holding each age; 0 for a missing age."""
    age = np.asarray(age, dtype=float)
    idx = np.searchsorted(np.asarray(AGE_GROUPS, float), age, side="right")  # 1..7
    return np.where(np.isnan(age), 0, np.maximum(idx, 1)).astype(np.int64)


def _vocab(values) -> dict:
    """Sorted distinct values -> 1..n (0 is reserved for unknown)."""
    uniq = sorted(set(values), key=lambda v: (str(type(v)), v))
    return {v: i + 1 for i, v in enumerate(uniq)}


def _lookup(vocab: dict, values) -> np.ndarray:
    return np.fromiter((vocab.get(v, 0) for v in values), dtype=np.int64, count=len(values))


@dataclass
class ContentTable:
    """Per-item content aligned to ``item_row`` (row 0 = unknown item, always masked)."""

    name: str                # "text", "text_title", "image", "pixels" ...
    encoder: str             # what produced the values (encoder registry name, "pixels-64")
    values: np.ndarray       # (n_rows + 1, ...) float32 or uint8
    mask: np.ndarray         # (n_rows + 1,) bool

    @property
    def dim(self) -> int:
        return int(np.prod(self.values.shape[1:]))


@dataclass
class RatingEncoder:
    """Vocabularies fit on train; per-item content tables over the whole item table."""

    genres: tuple[str, ...] = ()
    vocabs: dict = field(default_factory=dict)
    item_ids: np.ndarray | None = None          # item id of row r+1 of every item table
    genre_table: np.ndarray | None = None       # (n_rows + 1, n_genres) float32 multi-hot
    content: dict = field(default_factory=dict)  # name -> ContentTable
    train_mean: float = float("nan")             # mean training rating (global offset of MF models)
    _users: pd.DataFrame | None = None
    _items: pd.DataFrame | None = None

    # ----------------------------------------------------------------------------------------- fit
    def fit(self, train: pd.DataFrame, users: pd.DataFrame, items: pd.DataFrame,
            genres: tuple[str, ...]) -> "RatingEncoder":
        self.genres = tuple(genres)
        self.train_mean = float(train.rating.mean())
        self._users = users.set_index("user_id")
        self._items = items.set_index("item_id")
        self.item_ids = items.item_id.to_numpy(np.int64)
        table = np.zeros((len(items) + 1, len(genres)), dtype=np.float32)
        col = {g: j for j, g in enumerate(genres)}
        for r, gs in enumerate(items.genres, start=1):
            for g in gs:
                table[r, col[g]] = 1.0
        self.genre_table = table
        raw = self._raw(train)
        self.vocabs = {name: _vocab(raw[name]) for name in ("user", "gender", "occupation", "zip",
                                                            "item", "year")}
        self.vocabs["age"] = {g: g for g in range(1, len(AGE_GROUPS) + 1)}  # fixed coding
        return self

    def _raw(self, ratings: pd.DataFrame) -> dict:
        u = self._users.reindex(ratings.user_id.to_numpy())
        it = self._items.reindex(ratings.item_id.to_numpy())
        year = it["year"].astype("Float64").to_numpy(dtype=float, na_value=np.nan)
        decade = np.where(np.isnan(year), -1, (np.nan_to_num(year) // 10) * 10).astype(np.int64)
        return {
            "user": ratings.user_id.to_numpy(np.int64).tolist(),
            "age": age_group(u["age"].to_numpy(dtype=float)),
            "gender": u["gender"].astype(str).tolist(),
            "occupation": u["occupation"].astype(str).tolist(),
            "zip": u["zip"].astype(str).str[:3].tolist(),
            "item": ratings.item_id.to_numpy(np.int64).tolist(),
            "year": decade.tolist(),
        }

    @property
    def cardinalities(self) -> dict[str, int]:
        """Embedding table sizes (vocabulary + the unknown index 0)."""
        return {k: len(v) + 1 for k, v in self.vocabs.items()}

    def item_rows(self, item_ids) -> np.ndarray:
        """1-based row of each item id in the item tables; 0 for an id not in the item table."""
        item_ids = np.asarray(item_ids, dtype=np.int64)
        order = np.argsort(self.item_ids)
        pos = np.clip(np.searchsorted(self.item_ids, item_ids, sorter=order), 0, len(order) - 1)
        rows = order[pos]
        return np.where(self.item_ids[rows] == item_ids, rows + 1, 0).astype(np.int64)

    # ------------------------------------------------------------------------------------- content
    def add_modality(self, key: str, modality) -> "RatingEncoder":
        """Add an :class:`~mmrec_core.features.modality.ItemModality` as a per-item table."""
        feats, mask = modality.align(self.item_ids)
        values = np.concatenate([np.zeros((1, feats.shape[1]), np.float32), feats])
        self.content[key] = ContentTable(modality.name, modality.encoder, values,
                                         np.concatenate([[False], mask]))
        return self

    def add_table(self, key: str, name: str, encoder: str, item_ids, values, mask) -> "RatingEncoder":
        """Add raw per-item arrays (e.g. poster pixels) keyed by item id."""
        rows = self.item_rows(item_ids)
        out = np.zeros((len(self.item_ids) + 1,) + values.shape[1:], dtype=values.dtype)
        m = np.zeros(len(self.item_ids) + 1, dtype=bool)
        keep = rows > 0
        out[rows[keep]] = values[keep]
        m[rows[keep]] = np.asarray(mask, bool)[keep]
        out[~m] = 0
        self.content[key] = ContentTable(name, encoder, out, m)
        return self

    # ----------------------------------------------------------------------------------- transform
    def transform(self, ratings: pd.DataFrame) -> dict:
        """Equal-length tensors: one int64 column per categorical feature, ``item_row``, ``rating``."""
        import torch

        if not self.vocabs:
            raise RuntimeError("RatingEncoder.transform called before fit")
        raw = self._raw(ratings)
        out = {}
        for name in CATEGORICAL:
            if name == "age":
                out[name] = torch.from_numpy(np.asarray(raw[name], np.int64))
            else:
                out[name] = torch.from_numpy(_lookup(self.vocabs[name], raw[name]))
        out["item_row"] = torch.from_numpy(self.item_rows(ratings.item_id.to_numpy()))
        out["rating"] = torch.from_numpy(ratings.rating.to_numpy(np.float32))
        return out

    def __repr__(self) -> str:
        card = ", ".join(f"{k}={v}" for k, v in self.cardinalities.items())
        cont = ", ".join(f"{k}:{t.encoder}(d={t.dim}, missing={int((~t.mask[1:]).sum())})"
                         for k, t in self.content.items())
        return f"RatingEncoder({card}; genres={len(self.genres)}; content=[{cont}])"
