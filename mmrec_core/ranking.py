"""Top-N lists from predicted ratings: precision, recall, F1, KMeans genre diversification, diversity.

Siet et al. 2024 report precision, recall and F1 beside RMSE and MAE, and diversify the top-N list
with KMeans over movie genre embeddings ("integrating this clustering information with predicted
ratings to ensure diversity"); the full text's protocol could not be retrieved. Two protocols here:

- ``all-unrated`` (the main one): for each test user, score every movie the user has not rated in
  train or validation (the ``rank`` subset of :func:`mmrec_core.models.siet.add_history`), keep the
  top N; a hit is a held-out *test* rating >= ``relevance``. precision = hits / N, recall = hits /
  the user's relevant test ratings, averaged over users with at least one relevant test rating;
  F1 = 2 P R / (P + R) of the averages. The list is what a recommender would show, so the
  diversification changes it.
- ``heldout`` (the Surprise FAQ's ``precision_recall_at_k``): for each test user, rank only their
  own test ratings by prediction, keep the top N; recommended = predicted >= ``relevance``,
  relevant = rated >= ``relevance``; precision = relevant and recommended / recommended (0 when
  nothing is recommended), recall = relevant and recommended / relevant (0 when nothing is
  relevant), averaged over all test users. Common in papers that report P/R/F1 next to RMSE;
  with about five test ratings per user the list is nearly all of them, so no diversification.

Diversification (:func:`diversify`): KMeans (scikit-learn, fixed seed) over the movies' multi-hot
genre vectors; walking down the predicted ranking, a movie enters the list unless its cluster
already holds ``cap`` movies (default ceil(N / clusters)); a list still short at the end of the
ranking is filled with the best skipped movies. Diversity (:func:`intra_list_diversity`): the mean
over pairs of a list of 1 - cosine similarity of their genre vectors, averaged over users.
"""
from __future__ import annotations

import math

import numpy as np
import pandas as pd


# ------------------------------------------------------------------------------ building blocks
def genre_clusters(genre_table: np.ndarray, n_clusters: int, seed: int = 0) -> np.ndarray:
    """KMeans cluster of every item-table row (row 0, "no item", gets -1)."""
    from sklearn.cluster import KMeans

    x = np.asarray(genre_table, np.float64)[1:]
    labels = KMeans(n_clusters=n_clusters, n_init=10, random_state=seed).fit_predict(x)
    return np.concatenate([[-1], labels]).astype(np.int64)


def diversify(ranked_rows: np.ndarray, clusters: np.ndarray, n: int, cap: int) -> np.ndarray:
    """The first ``n`` of ``ranked_rows`` (best first) taking at most ``cap`` per cluster."""
    taken, skipped, count = [], [], {}
    for r in ranked_rows:
        c = int(clusters[r])
        if count.get(c, 0) < cap:
            taken.append(r)
            count[c] = count.get(c, 0) + 1
            if len(taken) == n:
                break
        else:
            skipped.append(r)
    if len(taken) < n:  # not enough clusters among the candidates: the best skipped ones
        taken += skipped[:n - len(taken)]
    return np.asarray(taken, np.int64)


def intra_list_diversity(rows: np.ndarray, genre_table: np.ndarray) -> float:
    """Mean over pairs of 1 - cosine(genres) of one list; NaN for a list of fewer than two."""
    if len(rows) < 2:
        return float("nan")
    g = np.asarray(genre_table, np.float64)[rows]
    norm = np.linalg.norm(g, axis=1, keepdims=True)
    g = np.divide(g, norm, out=np.zeros_like(g), where=norm > 0)
    sim = g @ g.T
    iu = np.triu_indices(len(rows), k=1)
    return float(np.mean(1.0 - sim[iu]))


def top_n_lists(users: np.ndarray, rows: np.ndarray, scores: np.ndarray, n: int,
                clusters: np.ndarray | None = None, cap: int | None = None) -> dict:
    """``user -> top-n item rows`` (best first; ties by item row), diversified when ``clusters``."""
    users, rows, scores = (np.asarray(a) for a in (users, rows, scores))
    order = np.lexsort((rows, -scores, users))
    u, r = users[order], rows[order]
    starts = np.flatnonzero(np.r_[True, u[1:] != u[:-1]])
    ends = np.r_[starts[1:], len(u)]
    if clusters is not None and cap is None:
        cap = math.ceil(n / (clusters.max() + 1))
    out = {}
    for s, e in zip(starts, ends):
        ranked = r[s:e]
        out[int(u[s])] = ranked[:n] if clusters is None else diversify(ranked, clusters, n, cap)
    return out


def precision_recall(lists: dict, relevant: dict, n: int) -> dict:
    """Mean precision@n and recall@n over users with a relevant item; F1 of the two means."""
    p, r = [], []
    for user, rel in relevant.items():
        if not rel:
            continue
        hits = len(set(map(int, lists.get(user, ()))) & rel)
        p.append(hits / n)
        r.append(hits / len(rel))
    prec, rec = (float(np.mean(v)) if v else float("nan") for v in (p, r))
    f1 = 2 * prec * rec / (prec + rec) if prec + rec > 0 else 0.0
    return {"precision": prec, "recall": rec, "f1": f1, "n_users": len(p)}


def heldout_precision_recall(users, y_true, y_pred, n: int, relevance: float = 4.0) -> dict:
    """The Surprise FAQ's precision/recall@n over each user's own held-out ratings."""
    frame = pd.DataFrame({"u": np.asarray(users), "t": np.asarray(y_true, float), "p": np.asarray(y_pred, float)})
    frame = frame.sort_values(["u", "p"], ascending=[True, False], kind="stable")
    frame["rank"] = frame.groupby("u").cumcount()
    top = frame[frame["rank"] < n]
    rel = frame.assign(x=frame.t >= relevance).groupby("u").x.sum()
    rec_k = top.assign(x=top.p >= relevance).groupby("u").x.sum()
    both = top.assign(x=(top.p >= relevance) & (top.t >= relevance)).groupby("u").x.sum()
    rec_k, both = rec_k.reindex(rel.index, fill_value=0), both.reindex(rel.index, fill_value=0)
    prec = np.where(rec_k > 0, both / rec_k.where(rec_k > 0, 1), 0.0)
    recall = np.where(rel > 0, both / rel.where(rel > 0, 1), 0.0)
    p, r = float(np.mean(prec)), float(np.mean(recall))
    return {"precision": p, "recall": r, "f1": 2 * p * r / (p + r) if p + r > 0 else 0.0,
            "n_users": int(len(rel))}


# ---------------------------------------------------------------------------------- over runs
def evaluate_runs(runs, experiment, top_n: int = 10, relevance: float = 4.0,
                  diversify_options=(False, True), n_clusters: int = 5, cap: int | None = None,
                  kmeans_seed: int = 0) -> pd.DataFrame:
    """One row per (variant, seed, protocol, diversify): precision, recall, F1, diversity.

    Reads each run's predictions of the ``rank`` subset (``rank/predict``) and of ``test``;
    relevance comes from the experiment's test frame. No model is rebuilt or retrained.
    """
    enc = experiment.encoder
    rank = experiment.data["rank"]
    r_users, r_rows = rank["rank_user"].numpy(), rank["item_row"].numpy()
    test = experiment.split.test
    t_rows = enc.item_rows(test.item_id.to_numpy())
    good = test.rating.to_numpy() >= relevance
    relevant = {int(u): set() for u in np.unique(test.user_id.to_numpy())}
    for u, r in zip(test.user_id.to_numpy()[good], t_rows[good]):
        relevant[int(u)].add(int(r))
    clusters = genre_clusters(enc.genre_table, n_clusters, kmeans_seed) if any(diversify_options) else None
    out = []
    for o in runs.outcomes:
        scores = o.predictions["rank/predict"]
        for div in diversify_options:
            lists = top_n_lists(r_users, r_rows, scores, top_n, clusters if div else None, cap)
            pr = precision_recall(lists, relevant, top_n)
            ild = float(np.nanmean([intra_list_diversity(v, enc.genre_table) for v in lists.values()]))
            out.append({"variant": o.variant, "seed": o.seed, "protocol": "all-unrated",
                        "diversify": bool(div), "top_n": top_n, "relevance": relevance,
                        **pr, "diversity": ild})
        h = heldout_precision_recall(test.user_id.to_numpy(), test.rating.to_numpy(),
                                     o.predictions["test/predict"], top_n, relevance)
        out.append({"variant": o.variant, "seed": o.seed, "protocol": "heldout", "diversify": False,
                    "top_n": top_n, "relevance": relevance, **h, "diversity": np.nan})
    return pd.DataFrame(out)


def summarize(frame: pd.DataFrame) -> pd.DataFrame:
    """Mean and std over seeds per (variant, protocol, diversify)."""
    from .evaluate import mean_std

    rows = []
    for (variant, protocol, div), g in frame.groupby(["variant", "protocol", "diversify"], sort=False):
        row = {"variant": variant, "protocol": protocol, "diversify": div, "n_seeds": len(g)}
        for m in ("precision", "recall", "f1", "diversity"):
            row[m], row[f"{m}_std"] = mean_std(g[m]) if g[m].notna().any() else (np.nan, np.nan)
        rows.append(row)
    return pd.DataFrame(rows)


# ------------------------------------------------------------------------------ page tables
METRIC_LABELS = {"precision": "precision", "recall": "recall", "f1": "F1", "diversity": "diversity"}
NOT_APPLICABLE = ("diversity is blank for heldout: its list is the user's own test ratings, not a list "
                  "drawn from the catalogue, so it is neither diversified nor measured")


def summary_table(frame: pd.DataFrame, decimals: int = 4):
    """:func:`summarize` as a page shows it (a Styler): one row per list (``all-unrated``,
    ``all-unrated-kmeans``, ``heldout``), the mean and ``± std`` of each metric in separate columns,
    a blank where a metric does not apply (diversity of heldout), said in the caption."""
    from .tables import fmt_count, fmt_number

    s = summarize(frame)
    shown = pd.DataFrame({("variant", ""): s.variant,
                          ("list", ""): [variant_name(p, d) for p, d in zip(s.protocol, s.diversify)],
                          ("seeds", ""): s.n_seeds.map(fmt_count)})
    for m, label in METRIC_LABELS.items():
        shown[(label, "mean")] = s[m].map(lambda v: fmt_number(v, decimals))
        shown[(label, "± std")] = s[f"{m}_std"].map(lambda v: fmt_number(v, decimals))
    shown.columns = pd.MultiIndex.from_tuples(shown.columns)
    return _page_table(shown, frame)


def runs_table(frame: pd.DataFrame, decimals: int = 4):
    """:func:`evaluate_runs` per seed as a page shows it (a Styler): one row per (seed, list), fixed
    decimals, a blank where a metric does not apply (diversity of heldout), said in the caption; top N
    and the relevance threshold, the same in every row, said there too."""
    from .tables import fmt_count, fmt_number

    shown = pd.DataFrame({"variant": frame.variant, "seed": frame.seed.map(fmt_count),
                          "list": [variant_name(p, d) for p, d in zip(frame.protocol, frame.diversify)]})
    for m, label in METRIC_LABELS.items():
        shown[label] = frame[m].map(lambda v: fmt_number(v, decimals))
    shown["users"] = frame.n_users.map(fmt_count)
    return _page_table(shown, frame)


def _page_table(shown: pd.DataFrame, frame: pd.DataFrame):
    """``shown`` with one variant said in the caption (not a column), beside top N, the relevance
    threshold and why a blank is blank."""
    from .tables import page_table

    said = []
    variant = shown.columns[0]            # "variant" or ("variant", "")
    if frame.variant.nunique() == 1:
        shown = shown.drop(columns=[variant])
        if frame.variant.iloc[0]:
            said.append(f"variant {frame.variant.iloc[0]}")
    for col, text in (("top_n", "top {:g}"), ("relevance", "relevant: rating >= {:g}")):
        if col in frame and frame[col].nunique() == 1:
            said.append(text.format(frame[col].iloc[0]))
    heldout = frame.protocol == "heldout"
    if heldout.any() and frame.loc[heldout, "diversity"].isna().all():
        said.append(NOT_APPLICABLE)
    return page_table(shown.reset_index(drop=True), " · ".join(said))


def variant_name(protocol: str, diversify: bool) -> str:
    return protocol + ("-kmeans" if diversify else "")


def ranking_rows(frame: pd.DataFrame, experiment, paper: str, table: str, model: str,
                 notes: str = "") -> list:
    """Result rows (subset test) of :func:`evaluate_runs`: ``<metric>_at_<N>`` per protocol."""
    from .evaluate import mean_std
    from .results import ResultRow

    ident = experiment.identity
    out = []
    for (variant, protocol, div), g in frame.groupby(["variant", "protocol", "diversify"], sort=False):
        n, rel = int(g.top_n.iloc[0]), float(g.relevance.iloc[0])
        for m in ("precision", "recall", "f1", "diversity"):
            if g[m].isna().all():
                continue
            value, std = mean_std(g[m])
            out.append(ResultRow(
                paper=paper, table=table, dataset=ident["dataset"], split=ident["split"], model=model,
                variant=f"{variant}-{variant_name(protocol, div)}" if variant else variant_name(protocol, div),
                subset="test", metric=f"{m}_at_{n}", value=value, std=std, n_seeds=len(g),
                profile=ident["profile"],
                notes=f"protocol {protocol}; relevance rating >= {rel:g}; seeds {g.seed.tolist()}"
                      + (f"; {notes}" if notes else "")))
    return out


def paper_rows(runs, variant: str, frame: pd.DataFrame, paper: str, table: str, model: str,
               metrics=("rmse", "mae"), notes: str = "") -> list:
    """Rows for a paper's own table: test ``metrics`` of ``variant`` over seeds (variant "") plus
    the ranking rows of ``frame`` (:func:`evaluate_runs`), so ``papers.compare`` sets them beside
    that paper's claims (e.g. Siet's RMSE on ML-100K)."""
    from .evaluate import mean_std
    from .experiment.runs import shared_run_fields
    from .results import ResultRow

    ident = runs.experiment.identity
    outs = runs.of(variant)
    seeds = [o.seed for o in outs]
    out = []
    for m in metrics:
        value, std = mean_std([o.metrics["test"][m] for o in outs])
        out.append(ResultRow(paper=paper, table=table, dataset=ident["dataset"], split=ident["split"],
                             model=model, variant="", subset="test", metric=m, value=value, std=std,
                             n_seeds=len(outs), profile=ident["profile"], **shared_run_fields(outs),
                             seconds=round(sum(o.seconds for o in outs), 1),
                             notes=f"variant {variant}; seeds {seeds}; best epochs {[o.best_epoch for o in outs]} "
                                   f"of cap {outs[0].epoch_cap}; split seed {ident['split_seed']}"
                                   + (f"; {notes}" if notes else "")))
    return out + ranking_rows(frame[frame.variant == variant].assign(variant=""), runs.experiment,
                              paper, table, model, notes)
