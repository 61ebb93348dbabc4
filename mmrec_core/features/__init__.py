"""Content features: encoder registry, batched extraction with an on-disk cache, aligned modalities.

``get_item_features(dataset, content, "text" | "image", encoder)`` is the entry point models use;
see :mod:`mmrec_core.features.encoders` for the encoders and where their weights come from.
"""
from .cache import FeatureStore, content_hash
from .encoders import (
                       ENCODERS,
                       OFFLINE_DEFAULTS,
                       PAPER_ENCODERS,
                       TINY_DEFAULTS,
                       Encoder,
                       EncoderSpec,
                       EncoderUnavailable,
                       get_spec,
                       list_encoders,
                       load_encoder,
                       random_variant,
)
from .extract import TEXT_FIELDS, get_item_features, item_posters, item_texts
from .images import PosterDecodeError, decode_poster
from .modality import ItemModality
from .text_prep import preprocess_text

__all__ = [
    "ENCODERS", "Encoder", "EncoderSpec", "EncoderUnavailable", "FeatureStore", "ItemModality",
    "OFFLINE_DEFAULTS", "PAPER_ENCODERS", "PosterDecodeError", "TEXT_FIELDS", "TINY_DEFAULTS",
    "content_hash", "decode_poster", "get_item_features", "get_spec", "item_posters", "item_texts",
    "list_encoders", "load_encoder", "preprocess_text", "random_variant",
]
