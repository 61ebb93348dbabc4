"""Encoder throughput: batched extraction vs one movie at a time, on this machine.

    python benchmarks/bench_encoders.py            # minilm-l6 and efficientnet-lite0 on ML-100K
    python benchmarks/bench_encoders.py --quick    # tiny encoders on synthetic data (seconds)

Both paths time the whole per-item work (text preprocessing + tokenisation + network, or poster
decoding + resizing + network); the feature cache is not involved. Besides the default fp32 batched
path it measures channels-last memory (CNNs) and bfloat16 autocast, and reports how close bf16
vectors are to fp32 ones (mean and minimum cosine similarity) and whether the genre probe loses
anything with them. Rows go to ``<results>/records/bench_encoders.csv`` (table ``bench``), the figure to
``<results>/figures/bench_encoders.png``.
"""
from __future__ import annotations

import argparse
import os
import sys
import time
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from mmrec_core.features import load_encoder  # noqa: E402
from mmrec_core.features.extract import item_posters, item_texts  # noqa: E402
from mmrec_core.features.images import PosterDecodeError, decode_poster  # noqa: E402
from mmrec_core.results import ResultRow, describe_device, write_rows  # noqa: E402


def _inputs(ds, content, modality: str, n: int, seed: int = 0) -> list:
    """Raw inputs of ``n`` seeded random movies with content (texts, or poster bytes)."""
    raw = item_texts(ds, content, "title+plot") if modality == "text" else item_posters(ds, content)
    raw = raw.dropna()
    pick = np.random.default_rng(seed).permutation(len(raw))[:n]
    vals = raw.iloc[np.sort(pick)].tolist()
    return vals if modality == "text" else [Path(p).read_bytes() for p in vals]


def _prepare(enc, raw):
    if enc.spec.modality == "text":
        return enc.prepare_text(raw)
    try:
        return enc.prepare_image(decode_poster(raw))
    except PosterDecodeError:
        return enc.prepare_image(decode_poster(_BLANK))


_BLANK = b""


def run_naive(enc, raws) -> tuple[float, np.ndarray]:
    t = time.perf_counter()
    out = [enc.forward([_prepare(enc, r)]) for r in raws]
    return len(raws) / (time.perf_counter() - t), np.concatenate(out)


def run_batched(enc, raws, batch_size: int) -> tuple[float, np.ndarray]:
    t = time.perf_counter()
    prepared = [_prepare(enc, r) for r in raws]
    out = enc.forward_batched(prepared, batch_size)
    return len(raws) / (time.perf_counter() - t), out


def cosine(a: np.ndarray, b: np.ndarray) -> np.ndarray:
    return (a * b).sum(1) / (np.linalg.norm(a, axis=1) * np.linalg.norm(b, axis=1) + 1e-12)


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--quick", action="store_true", help="tiny encoders, synthetic data, few items")
    ap.add_argument("--n", type=int, default=None, help="items per measurement (default 128, quick 32)")
    ap.add_argument("--encoders", nargs="+", default=None)
    ap.add_argument("--batch-sizes", nargs="+", type=int, default=None)
    ap.add_argument("--threads", type=int, default=None, help="torch threads (default: all cores)")
    ap.add_argument("--results-dir", default=None, help="default results/ (quick: results/quick/)")
    ap.add_argument("--no-write", action="store_true")
    ap.add_argument("--probe-bf16", action="store_true",
                    help="also extract every movie in bf16 (cached) and compare the genre probe with fp32")
    args = ap.parse_args(argv)

    import torch

    from mmrec_core.data import load_content, load_movielens
    from mmrec_core.notebook import synthetic_home
    from mmrec_core.paths import results_dir

    torch.set_num_threads(args.threads or os.cpu_count() or 1)
    profile = "quick" if args.quick else "paper"
    encoders = args.encoders or (["tiny-bert", "tiny-cnn"] if args.quick else ["minilm-l6", "efficientnet-lite0"])
    n = args.n or (32 if args.quick else 128)
    batch_sizes = args.batch_sizes or ([8, 16] if args.quick else [16, 32, 64])
    ds = load_movielens("ml-100k", synthetic_home() if args.quick else None)
    content = load_content(ds)
    res = results_dir(args.results_dir or (results_dir() / "quick" if args.quick else None))
    device = describe_device()
    print(f"device: {device}; torch threads: {torch.get_num_threads()}; {n} items per measurement")

    global _BLANK
    import io

    from PIL import Image

    buf = io.BytesIO()
    Image.new("RGB", (8, 8)).save(buf, format="PNG")
    _BLANK = buf.getvalue()

    rows, table = [], []

    def row(model, variant, metric, value, notes=""):
        rows.append(ResultRow(paper="companion", table="bench", dataset="ml-100k", split="none",
                              model=model, variant=variant, subset="none", metric=metric,
                              value=float(value), profile=profile,
                              encoder_text=model if model in text_names else "",
                              encoder_image=model if model not in text_names else "",
                              notes=f"{device}; {n} items; load avg {os.getloadavg()[0]:.1f} "
                                    f"(shared machine); " + notes))
        table.append((model, variant, metric, round(float(value), 4), notes))

    text_names = set()
    for name in encoders:
        enc = load_encoder(name, device="cpu")
        if enc.spec.modality == "text":
            text_names.add(name)
        raws = _inputs(ds, content, enc.spec.modality, n)
        run_batched(enc, raws[:8], 8)  # warm-up (oneDNN primitive caches, allocator)
        naive_rate, naive_vecs = run_naive(enc, raws)
        row(name, "naive", "items_per_s", naive_rate, "one item per forward call")
        best_bs, best_rate, ref = None, 0.0, None
        for bs in batch_sizes:
            rate, vecs = run_batched(enc, raws, bs)
            ref = vecs if ref is None else ref
            table.append((name, f"batched-bs{bs}", "items_per_s", round(rate, 2), "fp32"))
            if rate > best_rate:
                best_bs, best_rate = bs, rate
        row(name, "batched", "items_per_s", best_rate,
            f"fp32{', channels_last' if enc.channels_last else ', length-sorted batches'}, "
            f"batch {best_bs} (best of {batch_sizes})")
        row(name, "batched", "speedup_vs_naive", best_rate / naive_rate, f"batch {best_bs}")
        row(name, "batched", "cosine_vs_naive_min", cosine(ref, naive_vecs).min(),
            "batched vs one-at-a-time vectors (padding must not change them)")
        if enc.channels_last:  # the default for CNNs; measure what it buys
            row(name, "batched-channels_last", "items_per_s", best_rate,
                f"the batched row above: channels_last is the default for CNNs, batch {best_bs}")
            plain = load_encoder(name, device="cpu", channels_last=False)
            run_batched(plain, raws[:8], 8)
            rate, _ = run_batched(plain, raws, best_bs)
            row(name, "batched-contiguous", "items_per_s", rate,
                f"fp32, NCHW-contiguous instead of channels_last, batch {best_bs}")
        bf = load_encoder(name, device="cpu", precision="bf16")
        run_batched(bf, raws[:8], 8)
        rate, vecs16 = run_batched(bf, raws, best_bs)
        cos = cosine(ref, vecs16)
        row(name, "batched-bf16", "items_per_s", rate, f"bf16 autocast, batch {best_bs}")
        row(name, "batched-bf16", "cosine_vs_fp32_mean", cos.mean(), "bf16 vs fp32 vectors")
        row(name, "batched-bf16", "cosine_vs_fp32_min", cos.min(), "bf16 vs fp32 vectors")
        if args.probe_bf16:
            from mmrec_core.features import get_item_features
            from mmrec_core.features.probe import genre_probe

            for precision in ("fp32", "bf16"):
                mod = get_item_features(ds, content, enc.spec.modality, name, precision=precision,
                                        progress=False)
                p = genre_probe(mod, ds, seed=0)
                for metric in ("macro_f1", "map"):
                    row(name, f"probe-{precision}", f"probe_{metric}", p[metric],
                        f"genre probe ({p['split']}) on features extracted in {precision}")
        del enc, bf

    import pandas as pd

    frame = pd.DataFrame(table, columns=["model", "variant", "metric", "value", "notes"])
    print(frame.to_string(index=False))
    if not args.no_write:
        from mmrec_core.features.plots import plot_bench
        from mmrec_core.plots import save_figure

        path = write_rows(rows, res, writer="bench_encoders")
        bench = frame[(frame.metric == "items_per_s") & frame.variant.isin(["naive", "batched"])]
        save_figure(plot_bench(bench), res, "bench", f"encoders{'_quick' if args.quick else ''}")
        print(f"{len(rows)} rows -> {path}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
