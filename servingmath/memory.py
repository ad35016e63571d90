"""How many bytes the weights and KV caches take, and how many chips hold them.

The chapter's questions 1, 2 and 5, in bytes (kB = 1000 B, KiB = 1024 B):

>>> from servingmath.models import LLAMA3_70B as m
>>> kv_bytes_per_token(m, "int8")            # 2 K H L bytes: 160 KiB, not 160 kB
163840.0
>>> kv_cache_bytes(m, "int8", batch=32, seq=8192) / 1e9
42.94967296
>>> b = memory_budget(m, "tpu-v5e", weights="int8", kv="int8", batch=32, seq=8192)
>>> round(b.total_bytes / 1e9, 2), b.min_chips, b.slice_name
(112.95, 7, '4x2')
>>> max_batch(m, "tpu-v5e", chips=16, weights="bf16", kv="bf16", seq=8192)
50
"""

from __future__ import annotations

import math
from dataclasses import dataclass

from servingmath.chips import Chip, Shape, get_chip, slice_chips, slice_name
from servingmath.dtypes import DType, get_dtype
from servingmath.errors import MAX_BATCH, MAX_CHIPS, MAX_SEQ, DoesNotFitError, check_count
from servingmath.models import Model, get_model


def kv_bytes_per_token(model: Model | str, kv: DType | str) -> float:
    """KV cache bytes for one token of one sequence: ``2 K H L x bytes``."""
    return get_model(model).kv_elements_per_token * get_dtype(kv).bytes


def kv_cache_bytes(model: Model | str, kv: DType | str, *, batch: int, seq: int) -> float:
    """KV cache bytes for ``batch`` sequences of ``seq`` tokens each."""
    b = check_count("batch", batch, maximum=MAX_BATCH)
    s = check_count("seq", seq, maximum=MAX_SEQ)
    return kv_bytes_per_token(model, kv) * b * s


def param_bytes(model: Model | str, weights: DType | str) -> float:
    """Bytes of all weights.

    >>> param_bytes("llama3-70b", "int4") / 1e9
    35.0
    """
    return get_model(model).param_count * get_dtype(weights).bytes


def min_chips(total_bytes: float, chip: Chip | str) -> int:
    """Fewest chips whose HBM holds ``total_bytes``.

    >>> min_chips(140e9, "tpu-v5e")
    9
    """
    return max(1, math.ceil(total_bytes / get_chip(chip).hbm_bytes))


@dataclass(frozen=True)
class MemoryBudget:
    """Weights + KV caches, and the smallest slice that holds them."""

    param_bytes: float
    kv_bytes: float
    min_chips: int
    slice: Shape

    @property
    def total_bytes(self) -> float:
        return self.param_bytes + self.kv_bytes

    @property
    def slice_name(self) -> str:
        return slice_name(self.slice)

    @property
    def slice_chips(self) -> int:
        return slice_chips(self.slice)


def memory_budget(
    model: Model | str,
    chip: Chip | str,
    *,
    weights: DType | str,
    kv: DType | str,
    batch: int,
    seq: int,
) -> MemoryBudget:
    """Memory for ``batch`` sequences of ``seq`` tokens, and the slice that holds it."""
    c = get_chip(chip)
    p = param_bytes(model, weights)
    k = kv_cache_bytes(model, kv, batch=batch, seq=seq)
    n = min_chips(p + k, c)
    return MemoryBudget(param_bytes=p, kv_bytes=k, min_chips=n, slice=c.smallest_slice(n))


def hbm_left_for_kv(model: Model | str, chip: Chip | str, *, chips: int, weights: DType | str) -> float:
    """HBM left for KV caches once the weights are loaded on ``chips`` chips.

    >>> round(hbm_left_for_kv("llama3-70b", "tpu-v5e", chips=8, weights="int8") / 1e9, 1)
    67.4
    """
    n = check_count("chips", chips, maximum=MAX_CHIPS)
    c = get_chip(chip)
    left = n * c.hbm_bytes - param_bytes(model, weights)
    if left <= 0:
        need = min_chips(param_bytes(model, weights), c)
        raise DoesNotFitError(
            "chips",
            f"chips must be >= {need} to hold {get_model(model).name} in "
            f"{get_dtype(weights).name} on {c.name}, got {n}",
        )
    return left


def max_batch(
    model: Model | str,
    chip: Chip | str,
    *,
    chips: int,
    weights: DType | str,
    kv: DType | str,
    seq: int,
) -> int:
    """Largest batch whose KV caches at ``seq`` tokens fit beside the weights, capped at
    ``MAX_BATCH`` (the largest batch the other functions accept).

    Raises :class:`~servingmath.errors.DoesNotFitError` when not even one sequence fits.

    >>> max_batch("llama3-8b", "b200", chips=10**6, weights="int4", kv="int4", seq=1) == MAX_BATCH
    True
    """
    s = check_count("seq", seq, maximum=MAX_SEQ)
    left = hbm_left_for_kv(model, chip, chips=chips, weights=weights)
    per_seq = kv_bytes_per_token(model, kv) * s
    b = math.floor(left / per_seq)
    if b < 1:
        raise DoesNotFitError(
            "seq",
            f"seq must be <= {math.floor(left / kv_bytes_per_token(model, kv))} "
            f"for one sequence to fit on {chips} chips, got {s}",
        )
    return min(b, MAX_BATCH)
