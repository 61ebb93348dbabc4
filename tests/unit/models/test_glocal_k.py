"""GLocal-K (local kernel auto-encoder + global convolution kernel, L-BFGS) on tiny synthetic matrices."""
from __future__ import annotations

import dataclasses
import math
from collections.abc import Mapping

import pytest

torch = pytest.importorskip("torch")

from mmrec_core.data import canonical_split, load_canonical_split, load_movielens  # noqa: E402
from mmrec_core.inputs import RatingEncoder  # noqa: E402
from mmrec_core.models import get_model  # noqa: E402
from mmrec_core.models.glocal_k import (  # noqa: E402
    GlocalK,
    GlocalKConfig,
    GlocalKTrainConfig,
    KernelLayer,
    best_validation_epoch,
    build_glocal_k,
    fit_glocal_k,
    fit_parts,
    global_conv,
    global_kernel,
    local_kernel,
    merge_parts,
    optimistic_best_test_epoch,
    published_configs,
)

pytestmark = pytest.mark.usefixtures("torch_one_thread")  # tests/conftest.py

TINY = dict(hidden=(8, 8), kernel_dim=2)
TINY_TRAIN = dict(epochs_pretrain=2, epochs_finetune=4, iters_pretrain=3, iters_finetune=3, device="cpu")


@pytest.fixture(scope="module")
def u1(synthetic_home_ro):
    """The synthetic u1 fold with a 5% validation part carved from its base, as batch dicts."""
    ds = load_movielens("ml-100k", synthetic_home_ro)
    base, test = load_canonical_split(ds, "u1")
    split = canonical_split(base, test, "u1", seed=0)
    enc = RatingEncoder().fit(split.train, ds.users, ds.items, ds.genres)
    return enc, {name: enc.transform(frame) for name, frame in split.parts().items()}


def _fit(u1, seed=0, model=None, **train):
    enc, data = u1
    torch.manual_seed(seed)
    net = build_glocal_k(GlocalKConfig(**{**TINY, **(model or {})}), enc)
    res = fit_parts(net, data, GlocalKTrainConfig(**{**TINY_TRAIN, "seed": seed, **train}))
    return net, res


def _rmse(net, part):
    return math.sqrt(float((net.predict(part) - part["rating"]).square().mean()))


# ---------------------------------------------------------------------------------- kernels
def test_local_kernel_is_the_formula_and_zero_beyond_distance_one():
    u = torch.tensor([[[0.0, 0.0]], [[0.3, 0.4]], [[2.0, 0.0]]])          # (3, 1, 2)
    v = torch.tensor([[[0.0, 0.0], [0.6, 0.8], [0.0, 0.5]]])              # (1, 3, 2)
    k = local_kernel(u, v)
    expected = torch.tensor([[max(0.0, 1 - ((a - c) ** 2 + (b - d) ** 2)) for c, d in v[0].tolist()]
                             for a, b in u[:, 0].tolist()])
    torch.testing.assert_close(k, expected)
    assert k[0, 1] == 0.0                         # distance exactly 1: zero
    assert (k[2] == 0).all()                      # distance >= 1.5 from every v_j: zero
    assert k[0, 0] == 1.0 and k[1, 1] == pytest.approx(1 - 0.25) and k[0, 2] == pytest.approx(0.75)


def test_kernel_layer_multiplies_the_weights_elementwise():
    layer = KernelLayer(3, 2, kernel_dim=2, activation="sigmoid")
    x = torch.tensor([[1.0, 2.0, -1.0], [0.5, 0.0, 1.0]])
    y, k = layer(x)
    manual_k = local_kernel(layer.u, layer.v)
    torch.testing.assert_close(k, manual_k)
    torch.testing.assert_close(y, torch.sigmoid(x @ (layer.W * manual_k) + layer.b))
    with torch.no_grad():                         # move every v_j far away: the kernel, and so W_eff, is 0
        layer.v.add_(10.0)
    y, k = layer(x)
    assert (k == 0).all()
    torch.testing.assert_close(y, torch.sigmoid(layer.b).expand(2, 2))
    out = KernelLayer(2, 3, kernel_dim=1, activation="identity")
    z, _ = out(torch.ones(1, 2))
    torch.testing.assert_close(z, torch.ones(1, 2) @ (out.W * out.kernel()) + out.b)


def test_initialisation_follows_tensorflow_defaults():
    torch.manual_seed(0)
    layer = KernelLayer(300, 200, kernel_dim=5, activation="sigmoid")
    assert layer.W.abs().max() <= math.sqrt(6 / 500) and layer.b.abs().max() <= math.sqrt(3 / 200)
    assert layer.u.abs().max() <= 2e-3 and layer.v.abs().max() <= 2e-3
    assert (layer.kernel() > 0.9999).all()         # the local kernel starts near 1 everywhere


def test_global_kernel_and_convolution_match_a_hand_computation():
    recon = torch.tensor([[1.0, 3.0], [2.0, 2.0], [0.0, 4.0]])             # 3 items x 2 users
    conv = torch.arange(27, dtype=torch.float32).view(3, 9) / 10            # (n_items, 3 * 3)
    gk = global_kernel(recon, conv, dot_scale=0.5, gk_size=3)
    pooled = [2.0, 2.0, 2.0]                                                # item means over users
    expected = [0.5 * sum(pooled[i] * conv[i, j].item() for i in range(3)) for j in range(9)]
    torch.testing.assert_close(gk, torch.tensor(expected).view(3, 3))
    R = torch.tensor([[5.0, 0.0, 3.0, 1.0], [0.0, 4.0, 0.0, 2.0], [1.0, 0.0, 0.0, 5.0]])
    kernel = torch.tensor([[0.1, -0.2, 0.0], [0.3, 1.0, -0.5], [0.0, 0.2, -0.1]])
    manual = torch.zeros_like(R)
    for i in range(3):
        for j in range(4):
            s = sum(kernel[a, b] * R[i + a - 1, j + b - 1] for a in range(3) for b in range(3)
                    if 0 <= i + a - 1 < 3 and 0 <= j + b - 1 < 4)                   # zero 'same' padding
            manual[i, j] = max(float(s), 0.0)                                        # relu
    torch.testing.assert_close(global_conv(R, kernel), manual)
    k2 = torch.tensor([[1.0, 2.0], [3.0, 4.0]])     # even size: TensorFlow's SAME pads after, not before
    manual2 = torch.zeros_like(R)
    for i in range(3):
        for j in range(4):
            manual2[i, j] = sum(k2[a, b] * R[i + a, j + b] for a in range(2) for b in range(2)
                                if i + a < 3 and j + b < 4)
    torch.testing.assert_close(global_conv(R, k2), manual2)


# ------------------------------------------------------------------------------------ model
def test_the_real_folds_give_the_public_codes_matrix(real_home):
    """ML-100K u1..u5 with a 5% validation part: 1682 movie rows, 943 user columns, no test user unseen."""
    ds = load_movielens("ml-100k", real_home)
    for fold in ("u1", "u2", "u3", "u4", "u5"):
        base, test = load_canonical_split(ds, fold)
        split = canonical_split(base, test, fold, seed=0)
        enc = RatingEncoder().fit(split.train, ds.users, ds.items, ds.genres)
        assert len(enc.item_ids) == 1682 and enc.cardinalities["user"] - 1 == 943, fold
        assert set(test.user_id) <= set(enc.vocabs["user"]) and set(split.val.user_id) <= set(enc.vocabs["user"])


def test_shapes_matrix_layout_and_fallback(u1):
    enc, data = u1
    net = build_glocal_k(GlocalKConfig(**TINY), enc)
    n_users, n_items = enc.cardinalities["user"] - 1, len(enc.item_ids)
    assert [tuple(layer.W.shape) for layer in net.layers] == [(n_users, 8), (8, 8), (8, n_users)]
    assert [layer.activation for layer in net.layers] == ["sigmoid", "sigmoid", "identity"]
    assert tuple(net.conv_kernel.shape) == (n_items, 9) and tuple(net.ratings.shape) == (n_items, n_users)
    batch = {k: v[:5] for k, v in data["val"].items()}
    with pytest.raises(RuntimeError, match="fit_glocal_k"):
        net(batch)
    train = data["train"]
    gone = int(train["item_row"][0])                     # a movie none of whose ratings is given: an all-zero row
    kept = {k: v[train["item_row"] != gone] for k, v in train.items()}
    assert net.set_ratings(kept) == 0
    assert (net.ratings[gone - 1] == 0).all() and int((net.ratings > 0).sum()) == len(kept["rating"])
    assert net.set_ratings(train) == 0
    torch.testing.assert_close(net.ratings[train["item_row"] - 1, train["user"] - 1], train["rating"])
    assert int((net.ratings > 0).sum()) == len(train["rating"])
    out, loss = net(batch)
    assert out.shape == (5,) and loss.ndim == 0
    full = net.reconstruct()[0]
    torch.testing.assert_close(out, full[batch["item_row"] - 1, batch["user"] - 1])
    p = net.predict(batch)
    assert ((p >= 1) & (p <= 5)).all()
    stranger = {**batch, "user": torch.zeros(5, dtype=torch.long)}               # a user absent from training
    torch.testing.assert_close(net(stranger)[0], torch.full((5,), float(train["rating"].mean())))


def test_objective_and_fine_tuning_pass_by_hand(u1):
    enc, data = u1
    torch.manual_seed(0)
    net = build_glocal_k(GlocalKConfig(hidden=(4,), kernel_dim=2, lambda_2=3.0, lambda_s=0.5, dot_scale=2.0), enc)
    net.set_ratings(data["train"])
    R = net.ratings

    def ae(x):
        pen = 0.0
        for layer in net.layers:
            k = local_kernel(layer.u, layer.v)
            x = x @ (layer.W * k) + layer.b
            x = torch.sigmoid(x) if layer.activation == "sigmoid" else x
            pen = pen + 3.0 * layer.W.square().sum() / 2 + 0.5 * k.square().sum() / 2
        return x, pen

    pred, pen = ae(R)
    rated = (R > 0).float()
    torch.testing.assert_close(net.objective(), 0.5 * (rated * (R - pred)).square().sum() + pen)
    net.set_stage("finetune")
    pooled = pred.mean(1)
    kernel = (pooled @ net.conv_kernel * 2.0).view(3, 3)
    fine, pen2 = ae(torch.relu(torch.nn.functional.conv2d(R[None, None], kernel[None, None], padding=1))[0, 0])
    torch.testing.assert_close(net.reconstruct()[0], fine)
    torch.testing.assert_close(net.objective(), 0.5 * (rated * (R - fine)).square().sum() + pen2)
    assert net.stage_parameters()[-1] is net.conv_kernel
    net.set_stage("pretrain")
    assert all(p is not net.conv_kernel for p in net.stage_parameters())


# --------------------------------------------------------------------------------- training
def test_training_lowers_the_objective_and_the_training_error(u1):
    enc, data = u1
    torch.manual_seed(0)
    net = build_glocal_k(GlocalKConfig(**TINY), enc)
    net.set_ratings(data["train"])
    with torch.no_grad():
        start_objective, start_rmse = float(net.objective()), _rmse(net, data["train"])
    _, res = _fit(u1)
    h = res.history
    assert h["stage"] == ["pretrain"] * 2 + ["finetune"] * 4 and h["epoch"] == [1, 2, 3, 4, 5, 6]
    assert h["objective"][0] < start_objective and h["objective"][1] < h["objective"][0]
    assert h["objective"][-1] < h["objective"][2]                      # fine-tuning lowers its own objective
    assert min(h["train_rmse"]) < start_rmse
    assert {"val_rmse", "val_loss", "train_loss", "seconds", "evaluations"} <= set(h) and "test_rmse" not in h


def test_same_seed_same_numbers_other_seed_other_numbers(u1):
    enc, data = u1
    a, ra = _fit(u1, seed=3)
    b, rb = _fit(u1, seed=3)
    c, rc = _fit(u1, seed=4)
    assert ra.history["objective"] == rb.history["objective"] and ra.best_epoch == rb.best_epoch
    assert torch.equal(a.predict(data["test"]), b.predict(data["test"]))
    assert ra.history["objective"] != rc.history["objective"]


def test_the_published_protocol_keeps_the_lowest_test_epoch(u1):
    enc, data = u1
    history = {"epoch": [1, 2, 3, 4, 5], "stage": ["pretrain", "pretrain", "finetune", "finetune", "finetune"],
               "test_rmse": [0.5, 0.9, 0.95, 0.91, 0.91], "val_rmse": [0.1, 0.2, 0.8, 0.9, 0.7]}
    assert optimistic_best_test_epoch(history) == 4          # pre-training epochs are not candidates; first of ties
    assert best_validation_epoch(history) == 5
    net, res = _fit(u1, protocol="published")
    h = res.history
    assert "val_rmse" not in h and res.best_epoch == optimistic_best_test_epoch(h)
    assert h["test_rmse"][res.best_epoch - 1] == min(r for r, s in zip(h["test_rmse"], h["stage"]) if s == "finetune")
    assert _rmse(net, data["test"]) == pytest.approx(h["test_rmse"][res.best_epoch - 1], abs=1e-6)
    merged = merge_parts(data["train"], data["val"])         # the whole .base trains under the published protocol
    assert int((net.ratings > 0).sum()) == len(merged["rating"])


class _Sealed(Mapping):
    """The parts of an experiment whose test part raises when read."""

    def __init__(self, data):
        self.data = data

    def __getitem__(self, key):
        if key == "test":
            raise AssertionError("the 'ours' protocol read the test part")
        return self.data[key]

    def __iter__(self):
        return iter(self.data)

    def __len__(self):
        return len(self.data)


def test_the_ours_protocol_never_reads_test(u1):
    enc, data = u1
    torch.manual_seed(0)
    net = build_glocal_k(GlocalKConfig(**TINY), enc)
    res = fit_parts(net, _Sealed(data), GlocalKTrainConfig(**TINY_TRAIN))
    assert res.best_epoch == best_validation_epoch(res.history) and res.best_epoch > 2   # a fine-tuning epoch
    assert "test_rmse" not in res.history
    assert res.best_val_rmse == pytest.approx(_rmse(net, data["val"]), abs=1e-6)   # the chosen epoch's weights
    with pytest.raises(ValueError, match="never reads the test set"):
        fit_glocal_k(net, data["train"], data["val"], GlocalKTrainConfig(**TINY_TRAIN), test=data["test"])
    with pytest.raises(ValueError, match="pass test="):
        fit_glocal_k(net, data["train"], None, GlocalKTrainConfig(**TINY_TRAIN, protocol="published"))


def test_an_interrupted_run_resumes_to_the_same_numbers(u1, tmp_path):
    enc, data = u1
    full_net, full = _fit(u1)
    torch.manual_seed(0)
    net = build_glocal_k(GlocalKConfig(**TINY), enc)
    cfg = GlocalKTrainConfig(**TINY_TRAIN, checkpoint_dir=str(tmp_path))
    first = fit_parts(net, data, cfg, stop_after_epochs=3)
    assert len(first.history["epoch"]) == 3
    torch.manual_seed(1)                                     # a fresh process: other initial weights
    net = build_glocal_k(GlocalKConfig(**TINY), enc)
    again = fit_parts(net, data, cfg)
    assert again.resumed_from == 3 and again.history["objective"] == full.history["objective"]
    assert again.best_epoch == full.best_epoch
    assert torch.equal(net.predict(data["val"]), full_net.predict(data["val"]))


def test_patience_stops_fine_tuning_early(u1):
    _, res = _fit(u1, epochs_finetune=8, patience=1)
    h = res.history
    assert len(h["epoch"]) < 2 + 8
    assert h["epoch"][-1] - best_validation_epoch(h) == 1


# ------------------------------------------------------------------------ hyperparameters
MODEL_CHANGES = {"hidden": (6, 6), "kernel_dim": 3, "lambda_2": 5.0, "lambda_s": 0.5, "gk_size": 1,
                 "dot_scale": 3.0}
TRAIN_CHANGES = {"epochs_pretrain": 1, "epochs_finetune": 3, "iters_pretrain": 5, "iters_finetune": 2,
                 "history_size": 2, "optimizer": "torch-lbfgs", "protocol": "published", "patience": 1,
                 "seed": 1}
NOT_NUMBERS = {"device", "num_threads", "progress", "checkpoint_dir", "eval_batch_size", "bf16"}


def test_every_parameter_is_tested_below():
    assert set(MODEL_CHANGES) == {f.name for f in dataclasses.fields(GlocalKConfig)}
    assert set(TRAIN_CHANGES) | {"lr"} | NOT_NUMBERS == {f.name for f in dataclasses.fields(GlocalKTrainConfig)}


def _numbers(net, res, data):
    return res.history["objective"], net.predict(data["val"])


def _differs(a, b):
    return a[0] != b[0] or not torch.allclose(a[1], b[1], atol=1e-6)


@pytest.mark.parametrize("name", sorted(MODEL_CHANGES) + sorted(TRAIN_CHANGES) + ["lr"])
def test_changing_each_hyperparameter_changes_the_result(u1, name):
    """Surprise's habit: no parameter is silently ignored (lr: the torch-lbfgs stand-in's only)."""
    enc, data = u1
    base_train = {"epochs_finetune": 5, **({"optimizer": "torch-lbfgs"} if name == "lr" else {}),
                  # a memory of 2 pairs differs from 10 only after 3 iterations of one L-BFGS call
                  **({"iters_pretrain": 5, "iters_finetune": 5} if name == "history_size" else {})}
    base = _numbers(*_fit(u1, **base_train), data)
    if name in MODEL_CHANGES:
        changed = _fit(u1, model={name: MODEL_CHANGES[name]}, **base_train)
    else:
        value = 0.5 if name == "lr" else TRAIN_CHANGES[name]
        changed = _fit(u1, **{**base_train, name: value, **({"seed": value} if name == "seed" else {})})
    assert _differs(base, _numbers(*changed, data))


def test_configs_refuse_what_they_cannot_do():
    with pytest.raises(ValueError, match="optimizer"):
        GlocalKTrainConfig(optimizer="adam")
    with pytest.raises(ValueError, match="protocol"):
        GlocalKTrainConfig(protocol="test")
    with pytest.raises(ValueError, match="fixed epochs"):
        GlocalKTrainConfig(protocol="published", patience=3)
    with pytest.raises(ValueError, match="bf16"):
        GlocalKTrainConfig(bf16=True)
    with pytest.raises(ValueError, match="positive"):
        GlocalKConfig(hidden=())
    model, train = published_configs("ml-1m")
    assert (model.lambda_2, model.lambda_s, model.dot_scale) == (70.0, 0.018, 0.5)
    assert (train.epochs_pretrain, train.epochs_finetune, train.iters_pretrain, train.iters_finetune) == (20, 30, 50, 10)
    model, train = published_configs("ml-100k", protocol="published")
    assert model == GlocalKConfig() and train == GlocalKTrainConfig(protocol="published") and train.epochs == 90
    with pytest.raises(KeyError, match="ml-100k"):
        published_configs("douban")


# ------------------------------------------------------------------------------- registry
def test_registry_entry_and_the_shared_trainer_refuses_clearly(u1):
    from mmrec_core.train import TrainConfig, fit

    enc, data = u1
    entry = get_model("glocal_k")
    assert entry.label == "GLocal-K" and set(entry.metrics) == {"rmse", "mae"}
    net = entry.build_model(entry.config(**TINY), enc)
    assert isinstance(net, GlocalK) and entry.content_used(entry.config(), enc) == []
    assert entry.config().to_dict()["hidden"] == (500, 500)
    with pytest.raises(RuntimeError, match="not from mini-batches"):
        fit(net, data["train"], data["val"], TrainConfig(epochs=1, progress=False, device="cpu"))


def test_auto_device_fits(u1):
    """device='auto' resolves (CUDA when present) and the run ends on that device."""
    enc, data = u1
    from mmrec_core.device import resolve_device

    torch.manual_seed(0)
    net = build_glocal_k(GlocalKConfig(**TINY), enc)
    res = fit_parts(net, data, GlocalKTrainConfig(**{**TINY_TRAIN, "device": "auto", "epochs_finetune": 1}))
    assert res.device == str(resolve_device("auto")) and net.ratings.device.type == resolve_device("auto").type


def test_the_run_cache_trains_it_with_its_own_trainer_and_reuses_the_run(synthetic_home_ro, tmp_path):
    from mmrec_core import experiment
    from mmrec_core.notebook import DataContext

    exp = experiment.prepare(DataContext(dataset="ml-100k", data_home=synthetic_home_ro, profile="quick"), split_seed=0)
    train = GlocalKTrainConfig(**TINY_TRAIN)
    first = experiment.replicate("glocal_k", {"ours": GlocalKConfig(**TINY)}, [0], exp, train, root=tmp_path, progress=False)
    again = experiment.replicate("glocal_k", {"ours": GlocalKConfig(**TINY)}, [0], exp, train, root=tmp_path, progress=False)
    (a,), (b,) = first.outcomes, again.outcomes
    assert not a.reused and b.reused and a.metrics == b.metrics
    assert a.epoch_cap == train.epochs and 1 <= a.best_epoch <= train.epochs
    assert 0.5 < a.metrics["test"]["rmse"] < 2.5 and a.predictions["test/predict"].min() >= 1
