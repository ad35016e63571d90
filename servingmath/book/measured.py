"""Published serving throughputs next to the roofline bound servingmath computes for them.

Every measured figure lives in :data:`ROWS`, once, with the files it comes from. For each
row the bound is the roofline throughput of the same model, chips, parallelism, precision,
batch and lengths:

* per model replica (``tp`` chips), one decode step costs
  ``max(FLOPs time x (1 + P / G), weight-load time) + KV-read time`` (the library's
  :func:`~servingmath.roofline.decode_step`, with the prefill FLOPs of the ``B / G`` requests
  that finish per step added to the FLOPs term), where ``P`` is the mean prompt length, ``G``
  the mean number of generated tokens and the KV caches hold ``P + ceil(G / 2)`` tokens (the
  mean context while generating);
* the batch is the submission's configured batch per replica, or the largest batch whose KV
  caches fit beside the weights at that context, whichever is smaller;
* generated tokens/s = replicas x batch / step time.

The bound falls as ``P`` grows, so the **decode bound** (``P = 0``: prompts cost nothing) is
the best case over every prompt mix. The sources do not publish the mean prompt length, so
instead of a second fraction the page shows the **prompt limit**: the longest mean prompt for
which the bound with prefill still reaches the measurement.

A measurement above its decode bound means a wrong model or wrong assumptions, so
:func:`check_row` raises :class:`ExceedsBoundError` (and :func:`values` calls it for every row).

>>> r = ROWS[0]
>>> r.key, r.replicas, r.decode_len
('h200_offline', 8, 291)
>>> round(decode_bound(r).tokens_per_s), round(fraction(r), 3)
(105644, 0.296)
>>> prompt_limit(r)
648
"""

from __future__ import annotations

import dataclasses
import math
from dataclasses import dataclass
from typing import TYPE_CHECKING

from servingmath.book.shown import Shown, as_registry, shown
from servingmath.chips import H100, H200, TPU_V5E, Chip, get_chip
from servingmath.comm import all_reduce_time, decode_comm, tp_topology
from servingmath.dtypes import BF16, FP8, INT8, DType
from servingmath.errors import MAX_CHIPS, MAX_SEQ, InvalidInputError, check_count, check_positive
from servingmath.memory import max_batch
from servingmath.models import LLAMA2_70B, LLAMA3_8B, Model
from servingmath.prefill import prefill_flops
from servingmath.roofline import DecodeStep, critical_batch, decode_step
from servingmath.units import fmt

if TYPE_CHECKING:  # plotly is an optional dependency (the "figures" extra)
    import plotly.graph_objects as go


class ExceedsBoundError(InvalidInputError):
    """A measured throughput is above the roofline bound computed for it."""


@dataclass(frozen=True)
class Source:
    """One file a figure is read from."""

    label: str
    url: str


_MLPERF = "https://github.com/mlcommons/inference_results_v4.1/blob/a2f5d66d17e8f75c02fd74dfe810ecca6a046696/"
_MLPERF_REF = (
    "https://github.com/mlcommons/inference/blob/00bf834669d3e343cda9f9c50da453aa2c067973/"
    "language/llama2-70b/README.md"
)
_JETSTREAM = "https://github.com/AI-Hypercomputer/jetstream-pytorch/blob/"
_JETSTREAM_SUMMARY = _JETSTREAM + "84ac21330e97dcf805a16ef4af80d0632ab2c839/benchmarks/summary.md"
_JETSTREAM_LAYERS = _JETSTREAM + "2908a749b1dec315c95c7aca7ccd164c0537f925/jetstream_pt/layers.py"
JETSTREAM_SERVING = Source(
    "JetStream benchmarks/benchmark_serving.py（Output token throughput）",
    "https://github.com/AI-Hypercomputer/JetStream/blob/7805b5de158e49ff5713860ab7387e93bce7da4a/"
    "benchmarks/benchmark_serving.py",
)
_NV_H200 = "closed/NVIDIA/results/H200-SXM-141GBx8_TRT/llama2-70b-99/"
_GOOGLE_H100 = "closed/Google/results/DGX-H100_H100-SXM-80GBx8_TRT/llama2-70b-99/"
_SUMMARY = "performance/run_1/mlperf_log_summary.txt"


def _config(submitter: str, scenario: str) -> Source:
    path = f"closed/{submitter}/configs/llama2-70b/{scenario}/__init__.py"
    return Source(f"configs/llama2-70b/{scenario}", _MLPERF + path)


MLPERF_REFERENCE = Source("MLPerf 参考实现 llama2-70b README", _MLPERF_REF)
MLPERF_PRECISION = Source(
    "NVIDIA 提交的 llama2-70b 说明（--qformat fp8 --kv_cache_dtype fp8）",
    _MLPERF + "closed/NVIDIA/code/llama2-70b/tensorrt/README.md",
)
# Tokens per sample of the FP16 reference run (MLPerf reference README, "Accuracy Target").
MLPERF_REF_TOKENS_PER_SAMPLE = 294.45
MLPERF_PROMPT_CAP = 1024  # processorca.py --seqlen_limit=1024 (MLPerf reference README)
MLPERF_DECODE_CAP = 1024
MLPERF_SAMPLES = 24576  # processorca.py --num_total_samples=24576 (MLPerf reference README)
JETSTREAM_CAP = 1024  # "max input length" / "max output length" columns of summary.md


@dataclass(frozen=True)
class Row:
    """One published result and everything needed to bound it.

    ``tokens_per_s`` counts generated tokens for the whole system. ``samples_per_s`` (when
    reported) gives the mean generated length; otherwise ``decode_cap`` stands in for it.
    """

    key: str
    name: str
    benchmark: str
    model: Model
    chip: Chip
    chips: int  # all chips in the system
    tp: int  # chips per model replica (tensor parallelism)
    batch: int  # configured in-flight sequences per replica
    weights: DType
    kv: DType
    compute: DType
    tokens_per_s: float
    samples_per_s: float | None
    prompt_cap: int  # longest prompt the benchmark admits
    decode_cap: int  # most tokens it lets a request generate
    dataset: str
    notes: str
    sources: tuple[Source, ...]
    ttft_s: float | None = None  # Server scenario: mean time to first token
    tpot_s: float | None = None  # Server scenario: mean time per output token
    ttft_limit_s: float | None = None  # Server scenario: the TTFT the run had to meet
    tpot_limit_s: float | None = None  # Server scenario: the TPOT the run had to meet
    cache_len: int | None = None  # preallocated KV cache length, if the engine attends over all of it

    @property
    def replicas(self) -> int:
        """Independent model copies: ``chips / tp``."""
        n = check_count("chips", self.chips, maximum=MAX_CHIPS)
        t = check_count("tp", self.tp, maximum=n)
        if n % t:
            raise InvalidInputError("tp", f"tp must divide chips ({n}), got {t}")
        return n // t

    @property
    def decode_len(self) -> int:
        """Mean generated tokens per request: measured tokens/s over requests/s, else the cap."""
        if self.samples_per_s is None:
            return self.decode_cap
        ratio = check_positive("tokens_per_s", self.tokens_per_s) / check_positive(
            "samples_per_s", self.samples_per_s
        )
        return max(1, round(ratio))

    @property
    def decode_len_measured(self) -> bool:
        """Whether :attr:`decode_len` comes from the measurement (else it is the cap)."""
        return self.samples_per_s is not None


ROWS: tuple[Row, ...] = (
    Row(
        key="h200_offline",
        name="H200 ×8 · Offline",
        benchmark="MLPerf Inference v4.1 · Llama 2 70B (99%) · closed · Offline",
        model=LLAMA2_70B, chip=H200, chips=8, tp=1, batch=806,
        weights=FP8, kv=FP8, compute=FP8,
        tokens_per_s=31302.7, samples_per_s=107.477,
        prompt_cap=MLPERF_PROMPT_CAP, decode_cap=MLPERF_DECODE_CAP,
        dataset="OpenOrca（GPT-4 部分）",
        notes="NVIDIA 提交，TensorRT-LLM",
        sources=(
            Source("mlperf_log_summary.txt（Offline）", _MLPERF + _NV_H200 + "Offline/" + _SUMMARY),
            _config("NVIDIA", "Offline"),
            MLPERF_PRECISION,
        ),
    ),
    Row(
        key="h100_offline",
        name="H100 ×8 · Offline",
        benchmark="MLPerf Inference v4.1 · Llama 2 70B (99%) · closed · Offline",
        model=LLAMA2_70B, chip=H100, chips=8, tp=2, batch=896,
        weights=FP8, kv=FP8, compute=FP8,
        tokens_per_s=24133.7, samples_per_s=83.1875,
        prompt_cap=MLPERF_PROMPT_CAP, decode_cap=MLPERF_DECODE_CAP,
        dataset="OpenOrca（GPT-4 部分）",
        notes="Google 提交（DGX H100），沿用 NVIDIA 的 TensorRT-LLM 代码",
        sources=(
            Source("mlperf_log_summary.txt（Offline）", _MLPERF + _GOOGLE_H100 + "Offline/" + _SUMMARY),
            _config("Google", "Offline"),
            MLPERF_PRECISION,
        ),
    ),
    Row(
        key="h200_server",
        name="H200 ×8 · Server",
        benchmark="MLPerf Inference v4.1 · Llama 2 70B (99%) · closed · Server",
        model=LLAMA2_70B, chip=H200, chips=8, tp=1, batch=896,
        weights=FP8, kv=FP8, compute=FP8,
        tokens_per_s=29228.22, samples_per_s=100.35,
        prompt_cap=MLPERF_PROMPT_CAP, decode_cap=MLPERF_DECODE_CAP,
        dataset="OpenOrca（GPT-4 部分）",
        notes="NVIDIA 提交，TensorRT-LLM；须满足 TTFT 与 TPOT 的延迟约束",
        sources=(
            Source("mlperf_log_summary.txt（Server）", _MLPERF + _NV_H200 + "Server/" + _SUMMARY),
            _config("NVIDIA", "Server"),
            MLPERF_PRECISION,
        ),
        ttft_s=0.198269106,  # "Mean First Token latency (ns)"
        tpot_s=0.123263268,  # "Mean Time to Output Token (ns)"
        ttft_limit_s=2.0,  # "ttft_latency (ns): 2000000000"
        tpot_limit_s=0.2,  # "tpot_latency (ns): 200000000"
    ),
    Row(
        key="v5e_bf16",
        name="TPU v5e-8 · bf16",
        benchmark="JetStream (PyTorch) · Llama 3 8B · 2024-04-24",
        model=LLAMA3_8B, chip=TPU_V5E, chips=8, tp=8, batch=128,
        weights=BF16, kv=BF16, compute=BF16,
        tokens_per_s=8249, samples_per_s=None,
        prompt_cap=JETSTREAM_CAP, decode_cap=JETSTREAM_CAP,
        dataset="ShareGPT（benchmark_serving.py）",
        notes="JetStream + PyTorch/XLA；注意力每步覆盖整段预分配的 KV 缓存",
        sources=(
            Source("benchmarks/summary.md", _JETSTREAM_SUMMARY),
            Source("jetstream_pt/layers.py（Attention）", _JETSTREAM_LAYERS),
            JETSTREAM_SERVING,
        ),
        cache_len=2048,
    ),
    Row(
        key="v5e_int8",
        name="TPU v5e-8 · int8",
        benchmark="JetStream (PyTorch) · Llama 3 8B · 2024-04-24",
        model=LLAMA3_8B, chip=TPU_V5E, chips=8, tp=8, batch=256,
        weights=INT8, kv=INT8, compute=BF16,
        tokens_per_s=10873, samples_per_s=None,
        prompt_cap=JETSTREAM_CAP, decode_cap=JETSTREAM_CAP,
        dataset="ShareGPT（benchmark_serving.py）",
        notes="int8 只量化权重（矩阵乘仍按 bf16）和 KV 缓存；注意力每步覆盖整段 KV 缓存",
        sources=(
            Source("benchmarks/summary.md", _JETSTREAM_SUMMARY),
            Source("jetstream_pt/layers.py（WeightOnlyInt8Linear）", _JETSTREAM_LAYERS),
            JETSTREAM_SERVING,
        ),
        cache_len=2048,
    ),
)  # fmt: skip

ROW_BY_KEY: dict[str, Row] = {r.key: r for r in ROWS}


@dataclass(frozen=True)
class Bound:
    """The roofline of one row at one mean prompt length."""

    prompt_len: int
    seq: int  # tokens in each KV cache at the mean decode position
    batch: int  # per replica
    step: DecodeStep  # the decode-only step at that batch and context
    prefill_flops_time_s: float  # prefill FLOPs of the requests finishing per step, at peak
    replicas: int

    @property
    def step_time_s(self) -> float:
        """``max(decode + prefill FLOPs time, weight-load time) + KV-read time``."""
        flops = self.step.flops_time_s + self.prefill_flops_time_s
        return max(flops, self.step.param_time_s) + self.step.kv_time_s

    @property
    def tokens_per_s(self) -> float:
        """Generated tokens/s of the whole system."""
        return self.replicas * self.batch / self.step_time_s


def bound(row: Row, *, prompt_len: int = 0) -> Bound:
    """Roofline of ``row`` when prompts average ``prompt_len`` tokens (0: decode only).

    >>> b = bound(ROW_BY_KEY["v5e_bf16"])
    >>> b.seq, b.batch, round(b.step_time_s * 1e3, 2), round(b.tokens_per_s)
    (512, 128, 3.75, 34106)
    """
    p = check_count("prompt_len", prompt_len, minimum=0, maximum=MAX_SEQ)
    g = row.decode_len
    seq = p + math.ceil(g / 2)
    fits = max_batch(row.model, row.chip, chips=row.tp, weights=row.weights, kv=row.kv, seq=seq)
    b = min(row.batch, fits)
    step = decode_step(
        row.model, row.chip, chips=row.tp, batch=b, seq=seq,
        weights=row.weights, kv=row.kv, compute=row.compute,
    )  # fmt: skip
    # B / G requests finish per step; each needs 2 N P FLOPs of prefill = flops_time x P / G.
    return Bound(
        prompt_len=p,
        seq=seq,
        batch=b,
        step=step,
        prefill_flops_time_s=step.flops_time_s * p / g,
        replicas=row.replicas,
    )


def decode_bound(row: Row) -> Bound:
    """The best case over all prompt lengths: prompts cost nothing (``prompt_len = 0``)."""
    return bound(row, prompt_len=0)


def fraction(row: Row) -> float:
    """Measured generated tokens/s over the decode bound (raises if above 1).

    >>> from dataclasses import replace
    >>> fake = replace(ROW_BY_KEY["h200_offline"], tokens_per_s=2e5, samples_per_s=2e5 / 291)
    >>> fraction(fake)
    Traceback (most recent call last):
    ...
    servingmath.book.measured.ExceedsBoundError: H200 ×8 · Offline: measured 200,000 tokens/s is above ...
    """
    check_row(row)
    return row.tokens_per_s / decode_bound(row).tokens_per_s


def check_row(row: Row) -> None:
    """Raise :class:`ExceedsBoundError` if the measurement beats its decode bound, or if a
    Server row's mean TPOT is shorter than the roofline step at the implied concurrency."""
    measured = check_positive("tokens_per_s", row.tokens_per_s)
    limit = decode_bound(row).tokens_per_s
    if measured > limit:
        raise ExceedsBoundError(
            "tokens_per_s",
            f"{row.name}: measured {fmt(measured, 'tokens/s')} is above the roofline bound "
            f"{fmt(limit, 'tokens/s')}; the model or the row's assumptions are wrong",
        )
    if row.tpot_s is not None and tpot_bound(row).step_time_s > row.tpot_s:
        raise ExceedsBoundError(
            "tpot_s",
            f"{row.name}: measured TPOT {fmt(row.tpot_s, 's')} is below the roofline step "
            f"{fmt(tpot_bound(row).step_time_s, 's')}",
        )


def prompt_limit(row: Row) -> int:
    """The longest mean prompt (tokens, at most ``row.prompt_cap``) for which the bound with
    prefill still reaches the measurement. Equal to the cap: any admitted prompt mix fits.
    Needs a measured mean generated length (the prefill share per token is ``P / G``).

    >>> prompt_limit(ROW_BY_KEY["h100_offline"])
    866
    >>> prompt_limit(ROW_BY_KEY["v5e_bf16"])
    Traceback (most recent call last):
    ...
    servingmath.errors.InvalidInputError: TPU v5e-8 · bf16 reports no mean generated length ...
    """
    if not row.decode_len_measured:
        raise InvalidInputError(
            "samples_per_s",
            f"{row.name} reports no mean generated length (samples/s), so a prompt limit is undefined",
        )
    check_row(row)
    if bound(row, prompt_len=row.prompt_cap).tokens_per_s >= row.tokens_per_s:
        return row.prompt_cap
    lo, hi = 0, row.prompt_cap  # bound(lo) >= measured > bound(hi); the bound falls with P
    while hi - lo > 1:
        mid = (lo + hi) // 2
        if bound(row, prompt_len=mid).tokens_per_s >= row.tokens_per_s:
            lo = mid
        else:
            hi = mid
    return lo


def concurrency(row: Row) -> float:
    """In-flight sequences per replica implied by a Server row (Little's law):
    ``tokens/s x TPOT / replicas``.

    >>> round(concurrency(ROW_BY_KEY["h200_server"]))
    450
    """
    if row.tpot_s is None:
        raise InvalidInputError("tpot_s", f"{row.name} reports no TPOT")
    return row.tokens_per_s * check_positive("tpot_s", row.tpot_s) / row.replicas


def tpot_bound(row: Row) -> DecodeStep:
    """Roofline decode step (prompts free) at the concurrency a Server row implies."""
    b = max(1, round(concurrency(row)))
    return decode_step(
        row.model, row.chip, chips=row.tp, batch=b, seq=math.ceil(row.decode_len / 2),
        weights=row.weights, kv=row.kv, compute=row.compute,
    )  # fmt: skip


def comm_share(row: Row) -> tuple[float, float]:
    """The tensor-parallel all-reduces of one decode step at the decode bound's batch (under
    ``spec``: the chapter's model has none), and their share of the gap between the measured
    step (``replicas x batch / measured tokens/s``) and the bound's step.

    >>> comm_s, share = comm_share(ROW_BY_KEY["h100_offline"])
    >>> round(comm_s * 1e3, 2), round(share * 100)
    (2.93, 3)
    >>> comm_share(ROW_BY_KEY["h200_offline"])
    (0.0, 0.0)
    """
    b = decode_bound(row)
    comm_s = decode_comm(row.model.with_constants("spec"), get_chip(row.chip.key), chips=row.tp,
                         batch=b.batch, compute=row.compute).time_s  # fmt: skip
    measured_step = row.replicas * b.batch / check_positive("tokens_per_s", row.tokens_per_s)
    gap = measured_step - b.step_time_s
    return comm_s, (comm_s / gap if gap > 0 else 0.0)


def cache_step(row: Row) -> DecodeStep:
    """Decode step at the configured batch when attention reads the whole preallocated cache.

    >>> round(cache_step(ROW_BY_KEY["v5e_bf16"]).step_time_s * 1e3, 2)
    7.69
    """
    if row.cache_len is None:
        raise InvalidInputError("cache_len", f"{row.name} has no preallocated cache length")
    return decode_step(
        row.model, row.chip, chips=row.tp, batch=row.batch, seq=row.cache_len,
        weights=row.weights, kv=row.kv, compute=row.compute,
    )  # fmt: skip


def figure(rows: tuple[Row, ...] = ROWS) -> go.Figure:
    """Grouped bars per system: the decode bound and the measurement (generated tokens/s).

    >>> fig = figure()
    >>> tuple(t.name for t in fig.data), len(fig.data[0].x) == len(ROWS)
    (('屋顶线上限（只算解码）', '实测'), True)
    """
    import plotly.graph_objects as go

    from servingmath.book.figures import BLUE, GREY

    for r in rows:
        check_row(r)
    names = [r.name for r in rows]
    bounds = [decode_bound(r).tokens_per_s for r in rows]
    labels = [fmt(fraction(r) * 100, "%") for r in rows]
    fig = go.Figure(layout={"template": {}})
    fig.add_bar(
        name="屋顶线上限（只算解码）",
        x=names,
        y=bounds,
        marker_color=GREY,
        hovertext=[fmt(b, "tokens/s") for b in bounds],
        hoverinfo="x+name+text",
    )
    fig.add_bar(
        name="实测",
        x=names,
        y=[r.tokens_per_s for r in rows],
        marker_color=BLUE,
        text=labels,
        textposition="outside",
        hovertext=[
            f"{fmt(r.tokens_per_s, 'tokens/s')}（上限的 {p}）" for r, p in zip(rows, labels, strict=True)
        ],
        hoverinfo="x+name+text",
    )
    fig.update_layout(
        barmode="group",
        height=420,
        title={"text": "实测 vs 屋顶线上限（整个系统的生成 tokens/s）", "x": 0, "xanchor": "left"},
        yaxis={"title": {"text": "生成 tokens/s"}, "rangemode": "tozero"},
        legend={"orientation": "h", "x": 0, "y": -0.2, "yanchor": "top"},
        margin={"l": 64, "r": 24, "t": 60, "b": 40},
    )
    return fig


LIMITED_BY = {"compute": "算力", "memory": "带宽"}


def _pct(key: str, value: float) -> Shown:
    return shown(key, value * 100, "%")


def _optional(key: str, value: float | None, unit: str) -> list[Shown]:
    return [] if value is None else [shown(key, value, unit)]


def row_values(row: Row) -> list[Shown]:
    """The named values of one row (keys ``meas.<row key>.*``); raises if the row is inconsistent."""
    check_row(row)
    a = decode_bound(row)
    k = f"meas.{row.key}"
    out = [
        shown(f"{k}.name", row.name),
        shown(f"{k}.chips", row.chips),
        shown(f"{k}.tp", row.tp),
        shown(f"{k}.replicas", row.replicas),
        shown(f"{k}.batch", row.batch),
        shown(f"{k}.weights", row.weights.label),
        shown(f"{k}.kv", row.kv.label),
        shown(f"{k}.compute", row.compute.label),
        shown(f"{k}.measured", row.tokens_per_s, "tokens/s", sig=6),
        shown(f"{k}.decode_len", row.decode_len, sig=4),
        shown(f"{k}.bound", a.tokens_per_s, "tokens/s"),
        shown(f"{k}.bound_batch", a.batch),
        shown(f"{k}.bound_seq", a.seq),
        shown(f"{k}.bound_step", a.step_time_s, "s"),
        shown(f"{k}.limited_by", LIMITED_BY[a.step.bound]),
        shown(f"{k}.critical_batch", critical_batch(row.chip, weights=row.weights, compute=row.compute)),
        _pct(f"{k}.fraction", fraction(row)),
    ]
    if row.decode_len_measured and row.samples_per_s is not None:
        out += [
            shown(f"{k}.samples_per_s", row.samples_per_s, "samples/s", sig=6),
            shown(f"{k}.prompt_limit", prompt_limit(row), sig=4),
        ]
    if row.tp > 1:
        comm_s, share = comm_share(row)
        out += [shown(f"{k}.comm_step", comm_s, "s"), _pct(f"{k}.comm_gap_share", share)]
    if row.cache_len is not None:
        c = cache_step(row)
        out += [
            shown(f"{k}.cache_len", row.cache_len, sig=4),
            shown(f"{k}.cache_step", c.step_time_s, "s"),
            shown(f"{k}.cache_bound", row.replicas * row.batch / c.step_time_s, "tokens/s"),
            _pct(f"{k}.cache_fraction", row.tokens_per_s * c.step_time_s / (row.replicas * row.batch)),
        ]
    out += _optional(f"{k}.ttft", row.ttft_s, "s") + _optional(f"{k}.ttft_limit", row.ttft_limit_s, "s")
    out += _optional(f"{k}.tpot", row.tpot_s, "s") + _optional(f"{k}.tpot_limit", row.tpot_limit_s, "s")
    if row.tpot_s is not None:
        t = tpot_bound(row)
        out += [
            shown(f"{k}.concurrency", concurrency(row)),
            shown(f"{k}.tpot_roofline", t.step_time_s, "s"),
            shown(f"{k}.tpot_ratio", row.tpot_s / t.step_time_s, sig=2),
        ]
    return out


def rows_under(constants: str) -> tuple[Row, ...]:
    """:data:`ROWS` with each chip taken from a constant set (the bounds follow the set).

    >>> {r.chip.constants for r in rows_under("book")}
    {'book'}
    """
    return tuple(dataclasses.replace(r, chip=get_chip(r.chip.key, constants=constants)) for r in ROWS)


# ── Latency, not throughput: FasterTransformer, a 13B model on A100 (as cited by llm-analysis) ──
_LLM_ANALYSIS = "https://github.com/cli99/llm-analysis/blob/d841e40aec8c84b9e76ba9cfbce67418adb172bd/"
FT_SOURCES = (
    Source("kipply: Transformer Inference Arithmetic（Comparing against real benchmarks）",
           "https://kipp.ly/blog/transformer-inference-arithmetic/#comparing-against-real-benchmarks"),
    Source("llm-analysis examples/fastertransformer/README.md（引用上文的实测）",
           _LLM_ANALYSIS + "examples/fastertransformer/README.md"),
    Source("llm-analysis model_configs/test-13b.json（模型形状）",
           _LLM_ANALYSIS + "llm_analysis/model_configs/test-13b.json"),
)  # fmt: skip
# The 13B model of those benchmarks, with llm-analysis's shapes: GPT-style MLP (2 matrices,
# F = 4D), multi-head attention (K = N), tied embeddings, 2,048 positions.
FT_13B = Model(
    "ft-13b", "13B（FasterTransformer 基准）", L=40, D=5120, F=20480, N=40, K=40, H=128, V=50272,
    tied_embeddings=True, max_positions=2048, mlp_matrices=2,
    source=_LLM_ANALYSIS + "llm_analysis/model_configs/test-13b.json",
)  # fmt: skip
FT_CHIP = "a100-40gb"
FT_PROMPT = 512  # "512 context length"
FT_GENERATED = 10  # "10 generated tokens"
FT_BATCH = 1
FT_DTYPE = BF16  # fp16 in the benchmark: the same bytes and the same peak FLOP/s on A100


@dataclass(frozen=True)
class LatencyRow:
    """FasterTransformer's measured latencies on ``gpus`` A100 40GB (tensor parallelism)."""

    key: str
    gpus: int
    prefill_s: float
    decode_s: float  # per generated token
    total_s: float


FT_ROWS: tuple[LatencyRow, ...] = (
    LatencyRow("tp1", 1, prefill_s=63.17e-3, decode_s=22.0e-3, total_s=283.6e-3),
    LatencyRow("tp2", 2, prefill_s=45.45e-3, decode_s=13.5e-3, total_s=180.86e-3),
)


@dataclass(frozen=True)
class LatencyBound:
    """The roofline of one :class:`LatencyRow`: prefill, mean decode step, end to end."""

    prefill_s: float
    prefill_comm_s: float  # of prefill_s: the all-reduces of 2 L x (prompt x D) activations
    decode_s: float  # mean over the generated tokens
    decode_comm_s: float  # of decode_s

    @property
    def total_s(self) -> float:
        """Prefill plus every decode step."""
        return self.prefill_s + FT_GENERATED * self.decode_s


def ft_bound(row: LatencyRow, constants: str = "spec") -> LatencyBound:
    """Roofline latencies for a FasterTransformer row: prefill takes the longer of its FLOPs
    (causal attention included) and its weight reads, plus its all-reduces; each decode step
    is :func:`~servingmath.roofline.decode_step` at the context it sees (prompt + tokens so
    far). Under ``book`` no communication is counted (the chapter's model).

    >>> b = ft_bound(FT_ROWS[0])
    >>> round(b.prefill_s * 1e3, 1), round(b.decode_s * 1e3, 2), round(b.total_s * 1e3, 1)
    (42.5, 16.79, 210.4)
    >>> round(ft_bound(FT_ROWS[1]).decode_comm_s * 1e6)
    163
    """
    m = FT_13B.with_constants(constants)
    chip = get_chip(FT_CHIP, constants=constants)
    n = row.gpus
    steps = [
        decode_step(m, chip, chips=n, batch=FT_BATCH, seq=FT_PROMPT + i, weights=FT_DTYPE, kv=FT_DTYPE,
                    compute=FT_DTYPE)
        for i in range(FT_GENERATED)
    ]  # fmt: skip
    flops = prefill_flops(m, tokens=FT_PROMPT * FT_BATCH, attention=True)
    weights = m.streamed_param_count(batch=FT_BATCH) * FT_DTYPE.bytes
    comm = 0.0
    if not m.book and n > 1:
        activations = FT_PROMPT * FT_BATCH * m.D * FT_DTYPE.bytes
        comm = 2 * m.L * all_reduce_time(activations, tp_topology(chip, chips=n))
    compute = max(flops / (n * chip.flops(FT_DTYPE)), weights / (n * chip.hbm_bw))
    return LatencyBound(
        prefill_s=compute + comm,
        prefill_comm_s=comm,
        decode_s=sum(s.step_time_s for s in steps) / len(steps),
        decode_comm_s=sum(s.comm_time_s for s in steps) / len(steps),
    )


def ft_values(constants: str) -> list[Shown]:
    """Named values of the FasterTransformer comparison (keys ``meas.ft.*``): measured,
    roofline, and roofline / measured (the fraction of the roofline the run reached).

    >>> v = as_registry(ft_values("spec"))
    >>> v["meas.ft.tp1.decode_fraction"].text, v["meas.ft.tp2.prefill_fraction"].text
    ('76.3 %', '50.2 %')
    """
    out = [
        shown("meas.ft.prompt", FT_PROMPT),
        shown("meas.ft.generated", FT_GENERATED),
        shown("meas.ft.batch", FT_BATCH),
        shown("meas.ft.params", FT_13B.exact_param_count, "params", sig=4),
        shown("meas.ft.chip", get_chip(FT_CHIP, constants=constants).name),
    ]
    for r in FT_ROWS:
        b, k = ft_bound(r, constants), f"meas.ft.{r.key}"
        for what, measured, bound_s in (
            ("prefill", r.prefill_s, b.prefill_s),
            ("decode", r.decode_s, b.decode_s),
            ("total", r.total_s, b.total_s),
        ):
            if bound_s > measured:
                raise ExceedsBoundError(
                    what, f"FasterTransformer {r.key}: measured {what} is below its roofline"
                )
            out += [
                shown(f"{k}.{what}", measured, "s", sig=4),
                shown(f"{k}.{what}_bound", bound_s, "s"),
                _pct(f"{k}.{what}_fraction", bound_s / measured),
            ]
        spec = ft_bound(r, "spec")  # communication is counted under spec only
        out += [
            shown(f"{k}.gpus", r.gpus),
            shown(f"{k}.prefill_comm", spec.prefill_comm_s, "s"),
            shown(f"{k}.decode_comm", spec.decode_comm_s, "s"),
        ]
    return out


def values(constants: str) -> dict[str, Shown]:
    """Every value the measured page cites by name (keys ``meas.*``); checks every row.

    >>> v = values("spec")
    >>> v["meas.h200_offline.measured"].text, v["meas.h200_offline.fraction"].text
    ('31,302.7 tokens/s', '29.6 %')
    """
    out: list[Shown] = [
        shown("meas.ref_tokens_per_sample", MLPERF_REF_TOKENS_PER_SAMPLE, sig=5),
        shown("meas.mlperf_prompt_cap", MLPERF_PROMPT_CAP, sig=4),
        shown("meas.mlperf_decode_cap", MLPERF_DECODE_CAP, sig=4),
        shown("meas.mlperf_samples", MLPERF_SAMPLES, sig=5),
        shown("meas.jetstream_cap", JETSTREAM_CAP, sig=4),
    ]
    rows = rows_under(constants)
    for r in rows:
        out += row_values(r)
    best = max(rows, key=fraction)
    tightest = min((r for r in rows if r.decode_len_measured), key=prompt_limit)
    out += [
        shown("meas.best.name", best.name),
        _pct("meas.best.fraction", fraction(best)),
        shown("meas.tightest.name", tightest.name),
        shown("meas.tightest.prompt_limit", prompt_limit(tightest), sig=4),
        *ft_values(constants),
    ]
    return as_registry(out)
