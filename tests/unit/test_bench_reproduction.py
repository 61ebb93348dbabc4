"""mmrec_core.reproduction (page 91, benchmarks/bench_reproduction.py): the cold-cache estimate adds each
cached run's training once, and the wall-time table comes straight from the run records."""
from __future__ import annotations

import json

import pytest

from mmrec_core import reproduction as bench


def run(seconds, reused):
    return {"seconds": seconds, "reused": reused}


def test_cached_runs_count_once_for_the_first_page_that_uses_them():
    walls = {"20": 100.0, "41": 50.0, "90": 5.0, "10": 30.0}
    ledgers = {"20": {"a": run(1000, True), "b": run(400, False)},      # a from cache, b trained in the wall
               "41": {"a": run(1000, True), "c": run(700, True), "d": run(300, False)}}
    table = {t["notebook"]: t for t in bench.cold_estimate(walls, ledgers, ["10", "20", "41", "90", "99"])}
    assert list(table) == ["10", "20", "41", "90"]                  # runner order; absent pages skipped
    assert table["20"]["added"] == 1000 and table["20"]["from_cache"] == 1
    assert table["41"]["added"] == 700 and table["41"]["from_cache"] == 1   # a was 20's: not again
    assert table["10"] == {"notebook": "10", "wall": 30.0, "added": 0.0, "runs": 0, "from_cache": 0, "ledger": False}


def test_ledgers_are_read_by_notebook(tmp_path):
    from mmrec_core.results import read_training_ledgers

    (tmp_path / "training").mkdir()
    (tmp_path / "training" / "21_mu.json").write_text('{"notebook": "21_mu", "runs": {"mu-x": {"seconds": 3, "reused": true}}}')
    assert read_training_ledgers(tmp_path) == {"21_mu": {"mu-x": {"seconds": 3, "reused": True}}}
    assert read_training_ledgers(tmp_path / "nowhere") == {}


def test_the_wall_time_table_comes_from_run_records_and_ledgers(tmp_path):
    from mmrec_core.results import RunRecord

    for name, seconds in (("00_data", 60.0), ("20_xia_fusion", 120.0), ("90_paper_vs_ours", 6.0)):
        RunRecord(notebook=name, profile="paper", parameters={}, seconds=seconds, commit="c" * 40).save(tmp_path)
    RunRecord(notebook="21_mu", profile="paper", parameters={}, seconds=9.0, status="failed").save(tmp_path)
    (tmp_path / "training").mkdir()
    (tmp_path / "training" / "20_xia_fusion.json").write_text(json.dumps(
        {"notebook": "20_xia_fusion", "runs": {"a": run(540.0, True), "b": run(60.0, False)}}))
    out = bench.wall_time_table(tmp_path)
    assert list(out.index) == ["00_data", "20_xia_fusion", "90_paper_vs_ours", "reproduction"]   # no failed run
    assert out.loc["20_xia_fusion", "measured (min)"] == 2.0 and out.loc["20_xia_fusion", "cold cache (min)"] == 11.0
    assert out.loc["reproduction", "measured (min)"] == pytest.approx(3.1)
    assert out.loc["reproduction", "cold cache (min)"] == pytest.approx(12.1)
    assert out.loc["reproduction", "training ledger"] == "yes"      # 00 and 90 train nothing through the cache
    assert bench.wall_time_table(tmp_path / "nowhere").empty
    assert bench.wall_time_table(tmp_path, profile="quick").empty          # only paper-profile records here


def test_a_page_that_trains_nothing_through_the_run_cache_needs_no_ledger():
    table = bench.cold_estimate({"00": 4.0, "20": 10.0}, {}, ["00", "20"], uses_run_cache={"20"})
    assert [(t["notebook"], t["ledger"], t["added"]) for t in table] == [("00", True, 0.0), ("20", False, 0.0)]
