"""The shared training loop: device, determinism, early stopping, checkpoints and resume."""
from __future__ import annotations

import numpy as np
import pytest

torch = pytest.importorskip("torch")

from mmrec_core.data import load_movielens, write_synthetic_movielens, xia_split  # noqa: E402
from mmrec_core.inputs import RatingEncoder  # noqa: E402
from mmrec_core.models.mu import MuConfig, build_mu  # noqa: E402
from mmrec_core.train import TrainConfig, fit, predict, resolve_device  # noqa: E402

pytestmark = pytest.mark.usefixtures("torch_one_thread")  # tests/conftest.py


TINY = dict(embed_dim=4, d_hidden=8, dropout=0.1, use_poster=False)


@pytest.fixture(scope="module")
def data(tmp_path_factory):
    home = write_synthetic_movielens(tmp_path_factory.mktemp("train-home"))
    ds = load_movielens("ml-100k", home)
    split = xia_split(ds.ratings, 0)
    enc = RatingEncoder().fit(split.train, ds.users, ds.items, ds.genres)
    return enc, enc.transform(split.train), enc.transform(split.val), enc.transform(split.test)


def _run(data, cfg, **kw):
    enc, tr, va, te = data
    torch.manual_seed(cfg.seed)
    model = build_mu(MuConfig(**TINY), enc)
    res = fit(model, tr, va, cfg, **kw)
    return model, res, predict(model, te)


def test_device_auto_is_cpu_here():
    expected = "cuda" if torch.cuda.is_available() else "cpu"
    assert resolve_device("auto").type == expected
    assert resolve_device("cpu").type == "cpu"


def test_same_seed_same_numbers_other_seed_differs(data):
    cfg = TrainConfig(epochs=2, batch_size=64, progress=False, seed=3)
    _, r1, p1 = _run(data, cfg)
    _, r2, p2 = _run(data, cfg)
    assert np.array_equal(p1, p2)
    assert r1.history["val_rmse"] == r2.history["val_rmse"]
    _, _, p3 = _run(data, TrainConfig(epochs=2, batch_size=64, progress=False, seed=4))
    assert not np.array_equal(p1, p3)


def test_history_and_learning(data):
    _, res, _ = _run(data, TrainConfig(epochs=4, batch_size=64, progress=False, patience=10, lr=3e-3))
    h = res.history
    assert h["epoch"] == [1.0, 2.0, 3.0, 4.0]
    assert set(h) == {"epoch", "train_loss", "train_rmse", "val_loss", "val_rmse", "seconds", "lr", "train_fraction"}
    assert h["train_loss"][-1] < h["train_loss"][0]
    assert res.best_val_rmse == min(h["val_rmse"])


def test_early_stopping(data):
    # lr so large that validation gets worse quickly: stops after `patience` bad epochs
    _, res, _ = _run(data, TrainConfig(epochs=30, batch_size=32, progress=False, patience=1, lr=0.3,
                                       grad_clip=None))
    assert len(res.history["epoch"]) < 30
    assert res.best_epoch == int(np.argmin(res.history["val_rmse"])) + 1


def test_checkpoint_resume_matches_uninterrupted(data, tmp_path):
    base = dict(epochs=3, batch_size=64, progress=False, patience=10, seed=1)
    _, full, p_full = _run(data, TrainConfig(**base, checkpoint_dir=str(tmp_path / "a")))
    _, part, _ = _run(data, TrainConfig(**base, checkpoint_dir=str(tmp_path / "b")), stop_after_epochs=1)
    assert part.history["epoch"] == [1.0]
    ckpt = torch.load(tmp_path / "b" / "last.pt", weights_only=True)
    assert {"model", "optimizer", "epoch", "history", "config"} <= set(ckpt)
    _, resumed, p_res = _run(data, TrainConfig(**base, checkpoint_dir=str(tmp_path / "b")))
    assert resumed.resumed_from == 1
    assert resumed.history["val_rmse"] == full.history["val_rmse"]
    assert np.array_equal(p_full, p_res)
    # a finished run is not trained again
    _, again, p_again = _run(data, TrainConfig(**base, checkpoint_dir=str(tmp_path / "a")))
    assert again.resumed_from == 3 and np.array_equal(p_again, p_full)


def test_changed_config_does_not_resume(data, tmp_path):
    base = dict(epochs=2, batch_size=64, progress=False, seed=1, checkpoint_dir=str(tmp_path / "c"))
    _run(data, TrainConfig(**base))
    _, res, _ = _run(data, TrainConfig(**{**base, "lr": 1e-2}))
    assert res.resumed_from == 0


def test_bf16_autocast_runs(data):
    _, res, p = _run(data, TrainConfig(epochs=1, batch_size=64, progress=False, bf16=True))
    assert np.isfinite(p).all() and np.isfinite(res.history["train_loss"]).all()


def test_cosine_schedule_follows_torch_and_resumes(data, tmp_path):
    cfg = TrainConfig(epochs=5, batch_size=64, progress=False, patience=10, lr=1e-2, lr_schedule="cosine", t_max=3)
    _, full, p_full = _run(data, cfg)
    # epoch e trains at lr * (1 + cos(pi (e - 1) / T)) / 2 (CosineAnnealingLR, periodic past T)
    expected = [1e-2 * (1 + np.cos(np.pi * e / 3)) / 2 for e in range(5)]
    assert np.allclose(full.history["lr"], expected, atol=1e-9)
    assert full.history["lr"][3] == pytest.approx(0.0, abs=1e-12) and full.history["lr"][4] > 0  # climbs again
    ckpt = TrainConfig(**{**cfg.to_dict(), "checkpoint_dir": str(tmp_path / "c")})
    _run(data, ckpt, stop_after_epochs=2)
    _, resumed, p_res = _run(data, ckpt)
    assert resumed.history["lr"] == full.history["lr"]
    assert np.array_equal(p_full, p_res)
    with pytest.raises(ValueError, match="lr_schedule"):
        _run(data, TrainConfig(epochs=1, progress=False, lr_schedule="step"))


def test_data_schedule_starts_small_and_grows_once_val_mse_is_reached(data):
    n = len(data[1]["rating"])
    fixed = TrainConfig(epochs=3, batch_size=64, progress=False, patience=10, initial_fraction=0.3)
    _, res, _ = _run(data, fixed)
    assert res.history["train_fraction"] == [pytest.approx(round(0.3 * n) / n)] * 3   # never grows
    grow = TrainConfig(**{**fixed.to_dict(), "grow_at_val_mse": 100.0})                # reached after epoch 1
    _, res, _ = _run(data, grow)
    assert res.history["train_fraction"][0] == pytest.approx(round(0.3 * n) / n)
    assert res.history["train_fraction"][1:] == [1.0, 1.0]
    never = TrainConfig(**{**fixed.to_dict(), "grow_at_val_mse": 1e-9})
    _, res, _ = _run(data, never)
    assert max(res.history["train_fraction"]) < 0.31
    with pytest.raises(ValueError, match="initial_fraction"):
        _run(data, TrainConfig(epochs=1, progress=False, initial_fraction=0.0))
