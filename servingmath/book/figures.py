"""The chapter's interactive figures, built from the vectorised sweeps at build time.

LLaMA 3-70B on a TPU v5e 4x4 (int8 weights, int8 KV, bf16 FLOPs), as in the chapter's
section "延迟 vs 吞吐量：可视化", plus a weight-dtype switch the chapter does not have.
Every trace for every (weight dtype, sequence length) is precomputed; a slider (sequence
length) and buttons (weight dtype) only toggle visibility. Which traces belong to which
control state is recorded in ``layout.meta["sm"]``; the page loader
(``docs/assets/javascripts/figures.js``) reads it, so the two controls combine.

Pages embed a figure as a ``<div>`` plus its JSON (no inline script):

>>> html = embed(pareto_figure(), "pareto")
>>> html.startswith('<div class="sm-figure" id="fig-pareto"')
True
>>> payload_bytes(pareto_figure()) < PAYLOAD_LIMIT and payload_bytes(breakdown_figure()) < PAYLOAD_LIMIT
True
"""

from __future__ import annotations

import json
import math
import re
from dataclasses import dataclass
from functools import lru_cache
from typing import TYPE_CHECKING, Any

import numpy as np

from servingmath.book.chapter import DTYPES, MODEL, chapter_chip
from servingmath.chips import Shape, slice_chips
from servingmath.dtypes import BF16, INT8, DType, get_dtype
from servingmath.errors import InvalidInputError
from servingmath.roofline import critical_batch
from servingmath.sweep import DecodeSweep, decode_sweeps
from servingmath.units import num

if TYPE_CHECKING:  # plotly is the optional "figures" extra; import it only to draw
    import plotly.graph_objects as go

PAYLOAD_LIMIT = 150_000  # bytes of JSON per figure
SIG = 4  # significant digits kept in figure data


@dataclass(frozen=True)
class Vis:
    """The figures' scenario: the chapter's 4x4 example and the ranges its controls cover."""

    slice: Shape = (4, 4)
    kv: DType = INT8
    compute: DType = BF16
    weights: DType = INT8  # the chapter's choice; the buttons add the other DTYPES
    weight_options: tuple[DType, ...] = DTYPES
    seqs: tuple[int, ...] = tuple(1024 * 2**k for k in range(6))  # 1k .. 32k, the slider
    default_seq: int = 8192  # the chapter's reference code
    plateau_seq: int = 2048  # the chapter's "throughput plateaus near B_crit" remark

    @property
    def chips(self) -> int:
        return slice_chips(self.slice)


VIS = Vis()

# Colours readable on both the light and the dark page background.
BLUE, ORANGE, GREEN, PURPLE, RED, GREY = "#4e79a7", "#f28e2b", "#59a14f", "#b07aa1", "#e15759", "#8c8c8c"
SHADE = "rgba(225,87,89,0.13)"


def seq_label(seq: int) -> str:
    """Short label for a sequence length, as the slider shows it.

    >>> seq_label(8192), seq_label(1000)
    ('8k', '1,000')
    """
    return f"{num(seq / 1024)}k" if seq % 1024 == 0 else num(seq, sig=6)


@lru_cache(maxsize=16)
def scenario_sweeps(
    weights: DType | str = INT8, seqs: tuple[int, ...] = VIS.seqs, constants: str = "book"
) -> tuple[DecodeSweep, ...]:
    """One :func:`~servingmath.sweep.decode_sweep` per slider position, for one weight dtype,
    on the chapter's chip under a constant set.

    >>> [int(s.batch[-1]) for s in scenario_sweeps("int8")]
    [1108, 554, 277, 138, 69, 34]
    """
    return tuple(
        decode_sweeps(
            MODEL,
            chapter_chip(constants),
            chips=VIS.chips,
            seqs=list(seqs),
            weights=weights,
            kv=VIS.kv,
            compute=VIS.compute,
        )
    )


def rounded(values: Any, sig: int = SIG) -> list[float | int]:
    """Plain JSON-friendly numbers at ``sig`` significant digits (integers stay integers).

    >>> rounded(np.array([0.0123456, 1234.56, 3.0]))
    [0.01235, 1235, 3]
    """
    out: list[float | int] = []
    for v in np.asarray(values, dtype=float).tolist():
        if not math.isfinite(v):
            raise InvalidInputError("values", f"figure data must be finite, got {v!r}")
        r = float(f"{v:.{sig}g}")
        out.append(int(r) if r.is_integer() and abs(r) < 1e15 else r)
    return out


def log_samples(n: int, count: int = 48, extra: tuple[int, ...] = ()) -> np.ndarray:
    """Indices 0..n-1 spread evenly on a log scale of ``index + 1`` (batch), ends and ``extra`` kept.

    >>> log_samples(10, count=4).tolist()
    [0, 1, 4, 9]
    """
    batches = np.unique(np.round(np.geomspace(1, n, min(count, n))).astype(np.int64))
    keep = [b for b in extra if 1 <= b <= n]
    return np.unique(np.concatenate([batches, np.array(keep, dtype=np.int64)])) - 1


def log_ticks(lo: float, hi: float) -> list[float | int]:
    """Tick values 1-2-5 per decade between ``lo`` and ``hi`` (for log axes, full labels).

    >>> log_ticks(3, 120)
    [5, 10, 20, 50, 100]
    """
    out: list[float | int] = []
    for e in range(math.floor(math.log10(lo)), math.ceil(math.log10(hi)) + 1):
        out += [v for v in rounded([m * 10.0**e for m in (1, 2, 5)]) if lo <= v <= hi]
    return out


def _controls(n_weights: int, n_seqs: int, active_weights: int, active_seq: int) -> dict[str, Any]:
    """Slider (sequence length) and buttons (weight dtype); the loader combines their states."""
    slider = {
        "name": "seq",
        "active": active_seq,
        "currentvalue": {"prefix": "序列长度 ", "xanchor": "left"},
        "pad": {"t": 58, "b": 4},
        "len": 1.0,
        "x": 0,
        "steps": [{"label": seq_label(s), "method": "skip"} for s in VIS.seqs[:n_seqs]],
    }
    menu = {
        "name": "weights",
        "type": "buttons",
        "direction": "right",
        "active": active_weights,
        "showactive": True,
        "x": 1,
        "xanchor": "right",
        "y": 1.02,
        "yanchor": "bottom",
        "pad": {"r": 0, "t": 0},
        "bgcolor": "#c5cae9",
        "bordercolor": "#9fa8da",
        "font": {"color": "#1a237e", "size": 12},
        "buttons": [{"label": f"{d.label} 权重", "method": "skip"} for d in VIS.weight_options[:n_weights]],
    }
    return {"sliders": [slider], "updatemenus": [menu]}


def _layout(title: str, height: int) -> dict[str, Any]:
    return {
        "template": {},  # no plotly.py template in the payload; the page loader applies the theme
        "height": height,
        "margin": {"l": 64, "r": 72, "t": 84, "b": 40},
        "title": {"text": title, "x": 0, "xref": "paper", "y": 0.985, "yanchor": "top", "font": {"size": 15}},
        "legend": {"x": 0.99, "y": 0.02, "xanchor": "right", "yanchor": "bottom", "bgcolor": "rgba(0,0,0,0)"},
        "hoverlabel": {"namelength": -1},
        "showlegend": True,
    }


def _finish(
    traces: list[dict[str, Any]],
    groups: list[list[int | None] | None],
    layout: dict[str, Any],
    weights: tuple[DType, ...],
    seqs: tuple[int, ...],
) -> go.Figure:
    import plotly.graph_objects as go

    wi = weights.index(VIS.weights) if VIS.weights in weights else 0
    si = seqs.index(VIS.default_seq) if VIS.default_seq in seqs else 0
    state = [wi, si]
    for trace, g in zip(traces, groups, strict=True):
        trace["visible"] = g is None or all(x is None or x == s for x, s in zip(g, state, strict=True))
    layout |= _controls(len(weights), len(seqs), wi, si)
    layout["meta"] = {"sm": {"controls": ["weights", "seq"], "groups": groups}}
    return go.Figure(data=traces, layout=layout, skip_invalid=False)


def _check_options(weights: tuple[DType | str, ...], seqs: tuple[int, ...]) -> tuple[DType, ...]:
    ws = tuple(get_dtype(w) for w in weights)
    if not ws or not seqs:
        raise InvalidInputError("weights", "weights and seqs must each list at least one option")
    if len(set(ws)) != len(ws) or len(set(seqs)) != len(seqs):
        raise InvalidInputError("weights", "weights and seqs must not repeat an option")
    return ws


def pareto_figure(
    weights: tuple[DType | str, ...] = VIS.weight_options,
    seqs: tuple[int, ...] = VIS.seqs,
    constants: str = "book",
) -> go.Figure:
    """Latency per decode step (ms) vs throughput (tokens/s/chip), one point per batch size.

    The right axis reads the same curve as cost ($ per million tokens): cost is price over
    throughput, so on log axes it is a mirrored copy of the left axis. A dashed line marks
    the compute roof (FLOPs only), a diamond the batch nearest ``B_crit`` on each curve.

    >>> fig = pareto_figure()
    >>> sum(t.visible for t in fig.data), len(fig.layout.sliders[0].steps)
    (4, 6)
    """
    ws = _check_options(weights, seqs)
    chip = chapter_chip(constants)
    price = chip.price_per_hour
    if price is None:
        raise InvalidInputError("chip", f"{chip.name} has no price per chip-hour; the cost axis needs one")
    traces: list[dict[str, Any]] = []
    groups: list[list[int | None] | None] = []
    lat_min, lat_max, tps_min = math.inf, 0.0, math.inf
    roof = 0.0
    for wi, w in enumerate(ws):
        bcrit = critical_batch(chip, weights=w, compute=VIS.compute)
        for si, s in enumerate(scenario_sweeps(w, seqs, constants)):
            lat = s.step_time_s * 1e3
            tps = s.tokens_per_s_per_chip
            lat_min, lat_max = min(lat_min, float(lat[0])), max(lat_max, float(lat[-1]))
            tps_min = min(tps_min, float(tps[0]))
            roof = 1 / (float(s.flops_time_s[0]) * s.chips)  # FLOPs only: C / 2P per chip
            traces.append(
                {
                    "type": "scatter",
                    "mode": "lines+markers",
                    "name": f"{w.label} 权重 · {seq_label(s.seq)} 上下文",
                    "x": rounded(lat),
                    "y": rounded(tps),
                    "customdata": s.batch.tolist(),
                    "line": {"color": BLUE, "width": 2},
                    "marker": {"size": 4, "color": BLUE},
                    "hovertemplate": "批次 %{customdata}<br>每步 %{x} ms<br>%{y} token/s/chip<extra></extra>",
                }
            )
            groups.append([wi, si])
            b = round(bcrit)
            if 1 <= b <= int(s.batch[-1]):
                traces.append(
                    {
                        "type": "scatter",
                        "mode": "markers",
                        "name": f"B = B_crit ≈ {num(bcrit)}",
                        "x": rounded(lat[b - 1 : b]),
                        "y": rounded(tps[b - 1 : b]),
                        "marker": {"symbol": "diamond", "size": 12, "color": RED},
                        "hovertemplate": f"B_crit ≈ {num(bcrit)}<br>每步 %{{x}} ms<br>"
                        "%{y} token/s/chip<extra></extra>",
                    }
                )
                groups.append([wi, si])
    x_lo, x_max = lat_min / 1.15, lat_max * 1.15
    y_lo, y_hi = math.log10(tps_min / 1.4), math.log10(roof * 1.4)
    traces.append(
        {
            "type": "scatter",
            "mode": "lines",
            "name": f"算力屋顶（只算 FLOPs）{num(roof)} token/s/chip",
            "x": rounded([x_lo, x_max]),
            "y": rounded([roof, roof]),
            "line": {"color": RED, "width": 1.5, "dash": "dash"},
            "hoverinfo": "skip",
        }
    )
    groups.append(None)
    k = price / 3600 * 1e6  # $ per million tokens = k / (tokens/s/chip)
    traces.append(  # two invisible points at the cost axis' ends put that axis on the plot
        {
            "type": "scatter",
            "mode": "markers",
            "x": rounded([x_lo, x_lo]),
            "y": rounded([k / 10**y_lo, k / 10**y_hi]),
            "yaxis": "y2",
            "marker": {"opacity": 0},
            "showlegend": False,
            "hoverinfo": "skip",
        }
    )
    groups.append(None)
    layout = _layout("延迟、吞吐量与成本", 560)
    layout |= {
        "xaxis": {
            "title": {"text": "每个解码步的延迟（ms，对数坐标）"},
            "type": "log",
            "tickvals": log_ticks(x_lo, x_max),
            "range": rounded([math.log10(x_lo), math.log10(x_max)], 6),
        },
        "yaxis": {
            "title": {"text": "吞吐量（token/s/chip）"},
            "type": "log",
            "tickvals": log_ticks(10**y_lo, 10**y_hi),
            "range": rounded([y_lo, y_hi], 6),
        },
        "yaxis2": {
            "title": {"text": "成本（$ / 百万 token，越往上越便宜）"},
            "type": "log",
            "tickvals": (cost_ticks := log_ticks(k / 10**y_hi, k / 10**y_lo)),
            "ticktext": [f"${num(v)}" for v in cost_ticks],
            "overlaying": "y",
            "side": "right",
            "range": rounded([math.log10(k) - y_lo, math.log10(k) - y_hi], 6),
            "showgrid": False,
        },
        "hovermode": "closest",
    }
    return _finish(traces, groups, layout, ws, seqs)


def breakdown_figure(
    weights: tuple[DType | str, ...] = VIS.weight_options,
    seqs: tuple[int, ...] = VIS.seqs,
    constants: str = "book",
) -> go.Figure:
    """Parameter loading, KV loading and FLOPs time vs batch size, log-log, compute-bound region shaded.

    Each curve keeps about 48 batch sizes spread on the log axis (all three are straight lines
    there) plus the two around ``B_crit``; the step time is ``max(FLOPs, params) + KV``.

    >>> fig = breakdown_figure()
    >>> [t.name for t in fig.data if t.visible][:3]
    ['加载参数', '加载 KV 缓存', 'FLOPs']
    """
    ws = _check_options(weights, seqs)
    chip = chapter_chip(constants)
    traces: list[dict[str, Any]] = []
    groups: list[list[int | None] | None] = []
    y_min, y_max, b_max = math.inf, 0.0, 1
    parts = (
        ("加载参数", "param_time_s", BLUE, "solid"),
        ("加载 KV 缓存", "kv_time_s", ORANGE, "solid"),
        ("FLOPs", "flops_time_s", GREEN, "solid"),
        ("每步总时间", "step_time_s", PURPLE, "dot"),
    )
    for wi, w in enumerate(ws):
        bcrit = critical_batch(chip, weights=w, compute=VIS.compute)
        for si, s in enumerate(scenario_sweeps(w, seqs, constants)):
            idx = log_samples(len(s.batch), extra=(math.floor(bcrit), math.ceil(bcrit)))
            x = s.batch[idx].tolist()
            b_max = max(b_max, int(s.batch[-1]))
            for name, attr, color, dash in parts:
                y = getattr(s, attr)[idx] * 1e3
                y_min, y_max = min(y_min, float(y.min())), max(y_max, float(y.max()))
                traces.append(
                    {
                        "type": "scatter",
                        "mode": "lines",
                        "name": name,
                        "x": x,
                        "y": rounded(y),
                        "line": {"color": color, "width": 2.5 if dash == "solid" else 2, "dash": dash},
                        "hovertemplate": "%{y} ms",
                    }
                )
                groups.append([wi, si])
    y_lo, y_hi = y_min / 1.5, y_max * 1.5
    for wi, w in enumerate(ws):
        bcrit = critical_batch(chip, weights=w, compute=VIS.compute)
        x0, x1 = rounded([bcrit, b_max * 1.1])
        yl, yh = rounded([y_lo, y_hi])
        traces.append(
            {
                "type": "scatter",
                "mode": "lines",
                "name": f"计算受限区（B > B_crit ≈ {num(bcrit)}）",
                "x": [x0, x1, x1, x0, x0],
                "y": [yl, yl, yh, yh, yl],
                "fill": "toself",
                "fillcolor": SHADE,
                "line": {"width": 0},
                "hoverinfo": "skip",
            }
        )
        groups.append([wi, None])
    layout = _layout("每步时间的来源（对数坐标）", 540)
    layout |= {
        "xaxis": {
            "title": {"text": "批次大小"},
            "unifiedhovertitle": {"text": "批次 %{x}"},
            "type": "log",
            "tickvals": log_ticks(1, b_max * 1.1),
            "range": rounded([0, math.log10(b_max * 1.1)], 6),
        },
        "yaxis": {
            "title": {"text": "时间（ms）"},
            "type": "log",
            "tickvals": log_ticks(y_lo, y_hi),
            "range": rounded([math.log10(y_lo), math.log10(y_hi)], 6),
        },
        "hovermode": "x unified",
    }
    return _finish(traces, groups, layout, ws, seqs)


def figure_json(fig: go.Figure) -> str:
    """The figure as compact JSON (``data`` and ``layout``), the payload a page carries.

    >>> figure_json(pareto_figure()).startswith('{"data":[')
    True
    """
    spec = fig.to_plotly_json()
    layout = {k: v for k, v in spec["layout"].items() if k != "template"}  # plotly.js defaults suffice
    return json.dumps(
        {"data": spec["data"], "layout": layout},
        ensure_ascii=False,
        separators=(",", ":"),
        allow_nan=False,
        default=_plain,
    )


def _plain(value: Any) -> Any:
    if isinstance(value, np.ndarray):
        return value.tolist()
    if isinstance(value, np.generic):
        return value.item()
    raise TypeError(f"cannot put {type(value).__name__} into figure JSON")


def payload_bytes(fig: go.Figure) -> int:
    """UTF-8 size of :func:`figure_json`, the number :data:`PAYLOAD_LIMIT` bounds."""
    return len(figure_json(fig).encode("utf-8"))


FIG_ID = re.compile(r"^[a-z0-9]+(?:-[a-z0-9]+)*$")


def embed(fig: go.Figure, fig_id: str) -> str:
    """HTML for a page: an empty ``div.sm-figure`` holding its JSON in an inert ``<template>``.

    Not a ``<script type="application/json">``: Material's instant navigation re-creates every
    script in the page content without its ``type`` and runs it, so JSON there becomes a
    JavaScript syntax error. A template is never run nor rendered, and ``data-search-exclude``
    keeps the data out of the search index. ``<``, ``>`` and ``&`` are escaped inside the JSON
    (as ``\\u003c`` ...), so the data is plain text to the HTML parser and cannot close the tag.
    The same figure and id give the same string on every build.

    >>> import plotly.graph_objects as go
    >>> html = embed(go.Figure(layout={"title": {"text": "</template> & <b>"}, "template": {}}), "demo")
    >>> html.count("<"), html.count("&")
    (4, 0)
    >>> embed(go.Figure(), "Bad Id")
    Traceback (most recent call last):
    ...
    servingmath.errors.InvalidInputError: fig_id must be lowercase letters, digits and dashes, got 'Bad Id'
    """
    if not FIG_ID.match(fig_id):
        raise InvalidInputError(
            "fig_id", f"fig_id must be lowercase letters, digits and dashes, got {fig_id!r}"
        )
    data = figure_json(fig)
    for ch in "<>&":
        data = data.replace(ch, f"\\u{ord(ch):04x}")
    height = fig.layout.height or 450
    return (
        f'<div class="sm-figure" id="fig-{fig_id}" style="min-height:{height}px">'
        f'<template class="sm-figure-data" data-search-exclude>{data}</template></div>'
    )
