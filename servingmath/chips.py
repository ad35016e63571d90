"""Accelerator specs in two named constant sets, every figure with its source.

``spec``: the vendors' figures (or a measurement), one rule for every chip:

* HBM capacity is the physical capacity, in GiB (2**30 bytes). Vendors print it as "16 GB"
  or "80GB"; HBM stacks are sized in powers of two and the devices report binary sizes
  (an H100 "80GB" shows 81,559 MiB to nvidia-smi, 0.4 % under 80 GiB after reserved memory).
* Bandwidths and FLOP/s are decimal, as the vendors state them (819 GB/s = 8.19e11 B/s).

``book``: exactly what *How to Scale Your Model* states (the chapter's hardware table and the
book's TPU chapter): TPU v5e 16 GB = 16e9 B, 8.1e11 B/s, ICI 4.5e10 B/s per link one way.
A figure the book does not state is the ``spec`` figure, and its source says so.

The chapter itself uses two HBM bandwidths for TPU v5e: 8.1e11 B/s (the book's hardware
table, question 3) and 8.2e11 B/s (question 6, its code, and its B_crit of 240). ``book``
takes 8.1e11, the value of the book's hardware table; the other use is recorded in the
errata as an inconsistency of the chapter.

ICI: ``ici_bw`` is per link, both directions. A ring along a mesh axis has that bandwidth
only with a wraparound link; without one, collectives see the one-way figure (half), which
"roughly doubles" their time (the book's TPU chapter). TPU v5e/v6e slices have wraparound
only on an axis of 16 chips; v5p on axes that are multiples of 4 (whole cubes); NVLink is a
switch (every GPU reaches every other at full bandwidth).

>>> v5e = get_chip("tpu-v5e", constants="spec")
>>> v5e.hbm_bytes / 2**30, v5e.hbm_bw, v5e.constants
(16.0, 819000000000.0, 'spec')
>>> book = get_chip("tpu-v5e", constants="book")
>>> book.hbm_bytes, book.hbm_bw, book.ici_axis_bw(8), book.ici_axis_bw(16)
(16000000000.0, 810000000000.0, 45000000000.0, 90000000000.0)
>>> round(book.flops("bf16") / book.ici_bw)
2189
"""

from __future__ import annotations

import dataclasses
import math
from dataclasses import dataclass, field
from typing import Literal

from servingmath.dtypes import DType, get_dtype
from servingmath.errors import DoesNotFitError, InvalidInputError, check_positive, unknown
from servingmath.units import GB, GiB

Shape = tuple[int, ...]
Constants = Literal["book", "spec"]
CONSTANT_SETS: tuple[str, ...] = ("book", "spec")
# Where a library user does not choose: the hardware as it is. The chapter's pages pass "book".
DEFAULT_CONSTANTS: Constants = "spec"
CONSTANT_LABELS: dict[str, str] = {"book": "原书常数", "spec": "厂商规格"}
Wraparound = Literal["axis16", "cube4", "switch"]
# The book's TPU chapter: a v5e/v6e mesh axis closes into a ring only at its full length of 16
# chips; a v5p axis does on every whole 4x4x4 cube (optical switches).
RING_AXIS_2D = 16
CUBE_SIDE = 4


def check_constants(constants: str) -> str:
    """The name of a constant set, or an error naming the allowed ones.

    >>> check_constants("book")
    'book'
    >>> check_constants("vendor")
    Traceback (most recent call last):
    ...
    servingmath.errors.UnknownNameError: unknown constants 'vendor'; choose one of: book, spec
    """
    if constants not in CONSTANT_SETS:
        raise unknown("constants", constants, list(CONSTANT_SETS))
    return constants


@dataclass(frozen=True)
class Chip:
    """One accelerator under one constant set (``constants``).

    ``ici_bw`` is the per-link (TPU ICI) or per-GPU (NVLink) bandwidth counting both
    directions, in bytes/s; :meth:`ici_axis_bw` says what a ring along one mesh axis gets.
    ``sources`` names where each figure comes from, by field name."""

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
    wraparound: Wraparound = "switch"
    constants: str = "spec"
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

    def has_wraparound(self, axis: int) -> bool:
        """Whether a mesh axis of ``axis`` chips closes into a ring (a wraparound link).

        >>> v5e, v5p = get_chip("tpu-v5e"), get_chip("tpu-v5p")
        >>> v5e.has_wraparound(8), v5e.has_wraparound(16), v5p.has_wraparound(8), v5p.has_wraparound(2)
        (False, True, True, False)
        """
        n = check_positive("axis", axis)
        if self.wraparound == "axis16":
            return n == RING_AXIS_2D
        if self.wraparound == "cube4":
            return n % CUBE_SIDE == 0
        return True

    def slice_wraparound(self, shape: Shape) -> tuple[bool, ...]:
        """Which axes of a slice close into rings. On TPU v5p the optical wraparound links come
        with whole 4x4x4 cubes only ("a 2x2x4 won't have any wraparounds", the book's TPU chapter).

        >>> v5p = get_chip("tpu-v5p")
        >>> v5p.slice_wraparound((2, 2, 4)), v5p.slice_wraparound((4, 4, 8))
        ((False, False, False), (True, True, True))
        >>> get_chip("tpu-v5e").slice_wraparound((8, 16))
        (False, True)
        """
        if self.wraparound == "cube4" and not all(a % CUBE_SIDE == 0 for a in shape):
            return tuple(False for _ in shape)
        return tuple(self.has_wraparound(a) for a in shape)

    def ici_axis_bw(self, axis: int) -> float:
        """Bytes/s a ring collective gets along one mesh axis of ``axis`` chips: both
        directions with a wraparound link, one direction without.

        >>> get_chip("tpu-v5e", constants="book").ici_axis_bw(4)
        45000000000.0
        """
        return self.ici_bw if self.has_wraparound(axis) else self.ici_bw / 2

    def source(self, field_name: str) -> str:
        """Where ``field_name``'s figure comes from.

        >>> get_chip("tpu-v5e", constants="book").source("hbm_bw")
        'How to Scale Your Model, TPU chapter, hardware table (https://jax-ml.github.io/scaling-book/tpus/)'
        """
        if field_name not in self.sources:
            raise unknown("field", field_name, sorted(self.sources))
        return self.sources[field_name]

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

_GOOGLE_V5E = "Google Cloud TPU v5e docs (https://cloud.google.com/tpu/docs/v5e)"
_GOOGLE_V5P = "Google Cloud TPU v5p docs (https://cloud.google.com/tpu/docs/v5p)"
_GOOGLE_V6E = "Google Cloud TPU v6e docs (https://cloud.google.com/tpu/docs/v6e)"
_GOOGLE_PRICE = "Google Cloud TPU pricing, on demand (https://cloud.google.com/tpu/pricing)"
_BOOK_TPU = (
    "How to Scale Your Model, TPU chapter, hardware table (https://jax-ml.github.io/scaling-book/tpus/)"
)
_BOOK_CHAPTER = (
    "How to Scale Your Model, serving chapter, hardware table "
    "(https://jax-ml.github.io/scaling-book/applied-inference/)"
)
_H100 = "NVIDIA H100 datasheet (https://www.nvidia.com/en-us/data-center/h100/)"
_H200 = "NVIDIA H200 datasheet (https://www.nvidia.com/en-us/data-center/h200/)"
_B200 = "NVIDIA DGX B200 datasheet, per GPU (https://www.nvidia.com/en-us/data-center/dgx-b200/)"
_GIB_RULE = "; the printed 'GB' read as GiB, the physical size (servingmath.chips: one rule for all chips)"
_NOT_IN_BOOK = "the book states none: the spec figure"


def _sources(default: str, **overrides: str) -> dict[str, str]:
    fields = ("bf16_flops", "int8_ops", "fp8_flops", "hbm_bytes", "hbm_bw", "ici_bw", "price_per_hour")
    return {f: overrides.get(f, default) for f in fields}


# ── spec: the vendors' figures ──────────────────────────────────────────────
TPU_V5E = Chip(
    key="tpu-v5e",
    name="TPU v5e",
    bf16_flops=1.97e14,  # 197 TFLOP/s bf16
    int8_ops=3.94e14,  # 394 TOP/s int8
    fp8_flops=None,
    hbm_bytes=16 * GiB,  # "16 GB" HBM2: 16 GiB
    hbm_bw=819 * GB,  # 819 GB/s
    ici_bw=9e10,  # per link, both directions: Google publishes no per-link figure; the book's
    price_per_hour=1.20,  # on demand, per chip-hour
    slices=_TPU_2D,
    wraparound="axis16",
    sources=_sources(
        _GOOGLE_V5E, hbm_bytes=_GOOGLE_V5E + _GIB_RULE, ici_bw=_BOOK_TPU, price_per_hour=_GOOGLE_PRICE
    ),
)
TPU_V5P = Chip(
    key="tpu-v5p",
    name="TPU v5p",
    bf16_flops=4.59e14,  # 459 TFLOP/s bf16
    int8_ops=9.18e14,  # 918 TOP/s int8
    fp8_flops=None,
    hbm_bytes=95 * GiB,  # 95 GiB HBM2e
    hbm_bw=2765 * GB,  # 2,765 GB/s
    ici_bw=1.8e11,  # per link, both directions: the book's (Google gives per-chip totals only)
    price_per_hour=4.20,  # on demand, per chip-hour
    slices=_TPU_3D,
    wraparound="cube4",
    sources=_sources(
        _GOOGLE_V5P, hbm_bytes=_GOOGLE_V5P + _GIB_RULE, ici_bw=_BOOK_TPU, price_per_hour=_GOOGLE_PRICE
    ),
)
TPU_V6E = Chip(
    key="tpu-v6e",
    name="TPU v6e",
    bf16_flops=9.18e14,  # 918 TFLOP/s bf16 ("Trillium")
    int8_ops=1.836e15,  # 1,836 TOP/s int8
    fp8_flops=None,
    hbm_bytes=32 * GiB,  # "32 GB" HBM: 32 GiB
    hbm_bw=1640 * GB,  # 1,640 GB/s
    ici_bw=1.8e11,  # per link, both directions: the book's
    price_per_hour=2.70,  # on demand, per chip-hour
    slices=_TPU_2D,
    wraparound="axis16",
    sources=_sources(
        _GOOGLE_V6E, hbm_bytes=_GOOGLE_V6E + _GIB_RULE, ici_bw=_BOOK_TPU, price_per_hour=_GOOGLE_PRICE
    ),
)
H100 = Chip(
    key="h100",
    name="NVIDIA H100 SXM",
    bf16_flops=9.89e14,  # 989 TFLOP/s dense bf16
    int8_ops=1.979e15,  # 1,979 TOP/s dense int8
    fp8_flops=1.979e15,  # 1,979 TFLOP/s dense fp8
    hbm_bytes=80 * GiB,  # "80GB" HBM3: 80 GiB (nvidia-smi: 81,559 MiB usable)
    hbm_bw=3.35e12,  # 3.35 TB/s
    ici_bw=9e11,  # NVLink 900 GB/s per GPU, both directions
    price_per_hour=10.8,  # no vendor list price: the chapter's hardware table
    slices=_GPU,
    sources=_sources(_H100, hbm_bytes=_H100 + _GIB_RULE, price_per_hour=_BOOK_CHAPTER),
)
H200 = Chip(
    key="h200",
    name="NVIDIA H200 SXM",
    bf16_flops=9.89e14,  # 989 TFLOP/s dense bf16
    int8_ops=1.979e15,  # 1,979 TOP/s dense int8
    fp8_flops=1.979e15,  # 1,979 TFLOP/s dense fp8
    hbm_bytes=141 * GiB,  # "141GB" HBM3e: 141 GiB (nvidia-smi: 143,771 MiB usable)
    hbm_bw=4.8e12,  # 4.8 TB/s
    ici_bw=9e11,  # NVLink 900 GB/s per GPU, both directions
    price_per_hour=None,  # no public list price servingmath can cite
    slices=_GPU,
    sources=_sources(_H200, hbm_bytes=_H200 + _GIB_RULE, price_per_hour="none"),
)
B200 = Chip(
    key="b200",
    name="NVIDIA B200",
    bf16_flops=2.25e15,  # 2.25 PFLOP/s dense bf16 per GPU
    int8_ops=4.5e15,  # 4.5 POP/s dense int8 per GPU
    fp8_flops=4.5e15,  # 4.5 PFLOP/s dense fp8 per GPU
    hbm_bytes=180 * GiB,  # 1,440 "GB" per 8-GPU DGX B200 = 180 GiB per GPU
    hbm_bw=8e12,  # 64 TB/s per 8-GPU DGX B200 = 8 TB/s per GPU
    ici_bw=1.8e12,  # NVLink 5: 1.8 TB/s per GPU, both directions
    price_per_hour=None,  # no public list price servingmath can cite
    slices=_GPU,
    sources=_sources(_B200, hbm_bytes=_B200 + _GIB_RULE, price_per_hour="none"),
)

_A100 = "NVIDIA A100 datasheet, SXM (https://www.nvidia.com/en-us/data-center/a100/)"
A100_40GB = Chip(
    key="a100-40gb",
    name="NVIDIA A100 SXM 40GB",
    bf16_flops=3.12e14,  # 312 TFLOP/s dense bf16
    int8_ops=6.24e14,  # 624 TOP/s dense int8
    fp8_flops=None,  # no fp8 tensor cores on Ampere
    hbm_bytes=40 * GiB,  # "40GB" HBM2: 40 GiB
    hbm_bw=1.555e12,  # 1,555 GB/s
    ici_bw=6e11,  # NVLink 3: 600 GB/s per GPU, both directions
    price_per_hour=None,  # no public list price servingmath can cite
    slices=_GPU,
    sources=_sources(_A100, hbm_bytes=_A100 + _GIB_RULE, price_per_hour="none"),
)
A100_80GB = dataclasses.replace(
    A100_40GB,
    key="a100-80gb",
    name="NVIDIA A100 SXM 80GB",
    hbm_bytes=80 * GiB,  # "80GB" HBM2e: 80 GiB
    hbm_bw=2.039e12,  # 2,039 GB/s
)

SPEC_CHIPS: dict[str, Chip] = {
    c.key: c for c in (TPU_V5E, TPU_V5P, TPU_V6E, H100, H200, B200, A100_40GB, A100_80GB)
}
CHIPS = SPEC_CHIPS  # the presets under the default constant set


# ── book: what How to Scale Your Model states ───────────────────────────────
def _book(spec: Chip, source: str, **stated: float) -> Chip:
    """``spec`` with the figures the book states replaced; the rest keep the spec source."""
    sources = {f: (source if f in stated else f"{_NOT_IN_BOOK} ({src})") for f, src in spec.sources.items()}
    return dataclasses.replace(spec, constants="book", sources=sources, **stated)  # type: ignore[arg-type]


BOOK_CHIPS: dict[str, Chip] = {
    c.key: c
    for c in (
        # TPU chapter hardware table: 16GB, 8.1e11 B/s, 1.97e14, 3.94e14; ICI 4.5e10 one way per link.
        # The serving chapter's hardware table: $1.2 per chip-hour.
        _book(TPU_V5E, _BOOK_TPU, hbm_bytes=16e9, hbm_bw=8.1e11, bf16_flops=1.97e14, int8_ops=3.94e14,
              ici_bw=9e10),
        _book(TPU_V5P, _BOOK_TPU, hbm_bytes=96e9, hbm_bw=2.8e12, bf16_flops=4.59e14, int8_ops=9.18e14,
              ici_bw=1.8e11),
        _book(TPU_V6E, _BOOK_TPU, hbm_bytes=32e9, hbm_bw=1.6e12, bf16_flops=9.2e14, int8_ops=1.84e15,
              ici_bw=1.8e11),
        _book(H100, _BOOK_CHAPTER, bf16_flops=9.9e14, price_per_hour=10.8),
        _book(H200, _BOOK_CHAPTER),
        _book(B200, _BOOK_CHAPTER),
        _book(A100_40GB, _BOOK_CHAPTER),
        _book(A100_80GB, _BOOK_CHAPTER),
    )
}  # fmt: skip
for _key, _price in (("tpu-v5e", 1.2), ("tpu-v5p", 4.2)):  # the serving chapter's prices
    _c = BOOK_CHIPS[_key]
    BOOK_CHIPS[_key] = dataclasses.replace(
        _c, price_per_hour=_price, sources={**_c.sources, "price_per_hour": _BOOK_CHAPTER}
    )

CHIP_SETS: dict[str, dict[str, Chip]] = {"book": BOOK_CHIPS, "spec": SPEC_CHIPS}


def get_chip(name: str | Chip, constants: str = DEFAULT_CONSTANTS) -> Chip:
    """Look a chip up by key (``tpu-v5e``, ``tpu-v5p``, ``tpu-v6e``, ``h100``, ``h200``, ``b200``,
    ``a100-40gb``, ``a100-80gb``)
    under a constant set (``book`` or ``spec``). A :class:`Chip` passes through unchanged.

    >>> get_chip("v5e").name, get_chip("v5e", constants="book").hbm_bytes
    ('TPU v5e', 16000000000.0)
    >>> get_chip("tpu-v9")
    Traceback (most recent call last):
    ...
    servingmath.errors.UnknownNameError: unknown chip 'tpu-v9'; choose one of: tpu-v5e, tpu-v5p, ...
    """
    if isinstance(name, Chip):
        return name
    table = CHIP_SETS[check_constants(constants)]
    key = str(name).lower()
    key = f"tpu-{key}" if key in {"v5e", "v5p", "v6e"} else key
    if key not in table:
        raise unknown("chip", name, list(table))
    return table[key]
