"""Shared fixtures: synthetic data homes (generated, never real MovieLens rows) and the real mirror."""
from __future__ import annotations

import os
import shutil
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parent.parent
REAL_DATA = Path(os.environ.get("MMREC_DATA") or REPO.parent / "shared" / "data")


@pytest.fixture(autouse=True)
def _isolated_cache(tmp_path_factory, monkeypatch):
    """Every test writes caches and results into temporary folders, never the repo's results/."""
    cache = tmp_path_factory.getbasetemp() / "mmrec-cache"
    monkeypatch.setenv("MMREC_CACHE", str(cache))
    monkeypatch.setenv("MMREC_RESULTS", str(tmp_path_factory.getbasetemp() / "results-default"))


@pytest.fixture(scope="session")
def synthetic_home_ro(tmp_path_factory) -> Path:
    """A synthetic data home shared by read-only tests."""
    from mmrec_core.data import write_synthetic_movielens

    return write_synthetic_movielens(tmp_path_factory.mktemp("synthetic-ro"))


@pytest.fixture
def synthetic_home(synthetic_home_ro, tmp_path) -> Path:
    """A private copy a test may corrupt."""
    dest = tmp_path / "home"
    shutil.copytree(synthetic_home_ro, dest)
    return dest


@pytest.fixture(scope="session")
def real_home() -> Path:
    if not (REAL_DATA / "ml-100k" / "u.data").exists():
        pytest.skip(f"real MovieLens 100K not found in {REAL_DATA} (set MMREC_DATA)")
    return REAL_DATA


@pytest.fixture(scope="module")
def torch_one_thread():
    """Tiny models run fastest single-threaded (and do not fight other processes for cores)."""
    torch = pytest.importorskip("torch")
    old = torch.get_num_threads()
    torch.set_num_threads(1)
    yield
    torch.set_num_threads(old)
