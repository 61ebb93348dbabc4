"""The papers' claims, each with the paper's evidence, ours, and a verdict backed by an interval.

A claim names the rows of the records (:func:`mmrec_core.results.read_results`) that test it. The
paper's evidence is read from :mod:`mmrec_core.papers` (the only place paper numbers are typed).
Verdicts come from 95% intervals of a signed effect, never from a bare difference:

- two variants of one model trained with the same seeds: the recorded paired comparison
  (metric ``rmse_diff``: seed as the unit);
- two different models, or a model against a classical baseline: Welch's interval over the per-seed
  test RMSEs each page records (its rows with a ``seed``), or a one-sample interval against a deterministic
  baseline fitted once;
- a ratio ("MF can cut down the MSE by half"): read as its authors mean it. The row first says what
  the paper's own numbers give; then the direction is tested (Welch's interval of ``b - a`` below 0)
  and the ratio ``mean(b) / mean(a)`` (a percentile bootstrap over seeds) against the claimed ratio
  with a stated tolerance. Direction and ratio both supported: "reproduced"; the direction only:
  "partly reproduced";
- "matches" (TSEM "similar to MF_NN" with less data): Welch's interval of ``b - a`` must lie below
  the stated margin (b at most ``margin`` worse); an interval reaching past it is "not reproduced".

"reproduced": the interval supports the paper's direction; "not reproduced": it excludes it or
includes zero (said which); "not testable here": the rows are missing, with the reason. A claim
against several others needs every comparison; the column "decided by" names the one that decides
the verdict (the closest to failing when all agree, else the one that fails).
"""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

from .evaluate import welch_difference
from .papers import TSEM_DATASET, TSEM_HALF_DATA_FRACTION
from .results import seed_values

RATIO_BOOTSTRAP = 10_000   # resamples of the seeds for a ratio's interval (fixed generator seed 0)


@dataclass(frozen=True)
class Claim:
    paper: str
    claim: str
    evidence: str                    # where the paper says it (its numbers are read from papers.py)
    kind: str                        # "beats" (b lower than each a), "paired", "ratio", "matches", "untestable"
    b: tuple = ()                    # (table, model, variant) of the claimed winner
    a: tuple = ()                    # list of (table, model, variant) it is claimed to beat
    why_untestable: str = ""
    metric: str = "rmse"             # the per-seed metric compared (rmse, mse)
    margin: float = 0.0              # "matches": how much worse b may be
    ratio: float = 0.0               # "ratio": the claimed mean(b) / mean(a) ("halves": 0.5)
    tolerance: float = 0.0           # "ratio": how far from it still reads as the claim
    paper_dataset: str = "ml-100k"   # the paper's dataset of the evidence (papers.paper_claims)


TUNED = (("ours", "SVD", "tuned"), ("ours", "SVDpp", "tuned"), ("ours", "KNNBaseline", "tuned"))

CLAIMS = (
    Claim("xia", "The fusion model (cross-modal) beats the traditional methods the paper ran (Item-CF, User-CF, SVD)",
          "Table 2", "beats", b=("table2", "Fusion", "cross"),
          a=(("table2", "Item-CF", ""), ("table2", "User-CF", ""), ("table2", "SVD", ""))),
    Claim("xia", "Not the paper's claim, a companion line: the fusion model (cross-modal) also beats SVD++, a "
          "stronger classical baseline the paper did not run", "Table 2 (no SVD++ in the paper)", "beats",
          b=("table2", "Fusion", "cross"), a=(("table2", "SVDpp", "companion"),)),
    Claim("xia", "The fusion model (cross-modal) beats the deep-learning baselines",
          "Table 2", "beats",
          b=("table2", "Fusion", "cross"), a=(("table2", "Siet", ""), ("table2", "Aljunid", ""))),
    Claim("xia", "The fusion model beats Mu & Wu's multi-modal model (both cross-modal)",
          "Table 2", "beats",
          b=("table2", "Fusion", "cross"), a=(("table2", "Mu", "cross"),)),
    Claim("xia", "Posters help the fusion model: cross-modal beats single-modal",
          "Table 2", "paired",
          b=("table2", "Fusion", "cross"), a=(("table2", "Fusion", "single"),)),
    Claim("xia", "Posters help Mu's model: cross-modal beats single-modal",
          "Table 2", "paired",
          b=("table2", "Mu", "cross"), a=(("table2", "Mu", "single"),)),
    Claim("xia", "Learning rate 5e-4 is best (ML-100K)",
          "Table 3", "beats",
          b=("table3", "Fusion", "lr=0.0005"), a=(("table3", "Fusion", "lr=0.001"), ("table3", "Fusion", "lr=0.0001"))),
    Claim("ours", "Ours (hybrid MF with all inputs) beats SVD, SVD++ and KNNBaseline, each tuned on validation",
          "40_ours: not a paper's claim; the steps below say which component earns the gain", "beats",
          b=("ours", "HybridMF", "hybrid"), a=TUNED),
    Claim("ours", "Step 1, no content: our plain biased MF beats the tuned SVD, SVD++ and KNNBaseline",
          "40_ours ablation", "beats", b=("ours", "HybridMF", "mf"), a=TUNED),
    Claim("ours", "Step 2, structured inputs (genres, user attributes) improve on plain MF (same seeds)",
          "40_ours ablation", "paired", b=("ours", "HybridMF", "structured"), a=(("ours", "HybridMF", "mf"),)),
    Claim("ours", "Step 3, title and plot text improve on the structured inputs (same seeds)",
          "40_ours ablation", "paired", b=("ours", "HybridMF", "+text"), a=(("ours", "HybridMF", "structured"),)),
    Claim("ours", "Step 4, posters improve on structured inputs and text (all inputs; same seeds)",
          "40_ours ablation", "paired", b=("ours", "HybridMF", "hybrid"), a=(("ours", "HybridMF", "+text"),)),
    Claim("ours", "Content helps our hybrid: all inputs beat plain biased MF (same seeds)",
          "40_ours ablation", "paired", b=("ours", "HybridMF", "hybrid"), a=(("ours", "HybridMF", "mf"),)),
    Claim("ours", "Content helps the fusion replica: text and poster beat no content (same seeds)",
          "41_fusion_content modality ablation (Xia et al. test only the poster)", "paired",
          b=("fusion_content", "Fusion", "text+poster"), a=(("fusion_content", "Fusion", "no_content"),)),
    Claim("tsem", "MF halves NN's MSE (\"MF can cut down the MSE by half\")", "section 9", "ratio",
          b=("models", "MF", ""), a=(("models", "NN", ""),), metric="mse", ratio=0.5, tolerance=0.15,
          paper_dataset=TSEM_DATASET),
    Claim("tsem", "An item encoder beats plain embedding layers: MF_NN beats MF",
          "section 9", "beats", b=("models", "MF_NN", ""), a=(("models", "MF", ""),), paper_dataset=TSEM_DATASET),
    Claim("tsem", "TSEM beats MF_NN", "section 9", "beats",
          b=("models", "TSEM", ""), a=(("models", "MF_NN", ""),), paper_dataset=TSEM_DATASET),
    Claim("tsem", "Posters help TSEM (with vs without the poster branch)",
          "sections 8-9 (the report shows no ablation)", "paired",
          b=("models", "TSEM", ""), a=(("models", "TSEM", "no_poster"),), paper_dataset=TSEM_DATASET),
    Claim("tsem", "TSEM matches MF_NN's loss with less than half the data",
          f"section 9: TSEM reaches MF_NN's loss with {TSEM_HALF_DATA_FRACTION:.0%} of the training data",
          "matches", b=("models", "TSEM", "half_data"), a=(("models", "MF_NN", ""),), margin=0.01,
          paper_dataset=TSEM_DATASET),
)


def paper_value(claim: Claim, key, metric: str | None = None) -> float:
    """The paper's test number for ``key`` = (table, model, variant), NaN where it has none."""
    from .papers import paper_claims

    table, model, variant = key
    p = paper_claims()
    row = p[(p.paper == claim.paper) & (p.table == table) & (p.model == model) & (p.variant == variant)
            & (p.subset == "test") & (p.metric == (metric or claim.metric)) & (p.dataset == claim.paper_dataset)]
    return float(row.paper_value.iloc[0]) if len(row) else float("nan")


def paper_evidence(claim: Claim) -> str:
    """Where the paper says it, with its own numbers for the winner and each other (from papers.py)."""
    metrics = ("mse", "rmse") if claim.paper == "tsem" and claim.kind != "ratio" else (claim.metric,)
    parts = []
    for metric in metrics:
        b = paper_value(claim, claim.b, metric) if claim.b else float("nan")
        others = [(a, paper_value(claim, a, metric)) for a in claim.a]
        shown = [f"{_label(a)} {v:g}" for a, v in others if np.isfinite(v)]
        if np.isfinite(b) and shown:
            parts.append(f"test {metric.upper()} {_label(claim.b)} {b:g} vs {', '.join(shown)}")
    text = claim.evidence + (": " + "; ".join(parts) if parts else "")
    if claim.kind == "ratio" and claim.a:
        b, a = paper_value(claim, claim.b), paper_value(claim, claim.a[0])
        if np.isfinite(a) and np.isfinite(b):
            text += (f". The report's own numbers give {b:g} / {a:g} = {b / a:.2f}, a cut by {1 - b / a:.0%}: "
                     f"the claim is read as a ratio of {claim.ratio:g} ± {claim.tolerance:g}")
    return text


def _label(key) -> str:
    table, model, variant = key
    return f"{model} {variant}".strip() + (f" ({table})" if table not in ("table2", "models", "ours") else "")


def _judge(lo, hi) -> str:
    if not (np.isfinite(lo) and np.isfinite(hi)):
        return "untestable"
    return "yes" if hi < 0 else "opposite" if lo > 0 else "undecided"


def _interval(lo, hi, digits: int = 3, sign: str = "+") -> str:
    return "" if not (np.isfinite(lo) and np.isfinite(hi)) else f" [{lo:{sign}.{digits}f}, {hi:{sign}.{digits}f}]"


def _paired(frame: pd.DataFrame, claim: Claim, a) -> dict | None:
    row = frame[(frame.table == claim.b[0]) & (frame.model == claim.b[1]) & (frame.subset == "test")
                & frame.seed.isna() & (frame.slice_by == "")
                & (frame.variant == f"{claim.b[2]}-vs-{a[2]}") & (frame.metric == "rmse_diff")
                & (frame.method.str.startswith("paired"))]
    if row.empty:
        return None
    r = row.iloc[0]
    return {"effect": r.value, "ci_low": r.ci_low, "ci_high": r.ci_high, "method": r.method}


def ratio_interval(a, b, ratio: float, level: float = 0.95, draws: int = RATIO_BOOTSTRAP) -> dict:
    """``mean(b) / mean(a)`` with a percentile bootstrap interval (seeds resampled within each side,
    generator seed 0), and the same interval minus ``ratio`` (so that a claimed ratio is judged like
    an effect: inside a tolerance band or not)."""
    a, b = np.asarray(a, float), np.asarray(b, float)
    rng = np.random.default_rng(0)
    boot = (b[rng.integers(0, b.size, (draws, b.size))].mean(1) / a[rng.integers(0, a.size, (draws, a.size))].mean(1))
    lo, hi = np.quantile(boot, [(1 - level) / 2, (1 + level) / 2])
    if a.size < 2 or b.size < 2:
        lo = hi = float("nan")
    return {"ratio": float(b.mean() / a.mean()), "ci_low": float(lo), "ci_high": float(hi),
            "method": f"percentile bootstrap of the ratio of means over seeds ({draws:,} draws)"}


def _decisive(comparisons) -> tuple:
    """The comparison that decides a claim against several others: one that fails (the most
    clearly), else an undecided one, else (all supported) the one closest to failing."""
    for wanted in ("missing", "untestable", "opposite", "undecided", "yes"):
        hits = [c for c in comparisons if c[1] == wanted]
        if hits:
            return max(hits, key=lambda c: c[2]["ci_low"] if wanted == "opposite" else
                       c[2]["ci_high"] if c[2] else 0.0)
    return ("", "", None)


def assess(claim: Claim, frame: pd.DataFrame) -> dict:
    """One claims-table row: the paper's evidence, ours (effect b - a with its interval per
    comparison), the verdict, the comparison that decides it and the test behind it."""
    out = {"paper": claim.paper, "claim": claim.claim, "paper's evidence": paper_evidence(claim)}
    if claim.kind == "untestable":
        return {**out, "ours": "", "verdict": f"not testable here: {claim.why_untestable}", "decided by": "", "test": ""}
    comparisons, methods = [], set()        # (label, judgement, result)
    for a in claim.a:
        if claim.kind == "paired":
            res = _paired(frame, claim, a)
            if res is None:
                comparisons.append((_label(a), "missing", None))
                continue
        else:
            va, vb = seed_values(frame, *a, metric=claim.metric), seed_values(frame, *claim.b, metric=claim.metric)
            if not va or not vb:
                comparisons.append((_label(a), "missing", None))
                continue
            res = welch_difference(list(va.values()), list(vb.values()))
            if claim.kind == "ratio":
                res["ratio"] = ratio_interval(list(va.values()), list(vb.values()), claim.ratio)
        methods.add(res["method"])
        comparisons.append((_label(a), _judge(res["ci_low"] - claim.margin, res["ci_high"] - claim.margin), res))

    def shown(c):
        label, j, res = c
        if res is None:
            return f"vs {label}: {'per-seed rows' if claim.kind != 'paired' else 'no paired comparison'} missing"
        text = f"vs {label}: {res['effect']:+.3f}{_interval(res['ci_low'], res['ci_high'])}"
        if "ratio" in res:
            r = res["ratio"]
            text += f"; ratio {r['ratio']:.3f}{_interval(r['ci_low'], r['ci_high'], sign='')}"
        return text

    judgements = [c[1] for c in comparisons]
    decisive = _decisive(comparisons)
    if "missing" in judgements:
        verdict = "not testable here: rows missing (run the notebooks that make them)"
    elif "untestable" in judgements:
        verdict = "not testable here: one seed per configuration gives no interval"
    elif claim.kind == "ratio":
        verdict = _ratio_verdict(claim, comparisons[0])
        methods.add(comparisons[0][2]["ratio"]["method"])
    elif all(j == "yes" for j in judgements):
        verdict = "reproduced"
    elif claim.kind == "matches":
        verdict = (f"not reproduced: worse by more than the margin {claim.margin:g} (interval above it)"
                   if any(j == "opposite" for j in judgements) else
                   f"not reproduced: the interval reaches past the margin {claim.margin:g}")
    elif any(j == "opposite" for j in judgements):
        losers = [label for label, j, _ in comparisons if j == "opposite"]
        verdict = f"not reproduced: {', '.join(losers)} better (interval excludes 0)"
    else:
        verdict = "not reproduced: no detectable difference (interval includes 0)"
    what = {"matches": f"{claim.metric.upper()} of the claimed match minus the other's; margin +{claim.margin:g}",
            "ratio": f"{claim.metric.upper()} of the claimed winner minus the other, and their ratio",
            }.get(claim.kind, f"{claim.metric.upper()} of the claimed winner minus the other")
    return {**out, "ours": "; ".join(shown(c) for c in comparisons),
            "verdict": verdict, "decided by": shown(decisive) if decisive[0] else "",
            "test": f"{what}, 95% interval: " + "; ".join(sorted(methods))}


def _ratio_verdict(claim: Claim, comparison) -> str:
    label, direction, res = comparison
    r = res["ratio"]
    lo_band, hi_band = claim.ratio - claim.tolerance, claim.ratio + claim.tolerance
    band = f"{claim.ratio:g} ± {claim.tolerance:g}"
    inside = lo_band <= r["ci_low"] and r["ci_high"] <= hi_band
    outside = r["ci_high"] < lo_band or r["ci_low"] > hi_band
    if direction != "yes":
        return ("not reproduced: " + (f"{label} better" if direction == "opposite" else "no detectable difference")
                + f" (interval {'excludes' if direction == 'opposite' else 'includes'} 0)")
    if inside:
        return f"reproduced: better, and the ratio lies within {band}"
    return (f"partly reproduced: better (interval excludes 0), but the ratio {r['ratio']:.2f} "
            + (f"lies outside {band}" if outside else f"is not resolved against {band} (its interval crosses the band)"))


def claims_table(frame: pd.DataFrame, claims=CLAIMS) -> pd.DataFrame:
    """Every claim of both papers with its evidence, ours, the verdict, the deciding comparison and the test."""
    return pd.DataFrame([assess(c, frame) for c in claims])
