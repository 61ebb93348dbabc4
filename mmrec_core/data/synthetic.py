"""Synthetic data in the exact MovieLens formats (the licence forbids shipping real rows).

``write_synthetic_movielens(home)`` lays out a data home like the real one: ``ml-100k/`` (tab and
pipe files, canonical u1..u5/ua/ub splits), ``ml-1m/`` (``::``, Latin-1, accented titles),
``posters/ml-1m/`` (small JPEGs, one greyscale, one PNG saved as ``.jpg``, some missing, optionally
one corrupt), ``links/ml100k_to_ml1m.tsv`` and ``texts/*_plots_best.tsv`` with gaps. Ratings come
from a seeded latent-factor model with genre-dependent taste, and poster colour and plot words depend
on genre, so models and feature probes have real signal to find. Each dataset folder carries a
checksum manifest, so the loader verifies synthetic files exactly as it verifies real ones.
"""
from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from .download import SYNTHETIC_MANIFEST, sha256_of
from .formats import ML1M_OCCUPATIONS, ML100K_GENRES
from .movielens import ML1M_GENRES

_WORDS = {
    "Action": "explosive chase agent mission", "Adventure": "journey quest treasure island",
    "Animation": "animated toy cartoon talking", "Children's": "kids family puppy school",
    "Comedy": "funny hilarious mishap wedding", "Crime": "detective heist gang murder",
    "Documentary": "true footage interviews history", "Drama": "family loss struggle redemption",
    "Fantasy": "magic wizard dragon kingdom", "Film-Noir": "shadowy femme fatale city",
    "Horror": "haunted killer nightmare blood", "Musical": "songs dance stage broadway",
    "Mystery": "clue secret disappearance puzzle", "Romance": "love affair couple kiss",
    "Sci-Fi": "alien spaceship future robot", "Thriller": "suspense conspiracy danger escape",
    "War": "soldiers battle army front", "Western": "cowboy sheriff frontier outlaw",
    "unknown": "film story",
}
_OCC_100K = ("administrator", "artist", "doctor", "educator", "engineer", "entertainment",
             "executive", "healthcare", "homemaker", "lawyer", "librarian", "marketing", "none",
             "other", "programmer", "retired", "salesman", "scientist", "student", "technician",
             "writer")
_TITLE_WORDS = ("Night", "Return", "Star", "Love", "City", "Dream", "Lost", "Garden", "Café",
                "Señor", "Ghost", "River", "King", "Road", "Summer", "Fire", "Étoile", "Heart")


@dataclass
class SyntheticSpec:
    n_users: int = 60
    n_items: int = 80
    n_ratings: int = 2400
    seed: int = 0
    n_factors: int = 4
    poster_size: tuple[int, int] = (24, 36)
    missing_poster_every: int = 9       # every k-th ML-1M id has no poster
    missing_text_every: int = 7         # every k-th ML-100K id has no plot text
    corrupt_poster: bool = False        # write one undecodable poster file


def _genre_colour(genre_idx: np.ndarray, n_genres: int) -> np.ndarray:
    hues = np.linspace(0, 1, n_genres, endpoint=False)[genre_idx]
    return np.stack([np.abs(np.sin(np.pi * (hues + k / 3))) for k in range(3)], -1) * 255


def _ratings(rng: np.random.Generator, n_users: int, item_genres: np.ndarray, n_ratings: int,
             n_factors: int) -> np.ndarray:
    n_items, n_genres = item_genres.shape
    taste = rng.normal(0, 0.6, (n_users, n_genres))
    pu = rng.normal(0, 0.5, (n_users, n_factors))
    qi = rng.normal(0, 0.5, (n_items, n_factors))
    bu = rng.normal(0, 0.3, n_users)
    bi = rng.normal(0, 0.4, n_items)
    pairs = set()
    # every user rates at least 5 items (as in MovieLens), then random pairs
    for u in range(n_users):
        for i in rng.choice(n_items, size=min(5, n_items), replace=False):
            pairs.add((u, int(i)))
    n_ratings = min(n_ratings, n_users * n_items)
    while len(pairs) < n_ratings:
        pairs.add((int(rng.integers(n_users)), int(rng.integers(n_items))))
    pairs = np.array(sorted(pairs))
    u, i = pairs[:, 0], pairs[:, 1]
    genre_share = item_genres[i] / np.maximum(item_genres[i].sum(1, keepdims=True), 1)
    score = (3.5 + bu[u] + bi[i] + (pu[u] * qi[i]).sum(1) + (taste[u] * genre_share).sum(1)
             + rng.normal(0, 0.5, len(u)))
    rating = np.clip(np.rint(score), 1, 5).astype(int)
    ts = 874_724_710 + rng.integers(0, 20_000_000, len(u))
    return np.stack([u + 1, i + 1, rating, ts], 1)


def _write_manifest(folder: Path) -> None:
    sums = {p.name: sha256_of(p) for p in sorted(folder.iterdir())
            if p.is_file() and p.name != SYNTHETIC_MANIFEST}
    (folder / SYNTHETIC_MANIFEST).write_text(json.dumps({"synthetic": True, "sha256": sums}, indent=1))


def _write_ml100k(home: Path, spec: SyntheticSpec, rng: np.random.Generator) -> np.ndarray:
    folder = home / "ml-100k"
    folder.mkdir(parents=True, exist_ok=True)
    genres = ML100K_GENRES
    item_genres = np.zeros((spec.n_items, len(genres)), dtype=int)
    for i in range(spec.n_items):
        k = rng.choice([1, 1, 2, 3])
        item_genres[i, rng.choice(np.arange(1, len(genres)), size=k, replace=False)] = 1
    rows = _ratings(rng, spec.n_users, item_genres, spec.n_ratings, spec.n_factors)
    rows = rows[rng.permutation(len(rows))]
    fmt = lambda r: "\t".join(map(str, r))  # noqa: E731
    (folder / "u.data").write_text("\n".join(fmt(r) for r in rows) + "\n", encoding="latin-1")
    # canonical splits: u1..u5 = five disjoint 20% test folds; ua/ub = 10 test ratings per user
    fold = np.arange(len(rows)) % 5
    for k in range(5):
        test, base = rows[fold == k], rows[fold != k]
        for part, data in (("base", base), ("test", test)):
            data = data[np.lexsort((data[:, 1], data[:, 0]))]
            (folder / f"u{k + 1}.{part}").write_text("\n".join(fmt(r) for r in data) + "\n", encoding="latin-1")
    for name, offset in (("ua", 0), ("ub", 5)):
        test_mask = np.zeros(len(rows), bool)
        for u in np.unique(rows[:, 0]):
            idx = np.flatnonzero(rows[:, 0] == u)
            test_mask[idx[offset % max(len(idx), 1):][:min(10, max(len(idx) - 1, 0))]] = True
        for part, data in (("base", rows[~test_mask]), ("test", rows[test_mask])):
            data = data[np.lexsort((data[:, 1], data[:, 0]))]
            (folder / f"{name}.{part}").write_text("\n".join(fmt(r) for r in data) + "\n", encoding="latin-1")
    items = []
    for i in range(spec.n_items):
        year = 1930 + int(rng.integers(0, 68))
        title = f"{_TITLE_WORDS[i % len(_TITLE_WORDS)]} {i + 1} ({year})"
        flags = "|".join(map(str, item_genres[i]))
        items.append(f"{i + 1}|{title}|01-Jan-{year}||http://example.invalid/{i + 1}|{flags}")
    (folder / "u.item").write_text("\n".join(items) + "\n", encoding="latin-1")
    users = []
    for u in range(spec.n_users):
        users.append(f"{u + 1}|{int(rng.integers(7, 74))}|{'MF'[int(rng.integers(2))]}|"
                     f"{_OCC_100K[int(rng.integers(len(_OCC_100K)))]}|{int(rng.integers(10000, 99999))}")
    (folder / "u.user").write_text("\n".join(users) + "\n", encoding="latin-1")
    (folder / "u.genre").write_text("".join(f"{g}|{j}\n" for j, g in enumerate(genres)) + "\n")
    (folder / "u.occupation").write_text("".join(o + "\n" for o in _OCC_100K))
    (folder / "u.info").write_text(f"{spec.n_users} users\n{spec.n_items} items\n{len(rows)} ratings\n")
    _write_manifest(folder)
    return item_genres


def _write_ml1m(home: Path, spec: SyntheticSpec, rng: np.random.Generator) -> np.ndarray:
    folder = home / "ml-1m"
    folder.mkdir(parents=True, exist_ok=True)
    genres = ML1M_GENRES
    n_items = spec.n_items + 10  # more ML-1M movies than ML-100K ones, as in reality
    item_genres = np.zeros((n_items, len(genres)), dtype=int)
    for i in range(n_items):
        item_genres[i, rng.choice(len(genres), size=rng.choice([1, 2]), replace=False)] = 1
    rows = _ratings(rng, spec.n_users, item_genres, spec.n_ratings, spec.n_factors)
    (folder / "ratings.dat").write_text("\n".join("::".join(map(str, r)) for r in rows) + "\n",
                                        encoding="latin-1")
    movies = []
    for i in range(n_items):
        year = 1919 + int(rng.integers(0, 82))
        gs = "|".join(g for g, f in zip(genres, item_genres[i]) if f)
        movies.append(f"{i + 1}::{_TITLE_WORDS[(i * 7) % len(_TITLE_WORDS)]} {i + 1} ({year})::{gs}")
    (folder / "movies.dat").write_text("\n".join(movies) + "\n", encoding="latin-1")
    ages = (1, 18, 25, 35, 45, 50, 56)
    users = [f"{u + 1}::{'MF'[int(rng.integers(2))]}::{ages[int(rng.integers(len(ages)))]}::"
             f"{int(rng.integers(len(ML1M_OCCUPATIONS)))}::{int(rng.integers(10000, 99999))}"
             for u in range(spec.n_users)]
    (folder / "users.dat").write_text("\n".join(users) + "\n", encoding="latin-1")
    _write_manifest(folder)
    return item_genres


def _write_posters(home: Path, spec: SyntheticSpec, item_genres_1m: np.ndarray,
                   rng: np.random.Generator) -> None:
    from PIL import Image

    folder = home / "posters" / "ml-1m"
    folder.mkdir(parents=True, exist_ok=True)
    w, h = spec.poster_size
    colours = _genre_colour(item_genres_1m.argmax(1), item_genres_1m.shape[1])
    for i in range(len(item_genres_1m)):
        mid = i + 1
        if mid % spec.missing_poster_every == 0:
            continue
        base = colours[i] * (0.6 + 0.4 * rng.random())
        img = np.clip(base + rng.normal(0, 18, (h, w, 3)), 0, 255).astype(np.uint8)
        img[h // 3: h // 3 + 4, :, :] = 255 - img[h // 3: h // 3 + 4, :, :]  # a 'title band'
        path = folder / f"{mid}.jpg"
        if mid == 2:
            Image.fromarray(img).convert("L").save(path, format="JPEG")      # greyscale poster
        elif mid == 3:
            Image.fromarray(img).save(path, format="PNG")                    # PNG named .jpg
        else:
            Image.fromarray(img).save(path, format="JPEG", quality=90)
    if spec.corrupt_poster:
        (folder / "5.jpg").write_bytes(b"\xff\xd8\xff\xe0 this is not really a jpeg")


def _write_content_tables(home: Path, spec: SyntheticSpec, genres_100k: np.ndarray,
                          genres_1m: np.ndarray) -> None:
    (home / "links").mkdir(parents=True, exist_ok=True)
    (home / "texts").mkdir(parents=True, exist_ok=True)
    lines = ["ml100k_id\tml100k_title\tml1m_id\tml1m_title\tmatch_method\timdbId_via_ml1m_links\t"
             "imdbId_scraped_manfred\tdesc_status\tposter_file"]
    for i in range(1, spec.n_items + 1):
        ml1m = "" if i % 13 == 0 else str(i)  # a few unmatched movies, as in the real table
        poster = f"posters/ml-1m/{i}.jpg" if ml1m else ""
        lines.append(f"{i}\tMovie {i}\t{ml1m}\tMovie {i}\t{'exact_title' if ml1m else 'none'}\t\t\t\t{poster}")
    (home / "links" / "ml100k_to_ml1m.tsv").write_text("\n".join(lines) + "\n")

    def plot(genre_row: np.ndarray, names: tuple[str, ...], i: int) -> str:
        words = " ".join(_WORDS[g] for g, f in zip(names, genre_row) if f)
        return f"A story number {i} about {words}."

    rows = ["ml100k_id\tsource\ttext"]
    for i in range(1, spec.n_items + 1):
        if i % spec.missing_text_every == 0:
            continue
        source = "imdb_oneliner_verified" if i % 4 else "llm_generated_agent4rec_via_ml1m"
        rows.append(f"{i}\t{source}\t{plot(genres_100k[i - 1], ML100K_GENRES, i)}")
    (home / "texts" / "ml100k_plots_best.tsv").write_text("\n".join(rows) + "\n")
    rows = ["ml1m_id\tsource\ttext"]
    for i in range(1, len(genres_1m) + 1):
        source = "imdb_oneliner_verified" if i % 3 else "llm_generated_agent4rec"
        rows.append(f"{i}\t{source}\t{plot(genres_1m[i - 1], ML1M_GENRES, i)}")
    (home / "texts" / "ml1m_plots_best.tsv").write_text("\n".join(rows) + "\n")


def write_synthetic_movielens(home: str | Path, spec: SyntheticSpec | None = None, **overrides) -> Path:
    """Write a complete synthetic data home (both formats, posters, texts, links) and return it."""
    spec = spec or SyntheticSpec()
    for key, value in overrides.items():
        setattr(spec, key, value)
    home = Path(home)
    home.mkdir(parents=True, exist_ok=True)
    rng = np.random.default_rng(spec.seed)
    g100k = _write_ml100k(home, spec, rng)
    g1m = _write_ml1m(home, spec, rng)
    # posters are keyed by ML-1M id; ML-100K item i links to ML-1M id i, so give ML-1M movie i the
    # genres of ML-100K item i where it exists, so poster colour carries the ML-100K genre signal.
    poster_genres = np.zeros((len(g1m), len(ML100K_GENRES)), dtype=int)
    poster_genres[: len(g100k)] = g100k
    poster_genres[len(g100k):, 1] = 1
    _write_posters(home, spec, poster_genres, rng)
    _write_content_tables(home, spec, g100k, g1m)
    return home
