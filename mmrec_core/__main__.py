"""Command line: ``python -m mmrec_core {run,download,synthetic,list,results}``."""
from __future__ import annotations

import argparse
import json
import sys


def main(argv: list[str] | None = None) -> int:
    from .data.formats import FORMATS

    parser = argparse.ArgumentParser(prog="python -m mmrec_core", description=__doc__)
    sub = parser.add_subparsers(dest="command", required=True)

    run = sub.add_parser("run", help="execute notebooks with papermill")
    run.add_argument("--profile", choices=("paper", "quick"), default="paper")
    run.add_argument("--only", nargs="+", metavar="NAME", help="notebook names, e.g. 10_baselines")
    run.add_argument("--force", action="store_true", help="re-run even if inputs are unchanged")
    run.add_argument("--output-dir", help="where executed notebooks go (default: book/notebooks "
                                          "for paper, results/quick/notebooks for quick)")
    run.add_argument("--results-dir", help="results folder (default: results/ or results/quick/)")
    run.add_argument("-p", "--parameter", nargs=2, action="append", metavar=("KEY", "VALUE"),
                     default=[], help="extra notebook parameter (VALUE parsed as JSON if possible)")
    run.add_argument("--jobs", "-j", type=int, default=1, metavar="N",
                     help="train N pages side by side, one thread each, then the results pages "
                          "(mmrec_core.parallel)")

    dl = sub.add_parser("download", help="download and verify a MovieLens release")
    dl.add_argument("dataset", choices=sorted(FORMATS))
    dl.add_argument("--data-home", help="target folder (default: the data home search: $MMREC_DATA, "
                                        "mmrec.toml, ../shared/data, ~/.cache/mmrec/data)")

    syn = sub.add_parser("synthetic", help="write a synthetic MovieLens-format data home")
    syn.add_argument("folder")
    syn.add_argument("--seed", type=int, default=0)

    sub.add_parser("list", help="list the notebooks the runner knows")

    res = sub.add_parser("results", help="work with the results of pages run elsewhere")
    res_sub = res.add_subparsers(dest="results_command", required=True)
    merge = res_sub.add_parser("merge", help="take the page results of another worktree, clone or branch")
    merge.add_argument("source", help="a folder (worktree or clone root) or a git ref of this repository")
    merge.add_argument("--dry-run", action="store_true", help="list what would be taken; write nothing")
    merge.add_argument("--only", nargs="+", metavar="PAGE", help="take only these pages (e.g. 10_baselines)")
    args = parser.parse_args(argv)

    if args.command == "run":
        from .locations import DataHomeNotFound
        from .parameters import ParameterError
        from .storage import explain

        extra = {}
        for key, value in args.parameter:
            try:
                extra[key] = json.loads(value)
            except json.JSONDecodeError:
                extra[key] = value
        try:
            from .runner import run_notebooks

            if args.jobs < 1:
                print(f"error: --jobs must be at least 1, got {args.jobs}", file=sys.stderr)
                return 2
            if args.jobs != 1:
                from .parallel import run_parallel

                return run_parallel(args.jobs, args.profile, args.only, args.force, args.output_dir,
                                    args.results_dir, extra)
            statuses = run_notebooks(args.profile, args.only, args.force, args.output_dir,
                                     args.results_dir, extra)
        except KeyboardInterrupt:      # Ctrl-C outside a notebook's execution (the runner handles that one)
            print("interrupted", file=sys.stderr)
            return 130
        except (ParameterError, DataHomeNotFound) as exc:
            print(f"error: {exc}", file=sys.stderr)
            return 2
        except OSError as exc:
            explained = explain(exc)
            if explained is None:
                raise
            print(f"error: {explained}", file=sys.stderr)
            return 1
        for s in statuses:       # each notebook's start and end were printed as they happened
            if s["status"] == "failed":
                error = str(s.get("error", "")).replace("\n", "\n    ")
                print(f"{s['notebook']}: {error}\n    see the failed execution: {s['output']} "
                      f"(the last good one is left in place)")
        if any(s["status"] == "interrupted" for s in statuses):
            return 130
        return 1 if any(s["status"] == "failed" for s in statuses) else 0
    if args.command == "download":
        from .data import DataError, download_dataset
        from .locations import DataHomeNotFound, find_data_home
        from .storage import explain

        try:
            folder = download_dataset(args.dataset, find_data_home(args.data_home, must_exist=False))
        except (DataError, DataHomeNotFound) as exc:  # offline, refused archive, read-only data home: no traceback
            print(f"error: {exc}", file=sys.stderr)
            return 1
        except OSError as exc:
            explained = explain(exc, action="write the download into")
            if explained is None:
                raise
            print(f"error: {explained}", file=sys.stderr)
            return 1
        print(f"{args.dataset} verified in {folder}")
        return 0
    if args.command == "synthetic":
        from .data import write_synthetic_movielens
        from .data.synthetic import SyntheticSpec

        print(write_synthetic_movielens(args.folder, SyntheticSpec(seed=args.seed)))
        return 0
    if args.command == "list":
        from .runner import available_notebooks

        for s in available_notebooks():
            print(f"{s.name:<22} {'results only' if not s.needs_real_data else 'real data'}; "
                  f"{len(s.code)} package files{'; trains through the run cache' if s.uses_run_cache else ''}")
        return 0
    if args.command == "results":
        from .merge import merge_results, print_merge

        try:
            result = merge_results(args.source, dry_run=args.dry_run, only=args.only)
        except (FileNotFoundError, ValueError) as exc:
            print(f"error: {exc}", file=sys.stderr)
            return 2
        print_merge(result, args.dry_run)
        return 1 if any(m.status in ("conflict", "stale") for m in result) else 0
    return 2


if __name__ == "__main__":
    sys.exit(main())
