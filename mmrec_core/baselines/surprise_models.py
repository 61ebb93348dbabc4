"""Surprise baselines on the project's own splits (Xia's 90/5/5 and a seeded K-fold).

Which kNN for Xia's "Item-CF" and "User-CF": the paper does not say. We use Surprise's
``KNNWithMeans`` (k=40, min_k=1) with Pearson similarity: the mean-centred neighbourhood model of
Herlocker et al. (1999) for users and Sarwar et al. (2001) for items, the textbook meaning of
user- and item-based CF. ``SVD`` is Surprise's biased matrix factorisation (Funk SVD) with its
defaults. Surprise's other algorithms run with default parameters in the cross-validation table.
"""
from __future__ import annotations

import time
from dataclasses import dataclass

import numpy as np
import pandas as pd

from ..data.splits import kfold_indices
from ..evaluate import mae, rmse
from ..progress import progress_bar

CV_ALGORITHMS = ("NormalPredictor", "BaselineOnly", "KNNBasic", "KNNWithMeans", "KNNBaseline",
                 "SVD", "SVDpp", "NMF", "SlopeOne", "CoClustering")
SEEDED = {"SVD", "SVDpp", "NMF", "CoClustering"}


def make_algorithm(name: str, seed: int = 0, **params):
    """A Surprise algorithm by class name, default parameters unless given, seeded where it can be.

    ``Item-CF`` and ``User-CF`` are the paper's names for KNNWithMeans with Pearson similarity.
    """
    import surprise

    if name in ("Item-CF", "User-CF"):
        sim = {"name": "pearson", "user_based": name == "User-CF"}
        sim.update(params.pop("sim_options", {}))
        return surprise.KNNWithMeans(k=params.pop("k", 40), min_k=params.pop("min_k", 1),
                                     sim_options=sim, verbose=False, **params)
    if not hasattr(surprise, name):
        raise ValueError(f"unknown Surprise algorithm {name!r}")
    cls = getattr(surprise, name)
    if name in SEEDED:
        params.setdefault("random_state", seed)
    if name.startswith("KNN"):
        params.setdefault("verbose", False)
    if name == "BaselineOnly":
        params.setdefault("verbose", False)
    return cls(**params)


def to_trainset(frame: pd.DataFrame, rating_scale=(1, 5)):
    """A Surprise Trainset from a canonical ratings frame (user_id, item_id, rating)."""
    from surprise import Dataset, Reader

    data = Dataset.load_from_df(frame[["user_id", "item_id", "rating"]].astype({"rating": float}),
                                Reader(rating_scale=rating_scale))
    return data.build_full_trainset()


def predict_frame(algo, frame: pd.DataFrame) -> np.ndarray:
    """Predictions for every row of ``frame`` (clipped to the rating scale, as Surprise does)."""
    return np.fromiter((algo.predict(u, i).est for u, i in zip(frame.user_id.to_numpy(),
                                                                frame.item_id.to_numpy())),
                       dtype=float, count=len(frame))


@dataclass
class FitResult:
    model: str
    seed: int
    rmse: dict          # subset -> rmse
    predictions: dict   # subset -> np.ndarray
    fit_s: float
    predict_s: float


def fit_and_evaluate(name: str, train: pd.DataFrame, parts: dict[str, pd.DataFrame], seed: int = 0,
                     **params) -> FitResult:
    """Fit ``name`` on ``train`` and compute RMSE on each frame of ``parts`` (train, val, test ...)."""
    np.random.seed(seed)  # NormalPredictor draws from numpy's global generator
    algo = make_algorithm(name, seed=seed, **params)
    t0 = time.perf_counter()
    algo.fit(to_trainset(train))
    fit_s = time.perf_counter() - t0
    t0 = time.perf_counter()
    preds = {k: predict_frame(algo, f) for k, f in parts.items()}
    predict_s = time.perf_counter() - t0
    scores = {k: rmse(parts[k].rating.to_numpy(), p) for k, p in preds.items()}
    return FitResult(name, seed, scores, preds, fit_s, predict_s)


def cross_validate(ratings: pd.DataFrame, names=CV_ALGORITHMS, k: int = 5, seed: int = 0,
                   progress: bool = True) -> pd.DataFrame:
    """K-fold cross-validation of Surprise algorithms on one shared, seeded set of folds.

    Returns one row per (algorithm, fold) with rmse, mae, fit_s, test_s.
    """
    folds = kfold_indices(len(ratings), k=k, seed=seed)
    ratings = ratings.reset_index(drop=True)
    rows = []
    total = len(names) * k
    with progress_bar(total=total, desc="cross-validation", enabled=progress) as bar:
        for name in names:
            for j, (tr, te) in enumerate(folds):
                bar.set_postfix_str(f"{name} fold {j + 1}")
                np.random.seed(seed)
                algo = make_algorithm(name, seed=seed)
                t0 = time.perf_counter()
                algo.fit(to_trainset(ratings.iloc[tr]))
                fit_s = time.perf_counter() - t0
                test = ratings.iloc[te]
                t0 = time.perf_counter()
                pred = predict_frame(algo, test)
                test_s = time.perf_counter() - t0
                y = test.rating.to_numpy()
                rows.append({"model": name, "fold": j, "rmse": rmse(y, pred), "mae": mae(y, pred),
                             "fit_s": fit_s, "test_s": test_s})
                bar.update(1)
    return pd.DataFrame(rows)


def summarize_cv(per_fold: pd.DataFrame) -> pd.DataFrame:
    """Mean and std over folds per algorithm, in the order the algorithms were run."""
    order = list(dict.fromkeys(per_fold.model))
    agg = per_fold.groupby("model")[["rmse", "mae", "fit_s", "test_s"]].agg(["mean", "std"])
    return agg.reindex(order)
