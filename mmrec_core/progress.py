"""One progress bar for the whole package.

Long work (cross-validation, feature extraction, training, downloads) shows a tqdm bar. The bar is
off when the caller asks (``enabled=False``) and whenever ``TQDM_DISABLE`` is set: the notebook
runner sets it in papermill kernels so that executed notebooks, and the book built from them, carry
results rather than hundreds of progress lines. An explicit ``disable=`` argument to tqdm overrides
tqdm's own reading of that variable, which is why every bar in the package goes through here.
"""

from __future__ import annotations

import os

_OFF_VALUES = {"", "0", "false", "no", "off"}


def progress_disabled_by_env() -> bool:
    """True when ``TQDM_DISABLE`` is set to a true-ish value (``1``, ``true``, ``yes``...)."""
    return os.environ.get("TQDM_DISABLE", "").strip().lower() not in _OFF_VALUES


def progress_bar(total: int | None = None, desc: str = "", enabled: bool = True, **kwargs):
    """A ``tqdm.auto`` bar, disabled when ``enabled`` is false, ``total`` is 0 or the env says so."""
    from tqdm.auto import tqdm

    disable = (not enabled) or total == 0 or progress_disabled_by_env()
    return tqdm(total=total, desc=desc, disable=disable, **kwargs)
