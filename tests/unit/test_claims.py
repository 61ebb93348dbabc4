"""Claims verdicts on result rows with a known answer."""
from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from mmrec_core.claims import CLAIMS, Claim, assess, claims_table, seed_values
from mmrec_core.papers import rows_frame
from mmrec_core.results import ResultRow


def _seed_rows(model, variant, values, table="table2"):
    return [ResultRow(paper="xia", table=table, dataset="ml-100k", split="xia-90-5-5", model=model, variant=variant,
                      subset="test", metric="rmse", seed=s, value=v) for s, v in enumerate(values)]


def _frame(*groups):
    return rows_frame([r for g in groups for r in g])


BEATS = Claim("xia", "B beats A", "paper says so", "beats", b=("table2", "B", ""), a=(("table2", "A", ""),))


def test_a_clear_win_is_reproduced():
    frame = _frame(_seed_rows("A", "", [1.00, 1.01, 0.99]), _seed_rows("B", "", [0.90, 0.91, 0.89]))
    assert seed_values(frame, "table2", "B", "") == {0: 0.90, 1: 0.91, 2: 0.89}
    row = assess(BEATS, frame)
    assert row["verdict"] == "reproduced" and "-0.100" in row["ours"] and "Welch" in row["test"]


def test_the_opposite_and_a_tie_are_not_reproduced():
    worse = assess(BEATS, _frame(_seed_rows("A", "", [0.90, 0.91, 0.89]), _seed_rows("B", "", [1.00, 1.01, 0.99])))
    assert worse["verdict"].startswith("not reproduced: A better")
    tie = assess(BEATS, _frame(_seed_rows("A", "", [0.95, 0.97, 0.93]), _seed_rows("B", "", [0.96, 0.94, 0.95])))
    assert tie["verdict"] == "not reproduced: no detectable difference (interval includes 0)"


def test_missing_rows_and_single_seeds_are_not_testable():
    assert assess(BEATS, _frame(_seed_rows("B", "", [0.9, 0.9])))["verdict"].startswith("not testable here: rows missing")
    one = assess(BEATS, _frame(_seed_rows("A", "", [1.0]), _seed_rows("B", "", [0.9])))
    assert one["verdict"] == "not testable here: one seed per configuration gives no interval"


def test_paired_claims_read_the_recorded_seed_level_comparison():
    claim = next(c for c in CLAIMS if c.kind == "paired" and c.b[1] == "Fusion")
    row = ResultRow(paper="xia", table="table2", dataset="ml-100k", split="s", model="Fusion", variant="cross-vs-single",
                    subset="test", metric="rmse_diff", value=-0.009, n_seeds=3, ci_low=-0.045, ci_high=0.027,
                    p_value=0.41, method="paired t over seeds (n=3)")
    out = assess(claim, rows_frame([row]))
    assert out["verdict"] == "not reproduced: no detectable difference (interval includes 0)"
    assert "[-0.045, +0.027]" in out["ours"] and "paired t over seeds" in out["test"]


def test_the_table_lists_every_claim_of_both_papers():
    table = claims_table(rows_frame([]))
    assert len(table) == len(CLAIMS) and set(table.paper) == {"xia", "tsem", "ours"}
    assert (table[table.paper == "tsem"].verdict.str.startswith("not testable here")).all()   # no rows yet
    assert isinstance(table, pd.DataFrame)


def _mse_rows(model, variant, values):
    return [ResultRow(paper="tsem", table="models", dataset="ml-100k", split="random-80-10-10", model=model,
                      variant=variant, subset="test", metric="mse", seed=s, value=v) for s, v in enumerate(values)]


HALVES = Claim("tsem", "B halves A's MSE", "report", "ratio", b=("models", "B", ""), a=(("models", "A", ""),),
               metric="mse", ratio=0.5, tolerance=0.15)
MATCHES = Claim("tsem", "B matches A", "report", "matches", b=("models", "B", ""), a=(("models", "A", ""),), margin=0.01)


def test_a_ratio_claim_tests_the_direction_then_the_ratio_within_its_tolerance():
    a = [1.12, 1.10, 1.14]
    half = assess(HALVES, _frame(_mse_rows("A", "", a), _mse_rows("B", "", [0.56, 0.55, 0.57])))
    assert half["verdict"] == "reproduced: better, and the ratio lies within 0.5 ± 0.15"
    assert "ratio 0.500 [0.4" in half["ours"] and "bootstrap" in half["test"] and "Welch" in half["test"]
    # the report's own reading: a cut by about 40% counts as "half", inside the stated tolerance
    assert assess(HALVES, _frame(_mse_rows("A", "", a), _mse_rows("B", "", [0.67, 0.66, 0.68])))["verdict"].startswith("reproduced")
    # clearly better, but by a fifth: the direction holds, the ratio does not
    less = assess(HALVES, _frame(_mse_rows("A", "", a), _mse_rows("B", "", [0.90, 0.89, 0.91])))
    assert less["verdict"] == "partly reproduced: better (interval excludes 0), but the ratio 0.80 lies outside 0.5 ± 0.15"
    worse = assess(HALVES, _frame(_mse_rows("A", "", a), _mse_rows("B", "", [1.20, 1.21, 1.19])))
    assert worse["verdict"] == "not reproduced: A better (interval excludes 0)"


def test_the_ratio_interval_is_a_seeded_bootstrap_of_the_ratio_of_means():
    from mmrec_core.claims import ratio_interval

    r = ratio_interval([1.0, 1.2, 1.1], [0.5, 0.6, 0.55], 0.5)
    assert r["ratio"] == pytest.approx(0.5) and r["ci_low"] < 0.5 < r["ci_high"]
    assert r == ratio_interval([1.0, 1.2, 1.1], [0.5, 0.6, 0.55], 0.5)        # same numbers every time
    assert np.isnan(ratio_interval([1.0], [0.5, 0.6], 0.5)["ci_low"])          # one value: no interval


def test_the_deciding_comparison_is_named():
    claim = Claim("xia", "B beats A and C", "Table 2", "beats", b=("table2", "B", ""),
                  a=(("table2", "A", ""), ("table2", "C", "")))
    b = _seed_rows("B", "", [0.90, 0.91, 0.89])
    both = assess(claim, _frame(b, _seed_rows("A", "", [1.00, 1.01, 0.99]), _seed_rows("C", "", [0.93, 0.94, 0.92])))
    assert both["verdict"] == "reproduced" and both["decided by"].startswith("vs C: -0.030")   # the closest to failing
    tight = _seed_rows("B", "", [0.900, 0.901, 0.899])
    one = assess(claim, _frame(tight, _seed_rows("A", "", [1.00, 1.01, 0.99]), _seed_rows("C", "", [0.880, 0.881, 0.879])))
    assert one["verdict"].startswith("not reproduced: C better") and one["decided by"].startswith("vs C: +0.020")


def test_claim_one_is_decided_by_the_baselines_the_paper_ran_and_svdpp_is_its_own_line():
    first = CLAIMS[0]
    assert first.paper == "xia" and {m for _, m, _ in first.a} == {"Item-CF", "User-CF", "SVD"}
    svdpp = [c for c in CLAIMS if any(m == "SVDpp" for _, m, _ in c.a) and c.paper == "xia"]
    assert len(svdpp) == 1 and svdpp[0].claim.startswith("Not the paper's claim") and len(svdpp[0].a) == 1


def test_every_ours_claim_is_tested_against_tuned_baselines_component_by_component():
    ours = [c for c in CLAIMS if c.paper == "ours" and c.kind == "beats"]
    assert ours and all({v for _, _, v in c.a} == {"tuned"} for c in ours)
    assert {m for c in ours for _, m, _ in c.a} == {"SVD", "SVDpp", "KNNBaseline"}
    steps = [(c.a[0][2], c.b[2]) for c in CLAIMS if c.paper == "ours" and c.claim.startswith("Step") and c.kind == "paired"]
    assert steps == [("mf", "structured"), ("structured", "+text"), ("+text", "hybrid")]


def test_the_papers_evidence_is_read_from_papers_py_never_typed_in_a_claim():
    import re

    from mmrec_core.claims import paper_evidence

    for c in CLAIMS:
        assert not re.search(r"\d\.\d", c.evidence + c.claim), c.claim      # no number typed in a claim
    text = paper_evidence(CLAIMS[0])
    assert "Fusion cross 0.902" in text and "Item-CF 2.812" in text
    ratio = paper_evidence(next(c for c in CLAIMS if c.kind == "ratio"))
    assert "0.72 / 1.12 = 0.64" in ratio and "0.5 ± 0.15" in ratio


def test_matching_needs_the_interval_below_the_margin():
    a = [0.950, 0.952, 0.948]
    close = assess(MATCHES, _frame(_seed_rows("A", "", a, "models"), _seed_rows("B", "", [0.953, 0.955, 0.951], "models")))
    assert close["verdict"] == "reproduced"                       # 0.003 worse, interval below +0.01
    far = assess(MATCHES, _frame(_seed_rows("A", "", a, "models"), _seed_rows("B", "", [0.990, 0.992, 0.988], "models")))
    assert far["verdict"].startswith("not reproduced: worse by more than the margin")
    wide = assess(MATCHES, _frame(_seed_rows("A", "", a, "models"), _seed_rows("B", "", [0.94, 0.97, 0.95], "models")))
    assert wide["verdict"] == "not reproduced: the interval reaches past the margin 0.01"
