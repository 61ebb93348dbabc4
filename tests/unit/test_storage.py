"""Files written whole, and OS errors that name the path, what failed and what to do.

Full disks and read-only folders are simulated (monkeypatch): the tests run as any user, root included.
"""
from __future__ import annotations

import errno
import os
from pathlib import Path

import pandas as pd
import pytest

from mmrec_core import storage
from mmrec_core.storage import StorageError, ensure_writable, explain, write_whole


def _leftovers(folder: Path) -> list[str]:
    return sorted(p.name for p in folder.iterdir() if ".tmp" in p.name)


def _full_disk_after(n_bytes: int):
    """A writer that puts ``n_bytes`` into the temporary file, then fails as a full disk does."""
    def writer(tmp):
        with open(tmp, "wb") as f:
            f.write(b"x" * n_bytes)
        raise OSError(errno.ENOSPC, "No space left on device", str(tmp))
    return writer


def test_write_whole_replaces_the_file_and_leaves_no_temporary(tmp_path):
    target = tmp_path / "summary.csv"
    target.write_text("old\n")
    assert write_whole(target, lambda tmp: tmp.write_text("new\n")) == target
    assert target.read_text() == "new\n" and _leftovers(tmp_path) == []


def test_a_full_disk_keeps_the_old_file_and_removes_the_temporary(tmp_path, monkeypatch):
    monkeypatch.setenv("MMREC_RESULTS", str(tmp_path))
    target = tmp_path / "records" / "20_xia_fusion.csv"
    target.parent.mkdir()
    target.write_text("paper,table\nxia,table2\n")
    with pytest.raises(StorageError) as err:
        write_whole(target, _full_disk_after(0))           # the 0-byte .tmp of the issue
    assert target.read_text() == "paper,table\nxia,table2\n" and _leftovers(target.parent) == []
    msg = str(err.value)
    assert msg.startswith(f"could not write {target} (the results folder): the disk is full (ENOSPC).")
    assert "free space on that disk" in msg and "-p RESULTS_DIR" in msg and "MMREC_RESULTS" in msg
    assert "previous file is unchanged (if there was one); no temporary file was left" in msg
    assert err.value.errno == errno.ENOSPC and isinstance(err.value, OSError) and len(msg.splitlines()) <= 4


def test_a_failure_after_fsync_or_an_interrupt_also_removes_the_temporary(tmp_path, monkeypatch):
    target = tmp_path / "a.json"
    target.write_text("{}")

    def read_only_rename(src, dst):
        raise OSError(errno.EROFS, "Read-only file system", str(dst))

    monkeypatch.setattr(storage.os, "replace", read_only_rename)
    with pytest.raises(StorageError, match="the file system is read-only \\(EROFS\\)"):
        write_whole(target, lambda tmp: tmp.write_text('{"a": 1}'))
    monkeypatch.undo()

    def interrupted(tmp):
        tmp.write_text("half")
        raise KeyboardInterrupt

    with pytest.raises(KeyboardInterrupt):
        write_whole(target, interrupted)
    assert target.read_text() == "{}" and _leftovers(tmp_path) == []


def test_other_errors_pass_through_unchanged(tmp_path):
    def broken(tmp):
        tmp.write_text("x")
        raise ValueError("a bug, not the disk")

    with pytest.raises(ValueError, match="a bug"):
        write_whole(tmp_path / "b.txt", broken)
    assert _leftovers(tmp_path) == [] and not (tmp_path / "b.txt").exists()


def test_records_survive_a_full_disk_while_pandas_writes(tmp_path, monkeypatch):
    """The issue's case: ENOSPC from pandas while writing results left a 0-byte ``.tmp`` behind."""
    from mmrec_core.results import ResultRow, read_records_file, write_rows

    row = ResultRow(paper="xia", table="table2", dataset="ml-100k", split="s", model="SVD", metric="rmse",
                    value=0.93, profile="quick")
    path = write_rows([row], tmp_path, writer="10_baselines")
    before = path.read_bytes()

    def full_disk(self, target, *args, **kwargs):
        Path(target).write_text("paper,tab")                   # cut short
        raise OSError(errno.ENOSPC, "No space left on device")

    monkeypatch.setattr(pd.DataFrame, "to_csv", full_disk)
    with pytest.raises(StorageError, match="could not write .*10_baselines.csv .*the disk is full"):
        write_rows([ResultRow(**{**row.__dict__, "value": 0.5})], tmp_path, writer="10_baselines")
    assert path.read_bytes() == before and _leftovers(path.parent) == []
    assert read_records_file(path).value.tolist() == [0.93]


def test_run_records_and_ledgers_are_written_whole(tmp_path, monkeypatch):
    from mmrec_core.ledger import TrainingLedger
    from mmrec_core.results import RunRecord

    good = RunRecord(notebook="10_baselines", profile="quick", parameters={}).save(tmp_path)
    ledger = TrainingLedger({"run-a": {"seconds": 1.0}})
    written = ledger.write(tmp_path / "training" / "10_baselines.json", notebook="10_baselines")
    before = (good.read_bytes(), written.read_bytes())
    monkeypatch.setattr(storage.os, "fsync", lambda fd: (_ for _ in ()).throw(OSError(errno.ENOSPC, "No space")))
    with pytest.raises(StorageError):
        RunRecord(notebook="10_baselines", profile="quick", parameters={"X": 1}).save(tmp_path)
    with pytest.raises(StorageError):
        TrainingLedger({"run-b": {"seconds": 2.0}}).write(written, notebook="10_baselines")
    assert (good.read_bytes(), written.read_bytes()) == before
    assert _leftovers(good.parent) == [] and _leftovers(written.parent) == []


def test_figures_are_written_whole(tmp_path, monkeypatch):
    import matplotlib

    matplotlib.use("Agg", force=True)
    import matplotlib.pyplot as plt

    from mmrec_core.plots import save_figure

    fig, ax = plt.subplots()
    ax.plot([0, 1])
    path = save_figure(fig, tmp_path, "20", "curves", "ml-100k")
    assert path.name == "20_ml-100k_curves.png" and path.read_bytes()[:4] == b"\x89PNG"
    before = path.read_bytes()
    monkeypatch.setattr(storage.os, "replace", lambda a, b: (_ for _ in ()).throw(OSError(errno.ENOSPC, "full")))
    with pytest.raises(StorageError):
        save_figure(fig, tmp_path, "20", "curves", "ml-100k")
    plt.close(fig)
    assert path.read_bytes() == before and _leftovers(path.parent) == []


@pytest.mark.parametrize("code, cause, fix", [
    (errno.EROFS, "the file system is read-only (EROFS)", "export MMREC_CACHE="),
    (errno.EACCES, "permission denied (EACCES)", "chmod u+w"),
    (errno.ENOSPC, "the disk is full (ENOSPC)", "free space on that disk"),
])
def test_a_read_only_forbidden_or_full_cache_says_what_to_do(tmp_path, monkeypatch, code, cause, fix):
    cache = tmp_path / "cache"
    monkeypatch.setenv("MMREC_CACHE", str(cache))
    real_write = Path.write_bytes

    def refused(self, data):
        if self.parent == cache:
            raise OSError(code, os.strerror(code), str(self))
        return real_write(self, data)

    monkeypatch.setattr(Path, "write_bytes", refused)
    with pytest.raises(StorageError) as err:
        ensure_writable(cache, "write into the cache folder")
    msg = str(err.value)
    assert msg.startswith(f"could not write into the cache folder {cache} (the cache): {cause}.") and fix in msg
    assert "MMREC_CACHE" in msg


def test_explain_leaves_other_os_errors_alone():
    assert explain(OSError(errno.ENOENT, "No such file", "/x")) is None
    assert explain(ValueError("no")) is None
    err = explain(OSError(errno.EDQUOT, "Disk quota exceeded", "/somewhere/else.bin"))
    assert "the disk quota is exhausted (EDQUOT)" in str(err) and "/somewhere/else.bin" in str(err)


def test_start_stops_on_a_read_only_cache_within_a_second(tmp_path, monkeypatch):
    import time

    from mmrec_core import notebook as nbctx

    monkeypatch.setenv("MMREC_CACHE", str(tmp_path / "ro-cache"))
    monkeypatch.setattr(Path, "mkdir", lambda self, *a, **k: (_ for _ in ()).throw(
        OSError(errno.EROFS, "Read-only file system", str(self))))
    t0 = time.perf_counter()
    with pytest.raises(StorageError, match=r"(?s)ro-cache \(the cache\): the file system is read-only.*MMREC_CACHE="):
        nbctx.start("10_baselines", {**nbctx.declared_parameters("10_baselines"), "PROFILE": "quick"},
                    show_banner=False)
    assert time.perf_counter() - t0 < 1.0


def test_a_synthetic_home_cut_short_leaves_nothing_behind(tmp_path, monkeypatch):
    from mmrec_core import notebook as nbctx
    from mmrec_core.data import synthetic

    monkeypatch.setenv("MMREC_CACHE", str(tmp_path / "cache"))

    def full(folder, spec):
        Path(folder).mkdir(parents=True)
        (Path(folder) / "u.data").write_text("1\t2")
        raise OSError(errno.ENOSPC, "No space left on device", str(Path(folder) / "u.data"))

    monkeypatch.setattr(synthetic, "write_synthetic_movielens", full)
    with pytest.raises(StorageError, match="the disk is full"):
        nbctx.synthetic_home(seed=123)
    assert list((tmp_path / "cache" / "synthetic").iterdir()) == []


def test_a_kernel_shows_a_full_cache_as_one_message_with_the_fix(tmp_path, monkeypatch, capsys):
    """An OSError from code that does not use write_whole (the run cache, a checkpoint) is shown in a
    notebook as the explained message plus the file and line that raised it."""
    from IPython.core.interactiveshell import InteractiveShell

    from mmrec_core import notebook as nbctx

    monkeypatch.setenv("MMREC_CACHE", str(tmp_path / "cache"))
    shell = InteractiveShell.instance()
    try:
        monkeypatch.setattr(nbctx, "_ipython", lambda: shell)
        nbctx._explain_storage_errors_in_kernel()
        target = tmp_path / "cache" / "runs" / "fusion-1" / "last.pt"
        shell.run_cell(f"raise OSError(28, 'No space left on device', {str(target)!r})")
        out = capsys.readouterr().out
        assert f"StorageError: could not write {target} (the cache): the disk is full (ENOSPC)" in out
        assert "export MMREC_CACHE=" in out and "Traceback" not in out
        shell.run_cell("raise OSError(2, 'No such file or directory', '/nowhere')")
        assert "FileNotFoundError" in capsys.readouterr().out          # other errors keep their traceback
    finally:
        InteractiveShell.clear_instance()


def test_a_temporary_file_never_looks_like_a_record(tmp_path):
    """A temporary file left by a killed process must not be read as a page's records or provenance."""
    from mmrec_core.storage import temporary_name

    for name in ("10_baselines.csv", "10_baselines.json", "20_ml-100k_curves.png"):
        tmp = temporary_name(tmp_path / name)
        tmp.write_text("half")
        assert tmp.parent == tmp_path and tmp.name.endswith(".tmp")
    assert sorted(tmp_path.glob("*.csv")) == sorted(tmp_path.glob("*.json")) == sorted(tmp_path.glob("*.png")) == []
