"""benchmarks/bench_reproduction.py: the cold-cache estimate adds each cached run's training once."""
from __future__ import annotations

import importlib.util
from pathlib import Path

import pytest

SCRIPT = Path(__file__).resolve().parents[2] / "benchmarks" / "bench_reproduction.py"


@pytest.fixture(scope="module")
def bench():
    spec = importlib.util.spec_from_file_location("bench_reproduction", SCRIPT)
    mod = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(mod)
    return mod


def run(seconds, reused):
    return {"seconds": seconds, "reused": reused}


def test_cached_runs_count_once_for_the_first_page_that_uses_them(bench):
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


def test_wall_time_minutes_pivots_the_bench_rows():
    import pandas as pd

    from mmrec_core.results import wall_time_minutes

    rows = pd.DataFrame({"table": ["bench", "bench", "bench", "table2", "bench"], "model": ["20", "20", "reproduction", "20", "20"],
                         "metric": ["seconds", "seconds_cold", "seconds", "seconds", "seconds"],
                         "value": [60.0, 600.0, 120.0, 9.0, 7.0],
                         "page": ["bench_reproduction"] * 4 + ["bench_siet"]})
    out = wall_time_minutes(rows)
    assert out.loc["20", "seconds (min)"] == 1.0 and out.loc["20", "seconds_cold (min)"] == 10.0
    assert out.loc["reproduction", "seconds (min)"] == 2.0 and len(out) == 2


def test_a_page_that_trains_nothing_through_the_run_cache_needs_no_ledger(bench):
    table = bench.cold_estimate({"00": 4.0, "20": 10.0}, {}, ["00", "20"], uses_run_cache={"20"})
    assert [(t["notebook"], t["ledger"], t["added"]) for t in table] == [("00", True, 0.0), ("20", False, 0.0)]
