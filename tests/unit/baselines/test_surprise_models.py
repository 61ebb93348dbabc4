import numpy as np
import pytest

from mmrec_core.baselines.surprise_models import cross_validate, fit_and_evaluate, make_algorithm, summarize_cv
from mmrec_core.data import load_movielens, xia_split
from mmrec_core.data.stats import global_mean_rmse


@pytest.fixture(scope="module")
def split(synthetic_home_ro):
    ds = load_movielens("ml-100k", synthetic_home_ro)
    return xia_split(ds.ratings, seed=0)


def test_item_and_user_cf_are_mean_centred_pearson_knn():
    item, user = make_algorithm("Item-CF"), make_algorithm("User-CF")
    assert type(item).__name__ == "KNNWithMeans" and type(user).__name__ == "KNNWithMeans"
    assert item.sim_options == {"name": "pearson", "user_based": False}
    assert user.sim_options["user_based"] is True and item.k == 40


def test_unknown_algorithm():
    with pytest.raises(ValueError, match="unknown Surprise algorithm"):
        make_algorithm("DeepMagic")


@pytest.mark.parametrize("name", ["Item-CF", "User-CF", "SVD", "BaselineOnly"])
def test_models_beat_the_global_mean_on_structured_synthetic_data(split, name):
    result = fit_and_evaluate(name, split.train, split.parts(), seed=0)
    assert set(result.rmse) == {"train", "val", "test"}
    assert result.predictions["test"].shape == (len(split.test),)
    assert np.all((result.predictions["test"] >= 1) & (result.predictions["test"] <= 5))
    assert result.rmse["train"] < global_mean_rmse(split.train, split.train)
    assert result.rmse["test"] < 1.25 * global_mean_rmse(split.train, split.test)


def test_seed_controls_svd(split):
    a = fit_and_evaluate("SVD", split.train, {"test": split.test}, seed=0)
    b = fit_and_evaluate("SVD", split.train, {"test": split.test}, seed=0)
    c = fit_and_evaluate("SVD", split.train, {"test": split.test}, seed=1)
    assert np.array_equal(a.predictions["test"], b.predictions["test"])
    assert not np.array_equal(a.predictions["test"], c.predictions["test"])


@pytest.mark.parametrize("param, values", [("k", (2, 40)), ("min_k", (1, 25))])
def test_knn_parameters_are_not_ignored(split, param, values):
    a, b = (fit_and_evaluate("Item-CF", split.train, {"test": split.test}, **{param: v}) for v in values)
    assert not np.allclose(a.predictions["test"], b.predictions["test"])


def test_cross_validation_shares_folds_and_summarizes(synthetic_home_ro):
    ds = load_movielens("ml-100k", synthetic_home_ro)
    per_fold = cross_validate(ds.ratings, ["NormalPredictor", "BaselineOnly"], k=3, seed=0, progress=False)
    assert len(per_fold) == 6 and set(per_fold.fold) == {0, 1, 2}
    again = cross_validate(ds.ratings, ["BaselineOnly"], k=3, seed=0, progress=False)
    assert np.allclose(again.rmse, per_fold[per_fold.model == "BaselineOnly"].rmse)  # same folds
    summary = summarize_cv(per_fold)
    assert list(summary.index) == ["NormalPredictor", "BaselineOnly"]
    assert summary.loc["BaselineOnly", ("rmse", "mean")] < summary.loc["NormalPredictor", ("rmse", "mean")]
