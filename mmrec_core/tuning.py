"""Choosing a setting (L2, dropout, schedule, ...) on the validation split, never on test.

:func:`select_on_validation` trains every candidate with the same seeds (through the run cache, as
``replicate`` does) and ranks the candidates by their mean validation RMSE at the best epoch. Its
table holds validation numbers only; the test subset cannot be asked for. ``benchmarks/tune_tsem.py``
is the worked example: it writes the trials to ``results/records/tune_tsem.csv``, which the model
docstrings cite.
"""
from __future__ import annotations

import pandas as pd


def _require_validation(subset: str, candidates) -> None:
    if subset != "val":
        raise ValueError(f"settings are chosen on the validation split; got subset={subset!r}. "
                         "Test numbers are for reporting the chosen setting, never for choosing it.")
    if not candidates:
        raise ValueError("a selection needs at least one candidate")


def select_on_validation(model: str, candidates: dict, seeds, experiment, train=None, *, subset: str = "val",
                         metric: str = "rmse", **replicate_kwargs) -> tuple[str, pd.DataFrame]:
    """The candidate with the lowest mean validation ``metric``, and the table of every candidate.

    candidates: name -> model config, or name -> (model config, training config) (as ``replicate``).
    subset: must be ``"val"``: any other subset (test above all) is refused, so no setting can be
    chosen by a number the book reports.
    """
    from .evaluate import mean_std
    from .experiment import replicate

    _require_validation(subset, candidates)
    runs = replicate(model, candidates, seeds, experiment, train, **replicate_kwargs)
    rows = []
    for name in candidates:
        outs = runs.of(name)
        m, s = mean_std([o.metrics["val"][metric] for o in outs])
        rows.append({"candidate": name, f"val_{metric}": m, "std": s, "n_seeds": len(outs),
                     "best_epochs": [o.best_epoch for o in outs]})
    table = pd.DataFrame(rows).sort_values(f"val_{metric}", kind="stable").reset_index(drop=True)
    return str(table.candidate.iloc[0]), table


def select_surprise_on_validation(name: str, candidates: dict, seeds, experiment, *, subset: str = "val",
                                  metric: str = "rmse", progress: bool = True) -> tuple[str, pd.DataFrame]:
    """The Surprise parameters (``candidates``: label -> parameters) with the lowest mean validation
    ``metric`` over ``seeds``, and the table of every candidate (validation numbers only).

    Each candidate is fitted on the experiment's training part through
    :func:`mmrec_core.experiment.surprise_reference` (cached like every fit); ``subset`` must be
    ``"val"``, as for :func:`select_on_validation`. Ties keep the grid's order.
    """
    from .evaluate import mean_std
    from .experiment import surprise_reference
    from .progress import progress_bar

    _require_validation(subset, candidates)
    rows = []
    with progress_bar(total=len(candidates), desc=f"{name} on validation", enabled=progress) as bar:
        for label, params in candidates.items():
            bar.set_postfix_str(label)
            fits = surprise_reference(experiment, name, seeds, params=params, variant=label).outcomes
            m, s = mean_std([o.metrics["val"][metric] for o in fits])
            rows.append({"candidate": label, f"val_{metric}": m, "std": s, "n_seeds": len(fits),
                         "fit_seconds": round(sum(o.seconds for o in fits), 1)})
            bar.update(1)
    table = pd.DataFrame(rows).sort_values(f"val_{metric}", kind="stable").reset_index(drop=True)
    return str(table.candidate.iloc[0]), table
