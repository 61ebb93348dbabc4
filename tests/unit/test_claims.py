"""Claims verdicts on result rows with a known answer."""
from __future__ import annotations

import pandas as pd

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
    assert "[-0.045, +0.027]" in out["ours"] and out["test"].startswith("paired")


def test_the_table_lists_every_claim_of_both_papers():
    table = claims_table(rows_frame([]))
    assert len(table) == len(CLAIMS) and set(table.paper) == {"xia", "tsem", "ours"}
    assert (table[table.paper == "tsem"].verdict.str.startswith("not testable here")).all()   # no rows yet
    assert isinstance(table, pd.DataFrame)


def _mse_rows(model, variant, values):
    return [ResultRow(paper="tsem", table="models", dataset="ml-100k", split="random-80-10-10", model=model,
                      variant=variant, subset="test", metric="mse", seed=s, value=v) for s, v in enumerate(values)]


HALVES = Claim("tsem", "B halves A's MSE", "report", "halves", b=("models", "B", ""), a=(("models", "A", ""),), metric="mse")
MATCHES = Claim("tsem", "B matches A", "report", "matches", b=("models", "B", ""), a=(("models", "A", ""),), margin=0.01)


def test_halving_is_tested_against_half_the_other_mse():
    a = [1.12, 1.10, 1.14]
    half = assess(HALVES, _frame(_mse_rows("A", "", a), _mse_rows("B", "", [0.50, 0.51, 0.49])))
    assert half["verdict"] == "reproduced" and "minus half" in half["ours"]
    # a clear improvement that is not a halving (0.72 against 1.12 / 2 = 0.56)
    less = assess(HALVES, _frame(_mse_rows("A", "", a), _mse_rows("B", "", [0.72, 0.73, 0.71])))
    assert less["verdict"] == "not reproduced: the MSE falls by less than half (interval excludes it)"
    assert "+0.16" in less["ours"]


def test_matching_needs_the_interval_below_the_margin():
    a = [0.950, 0.952, 0.948]
    close = assess(MATCHES, _frame(_seed_rows("A", "", a, "models"), _seed_rows("B", "", [0.953, 0.955, 0.951], "models")))
    assert close["verdict"] == "reproduced"                       # 0.003 worse, interval below +0.01
    far = assess(MATCHES, _frame(_seed_rows("A", "", a, "models"), _seed_rows("B", "", [0.990, 0.992, 0.988], "models")))
    assert far["verdict"].startswith("not reproduced: worse by more than the margin")
    wide = assess(MATCHES, _frame(_seed_rows("A", "", a, "models"), _seed_rows("B", "", [0.94, 0.97, 0.95], "models")))
    assert wide["verdict"] == "not reproduced: the interval reaches past the margin 0.01"
