"""Wall time of the whole ML-100K reproduction on this machine, measured and cold-cache estimated.

    python benchmarks/bench_reproduction.py          # summarise results/runs/*.json and results/training/*.json
    python benchmarks/bench_reproduction.py --run    # first re-execute every notebook (paper profile)

Two numbers per notebook:

- ``seconds``: the wall time the runner recorded for the committed execution (see 91_reproducibility).
  A page executed while the run cache already held its runs took less than a cold execution.
- ``seconds_cold``: that wall time plus the recorded training seconds of every run the page loaded
  from the run cache and that no earlier page (in the runner's order) used: what a serial execution
  from empty caches would add. The runs each page used come from its training ledger
  (``results/training/<notebook>.json``, written by ``ctx.record``). A page without a ledger (executed
  before ledgers existed) counts its wall time only, and its row says so; the total is then a lower
  bound, and the figure's title says "at least".

Rows ``paper=companion, table=bench, model=<notebook>|reproduction, variant=paper,
metric=seconds|seconds_cold`` go to results/records/bench_reproduction.csv; a stacked bar chart to
results/figures/bench_reproduction.png. Training seconds are those of the process that trained the
run (its device and thread count are in the run record), not a re-measurement.
"""
from __future__ import annotations

import argparse
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from mmrec_core.paths import results_dir  # noqa: E402
from mmrec_core.reproduction import wall_times  # noqa: E402
from mmrec_core.results import ResultRow, write_rows  # noqa: E402

BENCH_ROW = dict(paper="companion", table="bench", dataset="ml-100k", split="none", variant="paper", subset="all")


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--run", action="store_true", help="re-execute every notebook first (--force)")
    args = parser.parse_args(argv)
    if args.run:
        from mmrec_core.runner import run_notebooks

        statuses = run_notebooks("paper", force=True)
        if any(s["status"] == "failed" for s in statuses):
            print(statuses)
            return 1
    frame = wall_times()
    if frame.empty:
        print("no paper-profile run records; run `python -m mmrec_core run` first")
        return 1
    # the pages ran under different thread counts (two 1-thread processes, or one with 2): name them all
    device = ", ".join(sorted(set(frame.device)))
    table = frame.to_dict("records")
    rows = []
    for t in table:
        why = (f"wall + {t['added']:.0f} s training of {t['from_cache']} runs it loaded from the run cache"
               if t["ledger"] else "no training ledger (executed before ledgers): wall time only")
        for metric, value, note in (("seconds", t["wall"], f"runner-recorded wall time on {t['device']}"),
                                    ("seconds_cold", t["wall"] + t["added"], why)):
            rows.append(ResultRow(**BENCH_ROW, model=t["notebook"], metric=metric, value=float(value),
                                  commit=str(t["commit"]), notes=note))
    wall = sum(t["wall"] for t in table)
    cold = wall + sum(t["added"] for t in table)
    missing = [t["notebook"] for t in table if not t["ledger"]]
    gap = f"; without ledgers: {', '.join(missing)}" if missing else ""
    for metric, value in (("seconds", wall), ("seconds_cold", cold)):
        rows.append(ResultRow(**BENCH_ROW, model="reproduction", metric=metric, value=value,
                              notes=f"sum over {len(table)} notebooks on {device}"
                                    + (f"; a lower bound{gap}" if missing and metric == "seconds_cold" else gap)))
    write_rows(rows, writer="bench_reproduction")

    import matplotlib

    matplotlib.use("Agg")  # a script, not a notebook: no display needed
    import matplotlib.pyplot as plt

    names = [t["notebook"] for t in table][::-1]
    walls = [t["wall"] / 60 for t in table][::-1]
    added = [t["added"] / 60 for t in table][::-1]
    fig, ax = plt.subplots(figsize=(7.5, 4), constrained_layout=True)
    ax.barh(names, walls, color="#4C72B0", label="measured wall time of the committed execution")
    ax.barh(names, added, left=walls, color="#DD8452", label="training time of runs loaded from the cache")
    ax.set_xlabel("minutes")
    ax.legend(loc="lower right", fontsize=8)
    bound = "at least" if missing else "about"   # a page without a ledger counts its (warm) wall time only
    ax.set_title(f"ML-100K reproduction from cold caches: {bound} {cold / 3600:.1f} h ({device})"
                 + (f"\n{len(missing)} pages without a training ledger count their wall time only" if missing else ""),
                 fontsize=9)
    from mmrec_core.plots import save_figure

    save_figure(fig, results_dir(), "bench", "reproduction")
    for t in table:
        flag = "" if t["ledger"] else "  (no ledger)"
        print(f"{t['notebook']:<22} wall {t['wall']:8.1f} s   cold {t['wall'] + t['added']:8.1f} s{flag}")
    print(f"{'total':<22} wall {wall:8.1f} s   cold {cold:8.1f} s")
    return 0


if __name__ == "__main__":
    sys.exit(main())
