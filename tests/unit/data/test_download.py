import zipfile
from dataclasses import replace

import pytest

from mmrec_core.data import download as dl
from mmrec_core.data import formats
from mmrec_core.data.errors import ChecksumMismatch, UnsafeArchive
from mmrec_core.data.formats import FileSpec


def _zip(path, members):
    with zipfile.ZipFile(path, "w") as zf:
        for name, data in members.items():
            zf.writestr(name, data)
    return path


def test_safe_extract_refuses_path_traversal(tmp_path):
    archive = _zip(tmp_path / "evil.zip", {"ml-100k/u.data": b"1\t1\t5\t0\n", "../evil.txt": b"x"})
    target = tmp_path / "out"
    with pytest.raises(UnsafeArchive, match="evil.txt"):
        dl.safe_extract(archive, target)
    assert not (tmp_path / "evil.txt").exists()
    assert not (target / "ml-100k" / "u.data").exists()  # nothing extracted at all


def test_safe_extract_refuses_absolute_members(tmp_path):
    archive = _zip(tmp_path / "abs.zip", {"/tmp/abs-evil.txt": b"x"})
    with pytest.raises(UnsafeArchive, match="abs-evil"):
        dl.safe_extract(archive, tmp_path / "out")


def test_safe_extract_refuses_symlinks(tmp_path):
    info = zipfile.ZipInfo("ml-100k/link")
    info.external_attr = (0o120777 << 16)
    with zipfile.ZipFile(tmp_path / "link.zip", "w") as zf:
        zf.writestr(info, "/etc/passwd")
    with pytest.raises(UnsafeArchive, match="link"):
        dl.safe_extract(tmp_path / "link.zip", tmp_path / "out")


def test_safe_extract_extracts_normal_archive(tmp_path):
    archive = _zip(tmp_path / "ok.zip", {"ml-100k/u.data": b"1\t1\t5\t0\n"})
    dl.safe_extract(archive, tmp_path / "out")
    assert (tmp_path / "out" / "ml-100k" / "u.data").read_bytes() == b"1\t1\t5\t0\n"


def test_git_blob_hash_matches_git(tmp_path):
    p = tmp_path / "f"
    p.write_bytes(b"hello\n")
    assert dl.git_blob_sha1_of(p) == "ce013625030ba8dba906f756967f9e9ca394464a"  # `git hash-object`


@pytest.fixture
def fake_release(tmp_path, monkeypatch):
    """A tiny 'ml-100k' release served from file:// URLs, with its own checksums."""
    files = {"u.data": b"1\t1\t5\t881250949\n", "u.item": b"1|T (1995)|01-Jan-1995||u|" + b"|".join([b"0"] * 19) + b"\n"}
    src = tmp_path / "server"
    src.mkdir()
    for name, data in files.items():
        (src / name).write_bytes(data)
    archive = _zip(src / "ml-100k.zip", {f"ml-100k/{n}": d for n, d in files.items()})
    specs = tuple(FileSpec(n, sha256=dl.hashlib.sha256(d).hexdigest()) for n, d in files.items())
    fmt = replace(formats.ML100K, url=archive.as_uri(), files=specs)
    monkeypatch.setitem(formats.FORMATS, "ml-100k", fmt)
    return fmt, src, files


def test_download_from_primary_url_and_verify(fake_release, tmp_path):
    fmt, src, files = fake_release
    folder = dl.download_dataset("ml-100k", tmp_path / "home")
    for name, data in files.items():
        assert (folder / name).read_bytes() == data


def test_download_falls_back_to_mirror_when_primary_fails(fake_release, tmp_path, monkeypatch):
    fmt, src, files = fake_release
    broken = replace(fmt, url=(tmp_path / "nowhere.zip").as_uri(),
                     files=tuple(replace(s, fallback_repo="x", fallback_commit="y", fallback_path=s.name)
                                 for s in fmt.files))
    monkeypatch.setitem(formats.FORMATS, "ml-100k", broken)
    monkeypatch.setattr(formats, "RAW_GITHUB", src.as_uri() + "/{path}")
    folder = dl.download_dataset("ml-100k", tmp_path / "home")
    assert (folder / "u.data").read_bytes() == files["u.data"]


def test_download_rejects_corrupt_file(fake_release, tmp_path, monkeypatch):
    fmt, src, files = fake_release
    bad = replace(fmt, files=(replace(fmt.files[0], sha256="0" * 64),) + fmt.files[1:])
    monkeypatch.setitem(formats.FORMATS, "ml-100k", bad)
    with pytest.raises(ChecksumMismatch, match="u.data"):
        dl.download_dataset("ml-100k", tmp_path / "home", use_fallback=False)
