"""Do the features carry signal? A genre probe, nearest neighbours and 2-D projections.

The probe predicts a movie's genres (multi-label) from one modality's vectors with one-vs-rest
logistic regression, trained on 80% of the movies and scored on the held-out 20% (seeded, split by
movie). It reports macro-F1 (threshold 0.5) and mean average precision over genres. Run for a
pretrained encoder and for the same architecture with random weights, it separates what the
pretraining contributes from what any fixed projection of the pixels or tokens already gives.
"""
from __future__ import annotations

import re

import numpy as np
import pandas as pd

from .modality import ItemModality

# colour a movie by the first of these genres it has (distinctive genres first), else "other"
COLOUR_GENRES = ("Animation", "Children's", "Horror", "Documentary", "Sci-Fi", "Western", "War",
                 "Musical", "Romance", "Crime", "Action", "Comedy", "Drama")
WELL_KNOWN = ("Toy Story (1995)", "Star Wars (1977)", "Fargo (1996)", "Pulp Fiction (1994)",
              "Lion King, The (1994)", "Alien (1979)")


def movie_split(item_ids, seed: int = 0, test_size: float = 0.2) -> tuple[np.ndarray, np.ndarray]:
    """Seeded split of movies into train and test ids (the probe's held-out movies)."""
    item_ids = np.sort(np.asarray(item_ids, dtype=np.int64))
    rng = np.random.default_rng(seed)
    perm = rng.permutation(len(item_ids))
    n_test = int(round(test_size * len(item_ids)))
    return np.sort(item_ids[perm[n_test:]]), np.sort(item_ids[perm[:n_test]])


def split_name(seed: int = 0, test_size: float = 0.2) -> str:
    train = int(round(100 * (1 - test_size)))
    return f"movies-{train}-{100 - train}-seed{seed}"


def genre_labels(dataset, drop=("unknown",)) -> pd.DataFrame:
    """Items x genres 0/1 (index item_id) without the placeholder genre ``unknown``."""
    g = dataset.genre_matrix()
    return g[[c for c in g.columns if c not in drop]]


def genre_probe(modality: ItemModality, dataset, seed: int = 0, test_size: float = 0.2,
                C: float = 0.1, min_positives: int = 5) -> dict:
    """Held-out genre prediction from ``modality``'s vectors: macro-F1, mAP and their context.

    Only movies with this content (mask True) take part; the movie split itself is made over all
    of ``dataset``'s movies, so every modality and encoder sees the same held-out movies. Features
    are standardised on the training movies; ``C`` is fixed (not tuned on the test movies) and the
    same for pretrained and random encoders; genres with fewer than ``min_positives`` training
    movies are left out.

    The fit runs with one BLAS thread: the solver's sums otherwise depend on the thread count, and
    the mAP moved in its sixth digit between one and two threads (same seed, same features).
    """
    from threadpoolctl import threadpool_limits

    with threadpool_limits(limits=1):
        return _genre_probe(modality, dataset, seed, test_size, C, min_positives)


def _genre_probe(modality, dataset, seed, test_size, C, min_positives) -> dict:
    from sklearn.linear_model import LogisticRegression
    from sklearn.metrics import average_precision_score, f1_score
    from sklearn.multiclass import OneVsRestClassifier
    from sklearn.preprocessing import StandardScaler

    labels = genre_labels(dataset)
    train_ids, test_ids = movie_split(dataset.items.item_id, seed, test_size)
    feats, mask = modality.align(labels.index.to_numpy())
    y_all = labels.to_numpy()
    ids = labels.index.to_numpy()
    tr = np.isin(ids, train_ids) & mask
    te = np.isin(ids, test_ids) & mask
    keep = (y_all[tr].sum(0) >= min_positives) & (y_all[te].sum(0) >= 1)
    genres = [g for g, k in zip(labels.columns, keep) if k]
    y_tr, y_te = y_all[tr][:, keep], y_all[te][:, keep]
    scaler = StandardScaler().fit(feats[tr])
    x_tr, x_te = scaler.transform(feats[tr]), scaler.transform(feats[te])
    clf = OneVsRestClassifier(LogisticRegression(C=C, max_iter=2000, class_weight="balanced"))
    clf.fit(x_tr, y_tr)
    scores = clf.predict_proba(x_te)
    pred = (scores >= 0.5).astype(int)
    return {
        "encoder": modality.encoder, "modality": modality.name,
        "macro_f1": float(f1_score(y_te, pred, average="macro", zero_division=0)),
        "map": float(average_precision_score(y_te, scores, average="macro")),
        "chance_map": float(y_te.mean(0).mean()),   # mAP of constant scores = mean prevalence
        "n_train": int(tr.sum()), "n_test": int(te.sum()), "n_genres": len(genres),
        "genres": genres, "split": split_name(seed, test_size), "C": C,
        "per_genre_ap": dict(zip(genres, average_precision_score(y_te, scores, average=None).tolist())),
    }


def primary_genre(dataset, order=COLOUR_GENRES) -> pd.Series:
    """One genre per movie for colouring plots (first of ``order`` it has, else ``other``)."""
    out = []
    for gs in dataset.items.genres:
        out.append(next((g for g in order if g in gs), "other"))
    return pd.Series(out, index=dataset.items.item_id.to_numpy())


def project_2d(features: np.ndarray, method: str = "pca", seed: int = 0) -> np.ndarray:
    """(n, 2) coordinates of L2-normalised vectors by PCA or t-SNE (PCA-initialised)."""
    x = features / np.maximum(np.linalg.norm(features, axis=1, keepdims=True), 1e-12)
    if method == "pca":
        from sklearn.decomposition import PCA

        return PCA(n_components=2, random_state=seed).fit_transform(x)
    if method == "tsne":
        from sklearn.manifold import TSNE

        perplexity = float(min(30, max(2, (len(x) - 1) // 3)))
        return TSNE(n_components=2, init="pca", random_state=seed, perplexity=perplexity,
                    metric="cosine").fit_transform(x)
    raise ValueError(f"method must be 'pca' or 'tsne', got {method!r}")


def nearest_items(modality: ItemModality, item_id: int, k: int = 5) -> list[tuple[int, float]]:
    """The ``k`` most cosine-similar items with content (the query itself excluded)."""
    feats = modality.features[modality.mask]
    ids = modality.item_ids[modality.mask]
    if item_id not in set(ids.tolist()):
        return []
    x = feats / np.maximum(np.linalg.norm(feats, axis=1, keepdims=True), 1e-12)
    q = x[np.flatnonzero(ids == item_id)[0]]
    sims = x @ q
    order = [i for i in np.argsort(-sims) if ids[i] != item_id][:k]
    return [(int(ids[i]), float(sims[i])) for i in order]


def find_titles(dataset, titles=WELL_KNOWN) -> dict[str, int | None]:
    """Item id per title (exact, then case-insensitive prefix without the year); None if absent."""
    items = dataset.items
    out = {}
    for title in titles:
        hit = items[items.title == title]
        if not len(hit):
            stem = re.sub(r"\s*\(\d{4}\)\s*$", "", title).lower()
            hit = items[items.title.str.lower().str.startswith(stem)]
        out[title] = int(hit.item_id.iloc[0]) if len(hit) else None
    return out


def probe_summary(probe) -> str:
    """Markdown lines: pretrained against random weights per modality, from a ``genre_probe`` table.

    One seeded split of the movies gives one number per encoder and no interval, so the lines say
    which is higher and by how much, not that one is better in general.
    """
    lines = []
    for modality in ("text", "image"):
        p = probe[probe.modality == modality].set_index("variant")
        if not {"pretrained", "random"} <= set(p.index):
            lines.append(f"- **{modality}**: only a random-weight encoder in this profile; no comparison.")
            continue
        d_map = p.loc["pretrained", "map"] - p.loc["random", "map"]
        d_f1 = p.loc["pretrained", "macro_f1"] - p.loc["random", "macro_f1"]
        higher = ("pretrained higher on both" if d_map > 0 and d_f1 > 0 else
                  "random weights higher on both" if d_map < 0 and d_f1 < 0 else "mixed")
        lines.append(f"- **{modality}**: pretrained {p.loc['pretrained', 'encoder']} vs random weights: mAP "
                     f"{p.loc['pretrained', 'map']:.3f} vs {p.loc['random', 'map']:.3f} ({d_map:+.3f}), macro-F1 "
                     f"{p.loc['pretrained', 'macro_f1']:.3f} vs {p.loc['random', 'macro_f1']:.3f} ({d_f1:+.3f}): "
                     f"{higher} (one seeded split of the movies; no interval).")
    return "\n".join(lines)
