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
