"""Seeded splits shared by every model: Xia's random 90/5/5, seeded K-fold, canonical files.

All functions return row positions into the ratings frame they were given (or frames built from
them), so a split is a pure function of (number of ratings, seed) and identical across models.
"""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

XIA_SPLIT = "xia-90-5-5"


@dataclass(frozen=True)
class Split:
    """Train/validation/test frames of one split, with the name and seed that made them."""

    name: str
    seed: int
    train: pd.DataFrame
    val: pd.DataFrame
    test: pd.DataFrame

    def parts(self) -> dict[str, pd.DataFrame]:
        return {"train": self.train, "val": self.val, "test": self.test}

    def __repr__(self) -> str:
        return (f"Split({self.name}, seed={self.seed}: train={len(self.train):,}, "
                f"val={len(self.val):,}, test={len(self.test):,})")


def xia_split_indices(n: int, seed: int = 0, fractions: tuple[float, float, float] = (0.9, 0.05, 0.05)
                      ) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Positions of Xia's random train/test/validation split ("9:0.5:0.5", section 4.1).

    The order of the paper's words is train, test, validation; fractions here are
    (train, validation, test). Rounding puts any remainder into train.
    """
    if not np.isclose(sum(fractions), 1.0) or min(fractions) < 0:
        raise ValueError(f"fractions must be non-negative and sum to 1, got {fractions}")
    perm = np.random.default_rng(seed).permutation(n)
    n_val = int(round(fractions[1] * n))
    n_test = int(round(fractions[2] * n))
    n_train = n - n_val - n_test
    return np.sort(perm[:n_train]), np.sort(perm[n_train:n_train + n_val]), np.sort(perm[n_train + n_val:])


def xia_split(ratings: pd.DataFrame, seed: int = 0,
              fractions: tuple[float, float, float] = (0.9, 0.05, 0.05)) -> Split:
    """Xia et al.'s random 90/5/5 split of a ratings frame (seeded, disjoint, deterministic)."""
    tr, va, te = xia_split_indices(len(ratings), seed, fractions)
    ratings = ratings.reset_index(drop=True)
    return Split(XIA_SPLIT, seed, ratings.iloc[tr].reset_index(drop=True),
                 ratings.iloc[va].reset_index(drop=True), ratings.iloc[te].reset_index(drop=True))


def random_split_name(fractions: tuple[float, float, float]) -> str:
    """``random-80-10-10`` for fractions (0.8, 0.1, 0.1): the split's name in every result row."""
    return "random-" + "-".join(f"{round(100 * f):g}" for f in fractions)


def random_split(ratings: pd.DataFrame, seed: int = 0,
                 fractions: tuple[float, float, float] = (0.8, 0.1, 0.1)) -> Split:
    """A seeded random (train, validation, test) split with any fractions (the TSEM report gives none).

    The same positions rule as :func:`xia_split` (one seeded permutation, remainder to train), named
    by its fractions (``random-80-10-10``) so its rows never mix with Xia's split.
    """
    tr, va, te = xia_split_indices(len(ratings), seed, fractions)
    ratings = ratings.reset_index(drop=True)
    return Split(random_split_name(fractions), seed, ratings.iloc[tr].reset_index(drop=True),
                 ratings.iloc[va].reset_index(drop=True), ratings.iloc[te].reset_index(drop=True))


def kfold_indices(n: int, k: int = 5, seed: int = 0) -> list[tuple[np.ndarray, np.ndarray]]:
    """Seeded K-fold: a list of (train positions, test positions); the test folds partition 0..n-1."""
    if k < 2 or k > n:
        raise ValueError(f"k must be between 2 and the number of ratings ({n}), got {k}")
    perm = np.random.default_rng(seed).permutation(n)
    folds = np.array_split(perm, k)
    out = []
    for j in range(k):
        test = np.sort(folds[j])
        train = np.sort(np.concatenate([folds[m] for m in range(k) if m != j]))
        out.append((train, test))
    return out


def kfold_name(k: int, seed: int) -> str:
    return f"kfold{k}-seed{seed}"


def canonical_split_name(fold: str, val_fraction: float = 0.05) -> str:
    """``u1-val5`` for fold u1 with 5% of its base held out for validation: the split's name in result rows."""
    return f"{fold}-val{round(100 * val_fraction):g}"


def canonical_split(base: pd.DataFrame, test: pd.DataFrame, fold: str, seed: int = 0,
                    val_fraction: float = 0.05) -> Split:
    """A canonical ML-100K fold (``u1``..``u5``, ``ua``, ``ub``) with a validation part for selection.

    The fold's ``.test`` file is the test part, untouched. The validation part is a seeded random
    ``val_fraction`` of the fold's ``.base`` ratings (one permutation of the base rows in the file's
    order, the first ``round(val_fraction * n)`` positions); the rest of the base trains. So the
    validation part never holds a test rating, and every model selecting on it sees the same rows.
    Read the files with :func:`mmrec_core.data.load_canonical_split`.
    """
    if not 0 < val_fraction < 1:
        raise ValueError(f"val_fraction must be between 0 and 1, got {val_fraction}")
    base = base.reset_index(drop=True)
    perm = np.random.default_rng(seed).permutation(len(base))
    n_val = int(round(val_fraction * len(base)))
    val, train = np.sort(perm[:n_val]), np.sort(perm[n_val:])
    return Split(canonical_split_name(fold, val_fraction), seed, base.iloc[train].reset_index(drop=True),
                 base.iloc[val].reset_index(drop=True), test.reset_index(drop=True))
