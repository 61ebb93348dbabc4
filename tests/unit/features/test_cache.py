"""Feature cache: reuse, per-item invalidation, identity keys, resumption, missing masks."""
import numpy as np
import pytest

from mmrec_core.data import load_content, load_movielens, write_synthetic_movielens
from mmrec_core.features import FeatureStore, get_item_features, load_encoder
from mmrec_core.features.cache import identity_key


@pytest.fixture(scope="module")
def synth(tmp_path_factory):
    home = write_synthetic_movielens(tmp_path_factory.mktemp("home"), n_items=40, n_users=30, n_ratings=600)
    ds = load_movielens("ml-100k", home)
    return ds, load_content(ds)


@pytest.fixture(scope="module")
def tiny_text():
    return load_encoder("tiny-bert", device="cpu")


def test_second_call_computes_nothing(synth, tiny_text, tmp_path):
    ds, content = synth
    first = get_item_features(ds, content, "text", tiny_text, cache_dir=tmp_path, progress=False)
    assert first.info["n_computed"] == first.mask.sum() > 0 and first.info["n_cached"] == 0
    second = get_item_features(ds, content, "text", tiny_text, cache_dir=tmp_path, progress=False)
    assert second.info["n_computed"] == 0 and second.info["n_cached"] == first.mask.sum()
    assert np.array_equal(first.features, second.features) and np.array_equal(first.mask, second.mask)
    # the registry name path gives the same vectors and the same cache entries
    third = get_item_features(ds, content, "text", "tiny-bert", cache_dir=tmp_path, progress=False)
    assert third.info["n_computed"] == 0 and np.allclose(third.features, first.features)


def test_changed_text_recomputes_only_that_item(synth, tiny_text, tmp_path):
    ds, content = synth
    base = get_item_features(ds, content, "text", tiny_text, cache_dir=tmp_path, progress=False)
    changed = content.copy()
    row = int(np.flatnonzero(changed.has_text.to_numpy())[3])
    changed.loc[row, "text"] = "An entirely different plot about a lighthouse keeper."
    again = get_item_features(ds, changed, "text", tiny_text, cache_dir=tmp_path, progress=False)
    assert again.info["n_computed"] == 1
    item = changed.item_id[row]
    pos = int(np.flatnonzero(again.item_ids == item)[0])
    others = np.arange(len(again.item_ids)) != pos
    assert not np.allclose(again.features[pos], base.features[pos])
    assert np.array_equal(again.features[others], base.features[others])


def test_identity_changes_the_key(tmp_path):
    a = load_encoder("tiny-distilbert")
    b = load_encoder("tiny-distilbert", remove_stop_words=True)
    c = load_encoder("tiny-distilbert", seed=1)
    d = load_encoder("tiny-bert")
    keys = {identity_key(e.identity()) for e in (a, b, c, d)}
    assert len(keys) == 4
    assert identity_key(a.identity()) == identity_key(load_encoder("tiny-distilbert").identity())
    assert FeatureStore(a.identity(), tmp_path).folder != FeatureStore(b.identity(), tmp_path).folder


def test_text_field_selects_the_input_and_missing_plots_are_masked(synth, tiny_text, tmp_path):
    ds, content = synth
    title = get_item_features(ds, content, "text", tiny_text, text_field="title", cache_dir=tmp_path, progress=False)
    plot = get_item_features(ds, content, "text", tiny_text, text_field="plot", cache_dir=tmp_path, progress=False)
    both = get_item_features(ds, content, "text", tiny_text, text_field="title+plot", cache_dir=tmp_path,
                             progress=False)
    has_text = content.set_index("item_id").has_text.reindex(ds.items.item_id).to_numpy()
    assert title.mask.all()
    assert np.array_equal(plot.mask, has_text) and np.array_equal(both.mask, has_text)
    assert (~has_text).any() and np.all(plot.features[~has_text] == 0)
    assert plot.info["n_missing"] == int((~has_text).sum())
    assert not np.allclose(plot.features[has_text], both.features[has_text])
    assert list(title.item_ids) == list(ds.items.item_id)
    with pytest.raises(ValueError, match="text_field"):
        get_item_features(ds, content, "text", tiny_text, text_field="tagline", cache_dir=tmp_path)
    with pytest.raises(ValueError, match="encodes text, not image"):
        get_item_features(ds, content, "image", "tiny-bert", cache_dir=tmp_path)


def test_interrupted_run_resumes(synth, tmp_path, monkeypatch):
    ds, content = synth
    enc = load_encoder("tiny-cnn")
    calls = {"n": 0}
    real_forward = enc.forward

    def failing_forward(batch):
        calls["n"] += 1
        if calls["n"] > 2:
            raise KeyboardInterrupt("simulated interruption")
        return real_forward(batch)

    monkeypatch.setattr(enc, "forward", failing_forward)
    with pytest.raises(KeyboardInterrupt):
        get_item_features(ds, content, "image", enc, cache_dir=tmp_path, progress=False,
                          batch_size=4, chunk_size=8)
    done = len(FeatureStore(enc.identity(), tmp_path).load())
    assert done == 8  # the first chunk (two batches) was persisted, the second was not
    monkeypatch.setattr(enc, "forward", real_forward)
    resumed = get_item_features(ds, content, "image", enc, cache_dir=tmp_path, progress=False,
                                batch_size=4, chunk_size=8)
    assert resumed.info["n_cached"] == 8
    assert resumed.info["n_computed"] == resumed.mask.sum() - 8
    fresh = get_item_features(ds, content, "image", load_encoder("tiny-cnn"), cache_dir=tmp_path / "fresh",
                              progress=False)
    assert np.allclose(fresh.features, resumed.features, atol=1e-5)


def test_cache_survives_a_truncated_part(tmp_path):
    store = FeatureStore({"encoder": "x", "weights_id": "w"}, tmp_path)
    store.append(["a", "b"], np.ones((2, 3)))
    (store.folder / "part-broken.npz").write_bytes(b"not a zip")
    assert set(store.load()) == {"a", "b"}
    store.append(["c"], np.zeros((1, 3)))
    store.compact()
    assert len(store.parts()) == 1 and set(store.load()) == {"a", "b", "c"}
