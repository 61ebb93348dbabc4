"""Writing files whole, and OS errors that say what to do.

:func:`write_whole` is the one way the package commits a file that people or later runs read
(records, provenance, training ledgers, figures, executed notebooks): it writes a temporary file
beside the target, flushes it to disk, renames it over the target (``os.replace``: atomic on one
file system) and removes the temporary file on *any* failure. A full disk therefore never leaves a
truncated ``summary.csv`` or a 0-byte ``.tmp`` behind: the previous file stays as it was.

:class:`StorageError` (an :class:`OSError`, same ``errno``) turns a read-only, forbidden or full
folder into one message naming the path, what failed and what to do (``export MMREC_CACHE=...``,
``-p RESULTS_DIR ...``, free space). :func:`explain` gives that message for an :class:`OSError` raised
anywhere (the run cache, the feature cache); notebooks show it instead of a traceback
(:func:`mmrec_core.notebook.start` registers it), and the command line prints it.
"""
from __future__ import annotations

import errno
import os
import shutil
from pathlib import Path

from .paths import REPO_ROOT

# What to do, per cause.
_CAUSES = {
    errno.ENOSPC: "the disk is full",
    errno.EDQUOT: "the disk quota is exhausted",
    errno.EROFS: "the file system is read-only",
    errno.EACCES: "permission denied",
    errno.EPERM: "operation not permitted",
}


class StorageError(OSError):
    """A file or folder the package could not write, with the path, the cause and the fix."""

    def __init__(self, err: int | None, message: str, filename: str | None = None):
        super().__init__(err, message)
        self.filename = filename
        self.message = message

    def __str__(self) -> str:
        return self.message

    def _render_traceback_(self) -> list[str]:
        """IPython (and so papermill) shows the message, not the package's stack."""
        return [f"StorageError: {self.message}"]


def folder_setting(path: str | os.PathLike) -> tuple[str, str]:
    """``(what the folder is, how to point it elsewhere)`` for a path the package writes under."""
    p = Path(path).expanduser().absolute()
    cache = Path(os.environ.get("MMREC_CACHE") or Path.home() / ".cache" / "mmrec" / "cache").expanduser().absolute()
    results = Path(os.environ.get("MMREC_RESULTS") or REPO_ROOT / "results").expanduser().absolute()
    data = os.environ.get("MMREC_DATA")
    if p == cache or cache in p.parents:
        return "the cache", "point the cache at a writable folder with space: export MMREC_CACHE=/path/to/cache"
    if p == results or results in p.parents or (p.parent.name in ("records", "runs", "training", "figures")):
        return "the results folder", ("write the results elsewhere: papermill ... -p RESULTS_DIR /path/to/results, "
                                      "python -m mmrec_core run --results-dir /path/to/results, "
                                      "or export MMREC_RESULTS=/path/to/results")
    if data and (p == Path(data).absolute() or Path(data).absolute() in p.parents):
        return "the data home", ("download into a writable folder: python -m mmrec_core download ml-100k "
                                 "--data-home /path/to/data, then export MMREC_DATA=/path/to/data")
    return "the folder", "write somewhere else you own, with free space"


def _free(path: Path) -> str:
    """Free space on the disk holding ``path`` (or its nearest existing parent), for messages."""
    for p in [path, *path.parents]:
        if p.exists():
            try:
                free = shutil.disk_usage(p).free
            except OSError:
                return ""
            for unit in ("B", "KB", "MB", "GB", "TB"):
                if free < 1024 or unit == "TB":
                    return f"{free:.0f} {unit} free" if unit == "B" else f"{free:.1f} {unit} free"
                free /= 1024
    return ""


def explain(exc: OSError, path: str | os.PathLike | None = None, action: str = "write") -> StorageError | None:
    """The :class:`StorageError` for ``exc`` when it is a full, read-only or forbidden folder
    (``ENOSPC``, ``EDQUOT``, ``EROFS``, ``EACCES``, ``EPERM``), else None. ``path``: the file the
    package was writing (default: the one the error names); ``action``: what it was doing."""
    if isinstance(exc, StorageError):
        return exc
    if not isinstance(exc, OSError) or exc.errno not in _CAUSES:
        return None
    target = Path(path if path is not None else (exc.filename or "."))
    what, fix = folder_setting(target)
    cause = _CAUSES[exc.errno]
    if exc.errno in (errno.ENOSPC, errno.EDQUOT):
        free = _free(target.parent)
        fix = f"free space on that disk{f' ({free})' if free else ''}, or {fix}"
    elif exc.errno in (errno.EACCES, errno.EPERM):
        fix = f"make it writable for you (chmod u+w), or {fix}"
    name = errno.errorcode.get(exc.errno, str(exc.errno))
    message = (f"could not {action} {target} ({what}): {cause} ({name}).\n"
               f"Fix: {fix}.")
    return StorageError(exc.errno, message, str(target))


def temporary_name(path: str | os.PathLike) -> Path:
    """Where :func:`write_whole` writes before the rename: ``.<name>.<pid>.tmp`` beside the target.
    Hidden and ending in ``.tmp``, it never matches the readers' patterns (``records/*.csv``,
    ``runs/*.json``, ``figures/*.png``), even if a killed process leaves it behind; the writer must
    not rely on the suffix for the format (``savefig(..., format="png")``)."""
    path = Path(path)
    return path.with_name(f".{path.name}.{os.getpid()}.tmp")


def write_whole(path: str | os.PathLike, writer, *, action: str = "write") -> Path:
    """Commit ``path`` whole: ``writer(tmp)`` writes a temporary file beside it, which is flushed
    to disk and renamed over ``path``. On any failure (a full disk, a read-only folder, Ctrl-C) the
    temporary file is removed and ``path`` keeps its previous content; an OS error that has a fix
    is raised as :class:`StorageError`. Returns ``path``."""
    path = Path(path)
    tmp = temporary_name(path)
    try:
        try:
            path.parent.mkdir(parents=True, exist_ok=True)
            writer(tmp)
            fd = os.open(tmp, os.O_RDONLY)
            try:
                os.fsync(fd)
            finally:
                os.close(fd)
            os.replace(tmp, path)
        except BaseException:
            try:
                tmp.unlink(missing_ok=True)
            except OSError:
                pass
            raise
    except OSError as exc:
        explained = explain(exc, path, action)
        if explained is None:
            raise
        explained.message += "\nThe previous file is unchanged (if there was one); no temporary file was left."
        raise explained from exc
    return path


def write_text(path: str | os.PathLike, text: str) -> Path:
    """:func:`write_whole` for a text file (UTF-8)."""
    return write_whole(path, lambda tmp: Path(tmp).write_text(text, encoding="utf-8"))


def write_bytes(path: str | os.PathLike, data: bytes) -> Path:
    """:func:`write_whole` for bytes."""
    return write_whole(path, lambda tmp: Path(tmp).write_bytes(data))


def ensure_writable(folder: str | os.PathLike, action: str = "write into") -> Path:
    """Create ``folder`` if needed and prove it writable (a small file written and removed), so that
    a read-only or forbidden cache or results folder stops a page in its first cell, not after
    minutes of training. Raises :class:`StorageError`."""
    folder = Path(folder)
    probe = folder / f".mmrec-write-check.{os.getpid()}"
    try:
        folder.mkdir(parents=True, exist_ok=True)
        probe.write_bytes(b"ok")
        probe.unlink()
    except OSError as exc:
        explained = explain(exc, folder, action)
        if explained is None:
            raise
        raise explained from exc
    return folder


__all__ = ["StorageError", "ensure_writable", "explain", "folder_setting", "temporary_name", "write_bytes",
           "write_text", "write_whole"]
