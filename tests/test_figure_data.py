"""A figure's text alternative, data table and CSV: computed from the same numbers the figure draws."""

from __future__ import annotations

import csv
import io
import json
import re
from pathlib import Path

import plotly.graph_objects as go
import pytest
from load_hook import load_hook
from mkdocs.exceptions import PluginError

from servingmath import InvalidInputError, fmt, num
from servingmath.book.chapter import chapter_chip
from servingmath.book.figures import (
    VIS,
    Chart,
    DataTable,
    breakdown_chart,
    chapter_charts,
    csv_text,
    embed,
    figure_json,
    generic_chart,
    pareto_chart,
    scenario_sweeps,
    table_html,
)
from servingmath.book.measured import figure as measured_figure
from servingmath.roofline import critical_batch

ROOT = Path(__file__).resolve().parents[1]


def _csv_rows(text: str) -> list[list[str]]:
    return list(csv.reader(io.StringIO(text)))


def _traces_by_state(chart: Chart) -> dict[tuple[int, int], list[dict]]:
    spec = json.loads(figure_json(chart.fig))
    groups = spec["layout"]["meta"]["sm"]["groups"]
    out: dict[tuple[int, int], list[dict]] = {}
    for t, g in zip(spec["data"], groups, strict=True):
        if g and None not in g:
            out.setdefault(tuple(g), []).append(t)
    return out


def test_pareto_csv_has_every_batch_and_the_points_the_figure_draws() -> None:
    chart = pareto_chart()
    rows = _csv_rows(csv_text(chart.table))
    assert rows[0] == list(chart.table.columns)
    body = rows[1:]
    for (wi, si), traces in _traces_by_state(chart).items():
        curve = next(t for t in traces if "customdata" in t)
        w, seq = VIS.weight_options[wi], VIS.seqs[si]
        mine = [
            r
            for r in body
            if r[0] == f"{w.label} 权重" and r[1] == chart.fig.layout.meta["sm"]["controls"][1]["options"][si]
        ]
        s = scenario_sweeps(w)[si]
        assert [int(r[2]) for r in mine] == s.batch.tolist(), (w.name, seq)  # every batch size
        by_batch = {int(r[2]): r for r in mine}
        drawn = [by_batch[b] for b in curve["customdata"]]  # the curve draws a subset of them
        assert [json.loads(r[3]) for r in drawn] == curve["x"]  # the same numbers, as the JSON writes them
        assert [json.loads(r[4]) for r in drawn] == curve["y"]
        assert s.usd_per_million_tokens is not None
        for r in mine[:: max(1, len(mine) // 5)]:
            assert float(r[5]) == pytest.approx(s.usd_per_million_tokens[int(r[2]) - 1], rel=1e-3)


def test_breakdown_csv_matches_every_curve() -> None:
    chart = breakdown_chart()
    body = _csv_rows(csv_text(chart.table))[1:]
    by_state: dict[tuple[int, int], list[list[str]]] = {}
    for r, st in zip(body, chart.table.states, strict=True):
        assert st is not None
        by_state.setdefault((st[0], st[1]), []).append(r)
    for state, traces in _traces_by_state(chart).items():
        rows = by_state[state]
        curves = [t for t in traces if t.get("fill") != "toself"]
        assert [t["name"] for t in curves] == ["加载参数", "加载 KV 缓存", "FLOPs", "每步总时间"]
        for k, t in enumerate(curves):
            assert [int(r[2]) for r in rows] == t["x"]
            assert [json.loads(r[3 + k]) for r in rows] == t["y"], (state, t["name"])


def test_html_table_samples_each_state_and_names_it() -> None:
    chart = pareto_chart()
    html = table_html(chart.table)
    states = re.findall(r'<tbody data-sm-state="(\d+),(\d+)">', html)
    assert len(states) == len(VIS.weight_options) * len(VIS.seqs)
    assert html.count("<tr>") <= len(states) * 12  # a sample per state; the CSV has every point
    w, si = VIS.weights, VIS.seqs.index(VIS.default_seq)
    s = scenario_sweeps(w)[si]
    wi = VIS.weight_options.index(w)
    body = html.split(f'<tbody data-sm-state="{wi},{si}">')[1].split("</tbody>")[0]
    assert "int8 权重 · 8k" in body
    cells = re.findall(r"<tr><td>([^<]+)</td><td>([^<]+)</td>", body)
    batches = [c[0] for c in cells]
    assert batches[0] == "1" and batches[-1] == num(int(s.batch[-1]))  # both ends of the curve
    assert (
        num(round(critical_batch(chapter_chip("book"), weights=w, compute=VIS.compute))) in batches
    )  # and B_crit


def test_alt_text_comes_from_the_sweep() -> None:
    s = scenario_sweeps(VIS.weights)[VIS.seqs.index(VIS.default_seq)]
    alt = pareto_chart().alt
    assert alt.startswith("折线图：")
    for text in (
        fmt(float(s.step_time_s[0]), "s"),
        fmt(float(s.step_time_s[-1]), "s"),
        num(float(s.tokens_per_s_per_chip[-1])),
        num(int(s.batch[-1])),
    ):
        assert text in alt, text
    alt = breakdown_chart().alt
    assert fmt(float(s.kv_time_s[-1]), "s") in alt and fmt(float(s.param_time_s[0]), "s") in alt


def test_generic_chart_reads_bars_and_curves() -> None:
    fig = measured_figure()
    chart = generic_chart(fig)
    assert chart.table.columns == ("类别", *(t.name for t in fig.data))
    assert [r[0] for r in chart.table.rows] == list(fig.data[0].x)
    assert [r[2] for r in chart.table.rows] == json.loads(figure_json(fig))["data"][1]["y"]
    assert chart.alt.startswith("柱状图：") and num(fig.data[1].y[0]) in chart.alt

    curve = go.Figure(layout={"template": {}, "yaxis": {"title": {"text": "token/s"}}})
    curve.add_scatter(x=list(range(1, 101)), y=[2.0 * i for i in range(1, 101)], name="甲")
    chart = generic_chart(curve)
    assert chart.table.columns == ("曲线", "x", "token/s") and len(chart.table.rows) == 100
    shown = [chart.table.rows[i] for i in chart.table.shown]
    assert shown[0] == ("甲", 1, 2.0) and shown[-1] == ("甲", 100, 200.0) and len(shown) <= 12
    assert "token/s 从 2 到 200" in chart.alt


def test_embed_with_two_constant_sets() -> None:
    html = embed({"book": breakdown_chart(), "spec": breakdown_chart(weights=("int4", "int8"))}, "two")
    page, files = load_hook("plotly_assets").extract_files(html)
    assert set(files) == {"fig-two-book.json", "fig-two-spec.json", "fig-two-book.csv", "fig-two-spec.csv"}
    assert re.findall(
        r'<template class="sm-figure-data" data-constants="(\w+)" data-src="([^"]+)"', page
    ) == [
        ("book", "fig-two-book.json"),
        ("spec", "fig-two-spec.json"),
    ]
    for key in ("book", "spec"):  # caption, table and download of each set shown only under that set
        part = page.split(f'<div class="sm-c" data-constants="{key}">')[1]
        assert part.index(f'id="fig-two-desc-{key}"') < part.index(f'href="fig-two-{key}.csv"')
    assert 'aria-describedby="fig-two-desc-book"' in page
    assert page.count('class="sm-figure-controls"') == 1  # the controls are shared
    with pytest.raises(InvalidInputError, match="constant sets"):
        embed({"paper": breakdown_chart()}, "x")


def test_embed_accepts_only_the_basic_bundles_traces() -> None:
    with pytest.raises(InvalidInputError, match="heatmap"):
        embed(go.Figure(go.Heatmap(z=[[1, 2]]), layout={"template": {}}), "heat")


def test_controls_are_labelled_html() -> None:
    html = embed(pareto_chart(), "p")
    controls = html.split('<div class="sm-figure-controls"')[1].split('<div class="sm-figure"')[0]
    assert "<legend>权重精度</legend>" in controls
    assert controls.count('type="radio" name="fig-p-weights"') == len(VIS.weight_options)
    assert (
        '<label for="fig-p-seq">序列长度</label><input type="range" id="fig-p-seq" min="0" max="5"'
        in controls
    )
    assert 'aria-valuetext="8k"' in controls and "<output" in controls


def test_data_table_rejects_ragged_rows() -> None:
    with pytest.raises(InvalidInputError, match="cells"):
        DataTable(("a", "b"), (("x",),))
    with pytest.raises(InvalidInputError, match="shown"):
        DataTable(("a",), (("x",),), shown=(3,))


def test_hook_refuses_bad_or_duplicate_file_names() -> None:
    hook = load_hook("plotly_assets")
    from servingmath.book.figures import file_comment

    with pytest.raises(PluginError, match="two figures"):
        hook.extract_files(file_comment("fig-a.csv", "1") + file_comment("fig-a.csv", "2"))
    with pytest.raises(PluginError, match="file name"):
        hook.extract_files(file_comment("../x.csv", "1"))


def test_hook_checks_the_bundle_version(tmp_path: Path) -> None:
    hook = load_hook("plotly_assets")
    pkg = tmp_path / "node_modules" / hook.PACKAGE
    pkg.mkdir(parents=True)
    lock = {"packages": {f"node_modules/{hook.PACKAGE}": {"version": "4.1.1"}}}
    (tmp_path / "package-lock.json").write_text(json.dumps(lock), encoding="utf-8")
    (pkg / hook.BUNDLE).write_text("/**\n* plotly.js (basic - minified) v4.0.0\n*/", encoding="utf-8")
    with pytest.raises(PluginError, match=r"pins 4\.1\.1"):
        hook.plotly_js_path(tmp_path)
    (pkg / hook.BUNDLE).write_text("/**\n* plotly.js (basic - minified) v4.1.1\n*/", encoding="utf-8")
    assert hook.plotly_js_path(tmp_path) == pkg / hook.BUNDLE
    (pkg / hook.BUNDLE).unlink()
    with pytest.raises(PluginError, match="make install"):
        hook.plotly_js_path(tmp_path)


def test_chapter_figures_carry_one_payload_per_constant_set() -> None:
    charts = chapter_charts(pareto_chart)
    assert list(charts) == ["book", "spec"]
    wi, si = VIS.weight_options.index(VIS.weights), VIS.seqs.index(VIS.default_seq)
    for key, chart in charts.items():
        s = scenario_sweeps(VIS.weights, VIS.seqs, key)[si]
        assert chart.alt.count(f"加到 {num(int(s.batch[-1]))}，") == 1, (
            key
        )  # each set describes its own sweep
        curve = _traces_by_state(chart)[(wi, si)][0]
        assert curve["customdata"][-1] == int(s.batch[-1])
    book, spec = (json.loads(figure_json(c.fig)) for c in charts.values())
    assert book["data"][0]["x"] != spec["data"][0]["x"]  # the sets differ, so the figure does
