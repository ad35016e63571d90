"""Accelerator specs: one frozen record per chip, every figure with its source.

All values are per chip, dense (no sparsity), in base units: FLOP/s, bytes, bytes/s,
US dollars per chip-hour.

Choices where the chapter uses more than one figure for TPU v5e:

* HBM capacity: the chapter writes "16GB" and its code uses ``16e9``; Google's spec is
  16 GiB (17.18e9 bytes). We take 16 GiB, the hardware's real capacity.
* HBM bandwidth: the chapter uses 8.1e11 B/s (Q3) and 8.2e11 B/s (Q6, code); Google's
  spec is 819 GB/s. We take 8.19e11 B/s, the vendor figure both round.
* ICI: the chapter's "2200" is C / W_ici with W_ici = 9e10 B/s per link, both directions
  (the book's TPU table). We keep the per-link bidirectional figure.

>>> v5e = get_chip("tpu-v5e")
>>> v5e.hbm_bytes / 2**30, v5e.hbm_bw
(16.0, 819000000000.0)
>>> round(v5e.flops("bf16") / v5e.ici_bw)
2189
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field

from servingmath.dtypes import DType, get_dtype
from servingmath.errors import DoesNotFitError, InvalidInputError, check_positive, unknown
from servingmath.units import GB, GiB

Shape = tuple[int, ...]


@dataclass(frozen=True)
class Chip:
    """One accelerator. ``ici_bw`` is the per-link (TPU ICI) or per-GPU (NVLink)
    bandwidth counting both directions, in bytes/s."""

    key: str
    name: str
    bf16_flops: float
    int8_ops: float
    fp8_flops: float | None
    hbm_bytes: float
    hbm_bw: float
    ici_bw: float
    price_per_hour: float | None
    slices: tuple[Shape, ...]
    sources: dict[str, str] = field(default_factory=dict, compare=False, hash=False)

    def flops(self, compute: str | DType) -> float:
        """Peak dense FLOP/s (or OP/s) for matmuls whose inputs are ``compute``.

        >>> get_chip("tpu-v5e").flops("int8")
        394000000000000.0
        >>> get_chip("tpu-v5e").flops("fp8")
        Traceback (most recent call last):
        ...
        servingmath.errors.InvalidInputError: compute dtype 'fp8' is not supported by TPU v5e; ...
        """
        d = get_dtype(compute)
        table = {"bf16": self.bf16_flops, "int8": self.int8_ops, "fp8": self.fp8_flops}
        value = table.get(d.name)
        if value is None:
            allowed = ", ".join(k for k, v in table.items() if v is not None)
            raise InvalidInputError(
                "compute",
                f"compute dtype {d.name!r} is not supported by {self.name}; choose one of: {allowed}",
            )
        return value

    def flops_per_dollar(self) -> float:
        """bf16 FLOPs bought by one dollar (FLOP/s x 3600 s / price per hour).

        >>> f"{get_chip('tpu-v5e').flops_per_dollar():.3e}"
        '5.910e+17'
        """
        if self.price_per_hour is None:
            raise InvalidInputError("price", f"{self.name} has no price per chip-hour in servingmath")
        return self.bf16_flops * 3600 / self.price_per_hour

    def smallest_slice(self, chips: int) -> Shape:
        """The smallest offered slice with at least ``chips`` chips.

        >>> slice_name(get_chip("tpu-v5e").smallest_slice(7))
        '4x2'
        """
        need = check_positive("chips", chips)
        for shape in self.slices:
            if math.prod(shape) >= need:
                return shape
        biggest = math.prod(self.slices[-1])
        raise DoesNotFitError("chips", f"chips must be <= {biggest} (largest {self.name} slice), got {chips}")


def slice_name(shape: Shape) -> str:
    """``(4, 2)`` -> ``'4x2'``."""
    return "x".join(str(s) for s in shape)


def slice_chips(shape: Shape) -> int:
    """Number of chips in a slice."""
    return math.prod(shape)


# 2D TPU slices (v5e, v6e): Google Cloud's offered topologies. Google names the 8-chip
# slice 2x4; the chapter writes 4x2 (Q2, Q5), and we follow the chapter.
_TPU_2D: tuple[Shape, ...] = (
    (1, 1), (2, 2), (4, 2), (4, 4), (4, 8), (8, 8), (8, 16), (16, 16),
)  # fmt: skip
# 3D TPU v5p slices (Google Cloud TPU v5p docs), smallest first.
_TPU_3D: tuple[Shape, ...] = (
    (2, 2, 1), (2, 2, 2), (2, 2, 4), (2, 4, 4), (4, 4, 4), (4, 4, 8), (4, 8, 8), (8, 8, 8),
)  # fmt: skip
# GPUs: 1, 2, 4 or 8 GPUs in one NVLink node, then whole 8-GPU nodes.
_GPU: tuple[Shape, ...] = ((1,), (2,), (4,), (8,), (2, 8), (4, 8), (8, 8), (16, 8))

_GOOGLE_V5E = "https://cloud.google.com/tpu/docs/v5e"
_GOOGLE_V5P = "https://cloud.google.com/tpu/docs/v5p"
_GOOGLE_V6E = "https://cloud.google.com/tpu/docs/v6e"
_GOOGLE_PRICE = "https://cloud.google.com/tpu/pricing"
_BOOK_TPU = "https://jax-ml.github.io/scaling-book/tpus/"
_H100 = "https://www.nvidia.com/en-us/data-center/h100/"
_H200 = "https://www.nvidia.com/en-us/data-center/h200/"
_B200 = "https://www.nvidia.com/en-us/data-center/dgx-b200/"

TPU_V5E = Chip(
    key="tpu-v5e",
    name="TPU v5e",
    bf16_flops=1.97e14,  # 197 TFLOP/s bf16 (Google v5e docs; the chapter's 1.97e14)
    int8_ops=3.94e14,  # 394 TOP/s int8 (Google v5e docs)
    fp8_flops=None,
    hbm_bytes=16 * GiB,  # 16 GiB HBM2 (Google v5e docs); the chapter's code uses 16e9
    hbm_bw=819 * GB,  # 819 GB/s (Google v5e docs); the chapter uses 8.1e11 and 8.2e11
    ici_bw=9e10,  # per link, both directions (scaling-book TPU table): C / W_ici ≈ 2200
    price_per_hour=1.20,  # on-demand, per chip-hour (Google Cloud TPU pricing; the chapter's $1.2)
    slices=_TPU_2D,
    sources={"spec": _GOOGLE_V5E, "ici": _BOOK_TPU, "price": _GOOGLE_PRICE},
)
TPU_V5P = Chip(
    key="tpu-v5p",
    name="TPU v5p",
    bf16_flops=4.59e14,  # 459 TFLOP/s bf16 (Google v5p docs; the chapter's 4.59e14)
    int8_ops=9.18e14,  # 918 TOP/s int8 (Google v5p docs)
    fp8_flops=None,
    hbm_bytes=95 * GiB,  # 95 GiB HBM2e (Google v5p docs)
    hbm_bw=2765 * GB,  # 2,765 GB/s (Google v5p docs)
    ici_bw=1.8e11,  # per link, both directions (scaling-book TPU table)
    price_per_hour=4.20,  # on-demand, per chip-hour (Google Cloud TPU pricing; the chapter's $4.2)
    slices=_TPU_3D,
    sources={"spec": _GOOGLE_V5P, "ici": _BOOK_TPU, "price": _GOOGLE_PRICE},
)
TPU_V6E = Chip(
    key="tpu-v6e",
    name="TPU v6e",
    bf16_flops=9.18e14,  # 918 TFLOP/s bf16 (Google v6e "Trillium" docs)
    int8_ops=1.836e15,  # 1,836 TOP/s int8 (Google v6e docs)
    fp8_flops=None,
    hbm_bytes=32 * GiB,  # 32 GiB HBM (Google v6e docs)
    hbm_bw=1640 * GB,  # 1,640 GB/s (Google v6e docs)
    ici_bw=1.8e11,  # per link, both directions (scaling-book TPU table)
    price_per_hour=2.70,  # on-demand, per chip-hour (Google Cloud TPU pricing)
    slices=_TPU_2D,
    sources={"spec": _GOOGLE_V6E, "ici": _BOOK_TPU, "price": _GOOGLE_PRICE},
)
H100 = Chip(
    key="h100",
    name="NVIDIA H100 SXM",
    bf16_flops=9.89e14,  # 989 TFLOP/s dense bf16 (NVIDIA H100 datasheet; the chapter's 9.9e14)
    int8_ops=1.979e15,  # 1,979 TOP/s dense int8 (NVIDIA H100 datasheet)
    fp8_flops=1.979e15,  # 1,979 TFLOP/s dense fp8 (NVIDIA H100 datasheet)
    hbm_bytes=80 * GB,  # 80 GB HBM3 (NVIDIA H100 datasheet)
    hbm_bw=3.35e12,  # 3.35 TB/s (NVIDIA H100 datasheet)
    ici_bw=9e11,  # NVLink 900 GB/s per GPU, both directions (NVIDIA H100 datasheet)
    price_per_hour=10.8,  # the chapter's hardware table (no source given there)
    slices=_GPU,
    sources={"spec": _H100, "price": "the chapter's hardware table"},
)
H200 = Chip(
    key="h200",
    name="NVIDIA H200 SXM",
    bf16_flops=9.89e14,  # 989 TFLOP/s dense bf16 (NVIDIA H200 datasheet)
    int8_ops=1.979e15,  # 1,979 TOP/s dense int8 (NVIDIA H200 datasheet)
    fp8_flops=1.979e15,  # 1,979 TFLOP/s dense fp8 (NVIDIA H200 datasheet)
    hbm_bytes=141 * GB,  # 141 GB HBM3e (NVIDIA H200 datasheet)
    hbm_bw=4.8e12,  # 4.8 TB/s (NVIDIA H200 datasheet)
    ici_bw=9e11,  # NVLink 900 GB/s per GPU, both directions (NVIDIA H200 datasheet)
    price_per_hour=None,  # no public list price servingmath can cite
    slices=_GPU,
    sources={"spec": _H200},
)
B200 = Chip(
    key="b200",
    name="NVIDIA B200",
    bf16_flops=2.25e15,  # 2.25 PFLOP/s dense bf16 (NVIDIA DGX B200 datasheet, per GPU)
    int8_ops=4.5e15,  # 4.5 POP/s dense int8 (NVIDIA DGX B200 datasheet, per GPU)
    fp8_flops=4.5e15,  # 4.5 PFLOP/s dense fp8 (NVIDIA DGX B200 datasheet, per GPU)
    hbm_bytes=180 * GB,  # 1,440 GB per 8-GPU DGX B200 = 180 GB per GPU (NVIDIA datasheet)
    hbm_bw=8e12,  # 64 TB/s per 8-GPU DGX B200 = 8 TB/s per GPU (NVIDIA datasheet)
    ici_bw=1.8e12,  # NVLink 5: 1.8 TB/s per GPU, both directions (NVIDIA datasheet)
    price_per_hour=None,  # no public list price servingmath can cite
    slices=_GPU,
    sources={"spec": _B200},
)

CHIPS: dict[str, Chip] = {c.key: c for c in (TPU_V5E, TPU_V5P, TPU_V6E, H100, H200, B200)}


def get_chip(name: str | Chip) -> Chip:
    """Look a chip up by key (``tpu-v5e``, ``tpu-v5p``, ``tpu-v6e``, ``h100``, ``h200``, ``b200``).

    >>> get_chip("v5e").name
    'TPU v5e'
    >>> get_chip("tpu-v9")
    Traceback (most recent call last):
    ...
    servingmath.errors.UnknownNameError: unknown chip 'tpu-v9'; choose one of: tpu-v5e, tpu-v5p, ...
    """
    if isinstance(name, Chip):
        return name
    key = str(name).lower()
    key = f"tpu-{key}" if key in {"v5e", "v5p", "v6e"} else key
    if key not in CHIPS:
        raise unknown("chip", name, list(CHIPS))
    return CHIPS[key]
