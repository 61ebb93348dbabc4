import json
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from mmrec_core import evaluate
from mmrec_core.papers import compare, paper_claims
from mmrec_core.results import (
    COLUMNS,
    OwnershipError,
    ResultRow,
    RunRecord,
    drop_rows_created_before,
    ownership_conflicts,
    read_results,
    read_run_records,
    write_rows,
)


def _row(**kw):
    base = dict(paper="xia", table="table2", dataset="ml-100k", split="xia-90-5-5", model="SVD",
                subset="test", metric="rmse", value=0.93)
    base.update(kw)
    return ResultRow(**base)


def test_write_rows_upserts_by_key_in_the_writers_own_file(tmp_path):
    write_rows([_row(value=0.93), _row(subset="train", value=0.68)], tmp_path, writer="10_baselines")
    write_rows([_row(value=0.91, std=0.01, n_seeds=3)], tmp_path, writer="10_baselines")
    assert [p.name for p in (tmp_path / "records").iterdir()] == ["10_baselines.csv"]
    frame = read_results(tmp_path)
    assert list(frame.columns) == COLUMNS + ["page"] and set(frame.page) == {"10_baselines"}
    assert len(frame) == 2
    test = frame[frame.subset == "test"].iloc[0]
    assert test.value == pytest.approx(0.91) and test["std"] == pytest.approx(0.01) and test.n_seeds == 3
    assert test.commit and test.created
    # a quick-profile row with the same key does not replace the paper row
    write_rows([_row(value=2.0, profile="quick")], tmp_path, writer="10_baselines")
    assert len(read_results(tmp_path)) == 3
    assert read_results(tmp_path, profile="paper", subset="test").value.tolist() == [pytest.approx(0.91)]


def test_rows_an_execution_did_not_rewrite_are_dropped_after_it(tmp_path):
    write_rows([_row(value=0.93, created="2026-12-01T00:00:00+00:00"),
                _row(subset="train", value=0.68, created="2026-12-01T00:00:00+00:00")], tmp_path, writer="40_ours")
    assert drop_rows_created_before("40_ours", "2026-12-02T00:00:00+00:00", tmp_path) == 0   # nothing new: kept
    write_rows([_row(value=0.91, created="2026-12-02T00:00:05+00:00")], tmp_path, writer="40_ours")
    assert drop_rows_created_before("40_ours", "2026-12-02T00:00:00+00:00", tmp_path) == 1
    frame = read_results(tmp_path)
    assert frame.subset.tolist() == ["test"] and frame.value.tolist() == [pytest.approx(0.91)]
    assert drop_rows_created_before("99_none", "2026-12-02T00:00:00+00:00", tmp_path) == 0


def test_records_are_typed_and_read_back_exactly(tmp_path):
    value = 0.9521434567891234
    rows = [_row(metric="rmse", seed=s, value=value + s, best_epoch=7, epoch_cap=50, patience=3) for s in (0, 3)]
    rows.append(_row(subset="test", slice_by="item", bin="0-5", value=1.2, n_ratings=76, std=0.1, n_seeds=5))
    write_rows(rows, tmp_path, writer="20_xia_fusion")
    frame = read_results(tmp_path)
    assert str(frame.seed.dtype) == "Int64" and str(frame.n_ratings.dtype) == "Int64" and frame.value.dtype == float
    runs = frame[frame.seed.notna()].sort_values("seed")
    assert runs.seed.tolist() == [0, 3] and runs.value.tolist() == [value, value + 3]   # no rounding
    assert runs.epoch_cap.tolist() == [50, 50] and runs.patience.tolist() == [3, 3]
    sl = frame[frame.slice_by == "item"].iloc[0]
    assert sl.bin == "0-5" and sl.n_ratings == 76 and pd.isna(sl.seed)
    assert not frame.metric.str.contains("seed").any()


@pytest.mark.parametrize("bad", [dict(metric="rmse_seed3"), dict(seed=1, n_seeds=5),
                                 dict(slice_by="item"), dict(bin="0-5"), dict(slice_by="movie", bin="0-5")])
def test_result_rows_refuse_untyped_seeds_and_slices(bad):
    with pytest.raises(ValueError):
        _row(**bad)


def test_two_writers_may_not_write_one_key(tmp_path):
    write_rows([_row(model="SVD++", table="slices", slice_by="item", bin="0-5", value=1.1)], tmp_path, writer="10_baselines")
    with pytest.raises(OwnershipError, match="10_baselines"):
        write_rows([_row(model="SVD++", table="slices", slice_by="item", bin="0-5", value=1.0)], tmp_path, writer="40_ours")
    assert not (tmp_path / "records" / "40_ours.csv").exists()
    # under its own table name the second page writes freely
    write_rows([_row(model="SVD++", table="ours_slices", slice_by="item", bin="0-5", value=1.0)], tmp_path, writer="40_ours")
    frame = read_results(tmp_path)
    assert ownership_conflicts(frame).empty and sorted(frame.page) == ["10_baselines", "40_ours"]
    # files that already collide (e.g. copied by hand) are reported
    (tmp_path / "records" / "41_x.csv").write_text((tmp_path / "records" / "40_ours.csv").read_text())
    clash = ownership_conflicts(read_results(tmp_path))
    assert len(clash) == 1 and clash.pages[0] == ["40_ours", "41_x"]
    with pytest.raises(ValueError, match="writer"):
        write_rows([_row()], tmp_path, writer="../escape")


def test_a_failed_run_keeps_the_last_good_provenance(tmp_path):
    good = RunRecord(notebook="10_baselines", profile="paper", parameters={}, seconds=285.6, commit="a" * 40)
    good.save(tmp_path)
    before = (tmp_path / "runs" / "10_baselines.json").read_text()
    RunRecord(notebook="10_baselines", profile="paper", parameters={}, seconds=0.4, commit="b" * 40,
              status="failed").save(tmp_path)
    assert (tmp_path / "runs" / "10_baselines.json").read_text() == before
    both = read_run_records(tmp_path).set_index("status")
    assert both.loc["ok", "commit"] == "a" * 40 and both.loc["failed", "commit"] == "b" * 40
    assert read_run_records(tmp_path, status="ok").seconds.tolist() == [285.6]


def test_run_record_round_trip(tmp_path):
    RunRecord(notebook="10_baselines", profile="quick", parameters={"SEED": 1}, seconds=2.5).save(tmp_path)
    runs = read_run_records(tmp_path)
    assert runs.notebook.tolist() == ["10_baselines"] and runs.seconds.tolist() == [2.5]
    assert json.loads(runs.parameters[0]) == {"SEED": 1}
    assert "env_torch" in runs.columns and "env_device" in runs.columns


def test_paper_claims_cover_all_tables():
    claims = paper_claims()
    t2 = claims[(claims.table == "table2") & (claims.subset == "test")]
    assert dict(zip(t2.model + t2.variant, t2.paper_value))["Fusioncross"] == 0.902
    assert len(claims[claims.table == "table3"]) == 12 and len(claims[claims.table == "table1"]) == 12
    problem = claims[(claims.table == "table2") & (claims.model == "Item-CF")].known_problem.iloc[0]
    assert "global mean" in problem


def test_compare_puts_ours_beside_paper_and_prefers_paper_profile():
    ours = pd.DataFrame([r.__dict__ for r in [
        _row(model="SVD", value=0.93), _row(model="SVD", value=5.0, profile="quick")]])
    table = compare(ours)
    svd = table[(table.model == "SVD") & (table.subset == "test")].iloc[0]
    assert svd.ours == pytest.approx(0.93) and svd.difference == pytest.approx(0.93 - 2.298)
    missing = table[(table.model == "Siet") & (table.subset == "test")].iloc[0]
    assert np.isnan(missing.ours)


def test_metrics_on_hand_made_numbers():
    assert evaluate.rmse([1, 2, 3], [1, 2, 5]) == pytest.approx(np.sqrt(4 / 3))
    assert evaluate.mae([1, 2, 3], [1, 2, 5]) == pytest.approx(2 / 3)
    assert evaluate.hit_rate([5, 4, 2, 1], [4.5, 3.0, 4.2, 1.0]) == pytest.approx(0.5)
    probs = np.array([[0, 0, 0, 0.5, 0.5], [0.2, 0.2, 0.2, 0.2, 0.2]])
    assert evaluate.expected_rating(probs).tolist() == pytest.approx([4.5, 3.0])
    assert evaluate.argmax_rating(probs)[0] == 4.0
    with pytest.raises(ValueError):
        evaluate.rmse([], [])


def test_comparison_table_formats_and_numbers_notes():
    from mmrec_core.papers import comparison_table

    ours = pd.DataFrame([r.__dict__ for r in [
        _row(model="Item-CF", value=0.9382), _row(table="table1", model="dataset", subset="all", metric="users",
                                                 value=943.0, split="none")]])
    table = compare(ours)
    shown, notes = comparison_table(table[(table.table == "table2") & (table.model.isin(["Item-CF", "User-CF"]))])
    item = shown[(shown.model == "Item-CF") & (shown.subset == "test")].iloc[0]
    assert item.ours == "0.938" and item.paper == "2.812" and item["ours − paper"] == "-1.874"
    assert item.notes == "[1]" and notes[0].startswith("1. Impossible")
    assert shown[(shown.model == "User-CF")].notes.iloc[0] == "[2]" and len(notes) == 2
    t1, _ = comparison_table(table[(table.table == "table1") & (table.metric == "users")])
    assert t1.ours.iloc[0] == "943" and t1["ours − paper"].iloc[0] == "+0"


def test_baseline_rows_show_numbers_over_seeds_not_runs():
    from mmrec_core.papers import rows_frame
    from mmrec_core.tables import baseline_rows

    rows = [_row(model="SVDpp", variant="companion", subset=s, value=v, std=0.01, n_seeds=3)
            for s, v in (("train", 0.7), ("val", 0.9), ("test", 0.91))]
    rows += [_row(model="SVDpp", variant="companion", subset="test", seed=k, value=v) for k, v in enumerate((0.5, 1.0, 1.5))]
    rows.append(_row(model="GlobalMean", variant="sanity", subset="test", value=1.12))
    out = baseline_rows(rows_frame(rows))
    assert out.loc[("SVDpp", "companion"), "test"] == 0.91 and out.loc[("SVDpp", "companion"), "train"] == 0.7
    assert out.loc[("GlobalMean", "sanity"), "test"] == 1.12 and list(out.columns) == ["train", "val", "test"]
    assert baseline_rows(rows_frame([_row()])).empty


def test_a_full_disk_leaves_the_records_whole_and_no_temporary_file(tmp_path, monkeypatch):
    import errno

    write_rows([_row(value=0.93)], tmp_path, writer="10_baselines")
    before = (tmp_path / "records" / "10_baselines.csv").read_bytes()

    def full(self, path, *args, **kwargs):
        Path(path).write_text("half a fi")          # part of the file reaches the disk
        raise OSError(errno.ENOSPC, "No space left on device")

    monkeypatch.setattr(pd.DataFrame, "to_csv", full)
    with pytest.raises(OSError, match="previous file is unchanged"):
        write_rows([_row(value=0.5)], tmp_path, writer="10_baselines")
    assert (tmp_path / "records" / "10_baselines.csv").read_bytes() == before
    assert sorted(p.name for p in (tmp_path / "records").iterdir()) == ["10_baselines.csv"]
