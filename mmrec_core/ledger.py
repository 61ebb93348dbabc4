"""The training ledger of one page: every run it trained or loaded from the run cache.

A :class:`TrainingLedger` belongs to a page's :class:`~mmrec_core.notebook.NotebookContext` (made new by
``nb.start``), travels with the :class:`~mmrec_core.experiment.Experiment` that ``prepare(ctx)`` returns,
and is written by ``ctx.record`` to ``<results>/training/<notebook>.json``, so that
``benchmarks/bench_reproduction.py`` can add the training time of cached runs to a warm wall time.
"""
from __future__ import annotations

import json
from pathlib import Path


class TrainingLedger(dict):
    """run folder name -> {model, variant, seed, seconds, reused, epochs_run, best_epoch, device}."""

    def log(self, outcomes) -> None:
        """Add run outcomes; a run first trained here stays marked trained when it is reused later."""
        for o in outcomes:
            self.setdefault(Path(o.folder).name, {
                "model": o.model, "variant": o.variant, "seed": int(o.seed), "seconds": round(float(o.seconds), 1),
                "reused": bool(o.reused), "epochs_run": int(o.epochs_run), "best_epoch": int(o.best_epoch),
                "device": o.device})

    def write(self, path: Path, **header) -> Path | None:
        """``{**header, "runs": ...}`` as JSON at ``path`` (:func:`mmrec_core.storage.write_whole`); None if empty."""
        if not self:
            return None
        from .storage import write_text

        return write_text(path, json.dumps({**header, "runs": dict(sorted(self.items()))}, indent=1) + "\n")
