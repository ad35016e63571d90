"""Vectorised sweeps over batch size (and sequence length) for the figures.

Every array is computed with numpy from the same formulas as the scalar functions in
:mod:`servingmath.roofline`; tests check them point by point. numpy is imported on first use, so
that ``import servingmath`` works where numpy is missing (the site's in-browser runner).

>>> from servingmath.models import LLAMA3_70B
>>> s = decode_sweep(LLAMA3_70B, "tpu-v5e", chips=16, seq=8192, weights="int8", kv="int8")
>>> int(s.batch[-1]), round(float(s.step_time_s[0]) * 1e3, 2)
(152, 5.44)
>>> s = decode_sweep("llama3-70b", "tpu-v5e", chips=16, seq=8192, weights="int8", kv="int8")
>>> int(s.batch[-1]), round(float(s.step_time_s[0]) * 1e3, 2)  # spec: 2 KV copies, all-reduces
(76, 7.48)
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

from servingmath.chips import Chip, get_chip
from servingmath.comm import COLLECTIVES_PER_LAYER, all_reduce_time, tp_topology
from servingmath.dtypes import DType, get_dtype
from servingmath.errors import MAX_BATCH, MAX_CHIPS, check_count
from servingmath.memory import kv_cache_bytes, max_batch
from servingmath.models import Model, get_model
from servingmath.roofline import check_overlap

if TYPE_CHECKING:  # numpy is imported where an array is made: `import servingmath` works without it
    import numpy as np
    from numpy.typing import NDArray

    FloatArray = NDArray[np.float64]
    IntArray = NDArray[np.int64]


def __getattr__(name: str) -> object:
    """``FloatArray`` and ``IntArray`` (numpy array types), made when first imported."""
    if name in ("FloatArray", "IntArray"):
        import numpy as np
        from numpy.typing import NDArray

        return NDArray[np.float64] if name == "FloatArray" else NDArray[np.int64]
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")


@dataclass(frozen=True)
class DecodeSweep:
    """Decode costs for batch = 1 .. largest that fits, at one sequence length."""

    seq: int
    chips: int
    batch: IntArray
    param_time_s: FloatArray
    kv_time_s: FloatArray
    flops_time_s: FloatArray
    price_per_hour: float | None
    comm_time_s: FloatArray | None = None  # tensor-parallel collectives (None: not counted)
    overlap: str = "none"

    @property
    def step_time_s(self) -> FloatArray:
        """As :attr:`~servingmath.roofline.DecodeStep.step_time_s`, batch by batch."""
        import numpy as np

        compute = np.maximum(self.flops_time_s, self.param_time_s) + self.kv_time_s
        if self.comm_time_s is None:
            return compute
        if self.overlap == "full":
            return np.maximum(compute, self.comm_time_s)
        return compute + self.comm_time_s

    @property
    def tokens_per_s_per_chip(self) -> FloatArray:
        return self.batch / (self.step_time_s * self.chips)

    @property
    def usd_per_million_tokens(self) -> FloatArray | None:
        if self.price_per_hour is None:
            return None
        return self.price_per_hour / (self.tokens_per_s_per_chip * 3600) * 1e6

    @property
    def compute_bound(self) -> NDArray[np.bool_]:
        return self.flops_time_s > self.param_time_s


def decode_sweep(
    model: Model | str,
    chip: Chip | str,
    *,
    chips: int,
    seq: int,
    weights: DType | str,
    kv: DType | str,
    compute: DType | str = "bf16",
    max_batch_limit: int | None = None,
    kv_sharding: str | None = None,
    allow_beyond_context: bool = False,
    comm: bool | None = None,
    overlap: str = "none",
) -> DecodeSweep:
    """Decode step costs for every batch from 1 to the largest that fits in HBM.

    >>> s = decode_sweep("mixtral-8x7b", "h100", chips=2, seq=4096, weights="bf16", kv="bf16",
    ...                  max_batch_limit=64)
    >>> round(float(s.param_time_s[63] / s.param_time_s[0]), 2)  # more experts touched
    3.65
    """
    import numpy as np

    m, c = get_model(model), get_chip(chip)
    n = check_count("chips", chips, maximum=MAX_CHIPS)
    kw = dict(kv_sharding=kv_sharding, allow_beyond_context=allow_beyond_context)
    top = max_batch(m, c, chips=n, weights=weights, kv=kv, seq=seq, **kw)  # type: ignore[arg-type]
    if max_batch_limit is not None:
        top = min(top, check_count("max_batch_limit", max_batch_limit, maximum=MAX_BATCH))
    batch = np.arange(1, top + 1, dtype=np.int64)
    bw = n * c.hbm_bw
    w = get_dtype(weights).bytes
    if m.is_moe and not (m.book and m.nominal_params is not None):
        streamed = np.array([m.streamed_param_count(batch=int(b)) for b in batch], dtype=np.float64)
    else:
        streamed = np.full(batch.shape, m.streamed_param_count(batch=1))
    per_seq = kv_cache_bytes(m, kv, batch=1, seq=seq, tp=n, **kw)  # type: ignore[arg-type]
    comm_s = None
    if (not m.book) if comm is None else comm:
        topo = tp_topology(c, chips=n)
        act = m.D * get_dtype(compute).bytes
        per = np.array([all_reduce_time(b * act, topo) for b in batch], dtype=np.float64)
        comm_s = per * (COLLECTIVES_PER_LAYER * m.L if n > 1 else 0)
    return DecodeSweep(
        seq=seq,
        chips=n,
        batch=batch,
        param_time_s=streamed * w / bw,
        kv_time_s=batch * (per_seq / bw),
        flops_time_s=batch * (2 * m.flops_param_count / (n * c.flops(compute))),
        price_per_hour=c.price_per_hour,
        comm_time_s=comm_s,
        overlap=check_overlap(overlap),
    )


def decode_sweeps(
    model: Model | str,
    chip: Chip | str,
    *,
    chips: int,
    seqs: list[int] | tuple[int, ...],
    weights: DType | str,
    kv: DType | str,
    compute: DType | str = "bf16",
) -> list[DecodeSweep]:
    """One :func:`decode_sweep` per sequence length (the figures' slider)."""
    return [
        decode_sweep(model, chip, chips=chips, seq=s, weights=weights, kv=kv, compute=compute) for s in seqs
    ]
