"""Tables the summary pages (90, 91) show, each derived from the records (``read_results``) by one call."""
from __future__ import annotations

import pandas as pd

from .results import over_seeds


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
                         tables=("table2", "table3")) -> pd.DataFrame:
    """Mean (± std) of several metrics of one model per (table, variant, subset), side by side."""
    frame = over_seeds(frame)
    rows = frame[(frame.model == model) & frame.metric.isin(metrics) & frame.table.isin(tables)]
    if rows.empty:
        return pd.DataFrame()
    shown = rows.assign(shown=[f"{v:.4f}" + (f" ± {s:.4f}" if pd.notna(s) else "") for v, s in zip(rows.value, rows["std"])])
    return shown.pivot_table(index=["table", "variant", "subset"], columns="metric", values="shown",
                             aggfunc="first", sort=False).reindex(columns=list(metrics))


def effects_table(frame: pd.DataFrame) -> pd.DataFrame:
    """The recorded comparisons (metric ``*_diff``): effect b - a, 95% interval, p-value, method."""
    eff = frame[frame.metric.str.endswith(("_diff", "_diff_bootstrap"))]
    cols = ["paper", "table", "dataset", "model", "variant", "subset", "metric", "value", "ci_low",
            "ci_high", "p_value", "n_seeds", "method", "profile"]
    return eff[cols].rename(columns={"value": "effect (b - a)", "variant": "b-vs-a"}).reset_index(drop=True)
