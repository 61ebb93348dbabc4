"""The CityU report's metrics for finished runs: MSE/RMSE, its hit rate, HR@10/NDCG@10, a heavy-user slice.

Every number is computed from the predictions each run stored (``test/predict`` and
``rank/predict``), so nothing is retrained:

- **MSE, RMSE** of the test ratings (all users), and the same on the **heavy-user slice**: test
  ratings of users with at least ``heavy_min`` training ratings (the report trains only on users
  with >= 1000 ratings; no ML-100K user has that many).
- **The report's hit rate**, exactly as it defines it: "an average accuracy across a random batch
  of users. The accuracy is calculated from a binary classification task with a predefined
  threshold (>= 4)" (:func:`mmrec_core.evaluate.batch_hit_rate`: ``n_batches`` seeded draws of
  ``batch_users`` users; its spread over batches is reported too). The report says its hit rates
  "should not be compared directly due to random sampling"; here every model is scored on the same
  draws, so they can be.
- **HR@10 and NDCG@10** (torchmetrics), protocol "full ranking over unrated movies": every test
  user's held-out ratings >= 4 are the relevant items; the candidates are every movie the user did
  not rate in train or validation; a user without a held-out positive is skipped.
"""
from __future__ import annotations

import numpy as np
import pandas as pd

RANK_PROTOCOL = ("full ranking: each test user's candidates are all movies not rated in train or val; "
                 "relevant = held-out test ratings >= 4; users without one skipped (torchmetrics)")


def _relevance(exp, threshold: float = 4.0) -> np.ndarray:
    """Bool per ``rank`` candidate: the (user, movie) is a held-out test rating >= threshold."""
    test = exp.split.test
    pos = set(zip(test.user_id[test.rating >= threshold].to_numpy().tolist(),
                  test.item_id[test.rating >= threshold].to_numpy().tolist()))
    rank = exp.data["rank"]
    rows = rank["item_row"].numpy()
    items = np.where(rows > 0, exp.encoder.item_ids[np.maximum(rows - 1, 0)], -1)
    users = rank["rank_user"].numpy()
    return np.fromiter(((int(u), int(i)) in pos for u, i in zip(users, items)), bool, count=len(users))


def heavy_users(exp, min_ratings: int) -> np.ndarray:
    """Raw ids of the users with at least ``min_ratings`` training ratings."""
    counts = exp.split.train.user_id.value_counts()
    return np.sort(counts.index[counts >= min_ratings].to_numpy())


def run_metrics(runs, exp, *, heavy_min: int = 200, batch_users: int = 50, n_batches: int = 200,
                k: int = 10, hit_seed: int = 0) -> pd.DataFrame:
    """One row per (model, variant, seed): the report's metrics and ours (see the module docstring)."""
    from .evaluate import batch_hit_rate, mse, rmse, topk_metrics
    from .experiment import run_fields
    from .models import get_model

    test = exp.split.test
    y = test.rating.to_numpy(np.float64)
    users = test.user_id.to_numpy()
    heavy = np.isin(users, heavy_users(exp, heavy_min))
    relevant = _relevance(exp) if "rank" in exp.data else None
    rows = []
    for o in runs.outcomes:
        pred = np.asarray(o.predictions["test/predict"], np.float64)
        hit = batch_hit_rate(users, y, pred, batch_users=batch_users, n_batches=n_batches, seed=hit_seed)
        row = {"model": get_model(o.model).label, "variant": o.variant, "seed": o.seed,
               "mse": mse(y, pred), "rmse": rmse(y, pred),
               "hit_rate_pct": 100 * hit["mean"], "hit_rate_pct_batch_std": 100 * hit["std"],
               "mse_heavy": mse(y[heavy], pred[heavy]) if heavy.any() else np.nan,
               "rmse_heavy": rmse(y[heavy], pred[heavy]) if heavy.any() else np.nan,
               "heavy_test_ratings": int(heavy.sum()), **run_fields(o)}
        if relevant is not None and "rank/predict" in o.predictions:
            top = topk_metrics(exp.data["rank"]["rank_user"].numpy(), exp.data["rank"]["item_row"].numpy(),
                               np.asarray(o.predictions["rank/predict"], np.float32), relevant, k=k)
            row[f"hr_at_{k}"], row[f"ndcg_at_{k}"] = top[f"hr@{k}"], top[f"ndcg@{k}"]
            row["ranked_users"] = top["n_users"]
        rows.append(row)
    return pd.DataFrame(rows)


METRIC_COLUMNS = ("mse", "rmse", "hit_rate_pct", "hr_at_10", "ndcg_at_10", "mse_heavy", "rmse_heavy")


def summary_table(metrics: pd.DataFrame, columns=METRIC_COLUMNS) -> pd.DataFrame:
    """Mean ± std over seeds per (model, variant) of :func:`run_metrics` (std blank with one seed)."""
    from .evaluate import mean_std

    out = []
    for (model, variant), g in metrics.groupby(["model", "variant"], sort=False):
        row = {"model": model, "variant": variant, "seeds": len(g)}
        for c in columns:
            if c in g:
                m, s = mean_std(g[c].to_numpy(float))
                row[c] = f"{m:.4f}" + ("" if np.isnan(s) else f" ± {s:.4f}")
        out.append(row)
    return pd.DataFrame(out)


def metric_rows(metrics: pd.DataFrame, exp, paper: str = "tsem", table: str = "models",
                variant_names: dict | None = None, encoders: dict | None = None, heavy_min: int = 200,
                batch_users: int = 50, n_batches: int = 200) -> list:
    """Result rows for the metrics :meth:`Runs.rows` does not make (hit rate, HR@10, NDCG@10, heavy slice).

    Each metric: mean and std over seeds, plus one row per seed (its ``seed`` field) for later pages.
    ``encoders``: (model, variant) -> (text encoder, image encoder) as :meth:`Runs.rows` names them.
    """
    from .evaluate import mean_std
    from .experiment import RUN_FIELDS
    from .results import ResultRow

    ident = exp.identity
    rename = variant_names or {}
    subsets = {"hit_rate_pct": "test", "hr_at_10": "test", "ndcg_at_10": "test",
               "mse_heavy": "test_heavy", "rmse_heavy": "test_heavy"}
    notes = {"hit_rate_pct": f"the report's hit rate: accuracy of (>= 4) over {n_batches} seeded batches of "
                             f"{batch_users} test users; mean over batches",
             "hr_at_10": RANK_PROTOCOL, "ndcg_at_10": RANK_PROTOCOL,
             "mse_heavy": f"test ratings of users with >= {heavy_min} training ratings",
             "rmse_heavy": f"test ratings of users with >= {heavy_min} training ratings"}
    out = []
    for (model, variant), g in metrics.groupby(["model", "variant"], sort=False):
        enc_text, enc_image = (encoders or {}).get((model, variant), ("", ""))
        common = dict(paper=paper, table=table, dataset=ident["dataset"], split=ident["split"], model=model,
                      variant=rename.get(variant, variant), profile=ident["profile"], encoder_text=enc_text,
                      encoder_image=enc_image)
        for metric, subset in subsets.items():
            if metric not in g or g[metric].isna().all():
                continue
            vals = g[metric].to_numpy(float)
            m, s = mean_std(vals)
            extra = ""
            if metric == "hit_rate_pct":
                extra = f"; spread over batches (std, mean over seeds) {g.hit_rate_pct_batch_std.mean():.2f} points"
            out.append(ResultRow(subset=subset, metric=metric, value=m, std=s, n_seeds=len(vals),
                                 notes=f"seeds {g.seed.tolist()}; {notes[metric]}{extra}", **common))
            runs = g.to_dict("records")
            out += [ResultRow(subset=subset, metric=metric, seed=int(r["seed"]), value=float(r[metric]), n_seeds=1,
                              **{k: r[k] for k in RUN_FIELDS if k in r}, **common) for r in runs]
    return out
