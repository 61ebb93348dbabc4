"""Line-level checks that hold without checksums (``verify=False``, locally edited releases) and with
them: a cut last line, a (user, item) pair rated twice, a Latin-1 file re-encoded as UTF-8."""
import warnings

import pytest

from mmrec_core.data import DataError, DuplicateRating, MalformedLine, load_canonical_split, load_movielens
from mmrec_core.data.synthetic import _write_manifest


def _edit(path, data: bytes, manifest: bool):
    path.write_bytes(data)
    if manifest:  # keep the synthetic checksum valid, so verify=True reaches the parser too
        _write_manifest(path.parent)


@pytest.mark.parametrize("verify", [False, True])
def test_last_line_cut_mid_field_is_refused(synthetic_home, verify):
    path = synthetic_home / "ml-100k" / "u.data"
    raw = path.read_bytes()
    n_lines = raw.count(b"\n")
    cut = raw[:-7]  # drop the newline and the last 6 digits of the last timestamp
    assert cut.rsplit(b"\t", 1)[-1].isdigit()  # what is left still parses as a number
    _edit(path, cut, manifest=verify)
    with pytest.raises(MalformedLine) as err:
        load_movielens("ml-100k", synthetic_home, verify=verify)
    msg = str(err.value)
    assert f"{path}, line {n_lines}" in msg
    assert "newline" in msg and "download it again" in msg
    assert err.value.line_no == n_lines


def test_missing_final_newline_in_items_is_refused(synthetic_home):
    path = synthetic_home / "ml-100k" / "u.item"
    path.write_bytes(path.read_bytes().rstrip(b"\n"))
    with pytest.raises(MalformedLine, match=r"u\.item, line 80: .*newline"):
        load_movielens("ml-100k", synthetic_home, verify=False)


@pytest.mark.parametrize("verify", [False, True])
def test_duplicated_pair_names_both_lines(synthetic_home, verify):
    path = synthetic_home / "ml-100k" / "u.data"
    lines = path.read_bytes().splitlines(keepends=True)
    user, item, rating, ts = lines[4].split(b"\t")
    again = b"\t".join([user, item, b"1" if rating != b"1" else b"2", ts])
    _edit(path, b"".join(lines + [again]), manifest=verify)
    with pytest.raises(DuplicateRating) as err:
        load_movielens("ml-100k", synthetic_home, verify=verify)
    e = err.value
    assert isinstance(e, MalformedLine) and isinstance(e, DataError)
    assert (e.first_line_no, e.line_no) == (5, len(lines) + 1)
    assert (e.user_id, e.item_id) == (int(user), int(item))
    msg = str(e)
    assert f"{path}, line {len(lines) + 1}" in msg and "line 5" in msg
    assert "keep one of lines 5 and" in msg


def test_duplicate_line_numbers_count_blank_lines(synthetic_home):
    path = synthetic_home / "ml-100k" / "u.data"
    lines = path.read_bytes().splitlines(keepends=True)
    data = lines[:2] + [b"\n"] + lines[2:] + [lines[0]]  # a blank line 3, a copy of line 1 at the end
    path.write_bytes(b"".join(data))
    with pytest.raises(DuplicateRating) as err:
        load_movielens("ml-100k", synthetic_home, verify=False)
    assert (err.value.first_line_no, err.value.line_no) == (1, len(data))


def test_duplicated_pair_in_a_canonical_split_is_refused(synthetic_home):
    ds = load_movielens("ml-100k", synthetic_home)
    path = synthetic_home / "ml-100k" / "u1.test"
    raw = path.read_bytes()
    _edit(path, raw + raw.splitlines(keepends=True)[0], manifest=True)
    with pytest.raises(DuplicateRating, match=r"u1\.test, line \d+: .*first rated on line 1"):
        load_canonical_split(ds, "u1")


def test_utf8_reencoded_items_are_read_as_utf8(synthetic_home):
    path = synthetic_home / "ml-100k" / "u.item"
    latin1 = path.read_bytes()
    assert "Café".encode("latin-1") in latin1
    path.write_bytes(latin1.decode("latin-1").encode("utf-8"))
    with pytest.warns(UserWarning, match=r"u\.item is UTF-8, not latin-1"):
        ds = load_movielens("ml-100k", synthetic_home, verify=False)
    titles = list(ds.items.title)
    assert any("Café" in t for t in titles) and any("Señor" in t for t in titles)
    assert not any("Ã" in t for t in titles)  # no mojibake


def test_utf8_reencoded_ml1m_movies_are_read_as_utf8(synthetic_home):
    path = synthetic_home / "ml-1m" / "movies.dat"
    expected = load_movielens("ml-1m", synthetic_home).items.title.tolist()
    path.write_bytes(path.read_bytes().decode("latin-1").encode("utf-8"))
    with pytest.warns(UserWarning, match="UTF-8"):
        ds = load_movielens("ml-1m", synthetic_home, verify=False)
    assert ds.items.title.tolist() == expected


def test_latin1_release_loads_unchanged_without_warning(synthetic_home_ro):
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        ds = load_movielens("ml-100k", synthetic_home_ro, verify=False)
        ds1 = load_movielens("ml-1m", synthetic_home_ro)
    assert any("Café" in t for t in ds.items.title) and any("Café" in t for t in ds1.items.title)


def test_partly_reencoded_file_is_refused_naming_the_line(synthetic_home):
    path = synthetic_home / "ml-100k" / "u.item"
    lines = path.read_bytes().splitlines(keepends=True)
    latin = [i for i, line in enumerate(lines) if any(b > 127 for b in line)]
    utf8_at = latin[1]
    lines[utf8_at] = lines[utf8_at].decode("latin-1").encode("utf-8")  # one line saved as UTF-8
    path.write_bytes(b"".join(lines))
    with pytest.raises(MalformedLine) as err:
        load_movielens("ml-100k", synthetic_home, verify=False)
    msg = str(err.value)
    assert f"{path}, line {utf8_at + 1}" in msg and "UTF-8" in msg and "one encoding" in msg
