"""Xia et al.'s multi-modal Transformer feature fusion (arXiv 2407.09157, section 3).

Paper, section 3.5: "we first reconstruct different feature vectors into a unified feature
sequence, and input each feature vector into transformer as a Token. We add special tokens before
and after the sequence: [CLS] and [SEP] ... S = [V_CLS, V_1, V_2, ..., V_10, V_SEP]", fixed
sinusoidal positions (eqs. 4-6), a Transformer encoder (eqs. 7-12), h_CLS = H[0] (eq. 13) and
y = SoftMax(W h_CLS + b) over the ratings (eq. 14). Section 3.4: structured features get "one-hot
encoding ... and then the low dimensional vectors are up-sampled by the dense layer until their
dimension reaches 768 ... the ReLU function is applied as activation function".

The ten tokens V1..V10 used here (the paper names the inputs, not their order):

    V1 user id   V2 age group   V3 gender   V4 occupation   V5 ZIP prefix      (user, section 3.1)
    V6 movie id  V7 genres      V8 title    V9 plot         V10 poster        (movie)

The paper's movie text is "title and introduction". When two text tables are given (title, then
plot: ``text_title``, ``text_plot``) they fill V8 and V9; when one ("title+plot" in a single vector) is given, V9 is the release
decade instead, so the sequence still has ten feature tokens. Single-modal = the poster token is
absent (eleven tokens); cross-modal = present (twelve).

Missing content (a movie without poster or plot): its token is dropped from attention with a
key-padding mask, so no other token, and hence not [CLS], can read it; it is never a fake zero
vector. [CLS] and [SEP] are always present, so no attention row is empty.

Deviations from the paper (each also listed in the notebook):

- Encoders: BERT-base [CLS] (768-d) and ViT-B/16 [CLS] (768-d) cannot be loaded here; the paper
  profile uses all-MiniLM-L6-v2 (384-d) and EfficientNet-Lite0 (1280-d pooled) features, projected
  to the model width by a learned linear layer (the paper's own vectors are already 768-d). The
  encoders are frozen (features extracted once), as the paper's pipeline also implies.
- Depth/heads/feed-forward width are not given in the paper. Defaults: one pre-norm encoder layer
  (``norm_first``), 12 heads, feed-forward 3072 (BERT-base's ratio), dropout 0.1 - chosen so the
  768-wide model trains on a 2-core CPU within the project's budget.
- The last encoder layer computes only the [CLS] query (``cls_only_last``): keys and values still
  come from all tokens, so h_CLS is exactly what a full layer would output (the other rows of H are
  not used by eq. 13). This saves most of the last layer's cost and changes no number.
- "One-hot then dense" is implemented as an embedding lookup (mathematically the same product),
  of width ``embed_dim``, then dense ReLU layers growing by ``upsample_factor`` up to the width.
  Genres are multi-hot (a movie has several) into a linear layer, then the same up-sampling.
- Vocabularies come from the training ratings only; unseen categories map to a learned "unknown".
- The rating is read from the softmax two ways: expected rating sum_k p_k k (what RMSE rewards)
  and arg-max class (what a classifier outputs); both RMSEs are reported.

Speed options (off by default, so the recorded runs keep their numbers; each changes the random
stream or the rounding, not the model): ``dropout_rng="words16"`` draws dropout masks as four
16-bit lanes of one 64-bit random word (same keep probability, a quarter of the RNG calls), and
``bf16_tokens=True`` keeps the token sequence in bfloat16 under autocast (the [CLS]/[SEP]
parameters and positions are cast, so stacking, positions and dropout move half the bytes).
``benchmarks/bench_fusion_train.py`` measures both.
"""
from __future__ import annotations

import math
from dataclasses import asdict, dataclass

import numpy as np
import torch
import torch.nn as nn
import torch.nn.functional as F

RATINGS = (1.0, 2.0, 3.0, 4.0, 5.0)
USER_TOKENS = ("user", "age", "gender", "occupation", "zip")


@dataclass
class FusionConfig:
    d_model: int = 768          # token width; the paper's BERT/ViT width
    n_layer: int = 1            # encoder layers (not given in the paper)
    n_head: int = 12            # attention heads (BERT-base's count)
    d_ff: int = 3072            # feed-forward width (4 x d_model as in BERT)
    dropout: float = 0.1        # attention/residual/head dropout
    embed_dim: int = 16         # low-dimensional code of each structured feature
    upsample_factor: int = 4    # each dense ReLU step multiplies the width by this, up to d_model
    n_classes: int = 5          # ratings 1..5 (eq. 14)
    use_poster: bool = True     # cross-modal (True) or single-modal (False)
    cls_only_last: bool = True  # last layer computes the [CLS] query only (same h_CLS, less work)
    dropout_rng: str = "torch"  # "torch" (one float draw per element) | "words16" (4 masks per 64-bit word)
    bf16_tokens: bool = False   # keep the token sequence in bfloat16 under autocast (speed option)

    def __post_init__(self):
        if self.dropout_rng not in DROPOUT_RNGS:
            raise ValueError(f"dropout_rng must be one of {DROPOUT_RNGS}, got {self.dropout_rng!r}")

    def to_dict(self) -> dict:
        return asdict(self)


DROPOUT_RNGS = ("torch", "words16")


def words16_keep_mask(shape, p: float, device=None) -> torch.Tensor:
    """A boolean keep mask with P(keep) = 1 - p (to 1/65536), from 16-bit lanes of 64-bit random words."""
    n = math.prod(shape)
    words = torch.empty((n + 3) // 4, dtype=torch.int64, device=device).random_(-2 ** 63, None)
    lanes = words.view(torch.int16)[:n].view(shape)                  # uniform on [-32768, 32767]
    return lanes >= (round(p * 65536) - 32768)


class Words16Dropout(nn.Module):
    """Inverted dropout like ``nn.Dropout``, with masks from :func:`words16_keep_mask`."""

    def __init__(self, p: float):
        super().__init__()
        self.p = float(p)

    def forward(self, x):
        if not self.training or self.p == 0.0:
            return x
        keep = words16_keep_mask(x.shape, self.p, x.device)
        return torch.where(keep, x * (1.0 / (1.0 - self.p)), 0.0).to(x.dtype)


def make_dropout(cfg) -> nn.Module:
    """The dropout module ``cfg.dropout_rng`` names (``nn.Dropout`` or :class:`Words16Dropout`)."""
    return Words16Dropout(cfg.dropout) if cfg.dropout_rng == "words16" else nn.Dropout(cfg.dropout)


def sinusoidal_position_encoding(n_pos: int, d: int) -> torch.Tensor:
    """Eqs. 4-5: P[pos, 2i] = sin(pos / 10000^(2i/d)), P[pos, 2i+1] = cos(pos / 10000^(2i/d))."""
    pos = torch.arange(n_pos, dtype=torch.float64)[:, None]            # (n_pos, 1)
    two_i = torch.arange(0, d, 2, dtype=torch.float64)[None, :]        # (1, d/2): the values 2i
    angle = pos / torch.pow(10000.0, two_i / d)                        # (n_pos, d/2)
    pe = torch.zeros(n_pos, d, dtype=torch.float64)
    pe[:, 0::2] = torch.sin(angle)
    pe[:, 1::2] = torch.cos(angle[:, : d // 2])
    return pe.float()


def upsample_widths(start: int, d: int, factor: int) -> list[int]:
    """Widths of the step-by-step dense up-sampling: start, start*f, start*f^2, ..., d."""
    widths = [start]
    while widths[-1] * factor < d:
        widths.append(widths[-1] * factor)
    widths.append(d)
    return widths


class UpSampler(nn.Module):
    """Dense ReLU layers from a low-dimensional code to the model width (section 3.4)."""

    def __init__(self, in_dim: int, d: int, factor: int):
        super().__init__()
        w = upsample_widths(in_dim, d, factor)
        layers = []
        for a, b in zip(w[:-1], w[1:]):
            layers += [nn.Linear(a, b), nn.ReLU()]
        self.net = nn.Sequential(*layers[:-1])  # no ReLU on the token itself

    def forward(self, x):  # (B, in_dim) -> (B, d)
        return self.net(x)


class SelfAttention(nn.Module):
    """Multi-head self-attention (eqs. 7-11) with a key-padding mask; SDPA kernel."""

    def __init__(self, cfg: FusionConfig):
        super().__init__()
        assert cfg.d_model % cfg.n_head == 0
        self.n_head = cfg.n_head
        self.q = nn.Linear(cfg.d_model, cfg.d_model)
        self.kv = nn.Linear(cfg.d_model, 2 * cfg.d_model)
        self.proj = nn.Linear(cfg.d_model, cfg.d_model)
        self.dropout = cfg.dropout
        self.prob_drop = make_dropout(cfg)     # on the [CLS] query's attention weights

    def forward(self, x, keep, cls_only: bool = False):
        # x: (B, T, d); keep: (B, T) bool, True where a token may be attended to
        B, T, d = x.shape
        h = self.n_head
        if cls_only:
            return self._cls_attention(x, keep)
        xq = x
        q = self.q(xq).view(B, xq.shape[1], h, d // h).transpose(1, 2)      # (B, h, Tq, d/h)
        k, v = self.kv(x).split(d, dim=2)
        k = k.view(B, T, h, d // h).transpose(1, 2)                          # (B, h, T, d/h)
        v = v.view(B, T, h, d // h).transpose(1, 2)
        mask = keep[:, None, None, :]                                        # (B, 1, 1, T)
        y = F.scaled_dot_product_attention(q, k, v, attn_mask=mask,
                                           dropout_p=self.dropout if self.training else 0.0)
        y = y.transpose(1, 2).reshape(B, xq.shape[1], d)
        return self.proj(y)

    def _cls_attention(self, x, keep):
        """Attention of the [CLS] query alone over all tokens (the last layer's only needed output).

        Same equations as the SDPA path with one query; written as broadcast products because
        SDPA's CPU kernels copy and transpose K and V into per-head layouts, which cost more than
        the products themselves at one query (benchmarks/bench_fusion_train.py).
        """
        B, T, d = x.shape
        h, dh = self.n_head, d // self.n_head
        q = self.q(x[:, 0]).view(B, 1, h, dh)                               # (B, 1, h, dh)
        k, v = self.kv(x).view(B, T, 2, h, dh).unbind(2)                     # (B, T, h, dh) each
        scores = (k * q).sum(-1) * dh ** -0.5                                # (B, T, h), eq. 8
        scores = scores.float().masked_fill(~keep[:, :, None], float("-inf"))
        probs = self.prob_drop(scores.softmax(dim=1))                        # eq. 9
        y = (probs.to(v.dtype)[..., None] * v).sum(1)                       # (B, h, dh), eq. 10
        return self.proj(y.reshape(B, 1, d))


class EncoderLayer(nn.Module):
    """Pre-norm Transformer encoder layer (as ``nn.TransformerEncoderLayer(norm_first=True)``)."""

    def __init__(self, cfg: FusionConfig):
        super().__init__()
        self.ln1 = nn.LayerNorm(cfg.d_model)
        self.attn = SelfAttention(cfg)
        self.ln2 = nn.LayerNorm(cfg.d_model)
        self.ff = nn.Sequential(nn.Linear(cfg.d_model, cfg.d_ff), nn.GELU(),
                                nn.Linear(cfg.d_ff, cfg.d_model))
        self.drop = make_dropout(cfg)

    def forward(self, x, keep, cls_only: bool = False):
        res = x[:, :1] if cls_only else x
        x = res + self.drop(self.attn(self.ln1(x), keep, cls_only))
        return x + self.drop(self.ff(self.ln2(x)))


class FusionTransformer(nn.Module):
    """``[CLS] V1..V10 [SEP]`` -> Transformer encoder -> softmax over the five ratings.

    Built from a fitted :class:`~mmrec_core.inputs.RatingEncoder`: its cardinalities size
    the embeddings and its content tables (``text*`` and ``image`` keys) become frozen buffers.
    ``forward(batch) -> (logits (B, 5), loss)``; ``predict(batch) -> expected rating (B,)``.
    """

    def __init__(self, cfg: FusionConfig, cardinalities: dict, genre_table: np.ndarray,
                 content: dict):
        super().__init__()
        self.cfg = cfg
        d = cfg.d_model
        self.embed = nn.ModuleDict({n: nn.Embedding(cardinalities[n], cfg.embed_dim)
                                    for n in (*USER_TOKENS, "item")})
        self.up = nn.ModuleDict({n: UpSampler(cfg.embed_dim, d, cfg.upsample_factor)
                                 for n in (*USER_TOKENS, "item")})
        self.register_buffer("genre_table", torch.as_tensor(genre_table, dtype=torch.float32),
                             persistent=False)
        self.genre_in = nn.Linear(genre_table.shape[1], cfg.embed_dim)
        self.genre_up = UpSampler(cfg.embed_dim, d, cfg.upsample_factor)
        # content tokens: text tables (sorted by key), then the poster
        self.text_keys = [k for k in content if k.startswith("text")]  # insertion order: V8, V9
        if not 1 <= len(self.text_keys) <= 2:
            raise ValueError(f"FusionTransformer needs one or two text tables, got {list(content)}")
        if cfg.use_poster and "image" not in content:
            raise ValueError("cross-modal FusionTransformer (use_poster=True) needs an 'image' table")
        self.content_keys = self.text_keys + (["image"] if cfg.use_poster else [])
        self.proj = nn.ModuleDict()
        for k in self.content_keys:
            table = content[k]
            self.register_buffer(f"{k}_values", torch.as_tensor(table.values, dtype=torch.float32),
                                 persistent=False)
            self.register_buffer(f"{k}_mask", torch.as_tensor(table.mask), persistent=False)
            self.proj[k] = nn.Linear(table.dim, d)
        self.use_year = len(self.text_keys) == 1
        if self.use_year:
            self.embed["year"] = nn.Embedding(cardinalities["year"], cfg.embed_dim)
            self.up["year"] = UpSampler(cfg.embed_dim, d, cfg.upsample_factor)
        self.token_names = (["[CLS]", *USER_TOKENS, "item", "genres"] + self.text_keys[:1]
                            + (["year"] if self.use_year else self.text_keys[1:])
                            + (["image"] if cfg.use_poster else []) + ["[SEP]"])
        self.n_tokens = len(self.token_names)
        self.cls = nn.Parameter(torch.randn(d) * 0.02)
        self.sep = nn.Parameter(torch.randn(d) * 0.02)
        self.register_buffer("pos", sinusoidal_position_encoding(self.n_tokens, d), persistent=False)
        self.drop = make_dropout(cfg)
        self.layers = nn.ModuleList([EncoderLayer(cfg) for _ in range(cfg.n_layer)])
        self.ln_f = nn.LayerNorm(d)
        self.head = nn.Linear(d, cfg.n_classes)
        self.register_buffer("ratings", torch.tensor(RATINGS[: cfg.n_classes]), persistent=False)

    # ------------------------------------------------------------------------------------ tokens
    def tokens(self, batch) -> tuple[torch.Tensor, torch.Tensor]:
        """The position-encoded sequence (B, T, d) (eq. 6) and its keep mask (B, T)."""
        row = batch["item_row"]
        B = row.shape[0]
        toks, keep = [], []
        ones = torch.ones(B, dtype=torch.bool, device=row.device)
        low = self.cfg.bf16_tokens and torch.is_autocast_enabled(row.device.type)
        cast = (lambda t: t.to(torch.bfloat16)) if low else (lambda t: t)
        toks.append(cast(self.cls).expand(B, -1)); keep.append(ones)
        for n in (*USER_TOKENS, "item"):
            toks.append(self.up[n](self.embed[n](batch[n]))); keep.append(ones)
        toks.append(self.genre_up(self.genre_in(self.genre_table[row]))); keep.append(ones)
        content = {}
        for k in self.content_keys:
            content[k] = (self.proj[k](getattr(self, f"{k}_values")[row]),
                          getattr(self, f"{k}_mask")[row])
        toks.append(content[self.text_keys[0]][0]); keep.append(content[self.text_keys[0]][1])
        if self.use_year:
            toks.append(self.up["year"](self.embed["year"](batch["year"]))); keep.append(ones)
        else:
            toks.append(content[self.text_keys[1]][0]); keep.append(content[self.text_keys[1]][1])
        if self.cfg.use_poster:
            toks.append(content["image"][0]); keep.append(content["image"][1])
        toks.append(cast(self.sep).expand(B, -1)); keep.append(ones)
        x = torch.stack(toks, dim=1)                                  # (B, T, d)
        x = x + self.pos.to(x.dtype)                                  # eq. 6
        return x, torch.stack(keep, dim=1)                            # (B, T, d), (B, T)

    def forward(self, batch):
        x, keep = self.tokens(batch)
        x = self.drop(x)
        for j, layer in enumerate(self.layers):
            last = j == len(self.layers) - 1
            x = layer(x, keep, cls_only=last and self.cfg.cls_only_last)
        h_cls = self.ln_f(x[:, 0])                                    # eq. 13, (B, d)
        logits = self.head(h_cls)                                     # eq. 14 before softmax
        loss = None
        if "rating" in batch:
            target = (batch["rating"].round().long() - 1).clamp(0, self.cfg.n_classes - 1)
            loss = F.cross_entropy(logits.float(), target)
        return logits, loss

    # ------------------------------------------------------------------------------- predictions
    def output_to_rating(self, logits):
        """Expected rating under the softmax: sum_k p_k r_k."""
        return logits.float().softmax(-1) @ self.ratings

    @torch.no_grad()
    def predict_proba(self, batch):
        return self(batch)[0].float().softmax(-1)

    @torch.no_grad()
    def predict(self, batch):
        return self.output_to_rating(self(batch)[0])

    @torch.no_grad()
    def predict_argmax(self, batch):
        return self.ratings[self(batch)[0].argmax(-1)]

    # -------------------------------------------------------------------------------- accounting
    def flops_per_rating(self, train: bool = True) -> float:
        """Matmul FLOPs per rating (2 per multiply-add; x3 for forward+backward when ``train``).

        Exact count of the dense layers and attention matmuls; embeddings, norms and softmaxes
        (a few percent) are left out, as in the usual ``6 * params * tokens`` estimates.
        """
        cfg, d, T = self.cfg, self.cfg.d_model, self.n_tokens
        macs = 0
        for n in (*USER_TOKENS, "item") + (("year",) if self.use_year else ()):
            macs += sum(m.in_features * m.out_features for m in self.up[n].modules()
                        if isinstance(m, nn.Linear))
        macs += self.genre_in.in_features * self.genre_in.out_features
        macs += sum(m.in_features * m.out_features for m in self.genre_up.modules()
                    if isinstance(m, nn.Linear))
        macs += sum(self.proj[k].in_features * d for k in self.content_keys)
        for j in range(cfg.n_layer):
            tq = 1 if (j == cfg.n_layer - 1 and cfg.cls_only_last) else T
            macs += T * 2 * d * d                # K, V projections of every token
            macs += tq * d * d * 2               # Q projection and output projection
            macs += 2 * tq * T * d               # scores and weighted values
            macs += tq * 2 * d * cfg.d_ff        # feed-forward
        macs += d * cfg.n_classes
        return 2.0 * macs * (3 if train else 1)

    def summary(self):
        """A table of the token sequence and the parameter count per part (the architecture)."""
        import pandas as pd

        def n(mod):
            return sum(p.numel() for p in mod.parameters())

        rows = []
        for pos, name in enumerate(self.token_names):
            if name in ("[CLS]", "[SEP]"):
                how, p = "learned vector", self.cfg.d_model
            elif name == "genres":
                how = f"multi-hot {self.genre_in.in_features} -> " + " -> ".join(
                    map(str, upsample_widths(self.cfg.embed_dim, self.cfg.d_model, self.cfg.upsample_factor)))
                p = n(self.genre_in) + n(self.genre_up)
            elif name in self.proj:
                how = f"frozen {getattr(self, f'{name}_values').shape[1]}-d feature -> linear {self.cfg.d_model}; missing -> masked"
                p = n(self.proj[name])
            else:
                how = f"embedding {self.embed[name].num_embeddings} x {self.cfg.embed_dim} -> " + " -> ".join(
                    map(str, upsample_widths(self.cfg.embed_dim, self.cfg.d_model, self.cfg.upsample_factor)[1:]))
                p = n(self.embed[name]) + n(self.up[name])
            rows.append({"position": pos, "token": name, "encoding": how, "parameters": p})
        rows.append({"position": "", "token": "encoder",
                     "encoding": f"{self.cfg.n_layer} pre-norm layer(s), {self.cfg.n_head} heads, "
                                 f"d={self.cfg.d_model}, ff={self.cfg.d_ff}, sinusoidal positions",
                     "parameters": n(self.layers) + n(self.ln_f)})
        rows.append({"position": "", "token": "head", "encoding": f"[CLS] -> linear -> softmax over {self.cfg.n_classes} ratings",
                     "parameters": n(self.head)})
        return pd.DataFrame(rows)


def build_fusion(cfg: FusionConfig, encoder) -> FusionTransformer:
    """A model sized by a fitted ``RatingEncoder`` (its text and image tables become buffers)."""
    return FusionTransformer(cfg, encoder.cardinalities, encoder.genre_table, encoder.content)


def content_keys(cfg: FusionConfig, encoder) -> list[str]:
    """The encoder's content tables this configuration reads (for the registry's result rows)."""
    text = [k for k in encoder.content if k.startswith("text")]
    return text + (["image"] if cfg.use_poster and "image" in encoder.content else [])
