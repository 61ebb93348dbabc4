"""Claims verdicts on result rows with a known answer."""
from __future__ import annotations

import pandas as pd

from mmrec_core.claims import CLAIMS, Claim, assess, claims_table, seed_values
from mmrec_core.papers import rows_frame
from mmrec_core.results import ResultRow


def _seed_rows(model, variant, values, table="table2"):
    return [ResultRow(paper="xia", table=table, dataset="ml-100k", split="xia-90-5-5", model=model, variant=variant,
                      subset="test", metric=f"rmse_seed{s}", value=v) for s, v in enumerate(values)]


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
    assert len(table) == len(CLAIMS) and set(table.paper) == {"xia", "tsem"}
    assert (table[table.paper == "tsem"].verdict.str.startswith("not testable here")).all()
    assert isinstance(table, pd.DataFrame)
