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

Under the ``spec`` constants KV heads are sharded over the tensor-parallel chips, so with
more chips than KV heads each head is stored on several chips (LLaMA 3-70B has 8):

>>> spec = m.with_constants("spec")
>>> kv_replication(spec, tp=8), kv_replication(spec, tp=32)
(1.0, 4.0)
>>> kv_cache_bytes(spec, "bf16", batch=1, seq=8192, tp=32) / kv_cache_bytes(spec, "bf16", batch=1, seq=8192)
4.0
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Literal

from servingmath.chips import Chip, Shape, get_chip, slice_chips, slice_name
from servingmath.dtypes import DType, get_dtype
from servingmath.errors import MAX_BATCH, MAX_CHIPS, MAX_SEQ, DoesNotFitError, InvalidInputError, check_count
from servingmath.models import Model, get_model

KvSharding = Literal["heads", "batch"]
KV_SHARDINGS: tuple[str, ...] = ("heads", "batch")


def kv_sharding_for(model: Model | str, kv_sharding: str | None = None) -> KvSharding:
    """How the KV caches are split over tensor-parallel chips.

    ``"heads"``: each chip holds the KV heads its query heads need (real tensor-parallel
    attention; heads are replicated when there are more chips than KV heads). ``"batch"``:
    sequences (or sequence blocks) are spread over the chips, each chip holding all heads of
    its share, so nothing is replicated. ``None`` picks the model's constant set: ``heads``
    under ``spec``, ``batch`` (the chapter's even split) under ``book``.

    >>> kv_sharding_for("llama3-70b"), kv_sharding_for("llama3-70b", "batch")
    ('heads', 'batch')
    >>> kv_sharding_for("llama3-70b", "rows")
    Traceback (most recent call last):
    ...
    servingmath.errors.InvalidInputError: kv_sharding must be one of heads, batch, got 'rows'
    """
    if kv_sharding is None:
        return "batch" if get_model(model).book else "heads"
    if kv_sharding not in KV_SHARDINGS:
        raise InvalidInputError(
            "kv_sharding", f"kv_sharding must be one of {', '.join(KV_SHARDINGS)}, got {kv_sharding!r}"
        )
    return kv_sharding  # type: ignore[return-value]


def kv_replication(model: Model | str, *, tp: int, kv_sharding: str | None = None) -> float:
    """How many times the KV caches are stored across ``tp`` tensor-parallel chips, relative
    to one copy: with heads sharding each chip holds ``ceil(K / tp)`` KV heads, so the
    factor is ``tp x ceil(K / tp) / K`` (``tp / K`` when ``tp`` is a multiple of ``K``).

    >>> [kv_replication("llama3-70b", tp=t) for t in (1, 4, 8, 16, 32)]
    [1.0, 1.0, 1.0, 2.0, 4.0]
    >>> kv_replication("llama3-70b", tp=32, kv_sharding="batch")
    1.0
    """
    m = get_model(model)
    t = check_count("tp", tp, maximum=MAX_CHIPS)
    if kv_sharding_for(m, kv_sharding) == "batch":
        return 1.0
    return t * math.ceil(m.K / t) / m.K


def kv_replication_note(model: Model | str, *, tp: int, kv_sharding: str | None = None) -> str | None:
    """Why the KV bytes are more than one copy (``None`` when they are not), in Chinese.

    >>> print(kv_replication_note("llama3-70b", tp=32))
    张量并行 32 路多于 KV 头数 8：按头切分时每个 KV 头要在 4 个芯片上各存一份，KV 缓存共占 4 倍
    >>> kv_replication_note("llama3-70b", tp=8) is None
    True
    """
    m = get_model(model)
    r = kv_replication(m, tp=tp, kv_sharding=kv_sharding)
    if r == 1:
        return None
    per_head = f"{r:g}" if m.K % tp == 0 or tp % m.K == 0 else f"平均 {r:g}"
    return (
        f"张量并行 {tp} 路多于 KV 头数 {m.K}：按头切分时每个 KV 头要在 {per_head} 个芯片上各存一份，"
        f"KV 缓存共占 {r:g} 倍"
    )


def kv_bytes_per_token(model: Model | str, kv: DType | str) -> float:
    """KV cache bytes for one token of one sequence (one copy): ``2 K H L x bytes``.

    >>> kv_bytes_per_token("llama3-8b", "bf16")
    131072.0
    """
    return get_model(model).kv_elements_per_token * get_dtype(kv).bytes


def kv_cache_bytes(
    model: Model | str,
    kv: DType | str,
    *,
    batch: int,
    seq: int,
    tp: int = 1,
    kv_sharding: str | None = None,
    allow_beyond_context: bool = False,
) -> float:
    """KV cache bytes held across ``tp`` tensor-parallel chips for ``batch`` sequences of
    ``seq`` tokens each (with :func:`kv_replication` copies).

    ``seq`` beyond the model's context window raises unless ``allow_beyond_context``.

    >>> kv_cache_bytes("llama3-8b", "bf16", batch=1, seq=8192) / 2**30
    1.0
    >>> kv_cache_bytes("llama3-8b", "bf16", batch=1, seq=16384)
    Traceback (most recent call last):
    ...
    servingmath.errors.InvalidInputError: seq must be <= 8192 (max_position_embeddings of LLaMA 3-8B), ...
    """
    m = get_model(model)
    b = check_count("batch", batch, maximum=MAX_BATCH)
    s = m.check_seq(check_count("seq", seq, maximum=MAX_SEQ), allow_beyond_context=allow_beyond_context)
    return kv_bytes_per_token(m, kv) * b * s * kv_replication(m, tp=tp, kv_sharding=kv_sharding)


def param_bytes(model: Model | str, weights: DType | str) -> float:
    """Bytes of all weights.

    >>> param_bytes("llama3-70b", "int4") / 1e9  # exact count (spec)
    35.276853248
    >>> from servingmath.models import LLAMA3_70B
    >>> param_bytes(LLAMA3_70B, "int4") / 1e9  # the chapter's 70e9 (book)
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
    """Weights + KV caches, and the smallest slice that holds them. ``kv_bytes`` counts the
    copies the slice's tensor-parallel chips hold (``kv_replication`` of one copy)."""

    param_bytes: float
    kv_bytes: float
    min_chips: int
    slice: Shape
    kv_replication: float = 1.0

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
    kv_sharding: str | None = None,
    allow_beyond_context: bool = False,
) -> MemoryBudget:
    """Memory for ``batch`` sequences of ``seq`` tokens, and the slice that holds it, with all
    of the slice's chips in one tensor-parallel group (so KV heads may be replicated, see
    :func:`kv_replication`; ``min_chips`` is then the fewest chips that hold it all).

    >>> b = memory_budget("llama3-70b", "tpu-v5e", weights="bf16", kv="bf16", batch=16, seq=8192)
    >>> b.min_chips, b.slice_name, b.kv_replication
    (12, '4x4', 2.0)
    """
    m, c = get_model(model), get_chip(chip)
    p = param_bytes(m, weights)
    one = kv_cache_bytes(m, kv, batch=batch, seq=seq, allow_beyond_context=allow_beyond_context)

    def held(n: int) -> float:
        return p + one * kv_replication(m, tp=n, kv_sharding=kv_sharding)

    n = min_chips(p + one, c)
    while n * c.hbm_bytes < held(n):  # more chips may replicate more KV heads
        if n >= MAX_CHIPS or (n >= m.K and c.hbm_bytes <= one / m.K):
            raise DoesNotFitError(
                "batch",
                f"batch {batch} at seq {seq}: one KV head's cache ({one / m.K:.3g} B) exceeds a "
                f"{c.name}'s HBM ({c.hbm_bytes:.3g} B); lower batch or seq, or use kv_sharding='batch'",
            )
        if n >= m.K and kv_sharding_for(m, kv_sharding) == "heads":
            # from K chips on, each chip holds one head: n x (HBM - one / K) >= params
            n = max(n + 1, math.ceil(p / (c.hbm_bytes - one / m.K)))
        else:
            n += 1
    shape = c.smallest_slice(n)
    while slice_chips(shape) * c.hbm_bytes < held(slice_chips(shape)):
        shape = c.smallest_slice(slice_chips(shape) + 1)
    r = kv_replication(m, tp=slice_chips(shape), kv_sharding=kv_sharding)
    return MemoryBudget(param_bytes=p, kv_bytes=one * r, min_chips=n, slice=shape, kv_replication=r)


def hbm_left_for_kv(model: Model | str, chip: Chip | str, *, chips: int, weights: DType | str) -> float:
    """HBM left for KV caches once the weights are loaded on ``chips`` chips.

    >>> from servingmath.models import LLAMA3_70B
    >>> round(hbm_left_for_kv(LLAMA3_70B, "tpu-v5e", chips=8, weights="int8") / 1e9, 1)
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
    kv_sharding: str | None = None,
    allow_beyond_context: bool = False,
) -> int:
    """Largest batch whose KV caches at ``seq`` tokens fit beside the weights, capped at
    ``MAX_BATCH`` (the largest batch the other functions accept). The ``chips`` form one
    tensor-parallel group, so KV heads are replicated when ``chips`` exceeds the KV heads
    (:func:`kv_replication`).

    Raises :class:`~servingmath.errors.DoesNotFitError` when not even one sequence fits.

    >>> max_batch("llama3-8b", "b200", chips=10**6, weights="int4", kv="int4", seq=1) == MAX_BATCH
    True
    >>> [max_batch("llama3-70b", "tpu-v5e", chips=n, weights="bf16", kv="bf16", seq=8192)
    ...  for n in (16, 32)]  # 2x and 4x KV copies on 16 and 32 chips
    [24, 38]
    >>> from servingmath.models import LLAMA3_70B
    >>> [max_batch(LLAMA3_70B, "tpu-v5e", chips=n, weights="bf16", kv="bf16", seq=8192)
    ...  for n in (16, 32)]  # the chapter's even split
    [50, 152]
    """
    m = get_model(model)
    s = m.check_seq(check_count("seq", seq, maximum=MAX_SEQ), allow_beyond_context=allow_beyond_context)
    left = hbm_left_for_kv(m, chip, chips=chips, weights=weights)
    per_token = kv_bytes_per_token(m, kv) * kv_replication(m, tp=chips, kv_sharding=kv_sharding)
    b = math.floor(left / (per_token * s))
    if b < 1:
        raise DoesNotFitError(
            "seq",
            f"seq must be <= {math.floor(left / per_token)} "
            f"for one sequence to fit on {chips} chips, got {s}",
        )
    return min(b, MAX_BATCH)
