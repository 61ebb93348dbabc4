"""Tables the summary pages (90, 91) show, each derived from the records by one call."""
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
