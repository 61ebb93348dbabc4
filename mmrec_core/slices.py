"""Where does content help? Test RMSE by how often the movie (or user) was rated in training.

Content features should matter most for rarely rated movies: a movie with two training ratings
has almost no collaborative signal, so only its genres, plot or poster can place it. These helpers
cut the test ratings of a split by the training count of their movie or user (bins such as 0-5,
6-20, 21-100, >100) and give every model's RMSE per bin, mean and std over its seeds, from the
predictions its runs stored (nothing is retrained).
"""
from __future__ import annotations

import numpy as np
import pandas as pd

DEFAULT_EDGES = (5, 20, 100)   # bins 0-5, 6-20, 21-100, >100 training ratings


def bin_labels(edges=DEFAULT_EDGES) -> list[str]:
    lows = [0] + [e + 1 for e in edges]
    return [f"{lo}-{hi}" for lo, hi in zip(lows, edges)] + [f">{edges[-1]}"]


def training_counts(split, by: str = "item") -> np.ndarray:
    """Per test rating: how many training ratings its movie (``by="item"``) or user has."""
    key = {"item": "item_id", "user": "user_id"}[by]
    counts = split.train[key].value_counts()
    return split.test[key].map(counts).fillna(0).to_numpy(np.int64)


def assign_bins(counts, edges=DEFAULT_EDGES) -> np.ndarray:
    """Bin index of each count (0: 0..edges[0], ..., len(edges): above the last edge)."""
    return np.searchsorted(np.asarray(edges), np.asarray(counts), side="left")


def slice_table(split, predictions: dict, by=("item", "user"), edges=DEFAULT_EDGES) -> pd.DataFrame:
    """RMSE per (by, model, bin): mean and std over seeds, with the bin's number of test ratings.

    predictions: model label -> list of per-seed test prediction arrays (aligned to ``split.test``).
    by: ``"item"``, ``"user"`` or both (a tuple).
    """
    if not isinstance(by, str):
        return pd.concat([slice_table(split, predictions, b, edges) for b in by], ignore_index=True)
    from .evaluate import mean_std, rmse

    y = split.test.rating.to_numpy(np.float64)
    bins = assign_bins(training_counts(split, by), edges)
    labels = bin_labels(edges)
    rows = []
    for model, per_seed in predictions.items():
        for b, label in enumerate(labels):
            m = bins == b
            if not m.any():
                continue
            vals = [rmse(y[m], np.asarray(p, np.float64)[m]) for p in per_seed]
            mean, std = mean_std(vals)
            rows.append({"model": model, "by": by, "bin": label, "test_ratings": int(m.sum()),
                         "rmse": mean, "std": std, "seeds": len(vals)})
    return pd.DataFrame(rows)


def runs_predictions(runs, variant: str, key: str = "test/predict") -> list[np.ndarray]:
    """The per-seed test predictions of one variant of :class:`~mmrec_core.experiment.Runs`."""
    return [o.predictions[key] for o in runs.of(variant)]


def slice_rows(table: pd.DataFrame, experiment, paper: str = "ours", result_table: str = "slices") -> list:
    """Result rows of :func:`slice_table` (metric ``rmse``, subset ``test_<by>s_<bin>``)."""
    from .results import ResultRow

    ident = experiment.identity
    out = []
    for r in table.itertuples():
        std = None if r.seeds == 1 or pd.isna(r.std) else float(r.std)
        out.append(ResultRow(paper=paper, table=result_table, dataset=ident["dataset"], split=ident["split"],
                             model=r.model.replace(" ", "_"), variant="", subset=f"test_{r.by}s_{r.bin}", metric="rmse",
                             value=float(r.rmse), std=std, n_seeds=int(r.seeds), profile=ident["profile"],
                             notes=f"{r.test_ratings} test ratings whose {r.by} has {r.bin} training ratings"))
    return out
