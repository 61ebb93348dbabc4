"""The fusion model on a GPU: ``device="auto"`` takes training there, in bf16, and the numbers agree
with the CPU's within bf16 tolerance. Skipped where no CUDA device is visible (this project's CPU
machines); run on a lent GPU machine with ``pytest tests/unit/models/test_fusion_cuda.py``."""
from __future__ import annotations

import numpy as np
import pytest

torch = pytest.importorskip("torch")

if not torch.cuda.is_available():  # checked on the CPU by removing this guard: the rest runs there too
    pytest.skip("no CUDA device visible", allow_module_level=True)

from mmrec_core.data import load_movielens, write_synthetic_movielens, xia_split  # noqa: E402
from mmrec_core.features.modality import ItemModality  # noqa: E402
from mmrec_core.inputs import RatingEncoder  # noqa: E402
from mmrec_core.models.fusion import FusionConfig, build_fusion  # noqa: E402
from mmrec_core.train import TrainConfig, fit, predict  # noqa: E402

SMALL = dict(d_model=64, n_head=4, d_ff=128, embed_dim=4, dropout=0.1)


@pytest.fixture(scope="module")
def setup(tmp_path_factory):
    ds = load_movielens("ml-100k", write_synthetic_movielens(tmp_path_factory.mktemp("fusion-cuda-home")))
    split = xia_split(ds.ratings, 0)
    enc = RatingEncoder().fit(split.train, ds.users, ds.items, ds.genres)
    ids, rng = ds.items.item_id.to_numpy(), np.random.default_rng(0)
    for key, kind, dim in (("text_title", "text", 6), ("text_plot", "text", 6), ("image", "image", 10)):
        enc.add_modality(key, ItemModality(kind, "random", ids, rng.normal(size=(len(ids), dim)), np.ones(len(ids), bool)))
    return ds, split, enc


def _train(enc, split, device, bf16):
    torch.manual_seed(0)
    model = build_fusion(FusionConfig(**SMALL), enc)
    cfg = TrainConfig(lr=1e-3, epochs=1, batch_size=64, patience=1, device=device, bf16=bf16, progress=False)
    res = fit(model, enc.transform(split.train), enc.transform(split.val), cfg)
    return model, res, predict(model, enc.transform(split.test), bf16=bf16)


def test_one_fusion_epoch_trains_on_the_gpu_with_auto(setup):
    _, split, enc = setup
    model, res, pred = _train(enc, split, "auto", bf16=True)
    assert res.device.startswith("cuda") and next(model.parameters()).is_cuda
    assert len(res.history["epoch"]) == 1 and np.isfinite(res.history["val_rmse"][0])
    assert pred.shape == (len(split.test),) and np.all((pred >= 1) & (pred <= 5))


def test_gpu_and_cpu_agree_within_bf16_tolerance_in_float32_forward(setup):
    """Same weights, same batch: the forward pass in float32 on both devices."""
    _, split, enc = setup
    torch.manual_seed(0)
    model = build_fusion(FusionConfig(**{**SMALL, "dropout": 0.0}), enc).eval()
    batch = enc.transform(split.test.iloc[:256])
    with torch.no_grad():
        cpu = model.predict(batch).numpy()
        gpu = model.cuda().predict({k: v.cuda() for k, v in batch.items()}).cpu().numpy()
    np.testing.assert_allclose(gpu, cpu, atol=1e-3)
