"""The chapter's reference code (代码参考), as plain Python loops.

A faithful port of the chapter's snippet: a for-loop ``get_max_batch_size`` and per-batch
arithmetic, with the constants taken from servingmath's presets instead of typed in. It
exists to check the vectorised :func:`servingmath.sweep.decode_sweep` (and to time it
against): same signature, same array names.

Two deliberate differences from the chapter's snippet: HBM per chip is ``chip.hbm_bytes``
(16 GiB for v5e; the snippet used ``16e9``), and the batch search stops at ``MAX_BATCH`` like
:func:`~servingmath.memory.max_batch` (the snippet stopped at 1024, which would cut off the
shortest-context curves).

>>> from servingmath.models import LLAMA3_70B
>>> from servingmath.sweep import decode_sweep
>>> ref = reference_sweep(LLAMA3_70B, "tpu-v5e", chips=16, seq=8192, weights="int8", kv="int8")
>>> vec = decode_sweep(LLAMA3_70B, "tpu-v5e", chips=16, seq=8192, weights="int8", kv="int8")
>>> bool(np.array_equal(ref.batch, vec.batch)), bool(np.allclose(ref.step_time_s, vec.step_time_s))
(True, True)
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from servingmath.chips import Chip, get_chip
from servingmath.dtypes import DType, get_dtype
from servingmath.errors import MAX_BATCH, MAX_CHIPS, MAX_SEQ, DoesNotFitError, check_count
from servingmath.models import Model, get_model
from servingmath.sweep import FloatArray, IntArray


@dataclass(frozen=True)
class ReferenceSweep:
    """The loop's results, named like :class:`~servingmath.sweep.DecodeSweep`'s arrays."""

    seq: int
    chips: int
    batch: IntArray
    param_time_s: FloatArray
    kv_time_s: FloatArray
    flops_time_s: FloatArray
    step_time_s: FloatArray
    tokens_per_s_per_chip: FloatArray


# --8<-- [start:reference]
def reference_sweep(
    model: Model | str,
    chip: Chip | str,
    *,
    chips: int,
    seq: int,
    weights: DType | str,
    kv: DType | str,
    compute: DType | str = "bf16",
) -> ReferenceSweep:
    """The chapter's reference code, one batch size at a time."""
    m, c = get_model(model), get_chip(chip)
    num_chips = check_count("chips", chips, maximum=MAX_CHIPS)
    sequence_length = check_count("seq", seq, maximum=MAX_SEQ)

    param_count = m.param_count
    param_size = param_count * get_dtype(weights).bytes  # bytes of weights
    kv_bytes = get_dtype(kv).bytes  # bytes per cached K or V element
    hbm_bandwidth = c.hbm_bw
    flops = c.flops(compute)

    def kv_cache_size(tokens: int) -> float:
        return 2 * tokens * m.H * m.K * m.L * kv_bytes  # 2 * tokens * H * K * L

    def get_max_batch_size(seq_len: int, param_size: float, max_chips: int) -> int:
        bs = 1
        while bs <= MAX_BATCH and kv_cache_size(seq_len * bs) + param_size <= max_chips * c.hbm_bytes:
            bs += 1
        return bs - 1

    max_bs = get_max_batch_size(sequence_length, param_size, num_chips)
    if max_bs < 1:
        raise DoesNotFitError("seq", f"not even one sequence of {sequence_length} tokens fits")

    rows = []
    for bs in range(1, max_bs + 1):
        # the three costs of one decode step
        kv_time = kv_cache_size(sequence_length * bs) / (num_chips * hbm_bandwidth)
        param_time = param_size / (num_chips * hbm_bandwidth)
        flops_time = 2 * param_count * bs / (num_chips * flops)
        # total latency: the MLP waits on the slower of FLOPs and weight loading,
        # attention always waits on KV loading during generation
        mlp_time = max(flops_time, param_time)
        latency = mlp_time + kv_time
        throughput = bs / (latency * num_chips)  # tokens/s/chip
        rows.append((bs, param_time, kv_time, flops_time, latency, throughput))

    batch, param_t, kv_t, flops_t, step_t, tps = zip(*rows, strict=True)
    return ReferenceSweep(
        seq=sequence_length,
        chips=num_chips,
        batch=np.array(batch, dtype=np.int64),
        param_time_s=np.array(param_t),
        kv_time_s=np.array(kv_t),
        flops_time_s=np.array(flops_t),
        step_time_s=np.array(step_t),
        tokens_per_s_per_chip=np.array(tps),
    )


# --8<-- [end:reference]
