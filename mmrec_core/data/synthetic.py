"""Synthetic data in the exact MovieLens formats (the licence forbids shipping real rows).

``write_synthetic_movielens(home)`` lays out a data home like the real one: ``ml-100k/`` (tab and
pipe files, canonical u1..u5/ua/ub splits), ``ml-1m/`` (``::``, Latin-1, accented titles),
``posters/ml-1m/`` (small JPEGs, one greyscale, one PNG saved as ``.jpg``, some missing, optionally
one corrupt), ``links/ml100k_to_ml1m.tsv`` and ``texts/*_plots_best.tsv`` with gaps. Ratings come
from a seeded latent-factor model with genre-dependent taste, and poster colour and plot words depend
on genre, so models and feature probes have real signal to find. Each dataset folder carries a
checksum manifest, so the loader verifies synthetic files exactly as it verifies real ones.

:func:`synthetic_poster` is the one poster drawing routine: the writer uses it for the poster
files and the book for its example poster, so no real poster needs to be committed.
"""
from __future__ import annotations

import csv
import json
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from .download import SYNTHETIC_MANIFEST, sha256_of
from .formats import GENOME_GENRES, ML1M_OCCUPATIONS, ML100K_GENRES, NO_GENRES_LISTED, get_format
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


def synthetic_poster(seed: int = 0, size: tuple[int, int] = (185, 278), *, colour=None,
                     n_shapes: int = 6, band: int | None = None, rng: np.random.Generator | None = None):
    """A made-up poster as an RGB ``PIL.Image`` of ``size`` = (width, height); never a real one.

    A genre-like base colour (``colour``, RGB 0-255; default: drawn from the genre palette the
    synthetic data uses) at a random brightness with pixel noise, ``n_shapes`` coloured ellipses and
    rectangles, and a 'title band' (the pixels inverted over ``band`` rows, default height / 9, at a
    third of the height). ``rng`` (a numpy Generator) overrides ``seed``. The synthetic data writer
    draws its posters with this function (``n_shapes=0``, ``band=4``), so the book's example poster
    and the synthetic data come from one drawing routine.
    """
    from PIL import Image, ImageDraw

    rng = np.random.default_rng(seed) if rng is None else rng
    w, h = size
    if colour is None:
        n_genres = len(ML100K_GENRES)
        colour = _genre_colour(np.array([int(rng.integers(n_genres))]), n_genres)[0]
    base = np.asarray(colour, float) * (0.6 + 0.4 * rng.random())
    img = np.clip(base + rng.normal(0, 18, (h, w, 3)), 0, 255).astype(np.uint8)
    if n_shapes:
        pil = Image.fromarray(img)
        draw = ImageDraw.Draw(pil)
        for _ in range(n_shapes):
            x0, x1 = np.sort(rng.integers(0, w, 2))
            y0, y1 = np.sort(rng.integers(0, h, 2))
            fill = tuple(int(c) for c in rng.integers(0, 256, 3))
            shape = draw.ellipse if rng.random() < 0.5 else draw.rectangle
            shape((int(x0), int(y0), int(max(x1, x0 + 2)), int(max(y1, y0 + 2))), fill=fill)
        img = np.asarray(pil).copy()
    band = max(4, h // 9) if band is None else band
    img[h // 3: h // 3 + band, :, :] = 255 - img[h // 3: h // 3 + band, :, :]  # a 'title band'
    return Image.fromarray(img)


def _write_posters(home: Path, spec: SyntheticSpec, item_genres_1m: np.ndarray,
                   rng: np.random.Generator) -> None:
    folder = home / "posters" / "ml-1m"
    folder.mkdir(parents=True, exist_ok=True)
    colours = _genre_colour(item_genres_1m.argmax(1), item_genres_1m.shape[1])
    for i in range(len(item_genres_1m)):
        mid = i + 1
        if mid % spec.missing_poster_every == 0:
            continue
        poster = synthetic_poster(size=spec.poster_size, colour=colours[i], n_shapes=0, band=4, rng=rng)
        path = folder / f"{mid}.jpg"
        if mid == 2:
            poster.convert("L").save(path, format="JPEG")      # greyscale poster
        elif mid == 3:
            poster.save(path, format="PNG")                    # PNG named .jpg
        else:
            poster.save(path, format="JPEG", quality=90)
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
    _write_imdb_details(home, spec, genres_100k)


_CAST_POOL = tuple(f"Actor {chr(65 + a)}{chr(97 + b)}" for a in range(8) for b in range(4))   # 32 names


def _write_imdb_details(home: Path, spec: SyntheticSpec, genres_100k: np.ndarray) -> None:
    """``texts/ml100k_imdb_details.json`` in the real file's shape (a list of records with cast).

    Every 11th movie has no record (as 91 real ML-100K movies have none); casts are drawn from a
    32-name pool so most members appear in several movies, a few names in one movie only.
    """
    import json

    rng = np.random.default_rng(spec.seed + 7)
    records = []
    for i in range(1, spec.n_items + 1):
        if i % 11 == 0:
            continue
        cast = [str(c) for c in rng.choice(_CAST_POOL, size=3, replace=False)] + [f"Extra {i}"]
        records.append({"movie_id": i, "movie_title": f"Movie {i}", "cast": cast, "director": [f"Director {i % 5}"],
                        "description": f"A story number {i}.", "movie_genres": np.flatnonzero(genres_100k[i - 1]).tolist()})
    (home / "texts" / "ml100k_imdb_details.json").write_text(json.dumps(records, indent=0))


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


# Synthetic tag names (not the real genome's list); one holds a comma, so the file needs quoting.
_GENOME_TAG_WORDS = ("action", "aliens", "atmospheric", "based on a book", "dark, gritty", "dialogue",
                     "family", "funny", "great soundtrack", "historical", "love story", "magic",
                     "murder", "quirky", "space", "suspense", "twist ending", "visually appealing",
                     "war", "western")
# genres whose movies score high on a tag, so the genome carries genre signal
_TAG_GENRE = {"action": "Action", "aliens": "Sci-Fi", "family": "Children", "funny": "Comedy",
              "love story": "Romance", "magic": "Fantasy", "murder": "Crime", "space": "Sci-Fi",
              "suspense": "Thriller", "war": "War", "western": "Western", "historical": "Documentary"}


def _genome_title(k: int, mid: int, year: int) -> str:
    """Titles with the real file's quirks: commas (quoted), quotes, UTF-8, no year, a series' years."""
    word = _TITLE_WORDS[k % len(_TITLE_WORDS)]
    if k == 0:
        return f"{word} {mid}, The ({year})"                   # a comma: quoted in the CSV
    if k == 1:
        return f'Café "{word}" {mid} ({year})'                  # quotes and UTF-8
    if k == 2:
        return f"{word} Series {mid} ({year}-{year + 4})"       # a TV series' years
    if k % 13 == 12:
        return f"{word} {mid}"                                  # no year, as some real titles
    return f"{word} {mid} ({year})"


def write_synthetic_genome(home: str | Path, name: str = "ml-25m", n_users: int = 40, n_items: int = 60,
                           n_tags: int = 12, n_ratings: int = 1200, seed: int = 0) -> Path:
    """Write a small synthetic ``ml-25m`` (or ``ml-20m``) release into ``home`` and return ``home``.

    Files: ``ratings.csv`` (sorted by user then movie, as released; every user rates at least 5
    movies, the first users far more: with the defaults users 1-10 have 50 or more ratings and about
    half the users fewer than 20, so ``min_user_ratings`` has something to filter), ``movies.csv`` (sparse movieIds;
    every 11th movie has ``(no genres listed)``; the last two are never rated), ``links.csv``,
    ``genome-tags.csv`` (tagIds 1..n_tags) and ``genome-scores.csv`` (every tag for every movie except
    every 7th one, which is rated but has no genome scores, as in the real data), plus the checksum
    manifest the loaders verify against. Fast (well under a second) and deterministic in ``seed``.
    """
    fmt = get_format(name)
    if not fmt.has_genome:
        raise ValueError(f"{name} is not a genome release; choose ml-20m or ml-25m")
    if n_tags > len(_GENOME_TAG_WORDS) * 3 or n_items < 8 or n_users < 2:
        raise ValueError("write_synthetic_genome needs n_items >= 8, n_users >= 2 and n_tags <= 60")
    home = Path(home)
    folder = home / fmt.folder
    folder.mkdir(parents=True, exist_ok=True)
    rng = np.random.default_rng(seed)

    movie_ids = np.sort(rng.choice(np.arange(2, 4 * n_items), size=n_items - 1, replace=False))
    movie_ids = np.concatenate([[1], movie_ids]).astype(int)       # sparse ids, like the real ones
    item_genres = np.zeros((n_items, len(GENOME_GENRES)), dtype=int)
    for k in range(n_items):
        if k % 11 == 10:
            continue                                               # "(no genres listed)"
        item_genres[k, rng.choice(len(GENOME_GENRES), size=int(rng.choice([1, 2, 3])), replace=False)] = 1
    item_genres[0, [GENOME_GENRES.index(g) for g in ("Adventure", "Animation", "Children", "Comedy")]] = 1
    item_genres[min(3, n_items - 1), GENOME_GENRES.index("IMAX")] = 1

    # activity: 5 ratings each, the rest spread with weights 1/u^1.5 (heavy head, long tail)
    rated = n_items - 2                                            # the last two movies: never rated
    n_ratings = min(max(n_ratings, 5 * n_users), n_users * rated)
    extra = n_ratings - 5 * n_users
    w = 1.0 / np.arange(1, n_users + 1) ** 1.5
    counts = np.full(n_users, 5)
    for _ in range(extra):
        open_ = counts < rated
        p = w * open_
        counts[rng.choice(n_users, p=p / p.sum())] += 1
    # half-star ratings from a latent model with genre-dependent taste (as _ratings, in halves)
    taste = rng.normal(0, 0.6, (n_users, len(GENOME_GENRES)))
    bu, bi = rng.normal(0, 0.3, n_users), rng.normal(0, 0.4, n_items)
    share = item_genres / np.maximum(item_genres.sum(1, keepdims=True), 1)
    ratings = []
    for u in range(n_users):
        chosen = np.sort(rng.choice(rated, size=int(counts[u]), replace=False))
        raw = 3.4 + bu[u] + bi[chosen] + share[chosen] @ taste[u] + rng.normal(0, 0.6, len(chosen))
        halves = np.clip(np.rint(raw * 2) / 2, 0.5, 5.0)
        ts = 1_100_000_000 + rng.integers(0, 400_000_000, len(chosen))
        ratings += [(u + 1, int(movie_ids[i]), float(r), int(t)) for i, r, t in zip(chosen, halves, ts)]
    ratings.sort(key=lambda r: (r[0], r[1]))

    def write(fname: str, header: list[str], data: list) -> None:
        with open(folder / fname, "w", encoding="utf-8", newline="") as fh:
            out = csv.writer(fh, lineterminator="\n")
            out.writerow(header)
            out.writerows(data)

    write("ratings.csv", ["userId", "movieId", "rating", "timestamp"],
          [(u, m, f"{r:.1f}", t) for u, m, r, t in ratings])
    movies = []
    for k, mid in enumerate(movie_ids):
        genres = "|".join(g for g, f in zip(GENOME_GENRES, item_genres[k]) if f) or NO_GENRES_LISTED
        movies.append((int(mid), _genome_title(k, int(mid), 1920 + int(rng.integers(0, 100))), genres))
    write("movies.csv", ["movieId", "title", "genres"], movies)
    write("links.csv", ["movieId", "imdbId", "tmdbId"],
          [(int(mid), f"{100000 + 37 * int(mid):07d}", "" if k % 17 == 16 else str(800 + int(mid)))
           for k, mid in enumerate(movie_ids)])
    tags = [w if n < len(_GENOME_TAG_WORDS) else f"{w} {n // len(_GENOME_TAG_WORDS) + 1}"
            for n, w in ((n, _GENOME_TAG_WORDS[n % len(_GENOME_TAG_WORDS)]) for n in range(n_tags))]
    write("genome-tags.csv", ["tagId", "tag"], [(t + 1, tag) for t, tag in enumerate(tags)])
    scores = []
    for k, mid in enumerate(movie_ids):
        if k % 7 == 6:
            continue                                               # rated, but no genome scores
        for t, tag in enumerate(tags):
            genre = _TAG_GENRE.get(tag.split(" ")[0] if tag not in _TAG_GENRE else tag)
            boost = 0.6 if genre is not None and item_genres[k, GENOME_GENRES.index(genre)] else 0.0
            rel = float(np.clip(0.05 + boost + rng.normal(0, 0.12), 0.00025, 1.0))
            scores.append((int(mid), t + 1, repr(round(rel, 5))))
    write("genome-scores.csv", ["movieId", "tagId", "relevance"], scores)
    _write_manifest(folder)
    return home
