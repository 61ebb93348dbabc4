"""Wall time of the CityU report's four models (NN, MF, MF_NN, TSEM), five seeds each, on ML-100K.

The budget of the TSEM issue: the four models together train on ML-100K with five seeds in at most
15 minutes on this 2-core CPU, with frozen features. This script prepares the notebook's inputs
(``30_tsem``: random 80/10/10 split seed 0, MiniLM plot vectors, EfficientNet-Lite0 poster vectors,
cast, genre frequencies; feature extraction is timed apart, it is cached after the first run), then
trains each model's default config (:func:`mmrec_core.tsem_inputs.report_configs`) for every seed
with an empty run cache in a temporary folder, exactly as the notebook's ``replicate`` calls do, and
prints the seconds per model and in total (scoring of the HR@10 candidates included).

    python benchmarks/bench_tsem.py                        # prints only
    python benchmarks/bench_tsem.py --write --results-dir /tmp/bench   # also writes bench rows

Rows (only with ``--write``): paper=companion, table=bench, dataset=ml-100k, split=random-80-10-10,
model=NN | MF | MF_NN | TSEM | all, variant=train-5-seeds, metric=seconds.
"""
from __future__ import annotations

import argparse
import os
import tempfile
import time


def bench(data_home, seeds=(0, 1, 2, 3, 4), threads=1, synthetic=False, epochs=200, patience=5):
    import torch

    from mmrec_core import experiment, tsem_inputs
    from mmrec_core.notebook import DataContext
    from mmrec_core.train import TrainConfig

    torch.set_num_threads(threads)
    if synthetic:
        from mmrec_core.data import write_synthetic_movielens

        data_home = write_synthetic_movielens(tempfile.mkdtemp(prefix="bench-tsem-"))
    text, image = ("tiny-bert", "tiny-cnn") if synthetic else ("minilm-l6", "efficientnet-lite0")
    ctx = DataContext(dataset="ml-100k", data_home=data_home, profile="bench")
    t0 = time.perf_counter()
    exp = experiment.prepare(ctx, split_seed=0, split_fractions=(0.8, 0.1, 0.1), text_encoder=text, text_fields=("plot",),
                             text_preprocess={"max_length": 64, "remove_stop_words": True, "remove_punctuation": True,
                                              "lemmatize": True}, image_encoder=image)
    exp = tsem_inputs.add_tsem_inputs(exp)
    prepare_s = time.perf_counter() - t0
    configs = tsem_inputs.report_configs(exp)
    train = TrainConfig(lr=1e-3, epochs=epochs, batch_size=1024, patience=patience, progress=False, num_threads=threads)
    cosine = TrainConfig(**{**train.to_dict(), "lr_schedule": "cosine", "t_max": 15})
    out = {"prepare_s": prepare_s}
    with tempfile.TemporaryDirectory(prefix="bench-tsem-runs-") as root:
        for label, name, tcfg in (("NN", "tsem_nn", train), ("MF", "tsem_mf", train), ("MF_NN", "tsem_mf_nn", train),
                                  ("TSEM", "tsem", cosine)):
            t = time.perf_counter()
            runs = experiment.replicate(name, {"default": configs[label]}, list(seeds), exp, tcfg, root=root, progress=False)
            out[f"{label}_s"] = time.perf_counter() - t
            out[f"{label}_best_epochs"] = [o.best_epoch for o in runs.outcomes]
    out["all_s"] = sum(out[f"{m}_s"] for m in ("NN", "MF", "MF_NN", "TSEM"))
    out.update(seeds=len(seeds), threads=threads, n_train=len(exp.data["train"]["rating"]))
    return out


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--data-home", default=os.environ.get("MMREC_DATA"))
    ap.add_argument("--synthetic", action="store_true", help="a generated data home (smoke test)")
    ap.add_argument("--seeds", type=int, default=5)
    ap.add_argument("--threads", type=int, default=1, help="1: what 30_tsem trains with")
    ap.add_argument("--write", action="store_true", help="also write bench rows to the results")
    ap.add_argument("--results-dir", default=None)
    args = ap.parse_args(argv)
    if not args.synthetic and not args.data_home:
        ap.error("set MMREC_DATA or pass --data-home (or --synthetic)")
    r = bench(args.data_home, tuple(range(args.seeds)), args.threads, args.synthetic,
              **({"epochs": 5, "patience": 1} if args.synthetic else {}))
    for k, v in r.items():
        print(f"{k:>18}: {v:.4g}" if isinstance(v, float) else f"{k:>18}: {v}")
    if not args.write:
        return r
    from mmrec_core.results import ResultRow, describe_device, write_rows

    note = (f"{r['seeds']} seeds each, default configs of 30_tsem, {r['threads']} thread(s), {r['n_train']} training "
            f"ratings, empty run cache, frozen features (extraction {r['prepare_s']:.0f} s, cached); {describe_device()}")
    rows = [ResultRow(paper="companion", table="bench", dataset="ml-100k", split="random-80-10-10", model=m,
                      variant="train-5-seeds" if r["seeds"] == 5 else f"train-{r['seeds']}-seeds", metric="seconds",
                      value=r[f"{m}_s"], profile="quick" if args.synthetic else "paper",
                      notes=note + (f"; best epochs {r[m + '_best_epochs']}" if m != "all" else ""))
            for m in ("NN", "MF", "MF_NN", "TSEM", "all")]
    print("->", write_rows(rows, args.results_dir, writer="bench_tsem"))
    return r


if __name__ == "__main__":
    main()
