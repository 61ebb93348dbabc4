"""The TSEM report's figures: genre word cloud, poster augmentation panel, synthetic poster."""
from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from mmrec_core import plots
from mmrec_core.data.movielens import MovieLens
from mmrec_core.data.synthetic import synthetic_poster


@pytest.fixture(autouse=True)
def _agg():
    import matplotlib
    import matplotlib.pyplot as plt

    old = matplotlib.get_backend()
    matplotlib.use("Agg", force=True)  # these tests only
    yield
    plt.close("all")
    matplotlib.use(old, force=True)


def _dataset():
    """Drama is on fewer movies than Comedy but watched most often (ratings, not movies, count)."""
    items = pd.DataFrame({"item_id": [1, 2, 3, 4], "title": list("abcd"), "year": [1990] * 4,
                          "genres": [("Drama",), ("Comedy",), ("Comedy", "Horror"), ("Comedy",)]})
    ratings = pd.DataFrame({"user_id": [1, 2, 3, 4, 5, 6, 1, 2, 3], "item_id": [1] * 6 + [2, 3, 4],
                            "rating": [4] * 9})
    users = pd.DataFrame({"user_id": range(1, 7)})
    return MovieLens("toy", None, ratings, users, items, ("Comedy", "Drama", "Horror", "War"))


def test_genre_watch_counts_count_ratings_per_genre():
    counts = plots.genre_watch_counts(_dataset())
    assert counts.to_dict() == {"Drama": 6, "Comedy": 3, "Horror": 1, "War": 0}


def test_genre_wordcloud_largest_word_is_the_most_watched_genre():
    fig = plots.genre_wordcloud(_dataset(), seed=0, width=300, height=150)
    words = fig.wordcloud.words_
    assert max(words, key=words.get) == "Drama" and words["Drama"] == 1.0
    assert set(words) == {"Drama", "Comedy", "Horror"}  # never-watched genres are left out
    assert len(fig.axes) == 1 and fig.axes[0].images[0].get_array().shape[:2] == (150, 300)
    again = plots.genre_wordcloud(_dataset(), seed=0, width=300, height=150)
    assert np.array_equal(fig.wordcloud.to_array(), again.wordcloud.to_array())  # seeded


def test_synthetic_poster_is_seeded_and_sized():
    a, b, c = synthetic_poster(0), synthetic_poster(0), synthetic_poster(1)
    assert a.size == (185, 278) and a.mode == "RGB"
    assert np.array_equal(np.asarray(a), np.asarray(b)) and not np.array_equal(np.asarray(a), np.asarray(c))
    assert synthetic_poster(size=(24, 36), n_shapes=0).size == (24, 36)
    assert len(np.unique(np.asarray(a).reshape(-1, 3), axis=0)) > 100  # noise and shapes, not a flat fill


def test_poster_augmentation_is_deterministic_under_a_seed_and_changes_pixels():
    import torch

    from mmrec_core.features.images import AUGMENTATION_KINDS, poster_augmentation

    img = synthetic_poster(0)
    original = np.asarray(img)
    for kind in AUGMENTATION_KINDS:
        aug = poster_augmentation(kind)
        draws = []
        for _ in range(2):
            torch.manual_seed(7)
            draws.append([np.asarray(aug(img)) for _ in range(3)])
        assert all(np.array_equal(x, y) for x, y in zip(*draws)), kind
        assert all(x.shape == original.shape for x in draws[0])
        assert any(not np.array_equal(x, original) for x in draws[0]), kind
    names = [type(t).__name__ for t in poster_augmentation().transforms]
    assert names == ["AutoAugment", "ColorJitter", "RandomRotation"]
    with pytest.raises(ValueError, match="unknown poster augmentation"):
        poster_augmentation("mixup")


def test_poster_transforms_panel_is_seeded_and_leaves_the_global_rng_alone():
    import torch

    img = synthetic_poster(0)
    torch.manual_seed(123)
    state = torch.get_rng_state()
    fig = plots.poster_transforms(img, seed=0, n_draws=2)
    assert torch.equal(torch.get_rng_state(), state)
    assert len(fig.axes) == 4 * 3
    arrays = [ax.images[0].get_array() for ax in fig.axes]
    assert all(a.shape == (278, 185, 3) for a in arrays)
    assert np.array_equal(arrays[0], np.asarray(img)) and fig.axes[0].get_title() == "original"
    again = [ax.images[0].get_array() for ax in plots.poster_transforms(img, seed=0, n_draws=2).axes]
    other = [ax.images[0].get_array() for ax in plots.poster_transforms(img, seed=1, n_draws=2).axes]
    assert all(np.array_equal(a, b) for a, b in zip(arrays, again))
    assert not all(np.array_equal(a, b) for a, b in zip(arrays, other))


def test_cold_start_draws_one_panel_per_axis_and_one_line_per_model():
    rows = [{"model": f"m{k}", "by": by, "bin": b, "test_ratings": n, "rmse": 1.0 + 0.01 * k, "std": 0.01, "seeds": 5}
            for k in range(12) for by in ("item", "user") for b, n in (("0-5", 10), ("6-20", 30))]
    fig = plots.cold_start(pd.DataFrame(rows), "slices")
    item, user = fig.axes
    assert len(item.containers) == 12 and len(user.containers) == 12          # one errorbar per model
    assert [t.get_text() for t in item.get_xticklabels()] == ["0-5\n(n=10)", "6-20\n(n=30)"]
    first = [c.lines[0].get_color() for c in item.containers]
    assert len(set(map(str, first))) == 12                                     # 12 models, 12 colours
    assert first == [c.lines[0].get_color() for c in user.containers]          # same colour in both panels
    empty = plots.cold_start(pd.DataFrame(columns=["model", "by", "bin", "test_ratings", "rmse", "std", "seeds"]))
    assert "no cold-start slices" in empty.axes[0].texts[0].get_text()
