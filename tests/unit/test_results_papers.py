import json

import numpy as np
import pandas as pd
import pytest

from mmrec_core import evaluate
from mmrec_core.papers import compare, paper_claims
from mmrec_core.results import COLUMNS, ResultRow, RunRecord, read_results, read_run_records, write_rows


def _row(**kw):
    base = dict(paper="xia", table="table2", dataset="ml-100k", split="xia-90-5-5", model="SVD",
                subset="test", metric="rmse", value=0.93)
    base.update(kw)
    return ResultRow(**base)


def test_write_rows_upserts_by_key(tmp_path):
    write_rows([_row(value=0.93), _row(subset="train", value=0.68)], tmp_path)
    write_rows([_row(value=0.91, std=0.01, n_seeds=3)], tmp_path)
    frame = read_results(tmp_path)
    assert list(frame.columns) == COLUMNS
    assert len(frame) == 2
    test = frame[frame.subset == "test"].iloc[0]
    assert test.value == pytest.approx(0.91) and test["std"] == pytest.approx(0.01) and test.n_seeds == 3
    assert test.commit and test.created
    # a quick-profile row with the same key does not replace the paper row
    write_rows([_row(value=2.0, profile="quick")], tmp_path)
    assert len(read_results(tmp_path)) == 3
    assert read_results(tmp_path, profile="paper", subset="test").value.tolist() == [pytest.approx(0.91)]


@pytest.mark.parametrize("bad", [dict(metric="hit@10"), dict(model=""), dict(metric="a:b"), dict(profile="fast")])
def test_result_rows_validate_names(bad):
    with pytest.raises(ValueError):
        _row(**bad)


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
