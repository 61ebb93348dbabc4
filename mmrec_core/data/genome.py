"""Load the MovieLens tag-genome releases (ML-20M, ML-25M): ratings, movies and the tag genome.

The CityU TSEM report trains on MovieLens with the tag genome as item content (users with at least
1000 ratings). These releases are comma-separated UTF-8 CSV files with a header line:

``ratings.csv``        userId,movieId,rating,timestamp (half stars, 0.5 to 5.0)
``movies.csv``         movieId,title,genres (``|``-separated; ``(no genres listed)`` means none)
``genome-scores.csv``  movieId,tagId,relevance (every genome movie x every tag, relevance in [0, 1])
``genome-tags.csv``    tagId,tag

They are loaded into the canonical schema of :mod:`mmrec_core.data.movielens` (same column names and
dtypes; ``rating`` keeps its half stars as float32), with a users frame built from the rating user
ids whose demographic columns are missing (NaN / None): GroupLens ships no demographics with them.
Item ids are MovieLens movieIds (not renumbered). Not every movie has genome scores.

ML-25M ``ratings.csv`` has 25 million lines, so files are read with pandas' C parser and checked
with vectorised operations. Only when a check fails is the file scanned line by line, to name the
first bad line (that scan takes tens of seconds on the full release, and happens only on error).
The header line and the final newline (a file cut mid-line) are always checked first.
"""
from __future__ import annotations

import csv
import re
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd

from ..paths import data_home, show_path
from .download import SYNTHETIC_MANIFEST, synthetic_manifest, verify_file
from .errors import DataError, DataFileMissing, DuplicateRating, MalformedLine
from .formats import GENOME_GENRES, NO_GENRES_LISTED, DatasetFormat, get_format
from .movielens import MovieLens

# A release year at the end of a title: "(1995)", or a series' "(1975-1979)" / "(2007-)".
_YEAR = re.compile(r"\((\d{4})(?:[-\u2013]\d{0,4})?\)\s*$")
_INT = re.compile(r"\d+")
_FLOAT = re.compile(r"[+-]?(?:\d+\.?\d*|\.\d+)(?:[eE][+-]?\d+)?")
_GENRE_SET = frozenset(GENOME_GENRES)

_RATINGS_HEADER = ("userId", "movieId", "rating", "timestamp")
_MOVIES_HEADER = ("movieId", "title", "genres")
_SCORES_HEADER = ("movieId", "tagId", "relevance")
_TAGS_HEADER = ("tagId", "tag")

_FIX = ("The file is corrupt or not the release's: delete it and extract it again from the release zip "
        "(or call mmrec_core.data.download_dataset(<release>, <data home>)).")


# --- per-field checks (used by the line-by-line scan that names the first bad line) -------------

def _positive_int(s: str) -> bool:
    return _INT.fullmatch(s) is not None and int(s) > 0


def _nonnegative_int(s: str) -> bool:
    return _INT.fullmatch(s) is not None


def _half_star(s: str) -> bool:
    if _FLOAT.fullmatch(s) is None:
        return False
    r = float(s)
    return 0.5 <= r <= 5.0 and float(r * 2).is_integer()


def _relevance(s: str) -> bool:
    return _FLOAT.fullmatch(s) is not None and 0.0 <= float(s) <= 1.0


def _any_text(s: str) -> bool:
    return True


def _nonempty_text(s: str) -> bool:
    return s.strip() != ""


def _genre_list(s: str) -> bool:
    return s == NO_GENRES_LISTED or all(g in _GENRE_SET for g in s.split("|"))


Check = tuple[Callable[[str], bool], str]
_RATINGS_CHECKS: tuple[Check, ...] = (
    (_positive_int, "a positive integer userId"), (_positive_int, "a positive integer movieId"),
    (_half_star, "a rating from 0.5 to 5.0 in half stars"), (_nonnegative_int, "an integer timestamp"),
)
_MOVIES_CHECKS: tuple[Check, ...] = (
    (_positive_int, "a positive integer movieId"), (_any_text, "a title"),
    (_genre_list, f"|-separated genres among {', '.join(GENOME_GENRES)}, or {NO_GENRES_LISTED!r}"),
)
_SCORES_CHECKS: tuple[Check, ...] = (
    (_positive_int, "a positive integer movieId"), (_positive_int, "a positive integer tagId"),
    (_relevance, "a relevance between 0 and 1"),
)
_TAGS_CHECKS: tuple[Check, ...] = (
    (_positive_int, "a positive integer tagId"), (_nonempty_text, "a tag name"),
)


# --- reading ------------------------------------------------------------------------------------

def _check_header_and_end(path: Path, header: tuple[str, ...]) -> None:
    """The header line is ``header`` and the file ends with a newline (else it was cut mid-line)."""
    with open(path, "rb") as fh:
        first = fh.readline()
        if not first:
            raise DataError(f"{path}: the file is empty; expected the header {','.join(header)} and data "
                            f"lines. {_FIX}")
        got = first.decode("utf-8", "replace").lstrip("\ufeff").rstrip("\r\n")
        if tuple(got.split(",")) != header:
            raise MalformedLine(path, 1, got, f"the header line {','.join(header)!r}", _FIX)
        size = fh.seek(0, 2)
        fh.seek(max(0, size - (1 << 16)))
        tail = fh.read()
    if not tail.endswith(b"\n"):
        with open(path, "rb") as fh:
            n_lines = sum(block.count(b"\n") for block in iter(lambda: fh.read(1 << 20), b"")) + 1
        last = tail[tail.rfind(b"\n") + 1:].decode("utf-8", "replace")
        raise MalformedLine(
            path, n_lines, last, "a last line that ends with a newline",
            "The file does not end with a newline, so its last line may be cut mid-field (a truncated "
            "download or copy). If you edited the file and the line is complete, add the final newline; "
            "otherwise extract the file again from the release zip.")


def _rows(path: Path) -> Iterator[tuple[int, str, list[str]]]:
    """``(line number, line, fields)`` of every data line after the header; empty lines skipped.

    Rows come in the order, and with the numbering, of the rows ``pandas.read_csv`` returns (it
    skips empty lines too), so row ``i`` of a frame is the ``i``-th row yielded here.
    """
    with open(path, "rb") as fh:
        fh.readline()
        for no, raw in enumerate(fh, start=2):
            try:
                line = raw.decode("utf-8")
            except UnicodeDecodeError:
                raise MalformedLine(path, no, raw.decode("utf-8", "replace").rstrip("\r\n"), "UTF-8 text",
                                    "The release is UTF-8: save the file as UTF-8, or extract it again "
                                    "from the release zip.") from None
            line = line.rstrip("\r\n")
            if not line:
                continue
            fields = next(csv.reader([line])) if '"' in line else line.split(",")
            yield no, line, fields


def _first_bad_line(path: Path, header: tuple[str, ...], checks: tuple[Check, ...]) -> MalformedLine | None:
    """The first line that breaks the layout (field count, a field's check), or ``None``."""
    n = len(header)
    for no, line, fields in _rows(path):
        if len(fields) != n:
            return MalformedLine(path, no, line, f"{n} comma-separated fields ({','.join(header)}; this line "
                                 f"has {len(fields)})", _FIX)
        for k, ((ok, what), value) in enumerate(zip(checks, fields)):
            if not ok(value):
                return MalformedLine(path, no, line, f"{what} in field {k + 1} ({header[k]})", _FIX)
    return None


def _refuse(path: Path, header: tuple[str, ...], checks: tuple[Check, ...], problem: str) -> DataError:
    """The error for a file pandas or a vectorised check refused: the first bad line if one is found."""
    bad = _first_bad_line(path, header, checks)
    if bad is not None:
        return bad
    return DataError(f"{path}: {problem}. {_FIX}")


def _lines_of_rows(path: Path, rows: Iterable[int]) -> dict[int, tuple[int, str]]:
    """``{row index: (line number, line)}`` for the given 0-based data rows."""
    wanted = set(int(r) for r in rows)
    out: dict[int, tuple[int, str]] = {}
    if not wanted:
        return out
    last = max(wanted)
    for i, (no, line, _) in enumerate(_rows(path)):
        if i in wanted:
            out[i] = (no, line)
            if i == last:
                break
    return out


def _read_csv(path: Path, header: tuple[str, ...], dtypes: dict[str, str], checks: tuple[Check, ...]) -> pd.DataFrame:
    """Read one release CSV with typed columns; a file pandas cannot read names its first bad line."""
    _check_header_and_end(path, header)
    try:
        frame = pd.read_csv(path, dtype=dtypes, encoding="utf-8-sig", na_filter=False, index_col=False,
                            skip_blank_lines=True, engine="c")
    except (ValueError, OverflowError, UnicodeDecodeError) as exc:  # ParserError is a ValueError
        raise _refuse(path, header, checks, f"not in the expected layout ({exc})") from None
    if list(frame.columns) != list(header):  # guarded by the header check; kept for clarity
        raise DataError(f"{path}: columns {list(frame.columns)}, expected {list(header)}. {_FIX}")
    return frame


def _first_true(mask: np.ndarray) -> int | None:
    idx = np.flatnonzero(mask)
    return int(idx[0]) if idx.size else None


def _refuse_row(path: Path, header: tuple[str, ...], checks: tuple[Check, ...], row: int, what: str) -> DataError:
    """A value a vectorised check refused at ``row``: the scan names the first such line."""
    bad = _first_bad_line(path, header, checks)
    if bad is not None:
        return bad
    no, line = _lines_of_rows(path, [row])[row]
    return MalformedLine(path, no, line, what, _FIX)


def _parse_ratings(path: Path) -> pd.DataFrame:
    dtypes = {"userId": "int64", "movieId": "int64", "rating": "float64", "timestamp": "int64"}
    f = _read_csv(path, _RATINGS_HEADER, dtypes, _RATINGS_CHECKS)
    u, i, r, t = (f[c].to_numpy() for c in _RATINGS_HEADER)
    bad = (u < 1) | (i < 1) | (t < 0) | ~np.isfinite(r) | (r < 0.5) | (r > 5.0) | (r * 2 != np.round(r * 2))
    row = _first_true(bad)
    if row is not None:
        raise _refuse_row(path, _RATINGS_HEADER, _RATINGS_CHECKS, row,
                          "positive ids, a rating from 0.5 to 5.0 in half stars and a timestamp")
    key = u * (int(i.max(initial=0)) + 1) + i
    if key.size > 1 and not (np.diff(key) > 0).all():  # the release is sorted by user, then movie
        dup = pd.Series(key).duplicated().to_numpy()
        k = _first_true(dup)
        if k is not None:
            j = int(np.flatnonzero(key[:k] == key[k])[0])
            lines = _lines_of_rows(path, [j, k])
            raise DuplicateRating(path, lines[j][0], lines[k][0], int(u[k]), int(i[k]), lines[k][1])
    return pd.DataFrame({"user_id": u, "item_id": i, "rating": r.astype(np.float32), "timestamp": t})


def _year(title: str) -> float:
    m = _YEAR.search(title)
    return float(m.group(1)) if m else np.nan


def _parse_movies(path: Path) -> pd.DataFrame:
    dtypes = {"movieId": "int64", "title": "str", "genres": "str"}
    f = _read_csv(path, _MOVIES_HEADER, dtypes, _MOVIES_CHECKS)
    iid = f.movieId.to_numpy()
    row = _first_true(iid < 1)
    if row is not None:
        raise _refuse_row(path, _MOVIES_HEADER, _MOVIES_CHECKS, row, "a positive integer movieId")
    # ~1,600 distinct genre strings in ML-25M: parse each once
    parsed = {}
    for g in pd.unique(f.genres):
        if not _genre_list(g):
            row = int(np.flatnonzero((f.genres == g).to_numpy())[0])
            raise _refuse_row(path, _MOVIES_HEADER, _MOVIES_CHECKS, row, _MOVIES_CHECKS[2][1])
        parsed[g] = () if g == NO_GENRES_LISTED else tuple(g.split("|"))
    dup = f.movieId.duplicated().to_numpy()
    k = _first_true(dup)
    if k is not None:
        j = int(np.flatnonzero(iid[:k] == iid[k])[0])
        lines = _lines_of_rows(path, [j, k])
        raise MalformedLine(path, lines[k][0], lines[k][1], f"each movieId once (movie {int(iid[k])} is "
                            f"already on line {lines[j][0]})", _FIX)
    titles = f.title.tolist()
    return pd.DataFrame({"item_id": iid, "title": titles,
                         "year": pd.array([_year(t) for t in titles], dtype="Float64").astype("Int64"),
                         "genres": [parsed[g] for g in f.genres]})


def _genome_format(name: str) -> DatasetFormat:
    fmt = get_format(name)
    if not fmt.has_genome:
        raise ValueError(f"{name} has no tag genome; the genome releases are ml-20m and ml-25m "
                         f"(use load_movielens({name!r}) for {name}).")
    return fmt


def _check_files(folder: Path, fmt: DatasetFormat, names: list[str], verify: bool) -> dict | None:
    """Verify ``names`` in ``folder`` (or, with ``verify=False``, only that they exist)."""
    synth = synthetic_manifest(folder)
    for fname in names:
        if verify or not (folder / fname).exists():
            verify_file(folder / fname, fmt.spec(fname), fmt, synth)  # raises the missing error
    return synth


def load_genome_movielens(name: str = "ml-25m", home: str | Path | None = None, min_user_ratings: int = 0,
                          verify: bool = True) -> MovieLens:
    """Ratings and movies of ``ml-25m`` or ``ml-20m`` from the data home (``$MMREC_DATA``).

    ``min_user_ratings`` keeps only the users with at least that many ratings (the CityU report
    keeps users with >= 1000) and is recorded on the result; every movie of ``movies.csv`` is kept,
    rated or not, as the other releases' loaders keep every movie of their movie file. ``users``
    has the columns of the other releases with missing demographics (age NaN; gender, occupation,
    zip None). Files are verified first (the synthetic manifest for a synthetic home; the real
    files' sha256 is not published, see :mod:`~mmrec_core.data.formats`); a missing file raises
    :class:`~mmrec_core.data.DataFileMissing` saying how to get the release. ``verify=False``
    skips the checksums, not the line checks: a malformed line raises :class:`MalformedLine`
    naming the file and the line, a (user, movie) pair rated twice :class:`DuplicateRating`.
    """
    fmt = _genome_format(name)
    if min_user_ratings < 0:
        raise ValueError(f"min_user_ratings must be >= 0, got {min_user_ratings}")
    folder = Path(data_home(home)) / fmt.folder
    synth = _check_files(folder, fmt, [fmt.ratings_file, fmt.items_file], verify)
    ratings = _parse_ratings(folder / fmt.ratings_file)
    items = _parse_movies(folder / fmt.items_file)
    unknown = ~ratings.item_id.isin(items.item_id).to_numpy()
    row = _first_true(unknown)
    if row is not None:
        no, line = _lines_of_rows(folder / fmt.ratings_file, [row])[row]
        raise DataError(
            f"{folder / fmt.ratings_file}, line {no}: movie {int(ratings.item_id[row])} is not in "
            f"{fmt.items_file} (line is {line!r}). The files come from different releases: extract both "
            f"again from {fmt.name}.zip.")
    if min_user_ratings > 0:
        counts = ratings.user_id.value_counts()
        keep = counts.index[counts.to_numpy() >= min_user_ratings]
        ratings = ratings[ratings.user_id.isin(keep)].reset_index(drop=True)
    uid = np.unique(ratings.user_id.to_numpy())
    users = pd.DataFrame({"user_id": uid, "age": np.full(len(uid), np.nan),
                          "gender": pd.Series([None] * len(uid), dtype=object),
                          "occupation": pd.Series([None] * len(uid), dtype=object),
                          "zip": pd.Series([None] * len(uid), dtype=object)})
    files = sorted(p for p in folder.iterdir() if p.is_file() and p.name != SYNTHETIC_MANIFEST)
    return MovieLens(name=fmt.name, root=folder, ratings=ratings, users=users, items=items,
                     genres=GENOME_GENRES, synthetic=synth is not None, files=files,
                     min_user_ratings=int(min_user_ratings))


def load_genome_tags(path: str | Path) -> pd.DataFrame:
    """A bare ``genome-tags.csv``: columns ``tag_id`` (int64) and ``tag``, one row per tag, by id.

    The file is checked as the loaders check any release file (header ``tagId,tag``, final
    newline, positive integer ids, each id once, non-empty names) but not against a checksum;
    :func:`load_genome_scores` verifies the one of a release.
    """
    path = Path(path)
    if not path.exists():
        raise DataFileMissing(path, "genome-tags.csv is part of MovieLens 25M and 20M: download "
                              "https://files.grouplens.org/datasets/movielens/ml-25m.zip (or ml-20m.zip) and unzip it.")
    f = _read_csv(path, _TAGS_HEADER, {"tagId": "int64", "tag": "str"}, _TAGS_CHECKS)
    tid = f.tagId.to_numpy()
    row = _first_true((tid < 1) | (f.tag.str.strip() == "").to_numpy())
    if row is not None:
        raise _refuse_row(path, _TAGS_HEADER, _TAGS_CHECKS, row, "a positive tagId and a tag name")
    k = _first_true(f.tagId.duplicated().to_numpy())
    if k is not None:
        j = int(np.flatnonzero(tid[:k] == tid[k])[0])
        lines = _lines_of_rows(path, [j, k])
        raise MalformedLine(path, lines[k][0], lines[k][1], f"each tagId once (tag {int(tid[k])} is already "
                            f"on line {lines[j][0]})", _FIX)
    out = pd.DataFrame({"tag_id": tid, "tag": f.tag.tolist()})
    return out.sort_values("tag_id", kind="stable").reset_index(drop=True)


@dataclass
class GenomeScores:
    """The tag genome of a release as a dense matrix: one row per genome movie, one column per tag.

    ``item_ids`` (n_items,) int64 ascending MovieLens movieIds; ``tag_ids`` (n_tags,) int64
    ascending; ``tags`` their names; ``scores`` (n_items, n_tags) float32 relevances in [0, 1].
    """

    name: str
    item_ids: np.ndarray
    tag_ids: np.ndarray
    tags: tuple[str, ...]
    scores: np.ndarray
    root: Path | None = None
    synthetic: bool = False

    @property
    def n_items(self) -> int:
        return int(len(self.item_ids))

    @property
    def n_tags(self) -> int:
        return int(len(self.tag_ids))

    def align(self, item_ids) -> tuple[np.ndarray, np.ndarray]:
        """``(matrix, mask)`` for any list of movie ids, in that order.

        ``matrix`` is (len(item_ids), n_tags) float32; a movie without genome scores gets a row of
        zeros and ``mask`` False, so a model can tell "no content" from "zero relevance".
        """
        ids = np.asarray(item_ids, dtype=np.int64).reshape(-1)
        out = np.zeros((len(ids), self.n_tags), dtype=np.float32)
        if self.n_items == 0 or len(ids) == 0:
            return out, np.zeros(len(ids), dtype=bool)
        pos = np.minimum(np.searchsorted(self.item_ids, ids), self.n_items - 1)
        mask = self.item_ids[pos] == ids
        out[mask] = self.scores[pos[mask]]
        return out, mask

    def frame(self) -> pd.DataFrame:
        """The matrix as a DataFrame (index item_id, one column per tag name)."""
        return pd.DataFrame(self.scores, index=pd.Index(self.item_ids, name="item_id"), columns=list(self.tags))

    def __repr__(self) -> str:
        kind = "synthetic " if self.synthetic else ""
        where = f", root={show_path(self.root)!r}" if self.root is not None else ""
        return f"GenomeScores({kind}{self.name!r}: {self.n_items:,} movies x {self.n_tags:,} tags{where})"


def load_genome_scores(name: str = "ml-25m", home: str | Path | None = None, verify: bool = True) -> GenomeScores:
    """The tag genome of ``ml-25m`` or ``ml-20m``: ``genome-scores.csv`` pivoted with ``genome-tags.csv``.

    Every (movie, tag) pair must be present exactly once, every tagId must be listed in
    ``genome-tags.csv`` and every relevance must lie in [0, 1]; otherwise the error names the file
    and the line (or the missing pair). A missing file raises
    :class:`~mmrec_core.data.DataFileMissing` saying how to get the release.
    """
    fmt = _genome_format(name)
    folder = Path(data_home(home)) / fmt.folder
    synth = _check_files(folder, fmt, [fmt.genome_tags_file, fmt.genome_scores_file], verify)
    tags = load_genome_tags(folder / fmt.genome_tags_file)
    tag_ids = tags.tag_id.to_numpy()
    path = folder / fmt.genome_scores_file
    f = _read_csv(path, _SCORES_HEADER, {"movieId": "int64", "tagId": "int64", "relevance": "float64"},
                  _SCORES_CHECKS)
    movie, tag, rel = (f[c].to_numpy() for c in _SCORES_HEADER)
    row = _first_true((movie < 1) | (tag < 1) | ~np.isfinite(rel) | (rel < 0) | (rel > 1))
    if row is not None:
        raise _refuse_row(path, _SCORES_HEADER, _SCORES_CHECKS, row, "positive ids and a relevance in [0, 1]")
    col = np.minimum(np.searchsorted(tag_ids, tag), max(len(tag_ids) - 1, 0))
    row = _first_true(tag_ids[col] != tag) if len(tag_ids) else (0 if len(tag) else None)
    if row is not None:
        no, line = _lines_of_rows(path, [row])[row]
        raise MalformedLine(path, no, line, f"a tagId listed in {folder / fmt.genome_tags_file} "
                            f"({len(tag_ids)} tags)", "The two genome files come from different releases: "
                            f"extract both again from {fmt.name}.zip.")
    item_ids, item_row = np.unique(movie, return_inverse=True)
    n_items, n_tags = len(item_ids), len(tag_ids)
    flat = item_row.astype(np.int64) * n_tags + col
    counts = np.bincount(flat, minlength=n_items * n_tags)
    if (counts > 1).any():
        k = _first_true(pd.Series(flat).duplicated().to_numpy())
        j = int(np.flatnonzero(flat[:k] == flat[k])[0])
        lines = _lines_of_rows(path, [j, k])
        raise MalformedLine(path, lines[k][0], lines[k][1],
                            f"each (movie, tag) pair once (movie {int(movie[k])}, tag {int(tag[k])} is already "
                            f"on line {lines[j][0]})", _FIX)
    if (counts == 0).any():
        cell = _first_true(counts == 0)
        m, t = int(item_ids[cell // n_tags]), int(tag_ids[cell % n_tags])
        raise DataError(
            f"{path}: movie {m} has no relevance for tag {t} ({tags.tag[cell % n_tags]!r}); expected every "
            f"genome movie to have a score for every tag ({n_items:,} movies x {n_tags:,} tags = "
            f"{n_items * n_tags:,} lines, found {len(flat):,}). The file is incomplete: {_FIX}")
    scores = np.empty(n_items * n_tags, dtype=np.float32)
    scores[flat] = rel
    return GenomeScores(name=fmt.name, item_ids=item_ids.astype(np.int64), tag_ids=tag_ids.astype(np.int64),
                        tags=tuple(tags.tag), scores=scores.reshape(n_items, n_tags), root=folder,
                        synthetic=synth is not None)
