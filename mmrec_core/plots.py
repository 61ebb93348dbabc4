"""Figure functions for the data and baseline pages: each returns a matplotlib ``Figure``."""
from __future__ import annotations

import numpy as np
import pandas as pd


def _fig(w=7.0, h=4.0):
    import matplotlib.pyplot as plt

    fig, ax = plt.subplots(figsize=(w, h), constrained_layout=True)
    return fig, ax


def rating_distribution(counts: pd.Series, title: str = "Rating distribution"):
    fig, ax = _fig(6, 3.5)
    ax.bar(counts.index.astype(str), counts.to_numpy(), color="#4C72B0")
    ax.set_xlabel("rating")
    ax.set_ylabel("number of ratings")
    ax.set_title(title)
    for x, y in zip(counts.index.astype(str), counts.to_numpy()):
        ax.annotate(f"{100 * y / counts.sum():.1f}%", (x, y), ha="center", va="bottom", fontsize=8)
    return fig


def ratings_per_item(per_item: pd.Series, title: str = "Ratings per movie"):
    fig, ax = _fig(6, 3.5)
    ax.hist(per_item.to_numpy(), bins=50, color="#55A868", log=True)
    ax.set_xlabel("number of ratings of a movie")
    ax.set_ylabel("movies (log scale)")
    ax.set_title(title)
    return fig


def top_items_mean_rating(top: pd.DataFrame, title: str = "Mean rating of the most-rated movies"):
    fig, ax = _fig(7, 0.28 * len(top) + 1.2)
    labels = [t if len(t) < 40 else t[:37] + "..." for t in top.title]
    ax.barh(labels[::-1], top.mean_rating.to_numpy()[::-1], color="#C44E52")
    for y, (m, n) in enumerate(zip(top.mean_rating.to_numpy()[::-1], top.n_ratings.to_numpy()[::-1])):
        ax.text(m + 0.02, y, f"{m:.2f} (n={n})", va="center", fontsize=7)
    ax.set_xlim(0, 5.6)
    ax.set_xlabel("mean rating")
    ax.set_title(title)
    return fig


def genre_frequencies(freq: pd.Series, title: str = "Movies per genre"):
    fig, ax = _fig(7, 3.8)
    ax.bar(freq.index, freq.to_numpy(), color="#8172B2")
    ax.set_ylabel("movies")
    ax.set_title(title)
    ax.tick_params(axis="x", rotation=70)
    return fig


def user_genre_heatmap(matrix: pd.DataFrame, n_users: int = 60, title: str | None = None):
    """The report's user x genre watch-frequency matrix for the ``n_users`` most active users."""
    fig, ax = _fig(8, 5)
    m = matrix.iloc[:n_users]
    im = ax.imshow(m.to_numpy(), aspect="auto", cmap="viridis")
    ax.set_xticks(range(m.shape[1]), m.columns, rotation=70, fontsize=8)
    ax.set_ylabel(f"user (first {len(m)})")
    ax.set_title(title or "User x genre watch frequency (share of a user's ratings)")
    fig.colorbar(im, ax=ax, shrink=0.8)
    return fig


def content_coverage(coverage: pd.DataFrame, title: str = "Content coverage"):
    fig, ax = _fig(7, 3)
    labels = [f"{m} ({s})" for m, s in zip(coverage.modality, coverage.source)]
    ax.barh(labels[::-1], coverage.share_pct.to_numpy()[::-1], color="#64B5CD")
    ax.set_xlim(0, 105)
    ax.set_xlabel("% of movies")
    ax.set_title(title)
    return fig


def cv_comparison(summary: pd.DataFrame, metric: str = "rmse", title: str | None = None):
    """Bar chart with error bars of a cross-validation summary (``summarize_cv`` output)."""
    fig, ax = _fig(7, 3.8)
    mean, std = summary[(metric, "mean")], summary[(metric, "std")]
    order = np.argsort(mean.to_numpy())
    ax.barh(np.array(summary.index)[order][::-1], mean.to_numpy()[order][::-1],
            xerr=std.to_numpy()[order][::-1], color="#4C72B0")
    ax.set_xlabel(f"{metric.upper()} (mean ± std over folds)")
    lo = float(mean.min()) * 0.9
    ax.set_xlim(lo, float(mean.max() + std.max()) * 1.02)
    ax.set_title(title or f"5-fold cross-validation: {metric.upper()}")
    return fig
