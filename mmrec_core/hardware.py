"""What the machine can do fast: native bfloat16 matmuls or not.

bfloat16 autocast (``TrainConfig.bf16``) halves the bytes of every matmul where the hardware has
bfloat16 units: a GPU of compute capability 8 or newer, or a CPU with AVX512-BF16 or AMX. On a CPU
without them (AVX2 only, e.g. many AMD EPYC and older Intel parts) oneDNN emulates bfloat16, and a
matmul runs tens of times slower than in float32 (seen here: 0.5 against 17 GFLOP/s on one core).
The pages whose recorded runs used bf16 (20, 22, 41) keep it, because their numbers depend on it;
:func:`bf16_warning` says what that costs on the machine at hand and what the alternative is.
"""
from __future__ import annotations


def native_bf16(device="auto") -> bool:
    """Whether bfloat16 matmuls run on native units of ``device`` (not emulated)."""
    import torch

    from .device import resolve_device

    dev = resolve_device(device)
    if dev.type == "cuda":
        return bool(torch.cuda.is_bf16_supported())
    try:
        return bool(torch.ops.mkldnn._is_mkldnn_bf16_supported())
    except (AttributeError, RuntimeError):
        cpu = torch.cpu
        return any(getattr(cpu, f, lambda: False)() for f in ("_is_avx512_bf16_supported", "_is_amx_tile_supported"))


def bf16_warning(bf16: bool, device="auto") -> str | None:
    """A warning for training in bf16 where it is emulated (None where bf16 is off or native)."""
    if not bf16 or native_bf16(device):
        return None
    return ("bf16 autocast on a CPU without native bfloat16 (no AVX512-BF16 or AMX): its matmuls are emulated "
            "and run tens of times slower than float32. The recorded runs of this page used bf16, so keep "
            "BF16=True to reproduce them (expect hours per run), or set BF16=False for float32 runs that are "
            "much faster here, whose numbers differ in the last digits and are cached under their own keys.")


__all__ = ["bf16_warning", "native_bf16"]
