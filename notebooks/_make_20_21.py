"""Write notebooks/20_xia_fusion.ipynb and notebooks/21_mu.ipynb (without outputs).

Run: python notebooks/_make_20_21.py
"""
from __future__ import annotations

from pathlib import Path

import nbformat as nbf

HERE = Path(__file__).resolve().parent


def md(text):
    return nbf.v4.new_markdown_cell(text.strip("\n"))


def code(text, tags=None):
    cell = nbf.v4.new_code_cell(text.strip("\n"))
    if tags:
        cell.metadata["tags"] = tags
    return cell


def write(name, cells):
    nb = nbf.v4.new_notebook()
    nb.cells = cells
    nb.metadata["kernelspec"] = {"name": "python3", "display_name": "Python 3", "language": "python"}
    nb.metadata["language_info"] = {"name": "python"}
    nbf.validate(nb)
    nbf.write(nb, HERE / name)


# ----------------------------------------------------------------------------------------- 20
FUSION = [
    md("""
# Xia et al.: multi-modal Transformer feature fusion (Table 2 and Table 3)

> "This study proposes a multi-modal movie recommendation system by extract features of the well
> designed posters for each movie and the narrative text description of the movie. This system uses
> the BERT model to extract the information of text modality, the ViT model applied to extract the
> information of poster/image modality, and the Transformer architecture for feature fusion of all
> modalities to predict users' preference." (abstract)

> "On MovieLens 100k, our system achieved an RMSE of 0.902, compared to 0.987 for a unimodal
> approach, indicating that multimodal data enhances prediction accuracy. Testing different learning
> rates (0.001, 0.0005, and 0.0001) revealed that 0.0005 yielded the best performance in both
> datasets." (section 5)

This page trains the fusion model of section 3 on Xia's random 90/5/5 split, single-modal (no
poster token) and cross-modal (with it), over several model seeds, and the learning-rate sweep of
Table 3. Every number below is computed by this notebook and recorded in `results/summary.csv`.
"""),
    code("""
PROFILE = "paper"            # paper | quick (synthetic data, tiny encoders and model, seconds)
DATASET = "ml-100k"          # ml-100k | ml-1m (ML-1M needs ratings.dat in the data home)
DATA_HOME = None             # None: $MMREC_DATA (paper) or a generated synthetic home (quick)
RESULTS_DIR = None           # None: results/ (paper) or results/quick/ (quick)
SEEDS = [0, 1, 2]            # model seeds (the split seed is fixed: SPLIT_SEED)
SPLIT_SEED = 0               # seed of Xia's 90/5/5 split
EPOCHS = 3                   # maximum epochs per run (early stopping on validation RMSE)
PATIENCE = 1                 # epochs without improvement before stopping
TABLE2_LR = 5e-4             # learning rate of the Table 2 rows (the paper's best)
LEARNING_RATES = [1e-3, 5e-4, 1e-4]  # Table 3 sweep
TABLE3_SEEDS = [0]           # seeds per Table 3 learning rate (runs identical to Table 2 are reused)
BATCH_SIZE = 512             # ratings per step
D_MODEL = 768                # token width (the paper's BERT/ViT width)
N_LAYER = 1                  # encoder layers
N_HEAD = 12                  # attention heads (BERT-base's count)
BF16 = True                  # bfloat16 autocast for matmuls (weights, optimizer, loss stay float32)
TEXT_ENCODER = "minilm-l6"   # minilm-l6 (paper profile) | tiny-bert (quick) | any text encoder of the registry
IMAGE_ENCODER = "efficientnet-lite0"  # efficientnet-lite0 (paper) | tiny-cnn (quick) | any image encoder
""", tags=["parameters"]),
    code("""
import mmrec_core.notebook as nb
ctx = nb.start(PROFILE, DATASET, DATA_HOME, RESULTS_DIR)
"""),
    code("""
%matplotlib inline
import inspect
import time

import numpy as np
import pandas as pd
import torch
from IPython.display import Code, display

from mmrec_core.data import load_content, load_movielens, xia_split
from mmrec_core.evaluate import paired_squared_error_test
from mmrec_core.features import get_item_features
from mmrec_core.models import plots
from mmrec_core.models.experiment import run_seed, summarise
from mmrec_core.models.fusion import FusionConfig, FusionTransformer, build_fusion
from mmrec_core.models.inputs import RatingEncoder
from mmrec_core.results import ResultRow, write_rows
from mmrec_core.train import TrainConfig, resolve_device

if ctx.quick:  # the same code path, shrunk to seconds
    SEEDS, TABLE3_SEEDS, EPOCHS, D_MODEL, N_HEAD, BF16 = SEEDS[:2], TABLE3_SEEDS[:1], 2, 16, 2, False
    TEXT_ENCODER, IMAGE_ENCODER, BATCH_SIZE = "tiny-bert", "tiny-cnn", 256
torch.set_num_threads(max(1, torch.get_num_threads()))
DEVICE = resolve_device("auto")
T0 = time.perf_counter()
print(f"profile={ctx.profile} dataset={DATASET} device={DEVICE} threads={torch.get_num_threads()}")
"""),
    md("""
## Data

MovieLens with Xia's random split "9:0.5:0.5" (train, test, validation; section 4.1). The split
seed is fixed; only the model seeds vary, so all runs are compared on the same test ratings.
"""),
    code("""
ds = load_movielens(DATASET, ctx.data_home)
content = load_content(ds)
split = xia_split(ds.ratings, SPLIT_SEED)
print(ds)
print(split)
"""),
    md("""
## Content features

The paper uses BERT-base [CLS] (768-d) for the title and the introduction and ViT-B/16 [CLS]
(768-d) for the poster. Neither can be loaded on this machine; the paper profile uses the offline
stand-ins all-MiniLM-L6-v2 (384-d, a 6-layer BERT) and EfficientNet-Lite0 (1280-d pooled), frozen
and cached (see the features page). Title and plot are encoded separately: they are two of the ten
tokens.
"""),
    code("""
text_title = get_item_features(ds, content, "text", TEXT_ENCODER, text_field="title")
text_plot = get_item_features(ds, content, "text", TEXT_ENCODER, text_field="plot")
image = get_item_features(ds, content, "image", IMAGE_ENCODER)
for m in (text_title, text_plot, image):
    print(m)
encoder = RatingEncoder().fit(split.train, ds.users, ds.items, ds.genres)
encoder.add_modality("text_title", text_title).add_modality("text_plot", text_plot).add_modality("image", image)
data = {name: encoder.transform(frame) for name, frame in split.parts().items()}
print(encoder)
"""),
    md("""
## Model

The model file, `mmrec_core/models/fusion.py`: its docstring lists the ten tokens and every
deviation from the paper. The token sequence and the forward pass:
"""),
    code("""
display(Code(inspect.getsource(FusionTransformer.tokens), language="python"))
display(Code(inspect.getsource(FusionTransformer.forward), language="python"))
"""),
    code("""
def fusion_config(use_poster):
    return FusionConfig(d_model=D_MODEL, n_layer=N_LAYER, n_head=N_HEAD, d_ff=4 * D_MODEL,
                        use_poster=use_poster)

model = build_fusion(fusion_config(True), encoder)
display(model.summary())
fig = plots.fusion_architecture(model)
plots.save(fig, ctx.results_dir, f"xia_fusion_architecture_{DATASET}")
print(f"{sum(p.numel() for p in model.parameters()):,} trainable parameters (cross-modal)")
"""),
    md("""
A sanity check before training (after the annotated Transformer): an untrained model predicts
near-uniform class probabilities, so its expected rating is near 3 and its loss near log 5.
"""),
    code("""
with torch.no_grad():
    logits, loss = model({k: v[:512] for k, v in data["val"].items()})
print(f"untrained loss {loss.item():.3f} (log 5 = {np.log(5):.3f}); "
      f"mean expected rating {model.output_to_rating(logits).mean():.2f}")
del model
"""),
    md("""
## Training

One training loop for all neural replicas (`mmrec_core/train.py`): AdamW, early stopping on the
validation RMSE (the best epoch's weights are kept), a checkpoint per epoch; a finished run is
stored and not trained again when the notebook is rerun. Cross-entropy loss over the five ratings
(eq. 14).
"""),
    code("""
IDENTITY = {"dataset": DATASET, "split": split.name, "split_seed": SPLIT_SEED,
            "n_ratings": len(ds.ratings), "synthetic": ds.synthetic,
            "text": [text_title.encoder, text_plot.encoder], "image": image.encoder,
            "profile": ctx.profile}
METHODS = {"rmse": "predict", "rmse_argmax": "predict_argmax"}

def train_fusion(variant, lr, seed):
    cfg = fusion_config(variant == "cross")
    tcfg = TrainConfig(lr=lr, epochs=EPOCHS, batch_size=BATCH_SIZE, patience=PATIENCE, seed=seed,
                       device="auto", bf16=BF16, progress=True)
    return run_seed(f"fusion-{DATASET}-{variant}-lr{lr:g}", lambda: build_fusion(cfg, encoder),
                    encoder, data, tcfg, identity={**IDENTITY, "model": cfg.to_dict()},
                    methods=METHODS)

runs = {}
for variant in ("single", "cross"):
    for seed in SEEDS:
        out = train_fusion(variant, TABLE2_LR, seed)
        runs[(variant, TABLE2_LR, seed)] = out
        print(f"{variant} seed {seed}: test RMSE {out.metrics['test']['rmse']:.4f} "
              f"(best epoch {out.best_epoch}, {out.seconds:.0f}s{', reused' if out.reused else ''})")
"""),
    code("""
fig = plots.loss_curves({f"{v} s{s}": runs[(v, TABLE2_LR, s)].history for v in ("single", "cross") for s in SEEDS},
                        "rmse", f"Fusion on {DATASET}: RMSE per epoch (lr {TABLE2_LR:g})")
plots.save(fig, ctx.results_dir, f"xia_fusion_curves_{DATASET}")
fig = plots.loss_curves({f"{v} s{s}": runs[(v, TABLE2_LR, s)].history for v in ("single", "cross") for s in SEEDS},
                        "loss", f"Fusion on {DATASET}: cross-entropy per epoch (lr {TABLE2_LR:g})")
plots.save(fig, ctx.results_dir, f"xia_fusion_loss_{DATASET}")
"""),
    md("""
## Evaluation: Table 2 (fusion rows)

RMSE of the expected rating under the softmax (`rmse`) and of the arg-max class (`rmse_argmax`),
mean and standard deviation over the model seeds. The paper does not say which it reports; the
expected rating is what minimises squared error, the arg-max is what a classifier outputs.
"""),
    code("""
PAPER_T2 = {("single", "train"): 1.065, ("single", "test"): 0.987,
            ("cross", "train"): 0.965, ("cross", "test"): 0.902}
table2 = []
for variant in ("single", "cross"):
    summ = summarise([runs[(variant, TABLE2_LR, s)] for s in SEEDS])
    for subset in ("train", "val", "test"):
        for metric in METHODS:
            m, s, n = summ[subset][metric]
            table2.append({"model": "Fusion", "variant": variant, "subset": subset, "metric": metric,
                           "mean": m, "std": s, "n_seeds": n,
                           "paper": PAPER_T2.get((variant, subset), np.nan) if DATASET == "ml-100k" else np.nan})
table2 = pd.DataFrame(table2)
table2.round(4)
"""),
    md("""
### Cross-modal against single-modal, paired

Per-rating squared errors of the two variants on the same test ratings (same split), seed by seed:
a paired t-test, a Wilcoxon signed-rank test and a bootstrap interval of RMSE(cross) - RMSE(single).
"""),
    code("""
y_test = data["test"]["rating"].numpy()
paired = []
for seed in SEEDS:
    r = paired_squared_error_test(y_test, runs[("cross", TABLE2_LR, seed)].predictions["test/predict"],
                                  runs[("single", TABLE2_LR, seed)].predictions["test/predict"], seed=seed)
    paired.append({"seed": seed, **r})
paired = pd.DataFrame(paired)
# pooled over seeds: the seed-averaged per-rating difference of squared errors, one-sample t-test
from scipy import stats
d = np.mean([(runs[("cross", TABLE2_LR, s)].predictions["test/predict"] - y_test) ** 2
             - (runs[("single", TABLE2_LR, s)].predictions["test/predict"] - y_test) ** 2 for s in SEEDS], axis=0)
pooled_p = float(stats.ttest_1samp(d, 0.0).pvalue)
print(f"pooled over seeds: mean squared-error difference {d.mean():+.4f}, t-test p = {pooled_p:.3g}")
paired.round(4)
"""),
    md("""
## Table 3: learning rates

The cross-modal model at each learning rate (the Table 2 cross-modal runs are reused where the
configuration is identical).
"""),
    code("""
for lr in LEARNING_RATES:
    for seed in TABLE3_SEEDS:
        if (("cross", lr, seed)) not in runs:
            runs[("cross", lr, seed)] = train_fusion("cross", lr, seed)
PAPER_T3 = {"ml-100k": {1e-3: (0.994, 0.991), 5e-4: (0.965, 0.902), 1e-4: (1.009, 1.058)},
            "ml-1m": {1e-3: (1.039, 0.996), 5e-4: (1.004, 0.893), 1e-4: (1.075, 0.994)}}
table3 = []
for lr in LEARNING_RATES:
    summ = summarise([runs[("cross", lr, s)] for s in TABLE3_SEEDS])
    paper = PAPER_T3.get(DATASET, {}).get(lr, (np.nan, np.nan))
    for subset in ("train", "val", "test"):
        for metric in METHODS:
            m, s, n = summ[subset][metric]
            table3.append({"lr": lr, "subset": subset, "metric": metric, "mean": m, "std": s, "n_seeds": n,
                           "paper": {"train": paper[0], "test": paper[1]}.get(subset, np.nan)})
table3 = pd.DataFrame(table3)
table3[table3.metric == "rmse"].pivot(index="subset", columns="lr", values=["mean", "paper"]).round(4)
"""),
    code("""
fig = plots.loss_curves({f"lr {lr:g} s{s}": runs[("cross", lr, s)].history for lr in LEARNING_RATES for s in TABLE3_SEEDS},
                        "rmse", f"Fusion (cross-modal) on {DATASET}: learning rates")
plots.save(fig, ctx.results_dir, f"xia_fusion_lr_curves_{DATASET}")
"""),
    md("""
## Paper against ours
"""),
    code("""
cmp = table2[(table2.metric == "rmse") & table2.subset.isin(["train", "test"])].copy()
cmp["label"] = "Fusion " + cmp.variant + " " + cmp.subset
t3 = table3[(table3.metric == "rmse") & table3.subset.isin(["train", "test"])].copy()
t3["label"] = "lr " + t3.lr.map("{:g}".format) + " " + t3.subset
both = pd.concat([cmp.rename(columns={"mean": "ours"}), t3.rename(columns={"mean": "ours"})])
display(both[["label", "paper", "ours", "std", "n_seeds"]].round(4).reset_index(drop=True))
if both.paper.notna().any():
    fig = plots.paper_vs_ours(both.dropna(subset=["paper"]), title=f"Xia et al. Tables 2-3 ({DATASET}): paper vs ours")
    plots.save(fig, ctx.results_dir, f"xia_fusion_paper_vs_ours_{DATASET}")
"""),
    md("""
Deviations that bear on the comparison (all listed in `mmrec_core/models/fusion.py`): stand-in
encoders (MiniLM-L6 384-d, EfficientNet-Lite0 1280-d) for BERT/ViT; the notebook's width, depth and
epochs are sized for a 2-core CPU (`N_LAYER`, `EPOCHS`, `PATIENCE` above: one encoder layer, at
most three epochs; throughput in `benchmarks/bench_fusion_train.py`); bfloat16 autocast; the paper
gives no depth, heads, batch size, epochs or stopping rule.
"""),
    md("""
## Record
"""),
    code("""
elapsed = time.perf_counter() - T0
enc_text = f"{TEXT_ENCODER} (title; plot)"
common = dict(paper="xia", dataset=DATASET, split=split.name, profile=ctx.profile,
              encoder_text=enc_text, seconds=round(elapsed, 1))
rows = []
for r in table2.itertuples():
    rows.append(ResultRow(table="table2", model="Fusion", variant=r.variant, subset=r.subset,
                          metric=r.metric, value=r.mean, std=r.std, n_seeds=r.n_seeds,
                          encoder_image=IMAGE_ENCODER if r.variant == "cross" else "",
                          notes=f"lr {TABLE2_LR:g}; d_model {D_MODEL}; layers {N_LAYER}; split seed {SPLIT_SEED}",
                          **common))
for r in table3.itertuples():
    rows.append(ResultRow(table="table3", model="Fusion", variant=f"lr={r.lr:g}", subset=r.subset,
                          metric=r.metric, value=r.mean, std=r.std, n_seeds=r.n_seeds,
                          encoder_image=IMAGE_ENCODER, notes=f"cross-modal; d_model {D_MODEL}", **common))
rows.append(ResultRow(table="table2", model="Fusion", variant="cross-vs-single", subset="test",
                      metric="paired_t_pvalue", value=pooled_p, n_seeds=len(SEEDS),
                      encoder_image=IMAGE_ENCODER,
                      notes="one-sample t-test of the seed-averaged per-rating squared-error difference",
                      **common))
path = write_rows(rows, ctx.results_dir)
print(f"{len(rows)} rows -> {path}; notebook time {elapsed / 60:.1f} min")
"""),
]

# ----------------------------------------------------------------------------------------- 21
MU = [
    md("""
# Mu & Wu's multi-modal model, as Xia et al. re-implemented it (Table 2)

> "For multi-modal method, we replicate the algorithm proposed by Mu et al. [3], which use
> convolution neural network to embed the poster information and use dense layer to embed other
> information such as users' age, ZIP code movies' genre and so on. ... we divide the test into two
> different situations: single modal and cross modal, where single modal's input exclude poster and
> cross modal's input include poster." (Xia et al., section 4.2)

Xia et al. report Mu's model at 1.137 / 1.004 (single-modal, train / test) and 1.020 / 0.992
(cross-modal) on ML-100K. Mu & Wu's own paper reports RMSE 0.9908 on ML-100K at learning rate
0.001. The replica below is trained on the same 90/5/5 split as the fusion model.
"""),
    code("""
PROFILE = "paper"            # paper | quick (synthetic data, tiny model, seconds)
DATASET = "ml-100k"          # ml-100k | ml-1m (ML-1M needs ratings.dat in the data home)
DATA_HOME = None             # None: $MMREC_DATA (paper) or a generated synthetic home (quick)
RESULTS_DIR = None           # None: results/ (paper) or results/quick/ (quick)
SEEDS = [0, 1, 2]            # model seeds (the split seed is fixed: SPLIT_SEED)
SPLIT_SEED = 0               # seed of Xia's 90/5/5 split
EPOCHS = 5                   # maximum epochs per run (early stopping on validation RMSE)
PATIENCE = 1                 # epochs without improvement before stopping
LEARNING_RATES = [1e-3]      # Mu & Wu's learning rate; the first is used for Table 2
BATCH_SIZE = 1024            # ratings per step (posters of a batch go through the CNN once each)
POSTER_SIZE = 32             # poster pixels (square), decoded once and cached
""", tags=["parameters"]),
    code("""
import mmrec_core.notebook as nb
ctx = nb.start(PROFILE, DATASET, DATA_HOME, RESULTS_DIR)
"""),
    code("""
%matplotlib inline
import inspect
import time

import numpy as np
import pandas as pd
import torch
from IPython.display import Code, display
from scipy import stats

from mmrec_core.data import load_content, load_movielens, xia_split
from mmrec_core.evaluate import paired_squared_error_test
from mmrec_core.models import plots
from mmrec_core.models.experiment import run_seed, summarise
from mmrec_core.models.inputs import RatingEncoder
from mmrec_core.models.mu import Mu, MuConfig, build_mu
from mmrec_core.models.poster_pixels import load_poster_pixels
from mmrec_core.results import ResultRow, write_rows
from mmrec_core.train import TrainConfig, resolve_device

if ctx.quick:
    SEEDS, EPOCHS, POSTER_SIZE, BATCH_SIZE = SEEDS[:2], 2, 16, 256
LR = LEARNING_RATES[0]
T0 = time.perf_counter()
print(f"profile={ctx.profile} dataset={DATASET} device={resolve_device('auto')} threads={torch.get_num_threads()}")
"""),
    md("""
## Data and posters

The same split as the fusion page. Posters are decoded once to small RGB arrays (greyscale posters
converted, a PNG saved as `.jpg` decoded by its real format); a movie without a decodable poster is
masked and counted.
"""),
    code("""
ds = load_movielens(DATASET, ctx.data_home)
content = load_content(ds)
split = xia_split(ds.ratings, SPLIT_SEED)
pixels = load_poster_pixels(content, POSTER_SIZE)
print(ds); print(split); print(pixels)
encoder = RatingEncoder().fit(split.train, ds.users, ds.items, ds.genres)
encoder.add_table("pixels", "pixels", f"pixels-{POSTER_SIZE}", pixels.item_ids, pixels.pixels, pixels.mask)
data = {name: encoder.transform(frame) for name, frame in split.parts().items()}
print(encoder)
"""),
    md("""
## Model

`mmrec_core/models/mu.py`; its docstring lists every assumption (the original paper's details are
sparse and Xia et al. give only one sentence).
"""),
    code("""
display(Code(inspect.getsource(Mu.forward), language="python"))
display(Code(inspect.getsource(Mu.poster_features), language="python"))
model = build_mu(MuConfig(use_poster=True), encoder)
print(model)
print(f"{sum(p.numel() for p in model.parameters()):,} trainable parameters (cross-modal)")
del model
"""),
    md("""
## Training

The shared loop (`mmrec_core/train.py`), mean squared error, early stopping on validation RMSE.
"""),
    code("""
IDENTITY = {"dataset": DATASET, "split": split.name, "split_seed": SPLIT_SEED, "n_ratings": len(ds.ratings),
            "synthetic": ds.synthetic, "poster_size": POSTER_SIZE, "profile": ctx.profile}

def train_mu(variant, lr, seed):
    cfg = MuConfig(use_poster=variant == "cross")
    tcfg = TrainConfig(lr=lr, epochs=EPOCHS, batch_size=BATCH_SIZE, patience=PATIENCE, seed=seed,
                       device="auto", progress=True)
    return run_seed(f"mu-{DATASET}-{variant}-lr{lr:g}", lambda: build_mu(cfg, encoder), encoder, data,
                    tcfg, identity={**IDENTITY, "model": cfg.to_dict()})

runs = {}
for variant in ("single", "cross"):
    for seed in SEEDS:
        out = train_mu(variant, LR, seed)
        runs[(variant, seed)] = out
        print(f"{variant} seed {seed}: test RMSE {out.metrics['test']['rmse']:.4f} "
              f"(best epoch {out.best_epoch}, {out.seconds:.0f}s{', reused' if out.reused else ''})")
fig = plots.loss_curves({f"{v} s{s}": runs[(v, s)].history for v in ("single", "cross") for s in SEEDS},
                        "rmse", f"Mu replica on {DATASET}: RMSE per epoch (lr {LR:g})")
plots.save(fig, ctx.results_dir, f"mu_curves_{DATASET}")
"""),
    md("""
## Evaluation: Table 2 (Mu rows)
"""),
    code("""
PAPER = {("single", "train"): 1.137, ("single", "test"): 1.004, ("cross", "train"): 1.020, ("cross", "test"): 0.992}
table = []
for variant in ("single", "cross"):
    summ = summarise([runs[(variant, s)] for s in SEEDS])
    for subset in ("train", "val", "test"):
        m, s, n = summ[subset]["rmse"]
        table.append({"model": "Mu", "variant": variant, "subset": subset, "mean": m, "std": s, "n_seeds": n,
                      "paper": PAPER.get((variant, subset), np.nan) if DATASET == "ml-100k" else np.nan})
table = pd.DataFrame(table)
table.round(4)
"""),
    code("""
y_test = data["test"]["rating"].numpy()
paired = pd.DataFrame([{"seed": s, **paired_squared_error_test(
    y_test, runs[("cross", s)].predictions["test/predict"], runs[("single", s)].predictions["test/predict"], seed=s)}
    for s in SEEDS])
d = np.mean([(runs[("cross", s)].predictions["test/predict"] - y_test) ** 2
             - (runs[("single", s)].predictions["test/predict"] - y_test) ** 2 for s in SEEDS], axis=0)
pooled_p = float(stats.ttest_1samp(d, 0.0).pvalue)
print(f"cross vs single, pooled over seeds: mean squared-error difference {d.mean():+.4f}, p = {pooled_p:.3g}")
paired.round(4)
"""),
    md("""
## Paper against ours
"""),
    code("""
cmp = table[table.subset.isin(["train", "test"])].copy()
cmp["label"] = "Mu " + cmp.variant + " " + cmp.subset
display(cmp[["label", "paper", "mean", "std", "n_seeds"]].round(4).reset_index(drop=True))
if cmp.paper.notna().any():
    fig = plots.paper_vs_ours(cmp.rename(columns={"mean": "ours"}), title=f"Mu replica ({DATASET}): Xia's Table 2 vs ours")
    plots.save(fig, ctx.results_dir, f"mu_paper_vs_ours_{DATASET}")
"""),
    md("""
## Record
"""),
    code("""
elapsed = time.perf_counter() - T0
common = dict(paper="xia", table="table2", dataset=DATASET, split=split.name, model="Mu",
              profile=ctx.profile, seconds=round(elapsed, 1))
rows = [ResultRow(variant=r.variant, subset=r.subset, metric="rmse", value=r.mean, std=r.std,
                  n_seeds=r.n_seeds, encoder_image=f"pixels-{POSTER_SIZE} CNN (end to end)" if r.variant == "cross" else "",
                  notes=f"lr {LR:g}; regression (MSE); split seed {SPLIT_SEED}", **common)
        for r in table.itertuples()]
rows.append(ResultRow(variant="cross-vs-single", subset="test", metric="paired_t_pvalue", value=pooled_p,
                      n_seeds=len(SEEDS), encoder_image=f"pixels-{POSTER_SIZE} CNN (end to end)",
                      notes="one-sample t-test of the seed-averaged per-rating squared-error difference", **common))
path = write_rows(rows, ctx.results_dir)
print(f"{len(rows)} rows -> {path}; notebook time {elapsed / 60:.1f} min")
"""),
]

if __name__ == "__main__":
    write("20_xia_fusion.ipynb", FUSION)
    write("21_mu.ipynb", MU)
    print("wrote", HERE / "20_xia_fusion.ipynb", HERE / "21_mu.ipynb")
