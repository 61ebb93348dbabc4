"""The tag-genome releases (ML-20M / ML-25M CSV layout) on synthetic files: loading, the genome
matrix, the activity filter, and the errors for missing, malformed and tampered files."""
import csv
import hashlib
import shutil
import zipfile
from collections import Counter
from dataclasses import replace

import numpy as np
import pandas as pd
import pytest

from mmrec_core.data import (
    GENOME_GENRES,
    ChecksumMismatch,
    DataError,
    DataFileMissing,
    DownloadFailed,
    DuplicateRating,
    GenomeScores,
    MalformedLine,
    download_dataset,
    formats,
    get_format,
    load_genome_movielens,
    load_genome_scores,
    load_genome_tags,
    load_movielens,
    write_synthetic_genome,
)
from mmrec_core.data.download import SYNTHETIC_MANIFEST
from mmrec_core.data.formats import FileSpec
from mmrec_core.data.synthetic import _write_manifest


def _csv(path):
    """The data rows of a release CSV, parsed with the standard library (independent of the loader)."""
    with open(path, encoding="utf-8", newline="") as fh:
        rows = list(csv.reader(fh))
    return rows[0], rows[1:]


@pytest.fixture(scope="module")
def genome_home_ro(tmp_path_factory):
    return write_synthetic_genome(tmp_path_factory.mktemp("genome-ro"))


@pytest.fixture
def genome_home(genome_home_ro, tmp_path):
    dest = tmp_path / "home"
    shutil.copytree(genome_home_ro, dest)
    return dest


def _edit_line(path, line_no, new_line, manifest=True):
    """Replace line ``line_no`` (1-based, header = line 1); keep the synthetic checksum valid."""
    lines = path.read_text(encoding="utf-8").splitlines()
    lines[line_no - 1] = new_line
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    if manifest:
        _write_manifest(path.parent)


def _append(path, line, manifest=True):
    with open(path, "a", encoding="utf-8") as fh:
        fh.write(line + "\n")
    if manifest:
        _write_manifest(path.parent)


# --- formats -----------------------------------------------------------------------------------

def test_genome_formats_are_registered():
    for name, md5 in (("ml-20m", "cd245b17a1ae2cc31bb14903e1204af3"), ("ml-25m", "6b51fb2759a8657d3bfcbfc42b592ada")):
        fmt = get_format(name)
        assert fmt.folder == name and fmt.url == f"https://files.grouplens.org/datasets/movielens/{name}.zip"
        assert fmt.zip_md5 == md5 and fmt.encoding == "utf-8" and fmt.header
        assert fmt.users_file is None and fmt.has_genome
        assert (fmt.ratings_file, fmt.items_file, fmt.links_file) == ("ratings.csv", "movies.csv", "links.csv")
        assert (fmt.genome_scores_file, fmt.genome_tags_file) == ("genome-scores.csv", "genome-tags.csv")
        assert fmt.rating_scale == (0.5, 5)
        assert fmt.spec("ratings.csv").sha256 is None  # unknown: verification relies on the zip md5
    assert get_format("ml-25m").spec("genome-tags.csv").sha256 == (
        "5ca4fe25f16c092517c6ab09654f7dd135ad62cea06e5242dcb2793487e162ae")
    assert get_format("ml-20m").spec("genome-tags.csv").sha256 is None
    assert len(GENOME_GENRES) == 19 and "IMAX" in GENOME_GENRES and "Children" in GENOME_GENRES
    assert "(no genres listed)" not in GENOME_GENRES
    assert not get_format("ml-100k").has_genome and get_format("ml-1m").users_file == "users.dat"


# --- ratings, users, movies --------------------------------------------------------------------

def test_ratings_users_items_match_the_csv(genome_home_ro):
    ds = load_genome_movielens("ml-25m", genome_home_ro)
    folder = genome_home_ro / "ml-25m"
    header, rows = _csv(folder / "ratings.csv")
    assert header == ["userId", "movieId", "rating", "timestamp"]
    assert ds.synthetic and ds.name == "ml-25m" and ds.min_user_ratings == 0
    assert list(ds.ratings.columns) == ["user_id", "item_id", "rating", "timestamp"]
    assert [str(t) for t in ds.ratings.dtypes] == ["int64", "int64", "float32", "int64"]
    assert len(ds.ratings) == len(rows) == 1200
    expected = np.array([[int(u), int(m), float(r), int(t)] for u, m, r, t in rows])
    np.testing.assert_array_equal(ds.ratings.to_numpy(dtype=float), expected)
    assert ds.ratings.iloc[0].tolist() == [int(rows[0][0]), int(rows[0][1]), float(rows[0][2]), int(rows[0][3])]
    # half stars are kept, not rounded to whole stars
    halves = ds.ratings.rating[ds.ratings.rating % 1 == 0.5]
    assert len(halves) > 100 and set(np.unique(ds.ratings.rating * 2)) <= set(range(1, 11))
    assert ds.ratings.rating.min() >= 0.5 and ds.ratings.rating.max() <= 5.0
    # users: the ids that rate, demographics missing (no users file in these releases)
    assert list(ds.users.columns) == ["user_id", "age", "gender", "occupation", "zip"]
    assert ds.users.user_id.tolist() == list(range(1, 41)) and ds.n_users == 40
    assert ds.users.age.isna().all() and ds.users[["gender", "occupation", "zip"]].isna().all().all()
    # items: every movie of movies.csv, ids as in the file (sparse movieIds, not renumbered)
    _, movies = _csv(folder / "movies.csv")
    assert list(ds.items.columns) == ["item_id", "title", "year", "genres"]
    assert ds.items.item_id.tolist() == [int(m[0]) for m in movies] and ds.n_items == 60
    assert ds.items.item_id.max() > 60
    assert ds.items.title.tolist() == [m[1] for m in movies]
    assert ds.ratings.item_id.nunique() == 58  # the last two movies are never rated


def test_titles_years_and_genres_are_parsed(genome_home_ro):
    items = load_genome_movielens("ml-25m", genome_home_ro).items.set_index("item_id")
    raw = (genome_home_ro / "ml-25m" / "movies.csv").read_text(encoding="utf-8").splitlines()
    assert raw[1].startswith('1,"Night 1, The (')           # a comma in the title: quoted
    assert raw[2].startswith('2,"Café ""Return"" 2 (')       # quotes and UTF-8
    first, second = items.loc[1], items.loc[2]
    assert first.title.startswith("Night 1, The (") and first.year == int(first.title[-5:-1])
    assert set(("Adventure", "Animation", "Children", "Comedy")) <= set(first.genres)
    assert second.title.startswith('Café "Return" 2 (')
    series = items.loc[3]
    assert series.title.startswith("Star Series 3 (") and series.year == int(series.title.split("(")[1][:4])
    no_year = items[~items.title.str.contains(r"\(\d{4}")]
    assert len(no_year) >= 1 and no_year.year.isna().all()
    _, movies = _csv(genome_home_ro / "ml-25m" / "movies.csv")
    none_listed = [int(m[0]) for m in movies if m[2] == "(no genres listed)"]
    assert len(none_listed) == 5
    for mid, _, genres in movies:
        want = () if genres == "(no genres listed)" else tuple(genres.split("|"))
        assert items.loc[int(mid)].genres == want
    assert any("IMAX" in g for g in items.genres)


def test_genre_matrix_has_no_column_for_no_genres_listed(genome_home_ro):
    ds = load_genome_movielens("ml-25m", genome_home_ro)
    gm = ds.genre_matrix()
    assert gm.shape == (60, 19) and list(gm.columns) == list(GENOME_GENRES)
    empty = ds.items.item_id[ds.items.genres.map(len) == 0]
    assert len(empty) == 5 and (gm.loc[empty].sum(1) == 0).all()
    assert (gm.sum(1).loc[ds.items.item_id[ds.items.genres.map(len) > 0]] > 0).all()


@pytest.mark.parametrize("threshold", [0, 20, 50])
def test_min_user_ratings_keeps_active_users_only(genome_home_ro, threshold):
    _, rows = _csv(genome_home_ro / "ml-25m" / "ratings.csv")
    counts = Counter(int(r[0]) for r in rows)
    kept = sorted(u for u, c in counts.items() if c >= threshold)
    ds = load_genome_movielens("ml-25m", genome_home_ro, min_user_ratings=threshold)
    assert ds.min_user_ratings == threshold
    assert ds.users.user_id.tolist() == kept
    assert sorted(ds.ratings.user_id.unique()) == kept
    assert len(ds.ratings) == sum(counts[u] for u in kept)
    assert ds.ratings.groupby("user_id").size().min() >= threshold
    assert ds.n_items == 60  # the filter is on users; every movie stays in the catalogue
    if threshold == 50:
        assert 0 < len(kept) < 40 and len(kept) == 10
        assert "users with >= 50 ratings" in repr(ds)


def test_filter_over_every_user_leaves_an_empty_but_valid_frame(genome_home_ro):
    ds = load_genome_movielens("ml-25m", genome_home_ro, min_user_ratings=10_000)
    assert len(ds.ratings) == 0 and len(ds.users) == 0 and ds.n_items == 60
    with pytest.raises(ValueError, match="min_user_ratings"):
        load_genome_movielens("ml-25m", genome_home_ro, min_user_ratings=-1)


def test_load_movielens_reads_a_genome_release(genome_home_ro):
    a = load_movielens("ml-25m", genome_home_ro)
    b = load_genome_movielens("ml-25m", genome_home_ro)
    pd.testing.assert_frame_equal(a.ratings, b.ratings)
    assert a.genres == GENOME_GENRES


def test_ml20m_layout_loads_too(tmp_path):
    home = write_synthetic_genome(tmp_path, name="ml-20m", n_users=12, n_items=20, n_tags=5, n_ratings=200, seed=3)
    ds = load_genome_movielens("ml-20m", home)
    g = load_genome_scores("ml-20m", home)
    assert ds.name == "ml-20m" and len(ds.ratings) == 200 and ds.n_users == 12
    assert g.scores.shape == (20 - 20 // 7, 5)


def test_not_a_genome_release_is_a_clear_error(genome_home_ro):
    with pytest.raises(ValueError, match="no tag genome"):
        load_genome_movielens("ml-100k", genome_home_ro)
    with pytest.raises(ValueError, match="unknown dataset"):
        load_genome_scores("ml-30m", genome_home_ro)


# --- the genome --------------------------------------------------------------------------------

def test_genome_pivot_equals_the_csv(genome_home_ro):
    g = load_genome_scores("ml-25m", genome_home_ro)
    folder = genome_home_ro / "ml-25m"
    _, rows = _csv(folder / "genome-scores.csv")
    _, tags = _csv(folder / "genome-tags.csv")
    assert isinstance(g, GenomeScores) and g.synthetic
    movies = sorted({int(r[0]) for r in rows})
    assert g.item_ids.dtype == np.int64 and g.item_ids.tolist() == movies
    assert g.tag_ids.tolist() == [int(t[0]) for t in tags] == list(range(1, 13))
    assert g.tags == tuple(t[1] for t in tags) and "dark, gritty" in g.tags  # a quoted tag name
    assert g.scores.dtype == np.float32 and g.scores.shape == (len(movies), 12) == (52, 12)
    assert len(rows) == 52 * 12
    row_of = {m: k for k, m in enumerate(movies)}
    for mid, tid, rel in rows:
        assert g.scores[row_of[int(mid)], int(tid) - 1] == np.float32(float(rel))
    assert g.scores.min() >= 0 and g.scores.max() <= 1
    assert g.frame().loc[movies[0], g.tags[0]] == np.float32(float(rows[0][2]))


def test_some_rated_movies_have_no_genome_and_align_masks_them(genome_home_ro):
    ds = load_genome_movielens("ml-25m", genome_home_ro)
    g = load_genome_scores("ml-25m", genome_home_ro)
    rated = set(ds.ratings.item_id)
    without = sorted(rated - set(g.item_ids.tolist()))
    assert len(without) >= 5  # like the real data: not every rated movie has genome scores
    ids = [without[0], int(g.item_ids[3]), 10**9, int(g.item_ids[0]), without[1]]
    matrix, mask = g.align(ids)
    assert matrix.shape == (5, 12) and matrix.dtype == np.float32 and mask.dtype == bool
    assert mask.tolist() == [False, True, False, True, False]
    np.testing.assert_array_equal(matrix[1], g.scores[3])
    np.testing.assert_array_equal(matrix[3], g.scores[0])
    assert not matrix[[0, 2, 4]].any()
    m, k = g.align(ds.items.item_id)
    assert m.shape == (60, 12) and k.sum() == 52
    empty, none = g.align([])
    assert empty.shape == (0, 12) and none.shape == (0,)


def test_load_genome_tags_on_a_bare_file(genome_home_ro, tmp_path):
    tags = load_genome_tags(genome_home_ro / "ml-25m" / "genome-tags.csv")
    assert list(tags.columns) == ["tag_id", "tag"] and tags.tag_id.dtype == np.int64
    assert tags.tag_id.tolist() == list(range(1, 13)) and tags.tag[0] == "action"
    with pytest.raises(DataFileMissing, match="ml-25m.zip"):
        load_genome_tags(tmp_path / "genome-tags.csv")
    dup = tmp_path / "dup.csv"
    dup.write_text("tagId,tag\n1,a\n2,b\n1,c\n")
    with pytest.raises(MalformedLine, match=r"dup\.csv, line 4: expected each tagId once .*line 2"):
        load_genome_tags(dup)


# --- missing files -----------------------------------------------------------------------------

@pytest.mark.parametrize("verify", [True, False])
def test_missing_genome_scores_says_where_and_how(genome_home, verify):
    path = genome_home / "ml-25m" / "genome-scores.csv"
    path.unlink()
    with pytest.raises(DataFileMissing) as err:
        load_genome_scores("ml-25m", genome_home, verify=verify)
    msg = str(err.value)
    assert str(path) in msg and "file not found" in msg
    assert "MovieLens 25M (ml-25m)" in msg
    assert "https://files.grouplens.org/datasets/movielens/ml-25m.zip" in msg
    assert "MMREC_DATA" in msg and "download_dataset('ml-25m'" in msg
    assert "python -m mmrec_core download ml-25m" in msg   # the command line knows the genome releases too


def test_missing_ratings_says_where_and_how(genome_home):
    path = genome_home / "ml-25m" / "ratings.csv"
    path.unlink()
    with pytest.raises(DataFileMissing) as err:
        load_genome_movielens("ml-25m", genome_home)
    msg = str(err.value)
    assert str(path) in msg and "ml-25m.zip" in msg and "download_dataset" in msg


def test_missing_ml20m_names_its_own_zip(tmp_path):
    with pytest.raises(DataFileMissing) as err:
        load_genome_scores("ml-20m", tmp_path)
    msg = str(err.value)
    assert str(tmp_path / "ml-20m" / "genome-tags.csv") in msg and "ml-20m.zip" in msg and "ml-25m" not in msg


# --- malformed files ---------------------------------------------------------------------------

@pytest.mark.parametrize("verify", [True, False])
@pytest.mark.parametrize("bad, expected", [
    ("1,2,abc,1100000000", "a rating from 0.5 to 5.0 in half stars in field 3 (rating)"),
    ("1,2,3.3,1100000000", "a rating from 0.5 to 5.0 in half stars"),
    ("1,2,5.5,1100000000", "a rating from 0.5 to 5.0 in half stars"),
    ("1,2,4.0", "4 comma-separated fields (userId,movieId,rating,timestamp; this line has 3)"),
    ("1,2,4.0,1100000000,7", "4 comma-separated fields"),
    ("x,2,4.0,1100000000", "a positive integer userId in field 1"),
    ("1,,4.0,1100000000", "a positive integer movieId in field 2"),
])
def test_malformed_rating_line_names_file_and_line(genome_home, verify, bad, expected):
    path = genome_home / "ml-25m" / "ratings.csv"
    _edit_line(path, 17, bad, manifest=verify)
    with pytest.raises(MalformedLine) as err:
        load_genome_movielens("ml-25m", genome_home, verify=verify)
    msg = str(err.value)
    assert f"{path}, line 17: expected {expected}" in msg and repr(bad) in msg
    assert err.value.line_no == 17


def test_malformed_header_is_refused(genome_home):
    path = genome_home / "ml-25m" / "ratings.csv"
    _edit_line(path, 1, "user,movie,rating,timestamp")
    with pytest.raises(MalformedLine, match=r"ratings\.csv, line 1: expected the header line 'userId,movieId,rating,timestamp'"):
        load_genome_movielens("ml-25m", genome_home)


def test_unknown_genre_is_refused_naming_the_line(genome_home):
    path = genome_home / "ml-25m" / "movies.csv"
    lines = path.read_text(encoding="utf-8").splitlines()
    mid = lines[9].split(",")[0]
    _edit_line(path, 10, f"{mid},Some Movie (1999),Comedy|Cyberpunk")
    with pytest.raises(MalformedLine) as err:
        load_genome_movielens("ml-25m", genome_home)
    msg = str(err.value)
    assert f"{path}, line 10: expected |-separated genres among Action" in msg and "IMAX" in msg


def test_cut_last_line_is_refused(genome_home):
    path = genome_home / "ml-25m" / "genome-scores.csv"
    raw = path.read_bytes()
    n_lines = raw.count(b"\n")
    path.write_bytes(raw[:-3])  # a truncated copy: the last relevance lost digits and the newline
    _write_manifest(path.parent)
    with pytest.raises(MalformedLine) as err:
        load_genome_scores("ml-25m", genome_home)
    assert f"{path}, line {n_lines}: expected a last line that ends with a newline" in str(err.value)


@pytest.mark.parametrize("verify", [True, False])
def test_duplicated_rating_is_refused(genome_home, verify):
    path = genome_home / "ml-25m" / "ratings.csv"
    lines = path.read_text(encoding="utf-8").splitlines()
    u, m, _, t = lines[5].split(",")
    _append(path, f"{u},{m},1.5,{t}", manifest=verify)
    with pytest.raises(DuplicateRating) as err:
        load_genome_movielens("ml-25m", genome_home, verify=verify)
    assert (err.value.first_line_no, err.value.line_no) == (6, len(lines) + 1)
    assert (err.value.user_id, err.value.item_id) == (int(u), int(m))


def test_rating_of_an_unknown_movie_is_refused(genome_home):
    path = genome_home / "ml-25m" / "ratings.csv"
    _edit_line(path, 30, "2,999999,4.5,1100000000")
    with pytest.raises(DataError, match=r"ratings\.csv, line 30: movie 999999 is not in movies\.csv"):
        load_genome_movielens("ml-25m", genome_home)


def test_duplicated_movie_tag_pair_is_refused(genome_home):
    path = genome_home / "ml-25m" / "genome-scores.csv"
    lines = path.read_text(encoding="utf-8").splitlines()
    m, t, _ = lines[20].split(",")
    _append(path, f"{m},{t},0.5")
    with pytest.raises(MalformedLine) as err:
        load_genome_scores("ml-25m", genome_home)
    msg = str(err.value)
    assert f"{path}, line {len(lines) + 1}: expected each (movie, tag) pair once" in msg
    assert f"(movie {m}, tag {t} is already on line 21)" in msg


def test_missing_movie_tag_pair_is_refused(genome_home):
    path = genome_home / "ml-25m" / "genome-scores.csv"
    lines = path.read_text(encoding="utf-8").splitlines()
    m, t, _ = lines[30].split(",")
    path.write_text("\n".join(lines[:30] + lines[31:]) + "\n", encoding="utf-8")
    _write_manifest(path.parent)
    with pytest.raises(DataError) as err:
        load_genome_scores("ml-25m", genome_home)
    msg = str(err.value)
    assert str(path) in msg and f"movie {m} has no relevance for tag {t}" in msg
    assert "52 movies x 12 tags = 624 lines, found 623" in msg


@pytest.mark.parametrize("bad, expected", [
    ("1,1,1.5", "a relevance between 0 and 1 in field 3 (relevance)"),
    ("1,1,-0.1", "a relevance between 0 and 1"),
    ("1,1,", "a relevance between 0 and 1"),
])
def test_relevance_outside_0_1_is_refused(genome_home, bad, expected):
    path = genome_home / "ml-25m" / "genome-scores.csv"
    _edit_line(path, 2, bad)
    with pytest.raises(MalformedLine) as err:
        load_genome_scores("ml-25m", genome_home)
    assert f"{path}, line 2: expected {expected}" in str(err.value)


def test_tag_missing_from_genome_tags_is_refused(genome_home):
    path = genome_home / "ml-25m" / "genome-scores.csv"
    _edit_line(path, 4, "1,99,0.5")
    with pytest.raises(MalformedLine, match=r"line 4: expected a tagId listed in .*genome-tags\.csv \(12 tags\)"):
        load_genome_scores("ml-25m", genome_home)


# --- checksums ---------------------------------------------------------------------------------

def test_changed_synthetic_file_is_refused(genome_home):
    path = genome_home / "ml-25m" / "genome-scores.csv"
    _edit_line(path, 2, path.read_text().splitlines()[1][:-1] + "9", manifest=False)
    with pytest.raises(ChecksumMismatch) as err:
        load_genome_scores("ml-25m", genome_home)
    assert str(path) in str(err.value) and "regenerate" in str(err.value)
    with pytest.raises(ChecksumMismatch):
        _edit_line(genome_home / "ml-25m" / "ratings.csv", 2, "1,1,0.5,1100000000", manifest=False)
        load_genome_movielens("ml-25m", genome_home)


def test_real_genome_tags_checksum_rejects_another_file(genome_home):
    # Without a synthetic manifest the files are checked against the recorded (real) checksums:
    # ML-25M genome-tags.csv has one, the synthetic tag list does not match it.
    (genome_home / "ml-25m" / SYNTHETIC_MANIFEST).unlink()
    with pytest.raises(ChecksumMismatch) as err:
        load_genome_scores("ml-25m", genome_home)
    msg = str(err.value)
    assert "genome-tags.csv" in msg and "5ca4fe25f16c" in msg and "download_dataset('ml-25m'" in msg
    # ratings.csv and movies.csv have no published checksum: they load (the zip md5 vouches for them)
    assert not load_genome_movielens("ml-25m", genome_home).synthetic


# --- download ----------------------------------------------------------------------------------

@pytest.fixture
def genome_zip(genome_home_ro, tmp_path, monkeypatch):
    """A synthetic ``ml-25m.zip`` laid out like GroupLens' (one ``ml-25m/`` folder, README and tags.csv
    too), served from a file:// URL with its md5 recorded as the release's."""
    src = genome_home_ro / "ml-25m"
    archive = tmp_path / "server" / "ml-25m.zip"
    archive.parent.mkdir()
    with zipfile.ZipFile(archive, "w") as zf:
        for p in sorted(src.iterdir()):
            if p.name != SYNTHETIC_MANIFEST:
                zf.write(p, f"ml-25m/{p.name}")
        zf.writestr("ml-25m/README.txt", "synthetic\n")
        zf.writestr("ml-25m/tags.csv", "userId,movieId,tag,timestamp\n")
    md5 = hashlib.md5(archive.read_bytes()).hexdigest()
    fmt = replace(formats.ML25M, url=archive.as_uri(), zip_md5=md5,
                  files=tuple(FileSpec(s.name) for s in formats.ML25M.files))  # synthetic tags: no real sha
    monkeypatch.setitem(formats.FORMATS, "ml-25m", fmt)
    return fmt, archive


def test_download_extracts_the_release_folder(genome_zip, genome_home_ro, tmp_path):
    home = tmp_path / "home"
    folder = download_dataset("ml-25m", home)
    assert folder == home / "ml-25m"
    assert sorted(p.name for p in folder.iterdir()) == sorted(
        ["genome-scores.csv", "genome-tags.csv", "links.csv", "movies.csv", "ratings.csv"])
    for p in folder.iterdir():
        assert p.read_bytes() == (genome_home_ro / "ml-25m" / p.name).read_bytes()
    assert [p.name for p in home.iterdir()] == ["ml-25m"]  # no staging folder or zip left behind
    ds = load_genome_movielens("ml-25m", home, min_user_ratings=50)
    assert not ds.synthetic and len(ds.users) == 10
    assert load_genome_scores("ml-25m", home).scores.shape == (52, 12)
    assert download_dataset("ml-25m", home) == folder  # present: kept, nothing fetched


def test_download_refuses_a_zip_with_the_wrong_md5(genome_zip, tmp_path, monkeypatch):
    fmt, _ = genome_zip
    monkeypatch.setitem(formats.FORMATS, "ml-25m", replace(fmt, zip_md5="0" * 32))
    with pytest.raises(ChecksumMismatch, match="md5 0000"):
        download_dataset("ml-25m", tmp_path / "home", use_fallback=False)
    with pytest.raises(DownloadFailed) as err:
        download_dataset("ml-25m", tmp_path / "home")
    assert "REFUSED" in str(err.value) and [a[0] for a in err.value.attempts] == ["GroupLens"]
    assert not (tmp_path / "home").exists()


def test_download_refuses_a_zip_without_the_genome(genome_zip, tmp_path, monkeypatch):
    fmt, archive = genome_zip
    with zipfile.ZipFile(archive) as zf:
        members = {n: zf.read(n) for n in zf.namelist() if not n.endswith("genome-scores.csv")}
    with zipfile.ZipFile(archive, "w") as zf:
        for n, data in members.items():
            zf.writestr(n, data)
    monkeypatch.setitem(formats.FORMATS, "ml-25m", replace(fmt, zip_md5=hashlib.md5(archive.read_bytes()).hexdigest()))
    with pytest.raises(DownloadFailed, match="genome-scores.csv is missing from the archive"):
        download_dataset("ml-25m", tmp_path / "home")
