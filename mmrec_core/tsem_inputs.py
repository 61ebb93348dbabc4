"""Inputs of the CityU report's four models (NN, MF, MF_NN, TSEM) on top of an :class:`Experiment`.

:func:`add_tsem_inputs` returns a new experiment whose subsets also carry

- ``user_genre_freq`` (B, G): the user's genre watch frequency, the report's "watch frequency dense
  matrix representing the watching frequency of each user across 20 different movie genres": for
  each genre, the share of the user's **training** ratings whose movie has that genre (a user
  without training ratings gets zeros). Validation and test ratings never enter it;
- a ``rank`` subset (every test user x every movie they have not rated in train or validation,
  rating NaN, with ``rank_user``), which every run scores, for HR@10 / NDCG@10;

and whose encoder also holds the per-item tables

- ``cast``: a multi-hot row over the cast members who appear in at least ``cast_min_movies`` movies
  of the IMDb details file (the report: "For the cast member, we used one-hot encoding"); a movie
  without an IMDb record is masked, never given an empty row that reads as "no famous actor";
- ``genome`` (tag-genome releases only): the 1,128 genome relevance scores per movie, masked where
  the release has none.

The identity records every rule, so a change of rule gives new runs.
"""
from __future__ import annotations

import json
from collections import Counter
from dataclasses import replace
from pathlib import Path

import numpy as np
import pandas as pd

IMDB_DETAILS = {"ml-100k": "texts/ml100k_imdb_details.json"}   # relative to the data home
FREQ_RULE = "share of the user's training ratings per genre (val/test excluded)"
CAST_RULE = "multi-hot of cast members in >= {k} movies of the IMDb details file; movies without a record masked"


def user_genre_frequency(train: pd.DataFrame, encoder) -> dict:
    """user id -> (G,) float32 share of the user's training ratings per genre."""
    rows = encoder.item_rows(train.item_id.to_numpy())
    genres = encoder.genre_table[rows]                      # row 0 (unknown movie) is all zeros
    frame = pd.DataFrame(genres, index=train.user_id.to_numpy())
    sums = frame.groupby(level=0).sum()
    counts = frame.groupby(level=0).size()
    freq = sums.div(counts, axis=0).astype(np.float32)
    return {int(u): freq.loc[u].to_numpy(np.float32) for u in freq.index}


def frequency_tensor(frame: pd.DataFrame, freq: dict, n_genres: int):
    import torch

    zero = np.zeros(n_genres, np.float32)
    out = np.stack([freq.get(int(u), zero) for u in frame.user_id.to_numpy()]) if len(frame) else (
        np.zeros((0, n_genres), np.float32))
    return torch.from_numpy(np.ascontiguousarray(out, dtype=np.float32))


def load_cast(dataset, home=None, min_movies: int = 2) -> tuple[np.ndarray, list[str], np.ndarray]:
    """``(item_ids, members, multi_hot)`` from the IMDb details file of ``dataset``.

    ``members`` are the cast members credited in at least ``min_movies`` movies (most credited
    first, then by name); ``multi_hot`` is (n_movies_with_record, n_members) float32.
    """
    from .data.errors import DataError, DataFileMissing
    from .paths import data_home

    rel = IMDB_DETAILS.get(dataset.name)
    if rel is None:
        raise DataError(f"no IMDb details (cast) file is known for {dataset.name}; cast is available "
                        f"for {sorted(IMDB_DETAILS)} (use CAST=False for other releases)")
    path = Path(data_home(home)) / rel
    if not path.exists():
        raise DataFileMissing(path, f"The IMDb details file (cast, director, description per "
                              f"{dataset.name} movie) is missing. Put ml100k_imdb_details.json into "
                              f"{path.parent} (see the data README), or leave the cast out "
                              f"(add_tsem_inputs(..., cast=False)).")
    try:
        records = json.loads(path.read_text(encoding="utf-8"))
    except (json.JSONDecodeError, UnicodeDecodeError) as exc:
        raise DataError(f"{path}: not a JSON list of movie records ({exc}); download it again") from exc
    if not isinstance(records, list) or not all(isinstance(r, dict) and "movie_id" in r for r in records):
        raise DataError(f"{path}: expected a JSON list of objects with 'movie_id' and 'cast'; download it again")
    casts = {int(r["movie_id"]): sorted(set(r.get("cast") or [])) for r in records}
    counts = Counter(m for c in casts.values() for m in c)
    members = sorted((m for m, n in counts.items() if n >= min_movies), key=lambda m: (-counts[m], m))
    col = {m: j for j, m in enumerate(members)}
    item_ids = np.array(sorted(casts), dtype=np.int64)
    table = np.zeros((len(item_ids), len(members)), np.float32)
    for r, item in enumerate(item_ids):
        for m in casts[int(item)]:
            if m in col:
                table[r, col[m]] = 1.0
    return item_ids, members, table


def add_tsem_inputs(exp, *, cast: bool = True, cast_min_movies: int = 2, rank: bool = True, home=None):
    """A new Experiment with the report's extra inputs (see the module docstring).

    ``home``: the data home holding the IMDb details file (default: the dataset's own data home).
    """
    import torch

    from .models.siet import candidate_frame

    enc = exp.encoder
    freq = user_genre_frequency(exp.split.train, enc)
    n_genres = enc.genre_table.shape[1]
    data = {name: {**exp.data[name], "user_genre_freq": frequency_tensor(frame, freq, n_genres)}
            for name, frame in exp.split.parts().items()}
    identity = {**exp.identity, "user_genre_freq": FREQ_RULE}
    if cast:
        item_ids, members, table = load_cast(exp.dataset, home or Path(exp.dataset.root).parent, cast_min_movies)
        enc.add_table("cast", "cast", f"imdb-cast-min{cast_min_movies}", item_ids, table,
                      np.ones(len(item_ids), bool))
        identity["cast"] = CAST_RULE.format(k=cast_min_movies)
        identity["cast_members"] = len(members)
    genome = getattr(exp.dataset, "genome", None)
    if genome is not None:
        values, mask = genome.align(enc.item_ids)
        enc.add_table("genome", "genome", "tag-genome", enc.item_ids, values, mask)
        identity["genome_tags"] = int(values.shape[1])
    if rank:
        cand = candidate_frame(exp.split, enc.item_ids)
        r = enc.transform(cand)
        r["user_genre_freq"] = frequency_tensor(cand, freq, n_genres)
        r["rank_user"] = torch.from_numpy(cand.user_id.to_numpy(np.int64))
        data["rank"] = r
        identity["rank_rule"] = "test users x movies not rated in train or val"
    return replace(exp, data=data, identity=identity)


def report_configs(exp, *, poster: str = "frozen", cnn_encoder: str = "mobilenet_v3_small") -> dict:
    """The four models' default configs fitted to what ``exp`` holds, plus TSEM without posters.

    Genome scores where the release has them (else the genre flags), the description branch when a
    ``text_plot`` table exists, the cast when a ``cast`` table exists, and the poster branch when
    its table exists (``image`` for ``poster="frozen"``, ``pixels`` for ``"finetune"``). MF_NN's item
    tower reads the movie content vector only where there is neither description nor cast.
    """
    from .models.tsem import TSEMConfig
    from .models.tsem_mf import TsemMFConfig
    from .models.tsem_mf_nn import TsemMFNNConfig
    from .models.tsem_nn import TsemNNConfig

    content = exp.encoder.content
    kind = "genome" if "genome" in content else "genres"
    text_key = "text_plot" if "text_plot" in content else ""
    has_poster = {"frozen": "image", "finetune": "pixels"}.get(poster) in content
    tsem = TSEMConfig(item_content=kind, text_key=text_key, poster=poster if has_poster else "none",
                      cnn_encoder=cnn_encoder)
    out = {"NN": TsemNNConfig(item_content=kind), "MF": TsemMFConfig(), "TSEM": tsem,
           "TSEM_NO_POSTER": TSEMConfig(**{**tsem.to_dict(), "poster": "none"})}
    use_cast = "cast" in content
    out["MF_NN"] = TsemMFNNConfig(text_key=text_key, use_cast=use_cast,
                                  item_content="" if (text_key or use_cast) else kind)
    return out
