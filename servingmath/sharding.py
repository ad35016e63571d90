"""How far tensor parallelism goes before the interconnect (ICI) is the bottleneck.

For one MLP matmul sharded ``Y`` ways over ``n_axes`` mesh axes, per chip:

* ``T_math = 2 B D F / (Y C)``          (FLOPs)
* ``T_hbm  = D F w / (Y W_hbm)``        (loading this chip's weight shard)
* ``T_ici  = a B D / (n_axes W_axis)``  (moving the activations)

where ``w`` and ``a`` are the bytes of a weight and of an activation, and ``W_axis`` is what
a ring along one mesh axis gets: ``W_ici`` (both directions) with a wraparound link, half
of it without (``Chip.ici_axis_bw``; a TPU v5e axis shorter than 16 chips has none).
Requiring ``T_ici < T_math`` gives ``Y < 2 F n_axes W_axis / (a C)``, which is the chapter's
``F x M_Y / 2200`` for bf16 on TPU v5e with full rings; requiring ``T_ici < T_hbm`` (small
batches) gives ``Y < F w n_axes W_axis / (a B W_hbm)``, which the book writes as ``F / (beta B)``
with ``beta = W_hbm / W_ici`` "usually around 8".

>>> round(tp_limit_compute_bound("llama3-70b", "tpu-v5e", n_axes=2), 1)
26.2
>>> round(tp_limit_compute_bound("llama3-70b", "tpu-v5e", n_axes=2, wraparound=False), 1)
13.1
"""

from __future__ import annotations

from dataclasses import dataclass

from servingmath.chips import Chip, get_chip
from servingmath.dtypes import DType, get_dtype
from servingmath.errors import MAX_BATCH, MAX_CHIPS, InvalidInputError, check_count
from servingmath.models import Model, get_model


def _axis_bw(c: Chip, wraparound: bool) -> float:
    return c.ici_bw if wraparound else c.ici_bw / 2


def tp_limit_compute_bound(
    model: Model | str,
    chip: Chip | str,
    *,
    n_axes: int = 1,
    compute: DType | str = "bf16",
    wraparound: bool = True,
) -> float:
    """Largest tensor-parallel degree ``Y`` whose ICI time stays under its FLOPs time
    (``wraparound``: whether the mesh axes close into rings)."""
    m, c = get_model(model), get_chip(chip)
    n = check_count("n_axes", n_axes, maximum=3)
    a = get_dtype(compute).bytes
    return 2 * m.F * n * _axis_bw(c, wraparound) / (a * c.flops(compute))


def tp_limit_bandwidth_bound(
    model: Model | str,
    chip: Chip | str,
    *,
    batch: int,
    weights: DType | str,
    n_axes: int = 1,
    compute: DType | str = "bf16",
    wraparound: bool = True,
) -> float:
    """Largest ``Y`` whose ICI time stays under its weight-loading time (small batches).

    >>> round(tp_limit_bandwidth_bound("llama3-70b", "tpu-v5e", batch=64, weights="bf16",
    ...                                n_axes=2, wraparound=False), 1)
    49.2
    """
    m, c = get_model(model), get_chip(chip)
    b = check_count("batch", batch, maximum=MAX_BATCH)
    n = check_count("n_axes", n_axes, maximum=3)
    w, a = get_dtype(weights).bytes, get_dtype(compute).bytes
    return m.F * w * n * _axis_bw(c, wraparound) / (a * b * c.hbm_bw)


@dataclass(frozen=True)
class MatmulTimes:
    """Per-chip time of one sharded MLP matmul, in seconds."""

    t_ici_s: float
    t_hbm_s: float
    t_math_s: float

    @property
    def bottleneck(self) -> str:
        """``ici``, ``hbm`` or ``math``: whichever takes longest."""
        times = {"ici": self.t_ici_s, "hbm": self.t_hbm_s, "math": self.t_math_s}
        return max(times, key=lambda k: times[k])


def mlp_matmul_times(
    model: Model | str,
    chip: Chip | str,
    *,
    tp: int,
    batch: int,
    weights: DType | str,
    n_axes: int = 1,
    compute: DType | str = "bf16",
) -> MatmulTimes:
    """T_ici, T_hbm and T_math of one ``D x F`` matmul sharded ``tp`` ways (question 9).

    The ``tp`` chips are the smallest slice that holds them; the activations move along its
    ``n_axes`` longest axes, each at :meth:`Chip.ici_axis_bw` (no wraparound on a 4x8 TPU v5e,
    so one direction per link: the book's TPU chapter).

    >>> t = mlp_matmul_times("llama3-70b", get_chip("tpu-v5e", constants="book"), tp=32, batch=64,
    ...                      weights="bf16", n_axes=2)
    >>> [round(x * 1e6, 2) for x in (t.t_ici_s, t.t_hbm_s, t.t_math_s)], t.bottleneck
    ([11.65, 18.12, 4.77], 'hbm')
    """
    m, c = get_model(model), get_chip(chip)
    y = check_count("tp", tp, maximum=MAX_CHIPS)
    b = check_count("batch", batch, maximum=MAX_BATCH)
    n = check_count("n_axes", n_axes, maximum=3)
    w, a = get_dtype(weights).bytes, get_dtype(compute).bytes
    shape = c.smallest_slice(y)
    axes = sorted(zip(shape, c.slice_wraparound(shape), strict=True), reverse=True)
    if n > len(axes):
        raise InvalidInputError("n_axes", f"n_axes must be <= {len(axes)} for a {c.name} slice, got {n}")
    axis_bw = sum(c.ici_bw if wraps else c.ici_bw / 2 for _, wraps in axes[:n])
    return MatmulTimes(
        t_ici_s=a * b * m.D / axis_bw,
        t_hbm_s=m.D * m.F * w / (y * c.hbm_bw),
        t_math_s=2 * b * m.D * m.F / (y * c.flops(compute)),
    )
