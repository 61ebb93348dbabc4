"""Checks against the real MovieLens files in $MMREC_DATA (skipped where they are absent)."""
import pytest

from mmrec_core.data import DataFileMissing, load_canonical_split, load_content, load_movielens, xia_split
from mmrec_core.data.stats import table1

pytestmark = pytest.mark.realdata


def test_ml100k_verifies_and_matches_table1(real_home):
    ds = load_movielens("ml-100k", real_home)
    assert not ds.synthetic
    t = table1(ds)
    assert (t["users"], t["items"], t["ratings"]) == (943, 1682, 100_000)
    assert t["sparsity_pct"] == pytest.approx(93.695)
    assert ds.ratings.groupby("user_id").size().min() >= 20  # every ML-100K user rated >= 20 movies


def test_ml100k_content_coverage(real_home):
    content = load_content(load_movielens("ml-100k", real_home))
    assert content.has_poster.sum() == 1668 and content.has_text.sum() == 1671
    assert (content.text_source == "imdb_oneliner_verified").sum() == 1466


def test_canonical_u1_split_and_xia_split(real_home):
    ds = load_movielens("ml-100k", real_home)
    base, test = load_canonical_split(ds, "u1")
    assert (len(base), len(test)) == (80_000, 20_000)
    split = xia_split(ds.ratings, seed=0)
    assert (len(split.train), len(split.val), len(split.test)) == (90_000, 5_000, 5_000)


def test_ml1m_without_ratings_explains_how_to_get_them(real_home):
    if (real_home / "ml-1m" / "ratings.dat").exists():
        ds = load_movielens("ml-1m", real_home)
        assert len(ds.ratings) == 1_000_209
        return
    with pytest.raises(DataFileMissing, match="git hash-object"):
        load_movielens("ml-1m", real_home)
