"""Classical baselines tuned on the validation part of the split, beside their Surprise defaults.

A model of ours is tuned on validation data; a baseline it is compared with should be too. For each
algorithm, every point of its grid (:data:`GRIDS`, stated on the page that uses it) is fitted on the
training part with the selection seeds and scored by its **validation** RMSE
(:func:`mmrec_core.tuning.select_surprise_on_validation`, which refuses any other subset); the best
point is then fitted with every seed of the page and reported on test, next to the same algorithm
with Surprise's default parameters. Deterministic algorithms (the kNN family) are fitted once.

The grids cover each algorithm's default and the values around it that the Surprise documentation
and the literature on MovieLens 100K tune (factors, epochs, learning rate and regularisation of the
factor models; neighbourhood size and similarity of kNN).
"""
from __future__ import annotations

import itertools
from dataclasses import dataclass, field

import numpy as np
import pandas as pd

from .surprise_models import SEEDED

GRIDS: dict[str, dict[str, tuple]] = {
    "SVD": {"n_factors": (20, 50, 100, 200), "n_epochs": (20, 40), "lr_all": (0.005, 0.01),
            "reg_all": (0.02, 0.05, 0.1)},
    "SVDpp": {"n_factors": (10, 20, 50), "n_epochs": (20, 40), "lr_all": (0.005, 0.007),
              "reg_all": (0.02, 0.05, 0.1)},
    "KNNBaseline": {"k": (20, 40, 80), "sim_options.name": ("msd", "cosine", "pearson_baseline"),
                    "sim_options.user_based": (True, False)},
}


def grid_candidates(grid: dict[str, tuple]) -> dict[str, dict]:
    """Every point of ``grid`` as ``label -> Surprise parameters``, in the grid's order.

    A dotted name (``sim_options.name``) is a key of a nested parameter dict, as Surprise takes
    ``sim_options``; the label is ``name=value`` pairs (``k=40 sim_options.name=msd ...``).
    """
    names = list(grid)
    out = {}
    for values in itertools.product(*(grid[n] for n in names)):
        params: dict = {}
        for name, value in zip(names, values):
            if "." in name:
                outer, inner = name.split(".", 1)
                params.setdefault(outer, {})[inner] = value
            else:
                params[name] = value
        out[" ".join(f"{n}={v}" for n, v in zip(names, values))] = params
    return out


@dataclass
class TunedBaseline:
    """One algorithm: its validation trials, the chosen parameters, and its default and tuned fits."""
    name: str
    chosen: str                      # label of the chosen grid point
    params: dict                     # its parameters
    trials: pd.DataFrame             # every grid point: validation RMSE (selection seeds)
    default: object                  # Runs of Surprise's defaults (every seed)
    tuned: object                    # Runs of the chosen parameters (every seed)
    selection_seeds: tuple = field(default=(0,))

    def summary(self) -> pd.DataFrame:
        """Default and tuned side by side: validation and test RMSE, mean and std over seeds."""
        from ..evaluate import mean_std

        rows = []
        for variant, runs, params in (("default", self.default, "Surprise defaults"), ("tuned", self.tuned, self.chosen)):
            outs = runs.outcomes
            row = {"model": self.name, "variant": variant, "parameters": params, "seeds": len(outs)}
            for subset in ("val", "test"):
                m, s = mean_std([o.metrics[subset]["rmse"] for o in outs])
                row[f"{subset} RMSE"], row[f"{subset} ± std"] = m, s
            rows.append(row)
        return pd.DataFrame(rows)


def tune_baseline(experiment, name: str, seeds, *, grid: dict | None = None, selection_seeds=(0,)) -> TunedBaseline:
    """Choose ``name``'s parameters on validation over ``grid`` (default :data:`GRIDS`), then fit the
    default and the chosen parameters with ``seeds`` (once, seed ``seeds[0]``, if Surprise's
    algorithm is deterministic)."""
    from ..experiment import surprise_reference
    from ..tuning import select_surprise_on_validation

    grid = GRIDS[name] if grid is None else grid
    seeds = list(seeds) if name in SEEDED else list(seeds)[:1]
    selection_seeds = tuple(selection_seeds) if name in SEEDED else tuple(seeds)
    candidates = grid_candidates(grid)
    chosen, trials = select_surprise_on_validation(name, candidates, selection_seeds, experiment)
    default = surprise_reference(experiment, name, seeds)
    tuned = surprise_reference(experiment, name, seeds, params=candidates[chosen], variant="tuned")
    return TunedBaseline(name, chosen, candidates[chosen], trials, default, tuned, selection_seeds)


def tune_baselines(experiment, names=tuple(GRIDS), seeds=(0, 1, 2, 3, 4), selection_seeds=(0,)) -> dict[str, TunedBaseline]:
    """:func:`tune_baseline` for each algorithm of ``names``: ``name -> TunedBaseline``."""
    return {n: tune_baseline(experiment, n, seeds, selection_seeds=selection_seeds) for n in names}


def tuned_summary(tuned: dict[str, TunedBaseline]) -> pd.DataFrame:
    """Every algorithm's default and tuned rows in one table (:meth:`TunedBaseline.summary`)."""
    return pd.concat([t.summary() for t in tuned.values()], ignore_index=True)


def tuned_rows(tuned: dict[str, TunedBaseline], paper: str, table: str, trials_table: str) -> list:
    """Result rows: each algorithm's default (variant ``""``) and tuned (``"tuned"``) test rows over
    seeds and per fit (``reference_rows``), and its validation trials (``trials_table``, subset
    ``val``, variant = the grid point)."""
    from ..experiment import reference_rows
    from ..results import ResultRow

    rows = []
    for name, t in tuned.items():
        rows += reference_rows(t.default, paper=paper, table=table, model=name, notes="Surprise defaults")
        rows += reference_rows(t.tuned, paper=paper, table=table, model=name, variant="tuned",
                               notes=f"chosen on validation: {t.chosen}")
        ident = t.tuned.experiment.identity
        for r in t.trials.itertuples():
            rows.append(ResultRow(paper=paper, table=trials_table, dataset=ident["dataset"], split=ident["split"],
                                  model=name, variant=r.candidate, subset="val", metric="rmse", value=float(r.val_rmse),
                                  std=None if r.n_seeds == 1 else float(r.std), n_seeds=int(r.n_seeds),
                                  profile=ident["profile"],
                                  notes=f"seeds {list(t.selection_seeds)}"
                                        + ("; chosen (lowest validation RMSE)" if r.candidate == t.chosen else "")))
    return rows


def grid_table(grids: dict | None = None) -> pd.DataFrame:
    """The grids as a table: algorithm, parameter, the values tried, and the number of points."""
    grids = GRIDS if grids is None else grids
    rows = [{"algorithm": name, "parameter": p, "values tried": ", ".join(str(v) for v in values),
             "grid points": len(grid_candidates(grid))} for name, grid in grids.items() for p, values in grid.items()]
    return pd.DataFrame(rows)


def best_trials(tuned: dict[str, TunedBaseline], n: int = 5) -> pd.DataFrame:
    """The ``n`` best grid points of each algorithm by validation RMSE (the first one is chosen)."""
    return pd.concat([t.trials.head(n).assign(algorithm=name, rank=range(1, min(n, len(t.trials)) + 1))
                      [["algorithm", "rank", "candidate", "val_rmse", "n_seeds"]] for name, t in tuned.items()],
                     ignore_index=True)


def chosen_from_records(records: pd.DataFrame, names, table: str = "ours_tuning", grids: dict | None = None) -> dict:
    """``name -> Surprise parameters`` chosen on validation by the page that recorded the trials.

    ``records``: :func:`mmrec_core.results.read_results`. Among the validation trials of ``name`` in
    ``table`` (rows written by :func:`tuned_rows`, one per grid point, mean over the selection seeds),
    the grid point of lowest validation RMSE is the choice, as :func:`tune_baseline` made it; its
    parameters are read back from the grid (:data:`GRIDS`). So a later page reuses a tuning without
    refitting its grid, and never looks at a test number to do so."""
    grids = GRIDS if grids is None else grids
    out = {}
    for name in names:
        trials = records[(records.table == table) & (records.model == name) & (records.subset == "val")
                         & (records.metric == "rmse") & records.seed.isna()]
        if trials.empty:
            raise LookupError(f"no validation trials of {name} in table {table!r} of the records: "
                              "execute 40_ours first (it tunes the baselines on validation)")
        label = trials.variant.iloc[int(np.argmin(trials.value.to_numpy()))]
        candidates = grid_candidates(grids[name])
        if label not in candidates:
            raise LookupError(f"{name}: the recorded choice {label!r} is not a point of today's grid {grids[name]}; "
                              "execute 40_ours again")
        out[name] = candidates[label]
    return out
