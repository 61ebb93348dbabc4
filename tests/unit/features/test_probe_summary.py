"""The probe's summary states which encoder is higher and that there is no interval."""
import pandas as pd

from mmrec_core.features.probe import probe_summary


def test_probe_summary_says_higher_not_better():
    probe = pd.DataFrame([
        {"modality": "text", "variant": "pretrained", "encoder": "minilm-l6", "map": 0.40, "macro_f1": 0.30},
        {"modality": "text", "variant": "random", "encoder": "minilm-l6-random", "map": 0.20, "macro_f1": 0.10},
        {"modality": "image", "variant": "random", "encoder": "tiny-cnn", "map": 0.2, "macro_f1": 0.1},
    ])
    text = probe_summary(probe)
    assert "pretrained higher on both" in text and "+0.200" in text and "no interval" in text
    assert "only a random-weight encoder" in text
