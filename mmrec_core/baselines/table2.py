"""Xia's Table 2 traditional rows, our companion baselines and sanity predictors on one split.

``table2_baselines(split, ...)`` fits every model of :data:`TABLE2` with Surprise (randomised
algorithms once per model seed, deterministic ones once) and returns :class:`BaselineRuns`: a
table, the result rows (std blank where there is one fit) and the per-seed test predictions, which
later comparisons (a neural model against SVD++ on the same split) use with the seed as the unit.
``sanity_predictors`` gives the numbers a recommender must beat (training mean, constant 1,
uniform random), the evidence that Xia's 2.3-2.8 are not RMSEs of working models.
``cv_rows`` turns :func:`~mmrec_core.baselines.surprise_models.summarize_cv` into result rows.
"""
from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
import pandas as pd

from ..evaluate import mean_std, rmse
from ..progress import progress_bar
from .surprise_models import fit_and_evaluate

# (Surprise model name as recorded, variant, randomised: one fit per model seed)
TABLE2 = (("Item-CF", "", False), ("User-CF", "", False), ("SVD", "", True),
          ("SVDpp", "companion", True), ("BaselineOnly", "companion", False))


@dataclass
class BaselineRuns:
    dataset: str
    split: str
    profile: str
    fits: dict = field(default_factory=dict)      # model -> [FitResult per seed]
    variants: dict = field(default_factory=dict)  # model -> variant

    @property
    def identity(self) -> dict:
        """Dataset, split and profile of these fits (as an experiment's identity names them)."""
        return {"dataset": self.dataset, "split": self.split, "profile": self.profile}

    def table(self) -> pd.DataFrame:
        """Mean RMSE per model and subset (train, val, test) over its fits."""
        out = {(m, self.variants[m]): {s: float(np.mean([f.rmse[s] for f in fits])) for s in ("train", "val", "test")}
               for m, fits in self.fits.items()}
        return pd.DataFrame(out).T.rename_axis(["model", "variant"])

    def test_predictions(self, model: str) -> dict:
        """seed -> test predictions of ``model`` (for seed-level comparisons on the same split)."""
        return {f.seed: f.predictions["test"] for f in self.fits[model]}

    def rows(self, paper: str = "xia", table: str = "table2") -> list:
        from ..results import ResultRow

        out = []
        for model, fits in self.fits.items():
            variant = self.variants[model]
            for subset in ("train", "val", "test"):
                m, s = mean_std([f.rmse[subset] for f in fits])
                out.append(ResultRow(paper=paper, table=table, dataset=self.dataset, split=self.split,
                                     model=model, variant=variant, subset=subset, metric="rmse",
                                     value=m, std=s, n_seeds=len(fits), profile=self.profile,
                                     seconds=float(np.mean([f.fit_s + f.predict_s for f in fits])),
                                     notes=("companion baseline (ours), not in the paper; " if variant else "")
                                     + f"seeds {[f.seed for f in fits]}"))
            for f in fits:  # per-seed test numbers, for comparisons with the seed as the unit
                out.append(ResultRow(paper=paper, table=table, dataset=self.dataset, split=self.split,
                                     model=model, variant=variant, subset="test", metric="rmse", seed=f.seed,
                                     value=f.rmse["test"], n_seeds=1, profile=self.profile,
                                     seconds=round(f.fit_s + f.predict_s, 1)))
        return out


def table2_baselines(split, dataset: str, model_seeds, profile: str, progress: bool = True) -> BaselineRuns:
    """Fit the :data:`TABLE2` models on ``split.train`` and score train, val and test."""
    runs = BaselineRuns(dataset, split.name, profile)
    todo = [(name, variant, list(model_seeds) if randomised else [0]) for name, variant, randomised in TABLE2]
    bar = progress_bar(total=sum(len(s) for *_, s in todo), desc="Table 2 baselines", enabled=progress)
    for name, variant, seeds in todo:
        runs.variants[name] = variant
        runs.fits[name] = []
        for seed in seeds:
            runs.fits[name].append(fit_and_evaluate(name, split.train, split.parts(), seed=seed))
            bar.update(1)
    bar.close()
    return runs


def sanity_predictors(split, seed: int = 0) -> pd.DataFrame:
    """RMSE of predictors that learn nothing about users or movies, per subset.

    GlobalMean: the training mean for every rating; Constant1: 1 everywhere; UniformRandom: a
    seeded uniform draw from 1..5.
    """
    rng = np.random.default_rng(seed)
    mu = float(split.train.rating.mean())
    out = {}
    for subset, frame in split.parts().items():
        y = frame.rating.to_numpy(float)
        out[("GlobalMean", subset)] = rmse(y, np.full_like(y, mu))
        out[("Constant1", subset)] = rmse(y, np.ones_like(y))
        out[("UniformRandom", subset)] = rmse(y, rng.integers(1, 6, len(y)).astype(float))
    return pd.Series(out).unstack()[["train", "val", "test"]]


def sanity_rows(table: pd.DataFrame, dataset: str, split: str, profile: str) -> list:
    from ..results import ResultRow

    return [ResultRow(paper="xia", table="table2", dataset=dataset, split=split, model=model,
                      variant="sanity", subset=subset, metric="rmse", value=float(table.loc[model, subset]),
                      profile=profile, notes="sanity predictor (ours)")
            for model in table.index for subset in table.columns]


def cv_rows(cv: pd.DataFrame, dataset: str, split: str, folds: int, profile: str) -> list:
    from ..results import ResultRow

    return [ResultRow(paper="surprise", table=f"cv{folds}", dataset=dataset, split=split, model=name,
                      subset="cv", metric=metric, value=float(cv.loc[name, (metric, "mean")]),
                      std=float(cv.loc[name, (metric, "std")]), n_seeds=folds, profile=profile,
                      notes=f"mean and std over {folds} folds")
            for name in cv.index for metric in ("rmse", "mae", "fit_s", "test_s")]
