"""Metrics and comparisons over predictions: plain functions on arrays (after Surprise's accuracy)."""
from __future__ import annotations

import numpy as np


def rmse(y_true, y_pred) -> float:
    y_true, y_pred = np.asarray(y_true, float), np.asarray(y_pred, float)
    if y_true.shape != y_pred.shape or y_true.size == 0:
        raise ValueError(f"rmse needs two non-empty arrays of one shape, got {y_true.shape} and {y_pred.shape}")
    return float(np.sqrt(np.mean((y_true - y_pred) ** 2)))


def mae(y_true, y_pred) -> float:
    y_true, y_pred = np.asarray(y_true, float), np.asarray(y_pred, float)
    if y_true.shape != y_pred.shape or y_true.size == 0:
        raise ValueError(f"mae needs two non-empty arrays of one shape, got {y_true.shape} and {y_pred.shape}")
    return float(np.mean(np.abs(y_true - y_pred)))


def hit_rate(y_true, y_pred, threshold: float = 4.0) -> float:
    """The TSEM report's 'hit rate': accuracy of (prediction >= threshold) against (rating >= threshold)."""
    y_true, y_pred = np.asarray(y_true, float), np.asarray(y_pred, float)
    return float(np.mean((y_true >= threshold) == (y_pred >= threshold)))


def expected_rating(probs, ratings=(1, 2, 3, 4, 5)) -> np.ndarray:
    """Expected rating under a softmax over the rating classes: sum_k p_k * r_k."""
    probs = np.asarray(probs, float)
    return probs @ np.asarray(ratings, float)


def argmax_rating(probs, ratings=(1, 2, 3, 4, 5)) -> np.ndarray:
    return np.asarray(ratings, float)[np.asarray(probs).argmax(-1)]


def mse(y_true, y_pred) -> float:
    """Mean squared error (the TSEM report's loss and first metric)."""
    y_true, y_pred = np.asarray(y_true, float), np.asarray(y_pred, float)
    return float(np.mean((y_true - y_pred) ** 2))


METRICS = {"rmse": rmse, "mse": mse, "mae": mae, "hit_rate": hit_rate}  # name -> fn(y_true, y_pred); the registry's metric names


def batch_hit_rate(user_ids, y_true, y_pred, batch_users: int = 50, n_batches: int = 100,
                   threshold: float = 4.0, seed: int = 0) -> dict:
    """The TSEM report's "hit rate" over random batches of users, as the report defines it.

    The report: "Our implementation of hit rate is an average accuracy across a random batch of
    users. The accuracy is calculated from a binary classification task with a predefined
    threshold (>= 4)." It also writes "hit rate@50". Our reading: "@50" is the batch size, 50
    users per batch (the report gives no batch size otherwise); ``n_batches`` is ours. Each of
    ``n_batches`` draws takes ``batch_users`` distinct users (without replacement within a draw,
    ``numpy.random.default_rng(seed)``) and computes :func:`hit_rate` (accuracy of
    ``y_pred >= threshold`` against ``y_true >= threshold``) over all the test ratings of those
    users. It is a rating-classification accuracy, not the ranking hit rate of
    :func:`topk_metrics`.

    Returns the mean over batches, their sample std (NaN for one batch), the 2.5% and 97.5%
    quantiles, ``n_batches``, ``batch_users`` (the users per batch actually used: all users when
    there are fewer than asked, so every batch is then the whole test set), ``n_users`` and
    ``per_batch`` (one accuracy per batch).
    """
    users = np.asarray(user_ids)
    y_true, y_pred = np.asarray(y_true, float), np.asarray(y_pred, float)
    if not (users.shape == y_true.shape == y_pred.shape) or users.ndim != 1 or users.size == 0:
        raise ValueError(f"batch_hit_rate needs three non-empty 1-d arrays of one length, got "
                         f"{users.shape}, {y_true.shape}, {y_pred.shape}")
    if batch_users < 1 or n_batches < 1:
        raise ValueError(f"batch_users and n_batches must be >= 1, got {batch_users}, {n_batches}")
    codes = np.unique(users, return_inverse=True)[1].ravel()
    n_users = int(codes.max()) + 1
    size = min(int(batch_users), n_users)
    rng = np.random.default_rng(seed)
    per_batch = np.empty(n_batches)
    chosen = np.zeros(n_users, bool)
    for b in range(n_batches):
        chosen[:] = False
        chosen[rng.choice(n_users, size=size, replace=False)] = True
        rows = chosen[codes]
        per_batch[b] = hit_rate(y_true[rows], y_pred[rows], threshold)
    mean, std = mean_std(per_batch)
    lo, hi = np.quantile(per_batch, [0.025, 0.975])
    return {"mean": mean, "std": std, "q2.5": float(lo), "q97.5": float(hi), "n_batches": int(n_batches),
            "batch_users": size, "n_users": n_users, "per_batch": per_batch}


def topk_metrics(user_ids, item_ids, scores, relevant, k: int = 10) -> dict:
    """HR@k and NDCG@k per user, averaged over users, computed by torchmetrics.

    ``torchmetrics.retrieval.RetrievalHitRate(top_k=k)`` and ``RetrievalNormalizedDCG(top_k=k)``
    with ``indexes`` = the users, ``preds`` = ``scores`` (higher is better; torchmetrics works in
    float32) and ``target`` = ``relevant`` (bool). HR@k is 1 for a user with a relevant item among
    their k best-scored candidates; NDCG@k is DCG@k / ideal DCG@k with binary gains and discount
    1 / log2(rank + 1), tied scores averaged (sklearn's rule). Users without a relevant candidate
    are skipped (``empty_target_action="skip"``); ``n_users`` counts the users scored (NaN metrics
    when there are none). ``item_ids`` only checks that no (user, item) pair occurs twice. For the
    candidates of the full-ranking protocol see :mod:`mmrec_core.tsem_eval`.
    """
    import torch
    from torchmetrics.retrieval import RetrievalHitRate, RetrievalNormalizedDCG

    users, items = np.asarray(user_ids), np.asarray(item_ids)
    scores, relevant = np.asarray(scores, float), np.asarray(relevant)
    if not (users.shape == items.shape == scores.shape == relevant.shape) or users.ndim != 1:
        raise ValueError(f"topk_metrics needs four 1-d arrays of one length, got {users.shape}, "
                         f"{items.shape}, {scores.shape}, {relevant.shape}")
    if relevant.dtype != bool:
        raise ValueError(f"relevant must be a bool array, got {relevant.dtype}")
    if k < 1:
        raise ValueError(f"k must be >= 1, got {k}")
    codes = np.unique(users, return_inverse=True)[1].ravel()
    item_values, item_codes = np.unique(items, return_inverse=True)
    pair_keys = codes.astype(np.int64) * max(len(item_values), 1) + item_codes.ravel()
    if np.unique(pair_keys).size != codes.size:
        raise ValueError("topk_metrics: a (user, item) pair occurs more than once")
    n_users = int(np.unique(codes[relevant]).size)
    out = {f"hr@{k}": float("nan"), f"ndcg@{k}": float("nan"), "n_users": n_users}
    if n_users == 0:
        return out
    indexes, preds = torch.from_numpy(codes.astype(np.int64)), torch.from_numpy(scores)
    target = torch.from_numpy(relevant)
    for name, metric in ((f"hr@{k}", RetrievalHitRate(top_k=k, empty_target_action="skip")),
                         (f"ndcg@{k}", RetrievalNormalizedDCG(top_k=k, empty_target_action="skip"))):
        metric.update(preds, target, indexes=indexes)
        out[name] = float(metric.compute())
    return out


def mean_std(values) -> tuple[float, float]:
    """Mean and sample standard deviation; the std of a single value is NaN (blank), never 0."""
    v = np.asarray(values, float)
    if v.size == 0:
        raise ValueError("mean_std needs at least one value")
    return float(v.mean()), float(v.std(ddof=1)) if v.size > 1 else float("nan")


def seed_paired_difference(a, b, level: float = 0.95) -> dict:
    """Signed effect ``b - a`` of two variants trained with the same seeds: the seed is the unit.

    ``a`` and ``b`` hold one number per seed (e.g. test RMSE), in the same seed order. Returns the
    mean difference, a Student-t interval at ``level`` over the per-seed differences, the two-sided
    paired t-test p-value and the method. With one seed there is no interval (NaN). When every seed
    gives the same difference the interval collapses to it and p is 0 (or 1 for no difference).
    """
    from scipy import stats

    a, b = np.asarray(a, float), np.asarray(b, float)
    if a.shape != b.shape or a.ndim != 1 or a.size == 0:
        raise ValueError(f"need one value per seed for both variants, got shapes {a.shape} and {b.shape}")
    d = b - a
    n, effect = d.size, float(d.mean())
    out = {"effect": effect, "n_seeds": n, "method": f"paired t over seeds (n={n})",
           "ci_low": float("nan"), "ci_high": float("nan"), "p_value": float("nan")}
    if n < 2:
        out["method"] = "single seed: no interval"
        return out
    sd = float(d.std(ddof=1))
    if sd == 0.0:
        out.update(ci_low=effect, ci_high=effect, p_value=0.0 if effect != 0 else 1.0)
        return out
    half = float(stats.t.ppf(0.5 + level / 2, n - 1)) * sd / np.sqrt(n)
    out.update(ci_low=effect - half, ci_high=effect + half,
               p_value=float(stats.ttest_1samp(d, 0.0).pvalue))
    return out


def welch_difference(a, b, level: float = 0.95) -> dict:
    """Signed effect ``mean(b) - mean(a)`` of two *different models*, each over its own seeds.

    Seeds of two different models are not paired (seed 0 of one has nothing in common with seed 0
    of the other), so the interval is Welch's (unequal variances) over the per-seed values. With a
    single value on a side its spread is unknown: the interval is NaN unless both sides are
    constant, where it collapses to the difference.
    """
    from scipy import stats

    a, b = np.asarray(a, float), np.asarray(b, float)
    if a.ndim != 1 or b.ndim != 1 or not a.size or not b.size:
        raise ValueError("need one value per seed on both sides")
    effect = float(b.mean() - a.mean())
    out = {"effect": effect, "n_seeds": int(min(a.size, b.size)), "ci_low": float("nan"),
           "ci_high": float("nan"), "p_value": float("nan"),
           "method": f"Welch t over seeds (n={a.size} vs {b.size}, unpaired)"}
    if a.size == 1 and b.size == 1:
        out["method"] = "no interval (one value on each side)"
        return out
    if a.size == 1 or b.size == 1:  # a deterministic model (one fit) against the seeds of the other
        many, fixed = (b, a[0]) if a.size == 1 else (a, b[0])
        sd = float(many.std(ddof=1))
        out["method"] = f"one-sample t over {many.size} seeds against a single (deterministic) value"
        if sd == 0.0:
            out.update(ci_low=effect, ci_high=effect, p_value=0.0 if effect != 0 else 1.0)
            return out
        half = float(stats.t.ppf(0.5 + level / 2, many.size - 1)) * sd / np.sqrt(many.size)
        out.update(ci_low=effect - half, ci_high=effect + half,
                   p_value=float(stats.ttest_1samp(many, fixed).pvalue))
        return out
    va, vb = a.var(ddof=1) / a.size, b.var(ddof=1) / b.size
    se = float(np.sqrt(va + vb))
    if se == 0.0:
        out.update(ci_low=effect, ci_high=effect, p_value=0.0 if effect != 0 else 1.0)
        return out
    df = (va + vb) ** 2 / (va ** 2 / (a.size - 1) + vb ** 2 / (b.size - 1))
    half = float(stats.t.ppf(0.5 + level / 2, df)) * se
    out.update(ci_low=effect - half, ci_high=effect + half,
               p_value=float(stats.ttest_ind(b, a, equal_var=False).pvalue))
    return out


def bootstrap_seed_rating_difference(y_true, pred_a, pred_b, n_boot: int = 2000, seed: int = 0,
                                     level: float = 0.95, metric=rmse) -> dict:
    """``metric(b) - metric(a)`` with a bootstrap that resamples both seeds and test ratings.

    ``pred_a``, ``pred_b``: arrays (n_seeds, n_ratings) of predictions on the same test ratings,
    row s of both trained with seed s. Each replicate draws seeds with replacement (the pairing of
    a and b within a seed is kept) and ratings with replacement, and averages the per-seed metric
    difference. The p-value is two-sided: twice the smaller tail share of replicates at or beyond 0.
    """
    y = np.asarray(y_true, float)
    pa, pb = np.atleast_2d(np.asarray(pred_a, float)), np.atleast_2d(np.asarray(pred_b, float))
    if pa.shape != pb.shape or pa.shape[1] != y.size:
        raise ValueError(f"predictions must be (n_seeds, {y.size}) for both variants, got {pa.shape}, {pb.shape}")
    n_seeds, n = pa.shape
    effect = float(np.mean([metric(y, pb[s]) - metric(y, pa[s]) for s in range(n_seeds)]))
    rng = np.random.default_rng(seed)
    sq = metric is rmse
    reps = np.empty(n_boot)
    for r in range(n_boot):
        seeds = rng.integers(0, n_seeds, n_seeds)
        idx = rng.integers(0, n, n)
        if sq:  # vectorised RMSE over the drawn seeds
            ea = np.sqrt(((pa[seeds][:, idx] - y[idx]) ** 2).mean(1))
            eb = np.sqrt(((pb[seeds][:, idx] - y[idx]) ** 2).mean(1))
            reps[r] = float((eb - ea).mean())
        else:
            reps[r] = float(np.mean([metric(y[idx], pb[s, idx]) - metric(y[idx], pa[s, idx]) for s in seeds]))
    lo, hi = np.quantile(reps, [0.5 - level / 2, 0.5 + level / 2])
    p = min(1.0, 2 * min((reps <= 0).mean(), (reps >= 0).mean())) if np.any(reps != 0) else 1.0
    return {"effect": effect, "ci_low": float(lo), "ci_high": float(hi), "p_value": float(p),
            "n_seeds": n_seeds, "method": f"bootstrap over seeds and ratings ({n_boot} draws, n={n_seeds})"}


def verdict(ci_low: float, ci_high: float, better: str = "lower") -> str:
    """Plain words for an interval of ``b - a``: which variant is better, or that it is undecided.

    ``better="lower"`` for errors (RMSE): an interval wholly below 0 means b is better.
    """
    if not (np.isfinite(ci_low) and np.isfinite(ci_high)):
        return "no interval (one seed)"
    if ci_high < 0:
        return "b better" if better == "lower" else "a better"
    if ci_low > 0:
        return "a better" if better == "lower" else "b better"
    return "no detectable difference (interval includes 0)"
