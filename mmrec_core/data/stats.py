"""Dataset statistics: Xia et al.'s Table 1 and the CityU report's EDA tables."""
from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd

from .movielens import MovieLens


def sparsity_pct(n_ratings: int, n_users: int, n_items: int) -> float:
    """Share of the user x item matrix without a rating, in percent."""
    return 100.0 * (1.0 - n_ratings / float(n_users * n_items))


def table1(dataset: MovieLens, content: pd.DataFrame | None = None) -> dict[str, float]:
    """Xia Table 1 for one dataset.

    ``size_mb`` is the total size of the dataset's files in the data home (MB = 10^6 bytes);
    ``size_with_posters_mb`` adds the poster files of the movies that have one. The paper does not
    define either size; its 1.153 GB with posters implies far larger posters than the ~185x278 JPEGs
    available here.
    """
    users = dataset.n_users
    items = dataset.n_items
    n = len(dataset.ratings)
    size = sum(p.stat().st_size for p in dataset.files)
    poster_bytes = 0
    if content is not None:
        paths = {p for p in content.poster_path.dropna()}
        poster_bytes = sum(Path(p).stat().st_size for p in paths)
    return {
        "users": float(users),
        "items": float(items),
        "ratings": float(n),
        "sparsity_pct": round(sparsity_pct(n, users, items), 3),
        "size_mb": round(size / 1e6, 3),
        "size_with_posters_mb": round((size + poster_bytes) / 1e6, 3),
    }


def ratings_per_item(dataset: MovieLens) -> pd.Series:
    return dataset.ratings.groupby("item_id").size().sort_values(ascending=False)


def top_rated_items(dataset: MovieLens, n: int = 15) -> pd.DataFrame:
    """The ``n`` most-rated movies with their number of ratings and mean rating (report Fig 6.3)."""
    g = dataset.ratings.groupby("item_id").rating.agg(["size", "mean"]).rename(
        columns={"size": "n_ratings", "mean": "mean_rating"})
    g = g.sort_values(["n_ratings", "mean_rating"], ascending=False).head(n)
    return g.join(dataset.items.set_index("item_id").title).reset_index()


def genre_frequencies(dataset: MovieLens) -> pd.Series:
    """Number of movies per genre."""
    return dataset.genre_matrix().sum(0).sort_values(ascending=False)


def user_genre_watch_matrix(dataset: MovieLens, normalize: bool = True) -> pd.DataFrame:
    """Users x genres watch frequency (the report's 'watch history dense matrix', Fig 5.1).

    Entry (u, g) counts u's ratings of movies of genre g; with ``normalize`` each row is divided
    by the user's number of ratings.
    """
    gm = dataset.genre_matrix()
    joined = gm.loc[dataset.ratings.item_id.to_numpy()].to_numpy()
    frame = pd.DataFrame(joined, columns=gm.columns)
    frame["user_id"] = dataset.ratings.user_id.to_numpy()
    counts = frame.groupby("user_id").sum()
    if normalize:
        n = dataset.ratings.groupby("user_id").size().reindex(counts.index)
        counts = counts.div(n, axis=0)
    return counts


def rating_distribution(dataset: MovieLens) -> pd.Series:
    return dataset.ratings.rating.value_counts().sort_index()


def global_mean_rmse(train: pd.DataFrame, test: pd.DataFrame) -> float:
    """RMSE of predicting the training mean for every test rating (a floor any model must beat)."""
    mu = float(train.rating.mean())
    return float(np.sqrt(np.mean((test.rating.to_numpy() - mu) ** 2)))


def load_releases(names, home, required: str):
    """Load each release of ``names``; one whose files are absent is skipped with the reason.

    ``required`` (the page's main dataset) is never skipped: its absence raises. Returns
    ``(datasets, skipped)``: name -> MovieLens, and name -> the loader's message, with the data
    home's absolute path shown as ``$MMREC_DATA`` or relative (the message goes on a page).
    """
    from ..paths import show_path
    from .errors import DataFileMissing
    from .movielens import load_movielens

    datasets, skipped = {}, {}
    for name in names:
        try:
            datasets[name] = load_movielens(name, home)
        except DataFileMissing as exc:
            if name == required:
                raise
            skipped[name] = str(exc).replace(str(Path(home).resolve()), show_path(home)).replace(str(home), show_path(home))
    return datasets, skipped


def coverage_by_dataset(contents: dict) -> pd.DataFrame:
    """:func:`~mmrec_core.data.content.coverage_report` of each dataset, stacked."""
    from .content import coverage_report

    return pd.concat({name: coverage_report(c) for name, c in contents.items()}, names=["dataset"])


def table1_rows(datasets: dict, contents: dict, profile: str) -> list:
    """Xia's Table 1 statistics of each dataset as result rows."""
    from ..results import ResultRow

    return [ResultRow(paper="xia", table="table1", dataset=name, split="none", model="dataset",
                      subset="all", metric=metric, value=value, profile=profile)
            for name, ds in datasets.items() for metric, value in table1(ds, contents[name]).items()]


def catalogue_rows(names, home, profile: str) -> list:
    """Table 1 user and movie counts of releases whose ratings file is absent (from their user and
    movie files, verified); releases without those files either are left out."""
    from ..results import ResultRow
    from .errors import DataFileMissing
    from .movielens import load_catalogue

    rows = []
    for name in names:
        try:
            users, items = load_catalogue(name, home)
        except DataFileMissing:
            continue
        for metric, value in (("users", len(users)), ("items", len(items))):
            rows.append(ResultRow(paper="xia", table="table1", dataset=name, split="none", model="dataset",
                                  subset="all", metric=metric, value=float(value), profile=profile,
                                  notes="from the user and movie files only: the ratings file is absent"))
    return rows
