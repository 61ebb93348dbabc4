"""Errors raised for bad input: each names the file, what was expected and how to fix it."""
from __future__ import annotations

from pathlib import Path

_DEFAULT_FIX = ("The file is corrupt or not in MovieLens format: delete it and download it again "
                "(python -m mmrec_core download <dataset>).")


class DataError(Exception):
    """Base class for every data problem mmrec reports."""


class DataFileMissing(DataError, FileNotFoundError):
    def __init__(self, path: Path, hint: str):
        self.path = Path(path)
        super().__init__(f"{self.path}: file not found. {hint}")


class ChecksumMismatch(DataError):
    def __init__(self, path: Path, expected: str, actual: str, hint: str):
        self.path, self.expected, self.actual = Path(path), expected, actual
        super().__init__(
            f"{self.path}: sha256 mismatch (expected {expected}, got {actual}). {hint}"
        )


class MalformedLine(DataError):
    """One line of a data file is wrong; ``hint`` replaces the default 'download it again' fix."""

    def __init__(self, path: Path, line_no: int, line: str, expected: str, hint: str | None = None):
        self.path, self.line_no = Path(path), line_no
        shown = line if len(line) < 120 else line[:117] + "..."
        super().__init__(
            f"{self.path}, line {line_no}: expected {expected}, got {shown!r}. {hint or _DEFAULT_FIX}"
        )


class DuplicateRating(MalformedLine):
    """The same (user, item) pair is rated on two lines (MovieLens has one rating per pair)."""

    def __init__(self, path: Path, first_line_no: int, line_no: int, user_id: int, item_id: int,
                 line: str):
        self.path, self.line_no, self.first_line_no = Path(path), line_no, first_line_no
        self.user_id, self.item_id = user_id, item_id
        shown = line if len(line) < 120 else line[:117] + "..."
        DataError.__init__(
            self,
            f"{self.path}, line {line_no}: user {user_id} rates item {item_id} again (first rated "
            f"on line {first_line_no}; line {line_no} is {shown!r}). MovieLens has one rating per "
            f"(user, item) pair: if you edited the file, keep one of lines {first_line_no} and "
            f"{line_no}; otherwise the file is corrupt: delete it and download it again "
            "(python -m mmrec_core download <dataset>)."
        )


class UnsafeArchive(DataError):
    def __init__(self, archive: Path, member: str):
        self.archive, self.member = Path(archive), member
        super().__init__(
            f"{archive}: member {member!r} would be extracted outside the target folder; "
            "refusing to extract. The archive is not the official one: delete it and download again."
        )


class DownloadFailed(DataError):
    """Every source of a dataset failed or was refused.

    ``attempts`` lists ``(source, url, reason, exception)`` in the order tried; ``refused`` is the
    subset whose content was rejected (bad checksum, unsafe member, not a zip), which the message
    reports first because it means someone served a file that is not the official release.
    """

    def __init__(self, dataset: str, attempts: list[tuple[str, str, str, BaseException]],
                 advice: str):
        self.dataset, self.attempts = dataset, list(attempts)
        self.refused = [a for a in self.attempts if isinstance(a[3], DataError)]
        others = [a for a in self.attempts if not isinstance(a[3], DataError)]
        if self.refused:
            head = (f"could not download {dataset}: the file from {self.refused[0][0]} was REFUSED "
                    "(it is not the official release)")
            if others:
                head += f", and {others[-1][0]} failed too"
        else:
            head = f"could not download {dataset}: every source failed"
        lines = [head + ". Tried:"]
        for k, (source, url, reason, _) in enumerate(self.refused + others, start=1):
            verdict = "refused" if k <= len(self.refused) else "failed"
            lines.append(f"  {k}. {source}: {url}\n     {verdict}: {reason}")
        lines.append(advice)
        super().__init__("\n".join(lines))
