"""Replica of Siet et al. 2024 ("Enhancing Sequence Movie Recommendation System Using Deep Learning
and KMeans", Applied Sciences 14(6):2505), the "Siet's work" row of Xia et al.'s Table 2.

What the papers say:

> "we construct sequences of user behavior to effectively predict the potential next target movie of
> users. We then incorporate user information and movie sequence embeddings as input features to
> reduce the dimensionality, before feeding them into a transformer architecture and multilayer
> perceptron (MLP). Our model integrates a transformer layer with positional encoding for user
> behavior sequences and multi-head attention mechanisms to enhance prediction accuracy.
> Furthermore, the system applies KMeans clustering to movie genre embeddings, grouping similar
> movies and integrating this clustering information with predicted ratings to ensure diversity in
> the personalized recommendations for target users." (Siet et al., abstract)

> "we design an RSs model that utilizes user information (age, gender, occupation) to analyze new
> users" (Siet et al., abstract)

> "Siet et al. proposed a movie recommendation system, which used user behavior sequence and
> multi-head attention mechanism to analyze user preferences, embed user information and movie
> sequences to optimize data processing results, and finally use the K-means algorithm to improve
> the accuracy and diversity of recommendations" (Xia et al., section 2; Xia re-ran it, section 4.2)

The full text's hyperparameters could not be retrieved here (only the abstract, the section titles
and Xia's sentence). Where Siet is silent this file follows the public Keras "Behavior Sequence
Transformer" rating example (keras-io ``examples/structured_data/movielens_recommendations_
transformers.py``, K. Salama 2020), the design Siet's description matches:

> "Each movie in the movie sequence and the target movie is encoded `layers.Embedding`, where the
> dimension size is the square root of the number of movies." / "A multi-hot genres vector for each
> movie is concatenated with its embedding vector, and processed using a non-linear `layers.Dense`"
> / "A positional embedding is added to each movie embedding in the sequence, and then multiplied by
> its rating from the ratings sequence." / "The target movie embedding is concatenated to the
> sequence movie embeddings" (Keras example, ``encode_input_features``)

> ``MultiHeadAttention(num_heads=3, key_dim=<embedding size>, dropout=0.1)``; Add, LayerNorm,
> LeakyReLU, Dense, Dropout, Add, LayerNorm; Flatten; concatenate the user features; Dense 256 and
> 128 each with BatchNorm, LeakyReLU, Dropout 0.1; Dense(1); MSE loss. (Keras example, ``create_model``)

Architecture (``Siet``), shapes for a batch of B ratings and a window of W past ratings:

    movie(i)     = ReLU(Dense([item_emb(i) (d), genres(i) (G)]))                 -> (d,)
    history      = (movie(h_1..h_W) + pos_emb(1..W)) * rating(h_1..h_W)          -> (B, W, d)
    tokens       = [history, movie(target)]                                      -> (B, W+1, d)
    block        = x1 = LN(x + Drop(MHA(x, x)));  LN(x1 + Drop(Dense(LeakyReLU(x1))))
    features     = [flatten(block) ((W+1) d), emb(age), emb(gender), emb(occupation)]
    head         = Dense 256 - BN - LeakyReLU - Drop, Dense 128 - BN - LeakyReLU - Drop, Dense 1

History without leakage (:func:`add_history`): the history of a rating by user u at time t is u's
last W *training* ratings with a timestamp strictly before t (ratings of the same second are not
each other's history; within one earlier second the order is by item id). A validation or test
rating is never anyone's history, so its value reaches no input; the rank subset used for top-N
lists (:func:`candidate_frame`) takes each test user's last W training ratings (the state after
training) and every item the user has not rated in train or validation.

Assumptions and deviations (none is stated by Siet; Keras defaults unless noted):

- Window W = 4 past ratings plus the target token (5 tokens). The Keras example's sequences have
  4 movies *including* the target (3 past + 1); ours has 4 past movies, the count the page's
  ``WINDOW`` parameter sets. A user with fewer than W earlier training ratings gets zero-padded
  positions on the left (most recent rating always at position W); padded positions are masked
  out of attention as keys and zeroed after the block. The Keras example has no padding (it builds
  only full windows, and splits *windows* at random, so its test targets can be in other
  windows' histories); we keep one example per rating of Xia's split.
- Embedding widths: int(sqrt(vocabulary)) per feature as in the Keras example (movie 40 on
  ML-100K; age 2, gender 1, occupation 4); the item embedding of an unknown/padded movie is zero.
  Siet's user features are age, gender, occupation; the user id is off by default
  (``use_user_id``), as in the Keras example's run (``include_user_id = False``). ZIP and release
  year are not used.
- Attention: 3 heads of key size d each (Keras ``key_dim`` = embedding size, so q/k/v project d ->
  3d), a boolean key mask for padded positions; LeakyReLU slope 0.3, LayerNorm eps 1e-3, BatchNorm
  momentum 0.01 / eps 1e-3 (the Keras defaults).
- Precision: the page trains under bfloat16 autocast (the trainer's ``bf16``; weights, optimizer
  and loss stay float32) for speed on this CPU.
- Output: a regression, MSE loss (Keras); the last bias starts at 3.5 (near the mean rating) so the
  first steps do not spend themselves on the offset; predictions clamped to [1, 5].
- Optimiser: the shared trainer (AdamW, early stopping on validation RMSE, gradient clipping 1.0)
  instead of Keras' Adagrad(lr 0.01) for 5 fixed epochs.
- KMeans diversification (:mod:`mmrec_core.ranking`): KMeans over the movies' multi-hot genre
  vectors (the learned genre embeddings are not kept after a run), a cap of ceil(N / clusters)
  movies per cluster in a top-N list.
- Train RMSE is measured in eval mode at the best validation epoch (the shared run layer).

Real-data trials (ML-100K, Xia's split seed 0, CPU, 1 thread on a shared 2-core machine): see
:data:`TRIALS`. The page's defaults (lr 1e-3, batch 1024, patience 3, cap 40, bf16) stop every
seed by early stopping well below the cap; the per-seed runs are on notebooks/22_siet.ipynb.

Speed (training ratings/s, one optimizer step forward + backward, ``benchmarks/bench_siet.py``):
attention over 5 tokens is cheap in FLOPs but runs as thousands of tiny matmuls; on this CPU the
fused float32 kernel is about twice as slow as two plain matmuls under bfloat16 autocast, so the
bf16 path uses the latter (:func:`attention`). Dropout masks were the next cost (``bernoulli_``,
22% of a step); they are drawn from random bytes instead
(:class:`~mmrec_core.models.layers.ByteDropout`, rate 0.1 quantised to 26/256 = 0.1016), which
took training from about 42,000 to the rate in :data:`SPEED` on 2 idle cores.
"""
from __future__ import annotations

import math
from dataclasses import asdict, dataclass, replace

import numpy as np
import torch
import torch.nn as nn
import torch.nn.functional as F

from .layers import ByteDropout, RatingRegressor, byte_dropout

HISTORY_RULE = "train-only, timestamp strictly earlier, ties by item id"
RANK_RULE = "test users x items not rated in train or val; history = last train ratings"
FUTURE = np.int64(2 ** 32 - 1)   # query time of the rank subset: after every rating

# Settings tried on real data (ML-100K, split seed 0) before fixing the page's defaults.
SPEED = """
benchmarks/bench_siet.py on 2 idle cores (load average 0.7), batch 1024, bf16, 2 threads:
  nn.Dropout masks 41,800 training ratings/s; ByteDropout masks 53,800 training ratings/s.
"""

TRIALS = """
seed 0, lr 1e-3, batch 1024, patience 3, cap 40, bf16, window 4: best epoch 12, stopped at 15;
  val RMSE 0.9823, train RMSE (eval mode) 0.9180; 96 s
  (about 4.5 s per epoch under a load average of 4 on 2 cores).
  val RMSE per epoch: 1.083 1.042 1.007 0.996 1.002 0.992 0.993 0.989 0.994 0.990 0.987 0.982
  0.995 0.995 0.987 (noisy after epoch 6: patience 3, not 1).
speed, 1 thread, load ~3: fp32 fused attention 21k ratings/s (batch 1024-2048), bf16 with the
  two-matmul attention 33k ratings/s; 2 threads were slower under that load (oversubscribed).
"""


@dataclass
class SietConfig:
    window: int = 4                  # past ratings per example (must match add_history's window)
    item_dim: int | None = None      # movie embedding width; None: int(sqrt(item vocabulary))
    n_head: int = 3                  # attention heads, each of key size item_dim (Keras key_dim)
    hidden: tuple = (256, 128)       # MLP widths
    dropout: float = 0.1             # attention, block and MLP dropout
    use_genres: bool = True          # genres in the movie encoding (Keras include_movie_features)
    use_user_id: bool = False        # user id embedding beside age, gender, occupation
    leaky_slope: float = 0.3         # Keras LeakyReLU default

    def to_dict(self) -> dict:
        return asdict(self)


# ----------------------------------------------------------------------------------- history
def history_arrays(train_users, train_times, train_items, train_rows, train_ratings,
                   query_users, query_times, window: int):
    """Last ``window`` training ratings of each query's user strictly before the query's time.

    Returns ``(rows, ratings, mask)``, each (n_queries, window), right-aligned: column ``window-1``
    is the most recent earlier rating; missing positions have row 0, rating 0, mask False. Training
    ratings of one second are ordered by item id. Vectorised: one sort and two ``searchsorted``.
    """
    if window < 1:
        raise ValueError(f"window must be >= 1, got {window}")
    tu, tt = np.asarray(train_users, np.int64), np.asarray(train_times, np.int64)
    qu, qt = np.asarray(query_users, np.int64), np.asarray(query_times, np.int64)
    for name, t in (("train", tt), ("query", qt)):
        if t.size and (t.min() < 0 or t.max() > FUTURE):
            raise ValueError(f"{name} timestamps must lie in [0, 2**32 - 1]")
    order = np.lexsort((np.asarray(train_items, np.int64), tt, tu))
    key = (tu[order] << 32) | tt[order]
    rows_s = np.asarray(train_rows, np.int64)[order]
    rat_s = np.asarray(train_ratings, np.float32)[order]
    end = np.searchsorted(key, (qu << 32) | qt, side="left")   # first rating not strictly earlier
    start = np.searchsorted(key, qu << 32, side="left")          # the user's first training rating
    idx = end[:, None] - window + np.arange(window)[None, :]
    mask = idx >= start[:, None]
    safe = np.where(mask, idx, 0)
    rows = np.where(mask, rows_s[safe] if len(rows_s) else 0, 0)
    ratings = np.where(mask, rat_s[safe] if len(rat_s) else 0, 0).astype(np.float32)
    return rows.astype(np.int64), ratings, mask


def _history_tensors(train, frame, encoder, window, times=None) -> dict:
    rows, ratings, mask = history_arrays(
        train.user_id.to_numpy(), train.timestamp.to_numpy(), train.item_id.to_numpy(),
        encoder.item_rows(train.item_id.to_numpy()), train.rating.to_numpy(),
        frame.user_id.to_numpy(), frame.timestamp.to_numpy() if times is None else times, window)
    return {"hist_item_row": torch.from_numpy(rows), "hist_rating": torch.from_numpy(ratings),
            "hist_mask": torch.from_numpy(mask)}


def candidate_frame(split, item_ids) -> "pd.DataFrame":  # noqa: F821
    """(user_id, item_id) of every test user x every item they have not rated in train or val.

    Which users and items appear depends only on *which* ratings are held out, never on their
    values; ``rating`` is NaN (relevance is read from the test frame when lists are scored).
    """
    import pandas as pd

    users = np.unique(split.test.user_id.to_numpy())
    items = np.sort(np.asarray(item_ids, np.int64))
    seen_frame = pd.concat([split.train[["user_id", "item_id"]], split.val[["user_id", "item_id"]]])
    u = np.searchsorted(users, seen_frame.user_id.to_numpy())
    i = np.searchsorted(items, seen_frame.item_id.to_numpy())
    keep = (u < len(users)) & (i < len(items))
    keep &= (users[np.minimum(u, len(users) - 1)] == seen_frame.user_id.to_numpy())
    keep &= (items[np.minimum(i, len(items) - 1)] == seen_frame.item_id.to_numpy())
    seen = np.zeros((len(users), len(items)), bool)
    seen[u[keep], i[keep]] = True
    uu, ii = np.nonzero(~seen)
    return pd.DataFrame({"user_id": users[uu], "item_id": items[ii], "rating": np.float32(np.nan),
                         "timestamp": FUTURE})


def add_history(exp, window: int = 4, candidates: bool = True):
    """A new Experiment whose subsets carry ``hist_item_row``/``hist_rating``/``hist_mask``.

    ``candidates``: also a ``rank`` subset (:func:`candidate_frame`, with ``rank_user``, the raw
    user id) that every run predicts, for top-N lists. The identity records the window and rules.
    """
    train = exp.split.train
    data = {}
    for name, frame in exp.split.parts().items():
        data[name] = {**exp.data[name], **_history_tensors(train, frame, exp.encoder, window)}
    identity = {**exp.identity, "history_window": int(window), "history_rule": HISTORY_RULE}
    if candidates:
        cand = candidate_frame(exp.split, exp.encoder.item_ids)
        rank = exp.encoder.transform(cand)
        rank.update(_history_tensors(train, cand, exp.encoder, window))
        rank["rank_user"] = torch.from_numpy(cand.user_id.to_numpy(np.int64))
        data["rank"] = rank
        identity["rank_rule"] = RANK_RULE
    return replace(exp, data=data, identity=identity)


# ------------------------------------------------------------------------------------ model
def attention(q, k, v, mask, dropout_p: float = 0.0):
    """Softmax attention (B, h, T, d) with a boolean key mask (B, 1, 1, T) (True: attend).

    float32: torch's fused ``scaled_dot_product_attention``. bfloat16 (autocast): the same
    product written as two matmuls, which on CPU is about twice as fast as the fused kernel for
    these tiny sequences (T = 5; measured 17 ms against 42 ms forward + backward at B = 2048).
    """
    if q.dtype != torch.bfloat16:
        return F.scaled_dot_product_attention(q, k, v, attn_mask=mask, dropout_p=dropout_p)
    s = torch.matmul(q, k.transpose(-1, -2)) * (q.shape[-1] ** -0.5)
    p = s.masked_fill(~mask, float("-inf")).softmax(-1)
    return torch.matmul(byte_dropout(p, dropout_p, training=dropout_p > 0), v)


class Siet(RatingRegressor):
    """``forward(batch) -> (rating prediction (B,), MSE loss)``; ``predict`` clamps to [1, 5]."""

    USER = ("age", "gender", "occupation")

    def __init__(self, cfg: SietConfig, cardinalities: dict, genre_table: np.ndarray,
                 row_to_item: np.ndarray):
        super().__init__()
        self.cfg = cfg
        n_item = cardinalities["item"]
        d = cfg.item_dim or int(math.sqrt(n_item))
        self.d, self.w, self.h = d, cfg.window, cfg.n_head
        self.register_buffer("genre_table", torch.as_tensor(genre_table, dtype=torch.float32), persistent=False)
        self.register_buffer("row_to_item", torch.as_tensor(row_to_item, dtype=torch.long), persistent=False)
        self.item_emb = nn.Embedding(n_item, d, padding_idx=0)
        g = genre_table.shape[1] if cfg.use_genres else 0
        self.movie = nn.Sequential(nn.Linear(d + g, d), nn.ReLU())
        self.pos_emb = nn.Embedding(cfg.window, d)
        self.qkv = nn.Linear(d, 3 * cfg.n_head * d)
        self.attn_out = nn.Linear(cfg.n_head * d, d)
        self.ln1 = nn.LayerNorm(d, eps=1e-3)
        self.ff = nn.Linear(d, d)
        self.ln2 = nn.LayerNorm(d, eps=1e-3)
        self.drop = ByteDropout(cfg.dropout)
        users = self.USER + (("user",) if cfg.use_user_id else ())
        self.user_emb = nn.ModuleDict({n: nn.Embedding(cardinalities[n], max(1, int(math.sqrt(cardinalities[n]))))
                                       for n in users})
        width = (cfg.window + 1) * d + sum(e.embedding_dim for e in self.user_emb.values())
        layers = []
        for units in cfg.hidden:
            layers += [nn.Linear(width, units), nn.BatchNorm1d(units, eps=1e-3, momentum=0.01),
                       nn.LeakyReLU(cfg.leaky_slope), ByteDropout(cfg.dropout)]
            width = units
        layers.append(nn.Linear(width, 1))
        self.head = nn.Sequential(*layers)
        nn.init.constant_(self.head[-1].bias, 3.5)

    def encode_movie(self, rows):
        """Movie rows (any shape) -> (..., d): ReLU(Dense([id embedding, multi-hot genres]))."""
        parts = [self.item_emb(self.row_to_item[rows])]
        if self.cfg.use_genres:
            parts.append(self.genre_table[rows])
        return self.movie(torch.cat(parts, dim=-1))

    def tokens(self, batch):
        """(B, W+1, d) tokens and (B, W+1) key mask: rated history (+ positions) then the target."""
        hist = self.encode_movie(batch["hist_item_row"]) + self.pos_emb.weight         # (B, W, d)
        hist = hist * batch["hist_rating"].unsqueeze(-1).to(hist.dtype)
        target = self.encode_movie(batch["item_row"]).unsqueeze(1)                     # (B, 1, d)
        mask = torch.cat([batch["hist_mask"], torch.ones_like(batch["hist_mask"][:, :1])], dim=1)
        return torch.cat([hist, target], dim=1), mask

    def block(self, x, mask):
        """One Keras-style transformer block; padded tokens are keys nobody attends to."""
        B, T, d = x.shape
        q, k, v = self.qkv(x).view(B, T, 3, self.h, d).permute(2, 0, 3, 1, 4)           # (B, h, T, d)
        att = attention(q, k, v, mask[:, None, None, :], self.cfg.dropout if self.training else 0.0)
        att = self.attn_out(att.transpose(1, 2).reshape(B, T, self.h * d))
        x1 = self.ln1(x + self.drop(att))
        x2 = self.drop(self.ff(F.leaky_relu(x1, self.cfg.leaky_slope)))
        return self.ln2(x1 + x2) * mask.unsqueeze(-1).to(x.dtype)

    def forward(self, batch):
        if batch["hist_item_row"].shape[1] != self.w:
            raise ValueError(f"history width {batch['hist_item_row'].shape[1]} != config window {self.w}: "
                             "call add_history with the config's window")
        x, mask = self.tokens(batch)
        x = self.block(x, mask)
        feats = [x.flatten(1)] + [emb(batch[n]) for n, emb in self.user_emb.items()]
        out = self.head(torch.cat(feats, dim=-1)).squeeze(-1)
        loss = self.mse_loss(out, batch)
        return out, loss


def row_to_item(encoder) -> np.ndarray:
    """Item vocabulary index of every item-table row (row 0 and unseen items: 0)."""
    vocab = encoder.vocabs["item"]
    return np.concatenate([[0], [vocab.get(int(i), 0) for i in encoder.item_ids]]).astype(np.int64)


def build_siet(cfg: SietConfig, encoder) -> Siet:
    """A model sized by a fitted ``RatingEncoder``."""
    return Siet(cfg, encoder.cardinalities, encoder.genre_table, row_to_item(encoder))


def content_keys(cfg: SietConfig, encoder) -> list[str]:
    """Siet reads no content table (genres come with every encoder)."""
    return []
