"""Per-movie content: poster file and plot text, with an explicit missing mask.

ML-100K movies reach posters and texts through ``links/ml100k_to_ml1m.tsv`` (ML-100K id ->
ML-1M id); ML-1M movies name their poster directly. The text's source is kept: a real IMDb
one-liner is not the same evidence as a machine-generated summary, and results say which they used.
"""
from __future__ import annotations

import hashlib
import json
import os
import warnings
from pathlib import Path

import pandas as pd

from ..paths import cache_home, data_home, hash_package_sources
from .errors import DataError, DataFileMissing, MalformedLine
from .formats import CONTENT_FILES, POSTER_FOLDER
from .movielens import MovieLens

CONTENT_COLUMNS = ["item_id", "ml1m_id", "poster_path", "has_poster", "poster_corrupt", "text",
                   "text_source", "has_text"]


def _verdict_cache_path() -> Path:
    """One verdict file per version of the poster decoder (its source is part of the name)."""
    h = hashlib.sha256()
    hash_package_sources(h, ["features/images.py"])
    return cache_home() / "poster_verdicts" / f"{h.hexdigest()[:16]}.json"


def poster_verdicts(paths: list[str], cache: bool = True) -> dict[str, str | None]:
    """For each existing poster file: ``None`` if it decodes, else why not.

    The rule is the package's one poster decoder,
    :func:`mmrec_core.features.images.decode_poster` (a full ``img.load()``, so a truncated JPEG is
    caught, which PIL's ``verify()`` misses). Decoding the ~1,700 ML-100K posters costs about a
    second, so verdicts are cached under :func:`mmrec_core.paths.cache_home` keyed by (path, size,
    mtime): a rerun only stats the files, and a replaced or edited poster is decoded again.
    """
    from ..features.images import PosterDecodeError, decode_poster

    store = _verdict_cache_path() if cache else None
    known: dict = {}
    if store is not None and store.exists():
        try:
            known = json.loads(store.read_text())
        except (OSError, ValueError):  # a damaged cache is rebuilt, never trusted
            known = {}
    out, changed = {}, False
    for path in paths:
        st = os.stat(path)
        entry = known.get(path)
        if entry is not None and entry[:2] == [st.st_size, st.st_mtime_ns]:
            out[path] = entry[2]
            continue
        try:
            decode_poster(path)
            verdict = None
        except PosterDecodeError as exc:
            verdict = str(exc)
        except OSError as exc:  # unreadable (permissions): not usable now; not cached, may be fixed
            out[path] = f"cannot be read ({exc})"
            continue
        out[path] = verdict
        known[path] = [st.st_size, st.st_mtime_ns, verdict]
        changed = True
    if store is not None and changed:
        try:
            store.parent.mkdir(parents=True, exist_ok=True)
            tmp = store.with_name(f"{store.stem}.{os.getpid()}.tmp")
            tmp.write_text(json.dumps(known))
            os.replace(tmp, store)
        except OSError:
            pass  # a read-only cache only costs the decode next time
    return out


def _read_tsv(path: Path, required: list[str]) -> pd.DataFrame:
    if not path.exists():
        raise DataFileMissing(path, "Content tables (links, plot texts) are part of the data home; "
                                    "see README 'Data' for how to obtain them, or pass "
                                    "content=False where content is not needed.")
    try:
        frame = pd.read_csv(path, sep="\t", dtype=str, keep_default_na=False, quoting=3,
                            encoding="utf-8")
    except Exception as exc:  # pandas' parser errors carry the line number
        raise DataError(f"{path}: not a tab-separated table with columns {required} ({exc}).") from exc
    missing = [c for c in required if c not in frame.columns]
    if missing:
        raise MalformedLine(path, 1, "\t".join(frame.columns), f"a header with columns {required}")
    return frame


def load_content(dataset: MovieLens, home: str | Path | None = None) -> pd.DataFrame:
    """One row per movie of ``dataset``: poster path (or None), plot text (or None) and source.

    ``poster_path`` is the file when it exists; ``has_poster`` is True only when that file also
    decodes (:func:`poster_verdicts`). A poster file that exists but does not decode keeps its path,
    gets ``has_poster=False`` and ``poster_corrupt=True``, and one warning lists those item ids.
    """
    root = Path(data_home(home)) if home is not None else dataset.root.parent
    files = CONTENT_FILES[dataset.name]
    items = dataset.items[["item_id"]].copy()
    if files["links"]:
        links = _read_tsv(root / files["links"], ["ml100k_id", "ml1m_id"])
        bad = links[~links.ml100k_id.str.fullmatch(r"\d+")]
        if len(bad):
            raise MalformedLine(root / files["links"], int(bad.index[0]) + 2, str(bad.iloc[0].to_dict()),
                                "an integer ml100k_id")
        links = links.assign(item_id=links.ml100k_id.astype(int),
                             ml1m_id=pd.to_numeric(links.ml1m_id, errors="coerce").astype("Int64"))
        items = items.merge(links[["item_id", "ml1m_id"]], on="item_id", how="left")
    else:
        items["ml1m_id"] = items.item_id.astype("Int64")
    texts = _read_tsv(root / files["texts"], [files["texts"].split("/")[-1].split("_")[0] + "_id", "source", "text"])
    id_col = texts.columns[0]
    texts = texts.assign(item_id=texts[id_col].astype(int))[["item_id", "source", "text"]]
    texts = texts[texts.text.str.strip() != ""]
    items = items.merge(texts, on="item_id", how="left")
    poster_dir = root / POSTER_FOLDER
    paths = []
    for mid in items.ml1m_id:
        p = poster_dir / f"{int(mid)}.jpg" if pd.notna(mid) else None
        paths.append(str(p) if p is not None and p.exists() else None)
    items["poster_path"] = paths
    verdicts = poster_verdicts(sorted({p for p in paths if p is not None}))
    corrupt = [p is not None and verdicts[p] is not None for p in paths]
    items["poster_corrupt"] = corrupt
    items["has_poster"] = items.poster_path.notna() & ~items.poster_corrupt
    if any(corrupt):
        ids = [int(i) for i, c in zip(items.item_id, corrupt) if c]
        shown = ", ".join(map(str, ids[:30])) + (", ..." if len(ids) > 30 else "")
        first = next(p for p, c in zip(paths, corrupt) if c)
        warnings.warn(
            f"{len(ids)} poster file(s) under {poster_dir} could not be decoded and count as "
            f"missing (has_poster=False, poster_corrupt=True): item ids [{shown}] (first: {first}: "
            f"{verdicts[first]}). Replace those files to use them.", UserWarning, stacklevel=2)
    items["has_text"] = items.text.notna()
    items = items.rename(columns={"source": "text_source"})
    items["text_source"] = items.text_source.where(items.has_text, None)
    items["text"] = items.text.where(items.has_text, None)
    return items[CONTENT_COLUMNS].reset_index(drop=True)


def coverage_report(content: pd.DataFrame) -> pd.DataFrame:
    """Counts and shares per modality and text source (the book's coverage table).

    ``poster/any`` counts decodable posters; ``poster/corrupt`` the files that exist but do not
    decode (not counted as available).
    """
    n = len(content)
    corrupt = content["poster_corrupt"] if "poster_corrupt" in content else pd.Series(False, dtype=bool)
    rows = [
        ("poster", "any", int(content.has_poster.sum())),
        ("poster", "corrupt (file does not decode)", int(corrupt.sum())),
        ("text", "any", int(content.has_text.sum())),
        ("poster+text", "both", int((content.has_poster & content.has_text).sum())),
        ("none", "neither", int((~content.has_poster & ~content.has_text).sum())),
    ]
    for source, count in content.text_source.value_counts().items():
        rows.append(("text", str(source), int(count)))
    frame = pd.DataFrame(rows, columns=["modality", "source", "items"])
    frame["share_pct"] = (100 * frame["items"] / max(n, 1)).round(2)
    frame["of_items"] = n
    return frame
