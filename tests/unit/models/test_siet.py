"""Siet et al. replica: history without leakage, shapes, overfitting, registry."""
from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

torch = pytest.importorskip("torch")

from mmrec_core import experiment  # noqa: E402
from mmrec_core.data import Split  # noqa: E402
from mmrec_core.models import get_model  # noqa: E402
from mmrec_core.models.siet import SietConfig, add_history, build_siet, candidate_frame, history_arrays  # noqa: E402
from mmrec_core.notebook import DataContext

TINY = dict(item_dim=6, n_head=2, hidden=(16, 8), dropout=0.0)


pytestmark = pytest.mark.usefixtures("torch_one_thread")  # tests/conftest.py


@pytest.fixture(scope="module")
def base(synthetic_home_ro):
    ctx = DataContext(dataset="ml-100k", data_home=synthetic_home_ro, profile="quick")
    return experiment.prepare(ctx, split_seed=0)


@pytest.fixture(scope="module")
def exp(base):
    return add_history(base, 3)


def _hist(train, query, window):
    return history_arrays(train.user_id, train.timestamp, train.item_id, train.item_id * 10,
                          train.rating, query.user_id, query.timestamp, window)


def test_history_order_truncation_padding_and_strictly_earlier():
    train = pd.DataFrame({"user_id": [1, 1, 1, 1, 1, 2, 1],
                          "item_id": [5, 3, 4, 9, 8, 7, 6],
                          "timestamp": [10, 20, 20, 30, 40, 5, 50],
                          "rating": [1.0, 2.0, 3.0, 4.0, 5.0, 2.0, 4.0]})
    query = pd.DataFrame({"user_id": [1, 1, 1, 2, 3, 1], "timestamp": [45, 20, 10, 100, 100, 30]})
    rows, ratings, mask = _hist(train, query, 3)
    # user 1 at t=45: earlier ratings by time 10(5) 20(3,4: ties by item id) 30(9) 40(8) -> last 3
    assert rows[0].tolist() == [40, 90, 80] and ratings[0].tolist() == [3.0, 4.0, 5.0] and mask[0].all()
    # at t=20: only t=10 is strictly earlier (the two ratings of second 20 are not history)
    assert rows[1].tolist() == [0, 0, 50] and mask[1].tolist() == [False, False, True]
    assert ratings[1].tolist() == [0.0, 0.0, 1.0]
    assert not mask[2].any() and (rows[2] == 0).all()          # nothing before the first rating
    assert rows[3].tolist() == [0, 0, 70]                      # user 2: one rating, not user 1's
    assert not mask[4].any()                                   # a user without training ratings
    assert rows[5].tolist() == [50, 30, 40]                    # t=30: 10, 20, 20 (ties by item id)


def test_history_tensors_use_training_ratings_only(exp):
    train = exp.split.train
    for name, frame in exp.split.parts().items():
        d = exp.data[name]
        w = d["hist_item_row"].shape[1]
        assert w == 3 and d["hist_rating"].shape == d["hist_mask"].shape == (len(frame), w)
        rows, mask = d["hist_item_row"].numpy(), d["hist_mask"].numpy()
        assert (rows[~mask] == 0).all() and (d["hist_rating"].numpy()[~mask] == 0).all()
        # every history entry is a training rating of the same user strictly before the target
        i = np.random.default_rng(0).choice(len(frame), size=min(200, len(frame)), replace=False)
        for j in i:
            u, t = frame.user_id.iloc[j], frame.timestamp.iloc[j]
            earlier = train[(train.user_id == u) & (train.timestamp < t)].sort_values(["timestamp", "item_id"])
            want = exp.encoder.item_rows(earlier.item_id.to_numpy())[-w:]
            got = rows[j][mask[j]]
            assert got.tolist() == want.tolist()
            assert d["hist_rating"].numpy()[j][mask[j]].tolist() == earlier.rating.to_numpy()[-w:].tolist()
    assert exp.identity["history_window"] == 3


def test_changing_a_test_rating_changes_no_other_input(base, exp):
    split = base.split
    test = split.test.copy()
    test.loc[test.index[0], "rating"] = 1.0 if test.rating.iloc[0] != 1 else 5.0
    parts = {"train": split.train, "val": split.val, "test": test}
    changed = add_history(experiment.Experiment(
        base.dataset, Split(split.name, split.seed, split.train, split.val, test), base.encoder,
        {n: base.encoder.transform(f) for n, f in parts.items()}, base.identity), 3)
    for subset in ("train", "val", "rank"):
        for key, t in exp.data[subset].items():
            torch.testing.assert_close(changed.data[subset][key], t, equal_nan=True, msg=f"{subset}/{key}")
    for key, t in exp.data["test"].items():
        if key == "rating":
            assert (changed.data["test"][key] != t).sum() == 1 and changed.data["test"][key][0] != t[0]
        else:
            torch.testing.assert_close(changed.data["test"][key], t, msg=f"test/{key}")


def test_candidates_are_unrated_items_of_test_users(exp):
    cand = candidate_frame(exp.split, exp.encoder.item_ids)
    seen = set(zip(exp.split.train.user_id, exp.split.train.item_id)) | set(zip(exp.split.val.user_id, exp.split.val.item_id))
    pairs = set(zip(cand.user_id, cand.item_id))
    assert not pairs & seen
    assert set(cand.user_id) == set(exp.split.test.user_id)
    n_items = len(exp.encoder.item_ids)
    for u in list(set(cand.user_id))[:5]:
        assert (cand.user_id == u).sum() == n_items - len({i for v, i in seen if v == u})
    assert set(zip(exp.split.test.user_id, exp.split.test.item_id)) <= pairs
    assert cand.rating.isna().all()
    rank = exp.data["rank"]
    assert len(rank["rating"]) == len(cand) and rank["hist_item_row"].shape == (len(cand), 3)


def test_shapes_predict_range_and_window_check(exp):
    batch = {k: v[:7] for k, v in exp.data["train"].items()}
    model = build_siet(SietConfig(**TINY, window=3), exp.encoder)
    out, loss = model(batch)
    assert out.shape == (7,) and loss.ndim == 0
    p = model.eval().predict(batch)
    assert bool(((p >= 1) & (p <= 5)).all())
    with pytest.raises(ValueError, match="window"):
        build_siet(SietConfig(**TINY, window=4), exp.encoder)(batch)


def test_padded_history_positions_do_not_change_the_output(exp):
    torch.manual_seed(0)
    model = build_siet(SietConfig(**TINY, window=3), exp.encoder).eval()
    d = exp.data["train"]
    j = torch.nonzero(~d["hist_mask"][:, 0] & d["hist_mask"][:, -1])[:4, 0]
    batch = {k: v[j].clone() for k, v in d.items()}
    before = model(batch)[0]
    batch["hist_item_row"][:, 0] = 3        # garbage behind the mask
    batch["hist_rating"][:, 0] = 0.0
    torch.testing.assert_close(model(batch)[0], before)


def test_bf16_attention_matches_fused(exp):
    from mmrec_core.models.siet import attention

    g = torch.Generator().manual_seed(0)
    q, k, v = (torch.randn(4, 2, 5, 6, generator=g) for _ in range(3))
    mask = torch.ones(4, 1, 1, 5, dtype=torch.bool)
    mask[0, ..., :3] = False
    ref = attention(q, k, v, mask)
    got = attention(q.bfloat16(), k.bfloat16(), v.bfloat16(), mask).float()
    torch.testing.assert_close(got, ref, atol=3e-2, rtol=3e-2)


def test_overfits_a_tiny_batch(exp):
    torch.manual_seed(0)
    model = build_siet(SietConfig(**TINY, window=3), exp.encoder)
    batch = {k: v[:32] for k, v in exp.data["train"].items()}
    opt = torch.optim.Adam(model.parameters(), lr=1e-2)
    start = model(batch)[1].item()
    for _ in range(200):
        loss = model(batch)[1]
        opt.zero_grad()
        loss.backward()
        opt.step()
    assert loss.item() < 0.2 * start


def test_registry_builds_and_replicates(exp, tmp_path):
    from mmrec_core.train import TrainConfig

    entry = get_model("siet")
    model = entry.build_model(entry.config(**TINY, window=3), exp.encoder)
    assert model.__class__.__name__ == "Siet" and entry.content_used(entry.config(), exp.encoder) == []
    runs = experiment.replicate("siet", {"siet": SietConfig(**TINY, window=3)}, [0], exp,
                                TrainConfig(epochs=2, batch_size=256, patience=1, progress=False, num_threads=1),
                                root=tmp_path, progress=False)
    o = runs.outcomes[0]
    assert set(o.metrics["test"]) == {"rmse", "mae"} and "rank/predict" in o.predictions
    assert len(o.predictions["rank/predict"]) == len(exp.data["rank"]["rating"])
