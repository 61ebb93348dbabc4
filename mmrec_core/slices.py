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
# Xia's Table 2 models (and SVD++, ours) in figure order, each with the table of the page that records
# its slices. SVD and SVD++ are read from 40_ours (5 seeds; 10_baselines fits 3).
TABLE2_SOURCES = {"Item-CF": "slices", "User-CF": "slices", "SVD": "ours_slices", "SVD++": "ours_slices",
                  "Siet": "slices", "Aljunid": "slices", "Mu single": "slices", "Mu cross": "slices",
                  "Fusion single": "slices", "Fusion cross": "slices", "ours hybrid": "ours_slices"}


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


def baseline_slices(baselines, split, labels: dict, edges=DEFAULT_EDGES, by=("item", "user")) -> pd.DataFrame:
    """:func:`slice_table` of fitted Surprise baselines (:class:`~mmrec_core.baselines.table2.BaselineRuns`).

    labels: figure label -> model name as fitted, e.g. ``{"SVD++": "SVDpp"}``; every fit (seed) of
    the model on ``split`` counts, from the test predictions it kept (nothing is refitted).
    """
    return slice_table(split, {label: list(baselines.test_predictions(name).values()) for label, name in labels.items()},
                       by=by, edges=edges)


def slice_rows(table: pd.DataFrame, source, paper: str = "ours", result_table: str = "slices") -> list:
    """Result rows of :func:`slice_table`: metric ``rmse`` on subset ``test``, the slice in
    ``slice_by`` / ``bin`` and its number of test ratings in ``n_ratings``.

    source: what the predictions came from, with an ``identity`` (dataset, split, profile): an
    :class:`~mmrec_core.experiment.Experiment` or fitted baselines. ``result_table``: the table
    name, one per page (every row has one writer: two pages never record the same slice row).
    """
    from .results import ResultRow

    ident = source.identity
    out = []
    for r in table.itertuples():
        std = None if r.seeds == 1 or pd.isna(r.std) else float(r.std)
        out.append(ResultRow(paper=paper, table=result_table, dataset=ident["dataset"], split=ident["split"],
                             model=r.model.replace(" ", "_"), variant="", subset="test", slice_by=r.by, bin=r.bin,
                             metric="rmse", value=float(r.rmse), std=std, n_seeds=int(r.seeds),
                             n_ratings=int(r.test_ratings), profile=ident["profile"],
                             notes=f"{r.test_ratings} test ratings whose {r.by} has {r.bin} training ratings"))
    return out


def recorded_table(frame: pd.DataFrame, sources: dict, dataset: str = "ml-100k", split: str | None = None,
                   edges=DEFAULT_EDGES) -> pd.DataFrame:
    """The slice rows that pages recorded (:func:`slice_rows`) back as a :func:`slice_table`, with the
    page that wrote each.

    So that one figure can show every model's slices although each page recorded its own.
    sources: figure label -> table it is read from (e.g. ``{"SVD++": "ours_slices"}``), in figure
    order; a label nobody recorded is left out. Only bins of ``edges`` are kept, so that slices cut
    with other edges never share a panel.
    """
    if "page" not in frame:   # rows a page has not written yet (papers.rows_frame)
        frame = frame.assign(page="")
    rows = frame[(frame.dataset == dataset) & (frame.metric == "rmse") & (frame.slice_by != "")
                 & frame.bin.isin(bin_labels(edges))]
    if split is not None:
        rows = rows[rows.split == split]
    picked = [rows[(rows.table == table) & (rows.model == label.replace(" ", "_"))].assign(model=label)
              for label, table in sources.items()]
    columns = ["model", "by", "bin", "test_ratings", "rmse", "std", "seeds", "page"]
    if not picked or all(p.empty for p in picked):
        return pd.DataFrame(columns=columns)
    table = pd.concat(picked, ignore_index=True).rename(columns={"slice_by": "by", "n_ratings": "test_ratings",
                                                                 "value": "rmse", "n_seeds": "seeds"})
    order = {m: i for i, m in enumerate(sources)}
    rank = {label: i for i, label in enumerate(bin_labels_sorted(table.bin.unique()))}
    table = table.assign(_m=table.model.map(order), _rank=table.bin.map(rank))
    table = table.sort_values(["by", "_rank", "_m"], kind="stable")
    return table[columns].astype({"test_ratings": int, "seeds": int}).reset_index(drop=True)


def bin_labels_sorted(labels) -> list[str]:
    """Bin labels (``"0-5"``, ``"6-20"``, ``">100"``) in the order of their lower bound."""
    def low(label: str) -> float:
        return float(label[1:]) + 0.5 if label.startswith(">") else float(label.split("-")[0])
    return sorted(labels, key=low)
