"""Robust poster decoding: whatever the file is, either an RGB image or an explicit failure.

Real poster folders contain greyscale JPEGs, PNGs saved under a ``.jpg`` name, palette images with
transparency and now and then a truncated download. PIL reads the format from the bytes, not the
file name; every image is converted to RGB; a file PIL cannot fully decode raises
:class:`PosterDecodeError`, which extraction turns into a masked, counted item (never a zero vector
passed off as a poster).

:func:`poster_augmentation` is the TSEM report's poster augmentation (AutoAugment, ColorJitter,
RandomRotation; its Fig 6.5), one definition for the fine-tuning code and the book's figure.
"""
from __future__ import annotations

import io
from pathlib import Path

import numpy as np

# ImageNet normalisation of the torchvision / timm CNNs (the one copy in the package).
IMAGENET_MEAN = (0.485, 0.456, 0.406)
IMAGENET_STD = (0.229, 0.224, 0.225)


class PosterDecodeError(ValueError):
    """A poster file that exists but is not a decodable image."""


def decode_poster(data: bytes | str | Path):
    """``PIL.Image`` in RGB from raw bytes or a path; raises :class:`PosterDecodeError`."""
    from PIL import Image, ImageFile

    ImageFile.LOAD_TRUNCATED_IMAGES = False  # a truncated file is corrupt, not half a poster
    if isinstance(data, (str, Path)):
        data = Path(data).read_bytes()
    try:
        img = Image.open(io.BytesIO(data))
        img.load()
    except Exception as exc:  # PIL raises OSError, SyntaxError, ValueError... depending on format
        raise PosterDecodeError(f"not a decodable image ({type(exc).__name__}: {exc})") from exc
    if img.mode in ("RGBA", "LA", "P"):
        img = img.convert("RGBA")
        background = Image.new("RGBA", img.size, (255, 255, 255, 255))
        img = Image.alpha_composite(background, img)
    return img.convert("RGB")


def image_to_tensor(img, size: int, mean: tuple[float, float, float], std: tuple[float, float, float]):
    """Resize (squash, no crop: posters are portrait and the papers resize the whole poster) to
    ``size`` x ``size`` and normalise; returns a float32 ``torch.Tensor`` of shape (3, size, size)."""
    import torch
    from PIL import Image

    img = img.resize((size, size), Image.BILINEAR)
    arr = np.asarray(img, dtype=np.float32) / 255.0                    # (H, W, 3) in [0, 1]
    arr = (arr - np.asarray(mean, np.float32)) / np.asarray(std, np.float32)
    return torch.from_numpy(np.ascontiguousarray(arr.transpose(2, 0, 1)))


# The TSEM report names the transforms (AutoAugment with the ImageNet policy, ColorJitter,
# RandomRotation); the parameters are this project's choice.
COLOR_JITTER = dict(brightness=0.4, contrast=0.4, saturation=0.4, hue=0.1)
ROTATION_DEGREES = 30.0
AUGMENTATION_KINDS = ("tsem", "autoaugment", "color_jitter", "rotation")


def poster_augmentation(kind: str = "tsem"):
    """The torchvision transform (PIL image in, PIL image out) of the TSEM poster augmentation.

    ``kind``: ``"tsem"`` (AutoAugment with the ImageNet policy, then ColorJitter with
    :data:`COLOR_JITTER`, then RandomRotation by up to :data:`ROTATION_DEGREES` degrees, corners
    filled black), or one of those steps alone: ``"autoaugment"``, ``"color_jitter"``,
    ``"rotation"``. It draws from torch's global RNG (seed with ``torch.manual_seed``); resizing
    and normalisation stay with :func:`image_to_tensor`, so apply it to the PIL poster first.
    """
    from torchvision import transforms as T

    steps = {
        "autoaugment": lambda: T.AutoAugment(T.AutoAugmentPolicy.IMAGENET),
        "color_jitter": lambda: T.ColorJitter(**COLOR_JITTER),
        "rotation": lambda: T.RandomRotation(ROTATION_DEGREES),
    }
    if kind == "tsem":
        return T.Compose([make() for make in steps.values()])
    if kind not in steps:
        raise ValueError(f"unknown poster augmentation {kind!r}; choose from {AUGMENTATION_KINDS}")
    return steps[kind]()
