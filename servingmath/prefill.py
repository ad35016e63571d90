"""Prefill latency, continuous-batching eviction, and disaggregated server ratios.

The chapter's question 10 (8k tokens, 16 x TPU v5e, 40% MFU):

>>> round(prefill_latency("llama3-70b", "tpu-v5e", chips=16, tokens=8192, mfu=0.4), 4)
0.9096
"""

from __future__ import annotations

from servingmath.chips import Chip, get_chip
from servingmath.dtypes import DType
from servingmath.errors import (
    MAX_BATCH,
    MAX_CHIPS,
    MAX_DECODE_LEN,
    MAX_TOKENS,
    check_count,
    check_fraction,
    check_positive,
)
from servingmath.models import Model, get_model


def prefill_flops(model: Model | str, *, tokens: int) -> float:
    """``2 x params x tokens`` FLOPs (attention FLOPs left out, as in the chapter).

    >>> prefill_flops("llama3-70b", tokens=1) / 1e9
    140.0
    """
    t = check_count("tokens", tokens, maximum=MAX_TOKENS)
    return 2 * get_model(model).param_count * t


def prefill_latency(
    model: Model | str,
    chip: Chip | str,
    *,
    chips: int,
    tokens: int,
    mfu: float,
    compute: DType | str = "bf16",
) -> float:
    """Seconds to prefill ``tokens`` tokens on ``chips`` chips at model FLOPs utilisation ``mfu``."""
    n = check_count("chips", chips, maximum=MAX_CHIPS)
    u = check_fraction("mfu", mfu)
    return prefill_flops(model, tokens=tokens) / (n * get_chip(chip).flops(compute) * u)


def completions_per_step(*, batch: int, decode_len: int) -> float:
    """Requests that finish per decode step: ``B / G`` (question 11).

    >>> completions_per_step(batch=32, decode_len=4096)
    0.0078125
    """
    b = check_count("batch", batch, maximum=MAX_BATCH)
    g = check_count("decode_len", decode_len, maximum=MAX_DECODE_LEN)
    return b / g


def evicted_kv_tokens_per_step(*, batch: int, prefill_len: int, decode_len: int) -> float:
    """KV tokens freed per decode step under continuous batching: ``B (P + G) / G``.

    >>> evicted_kv_tokens_per_step(batch=32, prefill_len=8192, decode_len=4096)
    96.0
    """
    p = check_count("prefill_len", prefill_len, maximum=MAX_TOKENS)
    return completions_per_step(batch=batch, decode_len=decode_len) * (p + decode_len)


def prefill_servers_per_generate_server(
    *, prefill_latency_s: float, step_time_s: float, batch: int, decode_len: int
) -> float:
    """Prefill servers needed per generate server so neither waits (question 12).

    A generate server finishes ``B / (step x G)`` sequences per second; a prefill server
    makes ``1 / prefill_latency`` per second.

    >>> round(prefill_servers_per_generate_server(prefill_latency_s=0.91, step_time_s=0.019,
    ...                                           batch=32, decode_len=512), 2)
    2.99
    """
    lat = check_positive("prefill_latency_s", prefill_latency_s)
    step = check_positive("step_time_s", step_time_s)
    b = check_count("batch", batch, maximum=MAX_BATCH)
    g = check_count("decode_len", decode_len, maximum=MAX_DECODE_LEN)
    return lat * b / (step * g)
