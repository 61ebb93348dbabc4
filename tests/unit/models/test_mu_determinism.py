"""Cross-modal Mu is bit-reproducible across processes on CPU (same seed -> same parameter bits).

The regression this guards: ``Mu.poster_features`` used to gather the per-rating poster features
with ``feats[inv]``. The backward of that advanced indexing is ``index_put_(accumulate=True)``, and
PyTorch's CPU kernel runs it with parallel atomic float adds once the gradient has >= 32768
elements (here batch 1024 x 64 CNN features) and more than one thread is used, so the gradients of a
movie rated several times in a batch were summed in a racing order and the weights differed in the
last bits from run to run. Tiny batches (or one thread) take the serial path, so the test needs
real-size batches: 1024 ratings over several hundred distinct 32x32 posters, 2 torch threads.

Two fresh interpreters (different ``PYTHONHASHSEED``) train the same seeded model for a few batches
on a generated synthetic home with random posters and print a hash of the parameters; the hashes
must be equal. With the old ``feats[inv]`` the hashes differ in practically every run (checked).
"""
from __future__ import annotations

import os
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

pytest.importorskip("torch")

REPO = Path(__file__).resolve().parents[3]

SCRIPT = textwrap.dedent("""
    import hashlib, sys
    import numpy as np
    import torch
    torch.set_num_threads(2)  # the racing kernel only runs with more than one thread
    from mmrec_core.data import load_movielens, xia_split
    from mmrec_core.inputs import RatingEncoder
    from mmrec_core.models.mu import MuConfig, build_mu
    from mmrec_core.train import TrainConfig, fit, seed_everything

    ds = load_movielens("ml-100k", sys.argv[1])
    split = xia_split(ds.ratings, 0)
    enc = RatingEncoder().fit(split.train, ds.users, ds.items, ds.genres)
    rng = np.random.default_rng(0)
    ids = ds.items.item_id.to_numpy()
    posters = rng.integers(0, 256, (len(ids), 3, 32, 32), dtype=np.uint8)
    mask = np.arange(len(ids)) % 11 != 0          # some movies without a poster
    enc.add_table("pixels", "pixels", "pixels-32", ids, posters, mask)
    train, val = enc.transform(split.train), enc.transform(split.val.iloc[:256])
    seed_everything(0)
    model = build_mu(MuConfig(use_poster=True), enc)   # default widths: 64 CNN features
    fit(model, train, val, TrainConfig(epochs=1, batch_size=1024, lr=1e-3, seed=0, device="cpu",
                                       max_batches_per_epoch=3, progress=False))
    h = hashlib.sha256()
    for name, p in model.state_dict().items():
        h.update(name.encode()); h.update(p.detach().contiguous().numpy().tobytes())
    print("HASH", h.hexdigest())
""")


@pytest.fixture(scope="module")
def big_home(tmp_path_factory) -> Path:
    """A synthetic home with several hundred movies, so a batch holds hundreds of posters."""
    from mmrec_core.data import write_synthetic_movielens

    return write_synthetic_movielens(tmp_path_factory.mktemp("mu-det-home"), n_users=300,
                                     n_items=500, n_ratings=6000)


def _run(home: Path, tmp_path: Path, hash_seed: str) -> str:
    env = {**os.environ, "PYTHONHASHSEED": hash_seed, "MMREC_CACHE": str(tmp_path / "cache"),
           "PYTHONPATH": os.pathsep.join([str(REPO), os.environ.get("PYTHONPATH", "")])}
    for var in ("OMP_NUM_THREADS", "MKL_NUM_THREADS"):
        env.pop(var, None)
    proc = subprocess.run([sys.executable, "-c", SCRIPT, str(home)], env=env, cwd=REPO,
                          capture_output=True, text=True, timeout=120)
    assert proc.returncode == 0, proc.stderr[-3000:]
    lines = [ln for ln in proc.stdout.splitlines() if ln.startswith("HASH ")]
    assert lines, proc.stdout[-2000:]
    return lines[-1].split()[1]


def test_cross_modal_training_bit_identical_across_processes(big_home, tmp_path):
    from mmrec_core.data import load_movielens, xia_split

    ds = load_movielens("ml-100k", big_home)
    train = xia_split(ds.ratings, 0).train
    assert len(train) >= 3 * 1024
    assert train.item_id.iloc[:1024].nunique() >= 300   # real-size: hundreds of posters a batch
    a = _run(big_home, tmp_path, "1")
    b = _run(big_home, tmp_path, "2")
    assert a == b, "same seed, different processes: different parameter bits"
