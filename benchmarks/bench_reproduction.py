"""Wall time of the whole ML-100K reproduction on this machine.

    python benchmarks/bench_reproduction.py          # summarise the durations in results/runs/*.json
    python benchmarks/bench_reproduction.py --run    # first re-execute every notebook (paper profile)

Writes rows ``paper=companion, table=bench, model=<notebook>|reproduction, variant=paper,
metric=seconds`` to results/summary.csv and a bar chart to results/figures/bench_reproduction.png.
The durations are those the runner recorded for the committed executions (see 91_reproducibility).
"""
from __future__ import annotations

import argparse
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from mmrec_core.paths import results_dir  # noqa: E402
from mmrec_core.results import ResultRow, read_run_records, write_rows  # noqa: E402


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
    runs = read_run_records()
    runs = runs[(runs.profile == "paper") & (runs.status == "ok")]
    if runs.empty:
        print("no paper-profile run records; run `python -m mmrec_core run` first")
        return 1
    device = str(runs.get("env_device", ["?"]).iloc[0])
    rows = [ResultRow(paper="companion", table="bench", dataset="ml-100k", split="none", model=r.notebook,
                      variant="paper", subset="all", metric="seconds", value=float(r.seconds),
                      commit=str(r.commit), notes=f"runner-recorded wall time on {r.env_device}")
            for r in runs.itertuples()]
    total = float(runs.seconds.sum())
    rows.append(ResultRow(paper="companion", table="bench", dataset="ml-100k", split="none",
                          model="reproduction", variant="paper", subset="all", metric="seconds",
                          value=total, notes=f"sum over {len(runs)} notebooks on {device}"))
    write_rows(rows)

    import matplotlib

    matplotlib.use("Agg")  # a script, not a notebook: no display needed
    import matplotlib.pyplot as plt

    fig, ax = plt.subplots(figsize=(7, 3.5), constrained_layout=True)
    ax.barh(runs.notebook[::-1], runs.seconds[::-1] / 60, color="#4C72B0")
    ax.set_xlabel("minutes")
    ax.set_title(f"ML-100K reproduction: {total / 60:.1f} min in total ({device})")
    from mmrec_core.plots import save_figure

    save_figure(fig, results_dir(), "bench", "reproduction")
    for r in runs.itertuples():
        print(f"{r.notebook:<22} {r.seconds:8.1f} s")
    print(f"{'total':<22} {total:8.1f} s")
    return 0


if __name__ == "__main__":
    sys.exit(main())
