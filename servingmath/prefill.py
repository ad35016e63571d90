"""Prefill latency, continuous-batching eviction, and disaggregated server ratios.

The chapter's question 10 (8k tokens, 16 x TPU v5e, 40% MFU), with the chapter's nominal
70e9 parameters and no attention FLOPs:

>>> from servingmath.models import LLAMA3_70B
>>> round(prefill_latency(LLAMA3_70B, "tpu-v5e", chips=16, tokens=8192, mfu=0.4), 4)
0.9096

Causal attention adds ``2 N H L T (T + 1)`` FLOPs (``QK^T`` and ``AV`` over the lower
triangle), about 7% more at 8k tokens:

>>> with_attn = prefill_flops(LLAMA3_70B, tokens=8192, attention=True)
>>> round(with_attn / prefill_flops(LLAMA3_70B, tokens=8192) - 1, 3)
0.077
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


def attention_flops(model: Model | str, *, tokens: int) -> float:
    """Causal self-attention FLOPs of prefilling ``tokens`` tokens: token ``i`` attends to
    ``i`` keys, ``2 H`` FLOPs each for ``QK^T`` and for ``AV``, per query head and layer:
    ``2 N H L T (T + 1)``.

    >>> attention_flops("llama3-70b", tokens=1)
    2621440
    """
    m = get_model(model)
    t = check_count("tokens", tokens, maximum=MAX_TOKENS)
    return 2 * m.N * m.H * m.L * t * (t + 1)


def prefill_flops(model: Model | str, *, tokens: int, attention: bool = False) -> float:
    """``2 x params x tokens`` matmul FLOPs, plus the causal attention FLOPs when
    ``attention`` (left out by default, as in the chapter).

    ``params`` is :attr:`~servingmath.models.Model.flops_param_count`: the chapter's nominal
    count under ``book``; under ``spec`` the active parameters without the input embedding
    table (a lookup).

    >>> from servingmath.models import LLAMA3_70B
    >>> prefill_flops(LLAMA3_70B, tokens=1) / 1e9
    140.0
    >>> prefill_flops("llama3-70b", tokens=1) / 1e9
    139.006066688
    """
    t = check_count("tokens", tokens, maximum=MAX_TOKENS)
    m = get_model(model)
    extra = attention_flops(m, tokens=t) if attention else 0
    return 2 * m.flops_param_count * t + extra


def prefill_latency(
    model: Model | str,
    chip: Chip | str,
    *,
    chips: int,
    tokens: int,
    mfu: float,
    compute: DType | str = "bf16",
    attention: bool = False,
) -> float:
    """Seconds to prefill ``tokens`` tokens on ``chips`` chips at model FLOPs utilisation
    ``mfu`` (with the causal attention FLOPs when ``attention``).

    >>> from servingmath.models import LLAMA3_70B
    >>> round(prefill_latency(LLAMA3_70B, "tpu-v5e", chips=16, tokens=8192, mfu=0.4, attention=True), 3)
    0.979
    """
    n = check_count("chips", chips, maximum=MAX_CHIPS)
    u = check_fraction("mfu", mfu)
    flops = prefill_flops(model, tokens=tokens, attention=attention)
    return flops / (n * get_chip(chip).flops(compute) * u)


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
