"""Decode-step time at roofline, and the throughput and cost it implies.

A decode step loads the weights and every cached K/V entry from HBM once, and does
``2 x params x batch`` FLOPs. The matmuls are bound by whichever of weight loading or FLOPs is
slower; attention always waits on KV loading. The chapter's question 3 (4x2, batch 32,
8k context, int8 weights and KV, bf16 FLOPs), under the chapter's premises (``book``: the
nominal 70e9 parameters, all streamed):

>>> from servingmath.models import LLAMA3_70B
>>> s = decode_step(LLAMA3_70B, "tpu-v5e", chips=8, batch=32, seq=8192,
...                 weights="int8", kv="int8")
>>> round(s.step_time_s * 1e3, 2), s.bound
(17.24, 'memory')

Under ``spec`` (exact shapes, input embedding table not streamed): LLaMA 3-8B on one H100
at 3.35 TB/s, batch 1, 8k context, bf16:

>>> round(decode_step("llama3-8b", "h100", chips=1, batch=1, seq=8192,
...                   weights="bf16", kv="bf16").step_time_s * 1e3, 3)
4.801
>>> t = throughput(s, decode_len=512)
>>> round(t.tokens_per_s), round(t.tokens_per_s_per_chip)
(1856, 232)
"""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass
from typing import Literal

from servingmath.chips import Chip, get_chip
from servingmath.comm import decode_comm
from servingmath.dtypes import DType, get_dtype
from servingmath.errors import (
    MAX_BATCH,
    MAX_CHIPS,
    MAX_DECODE_LEN,
    DoesNotFitError,
    InvalidInputError,
    check_count,
)
from servingmath.memory import kv_cache_bytes, kv_replication, max_batch, param_bytes
from servingmath.models import Model, get_model
from servingmath.units import fmt

Bound = Literal["memory", "compute"]


def critical_batch(chip: Chip | str, *, weights: DType | str, compute: DType | str = "bf16") -> float:
    """Batch above which the weight matmuls are compute-bound: ``C / W_hbm x bytes_per_param / 2``.

    (2 is the FLOPs per parameter per token.) The chapter's question 4 table:

    >>> [round(critical_batch("tpu-v5e", weights=w, compute=c))
    ...  for w, c in [("bf16", "bf16"), ("int8", "bf16"), ("int8", "int8")]]
    [241, 120, 241]
    """
    c = get_chip(chip)
    return c.flops(compute) / c.hbm_bw * get_dtype(weights).bytes / 2


Overlap = Literal["none", "full"]
OVERLAPS: tuple[str, ...] = ("none", "full")


def check_overlap(overlap: object) -> Overlap:
    """Return ``overlap`` if it is ``none`` or ``full``, else raise naming it.

    >>> check_overlap("partial")
    Traceback (most recent call last):
    ...
    servingmath.errors.InvalidInputError: overlap must be one of none, full, got 'partial'
    """
    if overlap not in OVERLAPS:
        raise InvalidInputError("overlap", f"overlap must be one of {', '.join(OVERLAPS)}, got {overlap!r}")
    return overlap  # type: ignore[return-value]


@dataclass(frozen=True)
class DecodeStep:
    """The costs of one decode step, in seconds.

    ``comm_time_s`` is the tensor-parallel collectives' time (0 in the chapter's model).
    ``overlap`` says how it combines with the rest: ``"none"`` adds it (communication waits
    for compute and compute for communication), ``"full"`` hides it behind the HBM/FLOPs
    time (the step takes the longer of the two).

    >>> s = DecodeStep(param_time_s=2.0, kv_time_s=1.0, flops_time_s=0.5, batch=1, chips=8,
    ...                comm_time_s=1.5)
    >>> s.step_time_s, s.replace(overlap="full").step_time_s
    (4.5, 3.0)
    """

    param_time_s: float
    kv_time_s: float
    flops_time_s: float
    batch: int
    chips: int
    comm_time_s: float = 0.0
    overlap: Overlap = "none"
    kv_replication: float = 1.0
    weight_bytes: float = 0.0  # streamed this step, all chips
    kv_bytes: float = 0.0  # read this step, all chips (replicas included)
    flops: float = 0.0  # matmul FLOPs this step, all chips

    @property
    def mlp_time_s(self) -> float:
        """The matmuls: the longer of loading the weights and doing the FLOPs."""
        return max(self.flops_time_s, self.param_time_s)

    @property
    def compute_time_s(self) -> float:
        """Everything but communication: matmuls plus KV loading."""
        return self.mlp_time_s + self.kv_time_s

    @property
    def step_time_s(self) -> float:
        """The step: :attr:`compute_time_s` with :attr:`comm_time_s` added or overlapped."""
        if self.overlap == "full":
            return max(self.compute_time_s, self.comm_time_s)
        return self.compute_time_s + self.comm_time_s

    def replace(self, **changes: object) -> DecodeStep:
        """A copy with some fields changed (``dataclasses.replace``).

        >>> DecodeStep(1.0, 1.0, 0.5, batch=1, chips=1).replace(kv_time_s=2.0).step_time_s
        3.0
        """
        return dataclasses.replace(self, **changes)  # type: ignore[arg-type]

    @property
    def bound(self) -> Bound:
        """``compute`` when FLOPs outlast weight loading, else ``memory``."""
        return "compute" if self.flops_time_s > self.param_time_s else "memory"


def decode_step(
    model: Model | str,
    chip: Chip | str,
    *,
    chips: int,
    batch: int,
    seq: int,
    weights: DType | str,
    kv: DType | str,
    compute: DType | str = "bf16",
    check_fit: bool = True,
    kv_sharding: str | None = None,
    allow_beyond_context: bool = False,
    comm: bool | None = None,
    overlap: str = "none",
    hop_latency_s: float | None = None,
) -> DecodeStep:
    """Roofline time of one decode step for ``batch`` sequences with ``seq`` cached tokens,
    the ``chips`` forming one tensor-parallel group.

    Weight traffic is :meth:`~servingmath.models.Model.streamed_param_count` (under ``spec``
    without the input embedding table, and for a mixture of experts only the experts the
    batch touches); FLOPs are ``2 x flops_param_count x batch``; KV bytes include the
    copies of replicated KV heads (:func:`~servingmath.memory.kv_replication`).
    With ``check_fit`` (the default) a batch whose weights and caches exceed the chips'
    HBM raises :class:`~servingmath.errors.DoesNotFitError`.

    ``comm`` adds the tensor-parallel all-reduces (:func:`~servingmath.comm.decode_comm`) as
    ``comm_time_s``; ``None`` follows the model's constant set (on under ``spec``, off under
    ``book``, the chapter's model). ``overlap`` is ``"none"`` (added to the step) or
    ``"full"`` (hidden behind the HBM and FLOPs time).

    >>> s = decode_step("llama3-70b", "h100", chips=8, batch=1, seq=8192, weights="bf16", kv="bf16")
    >>> round(s.compute_time_s * 1e3, 2), round(s.comm_time_s * 1e3, 2), round(s.step_time_s * 1e3, 2)
    (5.29, 2.25, 7.54)
    >>> round(s.replace(overlap="full").step_time_s * 1e3, 2)
    5.29
    >>> s = decode_step("llama3-70b", "tpu-v5e", chips=32, batch=8, seq=8192,
    ...                 weights="bf16", kv="bf16")
    >>> s.kv_replication, round(s.kv_bytes / 1e9, 1)
    (4.0, 85.9)
    """
    m, c = get_model(model), get_chip(chip)
    n = check_count("chips", chips, maximum=MAX_CHIPS)
    p = param_bytes(m, weights)
    b = check_count("batch", batch, maximum=MAX_BATCH)
    k = kv_cache_bytes(
        m, kv, batch=b, seq=seq, tp=n, kv_sharding=kv_sharding, allow_beyond_context=allow_beyond_context
    )
    if check_fit and p + k > n * c.hbm_bytes:
        raise DoesNotFitError(
            "batch",
            f"batch {b} at seq {seq} needs {fmt(p + k, 'B')}, more than the "
            f"{fmt(n * c.hbm_bytes, 'B')} of {n} x {c.name}; lower batch or seq, or add chips",
        )
    streamed = m.streamed_param_count(batch=b) * get_dtype(weights).bytes
    flops = 2 * m.flops_param_count * b
    with_comm = (not m.book) if comm is None else bool(comm)
    comm_s = decode_comm(m, c, chips=n, batch=b, compute=compute, hop_latency_s=hop_latency_s).time_s
    return DecodeStep(
        param_time_s=streamed / (n * c.hbm_bw),
        kv_time_s=k / (n * c.hbm_bw),
        flops_time_s=flops / (n * c.flops(compute)),
        batch=b,
        chips=n,
        kv_replication=kv_replication(m, tp=n, kv_sharding=kv_sharding),
        weight_bytes=streamed,
        kv_bytes=k,
        flops=flops,
        comm_time_s=comm_s if with_comm else 0.0,
        overlap=check_overlap(overlap),
    )


@dataclass(frozen=True)
class Throughput:
    """What a decode step time means for a serving fleet."""

    tokens_per_s: float
    tokens_per_s_per_chip: float
    queries_per_s_per_chip: float
    usd_per_million_tokens: float | None


def throughput(step: DecodeStep, *, decode_len: int = 512, chip: Chip | str | None = None) -> Throughput:
    """Tokens/s, tokens/s/chip, queries/s/chip for a median ``decode_len``, and $/1M tokens.

    >>> s = DecodeStep(param_time_s=0.01, kv_time_s=0.01, flops_time_s=0.001, batch=40, chips=8)
    >>> t = throughput(s, decode_len=500, chip="tpu-v5e")
    >>> t.tokens_per_s, t.tokens_per_s_per_chip, t.queries_per_s_per_chip
    (2000.0, 250.0, 0.5)
    >>> round(t.usd_per_million_tokens, 3)  # 8 chips x $1.20/h for 7.2M tokens/h
    1.333
    """
    g = check_count("decode_len", decode_len, maximum=MAX_DECODE_LEN)
    tps = step.batch / step.step_time_s
    per_chip = tps / step.chips
    usd = None
    price = get_chip(chip).price_per_hour if chip is not None else None
    if price is not None:
        usd = price * step.chips / (tps * 3600) * 1e6
    return Throughput(
        tokens_per_s=tps,
        tokens_per_s_per_chip=per_chip,
        queries_per_s_per_chip=per_chip / g,
        usd_per_million_tokens=usd,
    )


def largest_fitting_step(
    model: Model | str, chip: Chip | str, *, chips: int, seq: int,
    weights: DType | str, kv: DType | str, compute: DType | str = "bf16",
    kv_sharding: str | None = None, allow_beyond_context: bool = False,
    comm: bool | None = None, overlap: str = "none",
) -> DecodeStep:  # fmt: skip
    """The decode step at the largest batch that fits (the chapter's questions 6-8).

    >>> largest_fitting_step("llama3-70b", "tpu-v5e", chips=32, seq=8192, weights="bf16", kv="bf16").batch
    38
    """
    kw = dict(kv_sharding=kv_sharding, allow_beyond_context=allow_beyond_context)
    b = max_batch(model, chip, chips=chips, weights=weights, kv=kv, seq=seq, **kw)  # type: ignore[arg-type]
    return decode_step(model, chip, chips=chips, batch=b, seq=seq, weights=weights, kv=kv,
                       compute=compute, comm=comm, overlap=overlap, **kw)  # type: ignore[arg-type]  # fmt: skip
