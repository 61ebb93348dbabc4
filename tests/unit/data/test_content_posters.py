"""Coverage counts posters that decode: a corrupt, truncated or empty file keeps its path but is not
``has_poster``; one warning lists the masked ids; verdicts are cached by (path, size, mtime)."""
import warnings

import pytest

from mmrec_core.data import coverage_report, load_content, load_movielens, write_synthetic_movielens
from mmrec_core.data.content import CONTENT_COLUMNS
from mmrec_core.features import images

BAD_IDS = [4, 5, 6]  # 5: not a JPEG at all; 4: a JPEG missing its last quarter; 6: an empty file


@pytest.fixture
def home(tmp_path):
    home = write_synthetic_movielens(tmp_path / "home", n_items=30, n_users=20, n_ratings=300,
                                     corrupt_poster=True)
    posters = home / "posters" / "ml-1m"
    good = (posters / "4.jpg").read_bytes()
    (posters / "4.jpg").write_bytes(good[: len(good) * 3 // 4])  # headers intact, scan data cut
    (posters / "6.jpg").write_bytes(b"")
    return home


def _load(home):
    ds = load_movielens("ml-100k", home)
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        content = load_content(ds)
    return content, [w for w in caught if "poster" in str(w.message)]


def test_truncated_jpeg_passes_pil_verify_but_not_the_decoder(home):
    from PIL import Image

    path = home / "posters" / "ml-1m" / "4.jpg"
    with Image.open(path) as img:
        img.verify()  # the cheap check is fooled ...
    with pytest.raises(images.PosterDecodeError):
        images.decode_poster(path)  # ... the package's decoder is not


def test_undecodable_posters_keep_their_path_but_not_has_poster(home):
    content, caught = _load(home)
    assert list(content.columns) == CONTENT_COLUMNS
    row = content.set_index("item_id")
    for iid in BAD_IDS:
        assert row.loc[iid, "poster_path"].endswith(f"{iid}.jpg")
        assert not row.loc[iid, "has_poster"] and row.loc[iid, "poster_corrupt"]
    assert row.loc[1, "has_poster"] and not row.loc[1, "poster_corrupt"]
    assert row.loc[2, "has_poster"] and row.loc[3, "has_poster"]  # greyscale, PNG named .jpg
    assert not row.loc[9, "poster_corrupt"] and row.loc[9, "poster_path"] is None  # missing != corrupt
    assert sorted(content.item_id[content.poster_corrupt]) == BAD_IDS
    # one warning for all of them, naming every masked id
    assert len(caught) == 1
    msg = str(caught[0].message)
    assert "3 poster file(s)" in msg and "could not be decoded" in msg and "[4, 5, 6]" in msg


def test_coverage_report_counts_decodable_posters_and_shows_corrupt(home):
    content, _ = _load(home)
    report = coverage_report(content).set_index(["modality", "source"])["items"]
    with_file = int(content.poster_path.notna().sum())
    assert report[("poster", "any")] == with_file - len(BAD_IDS)
    assert report[("poster", "corrupt (file does not decode)")] == len(BAD_IDS)
    assert report[("poster+text", "both")] == int((content.has_poster & content.has_text).sum())


def test_verdicts_are_cached_and_redone_when_a_file_changes(home, monkeypatch, tmp_path):
    monkeypatch.setenv("MMREC_CACHE", str(tmp_path / "cache"))
    first, _ = _load(home)
    calls = []
    real = images.decode_poster

    def counting(data):
        calls.append(str(data))
        return real(data)

    monkeypatch.setattr(images, "decode_poster", counting)
    again, caught = _load(home)
    assert calls == []  # every verdict came from the cache
    assert again.equals(first) and len(caught) == 1
    # replace the corrupt poster 5 with a good one: only that file is decoded again
    posters = home / "posters" / "ml-1m"
    (posters / "5.jpg").write_bytes((posters / "1.jpg").read_bytes())
    fixed, caught = _load(home)
    assert calls == [str(posters / "5.jpg")]
    row = fixed.set_index("item_id")
    assert row.loc[5, "has_poster"] and not row.loc[5, "poster_corrupt"]
    assert "[4, 6]" in str(caught[0].message)
    assert list((tmp_path / "cache" / "poster_verdicts").glob("*.json"))


def test_a_damaged_verdict_cache_is_rebuilt(home, monkeypatch, tmp_path):
    monkeypatch.setenv("MMREC_CACHE", str(tmp_path / "cache"))
    _load(home)
    (store,) = (tmp_path / "cache" / "poster_verdicts").glob("*.json")
    store.write_text("{not json")
    content, _ = _load(home)
    assert sorted(content.item_id[content.poster_corrupt]) == BAD_IDS


def test_clean_posters_give_no_warning(synthetic_home_ro):
    ds = load_movielens("ml-100k", synthetic_home_ro)
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        content = load_content(ds)
    assert not content.poster_corrupt.any()
    assert coverage_report(content).set_index(["modality", "source"])["items"][
        ("poster", "corrupt (file does not decode)")] == 0
