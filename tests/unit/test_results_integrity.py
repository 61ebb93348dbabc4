"""The committed results: paper-profile rows from real commits, unique keys, honest std, clean pages."""
from __future__ import annotations

import json
import re
import subprocess
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from mmrec_core.results import KEY, read_results

REPO = Path(__file__).resolve().parents[2]
ROWS = read_results(REPO / "results")
NEURAL = ["Fusion", "Mu", "Siet", "Aljunid", "NN", "MF", "MF_NN", "TSEM", "HybridMF"]   # the neural models
# Absolute paths of machines (a home folder, a work tree): an executed page must not show them.
ABSOLUTE = re.compile(r"(?<![\w.])/(?:work|root|home|Users|tmp)/[\w.-]+")


def _is_commit(sha: str) -> bool:
    out = subprocess.run(["git", "cat-file", "-e", f"{sha}^{{commit}}"], cwd=REPO, capture_output=True)
    return out.returncode == 0


def test_committed_rows_are_paper_profile_with_unique_keys():
    assert len(ROWS), "results/summary.csv is empty"
    assert set(ROWS.profile) == {"paper"}
    dup = ROWS[ROWS.duplicated(KEY, keep=False)]
    assert dup.empty, dup[KEY]


def test_every_row_names_a_clean_commit_of_this_history():
    if not (REPO / ".git").exists():
        pytest.skip("not a git checkout")
    commits = set(ROWS.commit)
    dirty = sorted(c for c in commits if c.endswith("-dirty") or c in ("", "unknown"))
    assert not dirty, f"rows recorded from a modified tree: {dirty}"
    missing = sorted(c for c in commits if not _is_commit(c))
    assert not missing, f"commits not in git history: {missing}"


def test_one_seed_has_a_blank_std_and_no_pooled_p_values_remain():
    one = ROWS[(ROWS.n_seeds.astype(int) == 1) & ROWS["std"].notna()]
    assert one.empty, one[KEY + ["std"]]
    assert not ROWS.metric.str.contains("pvalue").any(), "pooled per-rating p-values were retired"
    diffs = ROWS[ROWS.metric.str.contains(r"_diff(?:_bootstrap)?$", regex=True)]
    for r in diffs.itertuples():
        assert r.method and np.isfinite(r.value), r
        if r.n_seeds > 1:
            assert r.ci_low <= r.value <= r.ci_high, r


def test_neural_rows_record_their_epochs():
    neural = ROWS[ROWS.model.isin(NEURAL) & (ROWS.metric == "rmse")
                  & (ROWS.variant != "companion") & ROWS.table.isin(["table2", "table3", "models", "ours", "fusion_content"])]
    assert len(neural)
    for (table, model, variant), _ in neural.groupby(["table", "model", "variant"]):
        epochs = ROWS[(ROWS.table == table) & (ROWS.model == model) & (ROWS.variant == variant)
                      & (ROWS.metric == "best_epoch_max")]
        assert len(epochs) == 1, (table, model, variant)


@pytest.mark.parametrize("path", sorted((REPO / "book" / "notebooks").glob("*.ipynb")), ids=lambda p: p.stem)
def test_executed_pages_show_no_absolute_paths(path):
    nb = json.loads(path.read_text())
    for cell in nb["cells"]:
        texts = ["".join(cell.get("source", ""))]
        for out in cell.get("outputs", []):
            texts.append("".join(out.get("text", "")))
            for mime, data in out.get("data", {}).items():
                if mime.startswith("text"):
                    texts.append("".join(data))
        for text in texts:
            found = ABSOLUTE.findall(text)
            assert not found, f"{path.name} cell {cell.get('id')}: {found[:3]}"


def test_run_records_carry_no_absolute_paths():
    for path in sorted((REPO / "results" / "runs").glob("*.json")):
        params = json.loads(path.read_text()).get("parameters", {})
        found = [v for v in map(str, params.values()) if ABSOLUTE.search(v)]
        assert not found, (path.name, found)


def test_rows_are_readable_by_the_comparison():
    from mmrec_core.papers import compare

    table = compare(ROWS)
    fusion = table[(table.table == "table2") & (table.model == "Fusion") & (table.subset == "test")]
    assert fusion.ours.notna().all() and isinstance(table, pd.DataFrame)


def test_converged_models_stopped_below_their_cap():
    """Every seed of these rows chose its best epoch below the cap (early stopping, not the budget)."""
    converged = ROWS[ROWS.model.isin(NEURAL) & (ROWS.metric == "best_epoch_max")
                     & ROWS.paper.isin(["xia", "tsem", "ours"])]
    assert len(converged)
    for r in converged.itertuples():
        cap = int(re.search(r"cap (\d+)", r.notes).group(1))
        assert r.value < cap, (r.model, r.variant, r.value, cap)


def test_neural_rows_have_enough_seeds():
    """A table row is a mean over at least 5 model seeds (Table 3: at least 3 per learning rate)."""
    rows = ROWS[ROWS.model.isin(NEURAL) & (ROWS.metric == "rmse") & (ROWS.subset == "test")
                & ROWS.paper.isin(["xia", "tsem", "ours"])]
    assert len(rows)
    for r in rows.itertuples():
        need = 3 if r.table == "table3" else 5
        assert int(r.n_seeds) >= need, (r.table, r.model, r.variant, r.n_seeds)
