"""Training throughput of the Aljunid & Manjaiah DLCRS replica on the real ML-100K training ratings.

Trains the default :class:`~mmrec_core.models.aljunid.AljunidConfig` with the shared trainer
(:func:`mmrec_core.train.fit`: AdamW, gradient clipping, running train RMSE, validation after every
epoch) for a few epochs on Xia's 90/5/5 split (split seed 0, about 90,000 training ratings) and
prints training ratings per second: ratings trained divided by the epochs' wall time (validation of
the 5,000 validation ratings included, so this is the end-to-end rate a notebook run sees).

    python benchmarks/bench_aljunid.py                     # prints only
    python benchmarks/bench_aljunid.py --threads 2 --epochs 3      # torch's usual thread count here
    python benchmarks/bench_aljunid.py --write --results-dir /tmp/bench   # also writes bench rows

Needs the real data (``$MMREC_DATA`` or ``--data-home``); ``--synthetic`` uses a generated home.
Rows (only with ``--write``): paper=companion, table=bench, dataset=ml-100k, split=xia-90-5-5,
model=Aljunid, variant=train-b<batch>, metric=ratings_per_s | seconds_per_epoch.
"""
from __future__ import annotations

import argparse
import os
import tempfile


def bench(data_home, epochs=3, batch=1024, threads=1, synthetic=False):
    import torch

    from mmrec_core import experiment
    from mmrec_core.models.aljunid import AljunidConfig, build_aljunid
    from mmrec_core.notebook import DataContext
    from mmrec_core.train import TrainConfig, fit

    torch.set_num_threads(threads)
    if synthetic:
        from mmrec_core.data import write_synthetic_movielens

        data_home = write_synthetic_movielens(tempfile.mkdtemp(prefix="bench-aljunid-"))
    ctx = DataContext(dataset="ml-100k", data_home=data_home, profile="bench")
    exp = experiment.prepare(ctx, split_seed=0)
    model = build_aljunid(AljunidConfig(), exp.encoder)
    cfg = TrainConfig(lr=1e-3, epochs=epochs, batch_size=batch, patience=epochs + 1, progress=False,
                      num_threads=threads, device="cpu")
    res = fit(model, exp.data["train"], exp.data["val"], cfg)
    n = len(exp.data["train"]["rating"])
    secs = res.history["seconds"]
    steady = secs[1:] or secs  # the first epoch carries one-off warm-up
    return {"ratings_per_s": n * len(steady) / sum(steady), "seconds_per_epoch": sum(steady) / len(steady),
            "first_epoch_s": secs[0], "n_train": n, "epochs": epochs, "batch": batch, "threads": threads,
            "val_rmse_last": res.history["val_rmse"][-1],
            "params": sum(p.numel() for p in model.parameters())}


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--data-home", default=os.environ.get("MMREC_DATA"))
    ap.add_argument("--synthetic", action="store_true", help="a generated data home (smoke test)")
    ap.add_argument("--epochs", type=int, default=3)
    ap.add_argument("--batch", type=int, default=1024)
    ap.add_argument("--threads", type=int, default=1, help="1: what 23_aljunid trains with")
    ap.add_argument("--write", action="store_true", help="also write bench rows to the results")
    ap.add_argument("--results-dir", default=None)
    args = ap.parse_args(argv)
    if not args.synthetic and not args.data_home:
        ap.error("set MMREC_DATA or pass --data-home (or --synthetic)")
    r = bench(args.data_home, args.epochs, args.batch, args.threads, args.synthetic)
    for k, v in r.items():
        print(f"{k:>18}: {v:.4g}" if isinstance(v, float) else f"{k:>18}: {v}")
    if not args.write:
        return r
    from mmrec_core.results import ResultRow, describe_device, write_rows

    note = (f"default AljunidConfig, batch {r['batch']}, {r['threads']} threads, {r['n_train']} training "
            f"ratings, mean of epochs 2..{r['epochs']} (validation included), {describe_device()}")
    common = dict(paper="companion", table="bench", dataset="ml-100k", split="xia-90-5-5", model="Aljunid",
                  variant=f"train-b{r['batch']}", profile="quick" if args.synthetic else "paper", notes=note)
    rows = [ResultRow(metric=m, value=r[m], **common) for m in ("ratings_per_s", "seconds_per_epoch")]
    print("->", write_rows(rows, args.results_dir, writer="bench_aljunid"))
    return r


if __name__ == "__main__":
    main()
