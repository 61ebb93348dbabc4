"""Feature cache: one vector per (encoder identity, exact item content), on disk, resumable.

Layout under ``<cache_home>/features/``::

    <encoder name>/<key>/identity.json      encoder, weights id, preprocessing, precision
    <encoder name>/<key>/part-*.npz         content hashes (sha256 of the text or poster bytes) and
                                            float32 vectors, written atomically chunk by chunk

``key`` hashes the identity, so another encoder, other weights or other preprocessing land in
another folder. Inside it, vectors are looked up by *content* hash: an unchanged movie is never
recomputed, a movie whose text or poster changed is (only it), and a run killed half-way keeps every
chunk it finished, so the next run resumes where it stopped.
"""
from __future__ import annotations

import hashlib
import json
import os
import uuid
from pathlib import Path

import numpy as np

from ..paths import cache_home


def content_hash(data: bytes | str) -> str:
    """sha256 hex of a text (UTF-8) or of raw file bytes."""
    if isinstance(data, str):
        data = data.encode("utf-8")
    return hashlib.sha256(data).hexdigest()


def identity_key(identity: dict) -> str:
    blob = json.dumps(identity, sort_keys=True, default=str)
    return hashlib.sha256(blob.encode()).hexdigest()[:16]


class FeatureStore:
    """Vectors of one encoder identity, addressed by content hash."""

    def __init__(self, identity: dict, cache_dir: str | os.PathLike | None = None):
        self.identity = dict(identity)
        self.key = identity_key(self.identity)
        root = Path(cache_dir) if cache_dir is not None else cache_home() / "features"
        safe = str(self.identity.get("encoder", "encoder")).replace("/", "--")
        self.folder = root / safe / self.key
        self.folder.mkdir(parents=True, exist_ok=True)
        ident = self.folder / "identity.json"
        if not ident.exists():
            tmp = ident.with_suffix(f".{uuid.uuid4().hex}.tmp")
            tmp.write_text(json.dumps(self.identity, indent=1, sort_keys=True, default=str))
            os.replace(tmp, ident)

    def parts(self) -> list[Path]:
        return sorted(self.folder.glob("part-*.npz"))

    def load(self) -> dict[str, np.ndarray]:
        """All cached vectors, ``{content hash: vector}`` (unreadable parts are skipped and removed)."""
        out: dict[str, np.ndarray] = {}
        for part in self.parts():
            try:
                with np.load(part, allow_pickle=False) as z:
                    keys, vecs = z["keys"], z["vectors"]
            except Exception:  # a part cut short by a crash before os.replace cannot exist; be safe
                part.unlink(missing_ok=True)
                continue
            for k, v in zip(keys.tolist(), vecs):
                out[k] = v
        return out

    def append(self, keys: list[str], vectors: np.ndarray) -> Path | None:
        """Write one chunk atomically (temporary file, then rename)."""
        if not len(keys):
            return None
        vectors = np.asarray(vectors, dtype=np.float32)
        assert vectors.shape[0] == len(keys)
        name = f"part-{uuid.uuid4().hex}"
        tmp = self.folder / f"{name}.tmp.npz"
        np.savez(tmp, keys=np.asarray(keys, dtype="U64"), vectors=vectors)
        final = self.folder / f"{name}.npz"
        os.replace(tmp, final)
        return final

    def compact(self) -> None:
        """Merge all parts into one (after a run that added several)."""
        parts = self.parts()
        if len(parts) <= 1:
            return
        data = self.load()
        self.append(list(data), np.stack(list(data.values())) if data else np.zeros((0, 0), np.float32))
        for p in parts:
            p.unlink(missing_ok=True)

    def __len__(self) -> int:
        return len(self.load())

    def __repr__(self) -> str:
        return f"FeatureStore({self.folder})"
