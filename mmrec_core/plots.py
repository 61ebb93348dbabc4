"""Figure functions of the book: each returns a matplotlib ``Figure``.

Saving and captioning is one helper, :meth:`mmrec_core.notebook.NotebookContext.figure`
(file name ``<results>/figures/<notebook prefix>_<dataset>_<name>.png``).
"""
from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd


def figure_path(results_dir, prefix: str, name: str, dataset: str | None = None) -> Path:
    """The one file-name scheme of the book's figures: ``<results>/figures/<prefix>_[<dataset>_]<name>.png``.

    ``prefix``: the notebook's number ("20") or ``bench`` for the benchmark scripts.
    """
    out = Path(results_dir) / "figures"
    out.mkdir(parents=True, exist_ok=True)
    return out / f"{prefix}_{dataset + '_' if dataset else ''}{name}.png"


def save_figure(fig, results_dir, prefix: str, name: str, dataset: str | None = None) -> Path:
    """Save ``fig`` under :func:`figure_path` (110 dpi, tight; written whole: a full disk leaves the
    previous figure, :func:`mmrec_core.storage.write_whole`) and return the path."""
    from .storage import write_whole

    path = figure_path(results_dir, prefix, name, dataset)
    return write_whole(path, lambda tmp: fig.savefig(tmp, dpi=110, bbox_inches="tight", format="png"))


def _fig(w=7.0, h=4.0):
    import matplotlib.pyplot as plt

    fig, ax = plt.subplots(figsize=(w, h), constrained_layout=True)
    return fig, ax


def rating_distribution(counts: pd.Series, title: str = "Rating distribution"):
    fig, ax = _fig(6, 3.5)
    ax.bar(counts.index.astype(str), counts.to_numpy(), color="#4C72B0")
    ax.set_xlabel("rating")
    ax.set_ylabel("number of ratings")
    ax.set_title(title)
    for x, y in zip(counts.index.astype(str), counts.to_numpy()):
        ax.annotate(f"{100 * y / counts.sum():.1f}%", (x, y), ha="center", va="bottom", fontsize=8)
    return fig


def ratings_per_item(per_item: pd.Series, title: str = "Ratings per movie"):
    fig, ax = _fig(6, 3.5)
    ax.hist(per_item.to_numpy(), bins=50, color="#55A868", log=True)
    ax.set_xlabel("number of ratings of a movie")
    ax.set_ylabel("movies (log scale)")
    ax.set_title(title)
    return fig


def top_items_mean_rating(top: pd.DataFrame, title: str = "Mean rating of the most-rated movies"):
    fig, ax = _fig(7, 0.28 * len(top) + 1.2)
    labels = [t if len(t) < 40 else t[:37] + "..." for t in top.title]
    ax.barh(labels[::-1], top.mean_rating.to_numpy()[::-1], color="#C44E52")
    for y, (m, n) in enumerate(zip(top.mean_rating.to_numpy()[::-1], top.n_ratings.to_numpy()[::-1])):
        ax.text(m + 0.02, y, f"{m:.2f} (n={n})", va="center", fontsize=7)
    ax.set_xlim(0, 5.6)
    ax.set_xlabel("mean rating")
    ax.set_title(title)
    return fig


def genre_frequencies(freq: pd.Series, title: str = "Movies per genre"):
    fig, ax = _fig(7, 3.8)
    ax.bar(freq.index, freq.to_numpy(), color="#8172B2")
    ax.set_ylabel("movies")
    ax.set_title(title)
    ax.tick_params(axis="x", rotation=70)
    return fig


def user_genre_heatmap(matrix: pd.DataFrame, n_users: int = 60, title: str | None = None):
    """The report's user x genre watch-frequency matrix for the ``n_users`` most active users."""
    fig, ax = _fig(8, 5)
    m = matrix.iloc[:n_users]
    im = ax.imshow(m.to_numpy(), aspect="auto", cmap="viridis")
    ax.set_xticks(range(m.shape[1]), m.columns, rotation=70, fontsize=8)
    ax.set_ylabel(f"user (first {len(m)})")
    ax.set_title(title or "User x genre watch frequency (share of a user's ratings)")
    fig.colorbar(im, ax=ax, shrink=0.8)
    return fig


def content_coverage(coverage: pd.DataFrame, title: str = "Content coverage"):
    fig, ax = _fig(7, 3)
    labels = [f"{m} ({s})" for m, s in zip(coverage.modality, coverage.source)]
    ax.barh(labels[::-1], coverage.share_pct.to_numpy()[::-1], color="#64B5CD")
    ax.set_xlim(0, 105)
    ax.set_xlabel("% of movies")
    ax.set_title(title)
    return fig


def cv_comparison(summary: pd.DataFrame, metric: str = "rmse", title: str | None = None):
    """Bar chart with error bars of a cross-validation summary (``summarize_cv`` output)."""
    fig, ax = _fig(7, 3.8)
    mean, std = summary[(metric, "mean")], summary[(metric, "std")]
    order = np.argsort(mean.to_numpy())
    ax.barh(np.array(summary.index)[order][::-1], mean.to_numpy()[order][::-1],
            xerr=std.to_numpy()[order][::-1], color="#4C72B0")
    ax.set_xlabel(f"{metric.upper()} (mean ± std over folds)")
    lo = float(mean.min()) * 0.9
    ax.set_xlim(lo, float(mean.max() + std.max()) * 1.02)
    ax.set_title(title or f"5-fold cross-validation: {metric.upper()}")
    return fig


def eda_figures(dataset, content: pd.DataFrame, top_n: int = 15) -> dict:
    """The CityU report's exploratory figures (section 6) for one dataset: name -> Figure."""
    from .data import stats
    from .data.content import coverage_report

    name = dataset.name
    return {
        "rating_distribution": rating_distribution(stats.rating_distribution(dataset), f"Rating distribution ({name})"),
        "ratings_per_movie": ratings_per_item(stats.ratings_per_item(dataset), f"Ratings per movie ({name})"),
        "top_movies_mean_rating": top_items_mean_rating(stats.top_rated_items(dataset, top_n),
                                                        f"Mean rating of the {top_n} most-rated movies ({name})"),
        "genre_frequencies": genre_frequencies(stats.genre_frequencies(dataset), f"Movies per genre ({name})"),
        "user_genre_matrix": user_genre_heatmap(stats.user_genre_watch_matrix(dataset)),
        "content_coverage": content_coverage(coverage_report(content), f"Content coverage ({name})"),
    }


# ------------------------------------------------------------------ neural replicas
def loss_curves(histories: dict, metric: str = "rmse", title: str = ""):
    """Per-epoch train and validation curves, one colour per run label.

    ``histories``: label -> ``TrainResult.history`` (lists per epoch). ``metric``: ``rmse``,
    ``mse`` (the squared RMSE: the rating error alone, without a penalty or an auxiliary loss the
    model adds to its training loss) or ``loss``. Train is dashed (running average over the epoch,
    dropout on), validation solid.
    """
    import matplotlib.pyplot as plt

    if metric not in ("rmse", "mse", "loss"):
        raise ValueError(f"metric must be 'rmse', 'mse' or 'loss', got {metric!r}")
    fig, ax = plt.subplots(figsize=(7, 4))
    colours = plt.rcParams["axes.prop_cycle"].by_key()["color"]
    for j, (label, h) in enumerate(histories.items()):
        c = colours[j % len(colours)]
        key, power = ("rmse", 2) if metric == "mse" else (metric, 1)
        ax.plot(h["epoch"], np.asarray(h[f"train_{key}"]) ** power, "--", color=c, alpha=0.8, label=f"{label} train")
        ax.plot(h["epoch"], np.asarray(h[f"val_{key}"]) ** power, "-o", color=c, ms=3, label=f"{label} val")
    ax.set_xlabel("epoch")
    ax.set_ylabel({"rmse": "RMSE", "mse": "MSE", "loss": "loss"}[metric])
    ax.set_title(title or f"{metric} per epoch")
    ax.grid(alpha=0.3)
    ax.legend(fontsize=7, ncol=2)
    fig.tight_layout()
    return fig


def fusion_architecture(model):
    """A diagram of the token sequence of a :class:`FusionTransformer`, drawn from the model."""
    import matplotlib.pyplot as plt
    from matplotlib.patches import FancyBboxPatch

    names = model.token_names
    masked = set(model.content_keys)
    n = len(names)
    fig, ax = plt.subplots(figsize=(max(8, 0.9 * n), 4.2))
    ax.set_xlim(-0.5, n - 0.5)
    ax.set_ylim(0, 5.2)
    ax.axis("off")
    for i, name in enumerate(names):
        colour = ("#dddddd" if name.startswith("[") else "#f6c28b" if name == "image"
                  else "#9ecae1" if name.startswith("text") else "#a1d99b")
        ax.add_patch(FancyBboxPatch((i - 0.42, 0.3), 0.84, 0.9, boxstyle="round,pad=0.02", fc=colour, ec="k"))
        ax.text(i, 0.75, name.replace("text_", ""), ha="center", va="center", fontsize=7, rotation=90 if len(name) > 7 else 0)
        ax.text(i, 0.08, f"p{i}", ha="center", fontsize=6, color="grey")
        ax.annotate("", (i, 1.9), (i, 1.25), arrowprops=dict(arrowstyle="->", lw=0.8))
        if name in masked:
            ax.text(i, 1.55, "mask if\nmissing", ha="center", fontsize=5.5, color="firebrick")
    cfg = model.cfg
    ax.add_patch(FancyBboxPatch((-0.42, 1.95), n - 0.16, 1.1, boxstyle="round,pad=0.02", fc="#fff7bc", ec="k"))
    ax.text((n - 1) / 2, 2.5, f"+ sinusoidal positions (eqs. 4-6)  ->  Transformer encoder: {cfg.n_layer} layer(s), "
            f"{cfg.n_head} heads, d={cfg.d_model}, ff={cfg.d_ff}", ha="center", va="center", fontsize=8)
    ax.annotate("", (0, 3.6), (0, 3.1), arrowprops=dict(arrowstyle="->", lw=1))
    ax.add_patch(FancyBboxPatch((-0.42, 3.65), 3.8, 0.8, boxstyle="round,pad=0.02", fc="#dadaeb", ec="k"))
    ax.text(1.5, 4.05, "h_CLS -> linear -> softmax over 1..5 (eq. 14)", ha="center", va="center", fontsize=8)
    ax.text(4.0, 4.05, "structured: embedding -> dense ReLU up-sampling;  text/poster: frozen features -> linear",
            ha="left", va="center", fontsize=7, color="dimgrey")
    fig.tight_layout()
    return fig


def paper_vs_ours(frame, title: str = ""):
    """Grouped bars per row of a :func:`mmrec_core.papers.compare` frame: the paper's number beside
    ours (error bar: std over seeds where there is one). Rows without both numbers are left out."""
    import matplotlib.pyplot as plt

    frame = frame.dropna(subset=["paper_value", "ours"])
    labels = [" ".join(x for x in (m, v, s) if x) for m, v, s in zip(frame.model, frame.variant, frame.subset)]
    fig, ax = plt.subplots(figsize=(max(6, 0.8 * len(frame)), 3.8))
    x = np.arange(len(frame))
    ax.bar(x - 0.2, frame.paper_value, 0.4, label="paper", color="#bdbdbd")
    ax.bar(x + 0.2, frame.ours, 0.4, yerr=frame.ours_std.fillna(0), capsize=3, label="ours", color="#3182bd")
    ax.set_xticks(x, labels, rotation=30, ha="right", fontsize=8)
    ax.set_ylabel(", ".join(sorted(set(frame.metric))).upper())
    lo = float(np.nanmin(np.r_[frame.paper_value, frame.ours])) if len(frame) else 0.0
    ax.set_ylim(max(0, lo - 0.15), None)
    ax.set_title(title)
    ax.legend()
    ax.grid(axis="y", alpha=0.3)
    fig.tight_layout()
    return fig


# ------------------------------------------------------------------ TSEM report (CityU)
def genre_watch_counts(dataset) -> pd.Series:
    """How often each genre is watched: the number of ratings whose movie has the genre."""
    gm = dataset.genre_matrix()
    per_item = dataset.ratings.item_id.value_counts().reindex(gm.index, fill_value=0).to_numpy()
    counts = pd.Series(per_item.astype(np.int64) @ gm.to_numpy().astype(np.int64), index=gm.columns)
    return counts.sort_values(ascending=False, kind="stable")


def genre_wordcloud(dataset, seed: int = 0, width: int = 800, height: int = 400, title: str | None = None):
    """The TSEM report's Fig 6.1: a word cloud of genres sized by how often they are watched.

    Frequencies are :func:`genre_watch_counts` (ratings, not movies, per genre; genres never watched
    are left out). ``seed`` is the word cloud's ``random_state`` (placement and colours), so the
    figure is reproducible; the font is the one the ``wordcloud`` package ships. The
    ``WordCloud`` is attached as ``fig.wordcloud`` (``fig.wordcloud.words_``: genre -> size
    relative to the most watched one).
    """
    import matplotlib.pyplot as plt
    from wordcloud import WordCloud

    counts = genre_watch_counts(dataset)
    counts = counts[counts > 0]
    if counts.empty:
        raise ValueError("genre_wordcloud: no rated movie has a genre")
    wc = WordCloud(width=width, height=height, background_color="white", random_state=seed,
                   prefer_horizontal=0.9, relative_scaling=0.5)
    wc.generate_from_frequencies({str(g): float(c) for g, c in counts.items()})
    fig, ax = plt.subplots(figsize=(width / 100, height / 100 + 0.4), constrained_layout=True)
    ax.imshow(wc.to_array(), interpolation="bilinear")
    ax.axis("off")
    ax.set_title(title or f"Genres by number of ratings ({getattr(dataset, 'name', 'dataset')})")
    fig.wordcloud = wc
    return fig


def poster_transforms(image, seed: int = 0, n_draws: int = 3,
                      kinds=("autoaugment", "color_jitter", "rotation", "tsem")):
    """The TSEM report's Fig 6.5: a poster and ``n_draws`` random draws of each augmentation.

    One row per kind of :func:`mmrec_core.features.images.poster_augmentation` (the same
    transforms the fine-tuning uses), the original in the first column. The draws are seeded with
    ``torch.manual_seed(seed)`` inside a forked RNG, so the caller's global torch RNG is untouched.
    """
    import matplotlib.pyplot as plt
    import torch

    from .features.images import poster_augmentation

    names = {"autoaugment": "AutoAugment (ImageNet)", "color_jitter": "ColorJitter",
             "rotation": "RandomRotation", "tsem": "all three (TSEM)"}
    image = image.convert("RGB")
    rows, cols = len(kinds), 1 + n_draws
    aspect = image.height / image.width
    fig, axes = plt.subplots(rows, cols, figsize=(1.6 * cols, 1.6 * aspect * rows + 0.3),
                             squeeze=False, constrained_layout=True)
    with torch.random.fork_rng(devices=[]):
        torch.manual_seed(seed)
        for r, kind in enumerate(kinds):
            transform = poster_augmentation(kind)
            panels = [image] + [transform(image) for _ in range(n_draws)]
            for c, panel in enumerate(panels):
                ax = axes[r, c]
                ax.imshow(np.asarray(panel))
                ax.set_xticks([])
                ax.set_yticks([])
                ax.set_title("original" if c == 0 else f"draw {c}", fontsize=7)
            axes[r, 0].set_ylabel(names.get(kind, kind), fontsize=7)
    return fig


def poster_transform_panel(dataset, show_posters: bool = False, seed: int = 0, content: pd.DataFrame | None = None):
    """:func:`poster_transforms` of a synthetic poster, or of the first real poster of ``dataset``
    when ``show_posters`` (real posters are copyrighted: the committed book shows the synthetic one)."""
    from .data.synthetic import synthetic_poster
    from .features.images import decode_poster

    if not show_posters:
        return poster_transforms(synthetic_poster(seed), seed=seed)
    if content is None:
        from .data.content import load_content

        content = load_content(dataset)
    with_poster = content[content.has_poster & ~content.poster_corrupt]
    if with_poster.empty:
        raise ValueError(f"{dataset.name}: no decodable poster in the data home; run with SHOW_POSTERS=False")
    return poster_transforms(decode_poster(with_poster.poster_path.iloc[0]), seed=seed)


def cold_start(table: pd.DataFrame, title: str = ""):
    """Test RMSE per training-count bin (one panel per ``by``), one line per model, error bars = std over seeds."""
    import matplotlib.pyplot as plt

    if table.empty:
        fig, ax = plt.subplots(figsize=(6, 2))
        ax.axis("off")
        ax.text(0.5, 0.5, "no cold-start slices recorded yet: run the model pages first", ha="center", va="center")
        return fig
    bys = list(dict.fromkeys(table["by"]))
    models = list(dict.fromkeys(table["model"]))
    fig, axes = plt.subplots(1, len(bys), figsize=(6 * len(bys), 4), squeeze=False)
    for ax, by in zip(axes[0], bys):
        part = table[table["by"] == by]
        order = list(dict.fromkeys(part["bin"]))
        for model, g in part.groupby("model", sort=False):
            g = g.set_index("bin").reindex(order)
            k = models.index(model)   # the same colour and marker for a model in every panel
            ax.errorbar(range(len(order)), g.rmse, yerr=g["std"].fillna(0), marker="osD^v<>"[k % 7], capsize=3,
                        label=model, color=plt.cm.tab20(k % 20) if len(models) > 10 else f"C{k}")
        counts = part.drop_duplicates("bin").set_index("bin").reindex(order).test_ratings
        ax.set_xticks(range(len(order)), [f"{b}\n(n={int(n):,})" for b, n in zip(order, counts)])
        ax.set_xlabel(f"training ratings of the test rating's {by}")
        ax.set_ylabel("test RMSE")
        ax.grid(alpha=0.3)
        ax.legend(fontsize=8)
    fig.suptitle(title or "Test RMSE by training count")
    fig.tight_layout()
    return fig
