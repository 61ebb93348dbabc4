

def test_chosen_from_records_reads_the_lowest_validation_trial_back_into_parameters():
    import pandas as pd
    import pytest

    from mmrec_core.baselines.tuned import chosen_from_records

    grid = {"SVD": {"n_factors": (10, 20), "reg_all": (0.02, 0.1)}}
    rows = pd.DataFrame({"table": "ours_tuning", "model": "SVD", "subset": "val", "metric": "rmse", "seed": float("nan"),
                         "variant": ["n_factors=10 reg_all=0.02", "n_factors=20 reg_all=0.1", "n_factors=10 reg_all=0.1"],
                         "value": [0.95, 0.93, 0.94]})
    test_row = rows.iloc[:1].assign(subset="test", variant="n_factors=20 reg_all=0.02", value=0.5)  # never read
    assert chosen_from_records(pd.concat([rows, test_row]), ["SVD"], grids=grid) == {"SVD": {"n_factors": 20, "reg_all": 0.1}}
    with pytest.raises(LookupError, match="execute 40_ours first"):
        chosen_from_records(rows, ["SVDpp"], grids=grid)
    with pytest.raises(LookupError, match="not a point of today's grid"):
        chosen_from_records(rows.assign(variant="n_factors=99 reg_all=0.1"), ["SVD"], grids=grid)
