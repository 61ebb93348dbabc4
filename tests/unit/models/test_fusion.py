"""FusionTransformer (Xia et al. section 3) and the shared input encoder, on tiny configs."""
from __future__ import annotations

import math

import numpy as np
import pytest

torch = pytest.importorskip("torch")

from mmrec_core.data import load_content, load_movielens, xia_split  # noqa: E402
from mmrec_core.evaluate import argmax_rating, expected_rating, rmse  # noqa: E402
from mmrec_core.features.modality import ItemModality  # noqa: E402
from mmrec_core.inputs import RatingEncoder, age_group  # noqa: E402
from mmrec_core.models.fusion import FusionConfig, build_fusion, sinusoidal_position_encoding, upsample_widths  # noqa: E402
from mmrec_core.train import TrainConfig, fit, predict  # noqa: E402

pytestmark = pytest.mark.usefixtures("torch_one_thread")  # tests/conftest.py


TINY = dict(d_model=16, n_head=2, d_ff=32, embed_dim=4, dropout=0.0)


def _encoder(home, name="ml-100k", text_keys=("text_title", "text_plot")):
    ds = load_movielens(name, home)
    content = load_content(ds)
    split = xia_split(ds.ratings, 0)
    rng = np.random.default_rng(0)
    ids = ds.items.item_id.to_numpy()
    has_text = ds.items[["item_id"]].merge(content, on="item_id").has_text.to_numpy()
    has_poster = ds.items[["item_id"]].merge(content, on="item_id").has_poster.to_numpy()
    enc = RatingEncoder().fit(split.train, ds.users, ds.items, ds.genres)
    for k in text_keys:
        enc.add_modality(k, ItemModality("text", "random", ids, rng.normal(size=(len(ids), 6)), has_text))
    enc.add_modality("image", ItemModality("image", "random", ids, rng.normal(size=(len(ids), 10)), has_poster))
    return ds, split, enc


@pytest.fixture(scope="module")
def setup(tmp_path_factory):
    from mmrec_core.data import write_synthetic_movielens

    home = write_synthetic_movielens(tmp_path_factory.mktemp("fusion-home"))
    return (home,) + _encoder(home)


def test_position_encoding_matches_eqs_4_and_5_by_hand():
    d = 6
    pe = sinusoidal_position_encoding(4, d)
    for pos in range(4):
        for i in range(d // 2):
            assert pe[pos, 2 * i].item() == pytest.approx(math.sin(pos / 10000 ** (2 * i / d)), abs=1e-6)
            assert pe[pos, 2 * i + 1].item() == pytest.approx(math.cos(pos / 10000 ** (2 * i / d)), abs=1e-6)
    assert pe[0].tolist() == [0, 1, 0, 1, 0, 1]


def test_upsampling_grows_step_by_step_to_width():
    assert upsample_widths(16, 768, 4) == [16, 64, 256, 768]
    assert upsample_widths(4, 16, 4) == [4, 16]


def test_age_groups_follow_ml1m_coding():
    assert age_group([1, 17, 18, 24, 25, 56, 73]).tolist() == [1, 1, 2, 2, 3, 7, 7]


def test_encoder_vocab_from_train_only_unknown_is_zero(setup):
    home, ds, split, enc = setup
    test = split.test.copy()
    test.loc[test.index[0], "user_id"] = ds.users.user_id.max()  # keep a real user
    fresh = RatingEncoder().fit(split.train[split.train.user_id != test.user_id.iloc[0]],
                                ds.users, ds.items, ds.genres)
    t = fresh.transform(test)
    assert t["user"][0].item() == 0
    assert set(t) >= {"user", "age", "gender", "occupation", "zip", "item", "year", "item_row", "rating"}
    assert all(len(v) == len(test) for v in t.values())


def test_shapes_and_tokens(setup):
    _, ds, split, enc = setup
    batch = enc.transform(split.train.iloc[:7])
    for use_poster, n_tok in ((True, 12), (False, 11)):
        model = build_fusion(FusionConfig(**TINY, use_poster=use_poster), enc)
        logits, loss = model(batch)
        assert logits.shape == (7, 5) and loss.ndim == 0
        assert model.n_tokens == n_tok
        assert model.token_names[0] == "[CLS]" and model.token_names[-1] == "[SEP]"
        assert ("image" in model.token_names) == use_poster
        x, keep = model.tokens(batch)
        assert x.shape == (7, n_tok, 16) and keep.shape == (7, n_tok)
        p = model.predict(batch)
        assert p.shape == (7,) and bool(((p >= 1) & (p <= 5)).all())
        assert len(model.summary()) == n_tok + 2


def test_one_text_table_adds_release_decade_token(tmp_path):
    from mmrec_core.data import write_synthetic_movielens

    home = write_synthetic_movielens(tmp_path / "h")
    _, split, enc = _encoder(home, text_keys=("text",))
    model = build_fusion(FusionConfig(**TINY), enc)
    assert model.token_names[8:10] == ["text", "year"] and model.n_tokens == 12
    model(enc.transform(split.train.iloc[:3]))


def test_missing_poster_is_masked_not_read(setup):
    _, ds, split, enc = setup
    torch.manual_seed(0)
    model = build_fusion(FusionConfig(**TINY, n_layer=2), enc).eval()
    missing_rows = np.flatnonzero(~enc.content["image"].mask[1:]) + 1
    assert len(missing_rows) > 0
    rows = torch.as_tensor(missing_rows[:3])
    train = split.train
    frame = train[np.isin(enc.item_rows(train.item_id.to_numpy()), missing_rows[:3])].iloc[:5]
    assert len(frame) > 0
    batch = enc.transform(frame)
    before = model(batch)[0]
    with torch.no_grad():
        model.image_values[rows] = torch.randn(len(rows), model.image_values.shape[1]) * 100
    after = model(batch)[0]
    torch.testing.assert_close(before, after)
    # and a present poster *is* read
    present = enc.transform(train[np.isin(enc.item_rows(train.item_id.to_numpy()),
                                          np.flatnonzero(enc.content["image"].mask))].iloc[:5])
    b2 = model(present)[0]
    with torch.no_grad():
        model.image_values[present["item_row"]] += 5.0
    assert not torch.allclose(b2, model(present)[0])


def test_cls_only_last_layer_is_exact(setup):
    _, ds, split, enc = setup
    batch = enc.transform(split.train.iloc[:9])
    torch.manual_seed(1)
    a = build_fusion(FusionConfig(**TINY, n_layer=2, cls_only_last=True), enc).eval()
    b = build_fusion(FusionConfig(**TINY, n_layer=2, cls_only_last=False), enc).eval()
    b.load_state_dict(a.state_dict())
    torch.testing.assert_close(a(batch)[0], b(batch)[0], rtol=1e-5, atol=1e-5)


def test_overfits_a_tiny_batch(setup):
    _, ds, split, enc = setup
    batch = enc.transform(split.train.iloc[:32])
    torch.manual_seed(0)
    model = build_fusion(FusionConfig(**TINY), enc)
    opt = torch.optim.Adam(model.parameters(), lr=3e-3)
    start = model(batch)[1].item()
    for _ in range(150):
        loss = model(batch)[1]
        opt.zero_grad(); loss.backward(); opt.step()
    assert loss.item() < 0.2 * start


def test_expected_and_argmax_rmse_by_hand():
    probs = np.array([[0, 0, 0, 0.5, 0.5], [1, 0, 0, 0, 0], [0.2, 0.2, 0.2, 0.2, 0.2]])
    y = np.array([5.0, 1.0, 4.0])
    exp = expected_rating(probs)
    assert exp.tolist() == pytest.approx([4.5, 1.0, 3.0])
    assert rmse(y, exp) == pytest.approx(math.sqrt((0.25 + 0 + 1) / 3))
    assert argmax_rating(probs).tolist() == [4.0, 1.0, 1.0]
    model_rating = torch.tensor(probs, dtype=torch.float32).log()
    from mmrec_core.models.fusion import FusionTransformer

    class _M:  # output_to_rating only needs the rating values
        ratings = torch.arange(1.0, 6.0)
    got = FusionTransformer.output_to_rating(_M, model_rating)
    assert got.tolist() == pytest.approx([4.5, 1.0, 3.0], abs=1e-5)


def test_flops_count_positive_and_cls_only_cheaper(setup):
    _, _, _, enc = setup
    a = build_fusion(FusionConfig(**TINY), enc)
    b = build_fusion(FusionConfig(**TINY, cls_only_last=False), enc)
    assert 0 < a.flops_per_rating() < b.flops_per_rating()


def test_trains_on_ml1m_format(tmp_path):
    from mmrec_core.data import write_synthetic_movielens

    home = write_synthetic_movielens(tmp_path / "h")
    _, split, enc = _encoder(home, "ml-1m")
    model = build_fusion(FusionConfig(**TINY), enc)
    res = fit(model, enc.transform(split.train), enc.transform(split.val),
              TrainConfig(epochs=1, batch_size=256, progress=False))
    assert len(res.history["epoch"]) == 1
    p = predict(model, enc.transform(split.test), "predict_proba")
    assert p.shape == (len(split.test), 5) and np.allclose(p.sum(1), 1, atol=1e-4)


def test_cls_attention_matches_sdpa_with_padding_mask():
    from mmrec_core.models.fusion import SelfAttention

    torch.manual_seed(0)
    attn = SelfAttention(FusionConfig(d_model=48, n_head=4, dropout=0.0)).eval()
    x = torch.randn(5, 7, 48)
    keep = torch.ones(5, 7, dtype=torch.bool)
    keep[0, 3] = keep[2, 5:] = keep[4, 1] = False          # missing modalities are not attended to
    full = attn(x, keep, cls_only=False)[:, :1]
    torch.testing.assert_close(attn(x, keep, cls_only=True), full, rtol=1e-5, atol=1e-6)
    # a masked token's values do not reach the [CLS] output
    x2 = x.clone()
    x2[0, 3] += 100.0
    torch.testing.assert_close(attn(x2, keep, cls_only=True)[0], attn(x, keep, cls_only=True)[0])


def test_words16_masks_keep_one_minus_p_and_dropout_scales_like_nn_dropout():
    import torch

    from mmrec_core.models.fusion import Words16Dropout, words16_keep_mask

    torch.manual_seed(0)
    keep = words16_keep_mask((400, 251), 0.1)                 # an odd size: the last word is cut
    assert keep.shape == (400, 251) and keep.dtype == torch.bool
    assert abs(keep.float().mean().item() - 0.9) < 0.005      # 100,400 draws: sd 0.001
    assert words16_keep_mask((1000,), 0.0).all() and not words16_keep_mask((1000,), 1.0 - 1 / 65536).all()
    drop = Words16Dropout(0.25)
    x = torch.ones(200, 300)
    y = drop(x)
    assert torch.unique(y).tolist() == pytest.approx([0.0, 4 / 3])   # dropped, or scaled by 1 / (1 - p)
    assert abs((y == 0).float().mean().item() - 0.25) < 0.01
    assert torch.equal(drop.eval()(x), x)                     # identity in eval mode


def test_speed_options_default_off_and_checked(setup):
    import torch

    from mmrec_core.models.fusion import Words16Dropout

    _, ds, split, enc = setup
    batch = enc.transform(split.train.iloc[:5])
    default = build_fusion(FusionConfig(**TINY), enc)
    assert not any(isinstance(m, Words16Dropout) for m in default.modules())
    fast = build_fusion(FusionConfig(**{**TINY, "dropout": 0.1}, dropout_rng="words16", bf16_tokens=True), enc)
    assert sum(isinstance(m, Words16Dropout) for m in fast.modules()) == 3   # input, attention weights, residuals
    with torch.autocast("cpu", dtype=torch.bfloat16):
        assert fast.tokens(batch)[0].dtype == torch.bfloat16
        assert default.tokens(batch)[0].dtype == torch.float32
    assert fast.tokens(batch)[0].dtype == torch.float32       # outside autocast nothing is cast
    logits, loss = fast.train()(batch)
    loss.backward()
    assert torch.isfinite(loss) and fast.cls.grad is not None
    with pytest.raises(ValueError, match="dropout_rng"):
        FusionConfig(dropout_rng="philox")
