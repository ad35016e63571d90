"""The chapter's interactive figures, built from the vectorised sweeps at build time.

LLaMA 3-70B on a TPU v5e 4x4 (int8 weights, int8 KV, bf16 FLOPs), as in the chapter's
section "延迟 vs 吞吐量：可视化", plus a weight-dtype switch the chapter does not have.
Every trace for every (weight dtype, sequence length) is precomputed; an HTML range input
(sequence length) and a radio group (weight dtype) only toggle visibility. Which traces belong
to which control state is recorded in ``layout.meta["sm"]``; the page loader
(``docs/assets/javascripts/figures.js``) reads it, so the two controls combine.

Each chart comes with a short Chinese description and a data table computed from the same
sweeps (:class:`Chart`); :func:`embed` writes the figure as a ``<figure>`` with its HTML
controls, a ``<div>`` plus its JSON (no inline script), the description, the table and a CSV
download (the CSV file itself is written next to the page by ``hooks/plotly_assets.py``).

>>> html = embed(pareto_chart(), "pareto")
>>> '<div class="sm-figure" id="fig-pareto"' in html
True
>>> payload_bytes(pareto_figure()) < PAYLOAD_LIMIT and payload_bytes(breakdown_figure()) < PAYLOAD_LIMIT
True
"""

from __future__ import annotations

import base64
import contextvars
import csv
import html as html_lib
import io
import json
import math
import re
import zlib
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from functools import lru_cache
from typing import TYPE_CHECKING, Any, TypeVar

import numpy as np

from servingmath.book.chapter import DTYPES, MODEL, chapter_chip
from servingmath.chips import Shape, slice_chips
from servingmath.dtypes import BF16, INT8, DType, get_dtype
from servingmath.errors import InvalidInputError
from servingmath.roofline import critical_batch
from servingmath.sweep import DecodeSweep, decode_sweeps
from servingmath.units import fmt, num

if TYPE_CHECKING:  # plotly is the optional "figures" extra; import it only to draw
    import plotly.graph_objects as go

PAYLOAD_LIMIT = 150_000  # bytes of JSON per figure
SIG = 4  # significant digits kept in figure data
# Points per pareto curve: on a log axis 160 points look continuous; the longest curve (about
# 1,200 batches) would otherwise be most of the page's first-view bytes.
PARETO_POINTS = 160
# Trace types in plotly.js's "basic" partial bundle, the only plotly.js the site ships
# (hooks/plotly_assets.py); embed() refuses any other type.
BASIC_TRACES = frozenset({"scatter", "bar", "pie"})
CONSTANT_SETS = ("book", "spec")  # the named constant sets a figure may carry one payload each for
TOP_MARGIN = 16  # px above the plot once its title has moved into the page's HTML
TABLE_ROWS = 8  # rows per curve (control state) in a figure's HTML data table; the CSV has every point


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


def _controls(weights: tuple[DType, ...], seqs: tuple[int, ...], active: list[int]) -> list[dict[str, Any]]:
    """The controls the page draws as HTML (a radio group and a range input), in group order.

    ``layout.meta.sm.groups[i][k]`` is the option of control ``k`` that trace ``i`` belongs to.
    """
    return [
        {
            "name": "weights",
            "label": "权重精度",
            "kind": "radio",
            "options": [f"{d.label} 权重" for d in weights],
            "active": active[0],
        },
        {
            "name": "seq",
            "label": "序列长度",
            "kind": "range",
            "options": [seq_label(s) for s in seqs],
            "active": active[1],
        },
    ]


def _layout(title: str, height: int) -> dict[str, Any]:
    """Common layout. The title moves into the page's HTML (:func:`embed`), and the page loader
    draws the legend as HTML under the plot (never over a curve, wrapping on narrow screens);
    the plot itself keeps the whole width."""
    return {
        "template": {},  # no plotly.py template in the payload; the page loader applies the theme
        "height": height,
        "margin": {"l": 64, "r": 72, "t": 16, "b": 48},
        "title": {"text": title},
        "hoverlabel": {"namelength": -1},
        "showlegend": True,
    }


def _state(weights: tuple[DType, ...], seqs: tuple[int, ...]) -> list[int]:
    """The default control state: the chapter's weight dtype and sequence length when offered."""
    wi = weights.index(VIS.weights) if VIS.weights in weights else 0
    si = seqs.index(VIS.default_seq) if VIS.default_seq in seqs else 0
    return [wi, si]


def _finish(
    traces: list[dict[str, Any]],
    groups: list[list[int | None] | None],
    layout: dict[str, Any],
    weights: tuple[DType, ...],
    seqs: tuple[int, ...],
) -> go.Figure:
    import plotly.graph_objects as go

    state = _state(weights, seqs)
    for trace, g in zip(traces, groups, strict=True):
        trace["visible"] = g is None or all(x is None or x == s for x, s in zip(g, state, strict=True))
    layout["meta"] = {"sm": {"controls": _controls(weights, seqs, state), "groups": groups}}
    return go.Figure(data=traces, layout=layout, skip_invalid=False)


def _check_options(weights: tuple[DType | str, ...], seqs: tuple[int, ...]) -> tuple[DType, ...]:
    ws = tuple(get_dtype(w) for w in weights)
    if not ws or not seqs:
        raise InvalidInputError("weights", "weights and seqs must each list at least one option")
    if len(set(ws)) != len(ws) or len(set(seqs)) != len(seqs):
        raise InvalidInputError("weights", "weights and seqs must not repeat an option")
    return ws


def pareto_samples(n: int, bcrit: float) -> np.ndarray:
    """The batch indices a pareto curve draws: every batch up to :data:`PARETO_POINTS`, else that
    many spread on the log axis (neighbours under 5 % apart on the longest curve), both ends and
    the batch nearest ``B_crit`` kept. The CSV download has every batch.

    >>> len(pareto_samples(152, 120.3)), 160 <= len(pareto_samples(1221, 120.3)) < 170
    (152, True)
    """
    if n <= PARETO_POINTS:
        return np.arange(n)
    count = PARETO_POINTS  # rounding merges the first geometric steps: ask for more until enough remain
    while len(idx := log_samples(n, count=count, extra=(round(bcrit),))) < PARETO_POINTS:
        if count >= n:
            return np.arange(n)
        count += 8
    return idx


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
    >>> sum(t.visible for t in fig.data), len(fig.layout.meta["sm"]["controls"][1]["options"])
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
            idx = pareto_samples(len(s.batch), bcrit)
            traces.append(
                {
                    "type": "scatter",
                    "mode": "lines+markers",
                    "name": f"{w.label} 权重 · {seq_label(s.seq)} 上下文",
                    "x": rounded(lat[idx]),
                    "y": rounded(tps[idx]),
                    "customdata": s.batch[idx].tolist(),
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

Cell = str | int | float
T = TypeVar("T")


def quiet(fn: Callable[[], T]) -> T:
    """Run ``fn`` outside the page's number ledger (``servingmath.book.ledger``).

    A figure's description and data table show the figure's own data, which the figure tests
    check against the sweeps; recording each of their cells would put hundreds of table cells
    into ``numbers.json`` next to the prose numbers the drift guard is for.
    """
    return contextvars.Context().run(fn)


@dataclass(frozen=True)
class DataTable:
    """The data behind a figure: every point it draws (the CSV) and a sample of them (the HTML table).

    ``rows[i][:len(state_columns)]`` name the control state of row ``i`` (``states[i]`` holds its
    option indices, the same as ``layout.meta.sm.groups``); the other cells are the data, numbers
    exactly as the figure's JSON carries them. ``shown`` lists the rows the HTML table has.
    """

    columns: tuple[str, ...]
    rows: tuple[tuple[Cell, ...], ...]
    states: tuple[tuple[int, ...] | None, ...] = ()
    state_columns: int = 0
    shown: tuple[int, ...] = ()

    def __post_init__(self) -> None:
        if any(len(r) != len(self.columns) for r in self.rows):
            raise InvalidInputError("rows", f"every row must have {len(self.columns)} cells")
        if self.states and len(self.states) != len(self.rows):
            raise InvalidInputError("states", "states must list one control state per row")
        if any(not 0 <= i < len(self.rows) for i in self.shown):
            raise InvalidInputError("shown", f"shown rows must be indices in 0..{len(self.rows) - 1}")


@dataclass(frozen=True)
class Chart:
    """A figure with its text alternative (Chinese, computed from the same data) and data table."""

    fig: go.Figure
    alt: str
    table: DataTable


def csv_text(table: DataTable) -> str:
    r"""The table as CSV (header row, then every row); numbers written as the figure JSON writes them.

    >>> print(csv_text(DataTable(("批次", "ms"), ((1, 0.5), (2, 1.25)))), end="")
    批次,ms
    1,0.5
    2,1.25
    """
    out = io.StringIO()
    w = csv.writer(out, lineterminator="\n")
    w.writerow(table.columns)
    w.writerows([_json_number(c) for c in row] for row in table.rows)
    return out.getvalue()


def _json_number(cell: Cell) -> str:
    """``json.dumps(cell)`` (a string stays as it is), without building an encoder per cell: a
    finite float or an int is spelled by its ``repr``, as the JSON encoder spells it.

    >>> [_json_number(c) for c in ("a", 3, 0.1, 1e-07, float("inf"))]
    ['a', '3', '0.1', '1e-07', 'Infinity']
    """
    if isinstance(cell, str):
        return cell
    if type(cell) is int or (type(cell) is float and math.isfinite(cell)):
        return repr(cell)
    return json.dumps(cell)


FILE_COMMENT = "sm-figure-file"
HTML_COMMENT = "sm-figure-html"


def _pack(text: str) -> str:
    return base64.b64encode(zlib.compress(text.encode("utf-8"), 9)).decode("ascii")


def html_comment(html: str) -> str:
    """``html`` packed in an HTML comment that ``hooks/plotly_assets.py`` unpacks in place once
    the page is rendered: after the search index and the number ledger have read the page.

    Used for a figure's data table: hundreds of cells that the figure tests check against the
    sweeps, kept out of the search index and out of ``numbers.json`` (which lists the numbers
    the prose and answers show, not a figure's data).

    >>> html_comment("<b>1</b>")
    '<!-- sm-figure-html eNqzSbIztNFPsgMACX4CGQ== -->'
    """
    return f"<!-- {HTML_COMMENT} {_pack(html)} -->"


def file_comment(name: str, text: str) -> str:
    r"""``text`` for the file ``name`` (next to the page), zlib-compressed and base64-encoded in
    an HTML comment.

    A comment, not an element: the build's page passes (search index, number ledger) skip it,
    and ``hooks/plotly_assets.py`` removes it after writing the file.

    >>> file_comment("fig-a.csv", "a,b\n")
    '<!-- sm-figure-file fig-a.csv eNpL1EniAgAC2gD6 -->'
    """
    return f"<!-- {FILE_COMMENT} {name} {_pack(text)} -->"


def _cell(value: Cell) -> str:
    if isinstance(value, str):
        return html_lib.escape(value)
    return num(value, sig=3) if abs(value) < 1e15 else html_lib.escape(str(value))


def _state_key(state: Sequence[int | None] | None) -> str:
    return "" if state is None else ",".join("" if x is None else str(x) for x in state)


def table_html(table: DataTable) -> str:
    r"""The sampled rows as an HTML table, one ``<tbody>`` per control state.

    Each ``<tbody data-sm-state="0,3">`` starts with a row naming its state; the page loader
    hides the ones the controls do not select (without JavaScript all are shown).

    >>> t = DataTable(("权重", "批次", "ms"), (("int8", 1, 0.5), ("int8", 2, 1.25)), ((0,), (0,)), 1, (0, 1))
    >>> print(table_html(t).replace("<tbody", "\n<tbody").replace("</tr><tr>", "</tr>\n<tr>"))
    <table><thead><tr><th scope="col">批次</th><th scope="col">ms</th></tr></thead>
    <tbody data-sm-state="0"><tr class="sm-figure-state"><th colspan="2" scope="rowgroup">int8</th></tr>
    <tr><td>1</td><td>0.5</td></tr>
    <tr><td>2</td><td>1.25</td></tr></tbody></table>
    """

    def work() -> str:
        k = table.state_columns
        data_cols = table.columns[k:]
        head = "".join(f'<th scope="col">{html_lib.escape(c)}</th>' for c in data_cols)
        bodies: dict[str, list[str]] = {}
        labels: dict[str, str] = {}
        for i in table.shown:
            row = table.rows[i]
            key = _state_key(table.states[i]) if table.states else ""
            labels.setdefault(key, " · ".join(str(c) for c in row[:k]))
            cells = "".join(f"<td>{_cell(c)}</td>" for c in row[k:])
            bodies.setdefault(key, []).append(f"<tr>{cells}</tr>")
        parts = [f"<table><thead><tr>{head}</tr></thead>"]
        for key, rows in bodies.items():
            attr = f' data-sm-state="{key}"' if table.states else ""
            state_row = (
                f'<tr class="sm-figure-state"><th colspan="{len(data_cols)}" scope="rowgroup">'
                f"{html_lib.escape(labels[key])}</th></tr>"
                if k
                else ""
            )
            parts.append(f"<tbody{attr}>{state_row}{''.join(rows)}</tbody>")
        parts.append("</table>")
        return "".join(parts)

    return quiet(work)


def _sample(n: int, count: int, extra: tuple[int, ...] = ()) -> list[int]:
    """``count`` indices into ``n`` points spread on a log scale of ``index + 1``, ends and ``extra`` kept."""
    return [int(i) for i in log_samples(n, count=count, extra=tuple(e + 1 for e in extra if 0 <= e < n))]


def pareto_chart(
    weights: tuple[DType | str, ...] = VIS.weight_options,
    seqs: tuple[int, ...] = VIS.seqs,
    constants: str = "book",
) -> Chart:
    """:func:`pareto_figure` with its description and data (every point: batch, latency, throughput, cost).

    >>> c = pareto_chart()
    >>> c.table.columns[:3], len(c.table.rows) == sum(len(s.batch) for w in VIS.weight_options
    ...                                              for s in scenario_sweeps(w))
    (('权重精度', '序列长度', '批次'), True)
    """
    return quiet(lambda: _pareto_chart(weights, seqs, constants))


def _pareto_chart(weights: tuple[DType | str, ...], seqs: tuple[int, ...], constants: str) -> Chart:
    fig = pareto_figure(weights, seqs, constants)
    ws = _check_options(weights, seqs)

    def scenario_rows(w: DType, s: DecodeSweep, bcrit: float) -> tuple[list[tuple[Cell, ...]], list[int]]:
        assert s.usd_per_million_tokens is not None  # pareto_figure checked the price
        lat, tps, usd = (
            rounded(s.step_time_s * 1e3),
            rounded(s.tokens_per_s_per_chip),
            rounded(s.usd_per_million_tokens),
        )
        cells = [(b, lat[i], tps[i], usd[i]) for i, b in enumerate(s.batch.tolist())]
        return cells, _sample(len(lat), TABLE_ROWS, (round(bcrit) - 1,))

    columns = ("批次", "每步延迟（ms）", "吞吐量（token/s/chip）", "成本（$ / 百万 token）")
    table = _state_table(ws, seqs, constants, columns, scenario_rows)
    return Chart(fig, pareto_alt(ws, seqs, constants), table)


def _state_table(
    ws: tuple[DType, ...],
    seqs: tuple[int, ...],
    constants: str,
    columns: tuple[str, ...],
    scenario_rows: Callable[[DType, DecodeSweep, float], tuple[list[tuple[Cell, ...]], list[int]]],
) -> DataTable:
    """A chart's data table: for each control state (weights, sequence length), the rows
    ``scenario_rows(weights, sweep, B_crit)`` gives (data cells; indices of those the HTML table
    shows), each after the state's two label cells."""
    chip = chapter_chip(constants)
    rows: list[tuple[Cell, ...]] = []
    states: list[tuple[int, ...]] = []
    shown: list[int] = []
    for wi, w in enumerate(ws):
        bcrit = critical_batch(chip, weights=w, compute=VIS.compute)
        for si, s in enumerate(scenario_sweeps(w, seqs, constants)):
            cells, keep = scenario_rows(w, s, bcrit)
            shown += [len(rows) + i for i in keep]
            labels = (f"{w.label} 权重", seq_label(s.seq))
            rows += [(*labels, *c) for c in cells]
            states += [(wi, si)] * len(cells)
    return DataTable(("权重精度", "序列长度", *columns), tuple(rows), tuple(states), 2, tuple(shown))


def pareto_alt(weights: tuple[DType, ...], seqs: tuple[int, ...], constants: str = "book") -> str:
    """The pareto figure in two sentences, at its default control state."""
    wi, si = _state(weights, seqs)
    w, s = weights[wi], scenario_sweeps(weights[wi], seqs, constants)[si]
    chip = chapter_chip(constants)
    assert s.usd_per_million_tokens is not None

    def work() -> str:
        bcrit = critical_batch(chip, weights=w, compute=VIS.compute)
        return (
            f"折线图：{MODEL.name} 在 {chip.name}（{VIS.chips} 张芯片）上，每个点是一个批次大小。"
            f"{w.label} 权重、{seq_label(s.seq)} 上下文时，批次从 {num(int(s.batch[0]))} 加到 "
            f"{num(int(s.batch[-1]))}，每步延迟从 {fmt(float(s.step_time_s[0]), 's')} 升到 "
            f"{fmt(float(s.step_time_s[-1]), 's')}，每芯片吞吐量从 {num(float(s.tokens_per_s_per_chip[0]))} "
            f"升到 {num(float(s.tokens_per_s_per_chip[-1]))} token/s，在 B_crit ≈ {num(bcrit)} 之后趋平；"
            f"每百万 token 的成本从 {fmt(float(s.usd_per_million_tokens[0]), '$')} 降到 "
            f"{fmt(float(s.usd_per_million_tokens[-1]), '$')}。"
        )

    return quiet(work)


BREAKDOWN_PARTS = (
    ("加载参数", "param_time_s", BLUE, "solid"),
    ("加载 KV 缓存", "kv_time_s", ORANGE, "solid"),
    ("FLOPs", "flops_time_s", GREEN, "solid"),
    ("每步总时间", "step_time_s", PURPLE, "dot"),
)


def breakdown_chart(
    weights: tuple[DType | str, ...] = VIS.weight_options,
    seqs: tuple[int, ...] = VIS.seqs,
    constants: str = "book",
) -> Chart:
    """:func:`breakdown_figure` with its description and data (the batch sizes it draws, four times each).

    >>> c = breakdown_chart()
    >>> c.table.columns[2:]
    ('批次', '加载参数（ms）', '加载 KV 缓存（ms）', 'FLOPs（ms）', '每步总时间（ms）')
    """
    return quiet(lambda: _breakdown_chart(weights, seqs, constants))


def _breakdown_chart(weights: tuple[DType | str, ...], seqs: tuple[int, ...], constants: str) -> Chart:
    fig = breakdown_figure(weights, seqs, constants)
    ws = _check_options(weights, seqs)

    def scenario_rows(w: DType, s: DecodeSweep, bcrit: float) -> tuple[list[tuple[Cell, ...]], list[int]]:
        idx = _breakdown_samples(len(s.batch), bcrit)
        cols = [rounded(getattr(s, attr)[idx] * 1e3) for _, attr, _, _ in BREAKDOWN_PARTS]
        batches = s.batch[idx].tolist()
        keep = _sample(
            len(batches),
            TABLE_ROWS,
            (batches.index(math.ceil(bcrit)),) if math.ceil(bcrit) in batches else (),
        )
        return [(b, *(c[i] for c in cols)) for i, b in enumerate(batches)], keep

    columns = ("批次", *(f"{name}（ms）" for name, _, _, _ in BREAKDOWN_PARTS))
    table = _state_table(ws, seqs, constants, columns, scenario_rows)
    return Chart(fig, breakdown_alt(ws, seqs, constants), table)


def _breakdown_samples(n: int, bcrit: float) -> np.ndarray:
    """The batch indices :func:`breakdown_figure` draws: ~48 on a log axis, plus the two around B_crit."""
    return log_samples(n, extra=(math.floor(bcrit), math.ceil(bcrit)))


def breakdown_alt(weights: tuple[DType, ...], seqs: tuple[int, ...], constants: str = "book") -> str:
    """The breakdown figure in two sentences, at its default control state."""
    wi, si = _state(weights, seqs)
    w, s = weights[wi], scenario_sweeps(weights[wi], seqs, constants)[si]
    chip = chapter_chip(constants)

    def work() -> str:
        bcrit = critical_batch(chip, weights=w, compute=VIS.compute)

        def at(i: int) -> str:
            return "、".join(
                f"{name} {fmt(float(getattr(s, attr)[i]), 's')}" for name, attr, _, _ in BREAKDOWN_PARTS[:3]
            )

        return (
            f"折线图（对数坐标）：每个解码步的时间按来源拆开，随批次大小变化。"
            f"{w.label} 权重、{seq_label(s.seq)} 上下文时，批次 {num(int(s.batch[0]))}：{at(0)}；"
            f"最大批次 {num(int(s.batch[-1]))}：{at(-1)}，每步共 {fmt(float(s.step_time_s[-1]), 's')}。"
            f"阴影是 B > B_crit ≈ {num(bcrit)} 的计算受限区。"
        )

    return quiet(work)


def chapter_charts(make: Callable[..., Chart]) -> dict[str, Chart]:
    """One chart per constant set, for :func:`embed` (the page shows the reader's set).

    >>> sorted(chapter_charts(breakdown_chart))
    ['book', 'spec']
    """
    return {c: make(constants=c) for c in CONSTANT_SETS}


# ── Any figure: a description and a data table read from its traces ─────────────────────

_TAGS = re.compile(r"<[^>]+>")
_KINDS = {"scatter": "折线图", "bar": "柱状图", "pie": "饼图"}


def _text(value: Any) -> str:
    """Plotly's pseudo-HTML (``<br>``, ``<sub>``) as plain text."""
    return " ".join(_TAGS.sub("", str(value or "")).replace("<br>", " ").split()) if value else ""


def _plain_title(text: Any) -> tuple[str, str]:
    """(title, subtitle) from a plotly title: what follows the first ``<br>`` is the subtitle."""
    head, _, tail = str(text or "").partition("<br>")
    return _text(head), _text(tail)


def _axis_title(layout: Mapping[str, Any], axis: str) -> str:
    t = (layout.get(axis) or {}).get("title") or {}
    return _text(t.get("text") if isinstance(t, Mapping) else t)


def _data_traces(spec: Mapping[str, Any]) -> list[tuple[int, dict[str, Any]]]:
    """Traces that carry data: named, with x and y, in the legend, not a shaded area."""
    return [
        (i, t)
        for i, t in enumerate(spec["data"])
        if t.get("name")
        and t.get("x") is not None
        and t.get("y") is not None
        and t.get("showlegend", True) is not False
        and t.get("fill") != "toself"
    ]


def generic_chart(fig: go.Figure) -> Chart:
    """A description and a data table read from any figure's traces (the playground's, the measured page's).

    Bars that share their categories give one row per category and one column per bar trace;
    other traces give one row per point (``曲线``, x, y, and ``customdata`` when the trace names
    it in its hover template). The HTML table shows at most :data:`TABLE_ROWS` points per trace.

    >>> import plotly.graph_objects as go
    >>> f = go.Figure(layout={"title": {"text": "t"}, "xaxis": {"title": {"text": "x（ms）"}}})
    >>> _ = f.add_scatter(x=[1, 2], y=[3, 4], name="a", customdata=[8, 9], hovertemplate="批次 %{customdata}")
    >>> c = generic_chart(f)
    >>> c.table.columns, c.table.rows
    (('曲线', '批次', 'x（ms）', 'y'), (('a', 8, 1, 3), ('a', 9, 2, 4)))
    >>> c.alt
    '折线图：t。1 条曲线：a（x（ms）从 1 到 2，y 从 3 到 4）。'
    """
    spec = json.loads(figure_json(fig))
    layout = spec["layout"]
    traces = _data_traces(spec)
    groups = ((layout.get("meta") or {}).get("sm") or {}).get("groups")
    x_title = _axis_title(layout, "xaxis") or "x"
    y_title = _axis_title(layout, "yaxis") or "y"
    title, subtitle = _plain_title((layout.get("title") or {}).get("text"))
    kinds = sorted({_KINDS.get(t.get("type", "scatter"), "图表") for _, t in traces}) or ["图表"]
    rows: list[tuple[Cell, ...]] = []
    shown: list[int] = []
    states: list[tuple[int, ...] | None] = []
    bars = traces and all(t.get("type") == "bar" for _, t in traces)
    if bars and all(t["x"] == traces[0][1]["x"] for _, t in traces) and not groups:
        columns = (x_title if x_title != "x" else "类别", *(t["name"] for _, t in traces))
        for k, cat in enumerate(traces[0][1]["x"]):
            rows.append((cat, *(t["y"][k] for _, t in traces)))
        shown = list(range(len(rows)))
        states = []
    else:
        custom = [_custom_label(t) for _, t in traces]
        has_custom = any(custom)
        columns = ("曲线", *([next(c for c in custom if c)] if has_custom else []), x_title, y_title)
        for (i, t), label in zip(traces, custom, strict=True):
            start = len(rows)
            n = len(t["x"])
            shown += [
                start + j for j in sorted({round(v) for v in np.linspace(0, n - 1, min(n, TABLE_ROWS))})
            ]
            for j in range(n):
                extra = [t["customdata"][j] if label else ""] if has_custom else []
                rows.append((t["name"], *extra, t["x"][j], t["y"][j]))
                g = groups[i] if groups else None
                states.append(tuple(g) if g and None not in g else None)
        if not any(states):
            states = []
    table = DataTable(tuple(columns), tuple(rows), tuple(states), 0, tuple(shown))

    def describe() -> str:
        parts = []
        for _, t in traces:
            if t.get("type") == "bar":
                pts = "，".join(f"{_text(x)} {_cell(y)}" for x, y in zip(t["x"], t["y"], strict=True))
                parts.append(f"{t['name']}（{pts}）")
            else:
                xs, ys = t["x"], t["y"]
                parts.append(
                    f"{t['name']}（{x_title}从 {_cell(min(xs))} 到 {_cell(max(xs))}，"
                    f"{y_title} 从 {_cell(min(ys))} 到 {_cell(max(ys))}）"
                )
        what = "组数据" if bars else "条曲线"
        head = "、".join(kinds) + "：" + "，".join(x for x in (title, subtitle) if x)
        return f"{head}。{num(len(traces))} {what}：" + "；".join(parts) + "。"

    return Chart(fig, quiet(describe), table)


_CUSTOM = re.compile(r"([^\s<>%{}]+)\s*%\{customdata\}")


def _custom_label(trace: Mapping[str, Any]) -> str:
    """The word a hover template puts before ``%{customdata}`` (``批次 %{customdata}`` -> ``批次``)."""
    if trace.get("customdata") is None:
        return ""
    m = _CUSTOM.search(str(trace.get("hovertemplate") or ""))
    return m.group(1) if m else ""


# ── The page's HTML ──────────────────────────────────────────────────────────────────────


def _check_traces(fig: go.Figure) -> None:
    for t in fig.data:
        if t.type not in BASIC_TRACES:
            raise InvalidInputError(
                "fig", f"trace type {t.type!r} is not in the site's plotly.js bundle ({sorted(BASIC_TRACES)})"
            )


def _controls_html(controls: list[dict[str, Any]], dom_id: str) -> str:
    out = []
    for c in controls:
        name = f"{dom_id}-{c['name']}"
        label = html_lib.escape(c["label"])
        if c["kind"] == "radio":
            opts = "".join(
                f'<label><input type="radio" name="{name}" value="{i}"'
                f"{' checked' if i == c['active'] else ''}> {html_lib.escape(o)}</label>"
                for i, o in enumerate(c["options"])
            )
            out.append(
                f'<fieldset class="sm-figure-radios" data-sm-control="{c["name"]}"><legend>{label}</legend>'
                f"{opts}</fieldset>"
            )
        elif c["kind"] == "range":
            labels = html_lib.escape(json.dumps(c["options"], ensure_ascii=False))
            cur = html_lib.escape(c["options"][c["active"]])
            out.append(
                f'<div class="sm-figure-range" data-sm-control="{c["name"]}">'
                f'<label for="{name}">{label}</label>'
                f'<input type="range" id="{name}" min="0" max="{len(c["options"]) - 1}" step="1" '
                f'value="{c["active"]}" aria-valuetext="{cur}" data-sm-labels="{labels}">'
                f'<output for="{name}">{cur}</output></div>'
            )
        else:
            raise InvalidInputError("controls", f"unknown control kind {c['kind']!r}")
    return f'<div class="sm-figure-controls" data-search-exclude>{"".join(out)}</div>'


def _as_chart(item: go.Figure | Chart) -> Chart:
    return item if isinstance(item, Chart) else generic_chart(item)


def embed(chart: go.Figure | Chart | Mapping[str, go.Figure | Chart], fig_id: str) -> str:
    """HTML for a page: the figure, its controls, description, data table and CSV download.

    ``chart`` is a figure (description and table are then read from its traces), a
    :class:`Chart`, or one of those per constant set (``{"book": ..., "spec": ...}``): the figure
    then carries one data ``<template data-constants=...>`` per set, and the description, table
    and CSV link of each set sit in a ``div.sm-c[data-constants=...]`` (shown under that set).

    The plot is an empty ``div.sm-figure`` (``role="img"``, named by the title, described by
    the caption) with an inert ``<template data-src="fig-x.json">`` per payload: the JSON is a
    file next to the page, which the loader fetches with plotly.js only when the figure comes
    near the viewport (a figure below the fold costs the first view nothing, and a page with
    two constant sets carries neither payload inline). Not a ``<script>``: Material's instant
    navigation re-creates every script in the page content and runs it. The JSON and the CSV
    travel in HTML comments (:func:`file_comment`) that ``hooks/plotly_assets.py`` turns into
    files next to the page. The title is lifted out of the plot into the HTML (so no toolbar or
    legend can sit on it). The same input gives the same string on every build.

    >>> import plotly.graph_objects as go
    >>> html = embed(go.Figure(layout={"title": {"text": "a < b & c"}, "template": {}}), "demo")
    >>> html.count("</template>"), 'id="fig-demo-title">a &lt; b &amp; c</p>' in html
    (1, True)
    >>> embed(go.Figure(), "Bad Id")
    Traceback (most recent call last):
    ...
    servingmath.errors.InvalidInputError: fig_id must be lowercase letters, digits and dashes, got 'Bad Id'
    """
    if not FIG_ID.match(fig_id):
        raise InvalidInputError(
            "fig_id", f"fig_id must be lowercase letters, digits and dashes, got {fig_id!r}"
        )
    if isinstance(chart, Mapping):
        unknown = set(chart) - set(CONSTANT_SETS)
        if not chart or unknown:
            raise InvalidInputError(
                "chart", f"constant sets must be among {CONSTANT_SETS}, got {sorted(chart)}"
            )
        sets: list[tuple[str | None, Chart]] = [(k, _as_chart(chart[k])) for k in CONSTANT_SETS if k in chart]
    else:
        sets = [(None, _as_chart(chart))]
    dom_id = f"fig-{fig_id}"
    first = sets[0][1]
    for _, c in sets:
        _check_traces(c.fig)
    layout0 = first.fig.to_plotly_json()["layout"]
    title, subtitle = _plain_title((layout0.get("title") or {}).get("text"))
    controls = ((layout0.get("meta") or {}).get("sm") or {}).get("controls") or []
    height = first.fig.layout.height or 450

    templates, extras = [], []
    for key, c in sets:
        fig = c.fig
        spec = json.loads(figure_json(fig))
        if spec["layout"].pop("title", None) is not None:  # shown in HTML above the plot
            margin = spec["layout"].setdefault("margin", {})
            margin["t"] = min(margin.get("t", TOP_MARGIN), TOP_MARGIN)
        data = json.dumps(spec, ensure_ascii=False, separators=(",", ":"), allow_nan=False)
        attr = f' data-constants="{key}"' if key else ""
        suffix = f"-{key}" if key else ""
        json_name = f"{dom_id}{suffix}.json"
        templates.append(
            f'<template class="sm-figure-data"{attr} data-src="{json_name}" data-search-exclude>'
            f"{file_comment(json_name, data)}</template>"
        )
        csv_name = f"{dom_id}{suffix}.csv"
        csv_body = file_comment(csv_name, csv_text(c.table))
        region = html_lib.escape(f"{title or fig_id} 数据表")
        part = (
            f'<figcaption class="sm-figure-caption" id="{dom_id}-desc{suffix}">'
            f"{html_lib.escape(c.alt)}</figcaption>"
            f'<details class="sm-figure-table" data-search-exclude><summary>图中数据（表格）</summary>'
            f'<div class="sm-figure-scroll" tabindex="0" role="region" aria-label="{region}">'
            f"{html_comment(table_html(c.table))}</div></details>"
            f'<p class="sm-figure-download"><a href="{csv_name}" download>'
            f"下载全部数据（CSV，{num(len(c.table.rows))} 行）</a></p>"
            f"{csv_body}"
        )
        extras.append(f'<div class="sm-c" data-constants="{key}">{part}</div>' if key else part)
    sub = f'<span class="sm-figure-subtitle">{html_lib.escape(subtitle)}</span>' if subtitle else ""
    head = (
        f'<p class="sm-figure-title" id="{dom_id}-title">{html_lib.escape(title)}{sub}</p>' if title else ""
    )
    desc = f"{dom_id}-desc" + (f"-{sets[0][0]}" if sets[0][0] else "")
    label = f'aria-labelledby="{dom_id}-title"' if title else f'aria-label="{html_lib.escape(fig_id)}"'
    return (
        f'<figure class="sm-figure-box">{head}'
        f"{_controls_html(controls, dom_id) if controls else ''}"
        f'<div class="sm-figure" id="{dom_id}" role="img" {label} aria-describedby="{desc}" '
        f'style="min-height:{height}px">{"".join(templates)}</div>'
        f"{''.join(extras)}</figure>"
    )
