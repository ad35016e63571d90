"""The chapter's scenarios, and every value its pages show, computed.

Question statements, answers, tables and formulas on the chapter pages all take their
numbers from here (through ``{{ key }}`` placeholders) or from answer blocks that call the
same library functions with the same scenario constants.

>>> v = values()
>>> v["q2.total_bytes"].text, v["q2.slice"].text, v["q3.step.8"].text
('113 GB', '4x2', '17.2 ms')
"""

from __future__ import annotations

from dataclasses import dataclass

from servingmath.book.shown import Shown, as_registry, shown
from servingmath.chips import H100, TPU_V5E, TPU_V5P, Chip, slice_chips, slice_name
from servingmath.dtypes import BF16, INT4, INT8, DType
from servingmath.memory import (
    hbm_left_for_kv,
    kv_bytes_per_token,
    kv_cache_bytes,
    max_batch,
    memory_budget,
    min_chips,
    param_bytes,
)
from servingmath.models import LLAMA3_70B, Model
from servingmath.prefill import (
    completions_per_step,
    evicted_kv_tokens_per_step,
    prefill_flops,
    prefill_latency,
    prefill_servers_per_generate_server,
)
from servingmath.roofline import (
    DecodeStep,
    Throughput,
    critical_batch,
    decode_step,
    largest_fitting_step,
    throughput,
)
from servingmath.sharding import mlp_matmul_times, tp_limit_bandwidth_bound, tp_limit_compute_bound

MODEL: Model = LLAMA3_70B
CHIP: Chip = TPU_V5E
HARDWARE: tuple[Chip, ...] = (H100, TPU_V5P, TPU_V5E)  # the chapter's hardware table
DTYPES: tuple[DType, ...] = (BF16, INT8, INT4)  # questions 5, 7, 8


@dataclass(frozen=True)
class Q1:
    kv = INT8
    seq = 32768
    batch = 240


@dataclass(frozen=True)
class Q2:
    batch = 32
    seq = 8192
    weights = INT8
    kv = INT8


@dataclass(frozen=True)
class Q3:
    compute = BF16
    chips = (8, 16)  # 4x2 and 4x4


@dataclass(frozen=True)
class Q5:
    seq = 8192


@dataclass(frozen=True)
class Q7:
    decode_len = 512


@dataclass(frozen=True)
class Q9:
    weights = BF16
    tp = 32  # a 4x8 slice
    n_axes = 2
    batch = 64


@dataclass(frozen=True)
class Q10:
    tokens = 8192
    chips = 16
    mfu = 0.4


@dataclass(frozen=True)
class Q11:
    prefill_len = 8192
    decode_len = 4096
    batch = 32


def _b(key: str, value: float, sig: int = 3) -> Shown:
    return shown(key, value, "B", sig=sig)


def _kib(key: str, value: float) -> Shown:
    return shown(key, value, "B", system="iec")


def _s(key: str, value: float, sig: int = 3) -> Shown:
    return shown(key, value, "s", sig=sig)


def model_values() -> list[Shown]:
    m = MODEL
    out = [shown(f"model.{k}", getattr(m, k), sig=6) for k in ("L", "D", "F", "N", "K", "H", "V")]
    # The same shapes under lowercase keys: placeholders accept lowercase keys only.
    lower = {"layers": "L", "d_model": "D", "d_ff": "F", "n_heads": "N", "n_kv_heads": "K", "d_head": "H"}
    lower["vocab"] = "V"
    out += [shown(f"model.{name}", getattr(m, k), sig=6) for name, k in lower.items()]
    out += [
        shown("model.params", m.param_count, "params", sig=2),
        shown("model.exact_params", m.exact_param_count, "params", sig=4),
        shown("model.params_gap_pct", (m.exact_param_count / m.param_count - 1) * 100, sig=2),
        shown("model.kv_tensors", m.kv_elements_per_token / (m.K * m.H * m.L)),  # K and V
        shown("model.flops_per_param", prefill_flops(m, tokens=1) / m.param_count),  # per token
    ]
    return out


def hardware_values() -> list[Shown]:
    out: list[Shown] = []
    for c in HARDWARE:
        k = c.key.removeprefix("tpu-")
        out += [
            shown(f"hw.{k}.flops", c.bf16_flops, "FLOP/s"),
            shown(f"hw.{k}.price", c.price_per_hour or 0.0, "$"),
            shown(f"hw.{k}.flops_per_usd", c.flops_per_dollar(), "FLOPs/$", sig=2),
        ]
    out += [
        shown("hw.v5e.hbm", CHIP.hbm_bytes, "B", system="iec"),
        shown("hw.v5e.hbm_gb", CHIP.hbm_bytes, "B"),
        shown("hw.v5e.int8_over_bf16", CHIP.int8_ops / CHIP.bf16_flops),
        shown("hw.v5e.hbm_bw", CHIP.hbm_bw, "B/s"),
        shown("hw.v5e.int8", CHIP.int8_ops, "OP/s"),
    ]
    return out


def q1_values() -> list[Shown]:
    per_token = kv_bytes_per_token(MODEL, Q1.kv)
    per_seq = per_token * Q1.seq
    total = kv_cache_bytes(MODEL, Q1.kv, batch=Q1.batch, seq=Q1.seq)
    params = param_bytes(MODEL, INT8)
    return [
        shown("q1.kv_dtype", Q1.kv.label),
        shown("q1.seq", Q1.seq, sig=6),
        shown("q1.seq_k", Q1.seq / 1024, "k"),
        shown("q1.batch", Q1.batch),
        shown("q1.kv_elem_bytes", Q1.kv.bytes),
        _kib("q1.kv_per_token", per_token),
        shown("q1.kv_per_token_bytes", per_token, sig=6),
        _b("q1.kv_per_token_si", per_token),
        _b("q1.kv_per_seq", per_seq),
        _b("q1.kv_total", total),
        _b("q1.params", params),
        _b("q1.total_bytes", total + params),
        shown("q1.chips_exact", (total + params) / CHIP.hbm_bytes),
        shown("q1.min_chips", min_chips(total + params, CHIP)),
    ]


def q2_values() -> list[Shown]:
    b = memory_budget(MODEL, CHIP, weights=Q2.weights, kv=Q2.kv, batch=Q2.batch, seq=Q2.seq)
    big = CHIP.smallest_slice(b.slice_chips + 1)
    return [
        shown("q2.batch", Q2.batch),
        shown("q2.seq", Q2.seq, sig=6),
        shown("q2.dtype", Q2.weights.label),
        _b("q2.kv_bytes", b.kv_bytes),
        _kib("q2.kv_bytes_iec", b.kv_bytes),
        shown("q2.bytes_per_param", Q2.weights.bytes),
        _b("q2.param_bytes", b.param_bytes),
        _b("q2.total_bytes", b.total_bytes),
        shown("q2.chips_exact", b.total_bytes / CHIP.hbm_bytes, sig=3),
        shown("q2.min_chips", b.min_chips),
        shown("q2.slice", b.slice_name),
        shown("q2.slice_chips", b.slice_chips),
        shown("q2.slice_big", slice_name(big)),
        shown("q2.slice_big_chips", slice_chips(big)),
    ]


def _q3_step(chips: int) -> DecodeStep:
    return decode_step(
        MODEL, CHIP, chips=chips, batch=Q2.batch, seq=Q2.seq, weights=Q2.weights, kv=Q2.kv,
        compute=Q3.compute,
    )  # fmt: skip


def q3_values() -> list[Shown]:
    bcrit = critical_batch(CHIP, weights=Q2.weights, compute=Q3.compute)
    out = [
        shown("q3.compute", Q3.compute.label),
        shown("q3.bcrit", bcrit),
        shown("q3.bound", "带宽受限" if Q2.batch < bcrit else "计算受限"),
    ]
    for n in Q3.chips:
        step = _q3_step(n)
        t = throughput(step, decode_len=Q7.decode_len, chip=CHIP)
        out += [
            shown(f"q3.chips.{n}", n),
            shown(f"q3.slice.{n}", slice_name(CHIP.smallest_slice(n))),
            _s(f"q3.step.{n}", step.step_time_s),
            _s(f"q3.param_time.{n}", step.param_time_s),
            _s(f"q3.kv_time.{n}", step.kv_time_s),
            _s(f"q3.flops_time.{n}", step.flops_time_s),
            shown(f"q3.tps.{n}", t.tokens_per_s, "token/s", sig=4),
            shown(f"q3.tpsc.{n}", t.tokens_per_s_per_chip, "token/s/chip"),
        ]
    return out


def q4_values() -> list[Shown]:
    out = [
        shown("q4.c_over_w", CHIP.bf16_flops / CHIP.hbm_bw),
        shown("q4.c_over_w_int8", CHIP.int8_ops / CHIP.hbm_bw),
        *(shown(f"q4.bytes.{d.name}", d.bytes) for d in DTYPES),
    ]
    for w, c in ((BF16, BF16), (INT8, BF16), (INT8, INT8), (INT4, BF16)):
        out.append(shown(f"q4.bcrit.{w.name}.{c.name}", critical_batch(CHIP, weights=w, compute=c)))
    return out


def q5_values() -> list[Shown]:
    out = [shown("q5.seq", Q5.seq, sig=6)]
    for d in DTYPES:
        p = param_bytes(MODEL, d)
        n = min_chips(p, CHIP)
        sl = CHIP.smallest_slice(n)
        chips = slice_chips(sl)
        out += [
            shown(f"q5.{d.name}.label", d.label),
            _b(f"q5.{d.name}.params", p),
            _kib(f"q5.{d.name}.kv_per_token", kv_bytes_per_token(MODEL, d)),
            _b(f"q5.{d.name}.kv_per_seq", kv_bytes_per_token(MODEL, d) * Q5.seq),
            shown(f"q5.{d.name}.chips_exact", p / CHIP.hbm_bytes),
            shown(f"q5.{d.name}.min_chips", n),
            shown(f"q5.{d.name}.slice", slice_name(sl)),
            shown(f"q5.{d.name}.slice_chips", chips),
            _b(f"q5.{d.name}.hbm_left", hbm_left_for_kv(MODEL, CHIP, chips=chips, weights=d)),
            shown(
                f"q5.{d.name}.max_batch",
                max_batch(MODEL, CHIP, chips=chips, weights=d, kv=d, seq=Q5.seq),
            ),
        ]
    return out


def min_slice_chips(d: DType) -> int:
    """Chips in the smallest slice that holds the weights in dtype ``d`` (question 5)."""
    return slice_chips(CHIP.smallest_slice(min_chips(param_bytes(MODEL, d), CHIP)))


def q6_values() -> list[Shown]:
    full = CHIP.hbm_bytes / CHIP.hbm_bw
    int4_params = param_bytes(MODEL, INT4)
    int4_chips = min_slice_chips(INT4)
    out = [
        _kib("q6.hbm", CHIP.hbm_bytes),
        _s("q6.full_step", full),
        shown("q6.decode_len", Q7.decode_len),
        _s("q6.request_time", full * Q7.decode_len),
        _b("q6.int4_params", int4_params),
        shown("q6.int4_chips", int4_chips),
        _s("q6.int4_param_time", int4_params / (int4_chips * CHIP.hbm_bw)),
    ]
    for d in DTYPES:
        step = largest_fitting_step(MODEL, CHIP, chips=min_slice_chips(d), seq=Q5.seq, weights=d, kv=d)
        out.append(_s(f"q6.{d.name}.step", step.step_time_s))
    return out


def _fitting(d: DType, chips: int) -> tuple[DecodeStep, Throughput]:
    """The decode step at the largest batch that fits ``chips`` chips in dtype ``d``, and its throughput."""
    step = largest_fitting_step(MODEL, CHIP, chips=chips, seq=Q5.seq, weights=d, kv=d)
    return step, throughput(step, decode_len=Q7.decode_len, chip=CHIP)


def _qps_rows(prefix: str, chips_for: dict[str, int]) -> list[Shown]:
    out: list[Shown] = []
    for d in DTYPES:
        n = chips_for[d.name]
        step, t = _fitting(d, n)
        out += [
            shown(f"{prefix}.{d.name}.slice", slice_name(CHIP.smallest_slice(n))),
            shown(f"{prefix}.{d.name}.chips", n),
            shown(f"{prefix}.{d.name}.batch", step.batch),
            _s(f"{prefix}.{d.name}.step", step.step_time_s),
            _s(f"{prefix}.{d.name}.param_time", step.param_time_s),
            _s(f"{prefix}.{d.name}.kv_time", step.kv_time_s),
            _s(f"{prefix}.{d.name}.flops_time", step.flops_time_s),
            shown(f"{prefix}.{d.name}.bound", "计算受限" if step.bound == "compute" else "带宽受限"),
            shown(f"{prefix}.{d.name}.qps", t.queries_per_s_per_chip, sig=2),
        ]
    return out


def q7_values() -> list[Shown]:
    return [
        shown("q7.decode_len", Q7.decode_len),
        *_qps_rows("q7", {d.name: min_slice_chips(d) for d in DTYPES}),
    ]


def q8_values() -> list[Shown]:
    out = _qps_rows("q8", {d.name: 2 * min_slice_chips(d) for d in DTYPES})
    for d in DTYPES:
        before = _fitting(d, min_slice_chips(d))[1].queries_per_s_per_chip
        after = _fitting(d, 2 * min_slice_chips(d))[1].queries_per_s_per_chip
        out += [
            shown(f"q8.{d.name}.bcrit", critical_batch(CHIP, weights=d)),
            shown(f"q8.{d.name}.gain", after / before, sig=2),
        ]
    return out


def q9_values() -> list[Shown]:
    y_c = tp_limit_compute_bound(MODEL, CHIP, n_axes=Q9.n_axes, compute=BF16)
    y_b = tp_limit_bandwidth_bound(MODEL, CHIP, batch=Q9.batch, weights=Q9.weights, n_axes=Q9.n_axes)
    t = mlp_matmul_times(MODEL, CHIP, tp=Q9.tp, batch=Q9.batch, weights=Q9.weights, n_axes=Q9.n_axes)
    ok = max(n for n in (slice_chips(s) for s in CHIP.slices) if n <= y_c)
    return [
        shown("q9.slice", slice_name(CHIP.smallest_slice(Q9.tp))),
        shown("q9.tp", Q9.tp),
        shown("q9.F", MODEL.F, sig=6),
        shown("q9.n_axes", Q9.n_axes),
        shown("q9.c_over_w", CHIP.bf16_flops / CHIP.ici_bw),
        shown("q9.ici_bw", CHIP.ici_bw, "B/s"),
        shown("q9.y_compute", y_c),
        shown("q9.y_ok", ok),
        shown("q9.y_ok_slice", slice_name(CHIP.smallest_slice(ok))),
        shown("q9.batch", Q9.batch),
        shown("q9.hbm_over_ici", CHIP.hbm_bw / CHIP.ici_bw),
        shown("q9.y_bandwidth", y_b),
        shown("q9.weight_bytes", Q9.weights.bytes),
        shown("q9.act_bytes", BF16.bytes),
        shown(
            "q9.y_bandwidth_int8",
            tp_limit_bandwidth_bound(MODEL, CHIP, batch=Q9.batch, weights=INT8, n_axes=Q9.n_axes),
        ),
        _s("q9.t_ici", t.t_ici_s, sig=2),
        _s("q9.t_hbm", t.t_hbm_s, sig=2),
        _s("q9.t_math", t.t_math_s, sig=2),
        shown("q9.bottleneck", {"ici": "ICI", "hbm": "HBM 带宽", "math": "算力"}[t.bottleneck]),
    ]


def q10_latency() -> float:
    return prefill_latency(MODEL, CHIP, chips=Q10.chips, tokens=Q10.tokens, mfu=Q10.mfu)


def q10_values() -> list[Shown]:
    return [
        shown("q10.tokens", Q10.tokens, sig=6),
        shown("q10.chips", Q10.chips),
        shown("q10.slice", slice_name(CHIP.smallest_slice(Q10.chips))),
        shown("q10.flops", prefill_flops(MODEL, tokens=Q10.tokens), "FLOPs"),
        shown("q10.mfu_pct", Q10.mfu * 100),
        shown("q10.mfu", Q10.mfu),
        _s("q10.latency", q10_latency()),
    ]


def q11_values() -> list[Shown]:
    per_step = completions_per_step(batch=Q11.batch, decode_len=Q11.decode_len)
    return [
        shown("q11.prefill_len", Q11.prefill_len, sig=6),
        shown("q11.decode_len", Q11.decode_len, sig=6),
        shown("q11.batch", Q11.batch),
        shown("q11.completions", per_step, sig=2),
        shown("q11.steps_per_completion", 1 / per_step),
        shown("q11.kv_len", Q11.prefill_len + Q11.decode_len, sig=6),
        shown(
            "q11.evicted",
            evicted_kv_tokens_per_step(
                batch=Q11.batch, prefill_len=Q11.prefill_len, decode_len=Q11.decode_len
            ),
        ),
    ]


def q12_values() -> list[Shown]:
    """Question 12: prefill servers as in Q10, generate servers as in Q3 (4x2, batch 32)."""
    step = _q3_step(Q3.chips[0]).step_time_s
    lat = q10_latency()
    ratio = prefill_servers_per_generate_server(
        prefill_latency_s=lat, step_time_s=step, batch=Q2.batch, decode_len=Q7.decode_len
    )
    return [
        _s("q12.prefill_latency", lat),
        shown("q12.prefill_chips", Q10.chips),
        _s("q12.step", step),
        shown("q12.gen_chips", Q3.chips[0]),
        shown("q12.gen_slice", slice_name(CHIP.smallest_slice(Q3.chips[0]))),
        shown("q12.batch", Q2.batch),
        shown("q12.decode_len", Q7.decode_len),
        _s("q12.generate_time", step * Q7.decode_len),
        shown("q12.prefill_rate", 1 / lat, "序列/秒"),
        shown("q12.generate_rate", Q2.batch / (step * Q7.decode_len), "序列/秒"),
        shown("q12.ratio", ratio, sig=2),
        shown("q12.chip_ratio", ratio * Q10.chips / Q3.chips[0], sig=2),
    ]


def values() -> dict[str, Shown]:
    """Every value the chapter pages cite by name."""
    return as_registry(
        model_values()
        + hardware_values()
        + q1_values()
        + q2_values()
        + q3_values()
        + q4_values()
        + q5_values()
        + q6_values()
        + q7_values()
        + q8_values()
        + q9_values()
        + q10_values()
        + q11_values()
        + q12_values()
    )
