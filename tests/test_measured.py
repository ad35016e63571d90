"""The "理论上限 vs 实测" page: every measurement stays below its roofline bound, and the page
shows the bounds the library computes."""

from __future__ import annotations

import html
import re
from dataclasses import replace
from pathlib import Path

import pytest

from servingmath.book import measured
from servingmath.book.measured import (
    MLPERF_REF_TOKENS_PER_SAMPLE,
    ROW_BY_KEY,
    ROWS,
    ExceedsBoundError,
    bound,
    check_row,
    decode_bound,
    fraction,
    prompt_limit,
    row_values,
    tpot_bound,
)
from servingmath.errors import InvalidInputError
from servingmath.units import fmt

MLPERF_ROWS = [r for r in ROWS if r.decode_len_measured]


@pytest.mark.parametrize("row", ROWS, ids=lambda r: r.key)
def test_every_measurement_is_at_most_its_bound(row):
    assert 0 < fraction(row) <= 1
    assert row.tokens_per_s <= decode_bound(row).tokens_per_s


@pytest.mark.parametrize("row", ROWS, ids=lambda r: r.key)
def test_bound_uses_the_library_roofline(row):
    b = decode_bound(row)
    assert b.batch <= row.batch
    assert b.prompt_len == 0
    assert b.step_time_s == pytest.approx(max(b.step.flops_time_s, b.step.param_time_s) + b.step.kv_time_s)
    assert b.tokens_per_s == pytest.approx(row.replicas * b.batch / b.step_time_s)


@pytest.mark.parametrize("row", ROWS, ids=lambda r: r.key)
def test_bound_falls_as_prompts_grow(row):
    tps = [bound(row, prompt_len=p).tokens_per_s for p in (0, 1, 64, 512, row.prompt_cap)]
    assert tps == sorted(tps, reverse=True)


@pytest.mark.parametrize("row", MLPERF_ROWS, ids=lambda r: r.key)
def test_prompt_limit_is_where_the_bound_with_prefill_meets_the_measurement(row):
    p = prompt_limit(row)
    assert 0 <= p <= row.prompt_cap
    assert bound(row, prompt_len=p).tokens_per_s >= row.tokens_per_s
    if p < row.prompt_cap:
        assert bound(row, prompt_len=p + 1).tokens_per_s < row.tokens_per_s


@pytest.mark.parametrize("row", MLPERF_ROWS, ids=lambda r: r.key)
def test_mean_generated_length_matches_the_mlperf_reference(row):
    # tokens/s over samples/s from the same log, against the reference run's tokens per sample
    assert row.decode_len == pytest.approx(MLPERF_REF_TOKENS_PER_SAMPLE, rel=0.05)


def test_a_measurement_above_its_bound_raises():
    row = ROW_BY_KEY["h200_offline"]
    too_fast = decode_bound(row).tokens_per_s * 1.01
    fake = replace(row, tokens_per_s=too_fast, samples_per_s=too_fast / row.decode_len)
    with pytest.raises(ExceedsBoundError, match="above the roofline bound"):
        check_row(fake)
    with pytest.raises(ExceedsBoundError):
        fraction(fake)
    with pytest.raises(ExceedsBoundError):
        row_values(fake)


def test_values_fail_when_any_row_is_above_its_bound(monkeypatch):
    row = ROW_BY_KEY["v5e_bf16"]
    fake = replace(row, key="fake", tokens_per_s=decode_bound(row).tokens_per_s * 2)
    monkeypatch.setattr(measured, "ROWS", (*ROWS, fake))
    with pytest.raises(ExceedsBoundError):
        measured.values("spec")


def test_a_tpot_below_the_roofline_step_raises():
    row = ROW_BY_KEY["h200_server"]
    # a shorter TPOT also implies fewer sequences in flight, but never a step below weight loading
    fake = replace(row, tpot_s=tpot_bound(row).param_time_s / 2)
    with pytest.raises(ExceedsBoundError, match="TPOT"):
        check_row(fake)


def test_bad_rows_are_refused():
    row = ROW_BY_KEY["h100_offline"]
    with pytest.raises(InvalidInputError, match="tp must divide chips"):
        replace(row, tp=3).replicas  # noqa: B018
    with pytest.raises(InvalidInputError, match="tokens_per_s"):
        check_row(replace(row, tokens_per_s=float("nan")))
    with pytest.raises(InvalidInputError, match="prompt_len"):
        bound(row, prompt_len=-1)
    with pytest.raises(InvalidInputError, match="no mean generated length"):
        prompt_limit(ROW_BY_KEY["v5e_int8"])


def test_values_are_prefixed_and_complete():
    v = measured.values("spec")
    assert all(k.startswith("meas.") for k in v)
    for r in ROWS:
        assert v[f"meas.{r.key}.bound"].text == fmt(decode_bound(r).tokens_per_s, "tokens/s")
        assert v[f"meas.{r.key}.fraction"].text == fmt(fraction(r) * 100, "%")


def _page_text(site: Path) -> tuple[str, str]:
    raw = (site / "beyond" / "measured" / "index.html").read_text(encoding="utf-8")
    article = raw[raw.index("<article") : raw.index("</article>")]
    no_scripts = re.sub(r"<script.*?</script>", " ", article, flags=re.S)
    return raw, html.unescape(re.sub(r"<[^>]+>", " ", no_scripts))


@pytest.mark.build
def test_page_shows_every_bound_measurement_and_source(built_site: Path):
    raw, text = _page_text(built_site)
    for r in ROWS:
        assert fmt(decode_bound(r).tokens_per_s, "tokens/s") in text, r.key
        assert fmt(fraction(r) * 100, "%") in text, r.key
        assert fmt(r.tokens_per_s, "tokens/s", sig=6) in text, r.key
        for s in r.sources:
            assert f'href="{html.escape(s.url)}"' in raw, s.url
    for r in MLPERF_ROWS:
        assert fmt(prompt_limit(r)) in text, r.key
    assert "{{" not in text


@pytest.mark.build
def test_page_embeds_the_figure(built_site: Path):
    raw, _ = _page_text(built_site)
    assert raw.count('id="fig-measured"') == 1
    assert 'class="sm-figure-data"' in raw
