"""bf16 where it is emulated: training warns what it costs and what to do."""
from __future__ import annotations

import warnings

import pytest

torch = pytest.importorskip("torch")

from mmrec_core import experiment, hardware  # noqa: E402
from mmrec_core.models.mu import MuConfig  # noqa: E402
from mmrec_core.notebook import DataContext  # noqa: E402
from mmrec_core.train import TrainConfig  # noqa: E402

TINY = MuConfig(embed_dim=4, d_hidden=8, cnn_channels=(4, 4, 4), dropout=0.1, use_poster=False)


def test_the_warning_names_the_cost_and_both_ways_out(monkeypatch):
    monkeypatch.setattr(hardware, "native_bf16", lambda device="auto": False)
    text = hardware.bf16_warning(True, "cpu")
    assert "emulated" in text and "BF16=True" in text and "BF16=False" in text
    assert hardware.bf16_warning(False, "cpu") is None
    monkeypatch.setattr(hardware, "native_bf16", lambda device="auto": True)
    assert hardware.bf16_warning(True, "cpu") is None


def test_native_bf16_answers_for_this_cpu():
    assert isinstance(hardware.native_bf16("cpu"), bool)


def test_replicate_warns_once_when_bf16_is_emulated(synthetic_home_ro, tmp_path, monkeypatch):
    monkeypatch.setattr("mmrec_core.experiment.runs.bf16_warning",
                        lambda bf16, device="auto": "emulated bf16" if bf16 else None)
    exp = experiment.prepare(DataContext(dataset="ml-100k", data_home=synthetic_home_ro, profile="quick"),
                             split_seed=0, poster_size=8)
    train = TrainConfig(lr=3e-3, epochs=1, batch_size=128, patience=1, progress=False, num_threads=1,
                        max_batches_per_epoch=1)
    with warnings.catch_warnings(record=True) as seen:
        warnings.simplefilter("always")
        experiment.replicate("mu", {"a": TINY, "b": (TINY, train)}, [0], exp, TrainConfig(**{**train.to_dict(), "bf16": True}),
                             root=tmp_path, progress=False)
    assert [str(w.message) for w in seen if "bf16" in str(w.message)] == ["emulated bf16"]
    with warnings.catch_warnings(record=True) as seen:
        warnings.simplefilter("always")
        experiment.replicate("mu", {"a": TINY}, [0], exp, train, root=tmp_path, progress=False)
    assert not [w for w in seen if "bf16" in str(w.message)]
