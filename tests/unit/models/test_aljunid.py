"""Aljunid & Manjaiah's DLCRS replica (user + movie embeddings -> MLP -> rating)."""
from __future__ import annotations

import numpy as np
import pytest

torch = pytest.importorskip("torch")

from mmrec_core import experiment  # noqa: E402
from mmrec_core.models import get_model  # noqa: E402
from mmrec_core.models.aljunid import Aljunid, AljunidConfig, build_aljunid  # noqa: E402
from mmrec_core.notebook import DataContext
from mmrec_core.train import TrainConfig  # noqa: E402

TINY = dict(embed_dim=4, hidden=(8, 4), dropout=0.0)


pytestmark = pytest.mark.usefixtures("torch_one_thread")  # tests/conftest.py


@pytest.fixture(scope="module")
def exp(synthetic_home_ro):
    ctx = DataContext(dataset="ml-100k", data_home=synthetic_home_ro, profile="quick")
    return experiment.prepare(ctx, split_seed=0)


def test_output_shape_loss_and_clamped_predictions(exp):
    model = build_aljunid(AljunidConfig(**TINY), exp.encoder)
    batch = {k: v[:6] for k, v in exp.data["train"].items()}
    out, loss = model(batch)
    assert out.shape == (6,) and loss.ndim == 0
    p = model.predict(batch)
    assert p.shape == (6,) and bool(((p >= 1) & (p <= 5)).all())
    unlabeled = {k: v for k, v in batch.items() if k != "rating"}
    assert model(unlabeled)[1] is None


def test_reads_only_user_and_item(exp):
    model = build_aljunid(AljunidConfig(**TINY), exp.encoder).eval()
    batch = {k: v[:8].clone() for k, v in exp.data["train"].items()}
    before = model(batch)[0]
    for k in ("age", "gender", "occupation", "zip", "year", "item_row"):
        batch[k] = torch.zeros_like(batch[k])
    torch.testing.assert_close(before, model(batch)[0])
    assert get_model("aljunid").content_used(AljunidConfig(), exp.encoder) == []


def test_untrained_prediction_starts_near_the_mean_rating(exp):
    torch.manual_seed(0)
    model = build_aljunid(AljunidConfig(), exp.encoder).eval()
    p = model.predict({k: v[:64] for k, v in exp.data["val"].items()})
    assert abs(float(p.mean()) - 3.5) < 0.5


def test_overfits_a_tiny_set(exp):
    torch.manual_seed(0)
    model = build_aljunid(AljunidConfig(**TINY), exp.encoder)
    batch = {k: v[:32] for k, v in exp.data["train"].items()}
    opt = torch.optim.Adam(model.parameters(), lr=1e-2)
    start = model(batch)[1].item()
    for _ in range(300):
        loss = model(batch)[1]
        opt.zero_grad()
        loss.backward()
        opt.step()
    assert loss.item() < 0.1 * start


def test_registry_builds_the_model(exp):
    entry = get_model("aljunid")
    assert entry.label == "Aljunid" and entry.paper == "xia" and set(entry.metrics) == {"rmse", "mae"}
    model = entry.build_model(entry.config(**TINY), exp.encoder)
    assert isinstance(model, Aljunid)
    card = exp.encoder.cardinalities
    assert model.user.num_embeddings == card["user"] and model.item.num_embeddings == card["item"]
    assert entry.config().to_dict()["hidden"] == (128, 64)


def test_quick_replicate_through_the_experiment_layer(exp, tmp_path):
    train = TrainConfig(lr=3e-3, epochs=4, batch_size=128, patience=1, progress=False, num_threads=1)
    runs = experiment.replicate("aljunid", {"default": AljunidConfig(**TINY)}, [0, 1], exp, train,
                                root=tmp_path, progress=False)
    log = runs.log()
    assert list(log.seed) == [0, 1] and (log.best_epoch <= log.epoch_cap).all()
    assert {"test_rmse", "test_mae"} <= set(log.columns)
    summ = runs.summary()
    test = summ[(summ.subset == "test") & (summ.metric == "rmse")].iloc[0]
    assert test["mean"] == pytest.approx(np.mean([o.metrics["test"]["rmse"] for o in runs.outcomes]))
    rows = runs.rows(paper="xia", table="table2")
    assert {r.model for r in rows} == {"Aljunid"} and all(r.encoder_text == r.encoder_image == "" for r in rows)
    per_run = {(r.subset, r.metric, r.seed): r for r in rows if r.seed is not None}
    assert {("test", "rmse", 0), ("test", "rmse", 1), ("test", "mae", 0), ("val", "rmse", 1)} <= set(per_run)
    run = per_run[("test", "rmse", 1)]
    assert run.value == runs.of("default")[1].metrics["test"]["rmse"] and run.n_seeds == 1 and run.std is None
    assert run.epoch_cap == 4 and run.patience == 1 and run.best_epoch == runs.of("default")[1].best_epoch
    assert [r.n_seeds for r in rows if r.metric == "best_epoch_max"] == [2]        # a max over both seeds
    assert run.run_key.startswith("aljunid-") and len(run.code_fingerprint) == 12 and len(run.feature_hash) == 16
    again = experiment.replicate("aljunid", {"default": AljunidConfig(**TINY)}, [0, 1], exp, train,
                                 root=tmp_path, progress=False)
    assert all(o.reused for o in again.outcomes)
    assert [o.metrics for o in again.outcomes] == [o.metrics for o in runs.outcomes]
