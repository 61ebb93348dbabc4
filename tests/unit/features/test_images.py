"""Poster decoding (greyscale, PNG named .jpg, corrupt files) and the aligned modality object."""
import warnings

import numpy as np
import pytest

from mmrec_core.data import load_content, load_movielens, write_synthetic_movielens
from mmrec_core.features import ItemModality, PosterDecodeError, decode_poster, get_item_features

pytestmark = pytest.mark.filterwarnings("ignore:.*could not be decoded:UserWarning")


@pytest.fixture(scope="module")
def synth(tmp_path_factory):
    home = write_synthetic_movielens(tmp_path_factory.mktemp("home"), n_items=30, n_users=20,
                                     n_ratings=300, corrupt_poster=True)
    ds = load_movielens("ml-100k", home)
    return home, ds, load_content(ds)


def test_greyscale_and_png_named_jpg_decode_to_rgb(synth):
    home, _, _ = synth
    folder = home / "posters" / "ml-1m"
    grey, png = folder / "2.jpg", folder / "3.jpg"
    assert grey.read_bytes()[:2] == b"\xff\xd8" and png.read_bytes()[:4] == b"\x89PNG"
    for path in (grey, png, folder / "1.jpg"):
        img = decode_poster(path)
        assert img.mode == "RGB" and np.asarray(img).shape[2] == 3
    g = np.asarray(decode_poster(grey)).astype(int)
    assert (g[..., 0] == g[..., 1]).all()  # grey stays grey, replicated over channels


def test_palette_with_transparency_decodes(tmp_path):
    from PIL import Image

    img = Image.new("P", (8, 8))
    img.info["transparency"] = 0
    img.save(tmp_path / "p.png")
    assert decode_poster(tmp_path / "p.png").mode == "RGB"


def test_corrupt_and_truncated_files_raise(synth, tmp_path):
    home, _, _ = synth
    with pytest.raises(PosterDecodeError):
        decode_poster(home / "posters" / "ml-1m" / "5.jpg")
    good = (home / "posters" / "ml-1m" / "1.jpg").read_bytes()
    with pytest.raises(PosterDecodeError):
        decode_poster(good[: len(good) // 2])
    with pytest.raises(PosterDecodeError):
        decode_poster(b"")


def test_corrupt_poster_is_masked_and_counted(synth, tmp_path):
    _, ds, content = synth
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        mod = get_item_features(ds, content, "image", "tiny-cnn", cache_dir=tmp_path, progress=False)
    assert any("could not be decoded" in str(w.message) for w in caught)
    assert mod.info["n_corrupt"] == 1 and mod.info["corrupt_item_ids"] == [5]
    pos = int(np.flatnonzero(mod.item_ids == 5)[0])
    assert not mod.mask[pos] and (mod.features[pos] == 0).all()
    has = content.set_index("item_id").has_poster.reindex(ds.items.item_id).to_numpy()
    assert np.array_equal(mod.mask, has & (mod.item_ids != 5))
    assert mod.info["n_missing"] == int(content.poster_path.isna().sum())  # no file at all
    assert (np.abs(mod.features[mod.mask]).sum(1) > 0).all()
    # the grey and PNG posters (ids 2, 3) are real vectors; a rerun computes nothing, still counts
    assert mod.mask[np.isin(mod.item_ids, [2, 3])].all()
    again = get_item_features(ds, content, "image", "tiny-cnn", cache_dir=tmp_path, progress=False)
    assert again.info["n_computed"] == 0 and again.info["n_corrupt"] == 1


def test_tiny_vit_extracts_the_same_items(synth, tmp_path):
    _, ds, content = synth
    cnn = get_item_features(ds, content, "image", "tiny-cnn", cache_dir=tmp_path, progress=False)
    vit = get_item_features(ds, content, "image", "tiny-vit", cache_dir=tmp_path, progress=False)
    assert vit.dim == 32 and np.array_equal(vit.mask, cnn.mask)


def test_item_modality_align():
    mod = ItemModality("image", "x", item_ids=[10, 3, 7], features=np.arange(9).reshape(3, 3),
                       mask=[True, False, True])
    assert (mod.features[1] == 0).all() and mod.n_missing == 1 and mod.dim == 3
    feats, mask = mod.align([7, 10, 3, 99])
    assert mask.tolist() == [True, True, False, False]
    assert feats[0].tolist() == [6, 7, 8] and feats[1].tolist() == [0, 1, 2]
    assert (feats[2:] == 0).all()
    with pytest.raises(ValueError):
        ItemModality("image", "x", item_ids=[1, 1], features=np.zeros((2, 2)), mask=[True, True])
    with pytest.raises(ValueError):
        ItemModality("image", "x", item_ids=[1, 2], features=np.zeros((3, 2)), mask=[True, True])
