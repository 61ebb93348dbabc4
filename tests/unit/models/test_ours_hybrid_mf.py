"""Ours (not a replica): biased MF with low-rank content corrections, and the cold-start slices."""
from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

torch = pytest.importorskip("torch")

from mmrec_core import experiment, slices  # noqa: E402
from mmrec_core.models import get_model  # noqa: E402
from mmrec_core.models.ours_hybrid_mf import HybridMFConfig, ablation_variants, build_hybrid_mf  # noqa: E402
from mmrec_core.notebook import DataContext

pytestmark = pytest.mark.usefixtures("torch_one_thread")  # tests/conftest.py


@pytest.fixture(scope="module")
def exp(synthetic_home_ro):
    ctx = DataContext(dataset="ml-100k", data_home=synthetic_home_ro, profile="quick")
    return experiment.prepare(ctx, split_seed=0, text_encoder="tiny-bert", text_fields=("title", "plot"),
                              image_encoder="tiny-cnn", device="cpu")


def _batch(exp, n=16):
    return {k: v[:n].clone() for k, v in exp.data["train"].items()}


def test_untrained_hybrid_is_exactly_biased_mf(exp):
    """Content maps start at zero: before training, the hybrid predicts what plain MF predicts."""
    torch.manual_seed(0)
    hybrid = build_hybrid_mf(HybridMFConfig(factors=4, content_rank=2), exp.encoder).eval()
    torch.manual_seed(0)
    plain = build_hybrid_mf(ablation_variants(HybridMFConfig(factors=4))["mf"], exp.encoder).eval()
    batch = _batch(exp)
    torch.testing.assert_close(hybrid(batch)[0], plain(batch)[0])
    expected = exp.encoder.train_mean + (plain.p(batch["user"]) * plain.q(batch["item"])).sum(-1)
    torch.testing.assert_close(plain(batch)[0], expected)


def test_content_moves_the_prediction_of_a_movie_through_its_factor_and_bias(exp):
    torch.manual_seed(0)
    model = build_hybrid_mf(HybridMFConfig(factors=4, content_rank=2), exp.encoder).eval()
    with torch.no_grad():
        model.genre.bias[-1] = 0.5                       # the bias coordinate of the genre map
    batch = _batch(exp)
    base = build_hybrid_mf(HybridMFConfig(factors=4, content_rank=2), exp.encoder).eval()
    base.load_state_dict(model.state_dict())
    with torch.no_grad():
        base.genre.bias[-1] = 0.0
    torch.testing.assert_close(model(batch)[0] - base(batch)[0], torch.full((16,), 0.5))


def test_missing_modalities_read_a_learned_vector(exp):
    model = build_hybrid_mf(HybridMFConfig(factors=4, content_rank=2), exp.encoder).eval()
    plot = exp.encoder.content["text_plot"]
    masked = torch.as_tensor(np.flatnonzero(~plot.mask[1:])[:2] + 1)
    with torch.no_grad():
        model.content["text_plot"].missing.fill_(0.25)
    torch.testing.assert_close(model.content["text_plot"](masked), torch.full((2, 5), 0.25))


def test_ablation_variants_read_only_their_inputs(exp):
    entry = get_model("hybrid_mf")
    v = ablation_variants(HybridMFConfig())
    assert list(v) == ["mf", "structured", "+text", "+poster", "hybrid"]
    assert entry.content_used(v["mf"], exp.encoder) == [] and entry.content_used(v["structured"], exp.encoder) == []
    assert entry.content_used(v["+text"], exp.encoder) == ["text_plot", "text_title"]
    assert entry.content_used(v["+poster"], exp.encoder) == ["image"]
    assert entry.content_used(v["hybrid"], exp.encoder) == ["text_plot", "text_title", "image"]
    mf = build_hybrid_mf(v["mf"], exp.encoder)
    assert mf.genre is None and mf.attributes is None and len(mf.content) == 0


def test_l2_penalty_only_in_training(exp):
    model = build_hybrid_mf(HybridMFConfig(factors=4), exp.encoder)
    batch = _batch(exp)
    model.train()
    train_loss = float(model(batch)[1].detach())
    model.eval()
    assert train_loss > float(model(batch)[1].detach())


def test_slices_bin_by_training_counts_and_score_each_model(exp):
    split = exp.split
    counts = slices.training_counts(split, "item")
    expected = split.test.item_id.map(split.train.item_id.value_counts()).fillna(0).to_numpy()
    np.testing.assert_array_equal(counts, expected)
    assert slices.assign_bins([0, 5, 6, 20, 21, 100, 101]).tolist() == [0, 0, 1, 1, 2, 2, 3]
    assert slices.bin_labels() == ["0-5", "6-20", "21-100", ">100"]
    y = split.test.rating.to_numpy(float)
    perfect, off_by_one = [y.copy()], [y + 1.0, y - 1.0]
    table = slices.slice_table(split, {"perfect": perfect, "off": off_by_one}, edges=(5, 20, 40))
    assert set(table["by"]) == {"item", "user"}
    assert np.allclose(table[table.model == "perfect"].rmse, 0.0) and np.allclose(table[table.model == "off"].rmse, 1.0)
    for by in ("item", "user"):
        assert table[(table["by"] == by) & (table.model == "off")].test_ratings.sum() == len(y)
    assert table[table.model == "perfect"]["std"].isna().all()         # one seed: no std
    rows = slices.slice_rows(table, exp)
    assert len(rows) == len(table) and all(r.table == "slices" for r in rows)
    assert isinstance(table, pd.DataFrame)


def test_recorded_slice_rows_read_back_as_the_slice_table(exp):
    from mmrec_core.papers import rows_frame

    y = exp.split.test.rating.to_numpy(float)
    rng = np.random.default_rng(0)
    preds = {"Item-CF": [y + rng.normal(0, 0.5, len(y)) for _ in range(2)], "SVD++": [y + 0.25]}
    table = slices.slice_table(exp.split, preds, edges=(5, 20, 40))
    # two pages record the same model's slices under their own tables: the sources say which is read
    rows = rows_frame(slices.slice_rows(table, exp) + slices.slice_rows(table, exp, result_table="other"))
    assert (rows.subset == "test").all() and set(rows.slice_by) == {"item", "user"} and rows.n_ratings.notna().all()
    sources = {"SVD++": "slices", "Item-CF": "slices"}
    back = slices.recorded_table(rows, sources, dataset=exp.identity["dataset"], edges=(5, 20, 40))
    assert set(slices.recorded_table(rows, sources, dataset=exp.identity["dataset"]).bin) <= {"0-5", "6-20"}  # other edges
    assert len(back) == len(table)
    merged = back.merge(table, on=["model", "by", "bin"], suffixes=("", "_orig"))
    assert len(merged) == len(table)
    np.testing.assert_allclose(merged.rmse, merged.rmse_orig)
    assert (merged.test_ratings == merged.test_ratings_orig).all() and (merged.seeds == merged.seeds_orig).all()
    assert back[back.model == "SVD++"]["std"].isna().all()
    for by in ("item", "user"):   # bins in the order of their lower bound
        labels = list(dict.fromkeys(back[back["by"] == by].bin))
        assert labels == slices.bin_labels_sorted(labels)
    assert slices.bin_labels_sorted([">40", "21-40", "0-5", "6-20"]) == ["0-5", "6-20", "21-40", ">40"]
    assert slices.recorded_table(rows, sources, dataset="ml-1m").empty
    only = slices.recorded_table(rows, {"SVD++": "other", "Item-CF": "slices", "nobody": "slices"},
                                 dataset=exp.identity["dataset"], edges=(5, 20, 40))
    assert list(dict.fromkeys(only.model)) == ["SVD++", "Item-CF"]
