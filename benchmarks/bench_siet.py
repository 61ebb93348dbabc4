"""Training throughput of the Siet replica (behaviour-sequence transformer) on real ML-100K.

Trains on the 90,000 training ratings of Xia's split (seed 0) with their history windows for a
few epochs (forward + backward + AdamW step, the shared trainer's step without evaluation) and
prints training ratings per second per epoch and their median.

    python benchmarks/bench_siet.py                         # prints only
    python benchmarks/bench_siet.py --threads 2 --batch 2048 --fp32
    python benchmarks/bench_siet.py --write                 # also a bench row in results/records/bench_siet.csv

Row (only with --write): paper=companion, table=bench, dataset=ml-100k, split=none, model=Siet,
variant=train-w<window>-b<batch>-<bf16|fp32>, metric=ratings_per_s.
"""
from __future__ import annotations

import argparse
import os
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))


def bench(batch=1024, epochs=3, bf16=True, threads=2, window=4, data_home=None, dataset="ml-100k"):
    import numpy as np
    import torch

    from mmrec_core import experiment
    from mmrec_core.models.siet import SietConfig, add_history, build_siet
    from mmrec_core.notebook import DataContext
    from mmrec_core.paths import data_home as default_home
    from mmrec_core.train import autocast, take

    torch.set_num_threads(threads)
    torch.set_flush_denormal(True)
    ctx = DataContext(dataset=dataset, data_home=Path(data_home) if data_home else default_home(), profile="paper")
    exp = add_history(experiment.prepare(ctx, split_seed=0), window, candidates=False)
    train = exp.data["train"]
    n = len(train["rating"])
    torch.manual_seed(0)
    model = build_siet(SietConfig(window=window), exp.encoder).train()
    opt = torch.optim.AdamW(model.parameters(), lr=1e-3, fused=True)
    dev = torch.device("cpu")
    rates = []
    for epoch in range(epochs):
        perm = torch.randperm(n, generator=torch.Generator().manual_seed(epoch))
        t0 = time.perf_counter()
        for start in range(0, n, batch):
            b = take(train, perm[start:start + batch], dev)
            with autocast(dev, bf16):
                _, loss = model(b)
            opt.zero_grad(set_to_none=True)
            loss.backward()
            torch.nn.utils.clip_grad_norm_(model.parameters(), 1.0)
            opt.step()
        rates.append(n / (time.perf_counter() - t0))
        print(f"epoch {epoch + 1}: {rates[-1]:,.0f} ratings/s (loss {float(loss):.3f})", flush=True)
    load = os.getloadavg()[0] if hasattr(os, "getloadavg") else float("nan")
    return {"ratings_per_s": float(np.median(rates)), "per_epoch": rates, "batch": batch, "bf16": bf16,
            "threads": threads, "window": window, "n_train": n, "load_avg_1min": load}


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--batch", type=int, default=1024)
    ap.add_argument("--epochs", type=int, default=3)
    ap.add_argument("--threads", type=int, default=2)
    ap.add_argument("--window", type=int, default=4)
    ap.add_argument("--fp32", action="store_true", help="no bf16 autocast")
    ap.add_argument("--data-home", default=None, help="default: $MMREC_DATA")
    ap.add_argument("--results-dir", default=None)
    ap.add_argument("--write", action="store_true", help="write a bench row (default: print only)")
    args = ap.parse_args(argv)
    r = bench(args.batch, args.epochs, not args.fp32, args.threads, args.window, args.data_home)
    print(f"median {r['ratings_per_s']:,.0f} training ratings/s (batch {r['batch']}, "
          f"{'bf16' if r['bf16'] else 'fp32'}, {r['threads']} threads, load average {r['load_avg_1min']:.1f})")
    if not args.write:
        return r
    from mmrec_core.results import ResultRow, describe_device, write_rows

    row = ResultRow(paper="companion", table="bench", dataset="ml-100k", split="none", model="Siet",
                    variant=f"train-w{r['window']}-b{r['batch']}-{'bf16' if r['bf16'] else 'fp32'}",
                    metric="ratings_per_s", value=r["ratings_per_s"], profile="paper",
                    notes=f"{r['threads']} threads, {describe_device()}, load average {r['load_avg_1min']:.1f}; "
                          f"per epoch {[round(x) for x in r['per_epoch']]}")
    print("->", write_rows([row], args.results_dir, writer="bench_siet"))
    return r


if __name__ == "__main__":
    main()
