"""Errors raised for bad input: each names the file, what was expected and how to fix it."""
from __future__ import annotations

from pathlib import Path


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
    def __init__(self, path: Path, line_no: int, line: str, expected: str):
        self.path, self.line_no = Path(path), line_no
        shown = line if len(line) < 120 else line[:117] + "..."
        super().__init__(
            f"{self.path}, line {line_no}: expected {expected}, got {shown!r}. "
            "The file is corrupt or not in MovieLens format: delete it and download it again "
            "(python -m mmrec_core download <dataset>)."
        )


class UnsafeArchive(DataError):
    def __init__(self, archive: Path, member: str):
        super().__init__(
            f"{archive}: member {member!r} would be extracted outside the target folder; "
            "refusing to extract. The archive is not the official one: delete it and download again."
        )
