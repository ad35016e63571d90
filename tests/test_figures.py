"""The figures' data: sweeps agree with the scalar functions, figures stay small and deterministic."""

from __future__ import annotations

import itertools
import json
import math
from pathlib import Path

import numpy as np
import pytest
from load_hook import load_hook

from servingmath import (
    DoesNotFitError,
    InvalidInputError,
    critical_batch,
    decode_step,
    fmt,
    max_batch,
    throughput,
)
from servingmath.book.chapter import MODEL, chapter_chip
from servingmath.book.figures import (
    PARETO_POINTS,
    PAYLOAD_LIMIT,
    VIS,
    breakdown_figure,
    embed,
    figure_json,
    pareto_chart,
    pareto_figure,
    payload_bytes,
    rounded,
    scenario_sweeps,
)
from servingmath.book.observations import values
from servingmath.book.reference import reference_sweep
from servingmath.sweep import decode_sweep

ROOT = Path(__file__).resolve().parents[1]
CASES = [(w, seq) for w in VIS.weight_options for seq in VIS.seqs]

CHIP = chapter_chip("book")  # the figures' default constant set


def _sweep(w, seq):
    return scenario_sweeps(w)[VIS.seqs.index(seq)]


@pytest.mark.parametrize(("w", "seq"), CASES, ids=lambda x: getattr(x, "name", x))
def test_sweep_matches_scalar_functions(w, seq) -> None:
    s = _sweep(w, seq)
    last = int(s.batch[-1])
    for b in sorted({1, (1 + last) // 2, last}):
        step = decode_step(
            MODEL, CHIP, chips=VIS.chips, batch=b, seq=seq, weights=w, kv=VIS.kv, compute=VIS.compute
        )
        i = b - 1
        assert s.batch[i] == b
        assert s.param_time_s[i] == pytest.approx(step.param_time_s, rel=1e-12)
        assert s.kv_time_s[i] == pytest.approx(step.kv_time_s, rel=1e-12)
        assert s.flops_time_s[i] == pytest.approx(step.flops_time_s, rel=1e-12)
        assert s.step_time_s[i] == pytest.approx(step.step_time_s, rel=1e-12)
        t = throughput(step, chip=CHIP)
        assert s.tokens_per_s_per_chip[i] == pytest.approx(t.tokens_per_s_per_chip, rel=1e-12)
        assert s.usd_per_million_tokens is not None
        assert s.usd_per_million_tokens[i] == pytest.approx(t.usd_per_million_tokens, rel=1e-12)
        assert bool(s.compute_bound[i]) == (step.bound == "compute")


@pytest.mark.parametrize(("w", "seq"), CASES, ids=lambda x: getattr(x, "name", x))
def test_largest_batch_fits_and_one_more_does_not(w, seq) -> None:
    last = int(_sweep(w, seq).batch[-1])
    assert last == max_batch(MODEL, CHIP, chips=VIS.chips, weights=w, kv=VIS.kv, seq=seq)
    kw = dict(chips=VIS.chips, seq=seq, weights=w, kv=VIS.kv, compute=VIS.compute)
    decode_step(MODEL, CHIP, batch=last, **kw)  # fits: no error
    with pytest.raises(DoesNotFitError):
        decode_step(MODEL, CHIP, batch=last + 1, **kw)


@pytest.mark.parametrize(("w", "seq"), CASES, ids=lambda x: getattr(x, "name", x))
def test_reference_loop_agrees_with_vectorised_sweep(w, seq) -> None:
    kw = dict(chips=VIS.chips, seq=seq, weights=w, kv=VIS.kv, compute=VIS.compute)
    ref = reference_sweep(MODEL, CHIP, **kw)
    vec = decode_sweep(MODEL, CHIP, **kw)
    assert np.array_equal(ref.batch, vec.batch)
    for name in ("param_time_s", "kv_time_s", "flops_time_s", "step_time_s", "tokens_per_s_per_chip"):
        np.testing.assert_allclose(getattr(ref, name), getattr(vec, name), rtol=1e-12, err_msg=name)


def test_reference_rejects_what_the_sweep_rejects() -> None:
    with pytest.raises(InvalidInputError):
        reference_sweep(MODEL, CHIP, chips=0, seq=8192, weights="int8", kv="int8")
    with pytest.raises(DoesNotFitError):  # weights alone overflow 4 chips in bf16
        reference_sweep(MODEL, CHIP, chips=4, seq=8192, weights="bf16", kv="int8")
    with pytest.raises(DoesNotFitError):
        reference_sweep(MODEL, CHIP, chips=5, seq=10**6, weights="int8", kv="int8")


@pytest.mark.parametrize("make", [pareto_figure, breakdown_figure])
def test_payload_is_small(make) -> None:
    fig = make()
    assert payload_bytes(fig) <= PAYLOAD_LIMIT
    assert len(fig.to_json()) <= PAYLOAD_LIMIT
    spec = json.loads(figure_json(fig))
    assert "template" not in spec["layout"]


@pytest.mark.parametrize("make", [pareto_figure, breakdown_figure])
def test_every_control_state_shows_one_set_of_curves(make) -> None:
    spec = json.loads(figure_json(make()))
    groups = spec["layout"]["meta"]["sm"]["groups"]
    assert len(groups) == len(spec["data"])
    controls = spec["layout"]["meta"]["sm"]["controls"]  # drawn as HTML by embed(), in group order
    assert [c["name"] for c in controls] == ["weights", "seq"]
    assert [len(c["options"]) for c in controls] == [len(VIS.weight_options), len(VIS.seqs)]
    assert "sliders" not in spec["layout"] and "updatemenus" not in spec["layout"]  # no SVG controls
    for wi in range(len(VIS.weight_options)):
        for si in range(len(VIS.seqs)):
            shown = [g for g in groups if g and g[0] == wi and g[1] in (si, None)]
            assert shown, (wi, si)
    default = [VIS.weight_options.index(VIS.weights), VIS.seqs.index(VIS.default_seq)]
    for trace, g in zip(spec["data"], groups, strict=True):
        assert trace["visible"] == (
            g is None or all(x is None or x == d for x, d in zip(g, default, strict=True))
        )


def test_pareto_curve_is_the_sweep_point_by_point() -> None:
    spec = json.loads(figure_json(pareto_figure()))
    groups = spec["layout"]["meta"]["sm"]["groups"]
    for (wi, w), (si, seq) in [((0, VIS.weight_options[0]), (0, VIS.seqs[0])), ((1, VIS.weights), (3, 8192))]:
        s = _sweep(w, seq)
        curve = next(t for t, g in zip(spec["data"], groups, strict=True) if g == [wi, si])
        batches = curve["customdata"]
        i = np.array(batches) - 1
        assert curve["x"] == rounded(s.step_time_s[i] * 1e3)  # every drawn point is the sweep's
        assert curve["y"] == rounded(s.tokens_per_s_per_chip[i])
        # From batch 1 to the largest, with the batch nearest B_crit; every batch on short curves,
        # else at least PARETO_POINTS of them, neighbours consecutive or under 5 % apart.
        bcrit = critical_batch(CHIP, weights=w, compute=VIS.compute)
        last = int(s.batch[-1])
        assert batches[0] == 1 and batches[-1] == last and (round(bcrit) in batches or round(bcrit) > last)
        assert batches == sorted(set(batches))
        if last <= PARETO_POINTS:
            assert batches == list(range(1, last + 1))
        else:
            assert len(batches) >= PARETO_POINTS
            assert all(b - a == 1 or b / a < 1.05 for a, b in itertools.pairwise(batches))


def test_cost_axis_mirrors_throughput_axis() -> None:
    layout = json.loads(figure_json(pareto_figure()))["layout"]
    assert CHIP.price_per_hour is not None
    k = math.log10(CHIP.price_per_hour / 3600 * 1e6)
    lo, hi = layout["yaxis"]["range"]
    assert layout["yaxis2"]["range"] == pytest.approx([k - lo, k - hi], abs=1e-5)


def test_embed_is_deterministic_and_safe() -> None:
    a = embed(pareto_chart(), "pareto")
    scenario_sweeps.cache_clear()
    b = embed(pareto_chart(), "pareto")
    assert a == b
    assert a.startswith('<figure class="sm-figure-box">')
    assert '<div class="sm-figure" id="fig-pareto" role="img"' in a
    page, files = load_hook("plotly_assets").extract_files(a)
    assert set(files) == {"fig-pareto.json", "fig-pareto.csv"}
    assert (
        "sm-figure-file" not in page and '<template class="sm-figure-data" data-src="fig-pareto.json"' in page
    )
    want = json.loads(figure_json(pareto_figure()))
    title = want["layout"].pop("title")["text"]
    want["layout"]["margin"]["t"] = 16
    assert json.loads(files["fig-pareto.json"]) == want  # the title moved into the HTML
    assert f'id="fig-pareto-title">{title}</p>' in page
    with pytest.raises(InvalidInputError, match="fig_id"):
        embed(pareto_figure(), "fig/../x")


def test_rounded_refuses_non_finite() -> None:
    with pytest.raises(InvalidInputError, match="finite"):
        rounded([1.0, float("nan")])


def test_observations_come_from_the_sweeps() -> None:
    v = values("book")
    assert all(k.startswith("fig.") for k in v)
    for seq in VIS.seqs:
        last = max_batch(MODEL, CHIP, chips=VIS.chips, weights=VIS.weights, kv=VIS.kv, seq=seq)
        assert v[f"fig.seq.{seq}.max_batch"].value == last
    # KV time over FLOPs time is independent of batch: the crossover is exact.
    cross = float(v["fig.kv_flops.seq"].value)
    kw = dict(chips=VIS.chips, batch=1, weights=VIS.weights, kv=VIS.kv, compute=VIS.compute)
    below = decode_step(MODEL, CHIP, seq=math.floor(cross), **kw)
    above = decode_step(MODEL, CHIP, seq=math.ceil(cross), **kw)
    assert below.kv_time_s < below.flops_time_s and above.kv_time_s > above.flops_time_s
    # "Latency doubles": the chosen batch is the last one within twice batch 1's step time.
    s = _sweep(VIS.weights, VIS.default_seq)
    b = int(v["fig.double.batch"].value)
    assert s.step_time_s[b - 1] <= 2 * s.step_time_s[0] < s.step_time_s[b]
    assert v["fig.bcrit"].text == fmt(critical_batch(CHIP, weights=VIS.weights, compute=VIS.compute))


def test_registry_serves_the_figure_values() -> None:
    from servingmath.book.registry import all_values

    assert "fig.double.cost_ratio" in all_values("book")


def test_plotly_hook_adds_plotly_js_as_a_generated_file() -> None:
    from mkdocs.config.defaults import MkDocsConfig
    from mkdocs.structure.files import Files

    hook = load_hook("plotly_assets")
    config = MkDocsConfig()
    config.load_dict({"site_name": "x", "docs_dir": str(ROOT / "docs"), "site_dir": "/tmp/unused"})
    config.validate()
    config.plugins._current_plugin = None  # set by MkDocs while it runs a hook
    files = hook.on_files(Files([]), config)
    f = files.get_file_from_path(hook.DEST)
    assert f is not None and Path(f.abs_src_path).stat().st_size > 1_000_000
    assert hook.DEST == "assets/javascripts/plotly-basic.min.js"
    head = Path(f.abs_src_path).read_text(encoding="utf-8")[:300]
    assert f"plotly.js (basic - minified) v{hook.pinned_version()}" in head  # the partial bundle, as pinned
    assert files is hook.on_files(files, config) and len(files) == 1  # idempotent
