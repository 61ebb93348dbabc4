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


def test_the_genre_probe_gives_the_same_numbers_whatever_the_blas_threads(synthetic_home_ro):
    import numpy as np
    from threadpoolctl import threadpool_info, threadpool_limits

    from mmrec_core.data import load_movielens
    from mmrec_core.features.modality import ItemModality
    from mmrec_core.features.probe import genre_probe

    ds = load_movielens("ml-100k", synthetic_home_ro)
    ids = ds.items.item_id.to_numpy()
    rng = np.random.default_rng(0)
    mod = ItemModality("image", "test", ids, rng.normal(size=(len(ids), 64)).astype(np.float32), np.ones(len(ids), bool))
    seen = []

    def spy(*args):
        seen.append({i["internal_api"]: i["num_threads"] for i in threadpool_info()})
        return real(*args)

    import mmrec_core.features.probe as probe

    real = probe._genre_probe
    probe._genre_probe = spy
    try:
        with threadpool_limits(limits=2):
            out = genre_probe(mod, ds, seed=0)
    finally:
        probe._genre_probe = real
    assert seen and all(n == 1 for n in seen[0].values())          # the fit itself sees one BLAS thread
    assert 0 <= out["map"] <= 1 and out == genre_probe(mod, ds, seed=0)        # and the same numbers again
