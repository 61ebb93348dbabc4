"""The results contract: every number a run produces is one row of ``results/summary.csv``.

Rows are keyed by (paper, table, dataset, split, model, variant, subset, metric, profile); writing a
row with an existing key replaces it, so re-running a notebook updates its numbers instead of
duplicating them. Committed results come only from the ``paper`` profile; ``quick`` runs write to a
separate results folder (see ``mmrec_core.runner``).
"""
from __future__ import annotations

import datetime as _dt
import json
import math
import os
import platform
import subprocess
from dataclasses import asdict, dataclass, field
from pathlib import Path

import pandas as pd

from .paths import REPO_ROOT, results_dir

COLUMNS = [
    "paper", "table", "dataset", "split", "model", "variant", "subset", "metric", "value", "std",
    "n_seeds", "ci_low", "ci_high", "p_value", "method", "profile", "encoder_text", "encoder_image",
    "commit", "created", "seconds", "notes",
]
KEY = ["paper", "table", "dataset", "split", "model", "variant", "subset", "metric", "profile"]
PROFILES = ("paper", "quick")


@dataclass
class ResultRow:
    paper: str
    table: str
    dataset: str
    split: str
    model: str
    metric: str
    value: float
    variant: str = ""
    subset: str = ""
    std: float | None = None         # over seeds; blank (None/NaN) with one seed, never 0
    n_seeds: int = 1
    ci_low: float | None = None      # comparisons: 95% interval of the signed effect
    ci_high: float | None = None
    p_value: float | None = None
    method: str = ""                 # how the interval and p-value were computed
    profile: str = "paper"
    encoder_text: str = ""
    encoder_image: str = ""
    commit: str = ""
    created: str = ""
    seconds: float | None = None
    notes: str = ""

    def __post_init__(self):
        if self.profile not in PROFILES:
            raise ValueError(f"profile must be one of {PROFILES}, got {self.profile!r}")
        if self.n_seeds == 1 and self.std is not None and not math.isnan(self.std):
            raise ValueError(f"{self.model} {self.metric}: one seed has no std (got {self.std}); leave it blank")
        for name in ("metric", "model", "table"):
            v = getattr(self, name)
            if not v or any(c in v for c in "@:,\n"):
                raise ValueError(f"{name} {v!r} must be non-empty without '@', ':', ',' or newlines")


def git_commit(short: bool = False) -> str:
    """The checked-out commit, with ``-dirty`` when tracked files differ from it."""
    try:
        sha = subprocess.run(["git", "rev-parse", "HEAD"], cwd=REPO_ROOT, capture_output=True,
                             text=True, check=True).stdout.strip()
        dirty = subprocess.run(["git", "status", "--porcelain", "--untracked-files=no", "--",
                                "mmrec_core", "notebooks", "benchmarks", "configs"], cwd=REPO_ROOT, capture_output=True,
                               text=True).stdout.strip()
        sha = sha[:10] if short else sha
        return sha + ("-dirty" if dirty else "")
    except Exception:
        return "unknown"


def now_iso() -> str:
    return _dt.datetime.now(_dt.timezone.utc).replace(microsecond=0).isoformat()


class ProvenanceError(RuntimeError):
    """Rows that would not be traceable to one commit of the code."""


def write_rows(rows: list[ResultRow], folder: str | Path | None = None,
               started_at_commit: str | None = None) -> Path:
    """Upsert ``rows`` into ``<folder>/summary.csv`` (folder: the results folder).

    ``started_at_commit``: the commit stamped when the run started; if HEAD (or the dirty state)
    has moved since, nothing is written (the numbers would be attributed to code that did not
    make them).
    """
    path = results_dir(folder) / "summary.csv"
    commit, created = git_commit(), now_iso()
    if started_at_commit is not None and commit != started_at_commit:
        raise ProvenanceError(
            f"the checkout moved during this run (started at {started_at_commit}, now {commit}); "
            f"nothing was recorded in {path}. Re-run from a fixed checkout.")
    new = []
    for r in rows:
        d = asdict(r)
        d["commit"] = d["commit"] or commit
        d["created"] = d["created"] or created
        new.append(d)
    new = pd.DataFrame(new, columns=COLUMNS)
    if path.exists():
        old = pd.read_csv(path, dtype={c: str for c in KEY}, keep_default_na=False)
        old = old.reindex(columns=COLUMNS)
        merged = pd.concat([old, new], ignore_index=True)
        merged = merged.drop_duplicates(subset=KEY, keep="last")
    else:
        merged = new
    merged = merged.sort_values(KEY, kind="stable")
    tmp = path.with_suffix(".csv.tmp")
    merged.to_csv(tmp, index=False, float_format="%.6g")
    os.replace(tmp, path)
    return path


def read_results(folder: str | Path | None = None, **filters) -> pd.DataFrame:
    """Rows of ``summary.csv`` matching ``filters`` (column=value); an empty frame if none."""
    path = results_dir(folder) / "summary.csv"
    if not path.exists():
        return pd.DataFrame(columns=COLUMNS)
    frame = pd.read_csv(path, dtype={c: str for c in KEY}, keep_default_na=False)
    for col in ("value", "std", "seconds", "ci_low", "ci_high", "p_value"):
        frame[col] = pd.to_numeric(frame[col], errors="coerce")
    for k, v in filters.items():
        frame = frame[frame[k].isin(v if isinstance(v, (list, tuple, set)) else [v])]
    return frame.reset_index(drop=True)


def metrics_side_by_side(frame: pd.DataFrame, model: str, metrics=("rmse", "rmse_argmax"),
                         tables=("table2", "table3")) -> pd.DataFrame:
    """Mean (± std) of several metrics of one model per (table, variant, subset), side by side."""
    rows = frame[(frame.model == model) & frame.metric.isin(metrics) & frame.table.isin(tables)]
    if rows.empty:
        return pd.DataFrame()
    shown = rows.assign(shown=[f"{v:.4f}" + (f" ± {s:.4f}" if pd.notna(s) else "") for v, s in zip(rows.value, rows["std"])])
    return shown.pivot_table(index=["table", "variant", "subset"], columns="metric", values="shown",
                             aggfunc="first", sort=False).reindex(columns=list(metrics))


def effects_table(frame: pd.DataFrame) -> pd.DataFrame:
    """The recorded comparisons (metric ``*_diff``): effect b - a, 95% interval, p-value, method."""
    eff = frame[frame.metric.str.contains(r"_diff(?:_bootstrap)?$", regex=True)]
    cols = ["paper", "table", "dataset", "model", "variant", "subset", "metric", "value", "ci_low",
            "ci_high", "p_value", "n_seeds", "method", "profile"]
    return eff[cols].rename(columns={"value": "effect (b - a)", "variant": "b-vs-a"}).reset_index(drop=True)


def environment_info() -> dict:
    """Versions and hardware for provenance records."""
    info = {"python": platform.python_version(), "platform": platform.platform(),
            "processor": platform.processor() or platform.machine(), "cpu_count": os.cpu_count()}
    from importlib.metadata import PackageNotFoundError, version

    for pkg in ("numpy", "pandas", "torch", "scikit-surprise", "transformers", "papermill",
                "jupyter-book", "scikit-learn"):
        try:
            info[pkg] = version(pkg)
        except PackageNotFoundError:
            info[pkg] = None
    info["device"] = describe_device()
    return info


def describe_device() -> str:
    try:
        import torch

        if torch.cuda.is_available():
            return "cuda:" + torch.cuda.get_device_name(0)
        return f"cpu ({torch.get_num_threads()} threads)"
    except Exception:
        return "cpu"


@dataclass
class RunRecord:
    """Provenance of one notebook execution (``results/runs/<notebook>.json``)."""

    notebook: str
    profile: str
    parameters: dict
    commit: str = field(default_factory=git_commit)
    started: str = field(default_factory=now_iso)
    seconds: float | None = None
    input_hash: str = ""
    status: str = "ok"
    environment: dict = field(default_factory=environment_info)

    def save(self, folder: str | Path | None = None) -> Path:
        out = results_dir(folder) / "runs"
        out.mkdir(parents=True, exist_ok=True)
        path = out / f"{self.notebook}.json"
        path.write_text(json.dumps(asdict(self), indent=1, sort_keys=True))
        return path


def read_run_records(folder: str | Path | None = None) -> pd.DataFrame:
    out = results_dir(folder) / "runs"
    rows = []
    for p in sorted(out.glob("*.json")) if out.exists() else []:
        d = json.loads(p.read_text())
        env = d.pop("environment", {})
        d.update({f"env_{k}": v for k, v in env.items()})
        d["parameters"] = json.dumps(d.get("parameters", {}), sort_keys=True)
        rows.append(d)
    return pd.DataFrame(rows)


def read_training_ledgers(folder: str | Path | None = None) -> dict[str, dict]:
    """notebook -> {run folder name -> run record} from ``<results>/training/*.json`` (written by
    ``NotebookContext.record``: the runs each page trained or loaded from the run cache)."""
    out = {}
    for p in sorted((results_dir(folder) / "training").glob("*.json")):
        body = json.loads(p.read_text())
        out[body["notebook"]] = body["runs"]
    return out


def wall_time_minutes(summary: pd.DataFrame) -> pd.DataFrame:
    """The rows of ``benchmarks/bench_reproduction.py`` as minutes: one row per notebook (and the
    total, ``reproduction``), columns ``seconds`` (measured) and ``seconds_cold`` (cold-cache estimate)."""
    bench = summary[(summary.table == "bench") & summary.metric.isin(["seconds", "seconds_cold"])]
    return (bench.pivot_table(index="model", columns="metric", values="value", sort=False) / 60).round(1).add_suffix(" (min)")
