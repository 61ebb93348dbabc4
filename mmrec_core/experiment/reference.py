"""Classical references on a page's split: Surprise fits through the run cache, and their result rows."""
from __future__ import annotations

import copy
import hashlib
import json
import time
from pathlib import Path

import numpy as np

from ..evaluate import METRICS, mean_std
from ..paths import cache_home
from ..run_cache import RunOutcome, run_key, run_lock
from .inputs import Experiment
from .runs import Runs


def surprise_reference(experiment: Experiment, name: str = "SVDpp", seeds=(0, 1, 2),
                       root: str | Path | None = None, params: dict | None = None,
                       variant: str | None = None) -> "Runs":
    """A Surprise model (default SVD++) fitted on the experiment's split once per seed, as ``Runs``.

    params: the algorithm's parameters (Surprise's defaults where not given; ``sim_options`` nested
    as Surprise takes it), part of the cache key. variant: the name the fits carry in the ``Runs``
    (default: the algorithm's name).

    For comparisons of a neural row with a strong classical baseline on the same split
    (:func:`compare_models`). Fits are cached like neural runs (key: split identity, data hash,
    model name, parameters, seed, the code of ``baselines/surprise_models.py`` and its imports) in
    the run cache's folders, under the same per-folder lock (:func:`~mmrec_core.run_cache.run_lock`)
    and with the result written whole, then renamed.
    """
    from ..baselines.surprise_models import fit_and_evaluate
    from ..paths import hash_package_sources, package_imports

    # the code that fits and scores (and what it imports), not the tables around it
    h = hashlib.sha256()
    hash_package_sources(h, package_imports(("baselines/surprise_models.py", "evaluate.py")))
    # Surprise sees only (user, item, rating) of the split: extra tensors a page adds (histories,
    # content) do not change its fit, so they are left out of its key.
    r = hashlib.sha256()
    for subset, frame in experiment.split.parts().items():
        r.update(subset.encode())
        r.update(np.ascontiguousarray(frame[["user_id", "item_id", "rating"]].to_numpy(np.float64)).tobytes())
    ratings_hash = r.hexdigest()[:16]
    params = dict(params or {})
    outcomes = []
    for seed in seeds:
        key = run_key({"surprise": name, "seed": int(seed), "identity": experiment.identity,
                       "ratings": ratings_hash, "code": h.hexdigest()[:12],
                       **({"params": params} if params else {})})
        folder = (Path(root) if root else cache_home() / "runs") / f"surprise-{name}-seed{seed}-{key}"
        folder.mkdir(parents=True, exist_ok=True)
        done = folder / "result.json"
        with run_lock(folder):   # another process fitting the same reference: wait, then reuse its result
            reused = done.exists()
            if reused:
                rec = json.loads(done.read_text())
            else:
                t0 = time.perf_counter()
                fit = fit_and_evaluate(name, experiment.split.train, experiment.split.parts(), seed=int(seed),
                                       **copy.deepcopy(params))
                rec = {"metrics": {s: {"rmse": fit.rmse[s], "mae": METRICS["mae"](experiment.split.parts()[s].rating,
                                                                                     fit.predictions[s])}
                                   for s in fit.rmse}, "seconds": time.perf_counter() - t0}
                np.savez(folder / "predictions.npz", **{f"{s}/predict": p.astype(np.float32) for s, p in fit.predictions.items()})
                partial = folder / "result.json.partial"   # written whole, then renamed: never half a result
                partial.write_text(json.dumps(rec))
                partial.replace(done)
            z = np.load(folder / "predictions.npz")
        outcomes.append(RunOutcome(f"surprise:{name}", variant or name, int(seed), params, {}, {}, 0, 0, rec["seconds"],
                                   rec["metrics"], {k: z[k] for k in z.files}, {}, "cpu", str(folder), reused))
    experiment.ledger.log(outcomes)
    return Runs(outcomes, experiment)


def reference_rows(runs: "Runs", paper: str, table: str, model: str, notes: str = "", variant: str = "") -> list:
    """Result rows of a :func:`surprise_reference`: test mean/std over seeds and one row per fit.

    So that a page's claims can test a model against the reference it fitted on the same split.
    """
    from ..results import ResultRow

    ident = runs.experiment.identity
    common = dict(paper=paper, table=table, dataset=ident["dataset"], split=ident["split"], model=model,
                  variant=variant, profile=ident["profile"])
    out = []
    for name in runs.variants:
        outcomes = runs.of(name)
        for metric in outcomes[0].metrics.get("test", {}):
            m, s = mean_std([o.metrics["test"][metric] for o in outcomes])
            out.append(ResultRow(subset="test", metric=metric, value=m, std=s, n_seeds=len(outcomes),
                                 seconds=round(sum(o.seconds for o in outcomes), 1),
                                 notes=f"Surprise {outcomes[0].model.removeprefix('surprise:')} fitted on this page's split; seeds "
                                       f"{[o.seed for o in outcomes]}"
                                       + (f"; parameters {outcomes[0].config}" if outcomes[0].config else "")
                                       + (f"; {notes}" if notes else ""), **common))
            out += [ResultRow(subset="test", metric=metric, seed=o.seed, value=o.metrics["test"][metric],
                              seconds=round(o.seconds, 1), run_key=Path(o.folder).name, device=o.device, **common)
                    for o in outcomes]
    return out
