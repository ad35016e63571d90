"""The chapter's key results for LLaMA 3-70B, recomputed on other chips ("换一块芯片会怎样").

For every chip and weight dtype: the fewest chips that hold the weights and the smallest
slice (or GPU group) with that many, the largest batch at 8k context on it (weights and KV
caches in the same dtype, as in the chapter's question 5), the decode step at that batch, and
what it means per chip and per dollar. Plus how far tensor parallelism goes on each chip's
interconnect.

>>> r = serving_row("tpu-v5e", "int8")
>>> r.slice_name, r.max_batch, r.bound
('4x2', 50, 'memory')
>>> v = values("spec")
>>> v["cmp.tpu_v5e.int8.slice"].text, v["cmp.h200.price"].text
('4x2', '—（无公开单价）')
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from servingmath.book.exercises import FLOPS_PER_PARAM
from servingmath.book.shown import Shown, as_registry, shown
from servingmath.chips import Chip, Shape, get_chip, slice_chips, slice_name
from servingmath.dtypes import BF16, INT4, INT8, DType, get_dtype
from servingmath.errors import DoesNotFitError
from servingmath.memory import min_chips, param_bytes
from servingmath.models import LLAMA3_70B, Model, get_model
from servingmath.roofline import Bound, largest_fitting_step, throughput
from servingmath.sharding import tp_limit_compute_bound
from servingmath.units import fmt

MODEL: Model = LLAMA3_70B
CHIP_KEYS: tuple[str, ...] = ("tpu-v5e", "tpu-v5p", "tpu-v6e", "h100", "h200", "b200")


def chips_under(constants: str) -> tuple[Chip, ...]:
    """The compared chips under a constant set.

    >>> [c.constants for c in chips_under("book")][:2]
    ['book', 'book']
    """
    return tuple(get_chip(k, constants=constants) for k in CHIP_KEYS)


CHIPS: tuple[Chip, ...] = chips_under("spec")  # default for the functions below
DTYPES: tuple[DType, ...] = (BF16, INT8, INT4)
SEQ = 8192  # the chapter's question 5
DECODE_LEN = 512  # the chapter's question 7 (median decode length)
COMPUTE: DType = BF16
NVLINK_DOMAIN = 8  # GPUs per NVLink node (HGX / DGX 8-GPU boards)
NO_PRICE = "—（无公开单价）"
_URL = re.compile(r"\s*\((https?://[^)\s]+)\)")


def is_gpu(chip: Chip | str) -> bool:
    """GPUs connect over NVLink inside one node; TPUs over a 2D or 3D ICI torus.

    >>> is_gpu("h100"), is_gpu("tpu-v5p")
    (True, False)
    """
    return not get_chip(chip).key.startswith("tpu-")


def interconnect_axes(chip: Chip | str) -> int:
    """Axes a tensor-parallel collective can use: the torus dimensions of a TPU (2 for v5e and
    v6e, 3 for v5p), 1 for a GPU's NVLink switch.

    >>> [interconnect_axes(c) for c in CHIPS]
    [2, 3, 2, 1, 1, 1]
    """
    c = get_chip(chip)
    return 1 if is_gpu(c) else len(c.slices[-1])


def group_name(chip: Chip | str, shape: Shape) -> str:
    """How the page names a slice: ``4x2`` for a TPU, ``8 GPU`` or ``2x8 GPU`` for GPUs.

    >>> group_name("tpu-v5e", (4, 2)), group_name("h100", (2,)), group_name("h100", (2, 8))
    ('4x2', '2 GPU', '2x8 GPU')
    """
    return f"{slice_name(shape)} GPU" if is_gpu(chip) else slice_name(shape)


@dataclass(frozen=True)
class ServingRow:
    """LLaMA 3-70B served on the smallest slice of ``chip`` that holds its weights in ``dtype``."""

    chip: Chip
    dtype: DType
    min_chips: int  # fewest chips whose HBM holds the weights
    slice: Shape  # the smallest slice with room for the weights and at least one sequence
    weights_only_slice: Shape  # the smallest slice with at least ``min_chips`` chips
    max_batch: int
    step_time_s: float
    bound: Bound
    tokens_per_s_per_chip: float
    queries_per_s_per_chip: float
    usd_per_million_tokens: float | None

    @property
    def slice_name(self) -> str:
        return group_name(self.chip, self.slice)

    @property
    def chips(self) -> int:
        return slice_chips(self.slice)

    @property
    def bumped(self) -> bool:
        """The weights-only slice had no room for one sequence's KV cache, so a bigger one is used."""
        return self.slice != self.weights_only_slice

    @property
    def crosses_nodes(self) -> bool:
        """A GPU group larger than one NVLink node (its collectives leave NVLink)."""
        return is_gpu(self.chip) and self.chips > NVLINK_DOMAIN


def serving_row(
    chip: Chip | str,
    dtype: DType | str,
    *,
    model: Model | str = MODEL,
    seq: int = SEQ,
    decode_len: int = DECODE_LEN,
    compute: DType | str = COMPUTE,
) -> ServingRow:
    """The chapter's questions 5-7 for one chip and one dtype (weights and KV caches alike).

    >>> r = serving_row("h100", "bf16")
    >>> r.min_chips, r.slice_name, r.max_batch
    (2, '2 GPU', 11)
    """
    c, d, m = get_chip(chip), get_dtype(dtype), get_model(model)
    n = min_chips(param_bytes(m, d), c)
    shape = c.smallest_slice(n)
    while True:
        try:
            step = largest_fitting_step(m, c, chips=slice_chips(shape), seq=seq, weights=d, kv=d,
                                        compute=compute)  # fmt: skip
            break
        except DoesNotFitError:  # the weights fit but not one sequence's KV cache: next slice
            shape = c.smallest_slice(slice_chips(shape) + 1)
    t = throughput(step, decode_len=decode_len, chip=c)
    return ServingRow(
        chip=c,
        dtype=d,
        min_chips=n,
        slice=shape,
        weights_only_slice=c.smallest_slice(n),
        max_batch=step.batch,
        step_time_s=step.step_time_s,
        bound=step.bound,
        tokens_per_s_per_chip=t.tokens_per_s_per_chip,
        queries_per_s_per_chip=t.queries_per_s_per_chip,
        usd_per_million_tokens=t.usd_per_million_tokens,
    )


def serving_rows(
    chips: tuple[Chip, ...] = CHIPS, dtypes: tuple[DType, ...] = DTYPES, *, model: Model | str = MODEL
) -> tuple[ServingRow, ...]:
    """:func:`serving_row` for every chip x dtype, chip by chip.

    >>> len(serving_rows())
    18
    """
    return tuple(serving_row(c, d, model=model) for c in chips for d in dtypes)


@dataclass(frozen=True)
class TpRow:
    """How far tensor parallelism goes on one chip before ICI/NVLink outlasts the FLOPs."""

    chip: Chip
    n_axes: int
    tp_limit: float  # tp_limit_compute_bound
    practical_limit: int  # largest offered group (TPU slice, or one NVLink node) within tp_limit


def tp_row(chip: Chip | str, *, model: Model | str = MODEL, compute: DType | str = COMPUTE) -> TpRow:
    """The chapter's question 9 bound ``Y < 2 F n_axes W_ici / (a C)`` for one chip.

    >>> r = tp_row("tpu-v5e")
    >>> round(r.tp_limit, 1), r.practical_limit
    (26.2, 16)
    >>> tp_row("h100").practical_limit  # NVLink stops at one 8-GPU node
    8
    """
    c = get_chip(chip)
    axes = interconnect_axes(c)
    limit = tp_limit_compute_bound(model, c, n_axes=axes, compute=compute)
    sizes = [1]
    for shape in c.slices:
        n = slice_chips(shape)
        if n <= limit and (not is_gpu(c) or n <= NVLINK_DOMAIN):
            sizes.append(n)
    return TpRow(chip=c, n_axes=axes, tp_limit=limit, practical_limit=max(sizes))


def price_text(chip: Chip | str) -> str:
    """The chip-hour price as shown, or :data:`NO_PRICE`.

    >>> price_text("tpu-v5e"), price_text("b200")
    ('$1.20', '—（无公开单价）')
    """
    p = get_chip(chip).price_per_hour
    return NO_PRICE if p is None else fmt(p, "$")


def usd_text(row: ServingRow) -> str:
    """$ per million output tokens as shown, or "—" without a price.

    >>> usd_text(serving_row("b200", "int8"))
    '—'
    """
    u = row.usd_per_million_tokens
    return "—" if u is None else fmt(u, "$")


def cite(text: str, chip: Chip, field: str) -> str:
    """``text`` linked to where ``chip``'s ``field`` comes from, with the source named in a
    tooltip; plain text when the source has no address.

    >>> print(cite("197 TFLOP/s", get_chip("tpu-v5e"), "bf16_flops"))
    [197 TFLOP/s](https://cloud.google.com/tpu/docs/v5e "Google Cloud TPU v5e docs")
    >>> cite("—", get_chip("b200"), "price_per_hour")
    '—'
    """
    src = chip.source(field)
    m = _URL.search(src)
    if m is None:
        return text
    title = _URL.sub("", src).replace('"', "'").strip()
    return f'[{text}]({m.group(1)} "{title}")'


def hbm_text(chip: Chip) -> str:
    """HBM capacity as shown: GiB under ``spec`` (the physical size, the same rule for every
    chip), GB under ``book`` (as the book writes it).

    >>> hbm_text(get_chip("h100")), hbm_text(get_chip("tpu-v5e", constants="book"))
    ('80 GiB', '16 GB')
    """
    return fmt(chip.hbm_bytes, "B", system="iec" if chip.constants == "spec" else "si")


def cheapest(rows: tuple[ServingRow, ...]) -> ServingRow | None:
    """The row with the lowest $ per million tokens among chips with a price (``None`` if none has).

    >>> cheapest(serving_rows(dtypes=(INT8,))).chip.name
    'TPU v5p'
    """
    priced = [r for r in rows if r.usd_per_million_tokens is not None]
    return min(priced, key=lambda r: r.usd_per_million_tokens or 0.0) if priced else None


def within_tp_limit(row: ServingRow) -> bool:
    """Whether the row's slice needs no more tensor parallelism than its interconnect sustains.

    >>> all(within_tp_limit(r) for r in serving_rows())
    True
    """
    return row.chips <= tp_row(row.chip).practical_limit


def _key(chip: Chip) -> str:
    return chip.key.replace("-", "_")


def values(constants: str) -> dict[str, Shown]:
    """Every value the chip comparison page cites by name (keys ``cmp.*``), under a constant set."""
    chips = chips_under(constants)
    out: list[Shown] = [
        shown("cmp.model", MODEL.name),
        shown("cmp.seq", SEQ, sig=6),
        shown("cmp.decode_len", DECODE_LEN),
        shown("cmp.compute", COMPUTE.label),
        shown("cmp.nvlink_domain", NVLINK_DOMAIN),
        shown("cmp.flops_per_param", FLOPS_PER_PARAM),
    ]
    for c in chips:
        k = _key(c)
        tp = tp_row(c)
        out += [
            shown(f"cmp.{k}.name", c.name),
            shown(f"cmp.{k}.flops", c.bf16_flops, "FLOP/s"),
            shown(f"cmp.{k}.hbm", c.hbm_bytes, "B", system="iec" if c.constants == "spec" else "si"),
            shown(f"cmp.{k}.hbm_bw", c.hbm_bw, "B/s"),
            shown(f"cmp.{k}.ici_bw", c.ici_bw, "B/s"),
            shown(f"cmp.{k}.price", price_text(c)),
            shown(f"cmp.{k}.n_axes", tp.n_axes),
            shown(f"cmp.{k}.tp_limit", tp.tp_limit),
            shown(f"cmp.{k}.tp_practical", tp.practical_limit),
        ]
        for d in DTYPES:
            r = serving_row(c, d)
            p = f"cmp.{k}.{d.name}"
            out += [
                shown(f"{p}.min_chips", r.min_chips),
                shown(f"{p}.slice", r.slice_name),
                shown(f"{p}.max_batch", r.max_batch),
                shown(f"{p}.step", r.step_time_s, "s"),
                shown(f"{p}.tpsc", r.tokens_per_s_per_chip),
                shown(f"{p}.qps", r.queries_per_s_per_chip, sig=2),
                shown(f"{p}.usd", usd_text(r)),
            ]
    for d in DTYPES:
        best = cheapest(serving_rows(chips, dtypes=(d,)))
        if best is not None:
            out += [
                shown(f"cmp.cheapest.{d.name}.chip", best.chip.name),
                shown(f"cmp.cheapest.{d.name}.usd", usd_text(best)),
            ]
    return as_registry(out)
