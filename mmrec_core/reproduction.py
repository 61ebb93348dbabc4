"""The wall time of the whole reproduction, measured and cold-cache estimated, from the run records.

Two numbers per notebook:

- ``wall``: the wall time the runner recorded for the committed execution (``results/runs/<page>.json``).
  A page executed while the run cache already held its runs took less than a cold execution;
- ``cold``: that wall time plus the recorded training seconds of every run the page loaded from the
  run cache and that no earlier page (in the runner's order) used: what a serial execution from
  empty caches would add. The runs each page used come from its training ledger
  (``results/training/<page>.json``). A page that trains through the run cache but has no ledger
  counts its wall time only; the total is then a lower bound.

Page 91 shows :func:`wall_time_table`; ``benchmarks/bench_reproduction.py`` records the same numbers
(``records/bench_reproduction.csv``) and draws the figure.
"""
from __future__ import annotations

from pathlib import Path

import pandas as pd


def cold_estimate(walls: dict[str, float], ledgers: dict[str, dict], order: list[str],
                  uses_run_cache: set[str] | None = None) -> list[dict]:
    """Per notebook in ``order``: measured wall, training seconds a cold serial execution adds, and why.

    A run loaded from the cache (``reused``) adds its seconds to the first page in ``order`` that
    used it; a run the page trained itself is already inside its wall time. A page outside
    ``uses_run_cache`` (None: every page) trains nothing through the run cache: its wall is its cold time.
    """
    seen, rows = set(), []
    for name in order:
        if name not in walls:
            continue
        runs = ledgers.get(name, {} if uses_run_cache is not None and name not in uses_run_cache else None)
        if runs is None:
            rows.append({"notebook": name, "wall": walls[name], "added": 0.0, "runs": 0, "from_cache": 0,
                         "ledger": False})
            continue
        fresh = {k: r for k, r in runs.items() if k not in seen}
        added = sum(r["seconds"] for r in fresh.values() if r["reused"])
        rows.append({"notebook": name, "wall": walls[name], "added": float(added), "runs": len(runs),
                     "from_cache": sum(r["reused"] for r in fresh.values()), "ledger": True})
        seen.update(runs)
    return rows


def wall_times(folder: str | Path | None = None, profile: str = "paper") -> pd.DataFrame:
    """:func:`cold_estimate` of the good run records and ledgers in ``folder`` (the results folder), one
    row per notebook in the runner's order, with each record's commit and device."""
    from .results import read_run_records, read_training_ledgers
    from .runner import available_notebooks

    columns = ["notebook", "wall", "added", "runs", "from_cache", "ledger", "commit", "device"]
    runs = read_run_records(folder, status="ok")
    runs = runs[runs.profile == profile] if len(runs) else runs
    if runs.empty:
        return pd.DataFrame(columns=columns)
    record = {r.notebook: r for r in runs.itertuples()}
    specs = available_notebooks()
    table = pd.DataFrame(cold_estimate({n: float(r.seconds) for n, r in record.items()}, read_training_ledgers(folder),
                                       [s.name for s in specs], {s.name for s in specs if s.uses_run_cache}))
    table["commit"] = [record[n].commit for n in table.notebook]
    table["device"] = [str(getattr(record[n], "env_device", "")) for n in table.notebook]
    return table


def wall_time_table(folder: str | Path | None = None, profile: str = "paper") -> pd.DataFrame:
    """Minutes per notebook and in total (``reproduction``): measured wall time and the cold-cache
    estimate, with the runs each page loaded from the cache and whether its ledger exists."""
    t = wall_times(folder, profile)
    if t.empty:
        return pd.DataFrame()
    out = pd.DataFrame({"notebook": t.notebook, "measured (min)": (t.wall / 60).round(1),
                        "cold cache (min)": ((t.wall + t.added) / 60).round(1), "runs from the cache": t.from_cache,
                        "training ledger": t.ledger.map({True: "yes", False: "no (lower bound)"})})
    total = {"notebook": "reproduction", "measured (min)": round(t.wall.sum() / 60, 1),
             "cold cache (min)": round((t.wall + t.added).sum() / 60, 1), "runs from the cache": int(t.from_cache.sum()),
             "training ledger": "yes" if t.ledger.all() else "no (lower bound)"}
    return pd.concat([out, pd.DataFrame([total])], ignore_index=True).set_index("notebook")
