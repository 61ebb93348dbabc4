"""Ours (not a replica): biased matrix factorisation whose movie factors are read from content.

An attempt to make multimodal content *win* on Xia's split, kept apart from the replicas. The
replicas feed content to a network that must also learn the interaction structure; here the
interaction structure is Koren's biased MF, the strongest cheap model of this book's baselines
(Surprise's SVD, SVD++), and content only *corrects* it::

    r_ui = mu + b_u + b_i + c_i . w_b  +  (p_u + A x_u) . (q_i + B c_i)

- ``p_u, q_i, b_u, b_i``: user/movie factors and biases (Koren, Bell & Volinsky 2009, eq. 4);
- ``c_i``: the movie's content vector: the text vectors (title and plot, MiniLM here), the poster
  vector (EfficientNet-Lite0 here) and the genre flags, each through its own linear map, plus a
  learned "missing" vector where a modality is masked; ``B c_i`` moves the movie's factor towards
  movies with similar content, and ``c_i . w_b`` its bias (what a rarely rated movie needs most);
- ``x_u``: the user's attributes (age group, gender, occupation), embedded (``use_user_attributes``).

A movie with few ratings has a weak ``q_i`` and ``b_i`` (the L2 penalty pulls them to 0), so its
prediction falls back to what its content says; a well-rated movie is dominated by its own
factors. Setting every ``use_*`` off gives plain biased MF: the ablation baseline on the same code.

Training: MSE plus ``l2 * (|p_u|^2 + |q_i|^2 + b_u^2 + b_i^2)`` per rating (Koren's regularised
error), and weight decay ``content_l2`` on the content maps; Adam; early stopping on validation
RMSE (``mmrec_core.train``). Predictions clamped to [1, 5].

The text and poster maps are of low rank (``content_rank``): a full-rank map from a 384-d or
1280-d vector into the 65 factor-and-bias coordinates has 25,000-83,000 weights per modality for
1,682 movies and overfits within a few epochs (trials below).

Selection trials (real ML-100K, Xia's split seed 0, model seed 0, lr 1e-3, batch 1024, patience 5,
1 thread; run cache in /tmp, nothing in results/). Chosen by **validation** RMSE (the
test numbers those runs printed played no part and are not listed): validation RMSE (best epoch)

- plain biased MF (every ``use_*`` off), l2 0.05: 0.906 (22); l2 0.03: 0.908 (16);
- all content, full rank, content_l2 1e-3: 0.916 (4); 0.05: 0.908 (12); 0.5:
  0.903 (21); 2.0: 0.909 (24); 128 factors: 0.919 (4);
- genres only, content_l2 0.01: 0.901 (22); 0.05: 0.897 (22); 0.2: 0.900 (22);
- user attributes only, 0.05: 0.902 (25); genres + attributes, 0.05: 0.892 (22);
  0.1: 0.894 (26);
- genres + text, full rank, 0.5: 0.905 (21); genres + poster, full rank, 0.5: 0.907;
- all content, rank 4, 0.05: 0.888 (19); rank 4, 0.2: 0.894 (22);
  **rank 8, 0.05: 0.888 (18)**, the default.
"""
from __future__ import annotations

from dataclasses import asdict, dataclass

import torch
import torch.nn as nn

from .layers import RatingRegressor
from .tsem_parts import MaskedProjection


@dataclass
class HybridMFConfig:
    factors: int = 64
    l2: float = 0.05                  # per-rating L2 on the id factors and biases
    content_l2: float = 0.05          # per-rating L2 on the content part of the factor and bias
    use_text: bool = True             # title and plot vectors (every text_* table)
    use_poster: bool = True           # the poster vector (table "image")
    use_genres: bool = True
    use_user_attributes: bool = True  # age group, gender, occupation
    content_rank: int = 8             # >0: text/poster maps of rank r (content -> r -> factors + 1); 0: full rank
    init_std: float = 0.01

    def to_dict(self) -> dict:
        return asdict(self)


class HybridMF(RatingRegressor):
    """``forward(batch) -> (rating (B,), MSE + L2)``; ``predict`` clamps to [1, 5]."""

    USER_ATTRIBUTES = ("age", "gender", "occupation")

    def __init__(self, cfg: HybridMFConfig, cardinalities: dict, global_mean: float, genre_table, tables: dict):
        super().__init__()
        self.cfg = cfg
        k = cfg.factors
        self.p = nn.Embedding(cardinalities["user"], k)
        self.q = nn.Embedding(cardinalities["item"], k)
        self.b_u = nn.Embedding(cardinalities["user"], 1)
        self.b_i = nn.Embedding(cardinalities["item"], 1)
        for emb in (self.p, self.q):
            nn.init.normal_(emb.weight, std=cfg.init_std)
        for emb in (self.b_u, self.b_i):
            nn.init.zeros_(emb.weight)
        self.register_buffer("mu", torch.tensor(float(global_mean)))
        # content -> (factor correction, bias correction); each modality its own map
        r = cfg.content_rank or k + 1
        self.content = nn.ModuleDict({key: MaskedProjection(t, r) for key, t in tables.items()})
        for proj in self.content.values():
            if cfg.content_rank:                   # low rank: content -> r -> factors + 1, all linear
                proj.proj = nn.Sequential(proj.proj[0], nn.Linear(r, k + 1))
                nn.init.zeros_(proj.proj[1].weight)
                nn.init.zeros_(proj.proj[1].bias)
            else:
                proj.proj = proj.proj[0]           # linear, no ReLU: a correction can be negative
                nn.init.zeros_(proj.proj.weight)
                nn.init.zeros_(proj.proj.bias)
            proj.missing, proj.out_dim = nn.Parameter(torch.zeros(k + 1)), k + 1
        self.genre = None
        if cfg.use_genres:
            self.register_buffer("genres", torch.as_tensor(genre_table, dtype=torch.float32), persistent=False)
            self.genre = nn.Linear(self.genres.shape[1], k + 1)
            nn.init.zeros_(self.genre.weight)
            nn.init.zeros_(self.genre.bias)
        self.attributes = None
        if cfg.use_user_attributes:
            self.attributes = nn.ModuleDict({n: nn.Embedding(cardinalities[n], k) for n in self.USER_ATTRIBUTES})
            for emb in self.attributes.values():
                nn.init.zeros_(emb.weight)

    def content_correction(self, rows):
        """(B, factors + 1): the content part of the movie factor (first ``factors``) and bias (last)."""
        parts = [proj(rows) for proj in self.content.values()]
        if self.genre is not None:
            parts.append(self.genre(self.genres[rows]))
        if not parts:
            return None
        return torch.stack(parts).sum(0)

    def forward(self, batch):
        u, i, rows = batch["user"], batch["item"], batch["item_row"]
        p, q = self.p(u), self.q(i)
        bu, bi = self.b_u(u).squeeze(-1), self.b_i(i).squeeze(-1)
        user, item, bias = p, q, bu + bi
        extra = self.content_correction(rows)
        if extra is not None:
            item = item + extra[:, :-1]
            bias = bias + extra[:, -1]
        attr = None
        if self.attributes is not None:
            attr = torch.stack([self.attributes[n](batch[n]) for n in self.USER_ATTRIBUTES]).sum(0)
            user = user + attr
        out = self.mu + bias + (user * item).sum(-1)
        if "rating" not in batch:
            return out, None
        loss = self.mse_loss(out, batch)
        if self.training:
            loss = loss + self.cfg.l2 * ((p ** 2).sum(-1) + (q ** 2).sum(-1) + bu ** 2 + bi ** 2).mean()
            if extra is not None and self.cfg.content_l2:
                loss = loss + self.cfg.content_l2 * (extra ** 2).sum(-1).mean()
            if attr is not None and self.cfg.content_l2:
                loss = loss + self.cfg.content_l2 * (attr ** 2).sum(-1).mean()
        return out, loss


def content_keys(cfg: HybridMFConfig, encoder) -> list[str]:
    keys = sorted(k for k in encoder.content if k.startswith("text")) if cfg.use_text else []
    return keys + (["image"] if cfg.use_poster and "image" in encoder.content else [])


def build_hybrid_mf(cfg: HybridMFConfig, encoder) -> HybridMF:
    tables = {k: encoder.content[k] for k in content_keys(cfg, encoder)}
    return HybridMF(cfg, encoder.cardinalities, encoder.train_mean, encoder.genre_table, tables)


def ablation_variants(base: HybridMFConfig) -> dict:
    """The page's five variants of ``base``: which inputs are on (everything else equal).

    ``mf`` none (plain biased MF); ``structured`` genres and user attributes; ``+text`` and
    ``+poster`` one modality more; ``hybrid`` all of them.
    """
    from dataclasses import replace

    off = dict(use_text=False, use_poster=False, use_genres=False, use_user_attributes=False)
    structured = dict(off, use_genres=True, use_user_attributes=True)
    return {"mf": replace(base, **off), "structured": replace(base, **structured),
            "+text": replace(base, **dict(structured, use_text=True)),
            "+poster": replace(base, **dict(structured, use_poster=True)),
            "hybrid": replace(base, use_text=True, use_poster=True, use_genres=True, use_user_attributes=True)}
