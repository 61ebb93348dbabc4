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


def paired_squared_error_test(y_true, pred_a, pred_b, n_boot: int = 2000, seed: int = 0) -> dict:
    """Compare two models on the same ratings through per-rating squared errors.

    Returns the RMSE of each, the mean difference of squared errors (a - b), a paired t-test p-value,
    a Wilcoxon signed-rank p-value and a bootstrap 95% interval of RMSE(a) - RMSE(b).
    """
    from scipy import stats

    y = np.asarray(y_true, float)
    ea = (np.asarray(pred_a, float) - y) ** 2
    eb = (np.asarray(pred_b, float) - y) ** 2
    d = ea - eb
    rng = np.random.default_rng(seed)
    idx = rng.integers(0, len(y), size=(n_boot, len(y)))
    boot = np.sqrt(ea[idx].mean(1)) - np.sqrt(eb[idx].mean(1))
    t = stats.ttest_rel(ea, eb)
    w = stats.wilcoxon(d) if np.any(d != 0) else None
    return {
        "rmse_a": float(np.sqrt(ea.mean())), "rmse_b": float(np.sqrt(eb.mean())),
        "mean_sq_diff": float(d.mean()), "t_pvalue": float(t.pvalue),
        "wilcoxon_pvalue": float(w.pvalue) if w is not None else 1.0,
        "rmse_diff_ci_low": float(np.quantile(boot, 0.025)),
        "rmse_diff_ci_high": float(np.quantile(boot, 0.975)),
    }


def mean_std(values) -> tuple[float, float]:
    """Mean and sample standard deviation (0 for a single value)."""
    v = np.asarray(values, float)
    return float(v.mean()), float(v.std(ddof=1)) if v.size > 1 else 0.0
