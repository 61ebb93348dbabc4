"""The run store: finished long runs, committed with the results, so a later session resumes a page.

The run cache (:mod:`mmrec_core.run_cache`) lives on the machine that trained (``$MMREC_CACHE``),
and a fresh machine starts with an empty one. A page whose training takes longer than one working
session (the fusion pages: about 15 minutes per run on one core) could then never be finished. The
store keeps what a finished run needs to be reused and nothing more, inside the repository:

    results/run_store/<run folder name>/result.json        the run's record (as in the cache)
    results/run_store/<run folder name>/predictions.npz    its predictions, training subset left out

The folder name carries the run key (config, training config, data identity, input hash and code
fingerprint), so a stored run is reused only by the exact code and data that trained it, like a
cached one. Only runs that took at least :data:`MIN_SECONDS` to train are stored (the cheap ones are
quicker to retrain than to keep), and only when their kept predictions are at most
:data:`MAX_BYTES` (a ranking subset over every user-item pair is not kept: such runs stay
cache-only). Predictions of the ``train`` subset are dropped (no page reads them: a page's train
numbers are the metrics in ``result.json``); a run loaded from the store says which it lacks.

``$MMREC_RUN_STORE`` moves the store (``off`` disables it); by default it is ``results/run_store``
of the results folder in use. ``python -m mmrec_core results merge`` brings another checkout's
stored runs along with its pages.
"""
from __future__ import annotations

import io
import json
import os
import shutil
from pathlib import Path

import numpy as np

MIN_SECONDS = 120.0          # a run that trained for less is not stored
MAX_BYTES = 2_000_000        # raw bytes of the kept predictions of one run
DROPPED_SUBSETS = ("train",)
STORE = "run_store"


def store_dir() -> Path | None:
    """The run store's folder, or None when ``$MMREC_RUN_STORE=off``."""
    env = os.environ.get("MMREC_RUN_STORE", "")
    if env.lower() == "off":
        return None
    if env:
        return Path(env).expanduser()
    from .paths import results_dir

    return results_dir() / STORE


def kept_predictions(predictions: dict) -> dict:
    """The predictions a stored run keeps: every subset but the training one."""
    return {k: v for k, v in predictions.items() if k.split("/", 1)[0] not in DROPPED_SUBSETS}


def worth_storing(record: dict, predictions: dict) -> bool:
    """Whether a finished run goes into the store (long enough to train, small enough to keep)."""
    kept = kept_predictions(predictions)
    return (float(record.get("seconds", 0.0)) >= MIN_SECONDS
            and sum(np.asarray(v).nbytes for v in kept.values()) <= MAX_BYTES)


def save(store: Path, name: str, record: dict, predictions: dict) -> Path:
    """Write one run into the store (whole or not at all); returns its folder."""
    folder = Path(store) / name
    if (folder / "result.json").exists():
        return folder
    kept = kept_predictions(predictions)
    tmp = Path(store) / f".{name}.partial"
    if tmp.exists():
        shutil.rmtree(tmp)
    try:
        tmp.mkdir(parents=True)
        buf = io.BytesIO()
        np.savez_compressed(buf, **{k: np.asarray(v, np.float32) for k, v in kept.items()})
        (tmp / "predictions.npz").write_bytes(buf.getvalue())
        stored = {**record, "stored_predictions": sorted(kept),
                  "dropped_predictions": sorted(set(predictions) - set(kept))}
        (tmp / "result.json").write_text(json.dumps(stored, indent=1, sort_keys=True, default=str) + "\n")
        if folder.exists():          # a half-written folder from an older version: replaced
            shutil.rmtree(folder)
        tmp.rename(folder)
    except BaseException as exc:
        shutil.rmtree(tmp, ignore_errors=True)
        if isinstance(exc, OSError):      # a full or read-only results folder: say which and what to do
            from .storage import explain

            better = explain(exc, folder)
            if better is not None:
                raise better from exc
        raise
    return folder


def load(store: Path | None, name: str) -> tuple[dict, dict] | None:
    """(record, predictions) of a stored run, or None when the store does not hold it."""
    if store is None:
        return None
    folder = Path(store) / name
    done = folder / "result.json"
    if not done.exists():
        return None
    try:
        record = json.loads(done.read_text())
        with np.load(folder / "predictions.npz") as z:
            predictions = {k: z[k] for k in z.files}
    except (OSError, ValueError) as exc:
        raise RuntimeError(f"the stored run {folder} cannot be read ({exc}); delete that folder to retrain "
                           f"the run, or restore it with git checkout") from exc
    return record, predictions


def entries(store: Path | None) -> list[str]:
    """Names of the runs in a store."""
    if store is None or not Path(store).is_dir():
        return []
    return sorted(p.name for p in Path(store).iterdir() if (p / "result.json").is_file())


__all__ = ["DROPPED_SUBSETS", "MAX_BYTES", "MIN_SECONDS", "entries", "kept_predictions", "load", "save",
           "store_dir", "worth_storing"]
