"""The experiment layer under every replica: prepare inputs, train or reuse runs, compare variants.

A notebook cell calls one of these:

- :func:`prepare` (``inputs.py``) loads a dataset, makes the shared seeded split and the per-item
  content tables, and returns an :class:`Experiment` (tensors plus everything that identifies them);
- :func:`replicate` (``runs.py``) trains a registered model (:mod:`mmrec_core.models`) for every
  variant and seed, or loads the finished run from the run cache, and returns :class:`Runs`;
- :meth:`Runs.summary`, :meth:`Runs.compare` and :meth:`Runs.rows` tabulate over seeds, test a
  difference with the seed as the unit (or a bootstrap over seeds and ratings) and produce the
  typed result rows (one per run, plus the means over seeds);
- :func:`surprise_reference` (``reference.py``) fits a classical Surprise baseline on the same split,
  through the same run cache (its folders, locks and atomic results).

One run is :func:`mmrec_core.run_cache.run_one` (trained, or loaded from the run cache: see there).
This package only organises runs and tables them, so editing it retires no cached run. Every run a
page used is logged in the experiment's :class:`~mmrec_core.ledger.TrainingLedger` (the page's
``ctx.ledger``, handed to :func:`prepare`): no global state.

Scale-out: ``replicate(..., executor=client)`` runs the (variant, seed) tasks on a
``dask.distributed`` client (or any ``concurrent.futures`` executor). Each task is the same
:func:`run_one` call as in-process, writing the same run cache, so the rows are the same either way.
"""
from ..run_cache import RunOutcome, run_key, run_one, run_task  # noqa: F401  (run_one: the public one-run call)
from .inputs import Experiment, build, content_summary, prepare, sanity_check, withhold_content  # noqa: F401
from .reference import reference_rows, surprise_reference  # noqa: F401
from .runs import (  # noqa: F401
                   RUN_FIELDS,
                   Runs,
                   compare_models,
                   content_ablation,
                   finished_run,
                   lr_sweep,
                   recorded,
                   replicate,
                   run_fields,
                   stopped_by_patience,
)
