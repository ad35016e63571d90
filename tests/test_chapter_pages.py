"""The chapter's answers, as rendered under each constant set: each contains the values the
library computes under that set.

Every expectation is computed here through servingmath's functions and the chapter's
scenario constants, and formatted with ``fmt``; nothing is a literal copied from a page.
"""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from constant_view import view

from servingmath import (
    critical_batch,
    decode_step,
    evicted_kv_tokens_per_step,
    fmt,
    kv_bytes_per_token,
    kv_cache_bytes,
    largest_fitting_step,
    max_batch,
    memory_budget,
    mlp_matmul_times,
    prefill_latency,
    prefill_servers_per_generate_server,
    slice_name,
    throughput,
    tp_limit_compute_bound,
)
from servingmath.book.chapter import (
    DTYPES,
    MODEL,
    Q1,
    Q2,
    Q3,
    Q5,
    Q7,
    Q9,
    Q10,
    Q11,
    Q12,
    chapter_chip,
    min_slice_chips,
)
from servingmath.chips import CONSTANT_SETS, Chip

pytestmark = pytest.mark.build
SETS = pytest.mark.parametrize("constants", CONSTANT_SETS)

PAGES = {
    "q1-kv-cache-size": "basics",
    "q2-min-chips": "basics",
    "q3-latency-throughput": "basics",
    "q4-critical-batch": "throughput",
    "q5-min-topology": "throughput",
    "q6-latency-at-max-batch": "throughput",
    "q7-throughput-per-chip": "throughput",
    "q8-double-topology": "throughput",
    "q9-sharding": "throughput",
    "q10-prefill-latency": "prefill",
    "q11-eviction-rate": "prefill",
    "q12-prefill-generate-ratio": "prefill",
}


def answer_text(site: Path, anchor: str, constants: str) -> str:
    """Visible text of the question section ``anchor`` under a constant set, up to the next
    question heading."""
    html = view((site / "chapter" / PAGES[anchor] / "index.html").read_text(encoding="utf-8"), constants)
    start = html.index(f'id="{anchor}"')
    nxt = re.search(r'<h[23] id="(?!' + re.escape(anchor) + r")", html[start + 1 :])
    section = html[start : start + 1 + nxt.start()] if nxt else html[start:]
    assert "<details" in section, f"{anchor}: no collapsed answer"
    section = re.sub(r"<(pre|math)\b.*?</\1>", " ", section, flags=re.S)  # code and formulas aside
    return re.sub(r"<[^>]+>", "", section).replace("&nbsp;", " ")


def expect(site: Path, anchor: str, constants: str, *texts: str) -> None:
    body = answer_text(site, anchor, constants)
    missing = [t for t in texts if t not in body]
    assert not missing, f"{anchor} ({constants}): missing {missing}"


def _q3_step(chip: Chip, chips: int):
    return decode_step(
        MODEL, chip, chips=chips, batch=Q2.batch, seq=Q2.seq, weights=Q2.weights, kv=Q2.kv, compute=Q3.compute
    )


@SETS
def test_basics_answers(built_site: Path, constants: str) -> None:
    CHIP = chapter_chip(constants)
    per_token = kv_bytes_per_token(MODEL, Q1.kv)
    expect(
        built_site,
        "q1-kv-cache-size",
        constants,
        fmt(per_token, "B", system="iec"),
        fmt(per_token * Q1.seq, "B"),
        fmt(kv_cache_bytes(MODEL, Q1.kv, batch=Q1.batch, seq=Q1.seq), "B"),
    )
    b = memory_budget(MODEL, CHIP, weights=Q2.weights, kv=Q2.kv, batch=Q2.batch, seq=Q2.seq)
    expect(
        built_site,
        "q2-min-chips",
        constants,
        fmt(b.kv_bytes, "B"),
        fmt(b.total_bytes, "B"),
        fmt(b.min_chips),
        b.slice_name,
    )
    texts = []
    for n in Q3.chips:
        step = _q3_step(CHIP, n)
        texts += [fmt(step.step_time_s, "s"), fmt(throughput(step).tokens_per_s_per_chip)]
    expect(built_site, "q3-latency-throughput", constants, *texts)


@SETS
def test_throughput_answers(built_site: Path, constants: str) -> None:
    CHIP = chapter_chip(constants)
    expect(
        built_site,
        "q4-critical-batch",
        constants,
        *(fmt(critical_batch(CHIP, weights=w, compute="bf16")) for w in ("bf16", "int8", "int4")),
    )
    q5, q7, q8 = [], [], []
    for d in DTYPES:
        n = min_slice_chips(CHIP, d)
        q5.append(fmt(max_batch(MODEL, CHIP, chips=n, weights=d, kv=d, seq=Q5.seq)))
        q5.append(slice_name(CHIP.smallest_slice(n)))
        step = largest_fitting_step(MODEL, CHIP, chips=n, seq=Q5.seq, weights=d, kv=d)
        q7.append(fmt(throughput(step, decode_len=Q7.decode_len).queries_per_s_per_chip, sig=2))
        big = largest_fitting_step(MODEL, CHIP, chips=2 * n, seq=Q5.seq, weights=d, kv=d)
        q8 += [fmt(big.batch), fmt(big.step_time_s, "s")]
        q8.append(fmt(throughput(big, decode_len=Q7.decode_len).queries_per_s_per_chip, sig=2))
    expect(built_site, "q5-min-topology", constants, *q5)
    expect(built_site, "q6-latency-at-max-batch", constants, fmt(CHIP.hbm_bytes / CHIP.hbm_bw, "s"))
    expect(built_site, "q7-throughput-per-chip", constants, *q7)
    expect(built_site, "q8-double-topology", constants, *q8)
    t = mlp_matmul_times(MODEL, CHIP, tp=Q9.tp, batch=Q9.batch, weights=Q9.weights, n_axes=Q9.n_axes)
    expect(
        built_site,
        "q9-sharding",
        constants,
        fmt(tp_limit_compute_bound(MODEL, CHIP, n_axes=Q9.n_axes)),
        fmt(tp_limit_compute_bound(MODEL, CHIP, n_axes=Q9.n_axes, wraparound=False)),
        fmt(t.t_ici_s, "s", sig=4),
        *(fmt(x, "s") for x in (t.t_hbm_s, t.t_math_s)),
    )


@SETS
def test_prefill_answers(built_site: Path, constants: str) -> None:
    CHIP = chapter_chip(constants)
    lat = prefill_latency(MODEL, CHIP, chips=Q10.chips, tokens=Q10.tokens, mfu=Q10.mfu)
    expect(built_site, "q10-prefill-latency", constants, fmt(lat, "s"))
    evicted = evicted_kv_tokens_per_step(
        batch=Q11.batch, prefill_len=Q11.prefill_len, decode_len=Q11.decode_len
    )
    expect(built_site, "q11-eviction-rate", constants, fmt(evicted))
    ratios = [
        prefill_servers_per_generate_server(
            prefill_latency_s=lat, step_time_s=step, batch=Q2.batch, decode_len=Q7.decode_len
        )
        for step in (Q12.step_s, _q3_step(CHIP, Q12.gen_chips).step_time_s)  # the premise, and ours
    ]
    expect(built_site, "q12-prefill-generate-ratio", constants, *(fmt(r, sig=2) for r in ratios))


def test_section_check_can_fail(built_site: Path) -> None:
    with pytest.raises(AssertionError, match=r"q2-min-chips \(book\): missing"):
        expect(built_site, "q2-min-chips", "book", fmt(123456.789, "B"))


def test_each_set_shows_its_own_numbers(built_site: Path) -> None:
    """The spec copy of Q2 is not visible under book, and the other way round."""
    chips = [chapter_chip(k) for k in CONSTANT_SETS]
    b = [memory_budget(MODEL, c, weights=Q2.weights, kv=Q2.kv, batch=Q2.batch, seq=Q2.seq) for c in chips]
    assert b[0].min_chips != b[1].min_chips  # the two sets really differ here
    with pytest.raises(AssertionError, match="missing"):
        expect(built_site, "q2-min-chips", "book", f"至少 {fmt(b[1].min_chips)} 张")
    with pytest.raises(AssertionError, match="missing"):
        expect(built_site, "q2-min-chips", "spec", f"至少 {fmt(b[0].min_chips)} 张")
