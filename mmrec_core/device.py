"""The one place that turns a device name into a ``torch.device`` (``"auto"``: CUDA when present)."""
from __future__ import annotations


def resolve_device(device="auto"):
    """``"auto"`` -> ``cuda`` when a GPU is visible, else ``cpu``; any other name is passed to torch.

    Accepts a ``torch.device`` too. Encoders, the trainer and the benchmarks all call this.
    """
    import torch

    if isinstance(device, torch.device):
        return device
    if device in (None, "auto"):
        return torch.device("cuda" if torch.cuda.is_available() else "cpu")
    return torch.device(device)
