"""The CityU report's "MF_NN" (section 9, model (c)): a two-tower model after NCF (He et al. 2017).

What the report says: "It utilises a two tower model framework, with the first being a classical
matrix factorization. On the second block (item encoding), we included textual data such as Movie
description and cast members. For the cast member, we used one-hot encoding to embed them as an
input. For movie description, we used the pretrained Distill-bert-cased model's embedding. Then we
concatenated the two movie-inputs and fit a classifier model with Sigmoid activation function. This
serves as an analogy to movie genres. Lastly, the item block and user-item matrix are concatenated
and passed through a neural network for the rating output."

Architecture (``TsemMFNN``)::

    tower 1 (MF):   p_u (user embedding) * q_i (item embedding)            -> (factors,)
    tower 2 (item): [description vector -> linear -> ReLU ; cast multi-hot -> linear -> ReLU]
                    -> concat -> linear -> ReLU                             -> (item_dim,)
                    -> linear -> sigmoid: genre classifier (auxiliary BCE loss, "an analogy to genres")
    head:           concat(tower 1, tower 2) -> [linear -> ReLU] x len(hidden) -> linear -> rating

Deviations and assumptions:

- Tower 1 is NCF's generalised MF (the element-wise product p_u * q_i, a vector), so that "the item
  block and user-item matrix are concatenated"; the report does not say whether it is the product
  vector or the scalar dot product.
- The description vector comes from the encoder registry (``minilm-l6`` here, 384-d, mean-pooled;
  ``distilbert-base-cased`` where its weights load), computed once and frozen; the report's
  "pretrained embedding" does not say whether DistilBERT was fine-tuned. Text is the movie's plot
  one-liner (ML-100K: ``texts/ml100k_plots_best.tsv``), cleaned as the report says (stop words,
  punctuation, lemmas; 64 tokens).
- Cast: a multi-hot over the cast members credited in >= 2 movies of the IMDb details file (a
  one-hot per member of all 17,530 would be mostly members of one movie); movies without a record,
  or without a plot text, read a learned "missing" vector (masked, counted on the page).
- The genre classifier's loss is binary cross-entropy against the dataset's genre flags, weighted
  ``genre_weight`` (assumed 0.1) and added to the MSE; the reported loss (curves) is the MSE.
- The MF tower's factors carry a per-rating L2 penalty (``l2 = 0.005``); the report does not
  mention regularisation. MF's own value (0.05) collapsed the tower, through which alone the user
  enters, to zero (see the trials below).
- On a tag-genome release this project has no descriptions or cast, so the item tower reads the
  genome scores instead (``item_content="genome"``, ``text_key=""``, ``use_cast=False``).
- Sizes assumed: 64 factors, item tower 128, head 128-64, dropout 0.1; Adam; early stopping.

Selection on validation (``benchmarks/tune_tsem.py``, rows in ``results/records/tune_tsem.csv``):
real ML-100K as ``30_tsem`` prepares it, model seeds 0 and 1, lr 1e-3, batch 1024, patience 5. Each
candidate is scored by its validation RMSE at the best epoch (:func:`mmrec_core.tuning.select_on_validation`);
the test split is not looked at. Candidates: ``l2`` 0 (with dropout 0.1 or 0.3), 0.005, 0.01 and
0.05. The lowest validation RMSE is ``l2 = 0.005``, the default; without L2 the MF tower overfits
within three epochs, and MF's own 0.05 collapses it.
"""
from __future__ import annotations

from dataclasses import asdict, dataclass

import torch
import torch.nn as nn
import torch.nn.functional as F

from .layers import RatingRegressor
from .tsem_parts import MaskedProjection, item_content_table


@dataclass
class TsemMFNNConfig:
    factors: int = 64                 # MF tower width (assumed)
    item_dim: int = 128               # item tower width (assumed)
    hidden: tuple = (128, 64)         # rating head (assumed)
    dropout: float = 0.1
    genre_weight: float = 0.1         # weight of the auxiliary genre BCE (assumed)
    text_key: str = "text_plot"       # content table of the description vectors ("": none)
    use_cast: bool = True
    item_content: str = ""            # "" | genres | genome: also the movie content vector (tag-genome releases)
    l2: float = 0.005                 # per-rating L2 on the MF tower's factors (see the tuning trials)
    init_std: float = 0.01
    init_bias: float = 3.5

    def to_dict(self) -> dict:
        return asdict(self)


class TsemMFNN(RatingRegressor):
    """``forward(batch) -> (rating (B,), MSE + genre_weight * BCE)``; ``predict`` clamps to [1, 5]."""

    def __init__(self, cfg: TsemMFNNConfig, n_users: int, n_items: int, genre_table, text=None, cast=None,
                 content=None):
        super().__init__()
        self.cfg = cfg
        self.p = nn.Embedding(n_users, cfg.factors)
        self.q = nn.Embedding(n_items, cfg.factors)
        for emb in (self.p, self.q):
            nn.init.normal_(emb.weight, std=cfg.init_std)
        h = cfg.item_dim
        self.text = MaskedProjection(text, h) if cfg.text_key else None
        self.cast = MaskedProjection(cast, h) if cfg.use_cast else None
        self.content = None
        if content is not None:
            self.register_buffer("content_table", content, persistent=False)
            self.content = nn.Sequential(nn.Linear(content.shape[1], h), nn.ReLU())
        n_parts = sum(x is not None for x in (self.text, self.cast, self.content))
        if n_parts == 0:
            raise ValueError("MF_NN's item tower needs at least one input: text_key, use_cast or item_content")
        self.item = nn.Sequential(nn.Linear(h * n_parts, h), nn.ReLU(), nn.Dropout(cfg.dropout))
        self.register_buffer("genres", torch.as_tensor(genre_table, dtype=torch.float32), persistent=False)
        self.genre_head = nn.Linear(h, self.genres.shape[1])
        layers, width = [], cfg.factors + h
        for w in cfg.hidden:
            layers += [nn.Linear(width, w), nn.ReLU(), nn.Dropout(cfg.dropout)]
            width = w
        self.head = nn.Sequential(*layers, nn.Linear(width, 1))
        nn.init.constant_(self.head[-1].bias, cfg.init_bias)

    def item_tower(self, rows):
        parts = [self.text(rows)] if self.text is not None else []
        parts += [self.cast(rows)] if self.cast is not None else []
        parts += [self.content(self.content_table[rows])] if self.content is not None else []
        return self.item(torch.cat(parts, dim=-1))

    def forward(self, batch):
        rows = batch["item_row"]
        p, q = self.p(batch["user"]), self.q(batch["item"])
        mf = p * q                                                # tower 1: "a classical matrix factorization"
        item = self.item_tower(rows)                              # tower 2: description + cast
        out = self.head(torch.cat([mf, item], dim=-1)).squeeze(-1)  # "concatenated and passed through a neural network"
        if "rating" not in batch:
            return out, None
        loss = self.mse_loss(out, batch)
        if self.training and self.cfg.l2:
            loss = loss + self.cfg.l2 * ((p ** 2).sum(-1) + (q ** 2).sum(-1)).mean()
        if self.training and self.cfg.genre_weight:
            # "fit a classifier model with Sigmoid activation function ... an analogy to movie genres"
            logits = self.genre_head(item).float()
            loss = loss + self.cfg.genre_weight * F.binary_cross_entropy_with_logits(logits, self.genres[rows])
        return out, loss

    @torch.no_grad()
    def predict_genres(self, batch):
        """Sigmoid genre probabilities of each rating's movie (the auxiliary classifier)."""
        return torch.sigmoid(self.genre_head(self.item_tower(batch["item_row"])))


def build_tsem_mf_nn(cfg: TsemMFNNConfig, encoder) -> TsemMFNN:
    card = encoder.cardinalities
    if cfg.text_key and cfg.text_key not in encoder.content:
        raise ValueError(f"MF_NN reads the description vectors {cfg.text_key!r}; the experiment has "
                         f"{sorted(encoder.content)} (prepare it with a text encoder and text_fields=('plot',))")
    if cfg.use_cast and "cast" not in encoder.content:
        raise ValueError("MF_NN with use_cast=True needs the 'cast' table (tsem_inputs.add_tsem_inputs(cast=True))")
    content = item_content_table(encoder, cfg.item_content) if cfg.item_content else None
    return TsemMFNN(cfg, card["user"], card["item"], encoder.genre_table, encoder.content.get(cfg.text_key),
                    encoder.content.get("cast"), content)


def content_keys(cfg: TsemMFNNConfig, encoder) -> list[str]:
    keys = ([cfg.text_key] if cfg.text_key else []) + (["cast"] if cfg.use_cast else [])
    return keys + (["genome"] if cfg.item_content == "genome" else [])
