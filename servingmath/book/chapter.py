"""The chapter's scenarios, and every value its pages show, computed.

Question statements, answers, tables and formulas on the chapter pages all take their
numbers from here (through ``{{ key }}`` placeholders) or from answer blocks that call the
same library functions with the same scenario constants.

>>> book, spec = values("book"), values("spec")
>>> book["q2.total_bytes"].text, book["q2.min_chips"].text, book["q3.step.8"].text
('113 GB', '8', '17.4 ms')
>>> spec["q2.min_chips"].text, spec["q3.step.8"].text
('7', '17.2 ms')
"""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass

from servingmath.book.shown import Shown, as_registry, shown
from servingmath.chips import (
    CONSTANT_LABELS,
    RING_AXIS_2D,
    Chip,
    check_constants,
    get_chip,
    slice_chips,
    slice_name,
)
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
from servingmath.units import fmt

MODEL: Model = LLAMA3_70B
CHIP_KEY = "tpu-v5e"
HARDWARE: tuple[str, ...] = ("h100", "tpu-v5p", "tpu-v5e")  # the chapter's hardware table
# The book's inference chapter: beta = W_hbm / W_ici "is usually around 8 for TPU v5e and TPU
# v6e"; question 9 uses this rounded figure in Y < F / (8 B).
BETA_STATED = 8
# The chapter states one constant twice with different values. ``book`` takes the book's
# hardware table (servingmath.chips); this is the chapter's other figure, used in question 6
# ("16GB / 8.2e11"), its reference code (8.20e11) and its B_crit of 240 / 120 (1.97e14 / 8.2e11).
# The errata check a printed number against it only to tell an inconsistency from a mistake.
BOOK_ALTERNATIVE_HBM_BW = 8.2e11
# The errata's agreement rule for numbers the chapter prints as approximate ("约", "~", "将近").
APPROX_TOLERANCE = 0.10


def chapter_chip(constants: str) -> Chip:
    """The chapter's chip (TPU v5e) under a constant set: ``"book"`` for the chapter's pages.

    >>> chapter_chip("book").hbm_bw, chapter_chip("spec").hbm_bw
    (810000000000.0, 819000000000.0)
    """
    return get_chip(CHIP_KEY, constants=check_constants(constants))


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


@dataclass(frozen=True)
class Q12:
    # The question's premise: "生成：19ms/step，批次 32". The English original says this is the
    # step of question 7's largest batch (43, on the 4x2), called 32; a premise, not a result.
    step_s = 0.019
    gen_chips = 8  # question 3's 4x2 generate server


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


def hardware_row(h: Chip) -> list[Shown]:
    """One row of the chapter's hardware table (keys ``hw.<chip>.*``)."""
    k = h.key.removeprefix("tpu-")
    return [
        shown(f"hw.{k}.flops", h.bf16_flops, "FLOP/s"),
        shown(f"hw.{k}.price", h.price_per_hour or 0.0, "$"),
        shown(f"hw.{k}.flops_per_usd", h.flops_per_dollar(), "FLOPs/$", sig=2),
    ]


def hardware_values(c: Chip) -> list[Shown]:
    out: list[Shown] = [shown("hw.constants", CONSTANT_LABELS[c.constants])]
    for key in HARDWARE:
        out += hardware_row(get_chip(key, constants=c.constants))
    out += [
        # as each set states it: "16GB" (16e9 B) in the book, 16 GiB physical in the spec
        shown("hw.v5e.hbm", c.hbm_bytes, "B", system="iec" if c.constants == "spec" else "si"),
        shown("hw.v5e.hbm_gb", c.hbm_bytes, "B"),
        # "16 GB" in the book; "16 GiB = 17.2 GB" in the spec
        shown(
            "hw.v5e.hbm_desc",
            fmt(c.hbm_bytes, "B")
            if c.constants != "spec"
            else f"{fmt(c.hbm_bytes, 'B', system='iec')}（= {fmt(c.hbm_bytes, 'B')}）",
        ),
        shown("hw.v5e.int8_over_bf16", c.int8_ops / c.bf16_flops),
        shown("hw.v5e.hbm_bw", c.hbm_bw, "B/s"),
        shown("hw.v5e.int8", c.int8_ops, "OP/s"),
    ]
    return out


def constant_set_values() -> list[Shown]:
    """Both constant sets side by side (``set.book.*``, ``set.spec.*``): the same under either set,
    for the tables that compare them."""
    out: list[Shown] = []
    for k in ("book", "spec"):
        c = chapter_chip(k)
        system = "iec" if k == "spec" else "si"
        out += [
            shown(f"set.{k}.label", CONSTANT_LABELS[k]),
            shown(f"set.{k}.v5e.hbm", c.hbm_bytes, "B", system=system),
            shown(f"set.{k}.v5e.hbm_bytes", c.hbm_bytes, "B"),
            shown(f"set.{k}.v5e.hbm_bw", c.hbm_bw, "B/s"),
            shown(f"set.{k}.v5e.flops", c.bf16_flops, "FLOP/s"),
            shown(f"set.{k}.v5e.int8", c.int8_ops, "OP/s"),
            shown(f"set.{k}.v5e.ici_bw", c.ici_bw, "B/s"),
            shown(f"set.{k}.v5e.ici_oneway", c.ici_bw / 2, "B/s"),
            shown(f"set.{k}.v5e.price", c.price_per_hour or 0.0, "$"),
        ]
    out.append(shown("set.alt.v5e.hbm_bw", BOOK_ALTERNATIVE_HBM_BW, "B/s"))
    out.append(shown("hw.ring_axis", RING_AXIS_2D))
    out.append(shown("set.approx_pct", APPROX_TOLERANCE * 100, "%"))
    return out


def q1_values(c: Chip) -> list[Shown]:
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
        shown("q1.chips_exact", (total + params) / c.hbm_bytes),
        shown("q1.min_chips", min_chips(total + params, c)),
    ]


def q2_values(c: Chip) -> list[Shown]:
    b = memory_budget(MODEL, c, weights=Q2.weights, kv=Q2.kv, batch=Q2.batch, seq=Q2.seq)
    big = c.smallest_slice(b.slice_chips + 1)
    exact = b.min_chips == b.slice_chips
    return [
        shown("q2.batch", Q2.batch),
        shown("q2.seq", Q2.seq, sig=6),
        shown("q2.dtype", Q2.weights.label),
        _b("q2.kv_bytes", b.kv_bytes),
        _kib("q2.kv_bytes_iec", b.kv_bytes),
        shown("q2.bytes_per_param", Q2.weights.bytes),
        _b("q2.param_bytes", b.param_bytes),
        _b("q2.total_bytes", b.total_bytes),
        shown("q2.chips_exact", b.total_bytes / c.hbm_bytes, sig=3),
        shown("q2.min_chips", b.min_chips),
        shown("q2.fit_text", f"{fmt(b.min_chips)} 张" + ("正好是一个拓扑" if exact else "凑不成一个拓扑")),
        shown("q2.slice", b.slice_name),
        shown("q2.slice_chips", b.slice_chips),
        shown("q2.slice_big", slice_name(big)),
        shown("q2.slice_big_chips", slice_chips(big)),
    ]


def _q3_step(c: Chip, chips: int) -> DecodeStep:
    return decode_step(
        MODEL, c, chips=chips, batch=Q2.batch, seq=Q2.seq, weights=Q2.weights, kv=Q2.kv,
        compute=Q3.compute,
    )  # fmt: skip


def q3_values(c: Chip) -> list[Shown]:
    bcrit = critical_batch(c, weights=Q2.weights, compute=Q3.compute)
    out = [
        shown("q3.compute", Q3.compute.label),
        shown("q3.bcrit", bcrit),
        shown("q3.bound", "带宽受限" if Q2.batch < bcrit else "计算受限"),
    ]
    for n in Q3.chips:
        step = _q3_step(c, n)
        t = throughput(step, decode_len=Q7.decode_len, chip=c)
        out += [
            shown(f"q3.chips.{n}", n),
            shown(f"q3.slice.{n}", slice_name(c.smallest_slice(n))),
            _s(f"q3.step.{n}", step.step_time_s),
            _s(f"q3.param_time.{n}", step.param_time_s),
            _s(f"q3.kv_time.{n}", step.kv_time_s),
            _s(f"q3.flops_time.{n}", step.flops_time_s),
            shown(f"q3.tps.{n}", t.tokens_per_s, "token/s", sig=4),
            shown(f"q3.tpsc.{n}", t.tokens_per_s_per_chip, "token/s/chip"),
        ]
    return out


def q4_values(c: Chip) -> list[Shown]:
    out = [
        shown("q4.c_over_w", c.bf16_flops / c.hbm_bw),
        shown("q4.c_over_w_int8", c.int8_ops / c.hbm_bw),
        *(shown(f"q4.bytes.{d.name}", d.bytes) for d in DTYPES),
    ]
    for w, x in ((BF16, BF16), (INT8, BF16), (INT8, INT8), (INT4, BF16)):
        out.append(shown(f"q4.bcrit.{w.name}.{x.name}", critical_batch(c, weights=w, compute=x)))
    return out


def q5_values(c: Chip) -> list[Shown]:
    out = [shown("q5.seq", Q5.seq, sig=6)]
    for d in DTYPES:
        p = param_bytes(MODEL, d)
        n = min_chips(p, c)
        sl = c.smallest_slice(n)
        chips = slice_chips(sl)
        out += [
            shown(f"q5.{d.name}.label", d.label),
            _b(f"q5.{d.name}.params", p),
            _kib(f"q5.{d.name}.kv_per_token", kv_bytes_per_token(MODEL, d)),
            _b(f"q5.{d.name}.kv_per_seq", kv_bytes_per_token(MODEL, d) * Q5.seq),
            shown(f"q5.{d.name}.chips_exact", p / c.hbm_bytes),
            shown(f"q5.{d.name}.min_chips", n),
            shown(f"q5.{d.name}.slice", slice_name(sl)),
            shown(f"q5.{d.name}.slice_chips", chips),
            _b(f"q5.{d.name}.hbm_left", hbm_left_for_kv(MODEL, c, chips=chips, weights=d)),
            shown(
                f"q5.{d.name}.max_batch",
                max_batch(MODEL, c, chips=chips, weights=d, kv=d, seq=Q5.seq),
            ),
        ]
    return out


def min_slice_chips(c: Chip, d: DType) -> int:
    """Chips in the smallest slice that holds the weights in dtype ``d`` (question 5)."""
    return slice_chips(c.smallest_slice(min_chips(param_bytes(MODEL, d), c)))


def q6_values(c: Chip) -> list[Shown]:
    full = c.hbm_bytes / c.hbm_bw
    int4_params = param_bytes(MODEL, INT4)
    int4_chips = min_slice_chips(c, INT4)
    out = [
        shown("q6.hbm", c.hbm_bytes, "B", system="iec" if c.constants == "spec" else "si"),
        _s("q6.full_step", full),
        shown("q6.decode_len", Q7.decode_len),
        _s("q6.request_time", full * Q7.decode_len),
        _b("q6.int4_params", int4_params),
        shown("q6.int4_chips", int4_chips),
        _s("q6.int4_param_time", int4_params / (int4_chips * c.hbm_bw)),
    ]
    for d in DTYPES:
        step = largest_fitting_step(MODEL, c, chips=min_slice_chips(c, d), seq=Q5.seq, weights=d, kv=d)
        out.append(_s(f"q6.{d.name}.step", step.step_time_s))
    return out


def _fitting(c: Chip, d: DType, chips: int) -> tuple[DecodeStep, Throughput]:
    """The decode step at the largest batch that fits ``chips`` chips in dtype ``d``, and its throughput."""
    step = largest_fitting_step(MODEL, c, chips=chips, seq=Q5.seq, weights=d, kv=d)
    return step, throughput(step, decode_len=Q7.decode_len, chip=c)


def _qps_rows(c: Chip, prefix: str, chips_for: dict[str, int]) -> list[Shown]:
    out: list[Shown] = []
    for d in DTYPES:
        n = chips_for[d.name]
        step, t = _fitting(c, d, n)
        out += [
            shown(f"{prefix}.{d.name}.slice", slice_name(c.smallest_slice(n))),
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


def q7_values(c: Chip) -> list[Shown]:
    return [
        shown("q7.decode_len", Q7.decode_len),
        *_qps_rows(c, "q7", {d.name: min_slice_chips(c, d) for d in DTYPES}),
    ]


def q8_values(c: Chip) -> list[Shown]:
    out = _qps_rows(c, "q8", {d.name: 2 * min_slice_chips(c, d) for d in DTYPES})
    for d in DTYPES:
        before = _fitting(c, d, min_slice_chips(c, d))[1].queries_per_s_per_chip
        after = _fitting(c, d, 2 * min_slice_chips(c, d))[1].queries_per_s_per_chip
        out += [
            shown(f"q8.{d.name}.bcrit", critical_batch(c, weights=d)),
            shown(f"q8.{d.name}.gain", after / before, sig=2),
        ]
    return out


def q9_values(c: Chip) -> list[Shown]:
    y_c = tp_limit_compute_bound(MODEL, c, n_axes=Q9.n_axes, compute=BF16)
    y_c_open = tp_limit_compute_bound(MODEL, c, n_axes=Q9.n_axes, compute=BF16, wraparound=False)
    y_b = tp_limit_bandwidth_bound(MODEL, c, batch=Q9.batch, weights=Q9.weights, n_axes=Q9.n_axes)
    y_b_open = tp_limit_bandwidth_bound(
        MODEL, c, batch=Q9.batch, weights=Q9.weights, n_axes=Q9.n_axes, wraparound=False
    )
    t = mlp_matmul_times(MODEL, c, tp=Q9.tp, batch=Q9.batch, weights=Q9.weights, n_axes=Q9.n_axes)
    ok = max(n for n in (slice_chips(s) for s in c.slices) if n <= y_c)
    mesh = c.smallest_slice(Q9.tp)
    return [
        shown("q9.beta_stated", BETA_STATED),
        shown("q9.y_beta_stated", MODEL.F / (BETA_STATED * Q9.batch)),
        shown("q9.y_compute_open", y_c_open),
        shown("q9.y_bandwidth_open", y_b_open),
        shown("q9.ici_oneway", c.ici_bw / 2, "B/s"),
        shown("q9.axes_bw", sum(c.ici_bw if w else c.ici_bw / 2 for w in c.slice_wraparound(mesh)), "B/s"),
        shown("q9.wraps", "有" if all(c.slice_wraparound(mesh)) else "没有"),
        shown("q9.act_bytes_total", BF16.bytes * Q9.batch * MODEL.D, "B"),
        shown("q9.slice", slice_name(c.smallest_slice(Q9.tp))),
        shown("q9.tp", Q9.tp),
        shown("q9.F", MODEL.F, sig=6),
        shown("q9.n_axes", Q9.n_axes),
        shown("q9.c_over_w", c.bf16_flops / c.ici_bw),
        shown("q9.ici_bw", c.ici_bw, "B/s"),
        shown("q9.y_compute", y_c),
        shown("q9.y_ok", ok),
        shown("q9.y_ok_slice", slice_name(c.smallest_slice(ok))),
        shown("q9.batch", Q9.batch),
        shown("q9.hbm_over_ici", c.hbm_bw / c.ici_bw),
        shown("q9.y_bandwidth", y_b),
        shown("q9.weight_bytes", Q9.weights.bytes),
        shown("q9.act_bytes", BF16.bytes),
        shown(
            "q9.y_bandwidth_int8",
            tp_limit_bandwidth_bound(MODEL, c, batch=Q9.batch, weights=INT8, n_axes=Q9.n_axes),
        ),
        _s("q9.t_ici", t.t_ici_s, sig=4),
        _s("q9.t_hbm", t.t_hbm_s, sig=3),
        _s("q9.t_math", t.t_math_s, sig=3),
        shown("q9.bottleneck", {"ici": "ICI", "hbm": "HBM 带宽", "math": "算力"}[t.bottleneck]),
    ]


def q10_latency(c: Chip) -> float:
    return prefill_latency(MODEL, c, chips=Q10.chips, tokens=Q10.tokens, mfu=Q10.mfu)


def q10_values(c: Chip) -> list[Shown]:
    return [
        shown("q10.tokens", Q10.tokens, sig=6),
        shown("q10.chips", Q10.chips),
        shown("q10.slice", slice_name(c.smallest_slice(Q10.chips))),
        shown("q10.flops", prefill_flops(MODEL, tokens=Q10.tokens), "FLOPs"),
        shown("q10.mfu_pct", Q10.mfu * 100),
        shown("q10.mfu", Q10.mfu),
        _s("q10.latency", q10_latency(c)),
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


def q12_values(c: Chip) -> list[Shown]:
    """Question 12: prefill servers as in Q10; generate servers with the question's premise
    step (19 ms, batch 32), and, as a note, with the batch-32 step servingmath computes (Q3)."""
    lat = q10_latency(c)
    ours = _q3_step(c, Q12.gen_chips).step_time_s

    def ratio(step: float) -> float:
        return prefill_servers_per_generate_server(
            prefill_latency_s=lat, step_time_s=step, batch=Q2.batch, decode_len=Q7.decode_len
        )

    premise = ratio(Q12.step_s)
    return [
        _s("q12.prefill_latency", lat),
        shown("q12.prefill_chips", Q10.chips),
        _s("q12.step", Q12.step_s),
        shown("q12.gen_chips", Q12.gen_chips),
        shown("q12.gen_slice", slice_name(c.smallest_slice(Q12.gen_chips))),
        shown("q12.batch", Q2.batch),
        shown("q12.decode_len", Q7.decode_len),
        _s("q12.generate_time", Q12.step_s * Q7.decode_len),
        shown("q12.prefill_rate", 1 / lat, "序列/秒"),
        shown("q12.generate_rate", Q2.batch / (Q12.step_s * Q7.decode_len), "序列/秒"),
        shown("q12.ratio", premise, sig=2),
        shown("q12.chip_ratio", premise * Q10.chips / Q12.gen_chips, sig=2),
        _s("q12.step_b32", ours),
        _s("q12.generate_time_b32", ours * Q7.decode_len),
        shown("q12.ratio_b32", ratio(ours), sig=2),
        shown("q12.chip_ratio_b32", ratio(ours) * Q10.chips / Q12.gen_chips, sig=2),
    ]


def alternative_chip() -> Chip:
    """The chapter's chip under ``book`` but with the chapter's other HBM bandwidth.

    >>> alternative_chip().hbm_bw
    820000000000.0
    """
    return dataclasses.replace(chapter_chip("book"), hbm_bw=BOOK_ALTERNATIVE_HBM_BW)


def values(constants: str) -> dict[str, Shown]:
    """Every value the chapter pages cite by name, under a constant set."""
    return values_for(chapter_chip(constants))


def values_for(c: Chip) -> dict[str, Shown]:
    """Every value the chapter pages cite by name, with ``c`` as the chapter's chip."""
    return as_registry(
        model_values()
        + constant_set_values()
        + hardware_values(c)
        + q1_values(c)
        + q2_values(c)
        + q3_values(c)
        + q4_values(c)
        + q5_values(c)
        + q6_values(c)
        + q7_values(c)
        + q8_values(c)
        + q9_values(c)
        + q10_values(c)
        + q11_values()
        + q12_values(c)
    )
