"""Table 1 user and movie counts without a ratings file (ML-1M's ratings.dat may be absent)."""
import pytest

from mmrec_core.data import load_movielens, write_synthetic_movielens
from mmrec_core.data.errors import DataFileMissing
from mmrec_core.data.movielens import load_catalogue
from mmrec_core.data.stats import catalogue_rows


def test_counts_come_from_the_user_and_movie_files(tmp_path):
    home = write_synthetic_movielens(tmp_path / "home")
    full = load_movielens("ml-1m", home)
    (home / "ml-1m" / "ratings.dat").unlink()
    with pytest.raises(DataFileMissing):
        load_movielens("ml-1m", home)
    users, items = load_catalogue("ml-1m", home)
    assert len(users) == len(full.users) and len(items) == len(full.items)
    rows = {r.metric: r for r in catalogue_rows(["ml-1m"], home, "quick")}
    assert set(rows) == {"users", "items"} and rows["users"].value == len(full.users)
    assert "ratings file is absent" in rows["items"].notes


def test_a_damaged_movie_file_is_refused_and_missing_files_give_no_rows(tmp_path):
    home = write_synthetic_movielens(tmp_path / "home")
    path = home / "ml-1m" / "movies.dat"
    path.write_bytes(path.read_bytes() + b"9999::Extra (2000)::Drama\n")
    with pytest.raises(Exception, match="movies.dat"):
        load_catalogue("ml-1m", home)
    (home / "ml-1m" / "users.dat").unlink()
    assert catalogue_rows(["ml-1m"], home, "quick") == []
