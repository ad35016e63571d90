"""The exercises page: this site's solutions, checked against independent arithmetic and the built HTML."""

from __future__ import annotations

import html
import itertools
import math
import re
from pathlib import Path

import numpy as np
import pytest

from servingmath import InvalidInputError, decode_sweep, fmt, param_bytes, slice_chips
from servingmath.book.chapter import chapter_chip
from servingmath.book.exercises import (
    Ex1,
    Ex2,
    Ex3,
    best_batch,
    best_config,
    comms_time,
    ici_ok,
    latency_bounds,
    min_step_time,
    search,
    serving_memory,
    values,
)
from servingmath.models import LLAMA3_8B, LLAMA3_405B

CHIP = chapter_chip("book")  # the exercises page's default set


def page_text(site: Path, path: str) -> str:
    """Visible text of a built page: tags dropped, entities decoded, whitespace collapsed."""
    raw = (site / path / "index.html").read_text(encoding="utf-8")
    raw = re.sub(r"<(script|style)\b.*?</\1>", " ", raw, flags=re.S)
    return re.sub(r"\s+", " ", html.unescape(re.sub(r"<[^>]+>", " ", raw)))


# ── Exercise 1 ───────────────────────────────────────────────────────────


def test_ex1_flops_are_two_per_parameter() -> None:
    v = values("book")
    assert v["ex.1.flops_per_token"].value == 2 * 405e9
    assert v["ex.1.exact_flops_per_token"].value == 2 * LLAMA3_405B.exact_param_count


def test_ex1_single_chip_bounds() -> None:
    b = latency_bounds(LLAMA3_405B, CHIP, chips=1)
    assert b.flops_s == pytest.approx(2 * 405e9 / CHIP.bf16_flops)
    assert b.hbm_s == pytest.approx(405e9 * 2 / CHIP.hbm_bw)
    assert b.ici_s == 0.0
    assert b.binding == "hbm" and b.hbm_s > 100 * b.flops_s  # batch 1: loading weights dominates


def test_ex1_bounds_scale_with_chips_but_ici_does_not() -> None:
    rows = [latency_bounds(Ex1.model, CHIP, chips=n) for n in Ex1.chips if n > 1]
    for a, b in itertools.pairwise(rows):
        ratio = b.chips / a.chips
        assert a.flops_s / b.flops_s == pytest.approx(ratio)
        assert a.hbm_s / b.hbm_s == pytest.approx(ratio)
        # every multi-chip v5e slice here has 2 axes; an axis of 16 closes into a ring (twice the bandwidth)
        wraps = [all(CHIP.has_wraparound(x) for x in r.slice) for r in (a, b)]
        assert a.ici_s == pytest.approx(b.ici_s * (2 if wraps == [False, True] else 1))
    # L x 4 collectives x (2 bytes x B x D) / (the two axes' bandwidth: one way each, no wraparound)
    expected = LLAMA3_405B.L * 4 * 2 * 1 * LLAMA3_405B.D / (2 * CHIP.ici_bw / 2)
    assert not any(CHIP.has_wraparound(x) for x in rows[0].slice)
    assert rows[0].ici_s == pytest.approx(expected)


def test_ex1_bad_input_names_the_parameter() -> None:
    with pytest.raises(InvalidInputError, match="chips"):
        latency_bounds("llama3-405b", "tpu-v5e", chips=0)
    with pytest.raises(InvalidInputError, match="collectives_per_layer"):
        comms_time("llama3-405b", "tpu-v5e", chips=8, batch=1, collectives_per_layer=0)


# ── Exercise 2 ───────────────────────────────────────────────────────────


def test_ex2_bytes_from_first_principles() -> None:
    s = serving_memory(
        Ex2.model, CHIP, batch=Ex2.batch, seq=Ex2.seq, weights=Ex2.weights, kv=Ex2.kv,
        activations=Ex2.activations,
    )  # fmt: skip
    m = LLAMA3_8B
    assert s.param_bytes == 8e9
    assert s.kv_bytes == 2 * m.K * m.H * m.L * 1 * Ex2.batch * Ex2.seq
    assert s.activation_bytes == max(Ex2.batch * (m.D + 2 * m.F) * 2, Ex2.batch * m.V * 2)
    assert s.min_chips == math.ceil(s.total_bytes / CHIP.hbm_bytes)
    assert slice_chips(s.slice) >= s.min_chips > slice_chips(CHIP.smallest_slice(s.min_chips - 1)) - 1
    assert s.headroom_bytes > 0
    spec = serving_memory(
        Ex2.model, chapter_chip("spec"), batch=Ex2.batch, seq=Ex2.seq, weights=Ex2.weights, kv=Ex2.kv,
        activations=Ex2.activations,
    )  # fmt: skip
    assert 0 < spec.headroom_bytes < 1e9  # tight under the vendor's 16 GiB, as the page says
    assert spec.min_chips < s.min_chips  # the book's 16e9 B needs more chips


# ── Exercise 3 ───────────────────────────────────────────────────────────


@pytest.mark.parametrize("seq", Ex3.seqs)
def test_ex3_search_matches_a_vectorised_sweep(seq: int) -> None:
    """For every slice, the chosen batch is the best one the (independent) numpy sweep finds."""
    found = search(Ex3.model, CHIP, seq=seq, max_step_s=Ex3.max_step_s, weights=Ex3.weights, kv=Ex3.kv)
    need = math.ceil(param_bytes(Ex3.model, Ex3.weights) / CHIP.hbm_bytes)
    for shape, cand in zip(CHIP.slices, found, strict=True):
        n = slice_chips(shape)
        if n < need:
            assert cand is None
            continue
        sw = decode_sweep(Ex3.model, CHIP, chips=n, seq=seq, weights=Ex3.weights, kv=Ex3.kv)
        ok = sw.step_time_s <= Ex3.max_step_s
        if not ok.any():
            assert cand is None
            continue
        assert cand is not None
        tpsc = np.where(ok, sw.tokens_per_s_per_chip, 0.0)
        assert cand.tokens_per_s_per_chip == pytest.approx(float(tpsc.max()), rel=1e-9)
        assert cand.step.step_time_s <= Ex3.max_step_s
        assert cand.max_batch == int(sw.batch[-1])


def test_ex3_smallest_slice_cannot_meet_the_limit() -> None:
    v = values("book")
    assert v["ex.3.min_slice_param_time"].value > Ex3.max_step_s
    assert best_batch(
        Ex3.model, CHIP, shape=(4, 8), seq=8192, max_step_s=Ex3.max_step_s, weights="int8", kv="int8"
    ) is None  # fmt: skip


def test_ex3_best_config_and_its_ici_variant() -> None:
    best = best_config(search(Ex3.model, CHIP, seq=8192, max_step_s=0.015, weights="int8", kv="int8"))
    assert best is not None
    # the next batch on the same slice breaks the latency limit
    nxt = best_batch(Ex3.model, CHIP, shape=best.slice, seq=8192, max_step_s=0.015, weights="int8", kv="int8")
    assert nxt is not None and nxt.batch == best.batch
    ici = best_config(
        search(Ex3.model, CHIP, seq=8192, max_step_s=0.015, weights="int8", kv="int8", require_ici=True)
    )
    assert ici is not None and ici.ici_ok and ici.batch < best.batch
    assert not ici_ok(Ex3.model, CHIP, shape=ici.slice, batch=ici.batch + 1, weights="int8")
    assert not best.ici_ok  # the page says the unconstrained optimum violates the ICI test


def test_ex3_minimum_step() -> None:
    assert min_step_time(Ex3.model, CHIP, weights="int8") == pytest.approx(405e9 / (256 * CHIP.hbm_bw))


def test_ex3_rejects_a_non_positive_limit() -> None:
    with pytest.raises(InvalidInputError, match="max_step_s"):
        best_batch("llama3-405b", "tpu-v5e", shape=(8, 8), seq=8192, max_step_s=0, weights="int8", kv="int8")


def test_values_are_prefixed_and_formatted_by_fmt() -> None:
    v = values("book")
    assert all(k.startswith("ex.") for k in v)
    assert (v["ex.2.slice"].text, values("spec")["ex.2.slice"].text) == ("4x4", "4x2")
    assert v["ex.3.8192.best.step"].text == fmt(v["ex.3.8192.best.step"].value, "s", sig=4)


# ── The built page ───────────────────────────────────────────────────────


@pytest.mark.build
def test_exercises_page_shows_the_computed_numbers(built_site: Path) -> None:
    text = page_text(built_site, "chapter/exercises")
    raw = (built_site / "chapter/exercises/index.html").read_text(encoding="utf-8")
    assert raw.count('<details class="success"') == 3  # one collapsed solution per exercise
    assert "本站解答" in text and " open" not in raw.split('<details class="success"')[1][:40]
    for n in Ex1.chips:
        b = latency_bounds(Ex1.model, CHIP, chips=n)
        row = f"{n} {b.slice_name}"
        assert row in text, row
        for t in (b.flops_s, b.hbm_s, b.bound_s):
            assert fmt(t, "s") in text
    s = serving_memory(Ex2.model, CHIP, batch=Ex2.batch, seq=Ex2.seq, weights="int8", kv="int8")
    for shown in (
        fmt(s.param_bytes, "B"),
        fmt(s.kv_bytes, "B"),
        fmt(s.total_bytes, "B", sig=4),
        s.slice_name,
    ):
        assert shown in text, shown
    for seq in Ex3.seqs:
        for c in search(Ex3.model, CHIP, seq=seq, max_step_s=Ex3.max_step_s, weights="int8", kv="int8"):
            if c is not None:
                step, tpsc = fmt(c.step.step_time_s, "s", sig=4), fmt(c.tokens_per_s_per_chip)
                batches = f"{fmt(c.max_batch)}{fmt(c.batch)}"
                row = f"{c.slice_name}（{c.chips}）{batches}{step}{tpsc}".replace(" ", "")
                assert row in text.replace(" ", ""), row  # the best row is bold: tags split its cells
    v = values("book")
    for key in (
        "ex.3.8192.best.tps",
        "ex.3.8192.ici.step",
        "ex.3.min_step",
        "ex.3.tp_limit",
        "ex.2.headroom",
    ):
        assert v[key].text in text, key
    assert "{{" not in text
