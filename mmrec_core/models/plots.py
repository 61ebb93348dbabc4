"""Figures for the neural replicas; each function returns a matplotlib ``Figure``."""
from __future__ import annotations


def loss_curves(histories: dict, metric: str = "rmse", title: str = ""):
    """Per-epoch train and validation curves, one colour per run label.

    ``histories``: label -> ``TrainResult.history`` (lists per epoch). ``metric``: ``rmse`` or
    ``loss``. Train is dashed (running average over the epoch, dropout on), validation solid.
    """
    import matplotlib.pyplot as plt

    fig, ax = plt.subplots(figsize=(7, 4))
    colours = plt.rcParams["axes.prop_cycle"].by_key()["color"]
    for j, (label, h) in enumerate(histories.items()):
        c = colours[j % len(colours)]
        ax.plot(h["epoch"], h[f"train_{metric}"], "--", color=c, alpha=0.8, label=f"{label} train")
        ax.plot(h["epoch"], h[f"val_{metric}"], "-o", color=c, ms=3, label=f"{label} val")
    ax.set_xlabel("epoch")
    ax.set_ylabel("RMSE" if metric == "rmse" else "loss")
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


def paper_vs_ours(frame, value_col: str = "ours", paper_col: str = "paper", err_col: str | None = "std",
                  label_col: str = "label", title: str = ""):
    """Grouped bars: the paper's number beside ours (with a std error bar) per label."""
    import matplotlib.pyplot as plt
    import numpy as np

    fig, ax = plt.subplots(figsize=(max(6, 0.8 * len(frame)), 3.8))
    x = np.arange(len(frame))
    ax.bar(x - 0.2, frame[paper_col], 0.4, label="paper", color="#bdbdbd")
    ax.bar(x + 0.2, frame[value_col], 0.4, yerr=frame[err_col] if err_col else None, capsize=3,
           label="ours", color="#3182bd")
    ax.set_xticks(x, frame[label_col], rotation=30, ha="right", fontsize=8)
    ax.set_ylabel("RMSE")
    lo = float(np.nanmin(np.r_[frame[paper_col], frame[value_col]]))
    ax.set_ylim(max(0, lo - 0.15), None)
    ax.set_title(title)
    ax.legend()
    ax.grid(axis="y", alpha=0.3)
    fig.tight_layout()
    return fig


def save(fig, results_dir, name: str):
    """Save ``fig`` as ``<results_dir>/figures/<name>.png`` and return the path."""
    from pathlib import Path

    out = Path(results_dir) / "figures"
    out.mkdir(parents=True, exist_ok=True)
    path = out / f"{name}.png"
    fig.savefig(path, dpi=120, bbox_inches="tight")
    return path
