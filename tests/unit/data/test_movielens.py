import numpy as np
import pandas as pd
import pytest

from mmrec_core.data import (
    ChecksumMismatch,
    DataFileMissing,
    MalformedLine,
    load_canonical_split,
    load_content,
    load_movielens,
    write_synthetic_movielens,
)
from mmrec_core.data.download import SYNTHETIC_MANIFEST
from mmrec_core.data.synthetic import SyntheticSpec, _write_manifest


def test_ml100k_canonical_schema(synthetic_home_ro):
    ds = load_movielens("ml-100k", synthetic_home_ro)
    assert ds.synthetic
    assert list(ds.ratings.columns) == ["user_id", "item_id", "rating", "timestamp"]
    assert list(ds.users.columns) == ["user_id", "age", "gender", "occupation", "zip"]
    assert list(ds.items.columns) == ["item_id", "title", "year", "genres"]
    assert len(ds.ratings) == 2400 and ds.n_users == 60 and ds.n_items == 80
    assert ds.ratings.rating.between(1, 5).all()
    assert set(ds.users.gender) <= {"M", "F"}
    # genre flags of u.item become tuples of names; the matrix has one column per genre
    gm = ds.genre_matrix()
    assert gm.shape == (80, 19)
    assert all(gm.loc[iid].sum() == len(g) for iid, g in zip(ds.items.item_id, ds.items.genres))
    assert ds.items.year.notna().all()


def test_ml1m_latin1_and_double_colon(synthetic_home_ro):
    ds = load_movielens("ml-1m", synthetic_home_ro)
    raw = (synthetic_home_ro / "ml-1m" / "movies.dat").read_bytes()
    assert b"::" in raw and "Café".encode("latin-1") in raw  # really Latin-1 on disk
    assert any("Café" in t for t in ds.items.title)           # decoded correctly
    assert ds.users.occupation.isin(__import__("mmrec_core.data.formats", fromlist=["x"]).ML1M_OCCUPATIONS).all()
    assert set(ds.users.age) <= {1, 18, 25, 35, 45, 50, 56}
    assert len(ds.ratings) == 2400


def test_checksum_mismatch_names_file_and_hashes(synthetic_home):
    path = synthetic_home / "ml-100k" / "u.data"
    data = bytearray(path.read_bytes())
    data[5] = ord("9") if data[5] != ord("9") else ord("8")
    path.write_bytes(bytes(data))
    with pytest.raises(ChecksumMismatch) as err:
        load_movielens("ml-100k", synthetic_home)
    msg = str(err.value)
    assert str(path) in msg and "expected" in msg and "regenerate" in msg


def test_real_checksum_table_rejects_a_modified_copy(synthetic_home, tmp_path):
    # A folder without a synthetic manifest is checked against the official sha256 values.
    (synthetic_home / "ml-100k" / SYNTHETIC_MANIFEST).unlink()
    with pytest.raises(ChecksumMismatch) as err:
        load_movielens("ml-100k", synthetic_home)
    assert "06416e597f82" in str(err.value)  # the official u.data hash is named
    assert "download" in str(err.value)


def _corrupt_line(home, rel, line_no, new_line):
    path = home / rel
    lines = path.read_text(encoding="latin-1").splitlines()
    lines[line_no - 1] = new_line
    path.write_text("\n".join(lines) + "\n", encoding="latin-1")
    _write_manifest(path.parent)  # keep the checksum valid so the parser is what fails
    return path


@pytest.mark.parametrize("bad, expected", [
    ("1\t2\t3", "4 fields"),
    ("1\tx\t3\t881250949", "integer item id"),
    ("1\t2\t7\t881250949", "rating between 1 and 5"),
])
def test_malformed_rating_line_names_file_and_line(synthetic_home, bad, expected):
    path = _corrupt_line(synthetic_home, "ml-100k/u.data", 17, bad)
    with pytest.raises(MalformedLine) as err:
        load_movielens("ml-100k", synthetic_home)
    msg = str(err.value)
    assert f"{path}, line 17" in msg and expected in msg


def test_malformed_ml1m_user_line(synthetic_home):
    path = _corrupt_line(synthetic_home, "ml-1m/users.dat", 3, "3::X::25::15::55117")
    with pytest.raises(MalformedLine, match="line 3.*gender M or F"):
        load_movielens("ml-1m", synthetic_home)
    assert path.exists()


def test_missing_ml1m_ratings_says_how_to_get_it(synthetic_home):
    (synthetic_home / "ml-1m" / "ratings.dat").unlink()
    with pytest.raises(DataFileMissing) as err:
        load_movielens("ml-1m", synthetic_home)
    msg = str(err.value)
    assert "ratings.dat" in msg and "git hash-object" in msg and "77a7c4b150f5" in msg


def test_unknown_dataset_is_a_clear_error(synthetic_home_ro):
    with pytest.raises(ValueError, match="unknown dataset 'ml-10m'"):
        load_movielens("ml-10m", synthetic_home_ro)


def test_canonical_splits_partition_u_data(synthetic_home_ro):
    ds = load_movielens("ml-100k", synthetic_home_ro)
    tests = []
    for k in range(1, 6):
        base, test = load_canonical_split(ds, f"u{k}")
        assert len(base) + len(test) == len(ds.ratings)
        key = lambda f: set(zip(f.user_id, f.item_id))  # noqa: E731
        assert not key(base) & key(test)
        tests.append(test)
    union = pd.concat(tests)
    assert len(union) == len(ds.ratings)
    assert set(zip(union.user_id, union.item_id)) == set(zip(ds.ratings.user_id, ds.ratings.item_id))
    with pytest.raises(ValueError, match="no canonical split"):
        load_canonical_split(ds, "u9")


def test_content_masks_and_sources(synthetic_home_ro):
    ds = load_movielens("ml-100k", synthetic_home_ro)
    content = load_content(ds)
    assert len(content) == ds.n_items
    # synthetic rules: ids divisible by 13 have no ML-1M link, by 9 no poster, by 7 no text
    row = content.set_index("item_id")
    assert not row.loc[13, "has_poster"] and pd.isna(row.loc[13, "ml1m_id"])
    assert not row.loc[9, "has_poster"] and row.loc[9, "poster_path"] is None
    assert not row.loc[7, "has_text"] and row.loc[7, "text"] is None and row.loc[7, "text_source"] is None
    assert row.loc[1, "has_poster"] and row.loc[1, "has_text"]
    assert set(content.text_source.dropna()) == {"imdb_oneliner_verified", "llm_generated_agent4rec_via_ml1m"}
    assert content.has_poster.sum() == sum(1 for i in range(1, 81) if i % 13 and i % 9)


def test_synthetic_generation_is_deterministic(tmp_path):
    a = write_synthetic_movielens(tmp_path / "a", SyntheticSpec(seed=3))
    b = write_synthetic_movielens(tmp_path / "b", SyntheticSpec(seed=3))
    c = write_synthetic_movielens(tmp_path / "c", SyntheticSpec(seed=4))
    assert (a / "ml-100k/u.data").read_bytes() == (b / "ml-100k/u.data").read_bytes()
    assert (a / "ml-100k/u.data").read_bytes() != (c / "ml-100k/u.data").read_bytes()


def test_synthetic_posters_have_the_awkward_cases(synthetic_home_ro):
    from PIL import Image

    posters = synthetic_home_ro / "posters" / "ml-1m"
    assert Image.open(posters / "2.jpg").mode == "L"           # greyscale
    assert Image.open(posters / "3.jpg").format == "PNG"       # PNG saved as .jpg
    assert not (posters / "9.jpg").exists()                    # a missing poster
    assert np.asarray(Image.open(posters / "1.jpg")).shape[2] == 3
