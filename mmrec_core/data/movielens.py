"""Load MovieLens 100K and 1M into one canonical schema.

``ratings``: user_id, item_id, rating, timestamp (int64; rating float32)
``users``:   user_id, age, gender, occupation, zip
``items``:   item_id, title, year (nullable), genres (tuple of genre names)

Every file is verified against its recorded checksum first, then parsed strictly: a line with the
wrong number of fields, a non-numeric id, an out-of-range rating, a (user, item) pair rated twice or
a last line without its newline (cut mid-field) is an error naming the file and the line, never a
silently dropped row. These line-level checks also run with ``verify=False`` (locally edited
releases), where the checksum no longer vouches for the file. A Latin-1 file re-encoded as UTF-8 is
read as UTF-8, with a warning (see ``_read_lines``).
"""
from __future__ import annotations

import re
import warnings
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import pandas as pd

from ..paths import data_home, show_path
from .download import synthetic_manifest, verify_file
from .errors import DataError, DuplicateRating, MalformedLine
from .formats import ML1M_OCCUPATIONS, ML100K_GENRES, DatasetFormat, get_format

_YEAR = re.compile(r"\((\d{4})\)\s*$")


@dataclass
class MovieLens:
    """One loaded MovieLens release in the canonical schema.

    ``min_user_ratings`` is the activity filter the loader applied (0: none); only the genome
    releases' loader (:func:`~mmrec_core.data.load_genome_movielens`) filters.
    """

    name: str
    root: Path
    ratings: pd.DataFrame
    users: pd.DataFrame
    items: pd.DataFrame
    genres: tuple[str, ...]
    synthetic: bool = False
    files: list[Path] = field(default_factory=list)
    min_user_ratings: int = 0

    @property
    def n_users(self) -> int:
        return int(self.users.user_id.nunique())

    @property
    def n_items(self) -> int:
        return int(self.items.item_id.nunique())

    def genre_matrix(self) -> pd.DataFrame:
        """Items x genres 0/1 matrix (index item_id, columns in ``self.genres`` order)."""
        rows = np.zeros((len(self.items), len(self.genres)), dtype=np.int8)
        col = {g: j for j, g in enumerate(self.genres)}
        for i, gs in enumerate(self.items.genres):
            for g in gs:
                rows[i, col[g]] = 1
        return pd.DataFrame(rows, index=self.items.item_id.to_numpy(), columns=list(self.genres))

    def __repr__(self) -> str:  # keep notebooks readable
        kind = "synthetic " if self.synthetic else ""
        kept = f" (users with >= {self.min_user_ratings:,} ratings)" if self.min_user_ratings else ""
        return (f"MovieLens({kind}{self.name!r}{kept}: {len(self.ratings):,} ratings, "
                f"{self.n_users:,} users, {self.n_items:,} items, root={show_path(self.root)!r})")


_LATIN1 = {"latin-1", "latin1", "iso-8859-1", "iso8859-1", "l1"}
# A multi-byte UTF-8 sequence; a genuine Latin-1 MovieLens file has none (an accented letter there
# is one byte followed by ASCII), so finding one in a file that is not valid UTF-8 means that part
# of the file was re-encoded.
_UTF8_SEQ = re.compile(rb"[\xc2-\xdf][\x80-\xbf]|[\xe0-\xef][\x80-\xbf]{2}|[\xf0-\xf4][\x80-\xbf]{3}")


def _line_no_at(raw: bytes, offset: int) -> int:
    return raw.count(b"\n", 0, offset) + 1


def _read_lines(path: Path, encoding: str) -> list[str]:
    """The lines of a data file, after the checks every MovieLens file must pass.

    * The file must end with a newline: otherwise its last line may have been cut mid-field
      (``879`` parses as a timestamp just as well as ``879250949``).
    * The releases are Latin-1. A file that is valid UTF-8 and has non-ASCII bytes was re-encoded
      (an editor saved it as UTF-8): it is **read as UTF-8**, with a warning, so titles come out as
      in the release (``Misérables``, not ``MisÃ©rables``). A file that mixes both (UTF-8
      sequences in a file that is not valid UTF-8) is refused, naming the first such line.
    """
    raw = path.read_bytes()
    if raw and not raw.endswith(b"\n"):
        start = raw.rfind(b"\n") + 1
        raise MalformedLine(
            path, _line_no_at(raw, start), raw[start:].decode(encoding, "replace"),
            "a last line that ends with a newline",
            "The file does not end with a newline, so its last line may be cut mid-field "
            "(a truncated download or copy). If you edited the file and the line is complete, add "
            "the final newline; otherwise delete the file and download it again "
            "(python -m mmrec_core download <dataset>).")
    if encoding.lower().replace("_", "-") in _LATIN1 and not raw.isascii():
        try:
            text = raw.decode("utf-8")
        except UnicodeDecodeError:
            m = _UTF8_SEQ.search(raw)
            if m is not None:
                start = raw.rfind(b"\n", 0, m.start()) + 1
                end = raw.find(b"\n", m.start())
                raise MalformedLine(
                    path, _line_no_at(raw, m.start()), raw[start:end].decode(encoding),
                    f"{encoding} text like the rest of the file",
                    "This line holds UTF-8 bytes but the file is not UTF-8 (part of it was "
                    "re-encoded). Save the whole file in one encoding (Latin-1, as released, or "
                    "UTF-8), or delete it and download it again.") from None
        else:
            warnings.warn(f"{path} is UTF-8, not {encoding} as released (it was re-encoded, e.g. "
                          "saved by an editor); reading it as UTF-8.", UserWarning, stacklevel=3)
            return text.splitlines()
    try:
        text = raw.decode(encoding)
    except UnicodeDecodeError as exc:  # latin-1 never fails; kept for other encodings
        raise DataError(f"{path}: not {encoding} text ({exc}).") from exc
    return text.splitlines()


def _nonblank_line_nos(lines: list[str]) -> list[int]:
    """1-based line numbers of the rows ``_split_fields`` returns (blank lines are skipped)."""
    return [n for n, line in enumerate(lines, 1) if line.strip()]


def _split_fields(path: Path, lines: list[str], sep: str, n_fields: int, what: str,
                  min_fields: int | None = None) -> list[list[str]]:
    out = []
    lo = n_fields if min_fields is None else min_fields
    for no, line in enumerate(lines, start=1):
        if not line.strip():
            continue
        parts = line.split(sep)
        if not (lo <= len(parts) <= n_fields):
            raise MalformedLine(path, no, line, f"{n_fields} fields separated by {sep!r} ({what})")
        out.append(parts + [""] * (n_fields - len(parts)))
    if not out:
        raise DataError(f"{path}: the file is empty; expected {what}. Download it again.")
    return out


def _to_int(path: Path, lines: list[str], rows: list[list[str]], col: int, what: str,
            sep: str) -> np.ndarray:
    values = np.empty(len(rows), dtype=np.int64)
    for i, row in enumerate(rows):
        try:
            values[i] = int(row[col])
        except ValueError:
            # Locate the original line (blank lines were skipped) for the message.
            idx = _nonblank_line_nos(lines)[i]
            raise MalformedLine(path, idx, lines[idx - 1], f"an integer {what} in field {col + 1}") from None
    return values


def _parse_ratings(path: Path, fmt: DatasetFormat) -> pd.DataFrame:
    lines = _read_lines(path, fmt.encoding)
    rows = _split_fields(path, lines, fmt.ratings_sep, 4, "user id, item id, rating, timestamp")
    cols = [_to_int(path, lines, rows, c, w, fmt.ratings_sep)
            for c, w in enumerate(("user id", "item id", "rating", "timestamp"))]
    lo, hi = fmt.rating_scale
    bad = np.flatnonzero((cols[2] < lo) | (cols[2] > hi))
    if bad.size:
        idx = _nonblank_line_nos(lines)[bad[0]]
        raise MalformedLine(path, idx, lines[idx - 1], f"a rating between {lo} and {hi}")
    frame = pd.DataFrame({"user_id": cols[0], "item_id": cols[1],
                          "rating": cols[2].astype(np.float32), "timestamp": cols[3]})
    dup = frame.duplicated(["user_id", "item_id"]).to_numpy()  # vectorised: ~ms for 100K rows
    if dup.any():
        i = int(np.flatnonzero(dup)[0])
        u, it = cols[0][i], cols[1][i]
        j = int(np.flatnonzero((cols[0][:i] == u) & (cols[1][:i] == it))[0])
        nos = _nonblank_line_nos(lines)
        raise DuplicateRating(path, nos[j], nos[i], int(u), int(it), lines[nos[i] - 1])
    return frame


def _parse_users(path: Path, fmt: DatasetFormat) -> pd.DataFrame:
    lines = _read_lines(path, fmt.encoding)
    rows = _split_fields(path, lines, fmt.users_sep, 5, "user id, demographics")
    if fmt.name == "ml-100k":  # id|age|gender|occupation|zip
        uid = _to_int(path, lines, rows, 0, "user id", fmt.users_sep)
        age = _to_int(path, lines, rows, 1, "age", fmt.users_sep)
        gender = [r[2] for r in rows]
        occ = [r[3] for r in rows]
        zips = [r[4] for r in rows]
    else:  # id::gender::age::occupation::zip, occupation coded 0..20
        uid = _to_int(path, lines, rows, 0, "user id", fmt.users_sep)
        gender = [r[1] for r in rows]
        age = _to_int(path, lines, rows, 2, "age", fmt.users_sep)
        occ_code = _to_int(path, lines, rows, 3, "occupation code", fmt.users_sep)
        if occ_code.min() < 0 or occ_code.max() >= len(ML1M_OCCUPATIONS):
            i = int(np.flatnonzero((occ_code < 0) | (occ_code >= len(ML1M_OCCUPATIONS)))[0])
            raise MalformedLine(path, i + 1, lines[i], "an occupation code between 0 and 20")
        occ = [ML1M_OCCUPATIONS[c] for c in occ_code]
        zips = [r[4] for r in rows]
    bad = [i for i, g in enumerate(gender) if g not in ("M", "F")]
    if bad:
        raise MalformedLine(path, bad[0] + 1, lines[bad[0]], "gender M or F")
    return pd.DataFrame({"user_id": uid, "age": age, "gender": gender,
                         "occupation": occ, "zip": zips})


def _year(title: str, date: str = "") -> float:
    m = _YEAR.search(title)
    if m:
        return float(m.group(1))
    m = re.search(r"(\d{4})$", date.strip())
    return float(m.group(1)) if m else np.nan


def _parse_items(path: Path, fmt: DatasetFormat, genre_names: tuple[str, ...]) -> pd.DataFrame:
    lines = _read_lines(path, fmt.encoding)
    if fmt.name == "ml-100k":
        n = 5 + len(genre_names)
        rows = _split_fields(path, lines, fmt.items_sep, n, f"{n} fields: id|title|date|video date|url|genre flags")
        iid = _to_int(path, lines, rows, 0, "item id", fmt.items_sep)
        flags = np.array([[f == "1" for f in r[5:]] for r in rows])
        for i, r in enumerate(rows):
            if any(f not in ("0", "1") for f in r[5:]):
                raise MalformedLine(path, i + 1, lines[i], "genre flags 0 or 1")
        genres = [tuple(g for g, f in zip(genre_names, fl) if f) for fl in flags]
        titles = [r[1] for r in rows]
        years = [_year(r[1], r[2]) for r in rows]
    else:
        rows = _split_fields(path, lines, fmt.items_sep, 3, "id::title::genres")
        iid = _to_int(path, lines, rows, 0, "item id", fmt.items_sep)
        titles = [r[1] for r in rows]
        genres = [tuple(g for g in r[2].split("|") if g) for r in rows]
        years = [_year(t) for t in titles]
        unknown = [(i, g) for i, gs in enumerate(genres) for g in gs if g not in genre_names]
        if unknown:
            i, g = unknown[0]
            raise MalformedLine(path, i + 1, lines[i], f"genres among {', '.join(genre_names)} (got {g!r})")
    return pd.DataFrame({"item_id": iid, "title": titles,
                         "year": pd.array(years, dtype="Float64").astype("Int64"),
                         "genres": genres})


ML1M_GENRES = (
    "Action", "Adventure", "Animation", "Children's", "Comedy", "Crime", "Documentary", "Drama",
    "Fantasy", "Film-Noir", "Horror", "Musical", "Mystery", "Romance", "Sci-Fi", "Thriller",
    "War", "Western",
)


def _genres(fmt) -> tuple:
    return ML100K_GENRES if fmt.name == "ml-100k" else ML1M_GENRES


def _users_and_items(folder: Path, fmt) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Parse a release's user and movie files (already verified); an id listed twice is refused."""
    users = _parse_users(folder / fmt.users_file, fmt)
    items = _parse_items(folder / fmt.items_file, fmt, _genres(fmt))
    for frame, key, fname in ((users, "user_id", fmt.users_file), (items, "item_id", fmt.items_file)):
        dup = frame[key][frame[key].duplicated()]
        if len(dup):
            raise DataError(f"{folder / fname}: {key} {int(dup.iloc[0])} appears twice. Download it again.")
    return users, items


def load_movielens(name: str = "ml-100k", home: str | Path | None = None,
                   verify: bool = True) -> MovieLens:
    """Load ``ml-100k`` or ``ml-1m`` from the data home (``$MMREC_DATA``), verified.

    The genome releases (``ml-20m``, ``ml-25m``) are read by
    :func:`~mmrec_core.data.load_genome_movielens` (all users kept), which this delegates to.

    A folder generated by :func:`write_synthetic_movielens` is recognised by its checksum manifest
    and verified against it; everything else must match the official checksums. ``verify=False``
    (for locally edited releases) skips the checksums but not the line-level checks: a last line
    without its newline, a (user, item) pair rated twice (:class:`DuplicateRating`, naming both
    lines) and a malformed field still raise :class:`MalformedLine`; a file re-encoded as UTF-8 is
    read as UTF-8 with a warning.
    """
    fmt = get_format(name)
    if fmt.has_genome:
        from .genome import load_genome_movielens  # genome.py builds on this module

        return load_genome_movielens(name, home, verify=verify)
    root = Path(data_home(home))
    folder = root / fmt.folder
    synth = synthetic_manifest(folder)
    needed = [fmt.ratings_file, fmt.users_file, fmt.items_file]
    if verify:
        for fname in needed:
            verify_file(folder / fname, fmt.spec(fname), fmt, synth)
    else:
        for fname in needed:
            if not (folder / fname).exists():
                verify_file(folder / fname, fmt.spec(fname), fmt, synth)  # raises the missing error
    genre_names = _genres(fmt)
    ratings = _parse_ratings(folder / fmt.ratings_file, fmt)
    users, items = _users_and_items(folder, fmt)
    unknown_u = ~ratings.user_id.isin(users.user_id)
    unknown_i = ~ratings.item_id.isin(items.item_id)
    if unknown_u.any() or unknown_i.any():
        row = ratings[unknown_u | unknown_i].iloc[0]
        raise DataError(
            f"{folder / fmt.ratings_file}: rating of user {int(row.user_id)} for item "
            f"{int(row.item_id)} names a user or item missing from {fmt.users_file}/{fmt.items_file}. "
            "The files come from different releases: download the dataset again.")
    files = sorted(p for p in folder.iterdir() if p.is_file() and p.name != "MMREC_SYNTHETIC.json")
    return MovieLens(name=fmt.name, root=folder, ratings=ratings, users=users, items=items,
                     genres=genre_names, synthetic=synth is not None, files=files)


def load_catalogue(name: str = "ml-1m", home: str | Path | None = None) -> tuple[pd.DataFrame, pd.DataFrame]:
    """``(users, items)`` of a release whose user and movie files are present, verified.

    For the statistics that do not need ratings (Xia's Table 1 user and movie counts) when the
    ratings file is absent, as ML-1M's ``ratings.dat`` is on some machines. Both files must pass
    their checksums; a missing one raises :class:`DataFileMissing` with the download instructions.
    """
    fmt = get_format(name)
    if fmt.users_file is None:
        raise ValueError(f"{name} has no users file (GroupLens ships no demographics with it), so it has "
                         "no catalogue without ratings: use mmrec_core.data.load_genome_movielens.")
    folder = Path(data_home(home)) / fmt.folder
    synth = synthetic_manifest(folder)
    for fname in (fmt.users_file, fmt.items_file):
        verify_file(folder / fname, fmt.spec(fname), fmt, synth)
    return _users_and_items(folder, fmt)


def load_canonical_split(dataset: MovieLens, split: str) -> tuple[pd.DataFrame, pd.DataFrame]:
    """The ML-100K ``u1``..``u5``, ``ua``, ``ub`` train/test files, verified and parsed."""
    fmt = get_format(dataset.name)
    if split not in fmt.split_files:
        raise ValueError(f"{dataset.name} has no canonical split {split!r}; choose from {fmt.split_files}")
    synth = synthetic_manifest(dataset.root)
    out = []
    for part in ("base", "test"):
        path = dataset.root / f"{split}.{part}"
        verify_file(path, fmt.spec(path.name), fmt, synth)
        out.append(_parse_ratings(path, fmt))
    return out[0], out[1]
