"""Encoder registry: names, dimensions, errors, and the paper encoders' loading path on tiny weights."""
import numpy as np
import pytest

from mmrec_core.features import (
    ENCODERS,
    PAPER_ENCODERS,
    EncoderUnavailable,
    get_spec,
    list_encoders,
    load_encoder,
    preprocess_text,
    random_variant,
)
from mmrec_core.features.encoders import file_digest


@pytest.fixture(autouse=True)
def _isolated(monkeypatch, tmp_path):
    monkeypatch.setenv("MMREC_CACHE", str(tmp_path / "cache"))
    monkeypatch.delenv("MMREC_WEIGHTS", raising=False)
    monkeypatch.delenv("MMREC_ALLOW_DOWNLOAD", raising=False)
    monkeypatch.setenv("HF_HUB_OFFLINE", "1")


def _poster(h=40, w=27, seed=0):
    from PIL import Image

    rng = np.random.default_rng(seed)
    return Image.fromarray(rng.integers(0, 255, (h, w, 3), dtype=np.uint8))


def test_registry_names_and_modalities():
    for name in ("bert-base-uncased", "distilbert-base-cased", "minilm-l6", "tiny-bert",
                 "tiny-distilbert"):
        assert get_spec(name).modality == "text"
    for name in ("google/vit-base-patch16-224", "mobilenet_v3_small", "efficientnet-lite0",
                 "tiny-vit", "tiny-cnn"):
        assert get_spec(name).modality == "image"
    assert get_spec("bert-base-uncased").dim == 768 and get_spec("minilm-l6").dim == 384
    assert get_spec("efficientnet-lite0").dim == 1280 and get_spec("mobilenet_v3_small").dim == 576
    assert get_spec("minilm-l6").pooling == "mean" and get_spec("bert-base-uncased").pooling == "cls"
    assert get_spec("distilbert-base-cased").max_length == 64
    assert get_spec("google/vit-base-patch16-224").image_size == 224
    assert set(list_encoders("text")) | set(list_encoders("image")) == set(ENCODERS)


def test_every_real_encoder_has_a_random_variant():
    for name, spec in ENCODERS.items():
        if spec.pretrained:
            rnd = get_spec(random_variant(name))
            assert not rnd.pretrained and rnd.family == spec.family and rnd.dim == spec.dim
            assert rnd.preprocessing() == spec.preprocessing()
    assert random_variant("tiny-bert") == "tiny-bert"


def test_unknown_encoder_is_a_clear_error():
    with pytest.raises(KeyError, match="unknown encoder 'bert-huge'.*minilm-l6"):
        get_spec("bert-huge")
    with pytest.raises(ValueError, match="unknown preprocessing options"):
        get_spec("tiny-bert").with_options(colour=True)


@pytest.mark.parametrize("name", ["tiny-bert", "tiny-distilbert"])
def test_tiny_text_encoders_give_fixed_size_vectors(name):
    enc = load_encoder(name, device="cpu")
    v = enc.encode_texts(["A cowboy doll and a space ranger.", "Short", "x " * 500])
    assert v.shape == (3, get_spec(name).dim) and v.dtype == np.float32 and np.isfinite(v).all()
    # deterministic for a seed, different for another seed
    assert np.allclose(load_encoder(name).encode_texts(["Short"]), v[1:2], atol=1e-5)
    assert not np.allclose(load_encoder(name, seed=1).encode_texts(["Short"]), v[1:2])


@pytest.mark.parametrize("name", ["tiny-vit", "tiny-cnn"])
def test_tiny_image_encoders_give_fixed_size_vectors(name):
    enc = load_encoder(name, device="cpu")
    v = enc.encode_images([_poster(), _poster(80, 50, 1)])
    assert v.shape == (2, get_spec(name).dim) and np.isfinite(v).all()
    assert enc.weights_id.startswith("random-seed0-")


@pytest.mark.parametrize("name", PAPER_ENCODERS)
def test_paper_encoder_offline_error_names_encoder_and_remedy(name):
    with pytest.raises(EncoderUnavailable) as err:
        load_encoder(name)
    msg = str(err.value)
    assert repr(name) in msg and "MMREC_WEIGHTS" in msg
    assert ("huggingface-cli download" in msg) or ("mobilenet_v3_small-047dcff4.pth" in msg)


def test_bad_weights_folder_is_a_clear_error(tmp_path):
    with pytest.raises(EncoderUnavailable, match="not a folder with config.json"):
        load_encoder("bert-base-uncased", weights=tmp_path)


def _save_tiny_hf(folder, kind):
    import transformers

    from mmrec_core.features.encoders import _TINY_BERT, _TINY_DISTILBERT, _TINY_VIT, _minilm_tokenizer

    cfg, cls = {"bert": (transformers.BertConfig(**_TINY_BERT), transformers.BertModel),
                "distilbert": (transformers.DistilBertConfig(**_TINY_DISTILBERT), transformers.DistilBertModel),
                "vit": (transformers.ViTConfig(**_TINY_VIT), transformers.ViTModel)}[kind]
    cls(cfg).save_pretrained(folder)
    if kind != "vit":
        _minilm_tokenizer().save_pretrained(folder)
    return folder


@pytest.mark.parametrize("name,kind", [("bert-base-uncased", "bert"), ("distilbert-base-cased", "distilbert")])
def test_paper_text_encoder_loads_from_a_local_folder(tmp_path, name, kind):
    """The paper encoders' real loading path (from_pretrained on a folder), on tiny random weights."""
    folder = _save_tiny_hf(tmp_path / kind, kind)
    enc = load_encoder(name, weights=folder)
    assert enc.dim == 32 and enc.encode_texts(["one", "two words"]).shape == (2, 32)
    assert len(enc.weights_id) == 16  # a digest of the weight files, not a name
    # the same folder found through $MMREC_WEIGHTS/<name>
    import os
    os.environ["MMREC_WEIGHTS"] = str(tmp_path)
    (tmp_path / kind).rename(tmp_path / name)
    try:
        assert load_encoder(name).weights_id == enc.weights_id
    finally:
        del os.environ["MMREC_WEIGHTS"]


def test_paper_vit_loads_from_a_local_folder(tmp_path, monkeypatch):
    folder = _save_tiny_hf(tmp_path / "google--vit-base-patch16-224", "vit")
    monkeypatch.setenv("MMREC_WEIGHTS", str(tmp_path))
    enc = load_encoder("google/vit-base-patch16-224", device="cpu")
    enc.spec = enc.spec.with_options(image_size=32)
    assert enc.encode_images([_poster()]).shape == (1, 32)
    assert folder.exists()


def test_mobilenet_loads_from_a_weights_file(tmp_path):
    import torch
    from torchvision.models import mobilenet_v3_small

    path = tmp_path / "mnv3.pth"
    torch.save(mobilenet_v3_small().state_dict(), path)
    enc = load_encoder("mobilenet_v3_small", weights=path)
    enc.spec = enc.spec.with_options(image_size=64)
    assert enc.encode_images([_poster()]).shape == (1, 576)
    assert enc.weights_id == file_digest([path])


def test_text_preprocessing_options():
    text = "The children were running from the haunted houses."
    assert preprocess_text(text) == text
    assert preprocess_text(text, remove_stop_words=True) == "children running haunted houses."
    assert preprocess_text(text, True, True) == "child run haunt house."
    assert preprocess_text("News of the series", True, True) == "News series"
    enc = load_encoder("tiny-distilbert", remove_stop_words=True, lemmatize=True)
    assert enc.prepare_text(text) == "child run haunt house."
    assert enc.identity()["preprocessing"]["lemmatize"] is True


def test_lemmas_come_from_simplemma():
    import simplemma

    from mmrec_core.features.text_prep import KEEP_AS_WRITTEN, lemmatize_word

    expected = {"movies": "movie", "fought": "fight", "stories": "story", "mice": "mouse",
                "married": "marry", "stopped": "stop", "created": "create", "were": "be",
                "news": "news", "series": "series", "species": "species", "wicked": "wicked",
                "thieves": "thieves", "them": "them", "don't": "don't", "1977": "1977"}
    assert {w: lemmatize_word(w) for w in expected} == expected
    for w in ("movies", "fought", "wolves", "children"):  # the lemma is simplemma's, not a rule's
        assert lemmatize_word(w) == simplemma.lemmatize(w, lang="en")
    for w in ("wicked", "media", "thieves", "them"):  # guarded: simplemma alone changes the word
        assert w in KEEP_AS_WRITTEN and simplemma.lemmatize(w, lang="en") != w == lemmatize_word(w)


def test_lemmatization_keeps_names_and_restores_capitals():
    text = "Children fought in Star Wars. James Bond meets the FBI's agents, don't they?"
    assert preprocess_text(text, lemmatize=True) == (
        "Child fight in Star Wars. James Bond meet the FBI's agent, don't they?")
    assert preprocess_text("Movies about aliens. Wars end.", lemmatize=True) == "Movie about alien. War end."
    assert preprocess_text("The café owners", lemmatize=True) == "The café owner"


def test_punctuation_removal():
    text = '"Robots," she said - sci-fi; (1977) costs $5!'
    assert preprocess_text(text, remove_punctuation=True) == "Robots she said sci fi 1977 costs 5"
    assert preprocess_text("Don't stop, Europe's heroes.", remove_punctuation=True) == "Don't stop Europe's heroes"
    assert preprocess_text("Café, naïve!", remove_punctuation=True) == "Café naïve"  # accents are letters
    assert (preprocess_text("The children were running from the haunted houses.", True, True, True)
            == "child run haunt house")
