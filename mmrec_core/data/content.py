"""Per-movie content: poster file and plot text, with an explicit missing mask.

ML-100K movies reach posters and texts through ``links/ml100k_to_ml1m.tsv`` (ML-100K id ->
ML-1M id); ML-1M movies name their poster directly. The text's source is kept: a real IMDb
one-liner is not the same evidence as a machine-generated summary, and results say which they used.
"""
from __future__ import annotations

from pathlib import Path

import pandas as pd

from ..paths import data_home
from .errors import DataError, DataFileMissing, MalformedLine
from .formats import CONTENT_FILES, POSTER_FOLDER
from .movielens import MovieLens

CONTENT_COLUMNS = ["item_id", "ml1m_id", "poster_path", "has_poster", "text", "text_source", "has_text"]


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
    """One row per movie of ``dataset``: poster path (or None), plot text (or None) and source."""
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
    items["has_poster"] = items.poster_path.notna()
    items["has_text"] = items.text.notna()
    items = items.rename(columns={"source": "text_source"})
    items["text_source"] = items.text_source.where(items.has_text, None)
    items["text"] = items.text.where(items.has_text, None)
    return items[CONTENT_COLUMNS].reset_index(drop=True)


def coverage_report(content: pd.DataFrame) -> pd.DataFrame:
    """Counts and shares per modality and text source (the book's coverage table)."""
    n = len(content)
    rows = [
        ("poster", "any", int(content.has_poster.sum())),
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
