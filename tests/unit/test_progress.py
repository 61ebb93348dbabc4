"""Progress bars show for interactive work and vanish in batch-executed notebooks."""

import pandas as pd

from mmrec_core.baselines.surprise_models import cross_validate
from mmrec_core.progress import progress_bar, progress_disabled_by_env


def _tiny_ratings(n_users=12, n_items=9):
    rows = [(u, i, 1 + (u * 7 + i * 3) % 5, 0) for u in range(n_users) for i in range(n_items)]
    return pd.DataFrame(rows, columns=["user_id", "item_id", "rating", "timestamp"])


def test_env_switch_reads_common_spellings(monkeypatch):
    for value, expected in [("1", True), ("true", True), ("yes", True), ("0", False), ("", False),
                            ("false", False)]:
        monkeypatch.setenv("TQDM_DISABLE", value)
        assert progress_disabled_by_env() is expected
    monkeypatch.delenv("TQDM_DISABLE")
    assert progress_disabled_by_env() is False


def test_bar_is_disabled_by_argument_env_or_empty_total(monkeypatch):
    monkeypatch.delenv("TQDM_DISABLE", raising=False)
    assert progress_bar(total=3, enabled=True).disable is False
    assert progress_bar(total=3, enabled=False).disable is True
    assert progress_bar(total=0, enabled=True).disable is True
    monkeypatch.setenv("TQDM_DISABLE", "1")
    assert progress_bar(total=3, enabled=True).disable is True


def test_cross_validation_prints_no_bar_when_env_disables_it(monkeypatch, capsys):
    monkeypatch.setenv("TQDM_DISABLE", "1")
    cross_validate(_tiny_ratings(), names=["BaselineOnly"], k=2, seed=0, progress=True)
    assert "cross-validation" not in capsys.readouterr().err
    monkeypatch.delenv("TQDM_DISABLE")
    cross_validate(_tiny_ratings(), names=["BaselineOnly"], k=2, seed=0, progress=True)
    assert "cross-validation" in capsys.readouterr().err
