"""Small poster pixel arrays for models that learn from pixels end to end (Mu & Wu's CNN).

``load_poster_pixels(content, size)`` decodes each movie's poster once with the package's one
poster decoder (:func:`mmrec_core.features.images.decode_poster`: real format from the bytes,
greyscale and palette images to RGB, transparency composited on white, a truncated file refused),
resizes it to ``size x size`` and caches the uint8 array under ``cache_home()/poster_pixels``. A
missing or undecodable poster is masked and counted, never a fake image; the ids of undecodable
posters are kept (``corrupt_ids``) and named in one warning.
"""
from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd

from ..paths import cache_home
from .images import PosterDecodeError, decode_poster


@dataclass
class PosterPixels:
    item_ids: np.ndarray   # (n,) int64
    pixels: np.ndarray     # (n, 3, size, size) uint8; zeros where mask is False
    mask: np.ndarray       # (n,) bool
    n_missing: int         # no poster file
    n_corrupt: int         # a file that exists but does not decode
    size: int
    corrupt_ids: tuple = ()  # item ids of the undecodable posters

    def __repr__(self) -> str:
        return (f"PosterPixels({len(self.item_ids)} items, {self.size}x{self.size}, "
                f"missing={self.n_missing}, corrupt={self.n_corrupt})")


def _key(content: pd.DataFrame, size: int) -> str:
    h = hashlib.sha256(f"size={size};decoder=features.images".encode())
    for iid, path in zip(content.item_id, content.poster_path):
        stat = ""
        if isinstance(path, str) and Path(path).exists():
            s = Path(path).stat()
            stat = f"{s.st_size}:{int(s.st_mtime)}"
        h.update(f"{int(iid)}|{path}|{stat}\n".encode())
    return h.hexdigest()[:16]


def poster_array(path: str | Path, size: int) -> np.ndarray:
    """(3, size, size) uint8 RGB; raises :class:`~mmrec_core.features.images.PosterDecodeError`."""
    from PIL import Image

    img = decode_poster(path).resize((size, size), Image.BILINEAR)
    return np.asarray(img, dtype=np.uint8).transpose(2, 0, 1).copy()


def load_poster_pixels(content: pd.DataFrame, size: int = 64, cache: bool = True) -> PosterPixels:
    """Decode (or read from the cache) every poster of ``content`` (from ``load_content``)."""
    path = cache_home() / "poster_pixels" / f"{_key(content, size)}.npz"
    if cache and path.exists():
        z = np.load(path)
        return PosterPixels(z["item_ids"], z["pixels"], z["mask"], int(z["n_missing"]),
                            int(z["n_corrupt"]), size, tuple(int(i) for i in z["corrupt_ids"]))
    n = len(content)
    pixels = np.zeros((n, 3, size, size), dtype=np.uint8)
    mask = np.zeros(n, dtype=bool)
    n_missing, corrupt = 0, []
    for i, (iid, p) in enumerate(zip(content.item_id, content.poster_path)):
        if not isinstance(p, str) or not Path(p).exists():
            n_missing += 1
            continue
        try:
            pixels[i] = poster_array(p, size)
            mask[i] = True
        except PosterDecodeError:
            corrupt.append(int(iid))
    n_corrupt = len(corrupt)
    if corrupt:
        import warnings

        warnings.warn(f"{n_corrupt} poster file(s) do not decode and are masked: item ids "
                      f"{corrupt[:20]}{' ...' if n_corrupt > 20 else ''}", stacklevel=2)
    out = PosterPixels(content.item_id.to_numpy(np.int64), pixels, mask, n_missing, n_corrupt, size,
                       tuple(corrupt))
    if cache:
        path.parent.mkdir(parents=True, exist_ok=True)
        tmp = path.with_name(path.stem + ".tmp.npz")
        np.savez(tmp, item_ids=out.item_ids, pixels=pixels, mask=mask, n_missing=n_missing,
                 n_corrupt=n_corrupt, corrupt_ids=np.asarray(corrupt, np.int64))
        tmp.replace(path)
        (path.with_suffix(".json")).write_text(json.dumps(
            {"size": size, "items": n, "missing": n_missing, "corrupt": n_corrupt}))
    return out
