"""Inputs shared by every run of a page: :func:`prepare` loads, splits and encodes a dataset."""
from __future__ import annotations

import copy
import hashlib
from dataclasses import dataclass, field, replace

import numpy as np
import pandas as pd

from ..ledger import TrainingLedger


@dataclass
class Experiment:
    """Inputs shared by every run of a page: tensors per subset, the encoder that made them, ids."""

    dataset: object                 # MovieLens (from load_movielens)
    split: object                   # Split (train/val/test frames, name, seed)
    encoder: object                 # fitted RatingEncoder with its content tables
    data: dict                      # subset -> dict of tensors (the trainer's batch format)
    identity: dict                  # dataset, split, split seed, ratings, synthetic, profile
    # the runs trained or loaded for this page (its NotebookContext's ledger; written by ctx.record)
    ledger: TrainingLedger = field(default_factory=TrainingLedger, repr=False, compare=False)

    def data_hash(self, content_keys=()) -> str:
        """Hash of the tensors of every subset and of the content tables ``content_keys``."""
        h = hashlib.sha256()
        for subset in sorted(self.data):
            for name in sorted(self.data[subset]):
                t = self.data[subset][name]
                h.update(f"{subset}/{name}/{tuple(t.shape)}/{t.dtype}".encode())
                h.update(t.contiguous().numpy().tobytes())
        h.update(np.ascontiguousarray(self.encoder.genre_table).tobytes())
        for key in sorted(content_keys):
            table = self.encoder.content[key]
            h.update(f"{key}/{table.encoder}".encode())
            h.update(np.ascontiguousarray(table.values).tobytes())
            h.update(np.ascontiguousarray(table.mask).tobytes())
        return h.hexdigest()[:16]

    def __repr__(self) -> str:
        sizes = ", ".join(f"{k}={len(v['rating']):,}" for k, v in self.data.items())
        return f"Experiment({self.identity['dataset']}, {self.identity['split']}, {sizes}; {self.encoder!r})"


def prepare(ctx, *, split_seed: int = 0, text_encoder: str | None = None,
            text_fields: tuple[str, ...] = ("title", "plot"), image_encoder: str | None = None,
            poster_size: int | None = None, device: str = "auto", split_fractions: tuple | None = None,
            min_user_ratings: int = 0, text_preprocess: dict | None = None,
            canonical_fold: str | None = None, val_fraction: float = 0.05) -> Experiment:
    """Load ``ctx.dataset``, split it and attach content tables.

    ctx: the page's :class:`~mmrec_core.notebook.NotebookContext` (or a
    :class:`~mmrec_core.notebook.DataContext` in scripts and tests): its dataset, data home, profile
    and training ledger.

    split_fractions: None: Xia's 90/5/5 split (``xia-90-5-5``); (train, val, test) fractions: a
                     seeded random split named by them (``random-80-10-10``).
    canonical_fold: ``u1``..``u5`` (also ``ua``, ``ub``): the ML-100K fold files instead of a random
                    split; the fold's ``.test`` is the test part, untouched, and a seeded
                    ``val_fraction`` of its ``.base`` (seed ``split_seed``) is the validation part
                    (:func:`mmrec_core.data.canonical_split`, named ``u1-val5``).
    min_user_ratings: keep only users with at least this many ratings (before the split).
    text_encoder:  registry name; one table ``text_<field>`` per entry of ``text_fields``.
    text_preprocess: encoder preprocessing options (``max_length``, ``remove_stop_words``, ...).
    image_encoder: registry name; table ``image`` (frozen poster features).
    poster_size:   decode posters to ``size x size`` uint8 pixels; table ``pixels`` (end-to-end CNNs).
    Missing content (no poster, no plot) is masked in every table, never filled in.
    Tag-genome releases (``ml-20m``, ``ml-25m``) carry their genome scores (``dataset.genome``) and
    have no posters or plot texts here.
    """
    from ..data import canonical_split, load_canonical_split, load_content, load_movielens, xia_split
    from ..data.splits import random_split
    from ..inputs import RatingEncoder

    genome_release = ctx.dataset in ("ml-20m", "ml-25m")
    if genome_release:
        from ..data.genome import load_genome_movielens, load_genome_scores

        if text_encoder or image_encoder or poster_size:
            raise ValueError(f"{ctx.dataset}: this project has no plot texts or posters for the tag-genome "
                             "releases; run it with text_encoder=None, image_encoder=None, poster_size=None")
        ds = load_genome_movielens(ctx.dataset, ctx.data_home)
        ds.genome = load_genome_scores(ctx.dataset, ctx.data_home)
    else:
        ds = load_movielens(ctx.dataset, ctx.data_home)
    if min_user_ratings:
        counts = ds.ratings.user_id.value_counts()
        keep = ds.ratings.user_id.isin(counts.index[counts >= min_user_ratings])
        if not keep.any():
            raise ValueError(f"no user of {ds.name} has {min_user_ratings} ratings (the most is "
                             f"{int(counts.max())}); lower MIN_USER_RATINGS")
        genome = getattr(ds, "genome", None)
        ds = replace(ds, ratings=ds.ratings[keep].reset_index(drop=True))
        ds.genome = genome
    content = None if genome_release else load_content(ds)
    if canonical_fold is not None:
        if split_fractions is not None or min_user_ratings:
            raise ValueError(f"canonical fold {canonical_fold!r}: the fold files fix the split; "
                             "leave split_fractions=None and min_user_ratings=0")
        base, test = load_canonical_split(ds, canonical_fold)
        split = canonical_split(base, test, canonical_fold, split_seed, val_fraction)
    elif split_fractions is None:
        split = xia_split(ds.ratings, split_seed)
    else:
        split = random_split(ds.ratings, split_seed, tuple(float(f) for f in split_fractions))
    encoder = RatingEncoder().fit(split.train, ds.users, ds.items, ds.genres)
    if text_encoder:
        from ..features import get_item_features

        for text_field in text_fields:
            encoder.add_modality(f"text_{text_field}", get_item_features(
                ds, content, "text", text_encoder, text_field=text_field, device=device,
                preprocess=text_preprocess))
    if image_encoder:
        from ..features import get_item_features

        encoder.add_modality("image", get_item_features(ds, content, "image", image_encoder, device=device))
    if poster_size:
        from ..features.pixels import load_poster_pixels

        px = load_poster_pixels(content, poster_size)
        encoder.add_table("pixels", "pixels", f"pixels-{poster_size}", px.item_ids, px.pixels, px.mask)
    data = {name: encoder.transform(frame) for name, frame in split.parts().items()}
    identity = {"dataset": ds.name, "split": split.name, "split_seed": split_seed,
                "n_ratings": len(ds.ratings), "synthetic": bool(ds.synthetic), "profile": ctx.profile}
    if min_user_ratings:
        identity["min_user_ratings"] = int(min_user_ratings)
    if text_encoder and text_preprocess:
        identity["text_preprocess"] = dict(sorted(text_preprocess.items()))
    return Experiment(ds, split, encoder, data, identity, ledger=ctx.ledger)


def content_summary(exp) -> pd.DataFrame:
    """Per content table: encoder, width, movies covered and masked (what every model may read)."""
    rows = []
    n = len(exp.encoder.item_ids)
    for key, t in exp.encoder.content.items():
        covered = int(t.mask[1:].sum())
        rows.append({"table": key, "made by": t.encoder, "width": t.dim, "movies with it": covered,
                     "masked (missing)": n - covered})
    rows.append({"table": "genres", "made by": "dataset genre list", "width": exp.encoder.genre_table.shape[1],
                 "movies with it": n, "masked (missing)": 0})
    return pd.DataFrame(rows)


def withhold_content(experiment: Experiment, keys) -> Experiment:
    """A copy of ``experiment`` in which the content tables ``keys`` are withheld from every movie.

    Each withheld table keeps its shape but every row is masked and zeroed, so a model sees that
    modality as missing for all movies (the fusion model drops a masked token from attention:
    exactly as if the token were absent). The tensors of the ratings are shared, so the split and
    the test ratings are those of ``experiment``; the identity gains ``withheld`` (and the run key
    changes with the table's mask and encoder name, ``<encoder>-withheld``).
    """
    from ..inputs import ContentTable

    keys = sorted(set(keys))
    unknown = [k for k in keys if k not in experiment.encoder.content]
    if unknown:
        raise KeyError(f"cannot withhold {unknown}: the experiment's content tables are {sorted(experiment.encoder.content)}")
    if not keys:
        return experiment
    encoder = copy.copy(experiment.encoder)
    encoder.content = dict(encoder.content)
    for k in keys:
        t = encoder.content[k]
        encoder.content[k] = ContentTable(t.name, f"{t.encoder}-withheld", np.zeros_like(t.values),
                                          np.zeros_like(t.mask, dtype=bool))
    identity = {**experiment.identity, "withheld": keys}
    return Experiment(experiment.dataset, experiment.split, encoder, experiment.data, identity, ledger=experiment.ledger)



def build(model: str, config, experiment: Experiment):
    """A fresh (untrained) model of the registry sized by the experiment's encoder (for figures)."""
    from ..models import get_model

    return get_model(model).build_model(config, experiment.encoder)


def sanity_check(model: str, config, experiment: Experiment, n: int = 512, seed: int = 0) -> dict:
    """An untrained model's loss and mean prediction on ``n`` validation ratings (before training)."""
    import torch

    from ..models import get_model
    from ..train import seed_everything

    seed_everything(seed)
    net = get_model(model).build_model(config, experiment.encoder)
    net.eval()
    batch = {k: v[:n] for k, v in experiment.data["val"].items()}
    with torch.no_grad():
        output, loss = net(batch)
        pred = net.output_to_rating(output) if hasattr(net, "output_to_rating") else net.predict(batch)
    return {"untrained_loss": float(loss), "mean_prediction": float(pred.float().mean()),
            "n_parameters": int(sum(p.numel() for p in net.parameters())), "n_ratings": len(batch["rating"])}
