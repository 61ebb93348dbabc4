"""Validation trials behind the defaults of MF_NN (``models/tsem_mf_nn.py``) and TSEM (``models/tsem.py``).

Real ML-100K prepared as ``30_tsem`` does (random 80/10/10 split seed 0, MiniLM plot vectors,
EfficientNet-Lite0 posters, cast), model seed 0, lr 1e-3, batch 1024, patience 5, 1 thread. Each
candidate is scored by its validation RMSE at the best epoch (:func:`mmrec_core.tuning.select_on_validation`);
the test split is not looked at. Rows: ``records/tune_tsem.csv`` (table ``tuning``, subset ``val``,
variant = candidate).

    python benchmarks/tune_tsem.py [--seeds 0 1]
"""
from __future__ import annotations

import argparse
import sys
from dataclasses import replace
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--seeds", nargs="+", type=int, default=[0])
    parser.add_argument("--results-dir", default=None)
    args = parser.parse_args(argv)
    import torch

    from mmrec_core import experiment, tsem_inputs
    from mmrec_core.notebook import DataContext
    from mmrec_core.paths import data_home
    from mmrec_core.results import ResultRow, write_rows
    from mmrec_core.train import TrainConfig
    from mmrec_core.tuning import select_on_validation

    torch.set_num_threads(1)
    ctx = DataContext(dataset="ml-100k", data_home=data_home(), profile="paper")
    exp = experiment.prepare(ctx, split_seed=0, split_fractions=(0.8, 0.1, 0.1), text_encoder="minilm-l6",
                             text_fields=("plot",), image_encoder="efficientnet-lite0",
                             text_preprocess={"max_length": 64, "remove_stop_words": True, "remove_punctuation": True,
                                              "lemmatize": True})
    exp = tsem_inputs.add_tsem_inputs(exp, cast=True)
    cfg = tsem_inputs.report_configs(exp)
    train = TrainConfig(lr=1e-3, epochs=200, batch_size=1024, patience=5, num_threads=1, progress=False)
    cosine = replace(train, lr_schedule="cosine", t_max=15)
    mfnn = cfg["MF_NN"]
    trials = {
        "tsem_mf_nn": ("MF_NN", {"l2=0": replace(mfnn, l2=0.0), "l2=0 dropout=0.3": replace(mfnn, l2=0.0, dropout=0.3),
                                 "l2=0.005": replace(mfnn, l2=0.005), "l2=0.01": replace(mfnn, l2=0.01),
                                 "l2=0.05": replace(mfnn, l2=0.05)}, train),
        "tsem": ("TSEM", {"cosine T_max 15": (cfg["TSEM"], cosine), "constant rate": (cfg["TSEM"], train),
                          "dropout=0.3": (replace(cfg["TSEM"], dropout=0.3), cosine),
                          "l2=0.05": (replace(cfg["TSEM"], l2=0.05), cosine)}, None),
    }
    rows = []
    for model, (label, candidates, tcfg) in trials.items():
        chosen, table = select_on_validation(model, candidates, args.seeds, exp, tcfg, progress=False)
        print(f"{label}: chosen on validation: {chosen}\n{table.to_string(index=False)}\n", flush=True)
        for r in table.itertuples():
            rows.append(ResultRow(paper="companion", table="tuning", dataset="ml-100k", split=exp.identity["split"],
                                  model=label, variant=r.candidate, subset="val", metric="rmse", value=float(r.val_rmse),
                                  std=None if r.n_seeds == 1 else float(r.std), n_seeds=int(r.n_seeds),
                                  notes=f"best epochs {r.best_epochs}; seeds {args.seeds}"
                                        + ("; chosen (lowest validation RMSE)" if r.candidate == chosen else "")))
    print("->", write_rows(rows, args.results_dir, writer="tune_tsem"))
    return 0


if __name__ == "__main__":
    sys.exit(main())
