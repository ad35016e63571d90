"""Vectorised sweeps over batch size (and sequence length) for the figures.

Every array is computed with numpy (imported on first use, so that ``import servingmath`` works
where numpy is missing, as in the site's in-browser runner) from the same formulas as the scalar functions in
:mod:`servingmath.roofline`; tests check them point by point.

>>> s = decode_sweep("llama3-70b", "tpu-v5e", chips=16, seq=8192, weights="int8", kv="int8")
>>> int(s.batch[-1]), round(float(s.step_time_s[0]) * 1e3, 2)
(152, 5.44)
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

from servingmath.chips import Chip, get_chip
from servingmath.dtypes import DType
from servingmath.errors import MAX_BATCH, MAX_CHIPS, check_count
from servingmath.memory import kv_bytes_per_token, max_batch, param_bytes
from servingmath.models import Model, get_model

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

    @property
    def step_time_s(self) -> FloatArray:
        import numpy as np

        return np.maximum(self.flops_time_s, self.param_time_s) + self.kv_time_s

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
) -> DecodeSweep:
    """Decode step costs for every batch from 1 to the largest that fits in HBM."""
    import numpy as np

    m, c = get_model(model), get_chip(chip)
    n = check_count("chips", chips, maximum=MAX_CHIPS)
    top = max_batch(m, c, chips=n, weights=weights, kv=kv, seq=seq)
    if max_batch_limit is not None:
        top = min(top, check_count("max_batch_limit", max_batch_limit, maximum=MAX_BATCH))
    batch = np.arange(1, top + 1, dtype=np.int64)
    bw = n * c.hbm_bw
    return DecodeSweep(
        seq=seq,
        chips=n,
        batch=batch,
        param_time_s=np.full(batch.shape, param_bytes(m, weights) / bw),
        kv_time_s=batch * (seq * kv_bytes_per_token(m, kv) / bw),
        flops_time_s=batch * (2 * m.param_count / (n * c.flops(compute))),
        price_per_hour=c.price_per_hour,
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
