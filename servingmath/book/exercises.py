"""The chapter's three exercises (练习题), solved by this site: the chapter gives no answers.

Every assumption the solutions need is a constant below (``Ex1``, ``Ex2``, ``Ex3``), and every
number on the exercises page comes from these functions or from :func:`values`.

>>> v = values("book")
>>> v["ex.1.flops_per_token"].text, v["ex.2.slice"].text, values("spec")["ex.2.slice"].text
('8.1e11 FLOPs', '4x4', '4x2')
>>> v["ex.3.8192.best.slice"].text, v["ex.3.8192.best.batch"].text
('8x8', '142')
"""

from __future__ import annotations

import functools
import math
from dataclasses import dataclass

from servingmath.book.chapter import chapter_chip
from servingmath.book.shown import Shown, as_registry, shown
from servingmath.chips import Chip, Shape, get_chip, slice_chips, slice_name
from servingmath.dtypes import BF16, INT8, DType, get_dtype
from servingmath.errors import MAX_BATCH, MAX_CHIPS, MAX_TOKENS, DoesNotFitError, check_count, check_positive
from servingmath.memory import kv_cache_bytes, max_batch, min_chips, param_bytes
from servingmath.models import LLAMA3_8B, LLAMA3_405B, Model, get_model
from servingmath.roofline import DecodeStep, critical_batch, decode_step, throughput
from servingmath.sharding import mlp_matmul_times, tp_limit_bandwidth_bound, tp_limit_compute_bound

FLOPS_PER_PARAM = 2  # one multiply and one add per weight per token
MLP_UP_PROJECTIONS = 2  # gate and up: two [T, F] activations in a gated MLP


@dataclass(frozen=True)
class Ex1:
    """LLaMA 3-405B latency bounds. Weights and activations in bf16 (the book's default), batch 1."""

    model = LLAMA3_405B
    weights = BF16
    compute = BF16
    batch = 1
    chips = (1, 8, 16, 32, 64)
    # Tensor parallelism moves the [B, D] activations 4 times per layer: an AllGather before and a
    # ReduceScatter after both the attention block and the MLP block.
    collectives_per_layer = 4


@dataclass(frozen=True)
class Ex2:
    """LLaMA 3-8B at batch 240, 8k context, int8 weights and KV caches, bf16 activations."""

    model = LLAMA3_8B
    batch = 240
    seq = 8192
    weights = INT8
    kv = INT8
    activations = BF16


@dataclass(frozen=True)
class Ex3:
    """LLaMA 3-405B on TPU v5e, int8 weights (and int8 KV caches), bf16 FLOPs, 15 ms per step."""

    model = LLAMA3_405B
    weights = INT8
    kv = INT8
    compute = BF16
    max_step_s = 15e-3
    seqs = (8192, 4096)


def flops_per_token(model: Model | str) -> float:
    """FLOPs of one forward pass per token: ``2 x params``.

    >>> flops_per_token(LLAMA3_405B)
    810000000000.0
    """
    return FLOPS_PER_PARAM * get_model(model).param_count


def mesh_axes(shape: Shape) -> int:
    """Mesh axes a tensor-parallel collective can use on a TPU slice: the axes longer than 1.

    >>> mesh_axes((4, 2)), mesh_axes((1, 1)), mesh_axes((2, 2, 1))
    (2, 1, 2)
    """
    return max(1, sum(1 for s in shape if s > 1))


@dataclass(frozen=True)
class LatencyBounds:
    """Three lower bounds on one forward step on ``chips`` chips, in seconds."""

    chips: int
    slice: Shape
    flops_s: float
    hbm_s: float
    ici_s: float

    @property
    def slice_name(self) -> str:
        return slice_name(self.slice)

    @property
    def binding(self) -> str:
        """``flops``, ``hbm`` or ``ici``: the largest of the three bounds."""
        times = {"flops": self.flops_s, "hbm": self.hbm_s, "ici": self.ici_s}
        return max(times, key=lambda k: times[k])

    @property
    def bound_s(self) -> float:
        return max(self.flops_s, self.hbm_s, self.ici_s)


def comms_time(
    model: Model | str,
    chip: Chip | str,
    *,
    chips: int,
    batch: int,
    compute: DType | str = "bf16",
    collectives_per_layer: int = Ex1.collectives_per_layer,
) -> float:
    """ICI time of one forward step under tensor parallelism over ``chips`` chips:
    ``L x collectives_per_layer x a B D / (n_axes W_ici)``, zero on one chip.

    Each collective is the per-matmul ``T_ici`` of :func:`servingmath.sharding.mlp_matmul_times`
    (a ring collective's cost barely depends on how many chips share it).

    >>> round(comms_time(LLAMA3_405B, "tpu-v5e", chips=8, batch=1) * 1e6, 1)
    183.5
    >>> comms_time(LLAMA3_405B, "tpu-v5e", chips=1, batch=1)
    0.0
    """
    m, c = get_model(model), get_chip(chip)
    n = check_count("chips", chips, maximum=MAX_CHIPS)
    k = check_count("collectives_per_layer", collectives_per_layer, maximum=100)
    if n == 1:
        return 0.0
    axes = mesh_axes(c.smallest_slice(n))
    t = mlp_matmul_times(m, c, tp=n, batch=batch, weights=BF16, n_axes=axes, compute=compute)
    return m.L * k * t.t_ici_s


def latency_bounds(
    model: Model | str,
    chip: Chip | str,
    *,
    chips: int,
    batch: int = 1,
    weights: DType | str = "bf16",
    compute: DType | str = "bf16",
) -> LatencyBounds:
    """FLOPs bound ``2 P B / (N C)``, weight-loading bound ``P w / (N W_hbm)`` and ICI bound
    (:func:`comms_time`) for one step on ``chips`` chips, ignoring memory capacity.

    >>> b = latency_bounds(LLAMA3_405B, "tpu-v5e", chips=1)
    >>> round(b.flops_s * 1e3, 2), round(b.hbm_s, 3), b.binding
    (4.11, 0.989, 'hbm')
    """
    m, c = get_model(model), get_chip(chip)
    n = check_count("chips", chips, maximum=MAX_CHIPS)
    b = check_count("batch", batch, maximum=MAX_BATCH)
    return LatencyBounds(
        chips=n,
        slice=c.smallest_slice(n),
        flops_s=flops_per_token(m) * b / (n * c.flops(compute)),
        hbm_s=param_bytes(m, weights) / (n * c.hbm_bw),
        ici_s=comms_time(m, c, chips=n, batch=b, compute=compute),
    )


def mlp_activation_bytes(model: Model | str, *, tokens: int, dtype: DType | str = "bf16") -> float:
    """One layer's MLP working set for ``tokens`` tokens: input ``[T, D]`` plus the gate and up
    projections ``[T, F]`` each, i.e. ``T (D + 2F) a``.

    >>> mlp_activation_bytes(LLAMA3_8B, tokens=240) / 1e6
    15.72864
    """
    m = get_model(model)
    t = check_count("tokens", tokens, maximum=MAX_TOKENS)
    return t * (m.D + MLP_UP_PROJECTIONS * m.F) * get_dtype(dtype).bytes


def logits_bytes(model: Model | str, *, tokens: int, dtype: DType | str = "bf16") -> float:
    """The output logits ``[T, V]`` for ``tokens`` tokens.

    >>> logits_bytes(LLAMA3_8B, tokens=240) / 1e6
    61.56288
    """
    m = get_model(model)
    t = check_count("tokens", tokens, maximum=MAX_TOKENS)
    return t * m.V * get_dtype(dtype).bytes


def peak_decode_activation_bytes(model: Model | str, *, batch: int, dtype: DType | str = "bf16") -> float:
    """Peak working activations of one decode step, roughly: the larger of one layer's MLP
    working set and the logits (activations of other layers are freed as the step proceeds).

    >>> peak_decode_activation_bytes(LLAMA3_8B, batch=240) == logits_bytes(LLAMA3_8B, tokens=240)
    True
    """
    return max(
        mlp_activation_bytes(model, tokens=batch, dtype=dtype), logits_bytes(model, tokens=batch, dtype=dtype)
    )


@dataclass(frozen=True)
class ServingMemory:
    """Exercise 2: bytes of weights, KV caches and activations, and the smallest slice."""

    param_bytes: float
    kv_bytes: float
    activation_bytes: float
    min_chips: int
    slice: Shape
    hbm_bytes: float  # per chip

    @property
    def total_bytes(self) -> float:
        return self.param_bytes + self.kv_bytes + self.activation_bytes

    @property
    def slice_name(self) -> str:
        return slice_name(self.slice)

    @property
    def headroom_bytes(self) -> float:
        """HBM left on the slice once everything is loaded."""
        return slice_chips(self.slice) * self.hbm_bytes - self.total_bytes


def serving_memory(
    model: Model | str,
    chip: Chip | str,
    *,
    batch: int,
    seq: int,
    weights: DType | str,
    kv: DType | str,
    activations: DType | str = "bf16",
) -> ServingMemory:
    """Weights + KV caches + peak decode activations, and the smallest slice whose HBM holds them.

    >>> s = serving_memory(LLAMA3_8B, "tpu-v5e", batch=240, seq=8192, weights="int8", kv="int8")
    >>> round(s.total_bytes / 1e9, 1), s.min_chips, s.slice_name
    (136.9, 8, '4x2')
    """
    c = get_chip(chip)
    p = param_bytes(model, weights)
    k = kv_cache_bytes(model, kv, batch=batch, seq=seq)
    a = peak_decode_activation_bytes(model, batch=batch, dtype=activations)
    n = min_chips(p + k + a, c)
    return ServingMemory(p, k, a, n, c.smallest_slice(n), c.hbm_bytes)


@dataclass(frozen=True)
class Candidate:
    """One slice x batch configuration of exercise 3."""

    slice: Shape
    seq: int
    step: DecodeStep
    tokens_per_s_per_chip: float
    max_batch: int  # largest batch that fits in HBM at ``seq``
    ici_ok: bool  # the chapter's question-9 test: per-matmul ICI time <= max(HBM time, FLOPs time)

    @property
    def slice_name(self) -> str:
        return slice_name(self.slice)

    @property
    def chips(self) -> int:
        return slice_chips(self.slice)

    @property
    def batch(self) -> int:
        return self.step.batch


def ici_ok(
    model: Model | str,
    chip: Chip | str,
    *,
    shape: Shape,
    batch: int,
    weights: DType | str,
    compute: DType | str = "bf16",
) -> bool:
    """Whether tensor parallelism over the whole slice keeps ICI off the critical path:
    ``T_ici <= max(T_hbm, T_math)`` for one MLP matmul (the chapter's question 9).

    >>> ici_ok(LLAMA3_405B, "tpu-v5e", shape=(8, 8), batch=45, weights="int8")
    True
    >>> ici_ok(LLAMA3_405B, "tpu-v5e", shape=(8, 8), batch=46, weights="int8")
    False
    """
    n = slice_chips(shape)
    if n == 1:
        return True
    t = mlp_matmul_times(
        model, chip, tp=n, batch=batch, weights=weights, n_axes=mesh_axes(shape), compute=compute
    )
    return t.t_ici_s <= max(t.t_hbm_s, t.t_math_s)


def _better(a: Candidate, b: Candidate | None) -> bool:
    """``a`` beats ``b``: more tokens/s/chip (1e-9 relative ties), then fewer chips, then larger batch."""
    if b is None:
        return True
    x, y = a.tokens_per_s_per_chip, b.tokens_per_s_per_chip
    if not math.isclose(x, y, rel_tol=1e-9):
        return x > y
    return (a.chips, -a.batch) < (b.chips, -b.batch)


def best_batch(
    model: Model | str,
    chip: Chip | str,
    *,
    shape: Shape,
    seq: int,
    max_step_s: float,
    weights: DType | str,
    kv: DType | str,
    compute: DType | str = "bf16",
    require_ici: bool = False,
) -> Candidate | None:
    """Among batches 1 .. the largest that fits, the one with the most tokens/s/chip whose decode
    step takes at most ``max_step_s`` (and, with ``require_ici``, passes :func:`ici_ok`);
    ``None`` if no batch qualifies or the weights do not fit.

    >>> c = best_batch(LLAMA3_405B, "tpu-v5e", shape=(8, 8), seq=8192, max_step_s=0.015,
    ...                weights="int8", kv="int8")
    >>> c.batch, round(c.step.step_time_s * 1e3, 2), round(c.tokens_per_s_per_chip)
    (143, 14.95, 149)
    >>> best_batch(LLAMA3_405B, "tpu-v5e", shape=(4, 8), seq=8192, max_step_s=0.015,
    ...            weights="int8", kv="int8") is None  # weights alone take 15.5 ms to load
    True
    """
    c = get_chip(chip)
    limit = check_positive("max_step_s", max_step_s)
    n = slice_chips(shape)
    try:
        b_max = max_batch(model, c, chips=n, weights=weights, kv=kv, seq=seq)
    except DoesNotFitError:
        return None
    best: Candidate | None = None
    for cand in _within_limit(model, c, shape, seq, limit, weights, kv, compute, b_max):
        if require_ici and not cand.ici_ok:
            continue
        if _better(cand, best):
            best = cand
    return best


@functools.lru_cache(maxsize=128)  # shared by the searches with and without the ICI condition
def _within_limit(
    model: Model | str,
    c: Chip,
    shape: Shape,
    seq: int,
    limit: float,
    weights: DType | str,
    kv: DType | str,
    compute: DType | str,
    b_max: int,
) -> tuple[Candidate, ...]:
    """Every batch from 1 whose decode step takes at most ``limit`` seconds, as a candidate."""
    n = slice_chips(shape)
    out = []
    for b in range(1, b_max + 1):
        step = decode_step(model, c, chips=n, batch=b, seq=seq, weights=weights, kv=kv, compute=compute)
        if step.step_time_s > limit:
            break  # step time grows with batch
        ok = ici_ok(model, c, shape=shape, batch=b, weights=weights, compute=compute)
        out.append(Candidate(shape, seq, step, throughput(step).tokens_per_s_per_chip, b_max, ok))
    return tuple(out)


def search(
    model: Model | str,
    chip: Chip | str,
    *,
    seq: int,
    max_step_s: float,
    weights: DType | str,
    kv: DType | str,
    compute: DType | str = "bf16",
    require_ici: bool = False,
) -> tuple[Candidate | None, ...]:
    """:func:`best_batch` for every slice of ``chip``, smallest first (``None`` where nothing fits).

    >>> [c.slice_name for c in search(LLAMA3_405B, "tpu-v5e", seq=8192, max_step_s=0.015,
    ...                               weights="int8", kv="int8") if c]
    ['8x8', '8x16', '16x16']
    """
    c = get_chip(chip)
    return tuple(
        best_batch(
            model,
            c,
            shape=s,
            seq=seq,
            max_step_s=max_step_s,
            weights=weights,
            kv=kv,
            compute=compute,
            require_ici=require_ici,
        )
        for s in c.slices
    )


def best_config(candidates: tuple[Candidate | None, ...]) -> Candidate | None:
    """The candidate with the most tokens/s/chip (ties: fewer chips, then larger batch).

    >>> best_config((None,)) is None
    True
    """
    best: Candidate | None = None
    for cand in candidates:
        if cand is not None and _better(cand, best):
            best = cand
    return best


def min_step_time(model: Model | str, chip: Chip | str, *, weights: DType | str) -> float:
    """Theoretical minimum decode step: every weight loaded once, spread over the largest slice.

    >>> round(min_step_time(LLAMA3_405B, "tpu-v5e", weights="int8") * 1e3, 2)
    1.93
    """
    c = get_chip(chip)
    return param_bytes(model, weights) / (slice_chips(c.slices[-1]) * c.hbm_bw)


# ── Named values for the exercises page ──────────────────────────────────


def _s(key: str, value: float, sig: int = 3) -> Shown:
    return shown(key, value, "s", sig=sig)


def _b(key: str, value: float, sig: int = 3) -> Shown:
    return shown(key, value, "B", sig=sig)


def ex1_values(c: Chip) -> list[Shown]:
    m = Ex1.model
    one = latency_bounds(m, c, chips=1, batch=Ex1.batch, weights=Ex1.weights, compute=Ex1.compute)
    int8_hbm = param_bytes(m, INT8) / c.hbm_bw
    out = [
        shown("ex.1.model", m.name),
        shown("ex.1.params", m.param_count, "params"),
        shown("ex.1.exact_params", m.exact_param_count, "params", sig=4),
        shown("ex.1.flops_per_token", flops_per_token(m), "FLOPs"),
        shown("ex.1.exact_flops_per_token", FLOPS_PER_PARAM * m.exact_param_count, "FLOPs", sig=4),
        shown("ex.1.weights", Ex1.weights.label),
        _b("ex.1.param_bytes", param_bytes(m, Ex1.weights)),
        shown("ex.1.batch", Ex1.batch),
        shown("ex.1.collectives", Ex1.collectives_per_layer),
        shown("ex.1.L", m.L),
        shown("ex.1.D", m.D, sig=6),
        _s("ex.1.flops_time_1", one.flops_s),
        _s("ex.1.hbm_time_1", one.hbm_s),
        _s("ex.1.hbm_time_1_int8", int8_hbm),
        shown("ex.1.hbm_over_flops_1", one.hbm_s / one.flops_s, sig=3),
    ]
    for n in Ex1.chips:
        b = latency_bounds(m, c, chips=n, batch=Ex1.batch, weights=Ex1.weights, compute=Ex1.compute)
        out += [
            shown(f"ex.1.n{n}.slice", b.slice_name),
            _s(f"ex.1.n{n}.flops", b.flops_s),
            _s(f"ex.1.n{n}.hbm", b.hbm_s),
            _s(f"ex.1.n{n}.ici", b.ici_s),
        ]
    return out


def ex2_values(c: Chip) -> list[Shown]:
    m = Ex2.model
    s = serving_memory(
        m, c, batch=Ex2.batch, seq=Ex2.seq, weights=Ex2.weights, kv=Ex2.kv, activations=Ex2.activations
    )
    both = {
        k: serving_memory(
            m, chapter_chip(k), batch=Ex2.batch, seq=Ex2.seq, weights=Ex2.weights, kv=Ex2.kv,
            activations=Ex2.activations,
        )
        for k in ("book", "spec")
    }  # fmt: skip
    per_set = [
        x
        for k, v in both.items()
        for x in (
            shown(f"ex.2.{k}.min_chips", v.min_chips),
            shown(f"ex.2.{k}.slice", v.slice_name),
            _b(f"ex.2.{k}.headroom", v.headroom_bytes),
            shown(f"ex.2.{k}.hbm", chapter_chip(k).hbm_bytes, "B", system="iec" if k == "spec" else "si"),
        )
    ]  # fmt: skip
    return [
        *per_set,
        shown("ex.2.model", m.name),
        shown("ex.2.batch", Ex2.batch),
        shown("ex.2.seq", Ex2.seq, sig=6),
        shown("ex.2.weights", Ex2.weights.label),
        shown("ex.2.kv", Ex2.kv.label),
        shown("ex.2.activations", Ex2.activations.label),
        shown("ex.2.mlp_projections", MLP_UP_PROJECTIONS),
        shown("ex.2.params", m.param_count, "params"),
        _b("ex.2.param_bytes", s.param_bytes),
        _b("ex.2.kv_bytes", s.kv_bytes),
        _b("ex.2.mlp_act", mlp_activation_bytes(m, tokens=Ex2.batch, dtype=Ex2.activations)),
        _b("ex.2.logits", logits_bytes(m, tokens=Ex2.batch, dtype=Ex2.activations)),
        _b("ex.2.act_bytes", s.activation_bytes),
        _b("ex.2.prefill_act", mlp_activation_bytes(m, tokens=Ex2.seq, dtype=Ex2.activations)),
        _b("ex.2.total_bytes", s.total_bytes, sig=4),
        shown("ex.2.chips_exact", s.total_bytes / c.hbm_bytes),
        shown("ex.2.min_chips", s.min_chips),
        shown("ex.2.slice", s.slice_name),
        _b("ex.2.headroom", s.headroom_bytes),
    ]


def ex3_values(c: Chip) -> list[Shown]:
    m = Ex3.model
    w = Ex3.weights
    p = param_bytes(m, w)
    n_min = min_chips(p, c)
    smallest = c.smallest_slice(n_min)
    biggest = c.slices[-1]
    axes = mesh_axes(biggest)
    out = [
        shown("ex.3.model", m.name),
        shown("ex.3.weights", w.label),
        shown("ex.3.kv", Ex3.kv.label),
        shown("ex.3.compute", Ex3.compute.label),
        _s("ex.3.max_step", Ex3.max_step_s),
        _b("ex.3.param_bytes", p),
        shown("ex.3.min_chips", n_min),
        shown("ex.3.min_slice", slice_name(smallest)),
        _s("ex.3.min_slice_param_time", p / (slice_chips(smallest) * c.hbm_bw)),
        shown("ex.3.bcrit", critical_batch(c, weights=w, compute=Ex3.compute)),
        shown("ex.3.biggest_slice", slice_name(biggest)),
        shown("ex.3.biggest_chips", slice_chips(biggest)),
        _s("ex.3.min_step", min_step_time(m, c, weights=w)),
        shown("ex.3.n_axes", axes),
        shown("ex.3.F", m.F, sig=6),
        shown("ex.3.tp_limit", tp_limit_compute_bound(m, c, n_axes=axes, compute=Ex3.compute)),
        shown(
            "ex.3.tp_limit_b1",
            tp_limit_bandwidth_bound(m, c, batch=1, weights=w, n_axes=axes, compute=Ex3.compute),
        ),
    ]
    b1 = decode_step(m, c, chips=slice_chips(biggest), batch=1, seq=Ex3.seqs[0], weights=w, kv=Ex3.kv)
    out += [shown("ex.3.min_batch", b1.batch), _s("ex.3.min_step_b1", b1.step_time_s)]
    for seq in Ex3.seqs:
        out.append(shown(f"ex.3.{seq}.seq", seq, sig=6))
        for require in (False, True):
            tag = "ici" if require else "best"
            best = best_config(
                search(
                    m,
                    c,
                    seq=seq,
                    max_step_s=Ex3.max_step_s,
                    weights=w,
                    kv=Ex3.kv,
                    compute=Ex3.compute,
                    require_ici=require,
                )
            )
            if best is None:  # pragma: no cover - the presets always have a solution
                raise DoesNotFitError("max_step_s", f"no configuration meets {Ex3.max_step_s} s at seq {seq}")
            out += [
                shown(f"ex.3.{seq}.{tag}.slice", best.slice_name),
                shown(f"ex.3.{seq}.{tag}.chips", best.chips),
                shown(f"ex.3.{seq}.{tag}.batch", best.batch),
                _s(f"ex.3.{seq}.{tag}.step", best.step.step_time_s, sig=4),
                shown(f"ex.3.{seq}.{tag}.tpsc", best.tokens_per_s_per_chip, "token/s/chip"),
                shown(f"ex.3.{seq}.{tag}.tps", best.tokens_per_s_per_chip * best.chips, "token/s", sig=4),
            ]
    return out


def values(constants: str) -> dict[str, Shown]:
    """Every value the exercises page cites by name (keys ``ex.*``), under a constant set."""
    c = chapter_chip(constants)
    return as_registry(
        [shown("ex.flops_per_param", FLOPS_PER_PARAM), *ex1_values(c), *ex2_values(c), *ex3_values(c)]
    )
