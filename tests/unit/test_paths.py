"""One data-home search for make, papermill, ``python -m mmrec_core`` and the API.

Each test builds its own checkout root and home folder, so the machine's real data never decides.
"""
from __future__ import annotations

import os
import re
from pathlib import Path

import pytest

from mmrec_core import locations
from mmrec_core.locations import DataHomeNotFound, find_data_home, use_data_home

REPO = Path(__file__).resolve().parents[2]


@pytest.fixture
def world(tmp_path, monkeypatch):
    """A checkout at ``<tmp>/work/repo`` (its ``../shared/data`` beside it) and a home folder; nothing set."""
    repo = tmp_path / "work" / "repo"
    repo.mkdir(parents=True)
    home = tmp_path / "home"
    home.mkdir()
    monkeypatch.setattr(locations, "REPO_ROOT", repo)
    monkeypatch.setenv("HOME", str(home))
    monkeypatch.delenv("MMREC_DATA", raising=False)
    return {"repo": repo, "shared": tmp_path / "work" / "shared" / "data",
            "default": home / ".cache" / "mmrec" / "data", "config": repo / "mmrec.toml", "tmp": tmp_path}


def test_the_search_order(world, monkeypatch):
    env, cfg = world["tmp"] / "env-data", world["tmp"] / "cfg-data"
    for folder in (env, cfg, world["shared"], world["default"]):
        folder.mkdir(parents=True)
    world["config"].write_text(f'data_home = "{cfg}"\n')
    monkeypatch.setenv("MMREC_DATA", str(env))
    assert find_data_home() == env                                   # 1. $MMREC_DATA
    monkeypatch.delenv("MMREC_DATA")
    assert find_data_home() == cfg                                   # 2. mmrec.toml
    world["config"].unlink()
    assert find_data_home() == world["shared"]                       # 3. ../shared/data beside the checkout
    world["shared"].rmdir()
    assert find_data_home() == world["default"]                      # 4. ~/.cache/mmrec/data
    assert find_data_home(world["shared"].parent) == world["shared"].parent      # an explicit folder wins


def test_an_empty_variable_counts_as_unset(world, monkeypatch):
    world["default"].mkdir(parents=True)
    monkeypatch.setenv("MMREC_DATA", "")              # what the old Makefile exported without a mirror
    assert find_data_home() == world["default"]


def test_a_config_path_is_relative_to_the_config_file(world):
    (world["repo"] / "data").mkdir()
    world["config"].write_text('# my machine\ndata_home = "data"   # beside the checkout\n')
    assert find_data_home() == world["repo"] / "data"


def test_nothing_found_lists_every_place_tried_and_the_fix(world):
    with pytest.raises(DataHomeNotFound) as err:
        find_data_home()
    msg = str(err.value)
    lines = msg.splitlines()
    assert lines[0] == "no data home found. Places tried, in order:"
    assert lines[1] == "  $MMREC_DATA: not set"
    assert lines[2] == f"  data_home in {world['config']}: no such file"
    assert lines[3] == f"  ../shared/data beside the checkout: {world['shared']} (not found)"
    assert lines[4] == f"  the default: {world['default']} (not found)"
    assert "python -m mmrec_core download ml-100k" in lines[5] and "export MMREC_DATA=" in lines[5]
    assert len(lines) <= 8


def test_a_setting_that_names_a_missing_folder_is_an_error_not_a_fall_through(world, monkeypatch):
    world["shared"].mkdir(parents=True)
    monkeypatch.setenv("MMREC_DATA", str(world["tmp"] / "typo"))
    with pytest.raises(DataHomeNotFound, match=r"\$MMREC_DATA is .*typo, which does not exist"):
        find_data_home()
    monkeypatch.delenv("MMREC_DATA")
    world["config"].write_text('data_home = "nowhere"\n')
    with pytest.raises(DataHomeNotFound, match=r"data_home in .*mmrec.toml is .*nowhere, which does not exist"):
        find_data_home()
    world["config"].write_text("data_home = 3\n")
    with pytest.raises(DataHomeNotFound, match="must be a folder path in quotes"):
        find_data_home()


def test_a_download_target_needs_no_existing_folder(world):
    assert find_data_home(must_exist=False) == world["default"]
    world["shared"].mkdir(parents=True)
    assert find_data_home(must_exist=False) == world["shared"]


def test_use_data_home_exports_what_it_found(world, monkeypatch):
    """The loaders' own default (paths.data_home) and kernels started later then see the same folder."""
    from mmrec_core.paths import data_home

    world["shared"].mkdir(parents=True)
    assert use_data_home() == world["shared"]
    assert os.environ["MMREC_DATA"] == str(world["shared"].resolve()) and data_home() == world["shared"].resolve()


def test_a_paper_page_finds_the_data_without_make(world, monkeypatch, tmp_path):
    """nb.start in the paper profile uses the search; pages that only read results need no data."""
    from mmrec_core import notebook as nbctx

    params = {**nbctx.declared_parameters("10_baselines"), "RESULTS_DIR": str(tmp_path / "res")}
    with pytest.raises(DataHomeNotFound, match="no data home found"):
        nbctx.start("10_baselines", dict(params), show_banner=False)
    (world["shared"] / "ml-100k").mkdir(parents=True)
    ctx = nbctx.start("10_baselines", dict(params), show_banner=False)
    assert ctx.data_home == world["shared"] and os.environ["MMREC_DATA"] == str(world["shared"].resolve())
    monkeypatch.delenv("MMREC_DATA")
    world["shared"].joinpath("ml-100k").rmdir()
    world["shared"].rmdir()
    summary = {**nbctx.declared_parameters("90_paper_vs_ours"), "RESULTS_DIR": str(tmp_path / "res")}
    assert nbctx.start("90_paper_vs_ours", summary, show_banner=False).profile == "paper"


def test_the_command_line_uses_the_same_search(world, monkeypatch, capsys):
    from mmrec_core.__main__ import main

    monkeypatch.setenv("MMREC_CHECK_ONLY", "1")
    assert main(["run", "--only", "10_baselines"]) == 2
    err = capsys.readouterr().err
    assert err.startswith("error: no data home found. Places tried, in order:") and "../shared/data" in err
    (world["shared"] / "ml-100k").mkdir(parents=True)
    assert main(["run", "--only", "10_baselines"]) == 0
    assert re.search(r"^10_baselines\s+parameters ok", capsys.readouterr().out, flags=re.M)


def test_the_makefile_leaves_the_data_home_to_the_package():
    makefile = (REPO / "Makefile").read_text()
    assert not re.search(r"^\s*(export\s+)?MMREC_DATA\s*[:?]?=", makefile, flags=re.M)
    assert "export MMREC_DATA" not in makefile


def test_the_python_api_uses_the_same_search(world):
    from mmrec_core.notebook import DataContext

    (world["shared"] / "ml-100k").mkdir(parents=True)
    assert DataContext("ml-100k").data_home == world["shared"]
    assert DataContext("ml-100k", world["tmp"]).data_home == world["tmp"]      # an explicit folder stays
