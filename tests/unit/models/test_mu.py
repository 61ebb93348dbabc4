"""Mu & Wu replica and the poster pixel loader."""
from __future__ import annotations

import numpy as np
import pytest

torch = pytest.importorskip("torch")

from mmrec_core.data import load_content, load_movielens, write_synthetic_movielens, xia_split  # noqa: E402
from mmrec_core.features.pixels import load_poster_pixels  # noqa: E402
from mmrec_core.inputs import RatingEncoder  # noqa: E402
from mmrec_core.models.mu import Mu, MuConfig, build_mu  # noqa: E402

pytestmark = pytest.mark.usefixtures("torch_one_thread")  # tests/conftest.py


TINY = dict(embed_dim=4, d_hidden=8, cnn_channels=(4, 8), dropout=0.0)


@pytest.fixture(scope="module")
def setup(tmp_path_factory):
    home = write_synthetic_movielens(tmp_path_factory.mktemp("mu-home"), corrupt_poster=True)
    ds = load_movielens("ml-100k", home)
    content = load_content(ds)
    split = xia_split(ds.ratings, 0)
    px = load_poster_pixels(content, size=16, cache=False)
    enc = RatingEncoder().fit(split.train, ds.users, ds.items, ds.genres)
    enc.add_table("pixels", "pixels", "pixels-16", px.item_ids, px.pixels, px.mask)
    return ds, content, split, px, enc


def test_poster_pixels_decode_png_grey_missing_corrupt(setup):
    ds, content, split, px, enc = setup
    assert px.pixels.shape == (len(content), 3, 16, 16) and px.pixels.dtype == np.uint8
    by_id = dict(zip(px.item_ids, px.mask))
    # synthetic ML-100K item i -> ML-1M id i: 2 is greyscale, 3 a PNG named .jpg, 5 corrupt
    assert by_id[2] and by_id[3] and not by_id[5]
    assert px.n_corrupt == 1
    assert px.n_missing == int(content.poster_path.isna().sum())  # no file; the corrupt one is counted apart
    assert (px.pixels[~px.mask] == 0).all()
    grey = px.pixels[list(px.item_ids).index(2)]
    assert (grey[0] == grey[1]).all() and (grey[1] == grey[2]).all()


def test_poster_pixels_cached(setup, tmp_path, monkeypatch):
    ds, content, *_ = setup
    monkeypatch.setenv("MMREC_CACHE", str(tmp_path))
    a = load_poster_pixels(content, size=8)
    assert list((tmp_path / "poster_pixels").glob("*.npz"))
    b = load_poster_pixels(content, size=8)
    assert (a.pixels == b.pixels).all() and (a.mask == b.mask).all()


def test_shapes_single_and_cross(setup):
    ds, content, split, px, enc = setup
    batch = enc.transform(split.train.iloc[:6])
    for use_poster in (False, True):
        model = build_mu(MuConfig(**TINY, use_poster=use_poster), enc)
        out, loss = model(batch)
        assert out.shape == (6,) and loss.ndim == 0
        p = model.predict(batch)
        assert bool(((p >= 1) & (p <= 5)).all())
        assert hasattr(model, "cnn") == use_poster


def test_missing_poster_uses_learned_vector_not_pixels(setup):
    ds, content, split, px, enc = setup
    model = build_mu(MuConfig(**TINY), enc).eval()
    missing = np.flatnonzero(~enc.content["pixels"].mask[1:]) + 1
    frame = split.train[np.isin(enc.item_rows(split.train.item_id.to_numpy()), missing)].iloc[:4]
    batch = enc.transform(frame)
    before = model(batch)[0]
    with torch.no_grad():
        model.pixels[torch.as_tensor(missing)] = 200
    torch.testing.assert_close(before, model(batch)[0])


def test_unique_poster_cnn_matches_per_rating(setup):
    ds, content, split, px, enc = setup
    torch.manual_seed(0)
    model = build_mu(MuConfig(**TINY), enc).eval()
    batch = enc.transform(split.train.iloc[:40])
    row = batch["item_row"]
    feats = model.poster_features(row)
    direct = model.cnn(model.pixels[row])
    has = model.pixels_mask[row]
    torch.testing.assert_close(feats[has], direct[has], rtol=1e-4, atol=1e-5)


def test_overfits_a_tiny_batch(setup):
    ds, content, split, px, enc = setup
    torch.manual_seed(0)
    model = build_mu(MuConfig(**TINY), enc)
    batch = enc.transform(split.train.iloc[:32])
    opt = torch.optim.Adam(model.parameters(), lr=1e-2)
    start = model(batch)[1].item()
    for _ in range(150):
        loss = model(batch)[1]
        opt.zero_grad(); loss.backward(); opt.step()
    assert loss.item() < 0.2 * start


def test_cross_needs_pixels(setup):
    ds, content, split, px, enc = setup
    with pytest.raises(ValueError, match="pixels"):
        Mu(MuConfig(**TINY), enc.cardinalities, enc.genre_table, None)


def test_cross_modal_training_is_deterministic_for_a_seed(setup):
    from mmrec_core.train import TrainConfig, fit, predict

    ds, content, split, px, enc = setup
    train, val, test = (enc.transform(s) for s in (split.train, split.val, split.test))
    preds = []
    for _ in range(2):
        torch.manual_seed(0)
        model = build_mu(MuConfig(**{**TINY, "dropout": 0.2}, use_poster=True), enc)
        fit(model, train, val, TrainConfig(epochs=2, batch_size=128, progress=False, seed=0))
        preds.append(predict(model, test))
    assert np.array_equal(preds[0], preds[1])
