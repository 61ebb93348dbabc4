"""Seed-level statistics on cases with a known answer."""
from __future__ import annotations

import numpy as np
import pytest

from mmrec_core import evaluate
from mmrec_core.evaluate import bootstrap_seed_rating_difference, mean_std, seed_paired_difference, verdict


def test_one_seed_has_no_std():
    m, s = mean_std([0.93])
    assert m == pytest.approx(0.93) and np.isnan(s)
    assert mean_std([1.0, 3.0]) == pytest.approx((2.0, np.sqrt(2.0)))


def test_identical_pair_has_no_effect():
    a = [0.95, 0.97, 0.96, 0.94, 0.98]
    r = seed_paired_difference(a, a)
    assert r["effect"] == 0 and r["ci_low"] == 0 and r["ci_high"] == 0 and r["p_value"] == 1.0
    y = np.arange(50) % 5 + 1.0
    preds = np.stack([y + np.sin(np.arange(50) + s) for s in range(3)])
    b = bootstrap_seed_rating_difference(y, preds, preds, n_boot=200)
    assert b["effect"] == 0 and b["ci_low"] == 0 and b["ci_high"] == 0 and b["p_value"] == 1.0


def test_constant_shift_is_detected_with_its_sign():
    a = np.array([0.95, 0.97, 0.96, 0.94, 0.98])
    worse = seed_paired_difference(a, a + 0.02)
    assert worse["effect"] == pytest.approx(0.02) and worse["ci_low"] == pytest.approx(0.02)
    assert worse["p_value"] == 0.0 and verdict(worse["ci_low"], worse["ci_high"]) == "a better"
    better = seed_paired_difference(a, a - 0.02 + np.array([0.001, -0.001, 0.0, 0.002, -0.002]))
    assert better["effect"] == pytest.approx(-0.02) and better["ci_high"] < 0 and better["p_value"] < 1e-3
    assert verdict(better["ci_low"], better["ci_high"]) == "b better"


def test_noise_between_seeds_widens_the_interval_to_include_zero():
    # the Fusion numbers: cross - single per seed +0.0076, -0.0192, -0.0137
    single = np.array([1.0, 1.0, 1.0])
    r = seed_paired_difference(single, single + np.array([0.0076, -0.0192, -0.0137]))
    assert r["ci_low"] < 0 < r["ci_high"] and r["p_value"] == pytest.approx(0.41, abs=0.02)
    assert "interval includes 0" in verdict(r["ci_low"], r["ci_high"])


def test_single_seed_gives_no_interval():
    r = seed_paired_difference([0.9], [0.8])
    assert r["effect"] == pytest.approx(-0.1) and np.isnan(r["ci_low"]) and np.isnan(r["p_value"])


def test_bootstrap_finds_a_better_model_over_seeds_and_ratings():
    rng = np.random.default_rng(0)
    y = rng.integers(1, 6, 2000).astype(float)
    good = np.stack([y + rng.normal(0, 0.5, y.size) for _ in range(4)])
    bad = np.stack([y + rng.normal(0, 1.0, y.size) for _ in range(4)])
    r = bootstrap_seed_rating_difference(y, bad, good, n_boot=300)
    assert r["effect"] < -0.3 and r["ci_high"] < 0 and r["p_value"] < 0.01
    with pytest.raises(ValueError):
        bootstrap_seed_rating_difference(y, bad, good[:, :10])


def test_metric_registry_names_the_functions():
    assert evaluate.METRICS["rmse"] is evaluate.rmse and evaluate.METRICS["hit_rate"] is evaluate.hit_rate


def test_welch_difference_between_models_is_unpaired():
    from mmrec_core.evaluate import welch_difference

    a = np.array([0.95, 0.96, 0.97])
    same = welch_difference(a, a)
    assert same["effect"] == 0 and same["ci_low"] < 0 < same["ci_high"] and same["p_value"] == pytest.approx(1.0)
    shifted = welch_difference(a, a - 0.05)
    assert shifted["effect"] == pytest.approx(-0.05) and shifted["ci_high"] < 0 and "Welch" in shifted["method"]
    fixed = welch_difference([0.9], a)   # a deterministic model against seeds of another
    assert fixed["effect"] == pytest.approx(0.06) and fixed["ci_low"] > 0 and "single" in fixed["method"]
    assert np.isnan(welch_difference([0.9], [0.8])["ci_low"])


# ------------------------------------------------------------------ TSEM hit rate and ranking
def _ratings(n_users=30, per_user=8, seed=1):
    rng = np.random.default_rng(seed)
    users = np.repeat(np.arange(100, 100 + n_users), per_user)
    y = rng.integers(1, 6, users.size).astype(float)
    pred = np.clip(y + rng.normal(0, 1.2, y.size), 1, 5)
    return users, y, pred


def test_batch_hit_rate_is_seeded_and_draws_batch_users_users(monkeypatch):
    users, y, pred = _ratings()
    a = evaluate.batch_hit_rate(users, y, pred, batch_users=5, n_batches=40, seed=3)
    b = evaluate.batch_hit_rate(users, y, pred, batch_users=5, n_batches=40, seed=3)
    c = evaluate.batch_hit_rate(users, y, pred, batch_users=5, n_batches=40, seed=4)
    assert np.array_equal(a["per_batch"], b["per_batch"]) and a["mean"] == b["mean"]
    assert not np.array_equal(a["per_batch"], c["per_batch"])
    assert a["n_batches"] == 40 == a["per_batch"].size and a["batch_users"] == 5 and a["n_users"] == 30
    assert a["std"] > 0 and a["q2.5"] <= a["mean"] <= a["q97.5"]
    assert a["mean"] == pytest.approx(a["per_batch"].mean())
    # every batch is the accuracy over all ratings of exactly 5 distinct users
    seen = []
    real = evaluate.hit_rate

    def spy(t, p, threshold):
        seen.append(t.size)
        return real(t, p, threshold)

    monkeypatch.setattr(evaluate, "hit_rate", spy)
    evaluate.batch_hit_rate(users, y, pred, batch_users=5, n_batches=10)
    assert seen == [5 * 8] * 10


def test_batch_hit_rate_equals_accuracy_when_the_batch_holds_every_user():
    users, y, pred = _ratings(n_users=12)
    plain = evaluate.hit_rate(y, pred, 4.0)
    assert plain == pytest.approx(np.mean((y >= 4) == (pred >= 4)))
    for size in (12, 50):
        r = evaluate.batch_hit_rate(users, y, pred, batch_users=size, n_batches=5)
        assert r["batch_users"] == 12 and np.allclose(r["per_batch"], plain) and r["mean"] == pytest.approx(plain)
        assert r["std"] == 0
    with pytest.raises(ValueError):
        evaluate.batch_hit_rate(users, y, pred[:-1])


def test_batch_hit_rate_batches_are_users_not_ratings():
    # user 1: one rating, always right; user 2: many ratings, always wrong
    users = np.array([1] + [2] * 9)
    y = np.array([5.0] + [5.0] * 9)
    pred = np.array([5.0] + [1.0] * 9)
    r = evaluate.batch_hit_rate(users, y, pred, batch_users=1, n_batches=200, seed=0)
    assert set(r["per_batch"].tolist()) == {0.0, 1.0}
    assert 0.35 < r["mean"] < 0.65  # half the draws pick each user, whatever their rating counts


def test_topk_metrics_on_a_hand_computed_example():
    # user 1: relevant item ranked 3rd -> HR@2 0, NDCG@2 0
    # user 2: ranking 21 (no), 20 (yes), 22 (yes) -> HR@2 1, NDCG@2 = (1/log2 3) / (1 + 1/log2 3)
    # user 3: nothing relevant -> skipped; user 4: its only relevant item on top -> 1, 1
    u = [1, 1, 1, 1, 2, 2, 2, 3, 3, 4, 4]
    i = [10, 11, 12, 13, 20, 21, 22, 30, 31, 40, 41]
    s = [0.9, 0.8, 0.7, 0.1, 0.5, 0.9, 0.1, 0.3, 0.2, 0.9, 0.1]
    rel = np.array([0, 0, 1, 0, 1, 0, 1, 0, 0, 1, 0], bool)
    r = evaluate.topk_metrics(u, i, s, rel, k=2)
    ndcg_user2 = (1 / np.log2(3)) / (1 / np.log2(2) + 1 / np.log2(3))
    assert r["n_users"] == 3
    assert r["hr@2"] == pytest.approx((0 + 1 + 1) / 3, abs=1e-6)
    assert r["ndcg@2"] == pytest.approx((0 + ndcg_user2 + 1) / 3, abs=1e-6)
    r10 = evaluate.topk_metrics(u, i, s, rel)  # k=10 covers every list: every user is hit
    assert set(r10) == {"hr@10", "ndcg@10", "n_users"} and r10["hr@10"] == pytest.approx(1.0)
    with pytest.raises(ValueError, match="more than once"):
        evaluate.topk_metrics([1, 1], [5, 5], [0.1, 0.2], np.array([True, False]))
    none = evaluate.topk_metrics([1, 1], [5, 6], [0.1, 0.2], np.array([False, False]))
    assert none["n_users"] == 0 and np.isnan(none["hr@10"])
