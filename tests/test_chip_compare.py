"""The chip comparison page ("换一块芯片会怎样"): rows checked from first principles and in the HTML."""

from __future__ import annotations

import math
import re
from pathlib import Path

import pytest
from test_exercises import page_text

from servingmath import decode_step, fmt, kv_cache_bytes, param_bytes
from servingmath.book.chip_compare import (
    CHIPS,
    DECODE_LEN,
    DTYPES,
    MODEL,
    NO_PRICE,
    SEQ,
    cheapest,
    interconnect_axes,
    price_text,
    serving_row,
    serving_rows,
    tp_row,
    usd_text,
    values,
    within_tp_limit,
)
from servingmath.sharding import tp_limit_compute_bound

ROWS = serving_rows()


@pytest.mark.parametrize("row", ROWS, ids=lambda r: f"{r.chip.key}-{r.dtype.name}")
def test_each_row_from_first_principles(row) -> None:
    c, d = row.chip, row.dtype
    weights = param_bytes(MODEL, d)
    assert row.min_chips == max(1, math.ceil(weights / c.hbm_bytes))
    assert row.chips >= row.min_chips
    hbm = row.chips * c.hbm_bytes
    per_seq = kv_cache_bytes(MODEL, d, batch=1, seq=SEQ)
    assert weights + row.max_batch * per_seq <= hbm < weights + (row.max_batch + 1) * per_seq
    step = decode_step(MODEL, c, chips=row.chips, batch=row.max_batch, seq=SEQ, weights=d, kv=d)
    assert row.step_time_s == step.step_time_s
    assert row.tokens_per_s_per_chip == pytest.approx(row.max_batch / step.step_time_s / row.chips)
    assert row.queries_per_s_per_chip == pytest.approx(row.tokens_per_s_per_chip / DECODE_LEN)
    if c.price_per_hour is None:
        assert row.usd_per_million_tokens is None and usd_text(row) == "—"
    else:
        per_token = c.price_per_hour / 3600 / row.tokens_per_s_per_chip
        assert row.usd_per_million_tokens == pytest.approx(per_token * 1e6)


def test_bumped_rows_use_the_next_slice_only_when_one_sequence_does_not_fit() -> None:
    for r in ROWS:
        room = r.chip.hbm_bytes * math.prod(r.weights_only_slice) - param_bytes(MODEL, r.dtype)
        fits_one = room >= kv_cache_bytes(MODEL, r.dtype, batch=1, seq=SEQ)
        assert r.bumped != fits_one, (r.chip.key, r.dtype.name)


def test_v5e_batch_and_step_are_the_same_for_every_dtype() -> None:
    """The page's first observation."""
    rows = [serving_row("tpu-v5e", d) for d in DTYPES]
    assert len({r.max_batch for r in rows}) == 1
    assert len({round(r.step_time_s, 12) for r in rows}) == 1
    assert rows[-1].queries_per_s_per_chip > 2 * rows[0].queries_per_s_per_chip


def test_cheapest_and_tp_limits() -> None:
    for d in DTYPES:
        rows = tuple(r for r in ROWS if r.dtype == d)
        best = cheapest(rows)
        assert best is not None
        priced = [r.usd_per_million_tokens for r in rows if r.usd_per_million_tokens is not None]
        assert best.usd_per_million_tokens == min(priced)
    for c in CHIPS:
        t = tp_row(c)
        assert t.n_axes == interconnect_axes(c) == (1 if not c.key.startswith("tpu-") else len(c.slices[-1]))
        assert t.tp_limit == tp_limit_compute_bound(MODEL, c, n_axes=t.n_axes)
        assert 1 <= t.practical_limit <= t.tp_limit
    assert all(within_tp_limit(r) for r in ROWS)


def test_prices_without_a_source_stay_empty() -> None:
    assert price_text("h200") == price_text("b200") == NO_PRICE
    assert price_text("tpu-v5e") == fmt(1.2, "$")


def test_values_are_prefixed() -> None:
    v = values("spec")
    assert all(k.startswith("cmp.") for k in v)
    assert v["cmp.h200.price"].text == NO_PRICE
    assert v["cmp.tpu_v5e.int8.slice"].text == serving_row("tpu-v5e", "int8").slice_name


@pytest.mark.build
def test_chips_page_shows_every_row_and_links_every_source(built_site: Path) -> None:
    text = page_text(built_site, "beyond/chips")
    raw = (built_site / "beyond/chips/index.html").read_text(encoding="utf-8")
    for c in CHIPS:
        for src in c.sources.values():
            url = re.search(r"\((https?://[^)\s]+)\)", src)
            if url:
                assert f'href="{url.group(1)}"' in raw, url.group(1)
        assert fmt(c.bf16_flops, "FLOP/s") in text and fmt(c.hbm_bw, "B/s") in text
    assert NO_PRICE in text
    for d in DTYPES:
        rows = [r for r in ROWS if r.dtype == d]
        for cells in (
            [fmt(r.step_time_s, "s") for r in rows],
            [fmt(r.tokens_per_s_per_chip) for r in rows],
            [fmt(r.queries_per_s_per_chip, sig=2) for r in rows],
            [usd_text(r) for r in rows],
        ):
            line = " ".join(cells)
            assert line in text, line  # a transposed table row: one cell per chip, in CHIPS order
    for c in CHIPS:
        t = tp_row(c)
        assert f"{t.n_axes} {fmt(c.bf16_flops / c.ici_bw)} {fmt(t.tp_limit)} {t.practical_limit}" in text
