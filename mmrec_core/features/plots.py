"""Figures of the features page; each function returns a ``matplotlib.figure.Figure``."""
from __future__ import annotations

import textwrap

import numpy as np
import pandas as pd

from .images import PosterDecodeError, decode_poster
from .modality import ItemModality
from .probe import nearest_items, primary_genre, project_2d


def _figure(*args, **kwargs):
    from matplotlib.figure import Figure

    return Figure(*args, **kwargs)


def _short(title: str, width: int = 18) -> str:
    return "\n".join(textwrap.wrap(str(title), width)[:2])


def _poster_axis(ax, path, title: str, subtitle: str = ""):
    ax.set_xticks([])
    ax.set_yticks([])
    try:
        ax.imshow(np.asarray(decode_poster(path)) if path else np.full((3, 2, 3), 230, np.uint8))
    except (PosterDecodeError, OSError):
        ax.imshow(np.full((3, 2, 3), 230, np.uint8))
        subtitle = (subtitle + " (undecodable)").strip()
    ax.set_title(_short(title) + (f"\n{subtitle}" if subtitle else ""), fontsize=7)


def plot_projection(modalities: list[ItemModality], dataset, method: str = "pca", seed: int = 0):
    """One panel per modality: 2-D projection of its vectors, movies coloured by genre."""
    genre = primary_genre(dataset)
    cats = [g for g in genre.value_counts().index]
    cmap = {g: c for g, c in zip(cats, _palette(len(cats)))}
    fig = _figure(figsize=(5.2 * len(modalities), 4.6), layout="constrained")
    axes = fig.subplots(1, len(modalities), squeeze=False)[0]
    for ax, mod in zip(axes, modalities):
        ids = mod.item_ids[mod.mask]
        xy = project_2d(mod.features[mod.mask], method, seed)
        g = genre.reindex(ids).fillna("other").to_numpy()
        for cat in cats:
            sel = g == cat
            if sel.any():
                ax.scatter(xy[sel, 0], xy[sel, 1], s=7, alpha=0.75, color=cmap[cat], label=cat)
        ax.set_title(f"{mod.name}: {mod.encoder} ({method.upper()}, {len(ids)} movies)", fontsize=9)
        ax.set_xticks([])
        ax.set_yticks([])
    axes[-1].legend(fontsize=7, markerscale=2, loc="center left", bbox_to_anchor=(1.0, 0.5), frameon=False)
    return fig


def _palette(n: int):
    from matplotlib import colormaps

    cmap = colormaps["tab20"]
    return [cmap(i % 20) for i in range(n)]


def plot_neighbours(modality: ItemModality, dataset, content: pd.DataFrame, query_ids: list[int],
                    k: int = 5):
    """A row per query movie: its poster, then its ``k`` nearest posters (cosine similarity)."""
    titles = dataset.items.set_index("item_id").title
    paths = content.set_index("item_id").poster_path
    rows = [q for q in query_ids if nearest_items(modality, q, k)]
    fig = _figure(figsize=(1.5 * (k + 1), 2.5 * max(len(rows), 1)), layout="constrained")
    if not rows:
        ax = fig.subplots()
        ax.axis("off")
        ax.text(0.5, 0.5, "none of the query movies has a poster in this dataset", ha="center")
        return fig
    axes = fig.subplots(len(rows), k + 1, squeeze=False)
    for r, q in enumerate(rows):
        _poster_axis(axes[r, 0], paths.get(q), titles.get(q, str(q)), "query")
        for c, (iid, sim) in enumerate(nearest_items(modality, q, k), start=1):
            _poster_axis(axes[r, c], paths.get(iid), titles.get(iid, str(iid)), f"cos {sim:.2f}")
    fig.suptitle(f"Nearest posters by {modality.encoder} features", fontsize=10)
    return fig


def plot_poster_gallery(dataset, content: pd.DataFrame, genres: list[str] | None = None,
                        per_genre: int = 6, seed: int = 0):
    """Posters of movies of a single genre each, one row per genre (cf. the report's Fig. 6.4)."""
    genres = genres or ["Animation", "Horror", "Sci-Fi", "Romance", "Western", "Documentary"]
    items = dataset.items.merge(content[["item_id", "poster_path"]], on="item_id")
    items = items[items.poster_path.notna()]
    rng = np.random.default_rng(seed)
    picks = {}
    for g in genres:
        only = items[items.genres.apply(lambda gs, g=g: g in gs and len(gs) == 1)]
        pool = only if len(only) >= per_genre else items[items.genres.apply(lambda gs, g=g: g in gs)]
        if len(pool):
            picks[g] = pool.iloc[rng.permutation(len(pool))[:per_genre]]
    fig = _figure(figsize=(1.4 * per_genre, 2.2 * max(len(picks), 1)), layout="constrained")
    if not picks:
        ax = fig.subplots()
        ax.axis("off")
        ax.text(0.5, 0.5, "no posters", ha="center")
        return fig
    axes = fig.subplots(len(picks), per_genre, squeeze=False)
    for r, (g, rows) in enumerate(picks.items()):
        for c in range(per_genre):
            ax = axes[r, c]
            if c < len(rows):
                row = rows.iloc[c]
                _poster_axis(ax, row.poster_path, row.title)
            else:
                ax.axis("off")
        axes[r, 0].set_ylabel(g, fontsize=9)
    return fig


def plot_probe(probe: pd.DataFrame):
    """Grouped bars: macro-F1 and mAP per modality/encoder, pretrained vs random, with chance mAP.

    ``probe`` has columns modality, encoder, variant, macro_f1, map, chance_map.
    """
    fig = _figure(figsize=(9, 3.6), layout="constrained")
    axes = fig.subplots(1, 2)
    groups = list(dict.fromkeys(probe.modality + ": " + probe.encoder.str.replace("-random", "")))
    colours = {"pretrained": "#1f77b4", "random": "#bbbbbb"}
    for ax, metric in zip(axes, ("macro_f1", "map")):
        for j, variant in enumerate(("pretrained", "random")):
            sub = probe[probe.variant == variant]
            vals = [sub[(sub.modality + ": " + sub.encoder.str.replace("-random", "")) == g][metric]
                    for g in groups]
            vals = [float(v.iloc[0]) if len(v) else np.nan for v in vals]
            x = np.arange(len(groups)) + (j - 0.5) * 0.38
            bars = ax.bar(x, vals, width=0.38, color=colours[variant], label=variant)
            ax.bar_label(bars, fmt="%.3f", fontsize=7)
        if metric == "map":
            for i, g in enumerate(groups):
                ch = probe[(probe.modality + ": " + probe.encoder.str.replace("-random", "")) == g].chance_map
                if len(ch):
                    ax.hlines(float(ch.iloc[0]), i - 0.45, i + 0.45, colors="k", linestyles=":",
                              label="chance" if i == 0 else None)
        ax.set_xticks(np.arange(len(groups)), groups, fontsize=8)
        ax.set_title({"macro_f1": "macro-F1 (held-out movies)", "map": "mAP (held-out movies)"}[metric],
                     fontsize=9)
        ax.set_ylim(0, max(0.05, float(np.nanmax(probe[metric]))) * 1.25)
    axes[1].legend(fontsize=7, frameon=False)
    return fig


def plot_bench(bench: pd.DataFrame):
    """Bars of items/s per encoder for the batched and the one-at-a-time path.

    ``bench`` has columns model, variant (batched|naive), value (items/s).
    """
    fig = _figure(figsize=(6, 3.2), layout="constrained")
    ax = fig.subplots()
    models = list(dict.fromkeys(bench.model))
    for j, variant in enumerate(("naive", "batched")):
        vals = [bench[(bench.model == m) & (bench.variant == variant)].value for m in models]
        vals = [float(v.iloc[0]) if len(v) else np.nan for v in vals]
        bars = ax.bar(np.arange(len(models)) + (j - 0.5) * 0.38, vals, width=0.38, label=variant,
                      color=("#bbbbbb", "#1f77b4")[j])
        ax.bar_label(bars, fmt="%.1f", fontsize=7)
    ax.set_xticks(np.arange(len(models)), models)
    ax.set_ylabel("items / s")
    ax.legend(frameon=False, fontsize=8)
    return fig
