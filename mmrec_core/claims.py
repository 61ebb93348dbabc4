"""The papers' claims, each with the paper's evidence, ours, and a verdict backed by an interval.

A claim names the rows of the records (:func:`mmrec_core.results.read_results`) that test it.
Verdicts come from 95% intervals of a signed effect, never from a bare difference:

- two variants of one model trained with the same seeds: the recorded paired comparison
  (metric ``rmse_diff``: seed as the unit);
- two different models, or a model against a classical baseline: Welch's interval over the per-seed
  test RMSEs each page records (its rows with a ``seed``), or a one-sample interval against a deterministic
  baseline fitted once;
- "halves" (the TSEM report's "MF can cut down the MSE by half"): Welch's interval of
  ``MSE_b - MSE_a / 2`` over seeds (supported when it lies below 0);
- "matches" (TSEM "similar to MF_NN" with less data): Welch's interval of ``b - a`` must lie below
  the stated margin (b at most ``margin`` worse); an interval reaching past it is "not reproduced".

"reproduced": the interval supports the paper's direction; "not reproduced": it excludes it or
includes zero (said which); "not testable here": the rows are missing, with the reason.
"""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

from .evaluate import welch_difference
from .results import seed_values


@dataclass(frozen=True)
class Claim:
    paper: str
    claim: str
    evidence: str                    # the paper's own numbers
    kind: str                        # "beats" (b lower than each a), "paired", "halves", "matches", "untestable"
    b: tuple = ()                    # (table, model, variant) of the claimed winner
    a: tuple = ()                    # list of (table, model, variant) it is claimed to beat
    why_untestable: str = ""
    metric: str = "rmse"             # the per-seed metric compared (rmse, mse)
    margin: float = 0.0              # "matches": how much worse b may be


CLAIMS = (
    Claim("xia", "The fusion model (cross-modal) beats the traditional methods",
          "Table 2 test RMSE: fusion 0.902 vs Item-CF 2.812, User-CF 2.310, SVD 2.298", "beats",
          b=("table2", "Fusion", "cross"),
          a=(("table2", "Item-CF", ""), ("table2", "User-CF", ""), ("table2", "SVD", ""),
             ("table2", "SVDpp", "companion"))),
    Claim("xia", "The fusion model (cross-modal) beats the deep-learning baselines",
          "Table 2 test RMSE: fusion 0.902 vs Siet 0.994, Aljunid 0.947", "beats",
          b=("table2", "Fusion", "cross"), a=(("table2", "Siet", ""), ("table2", "Aljunid", ""))),
    Claim("xia", "The fusion model beats Mu & Wu's multi-modal model (both cross-modal)",
          "Table 2 test RMSE: fusion 0.902 vs Mu 0.992", "beats",
          b=("table2", "Fusion", "cross"), a=(("table2", "Mu", "cross"),)),
    Claim("xia", "Posters help the fusion model: cross-modal beats single-modal",
          "Table 2 test RMSE: 0.902 (cross) vs 0.987 (single)", "paired",
          b=("table2", "Fusion", "cross"), a=(("table2", "Fusion", "single"),)),
    Claim("xia", "Posters help Mu's model: cross-modal beats single-modal",
          "Table 2 test RMSE: 0.992 (cross) vs 1.004 (single)", "paired",
          b=("table2", "Mu", "cross"), a=(("table2", "Mu", "single"),)),
    Claim("xia", "Learning rate 5e-4 is best (ML-100K)",
          "Table 3 test RMSE: 0.902 at 5e-4 vs 0.991 at 1e-3 and 1.058 at 1e-4", "beats",
          b=("table3", "Fusion", "lr=0.0005"), a=(("table3", "Fusion", "lr=0.001"), ("table3", "Fusion", "lr=0.0001"))),
    Claim("ours", "Ours (hybrid MF with genres, text and posters) beats SVD++ on Xia's split",
          "40_ours (not a paper's claim: the target is the paper's 0.902 and SVD++'s 0.913)", "beats",
          b=("ours", "HybridMF", "hybrid"), a=(("ours", "SVDpp", ""),)),
    Claim("ours", "Content helps our hybrid: all inputs beat plain biased MF (same seeds)",
          "40_ours ablation", "paired", b=("ours", "HybridMF", "hybrid"), a=(("ours", "HybridMF", "mf"),)),
    Claim("ours", "Content helps the fusion replica: text and poster beat no content (same seeds)",
          "41_fusion_content modality ablation (Xia et al. test only the poster)", "paired",
          b=("fusion_content", "Fusion", "text+poster"), a=(("fusion_content", "Fusion", "no_content"),)),
    Claim("tsem", "MF halves NN's MSE", "section 9: MSE 0.72 (MF) vs 1.12 (NN)", "halves",
          b=("models", "MF", ""), a=(("models", "NN", ""),), metric="mse"),
    Claim("tsem", "An item encoder beats plain embedding layers: MF_NN beats MF",
          "section 9: MSE 0.63 / RMSE 0.80 (MF_NN) vs 0.72 / 0.85 (MF)", "beats",
          b=("models", "MF_NN", ""), a=(("models", "MF", ""),)),
    Claim("tsem", "TSEM beats MF_NN", "section 9: MSE 0.61 / RMSE 0.78 (TSEM) vs 0.63 / 0.80 (MF_NN)", "beats",
          b=("models", "TSEM", ""), a=(("models", "MF_NN", ""),)),
    Claim("tsem", "Posters help TSEM (with vs without the poster branch)",
          "sections 8-9 (the report shows no ablation)", "paired",
          b=("models", "TSEM", ""), a=(("models", "TSEM", "no_poster"),)),
    Claim("tsem", "TSEM matches MF_NN's loss with less than half the data",
          "section 9: TSEM MSE about 0.61 with 30% of the data, like MF_NN with at least twice as much",
          "matches", b=("models", "TSEM", "half_data"), a=(("models", "MF_NN", ""),), margin=0.01),
)


def _label(key) -> str:
    table, model, variant = key
    return f"{model} {variant}".strip() + (f" ({table})" if table != "table2" else "")


def _judge(lo, hi) -> str:
    if not (np.isfinite(lo) and np.isfinite(hi)):
        return "untestable"
    return "yes" if hi < 0 else "opposite" if lo > 0 else "undecided"


def assess(claim: Claim, frame: pd.DataFrame) -> dict:
    """One claims-table row: ours (effect b - a with its interval per comparison) and the verdict."""
    out = {"paper": claim.paper, "claim": claim.claim, "paper's evidence": claim.evidence}
    if claim.kind == "untestable":
        return {**out, "ours": "", "verdict": f"not testable here: {claim.why_untestable}", "test": ""}
    parts, judgements, methods = [], [], set()
    for a in claim.a:
        if claim.kind == "paired":
            row = frame[(frame.table == claim.b[0]) & (frame.model == claim.b[1]) & (frame.subset == "test")
                        & frame.seed.isna() & (frame.slice_by == "")
                        & (frame.variant == f"{claim.b[2]}-vs-{a[2]}") & (frame.metric == "rmse_diff")
                        & (frame.method.str.startswith("paired"))]
            if row.empty:
                parts.append(f"vs {_label(a)}: no paired comparison recorded")
                judgements.append("missing")
                continue
            r = row.iloc[0]
            res = {"effect": r.value, "ci_low": r.ci_low, "ci_high": r.ci_high, "method": r.method}
        else:
            va, vb = seed_values(frame, *a, metric=claim.metric), seed_values(frame, *claim.b, metric=claim.metric)
            if not va or not vb:
                parts.append(f"vs {_label(a)}: per-seed rows missing")
                judgements.append("missing")
                continue
            scale = 0.5 if claim.kind == "halves" else 1.0
            res = welch_difference([scale * v for v in va.values()], list(vb.values()))
        methods.add(res["method"])
        j = _judge(res["ci_low"] - claim.margin, res["ci_high"] - claim.margin)
        judgements.append(j)
        interval = ("" if not np.isfinite(res["ci_low"]) else f" [{res['ci_low']:+.3f}, {res['ci_high']:+.3f}]")
        parts.append(f"vs {_label(a)}: {res['effect']:+.3f}{interval}")
    if "missing" in judgements:
        verdict = "not testable here: rows missing (run the notebooks that make them)"
    elif all(j == "yes" for j in judgements):
        verdict = "reproduced"
    elif any(j == "untestable" for j in judgements):
        verdict = "not testable here: one seed per configuration gives no interval"
    elif claim.kind == "matches":
        verdict = (f"not reproduced: worse by more than the margin {claim.margin:g} (interval above it)"
                   if any(j == "opposite" for j in judgements) else
                   f"not reproduced: the interval reaches past the margin {claim.margin:g}")
    elif any(j == "opposite" for j in judgements):
        losers = [_label(a) for a, j in zip(claim.a, judgements) if j == "opposite"]
        verdict = (f"not reproduced: {', '.join(losers)} better (interval excludes 0)" if claim.kind != "halves"
                   else "not reproduced: the MSE falls by less than half (interval excludes it)")
    else:
        verdict = "not reproduced: no detectable difference (interval includes 0)"
    what = {"halves": f"{claim.metric.upper()} of the claimed winner minus half the other's",
            "matches": f"{claim.metric.upper()} of the claimed match minus the other's; margin +{claim.margin:g}"
            }.get(claim.kind, f"{claim.metric.upper()} of the claimed winner minus the other")
    return {**out, "ours": "; ".join(parts) + f" ({what}; 95% interval)",
            "verdict": verdict, "test": "; ".join(sorted(methods))}


def claims_table(frame: pd.DataFrame, claims=CLAIMS) -> pd.DataFrame:
    """Every claim of both papers with its evidence, ours, the verdict and the test behind it."""
    return pd.DataFrame([assess(c, frame) for c in claims])
