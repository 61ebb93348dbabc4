import numpy as np
import pandas as pd
import pytest

from mmrec_core.data import kfold_indices, load_content, load_movielens, xia_split, xia_split_indices
from mmrec_core.data.stats import global_mean_rmse, sparsity_pct, table1, top_rated_items, user_genre_watch_matrix


def test_xia_split_proportions_disjoint_deterministic():
    tr, va, te = xia_split_indices(100_000, seed=0)
    assert (len(tr), len(va), len(te)) == (90_000, 5_000, 5_000)
    assert len(np.union1d(np.union1d(tr, va), te)) == 100_000
    assert not np.intersect1d(tr, va).size and not np.intersect1d(tr, te).size and not np.intersect1d(va, te).size
    again = xia_split_indices(100_000, seed=0)
    assert all(np.array_equal(a, b) for a, b in zip((tr, va, te), again))
    other = xia_split_indices(100_000, seed=1)
    assert not np.array_equal(te, other[2])


def test_xia_split_frames(synthetic_home_ro):
    ds = load_movielens("ml-100k", synthetic_home_ro)
    split = xia_split(ds.ratings, seed=0)
    assert len(split.train) + len(split.val) + len(split.test) == len(ds.ratings)
    keys = [set(zip(f.user_id, f.item_id)) for f in (split.train, split.val, split.test)]
    assert not keys[0] & keys[1] and not keys[0] & keys[2] and not keys[1] & keys[2]
    assert split.name == "xia-90-5-5"


def test_xia_split_rejects_bad_fractions():
    with pytest.raises(ValueError, match="sum to 1"):
        xia_split_indices(10, fractions=(0.9, 0.2, 0.05))


def test_kfold_partitions_and_is_seeded():
    folds = kfold_indices(103, k=5, seed=0)
    tests = np.concatenate([te for _, te in folds])
    assert sorted(tests.tolist()) == list(range(103))
    for tr, te in folds:
        assert not np.intersect1d(tr, te).size and len(tr) + len(te) == 103
    again = kfold_indices(103, k=5, seed=0)
    assert all(np.array_equal(a[1], b[1]) for a, b in zip(folds, again))
    assert not np.array_equal(folds[0][1], kfold_indices(103, k=5, seed=1)[0][1])
    with pytest.raises(ValueError):
        kfold_indices(3, k=5)


def test_table1_on_synthetic(synthetic_home_ro):
    ds = load_movielens("ml-100k", synthetic_home_ro)
    content = load_content(ds)
    t = table1(ds, content)
    assert t["users"] == 60 and t["items"] == 80 and t["ratings"] == 2400
    assert t["sparsity_pct"] == pytest.approx(50.0)       # 1 - 2400 / (60 * 80)
    files = sum(p.stat().st_size for p in ds.files)
    posters = sum(p.stat().st_size for p in map(__import__("pathlib").Path, content.poster_path.dropna()))
    assert t["size_mb"] == pytest.approx(round(files / 1e6, 3))
    assert t["size_with_posters_mb"] == pytest.approx(round((files + posters) / 1e6, 3))


def test_sparsity_of_the_papers_counts():
    assert sparsity_pct(100_000, 943, 1682) == pytest.approx(93.695, abs=5e-4)
    assert sparsity_pct(1_000_209, 6040, 3883) == pytest.approx(95.735, abs=5e-4)  # not 95.359


def test_user_genre_matrix_and_top_items():
    from mmrec_core.data.movielens import MovieLens

    ratings = pd.DataFrame({"user_id": [1, 1, 1, 2], "item_id": [10, 11, 12, 10],
                            "rating": [5.0, 3.0, 4.0, 1.0], "timestamp": 0})
    items = pd.DataFrame({"item_id": [10, 11, 12], "title": ["A", "B", "C"], "year": [1, 2, 3],
                          "genres": [("Action",), ("Action", "Drama"), ("Drama",)]})
    users = pd.DataFrame({"user_id": [1, 2], "age": 1, "gender": "M", "occupation": "x", "zip": "1"})
    ds = MovieLens("ml-100k", None, ratings, users, items, ("Action", "Drama"))
    m = user_genre_watch_matrix(ds, normalize=False)
    assert m.loc[1].tolist() == [2, 2] and m.loc[2].tolist() == [1, 0]
    assert user_genre_watch_matrix(ds).loc[1].tolist() == pytest.approx([2 / 3, 2 / 3])
    top = top_rated_items(ds, 2)
    assert top.item_id.tolist() == [10, 12] and top.mean_rating.tolist() == [3.0, 4.0]
    assert global_mean_rmse(ratings, pd.DataFrame({"rating": [3.25, 3.25]})) == pytest.approx(0.0)


def _keys(frame):
    return set(zip(frame.user_id, frame.item_id))


def _check_canonical_folds(ds):
    from mmrec_core.data import canonical_split, load_canonical_split

    tests = []
    for k in range(1, 6):
        base, test = load_canonical_split(ds, f"u{k}")
        split = canonical_split(base, test, f"u{k}", seed=0)
        assert split.name == f"u{k}-val5" and split.test.equals(test.reset_index(drop=True))   # the file, untouched
        assert not _keys(split.val) & _keys(test) and not _keys(split.train) & _keys(test)     # validation never touches .test
        assert _keys(split.train) | _keys(split.val) == _keys(base) and not _keys(split.train) & _keys(split.val)
        assert len(split.val) == round(0.05 * len(base))
        tests.append(_keys(test))
    assert sum(len(t) for t in tests) == len(set().union(*tests)) == len(ds.ratings)          # disjoint test folds
    assert set().union(*tests) == _keys(ds.ratings)                                           # whose union is u.data


def test_canonical_folds_partition_u_data_and_keep_validation_inside_the_base(synthetic_home_ro):
    from mmrec_core.data import canonical_split, load_canonical_split, load_movielens

    ds = load_movielens("ml-100k", synthetic_home_ro)
    _check_canonical_folds(ds)
    base, test = load_canonical_split(ds, "u1")
    a, b = canonical_split(base, test, "u1", seed=0), canonical_split(base, test, "u1", seed=1)
    assert a.val.equals(canonical_split(base, test, "u1", seed=0).val) and not a.val.equals(b.val)   # seeded
    assert canonical_split(base, test, "u1", val_fraction=0.1).name == "u1-val10"
    with pytest.raises(ValueError, match="val_fraction"):
        canonical_split(base, test, "u1", val_fraction=0)


def test_the_real_canonical_folds(real_home):
    from mmrec_core.data import load_movielens

    _check_canonical_folds(load_movielens("ml-100k", real_home))
