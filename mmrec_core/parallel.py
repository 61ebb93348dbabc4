"""``python -m mmrec_core run --jobs N``: the training pages side by side, one thread each.

Two cores train two pages at once faster than one page with two threads (the models are small
enough that a second thread adds little to a step). The pages that train are split into ``N`` queues
by their recorded cost (the training seconds in ``results/training/<page>.json``, else the wall time
of their last execution), longest first onto the least loaded queue; each queue keeps the book's
order and runs in its own ``python -m mmrec_core run`` process with one thread
(``OMP_NUM_THREADS=1``). The pages that only read results (90, 91) run afterwards, once every queue
has finished. The queues share the run cache, whose per-run lock lets a page reuse a run another page
is training (41 waits for 20's runs instead of training them twice), and the feature cache, whose
writers rename whole files into place.

A queue that fails or is interrupted stops only itself; the results pages then do not run, and the
exit status is the worst of the queues (130 after Ctrl-C, which reaches every queue's process).
"""
from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

THREAD_ENV = ("OMP_NUM_THREADS", "MKL_NUM_THREADS", "OPENBLAS_NUM_THREADS")


def page_cost(name: str, res_dir: Path) -> float:
    """Seconds a page took last time: its runs' training time plus its wall time (1 when unknown)."""
    cost = 0.0
    ledger = res_dir / "training" / f"{name}.json"
    if ledger.exists():
        cost += sum(float(r.get("seconds", 0.0)) for r in json.loads(ledger.read_text()).get("runs", {}).values())
    record = res_dir / "runs" / f"{name}.json"
    if record.exists():
        cost += float(json.loads(record.read_text()).get("seconds", 0.0))
    return cost or 1.0


def plan_queues(costs: dict, n_jobs: int) -> list[list[str]]:
    """Split pages into ``n_jobs`` queues of similar total cost (longest first onto the least loaded);
    each queue in the given (book) order; empty queues dropped."""
    if n_jobs < 1:
        raise ValueError(f"--jobs must be at least 1, got {n_jobs}")
    order = list(costs)
    loads, queues = [0.0] * n_jobs, [[] for _ in range(n_jobs)]
    for name in sorted(order, key=lambda k: (-costs[k], order.index(k))):
        j = loads.index(min(loads))
        queues[j].append(name)
        loads[j] += costs[name]
    return [sorted(q, key=order.index) for q in queues if q]


def queue_command(pages, profile: str, force: bool, output_dir=None, results=None, extra=None) -> list[str]:
    cmd = [sys.executable, "-m", "mmrec_core", "run", "--profile", profile, "--only", *pages]
    if force:
        cmd.append("--force")
    if output_dir:
        cmd += ["--output-dir", str(output_dir)]
    if results:
        cmd += ["--results-dir", str(results)]
    for key, value in (extra or {}).items():
        cmd += ["-p", key, json.dumps(value)]
    return cmd


def run_parallel(n_jobs: int, profile: str = "paper", only=None, force: bool = False, output_dir=None,
                 results=None, extra=None, popen=subprocess.Popen) -> int:
    """Run the selected pages in ``n_jobs`` single-thread queues, then the results pages; an exit status."""
    from .notebook import check_only
    from .paths import results_dir
    from .runner import notebook_paths, notebook_spec, run_notebooks

    if check_only():                       # MMREC_CHECK_ONLY: check every page's parameters, run nothing
        statuses = run_notebooks(profile, only, force, output_dir, results, extra)
        return 1 if any(s["status"] == "failed" for s in statuses) else 0
    paths = [p for p in notebook_paths() if not only or p.stem in only]
    if only:
        unknown = sorted(set(only) - {p.stem for p in paths})
        if unknown:
            raise SystemExit(f"unknown notebook(s) {unknown}; available: {[p.stem for p in notebook_paths()]}")
    specs = [notebook_spec(p) for p in paths]
    res_dir = Path(results) if results else results_dir() / ("quick" if profile == "quick" else "")
    training = {s.name: page_cost(s.name, res_dir) for s in specs if s.needs_real_data}
    readers = [s.name for s in specs if not s.needs_real_data]
    queues = plan_queues(training, n_jobs) if training else []
    env = {**os.environ, **{k: "1" for k in THREAD_ENV}}
    for q in queues:
        print(f"queue: {' '.join(q)}", flush=True)
    procs = [popen(queue_command(q, profile, force, output_dir, results, extra), env=env) for q in queues]
    codes = []
    try:
        codes = [p.wait() for p in procs]
    except KeyboardInterrupt:               # the queues got the same Ctrl-C; wait for them to stop
        codes = [p.wait() for p in procs] + [130]
    worst = 130 if 130 in codes else max(codes, default=0)
    if worst or not readers:
        return worst
    statuses = run_notebooks(profile, readers, force, output_dir, results, extra)
    if any(s["status"] == "interrupted" for s in statuses):
        return 130
    return 1 if any(s["status"] == "failed" for s in statuses) else 0


__all__ = ["page_cost", "plan_queues", "queue_command", "run_parallel"]
