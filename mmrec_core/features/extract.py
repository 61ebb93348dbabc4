"""Item features from posters and plot texts: batched, cached, masked.

``get_item_features(dataset, content, "text" | "image", encoder)`` is what models call. It returns
an :class:`~mmrec_core.features.modality.ItemModality` in ``dataset.items`` order whose mask is
False where a movie has no such content or its poster file cannot be decoded (counted in
``info["n_corrupt"]``, listed in ``info["corrupt_item_ids"]``: never a silent zero vector).

``info`` also records the encoder identity (``encoder``, ``weights_id``, ``preprocessing``,
``precision``), ``n_missing`` (movies without the content at all; ``ItemModality.n_missing`` also
counts the corrupt ones), ``n_computed`` (distinct contents encoded in this call: two movies with
the same text are encoded once) and ``n_cached`` (movies served from the cache), ``seconds`` and
``items_per_s`` of the computed part, and for texts the count per ``text_sources``.
"""
from __future__ import annotations

import time
import warnings
from pathlib import Path

import numpy as np
import pandas as pd

from ..progress import progress_bar
from .cache import FeatureStore, content_hash
from .encoders import Encoder, get_spec, load_encoder
from .images import PosterDecodeError, decode_poster
from .modality import ItemModality

TEXT_FIELDS = ("title", "plot", "title+plot")
# CPU batch sizes from benchmarks/bench_encoders.py on 2 cores (results/summary.csv, table bench):
# small batches win there (MiniLM-L6: 8 -> 109 items/s vs 64 -> 72; EfficientNet-Lite0: 4 -> 79 vs
# 32 -> 31), as activations of larger ones fall out of cache. Vectors do not depend on the batch size.
DEFAULT_BATCH = {("text", "cpu"): 8, ("image", "cpu"): 4, ("text", "cuda"): 256, ("image", "cuda"): 128}


def item_texts(dataset, content: pd.DataFrame, text_field: str = "title+plot") -> pd.Series:
    """The raw text per movie (``dataset.items`` order, index item_id); None where absent.

    ``title`` is always present; ``plot`` and ``title+plot`` need a plot text (a movie without one
    is missing, not reduced to its title, so text coverage means the same as ``has_text``).
    """
    if text_field not in TEXT_FIELDS:
        raise ValueError(f"text_field must be one of {TEXT_FIELDS}, got {text_field!r}")
    items = dataset.items[["item_id", "title"]].merge(
        content[["item_id", "text"]], on="item_id", how="left")
    out = []
    for title, plot in zip(items.title, items.text):
        has_plot = isinstance(plot, str) and plot.strip() != ""
        if text_field == "title":
            out.append(str(title))
        elif not has_plot:
            out.append(None)
        elif text_field == "plot":
            out.append(plot.strip())
        else:
            out.append(f"{title}. {plot.strip()}")
    return pd.Series(out, index=items.item_id.to_numpy(), dtype=object)


def item_posters(dataset, content: pd.DataFrame) -> pd.Series:
    """Poster path per movie (``dataset.items`` order, index item_id); None where absent."""
    items = dataset.items[["item_id"]].merge(content[["item_id", "poster_path"]], on="item_id", how="left")
    return pd.Series([p if isinstance(p, str) and p else None for p in items.poster_path],
                     index=items.item_id.to_numpy(), dtype=object)


def _progress(total: int, desc: str, enabled: bool):
    return progress_bar(total=total, desc=desc, enabled=enabled, unit="item", leave=False)


def get_item_features(dataset, content: pd.DataFrame | None, modality: str, encoder: str | Encoder,
                      text_field: str = "title+plot", device: str = "auto", batch_size: int | None = None,
                      cache_dir: str | Path | None = None, progress: bool = True, *,
                      weights: str | Path | None = None, seed: int = 0, precision: str = "fp32",
                      preprocess: dict | None = None, chunk_size: int = 256) -> ItemModality:
    """Features of every movie of ``dataset`` for one modality, from the cache where possible.

    dataset:    a loaded :class:`~mmrec_core.data.MovieLens`; rows follow ``dataset.items``.
    content:    :func:`~mmrec_core.data.load_content` of it (loaded here when None).
    modality:   ``"text"`` or ``"image"``.
    encoder:    a registry name (``"minilm-l6"``, ``"efficientnet-lite0"``, ``"tiny-bert"`` ...) or
                an already loaded :class:`Encoder`.
    text_field: ``"title"``, ``"plot"`` or ``"title+plot"`` (text only).
    weights, seed, precision, preprocess: passed to :func:`load_encoder` when ``encoder`` is a name.
    chunk_size: items per cache write (the unit of resumption after an interruption).
    """
    t0 = time.perf_counter()
    if modality not in ("text", "image"):
        raise ValueError(f"modality must be 'text' or 'image', got {modality!r}")
    if isinstance(encoder, str):
        spec = get_spec(encoder)
        if spec.modality != modality:
            raise ValueError(f"encoder {encoder!r} encodes {spec.modality}, not {modality}")
        encoder = load_encoder(encoder, weights=weights, device=device, seed=seed, precision=precision,
                               **(preprocess or {}))
    elif encoder.spec.modality != modality:
        raise ValueError(f"encoder {encoder.name!r} encodes {encoder.spec.modality}, not {modality}")
    if content is None:
        from ..data.content import load_content

        content = load_content(dataset)
    dev = encoder.device.split(":")[0]
    batch_size = batch_size or DEFAULT_BATCH[(modality, "cuda" if dev == "cuda" else "cpu")]
    identity = encoder.identity()
    store = FeatureStore(identity, cache_dir)

    # 1. the exact input of every movie and its content hash
    item_ids = dataset.items.item_id.to_numpy()
    n = len(item_ids)
    hashes: list[str | None] = [None] * n
    raw = item_texts(dataset, content, text_field) if modality == "text" else item_posters(dataset, content)
    prepared: dict[int, str] = {}               # row -> prepared text (text modality)
    unreadable: set[int] = set()                 # rows whose poster file cannot even be read
    for row, value in enumerate(raw.to_numpy()):
        if value is None:
            continue
        if modality == "text":
            prepared[row] = encoder.prepare_text(value)
            hashes[row] = content_hash(prepared[row])
        else:
            try:
                hashes[row] = content_hash(Path(value).read_bytes())
            except OSError:
                unreadable.add(row)
    # 2. what the cache already has
    cached = store.load()
    cached_before = {h for h in hashes if h is not None and h in cached}
    todo_rows: dict[str, int] = {}                       # content hash -> first row needing it
    for row, h in enumerate(hashes):
        if h is not None and h not in cached and h not in todo_rows:
            todo_rows[h] = row
    # 3. compute the rest, chunk by chunk, each chunk persisted before the next starts
    corrupt_rows: set[int] = set(unreadable)
    corrupt_hashes: set[str] = set()
    n_computed, compute_seconds = 0, 0.0
    todo = list(todo_rows.items())
    bar = _progress(len(todo), f"{encoder.name} ({modality})", progress)
    for start in range(0, len(todo), chunk_size):
        chunk = todo[start:start + chunk_size]
        keys, inputs = [], []
        for h, row in chunk:
            if modality == "text":
                keys.append(h)
                inputs.append(prepared[row])
            else:
                try:
                    img = decode_poster(raw.iloc[row])
                except PosterDecodeError:
                    corrupt_hashes.add(h)
                    continue
                keys.append(h)
                inputs.append(encoder.prepare_image(img))
        t1 = time.perf_counter()
        block = encoder.forward_batched(inputs, batch_size, on_batch=bar.update)
        compute_seconds += time.perf_counter() - t1
        bar.update(len(chunk) - len(inputs))
        if len(keys):
            store.append(keys, block)
            cached.update(zip(keys, block))
            n_computed += len(keys)
    bar.close()
    if n_computed and len(store.parts()) > 8:
        store.compact()
    # 4. assemble in dataset.items order
    dim = encoder.dim
    feats = np.zeros((n, dim), dtype=np.float32)
    mask = np.zeros(n, dtype=bool)
    for row, h in enumerate(hashes):
        if h is None:
            continue
        if h in corrupt_hashes:
            corrupt_rows.add(row)
            continue
        vec = cached.get(h)
        if vec is None:   # cannot happen unless the cache changed under us
            raise RuntimeError(f"feature cache {store.folder}: vector for item {item_ids[row]} vanished")
        feats[row], mask[row] = vec, True
    n_content = int(sum(h is not None for h in hashes)) + len(unreadable)
    corrupt_ids = sorted(int(item_ids[r]) for r in corrupt_rows)
    if corrupt_ids:
        warnings.warn(f"{len(corrupt_ids)} poster file(s) could not be decoded and are masked "
                      f"(item ids {corrupt_ids[:10]}{'...' if len(corrupt_ids) > 10 else ''})", stacklevel=2)
    info = {
        **identity,
        "modality": modality,
        "text_field": text_field if modality == "text" else None,
        "dataset": dataset.name,
        "synthetic": bool(getattr(dataset, "synthetic", False)),
        "n_items": n,
        "n_with_content": n_content,
        "n_missing": int(n - n_content),
        "n_corrupt": len(corrupt_ids),
        "corrupt_item_ids": corrupt_ids,
        "n_computed": n_computed,
        "n_cached": int(sum(1 for r, h in enumerate(hashes) if mask[r] and h in cached_before)),
        "seconds": round(time.perf_counter() - t0, 3),
        "compute_seconds": round(compute_seconds, 3),
        "items_per_s": round(n_computed / compute_seconds, 2) if compute_seconds > 0 else None,
        "device": encoder.device,
        "batch_size": batch_size,
        "cache_folder": str(store.folder),
    }
    if modality == "text":
        src = content.set_index("item_id").reindex(item_ids).text_source
        info["text_sources"] = {str(k): int(v) for k, v in src[mask].value_counts().items()}
    return ItemModality(name=modality, encoder=encoder.name, item_ids=item_ids, features=feats,
                        mask=mask, info=info)
