"""Failed downloads end in one readable DownloadFailed (never the network: a local HTTP server on
127.0.0.1, a closed local port, or a monkeypatched fetch), and leave nothing behind."""
import http.server
import socket
import threading
import urllib.error
import zipfile
from dataclasses import replace

import pytest

from mmrec_core.__main__ import main
from mmrec_core.data import download as dl
from mmrec_core.data import formats
from mmrec_core.data.errors import ChecksumMismatch, DataError, DownloadFailed, UnsafeArchive
from mmrec_core.data.formats import FileSpec

FILES = {
    "u.data": b"1\t1\t5\t881250949\n2\t1\t3\t881250950\n",
    "u.item": b"1|T (1995)|01-Jan-1995||u|" + b"|".join([b"0"] * 19) + b"\n",
}


def _zip_bytes(tmp_path, members, name="r.zip"):
    path = tmp_path / name
    with zipfile.ZipFile(path, "w") as zf:
        for member, data in members.items():
            zf.writestr(member, data)
    return path.read_bytes()


class _Server:
    """A tiny HTTP server on 127.0.0.1 serving ``routes`` (path -> bytes); anything else is 404."""

    def __init__(self):
        self.routes: dict[str, bytes] = {}
        self.truncate: set[str] = set()  # paths announced longer than what is sent
        server = self

        class Handler(http.server.BaseHTTPRequestHandler):
            def do_GET(self):
                body = server.routes.get(self.path)
                if body is None:
                    self.send_error(404, "Not Found")
                    return
                self.send_response(200)
                extra = 1000 if self.path in server.truncate else 0
                self.send_header("Content-Length", str(len(body) + extra))
                self.end_headers()
                self.wfile.write(body)

            def log_message(self, *args):
                pass

        self.httpd = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.base = f"http://127.0.0.1:{self.httpd.server_address[1]}"
        self.thread = threading.Thread(target=self.httpd.serve_forever,
                                       kwargs={"poll_interval": 0.05}, daemon=True)
        self.thread.start()

    def close(self):
        self.httpd.shutdown()
        self.httpd.server_close()


@pytest.fixture
def server():
    s = _Server()
    yield s
    s.close()


@pytest.fixture
def release(server, monkeypatch):
    """An 'ml-100k' of two tiny files: GroupLens zip at /grouplens/, mirror files at /mirror/."""
    specs = tuple(FileSpec(n, sha256=dl.hashlib.sha256(d).hexdigest(), fallback_repo="r",
                           fallback_commit="c", fallback_path=n) for n, d in FILES.items())
    fmt = replace(formats.ML100K, url=server.base + "/grouplens/ml-100k.zip", files=specs)
    monkeypatch.setitem(formats.FORMATS, "ml-100k", fmt)
    monkeypatch.setattr(formats, "RAW_GITHUB", server.base + "/mirror/{path}")
    return fmt


def _closed_port_url() -> str:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    return f"http://127.0.0.1:{port}"


def _offline(url, dest, timeout=60):
    raise urllib.error.URLError(socket.gaierror(-2, "Name or service not known"))


def _leftovers(home):
    """Every path under the data home (a failed download must add none)."""
    return sorted(p.relative_to(home).as_posix() for p in home.rglob("*")) if home.exists() else []


def test_offline_download_is_one_readable_error(release, tmp_path, monkeypatch):
    monkeypatch.setattr(dl, "_fetch", _offline)
    home = tmp_path / "home"
    with pytest.raises(DownloadFailed) as err:
        dl.download_dataset("ml-100k", home)
    msg = str(err.value)
    grouplens, mirror = release.url, release.files[0].fallback_url()
    assert grouplens in msg and mirror in msg
    assert msg.index(grouplens) < msg.index(mirror)           # tried in this order
    assert msg.count("Name or service not known") == 2         # why each failed
    assert "offline" in msg
    assert str(home / "ml-100k.zip") in msg                    # where to copy the zip
    assert str(home / "ml-100k") in msg                        # or the extracted folder
    assert "MMREC_DATA" in msg
    assert isinstance(err.value.__cause__, urllib.error.URLError)  # the cause chain is kept
    assert [a[0] for a in err.value.attempts] == ["GroupLens", "mirror"]
    assert _leftovers(home) == []
    assert not home.exists()  # the download created it and removed it again


def test_cli_prints_the_message_without_traceback(release, tmp_path, monkeypatch, capsys):
    monkeypatch.setattr(dl, "_fetch", _offline)
    rc = main(["download", "ml-100k", "--data-home", str(tmp_path / "home")])
    out, errout = capsys.readouterr()
    assert rc != 0
    assert "could not download ml-100k" in errout and "MMREC_DATA" in errout
    assert "Traceback" not in out + errout and "urllib.error" not in out + errout


def test_http_errors_are_reported_for_each_url(release, server, tmp_path):
    home = tmp_path / "home"
    with pytest.raises(DownloadFailed) as err:
        dl.download_dataset("ml-100k", home)  # nothing is served: 404 everywhere
    msg = str(err.value)
    assert msg.count("HTTP 404") == 2
    assert _leftovers(home) == []


def test_connection_refused_is_named(release, tmp_path, monkeypatch):
    base = _closed_port_url()
    fmt = replace(release, url=base + "/ml-100k.zip")
    monkeypatch.setitem(formats.FORMATS, "ml-100k", fmt)
    monkeypatch.setattr(formats, "RAW_GITHUB", base + "/{path}")
    with pytest.raises(DownloadFailed, match="connection refused"):
        dl.download_dataset("ml-100k", tmp_path / "home")


def test_refused_archive_is_reported_before_the_mirror_failure(release, server, tmp_path):
    # GroupLens serves a zip whose u.data is not the recorded one; the mirror is down (404).
    server.routes["/grouplens/ml-100k.zip"] = _zip_bytes(
        tmp_path, {"ml-100k/u.data": b"1\t1\t1\t0\n", "ml-100k/u.item": FILES["u.item"]})
    home = tmp_path / "home"
    with pytest.raises(DownloadFailed) as err:
        dl.download_dataset("ml-100k", home)
    msg = str(err.value)
    first_line = msg.splitlines()[0]
    assert "REFUSED" in first_line and "GroupLens" in first_line and "mirror failed too" in first_line
    assert msg.index("checksum mismatch") < msg.index("HTTP 404")
    assert msg.index(release.url) < msg.index(release.files[0].fallback_url())
    assert isinstance(err.value.__cause__, ChecksumMismatch)  # the security-relevant cause
    assert [a[0] for a in err.value.refused] == ["GroupLens"]
    assert _leftovers(home) == []


def test_unsafe_archive_is_reported_first_and_extracts_nothing(release, server, tmp_path):
    server.routes["/grouplens/ml-100k.zip"] = _zip_bytes(
        tmp_path, {"ml-100k/u.data": FILES["u.data"], "../../x": b"owned"})
    home = tmp_path / "a" / "b" / "home"
    with pytest.raises(DownloadFailed) as err:
        dl.download_dataset("ml-100k", home)
    msg = str(err.value)
    assert msg.index("'../../x'") < msg.index("HTTP 404")
    assert isinstance(err.value.__cause__, UnsafeArchive)
    assert not any(p.name == "x" for p in tmp_path.rglob("x"))
    assert _leftovers(tmp_path / "a") == []


def test_refused_archive_without_fallback_raises_its_own_error(release, server, tmp_path):
    server.routes["/grouplens/ml-100k.zip"] = _zip_bytes(tmp_path, {"../../x": b"owned"})
    with pytest.raises(UnsafeArchive):
        dl.download_dataset("ml-100k", tmp_path / "home", use_fallback=False)


def test_network_failure_without_fallback_is_download_failed(release, tmp_path, monkeypatch):
    monkeypatch.setattr(dl, "_fetch", _offline)
    with pytest.raises(DownloadFailed) as err:
        dl.download_dataset("ml-100k", tmp_path / "home", use_fallback=False)
    assert [a[0] for a in err.value.attempts] == ["GroupLens"]


def test_mirror_failing_midway_leaves_no_file(release, server, tmp_path):
    # The mirror has u.data but not u.item: nothing may land in the data home.
    server.routes["/mirror/u.data"] = FILES["u.data"]
    home = tmp_path / "home"
    with pytest.raises(DownloadFailed) as err:
        dl.download_dataset("ml-100k", home)
    assert "u.item" in str(err.value) and "HTTP 404" in str(err.value)
    assert _leftovers(home) == []


def test_failed_download_keeps_what_was_there(release, server, tmp_path):
    home = tmp_path / "home"
    (home / "ml-100k").mkdir(parents=True)
    (home / "ml-100k" / "u.data").write_bytes(FILES["u.data"])  # valid already
    (home / "notes.txt").write_text("mine")
    before = _leftovers(home)
    server.routes["/mirror/u.item"] = b"not the item file\n"     # refused by its checksum
    with pytest.raises(DownloadFailed) as err:
        dl.download_dataset("ml-100k", home)
    assert "u.item: checksum mismatch" in str(err.value)
    assert _leftovers(home) == before
    assert (home / "ml-100k" / "u.data").read_bytes() == FILES["u.data"]


def test_truncated_transfer_leaves_no_part_file(server, tmp_path):
    server.routes["/f"] = b"abc"
    server.truncate.add("/f")  # Content-Length promises 1003 bytes, 3 arrive
    dest = tmp_path / "f"
    with pytest.raises(urllib.error.ContentTooShortError, match="3 of 1,003 bytes"):
        dl._fetch(server.base + "/f", dest, timeout=5)
    assert list(tmp_path.iterdir()) == []


def test_mirror_serves_every_file(release, server, tmp_path):
    for name, data in FILES.items():
        server.routes[f"/mirror/{name}"] = data
    folder = dl.download_dataset("ml-100k", tmp_path / "home")
    assert {p.name for p in folder.iterdir()} == set(FILES)
    assert _leftovers(tmp_path / "home") == ["ml-100k", "ml-100k/u.data", "ml-100k/u.item"]


def test_zip_copied_into_the_data_home_is_used_offline(release, tmp_path, monkeypatch):
    # The advice of DownloadFailed works: a zip copied to <home>/ml-100k.zip needs no network.
    monkeypatch.setattr(dl, "_fetch", _offline)
    home = tmp_path / "home"
    home.mkdir()
    (home / "ml-100k.zip").write_bytes(_zip_bytes(tmp_path, {f"ml-100k/{n}": d for n, d in FILES.items()}))
    folder = dl.download_dataset("ml-100k", home)
    assert (folder / "u.data").read_bytes() == FILES["u.data"]


def test_bad_zip_in_the_data_home_is_refused_first(release, tmp_path, monkeypatch):
    monkeypatch.setattr(dl, "_fetch", _offline)
    home = tmp_path / "home"
    home.mkdir()
    (home / "ml-100k.zip").write_bytes(b"<html>captive portal</html>")
    with pytest.raises(DownloadFailed) as err:
        dl.download_dataset("ml-100k", home)
    msg = str(err.value)
    assert msg.splitlines()[0].startswith("could not download ml-100k: the file from local archive was REFUSED")
    assert "not a zip archive" in msg and f"delete {home / 'ml-100k.zip'}" in msg
    assert isinstance(err.value.__cause__, DataError)
    assert _leftovers(home) == ["ml-100k.zip"]  # the user's file is left for them to delete


def test_archive_missing_a_file_is_refused_by_name(release, server, tmp_path):
    server.routes["/grouplens/ml-100k.zip"] = _zip_bytes(tmp_path, {"ml-100k/u.data": FILES["u.data"]})
    with pytest.raises(DownloadFailed) as err:
        dl.download_dataset("ml-100k", tmp_path / "home")
    assert "u.item is missing from the archive" in str(err.value)
    assert err.value.refused[0][2] == "u.item is missing from the archive"  # no temporary path
