"""Top-N lists, precision/recall/F1, KMeans diversification and diversity on tiny known cases."""
from __future__ import annotations

import numpy as np
import pytest

from mmrec_core import ranking

# rows 1..6; genres: 1,2,3 are "action" (col 0), 4,5 "drama" (col 1), 6 both
GENRES = np.array([[0, 0], [1, 0], [1, 0], [1, 0], [0, 1], [0, 1], [1, 1]], np.float32)
CLUSTERS = np.array([-1, 0, 0, 0, 1, 1, 2])


def test_top_n_lists_rank_by_score_then_row():
    users = np.array([7, 7, 7, 7, 8, 8])
    rows = np.array([1, 2, 3, 4, 5, 6])
    scores = np.array([4.0, 5.0, 4.0, 1.0, 2.0, 3.0])
    lists = ranking.top_n_lists(users, rows, scores, 2)
    assert lists[7].tolist() == [2, 1] and lists[8].tolist() == [6, 5]


def test_diversify_caps_each_cluster_and_fills_when_short():
    ranked = np.array([1, 2, 3, 4, 5, 6])
    assert ranking.diversify(ranked, CLUSTERS, 3, cap=1).tolist() == [1, 4, 6]
    assert ranking.diversify(ranked, CLUSTERS, 4, cap=2).tolist() == [1, 2, 4, 5]
    # only one cluster among the candidates: the list is filled with the best skipped ones
    assert ranking.diversify(np.array([1, 2, 3]), CLUSTERS, 3, cap=1).tolist() == [1, 2, 3]


def test_precision_recall_f1_known_answer():
    lists = {1: np.array([10, 11]), 2: np.array([20, 21]), 3: np.array([30, 31])}
    relevant = {1: {10, 12}, 2: {99}, 3: set()}       # user 3 has nothing relevant: left out
    pr = ranking.precision_recall(lists, relevant, 2)
    assert pr["precision"] == pytest.approx((1 / 2 + 0) / 2)
    assert pr["recall"] == pytest.approx((1 / 2 + 0) / 2)
    assert pr["f1"] == pytest.approx(0.25) and pr["n_users"] == 2


def test_intra_list_diversity_known_answer():
    assert ranking.intra_list_diversity(np.array([1, 2]), GENRES) == pytest.approx(0.0)
    assert ranking.intra_list_diversity(np.array([1, 4]), GENRES) == pytest.approx(1.0)
    # pairs (1,4)=1, (1,6)=1-1/sqrt2, (4,6)=1-1/sqrt2
    want = (1 + 2 * (1 - 1 / np.sqrt(2))) / 3
    assert ranking.intra_list_diversity(np.array([1, 4, 6]), GENRES) == pytest.approx(want)
    assert np.isnan(ranking.intra_list_diversity(np.array([1]), GENRES))


def test_diversified_lists_are_more_diverse():
    users = np.full(6, 1)
    rows = np.arange(1, 7)
    scores = np.array([6, 5, 4, 3, 2, 1.0])
    plain = ranking.top_n_lists(users, rows, scores, 3)[1]
    div = ranking.top_n_lists(users, rows, scores, 3, clusters=CLUSTERS)[1]   # cap ceil(3/3) = 1
    assert plain.tolist() == [1, 2, 3] and div.tolist() == [1, 4, 6]
    assert ranking.intra_list_diversity(div, GENRES) > ranking.intra_list_diversity(plain, GENRES)


def test_genre_clusters_separate_distinct_genres():
    labels = ranking.genre_clusters(GENRES, 2, seed=0)
    assert labels[0] == -1
    assert labels[1] == labels[2] == labels[3] and labels[4] == labels[5] and labels[1] != labels[4]


def test_heldout_precision_recall_matches_the_surprise_faq_rule():
    users = [1, 1, 1, 2, 2]
    y_true = [5, 2, 4, 1, 2]
    y_pred = [4.5, 4.2, 3.0, 4.1, 2.0]
    # user 1 top-2: (5, 4.5), (2, 4.2): recommended 2, relevant-and-recommended 1; relevant 2
    # user 2 top-2: (1, 4.1), (2, 2.0): recommended 1, hits 0; relevant 0 -> recall 0
    h = ranking.heldout_precision_recall(users, y_true, y_pred, 2, 4.0)
    assert h["precision"] == pytest.approx((0.5 + 0.0) / 2)
    assert h["recall"] == pytest.approx((0.5 + 0.0) / 2)
    assert h["n_users"] == 2


def _rank_frame():
    """What evaluate_runs returns for 2 seeds: heldout lists have no diversity (NaN)."""
    import pandas as pd

    rows = []
    for seed in (0, 1):
        for protocol, div in (("all-unrated", False), ("all-unrated", True), ("heldout", False)):
            rows.append({"variant": "siet", "seed": seed, "protocol": protocol, "diversify": div, "top_n": 10,
                         "relevance": 4.0, "precision": 0.0255 + 0.001 * seed, "recall": 0.07, "f1": 0.04,
                         "n_users": 852 if protocol == "heldout" else 737,
                         "diversity": np.nan if protocol == "heldout" else 0.71 + 0.1 * div})
    return pd.DataFrame(rows)


def _texts(styler):
    return [str(v) for v in styler.data.to_numpy().ravel()]


def test_summary_table_has_mean_and_std_columns_and_no_nan():
    import html

    styler = ranking.summary_table(_rank_frame())
    shown = styler.data
    assert list(shown[("list", "")]) == ["all-unrated", "all-unrated-kmeans", "heldout"]
    assert ("precision", "mean") in shown.columns and ("precision", "± std") in shown.columns
    assert shown[("precision", "mean")].iloc[0] == "0.0260" and shown[("precision", "± std")].iloc[0] == "0.0007"
    assert shown[("diversity", "mean")].iloc[2] == "" and shown[("diversity", "± std")].iloc[2] == ""
    assert not any("nan" in t.lower() or "±" in t for t in _texts(styler))
    caption = html.unescape(styler.caption)
    assert "variant siet" in caption and "top 10" in caption and "rating >= 4" in caption
    assert "diversity is blank for heldout" in caption
    assert ("variant", "") not in shown.columns          # one variant: said in the caption


def test_runs_table_shows_blank_diversity_for_heldout():
    styler = ranking.runs_table(_rank_frame())
    shown = styler.data
    assert list(shown.columns) == ["seed", "list", "precision", "recall", "F1", "diversity", "users"]
    held = shown[shown.list == "heldout"]
    assert (held.diversity == "").all() and (held.users == "852").all()
    assert shown.diversity.iloc[1] == "0.8100"
    assert not any("nan" in t.lower() for t in _texts(styler))
    # the numbers themselves are untouched: summarize still reports NaN where nothing was measured
    assert np.isnan(ranking.summarize(_rank_frame()).diversity.iloc[2])
