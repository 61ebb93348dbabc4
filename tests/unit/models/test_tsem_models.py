"""The CityU report's four models (NN, MF, MF_NN, TSEM) and their inputs, on synthetic data."""
from __future__ import annotations

import numpy as np
import pytest

torch = pytest.importorskip("torch")

from mmrec_core import experiment, tsem_eval, tsem_inputs  # noqa: E402
from mmrec_core.models import get_model  # noqa: E402
from mmrec_core.models.tsem import TSEMConfig, build_tsem  # noqa: E402
from mmrec_core.models.tsem_mf import TsemMFConfig, build_tsem_mf  # noqa: E402
from mmrec_core.models.tsem_mf_nn import TsemMFNNConfig, build_tsem_mf_nn  # noqa: E402
from mmrec_core.models.tsem_nn import TsemNNConfig, build_tsem_nn  # noqa: E402
from mmrec_core.notebook import DataContext
from mmrec_core.train import TrainConfig  # noqa: E402

pytestmark = pytest.mark.usefixtures("torch_one_thread")  # tests/conftest.py

SMALL = {
    "tsem_nn": TsemNNConfig(embed_dim=4, hidden=(8, 4)),
    "tsem_mf": TsemMFConfig(factors=4),
    "tsem_mf_nn": TsemMFNNConfig(factors=4, item_dim=8, hidden=(8,)),
    "tsem": TSEMConfig(dim=8, content_hidden=(8,), branch_dim=8, freq_dim=4, head_dim=8),
}


@pytest.fixture(scope="module")
def exp(synthetic_home_ro):
    ctx = DataContext(dataset="ml-100k", data_home=synthetic_home_ro, profile="quick")
    base = experiment.prepare(ctx, split_seed=0, split_fractions=(0.8, 0.1, 0.1), text_encoder="tiny-bert",
                              text_fields=("plot",), image_encoder="tiny-cnn", device="cpu",
                              text_preprocess={"max_length": 64, "remove_stop_words": True, "lemmatize": True,
                                               "remove_punctuation": True})
    return tsem_inputs.add_tsem_inputs(base, home=synthetic_home_ro)


def _batch(exp, n=16, subset="train"):
    return {k: v[:n].clone() for k, v in exp.data[subset].items()}


def test_split_is_named_by_its_fractions_and_disjoint(exp):
    assert exp.identity["split"] == "random-80-10-10"
    parts = exp.split.parts()
    n = sum(len(p) for p in parts.values())
    assert len(parts["train"]) == round(0.8 * n) or abs(len(parts["train"]) - 0.8 * n) <= 1
    keys = [set(zip(p.user_id, p.item_id)) for p in parts.values()]
    assert not (keys[0] & keys[1]) and not (keys[0] & keys[2]) and not (keys[1] & keys[2])


def test_genre_frequency_uses_training_ratings_only(exp):
    train = exp.split.train
    user = int(train.user_id.iloc[0])
    rows = exp.encoder.item_rows(train.item_id[train.user_id == user].to_numpy())
    expected = exp.encoder.genre_table[rows].mean(0)
    freq = tsem_inputs.user_genre_frequency(train, exp.encoder)
    np.testing.assert_allclose(freq[user], expected, rtol=1e-6)
    # the tensor of a test rating carries its user's training frequency, whatever its own movie
    test = exp.split.test
    j = int(np.flatnonzero(test.user_id.to_numpy() == user)[0]) if (test.user_id == user).any() else None
    if j is not None:
        np.testing.assert_allclose(exp.data["test"]["user_genre_freq"][j].numpy(), expected, rtol=1e-6)
    # changing a test rating's movie changes nothing in the frequencies
    moved = test.assign(item_id=test.item_id.iloc[::-1].to_numpy())
    again = tsem_inputs.frequency_tensor(moved, freq, exp.encoder.genre_table.shape[1])
    torch.testing.assert_close(again, exp.data["test"]["user_genre_freq"])


def test_cast_table_is_a_multi_hot_of_frequent_members_with_missing_movies_masked(exp, synthetic_home_ro):
    cast = exp.encoder.content["cast"]
    item_ids, members, table = tsem_inputs.load_cast(exp.dataset, synthetic_home_ro, min_movies=2)
    assert table.shape == (len(item_ids), len(members)) and set(np.unique(table)) <= {0.0, 1.0}
    assert (table.sum(0) >= 2).all()                                   # every member is in >= 2 movies
    rows = exp.encoder.item_rows(item_ids)
    np.testing.assert_array_equal(cast.values[rows], table)
    assert cast.mask[rows].all() and not cast.mask[0]
    missing = np.setdiff1d(exp.encoder.item_ids, item_ids)
    assert len(missing) > 0 and not cast.mask[exp.encoder.item_rows(missing)].any()


def test_missing_details_file_names_the_file(exp, tmp_path):
    from mmrec_core.data import DataFileMissing

    with pytest.raises(DataFileMissing, match="ml100k_imdb_details.json"):
        tsem_inputs.load_cast(exp.dataset, tmp_path)


@pytest.mark.parametrize("name", list(SMALL))
def test_shapes_losses_and_clamped_predictions(exp, name):
    torch.manual_seed(0)
    model = get_model(name).build_model(SMALL[name], exp.encoder)
    batch = _batch(exp)
    out, loss = model(batch)
    assert out.shape == (16,) and loss.ndim == 0 and torch.isfinite(loss)
    p = model.predict(batch)
    assert p.shape == (16,) and bool(((p >= 1) & (p <= 5)).all())
    assert model({k: v for k, v in batch.items() if k != "rating"})[1] is None


def test_nn_reads_the_user_and_the_genres_only(exp):
    model = build_tsem_nn(SMALL["tsem_nn"], exp.encoder).eval()
    batch = _batch(exp)
    before = model(batch)[0]
    for k in ("item", "age", "gender", "occupation", "zip", "year", "user_genre_freq"):
        batch[k] = torch.zeros_like(batch[k])
    torch.testing.assert_close(before, model(batch)[0])


def test_mf_is_koren_biased_mf(exp):
    model = build_tsem_mf(SMALL["tsem_mf"], exp.encoder).eval()
    batch = _batch(exp)
    p, q, bu, bi = model.parts(batch)
    expected = exp.encoder.train_mean + bu + bi + (p * q).sum(-1)
    torch.testing.assert_close(model(batch)[0], expected)
    model.train()
    _, penalised = model(batch)
    model.eval()
    _, plain = model(batch)
    assert float(penalised.detach()) > float(plain)       # the L2 penalty is added in training only


def test_mf_nn_genre_classifier_adds_an_auxiliary_loss(exp):
    torch.manual_seed(0)
    cfg = SMALL["tsem_mf_nn"]
    model = build_tsem_mf_nn(cfg, exp.encoder).train()
    with_aux = float(model(_batch(exp))[1])
    model.cfg = TsemMFNNConfig(**{**cfg.to_dict(), "genre_weight": 0.0})
    without = float(model(_batch(exp))[1])
    assert with_aux > without
    probs = model.predict_genres(_batch(exp))
    assert probs.shape == (16, exp.encoder.genre_table.shape[1]) and bool(((probs > 0) & (probs < 1)).all())


def test_mf_nn_missing_description_reads_the_learned_vector(exp):
    model = build_tsem_mf_nn(SMALL["tsem_mf_nn"], exp.encoder).eval()
    text = exp.encoder.content["text_plot"]
    masked = np.flatnonzero(~text.mask[1:]) + 1
    assert len(masked) > 0, "the synthetic home should have movies without a plot"
    rows = torch.as_tensor(masked[:3])
    with torch.no_grad():
        model.text.missing.fill_(0.5)
        torch.testing.assert_close(model.text(rows), torch.full((3, model.text.out_dim), 0.5))


def test_tsem_has_no_item_embedding_and_adds_frequency_after_the_dot_product(exp):
    model = build_tsem(SMALL["tsem"], exp.encoder).eval()
    assert not any(isinstance(m, torch.nn.Embedding) and m.num_embeddings == exp.encoder.cardinalities["item"]
                   for m in model.modules() if m is not model.user)
    batch = _batch(exp)
    item = model.item_encoder(batch["item_row"])
    # the item vector does not depend on the user or the frequencies ("concatenated with the results of the dot product")
    batch2 = {**batch, "user_genre_freq": torch.rand_like(batch["user_genre_freq"]), "user": batch["user"].flip(0)}
    torch.testing.assert_close(model.item_encoder(batch2["item_row"]), item)
    assert not torch.allclose(model(batch)[0], model({**batch, "user_genre_freq": torch.rand_like(batch["user_genre_freq"])})[0])
    assert model.head[0].in_features == 1 + SMALL["tsem"].freq_dim


def test_tsem_without_posters_reads_no_image_table(exp):
    cfg = TSEMConfig(**{**SMALL["tsem"].to_dict(), "poster": "none"})
    assert "image" not in get_model("tsem").content_used(cfg, exp.encoder)
    assert "image" in get_model("tsem").content_used(SMALL["tsem"], exp.encoder)
    model = build_tsem(cfg, exp.encoder)
    assert model.image is None and model.backbone is None


def test_tsem_poster_finetuning_trains_the_cnn_once_per_unique_poster(synthetic_home_ro):
    ctx = DataContext(dataset="ml-100k", data_home=synthetic_home_ro, profile="quick")
    exp = tsem_inputs.add_tsem_inputs(
        experiment.prepare(ctx, split_fractions=(0.8, 0.1, 0.1), text_encoder="tiny-bert", text_fields=("plot",),
                           poster_size=32, device="cpu"), home=synthetic_home_ro, rank=False)
    cfg = TSEMConfig(**{**SMALL["tsem"].to_dict(), "poster": "finetune", "cnn_encoder": "tiny-cnn"})
    torch.manual_seed(0)
    model = build_tsem(cfg, exp.encoder).train()
    calls = []
    model.backbone.net.features.register_forward_hook(lambda m, i, o: calls.append(i[0].shape[0]))
    batch = {k: v[:64] for k, v in exp.data["train"].items()}
    out, loss = model(batch)
    loss.backward()
    assert calls == [int(torch.unique(batch["item_row"]).numel())]          # one pass per unique poster
    assert any(p.grad is not None and p.grad.abs().sum() > 0 for p in model.backbone.net.parameters())
    # augmentation only in training: eval predictions are deterministic
    model.eval()
    torch.testing.assert_close(model.predict(batch), model.predict(batch))


def test_all_four_train_with_early_stopping_and_the_report_metrics(exp, tmp_path):
    train = TrainConfig(lr=1e-2, epochs=30, batch_size=256, patience=2, progress=False)
    runs = None
    for name, cfg in SMALL.items():
        r = experiment.replicate(name, {"default": cfg}, [0, 1], exp, train, root=tmp_path, progress=False)
        runs = r if runs is None else runs + r
    log = runs.log()
    assert log.best_below_cap.all()
    metrics = tsem_eval.run_metrics(runs, exp, heavy_min=5, batch_users=5, n_batches=20)
    assert set(metrics.model) == {"NN", "MF", "MF_NN", "TSEM"} and len(metrics) == 8
    np.testing.assert_allclose(metrics.rmse ** 2, metrics.mse, rtol=1e-9)
    assert metrics.hr_at_10.between(0, 1).all() and metrics.ndcg_at_10.between(0, 1).all()
    assert metrics.hit_rate_pct.between(0, 100).all()
    assert metrics.heavy_test_ratings.iloc[0] > 0
    rows = tsem_eval.metric_rows(metrics, exp, variant_names={"default": ""}, heavy_min=5, batch_users=5, n_batches=20)
    hr = [r for r in rows if r.metric == "hr_at_10" and r.model == "MF" and r.seed is None]
    assert len(hr) == 1 and hr[0].n_seeds == 2 and hr[0].value == pytest.approx(metrics[metrics.model == "MF"].hr_at_10.mean())
    assert sum(r.metric == "hr_at_10" and r.seed is not None for r in rows) == 8
