"""Training throughput of the FusionTransformer at the paper's width (768, twelve tokens).

Measures ratings per second of full training steps (forward, backward, gradient clipping, fused
AdamW: what ``train.fit`` does per batch, at the paper profile's batch of 512) on random
inputs shaped like ML-100K (943 users, 1,682 movies, MiniLM 384-d title and plot vectors,
EfficientNet-Lite0 1280-d poster vectors), and the fraction of this machine's measured matmul peak
(a large square matmul in the same dtype) that the model's analytic FLOPs reach.

    python benchmarks/bench_fusion_train.py                 # writes rows to results/records/bench_fusion_train.csv
    python benchmarks/bench_fusion_train.py --quick --results-dir /tmp/bench

Rows: paper=companion, table=bench, dataset=ml-100k, split=none, model=FusionTransformer,
variant=train-d768 (FusionConfig defaults: what the recorded runs use) | train-d768-fast (the speed
options dropout_rng="words16", bf16_tokens=True), metric=ratings_per_s | peak_fraction |
peak_gflops | model_gflops. The variants' steps are interleaved, so a busy machine slows both alike.
"""
from __future__ import annotations

import argparse
import time

import numpy as np


def matmul_peak(dtype, n: int = 2048, reps: int = 6) -> float:
    """GFLOP/s of an n x n matmul in ``dtype`` (best of ``reps``)."""
    import torch

    a, b = torch.randn(n, n, dtype=dtype), torch.randn(n, n, dtype=dtype)
    for _ in range(2):
        a @ b
    best = float("inf")
    for _ in range(reps):
        t = time.perf_counter()
        a @ b
        best = min(best, time.perf_counter() - t)
    return 2 * n ** 3 / best / 1e9


# The variants measured: the default (what the recorded runs use) and the speed options of FusionConfig.
VARIANTS = {"train-d768": {}, "train-d768-fast": {"dropout_rng": "words16", "bf16_tokens": True}}


def build(d_model: int, n_layer: int, n_users=943, n_items=1682, **options):
    from mmrec_core.inputs import ContentTable
    from mmrec_core.models.fusion import FusionConfig, FusionTransformer

    rng = np.random.default_rng(0)
    card = {"user": n_users + 1, "age": 8, "gender": 3, "occupation": 22, "zip": 800,
            "item": n_items + 1, "year": 10}
    content = {k: ContentTable("text" if k.startswith("text") else "image", "random",
                               rng.normal(size=(n_items + 1, dim)).astype(np.float32),
                               np.ones(n_items + 1, bool))
               for k, dim in (("text_title", 384), ("text_plot", 384), ("image", 1280))}
    genres = (rng.random((n_items + 1, 19)) < 0.1).astype(np.float32)
    cfg = FusionConfig(d_model=d_model, n_layer=n_layer, n_head=12 if d_model % 12 == 0 else 8,
                       d_ff=4 * d_model, use_poster=True, **options)
    return FusionTransformer(cfg, card, genres, content), card, n_items


def bench(d_model=768, n_layer=1, batch=512, steps=6, bf16=True, threads=2, variants=None):
    """Median step time of each variant, the variants' steps interleaved so they share the noise.

    A step is what ``train.fit`` does per batch: autocast forward, backward, gradient clipping
    (norm 1.0) and a fused AdamW step. Returns one dict per variant.
    """
    import torch

    torch.set_num_threads(threads)
    torch.set_flush_denormal(True)
    variants = variants or VARIANTS
    setups = {}
    for name, options in variants.items():
        torch.manual_seed(0)
        model, card, n_items = build(d_model, n_layer, **options)
        setups[name] = (model, torch.optim.AdamW(model.parameters(), lr=5e-4, fused=True))
    g = torch.Generator().manual_seed(0)
    batch_t = {k: torch.randint(1, v, (batch,), generator=g) for k, v in card.items()}
    batch_t["item_row"] = torch.randint(1, n_items + 1, (batch,), generator=g)
    batch_t["rating"] = torch.randint(1, 6, (batch,), generator=g).float()

    def step(model, opt):
        with torch.autocast("cpu", dtype=torch.bfloat16, enabled=bf16):
            _, loss = model(batch_t)
        opt.zero_grad(set_to_none=True)
        loss.backward()
        torch.nn.utils.clip_grad_norm_(model.parameters(), 1.0)
        opt.step()

    for model, opt in setups.values():   # warm-up
        step(model, opt); step(model, opt)
    times = {name: [] for name in setups}
    for _ in range(steps):
        for name, (model, opt) in setups.items():
            t = time.perf_counter()
            step(model, opt)
            times[name].append(time.perf_counter() - t)
    peak = matmul_peak(torch.bfloat16 if bf16 else torch.float32)
    out = {}
    for name, (model, _) in setups.items():
        sec = float(np.median(times[name]))
        rps = batch / sec
        flops = model.flops_per_rating(train=True)
        achieved = flops * rps / 1e9
        out[name] = {"ratings_per_s": rps, "model_gflops": achieved, "peak_gflops": peak,
                     "peak_fraction": achieved / peak, "step_ms": 1000 * sec, "flops_per_rating": flops,
                     "params": sum(p.numel() for p in model.parameters()), "tokens": model.n_tokens,
                     "batch": batch, "bf16": bf16, "d_model": d_model, "n_layer": n_layer,
                     "options": variants[name] or "defaults"}
    return out


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--quick", action="store_true", help="two steps, small batch (a smoke test)")
    ap.add_argument("--batch", type=int, default=512, help="ratings per step (the paper profile's 512)")
    ap.add_argument("--threads", type=int, default=2)
    ap.add_argument("--layers", type=int, default=1)
    ap.add_argument("--fp32", action="store_true", help="no bf16 autocast")
    ap.add_argument("--results-dir", default=None)
    ap.add_argument("--no-write", action="store_true")
    args = ap.parse_args(argv)
    results = bench(batch=64 if args.quick else args.batch, steps=2 if args.quick else 12,
                    bf16=not args.fp32, n_layer=args.layers, threads=args.threads)
    for name, r in results.items():
        print(f"-- {name}")
        for k, v in r.items():
            print(f"{k:>18}: {v:.4g}" if isinstance(v, float) else f"{k:>18}: {v}")
    if args.no_write:
        return results
    from mmrec_core.results import ResultRow, describe_device, write_rows

    rows = []
    for name, r in results.items():
        opts = r["options"]   # what this run measured (``bench(variants=...)`` may differ from VARIANTS)
        options = ", ".join(f"{k}={v}" for k, v in opts.items()) if isinstance(opts, dict) else "FusionConfig defaults"
        note = (f"d768, {r['n_layer']} layer, {r['tokens']} tokens, batch {r['batch']}, "
                f"{'bf16 autocast' if r['bf16'] else 'fp32'}, grad clipping, fused AdamW, {options}, {describe_device()}; "
                f"{r['flops_per_rating'] / 1e6:.0f} MFLOP per rating (fwd+bwd, analytic)")
        common = dict(paper="companion", table="bench", dataset="ml-100k", split="none",
                      model="FusionTransformer", variant=name, profile="quick" if args.quick else "paper", notes=note)
        rows += [ResultRow(metric=m, value=r[m], **common)
                 for m in ("ratings_per_s", "peak_fraction", "peak_gflops", "model_gflops")]
    print("->", write_rows(rows, args.results_dir, writer="bench_fusion_train"))
    return results


if __name__ == "__main__":
    main()
