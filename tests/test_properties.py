"""Property tests: invariants of the serving arithmetic, and bad input rejected by name."""

from __future__ import annotations

import io
import math
from collections.abc import Callable
from contextlib import redirect_stderr, redirect_stdout
from pathlib import Path
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import servingmath as sm
from servingmath.breakdown import breakdown
from servingmath.cli import main
from servingmath.errors import MAX_BATCH, MAX_SEQ, DoesNotFitError, InvalidInputError, UnknownNameError

FAST = settings(max_examples=60, deadline=None)

models = st.sampled_from(list(sm.MODELS))
chip_keys = st.sampled_from(list(sm.CHIPS))
dtypes = st.sampled_from(list(sm.DTYPES))
counts = st.integers(min_value=1, max_value=10**6)


@st.composite
def chip_and_compute(draw: st.DrawFn) -> tuple[str, str]:
    """A chip and a matmul dtype it supports."""
    chip = sm.get_chip(draw(chip_keys))
    table = {"bf16": chip.bf16_flops, "int8": chip.int8_ops, "fp8": chip.fp8_flops}
    return chip.key, draw(st.sampled_from([d for d, flops in table.items() if flops is not None]))


def _finite(*values: float | None) -> bool:
    return all(v is None or math.isfinite(v) for v in values)


# ----------------------------------------------------------------------------- invariants


@FAST
@given(
    model=models,
    cc=chip_and_compute(),
    weights=dtypes,
    kv=dtypes,
    chips=st.integers(1, 1024),
    seq=st.integers(1, MAX_SEQ),
    batches=st.tuples(st.integers(1, MAX_BATCH), st.integers(1, MAX_BATCH)),
)
def test_step_time_never_decreases_with_batch(
    model: str, cc: tuple[str, str], weights: str, kv: str, chips: int, seq: int, batches: tuple[int, int]
) -> None:
    chip, compute = cc
    small, big = sorted(batches)
    kw: dict[str, Any] = dict(
        chips=chips,
        seq=seq,
        weights=weights,
        kv=kv,
        compute=compute,
        check_fit=False,
        allow_beyond_context=True,
    )
    s_small = sm.decode_step(model, chip, batch=small, **kw)
    s_big = sm.decode_step(model, chip, batch=big, **kw)
    assert s_small.step_time_s <= s_big.step_time_s
    assert _finite(s_small.step_time_s, s_big.step_time_s, s_big.param_time_s, s_big.kv_time_s)
    assert s_small.step_time_s > 0


@FAST
@given(
    model=models,
    chip=chip_keys,
    weights=dtypes,
    kv=dtypes,
    chips=st.integers(1, 2048),
    seq=st.integers(1, 200_000),
)
def test_max_batch_fits_and_one_more_does_not(
    model: str, chip: str, weights: str, kv: str, chips: int, seq: int
) -> None:
    kw: dict[str, Any] = dict(chips=chips, seq=seq, weights=weights, kv=kv, allow_beyond_context=True)
    held: dict[str, Any] = dict(seq=seq, tp=chips, allow_beyond_context=True)  # KV copies on `chips`
    capacity = chips * sm.get_chip(chip).hbm_bytes
    try:
        b = sm.max_batch(model, chip, **kw)
    except DoesNotFitError:
        one = sm.param_bytes(model, weights) + sm.kv_cache_bytes(model, kv, batch=1, **held)
        assert one > capacity
        with pytest.raises(DoesNotFitError):
            sm.decode_step(model, chip, batch=1, **kw)
        return
    step = sm.decode_step(model, chip, batch=b, **kw)  # must not raise
    assert step.batch == b
    used = sm.param_bytes(model, weights) + sm.kv_cache_bytes(model, kv, batch=b, **held)
    assert used <= capacity
    if b < MAX_BATCH:
        with pytest.raises(DoesNotFitError):
            sm.decode_step(model, chip, batch=b + 1, **kw)
        assert sm.param_bytes(model, weights) + sm.kv_cache_bytes(model, kv, batch=b + 1, **held) > capacity
    else:  # capped: the rest of the library refuses larger batches
        with pytest.raises(InvalidInputError, match="batch"):
            sm.decode_step(model, chip, batch=b + 1, **kw)


@FAST
@given(
    model=models,
    cc=chip_and_compute(),
    weights=dtypes,
    kv=dtypes,
    chips=st.integers(1, 4096),
    batch=st.integers(1, MAX_BATCH),
    seq=st.integers(1, MAX_SEQ),
    decode_len=st.integers(1, 10**7),
)
def test_tokens_per_chip_under_compute_roof(
    model: str, cc: tuple[str, str], weights: str, kv: str, chips: int, batch: int, seq: int, decode_len: int
) -> None:
    chip, compute = cc
    step = sm.decode_step(
        model,
        chip,
        chips=chips,
        batch=batch,
        seq=seq,
        weights=weights,
        kv=kv,
        compute=compute,
        check_fit=False,
        allow_beyond_context=True,
    )
    t = sm.throughput(step, decode_len=decode_len, chip=chip)
    roof = sm.get_chip(chip).flops(compute) / (2 * sm.get_model(model).flops_param_count)
    assert t.tokens_per_s_per_chip <= roof * (1 + 1e-12)
    assert t.queries_per_s_per_chip * decode_len == pytest.approx(t.tokens_per_s_per_chip, rel=1e-12)
    assert _finite(
        t.tokens_per_s, t.tokens_per_s_per_chip, t.queries_per_s_per_chip, t.usd_per_million_tokens
    )


@FAST
@given(
    model=models,
    kv=dtypes,
    batch=st.integers(1, 10_000),
    seq=st.integers(1, 10_000),
    k=st.integers(1, 1000),
)
def test_kv_bytes_linear_in_batch_and_seq(model: str, kv: str, batch: int, seq: int, k: int) -> None:
    base = sm.kv_cache_bytes(model, kv, batch=batch, seq=seq, allow_beyond_context=True)
    more = sm.kv_cache_bytes(model, kv, batch=batch * k, seq=seq, allow_beyond_context=True)
    assert more == pytest.approx(k * base, rel=1e-12)
    longer = sm.kv_cache_bytes(model, kv, batch=batch, seq=seq * k, allow_beyond_context=True)
    assert longer == pytest.approx(k * base, rel=1e-12)
    assert base == pytest.approx(batch * seq * sm.kv_bytes_per_token(model, kv), rel=1e-12)


@FAST
@given(
    model=models,
    cc=chip_and_compute(),
    chips=counts,
    tokens=st.integers(1, 10**8),
    mfu=st.floats(min_value=1e-6, max_value=1.0),
)
def test_prefill_finite_and_inverse_in_chips_and_mfu(
    model: str, cc: tuple[str, str], chips: int, tokens: int, mfu: float
) -> None:
    chip, compute = cc
    lat = sm.prefill_latency(model, chip, chips=chips, tokens=tokens, mfu=mfu, compute=compute)
    assert _finite(lat) and lat > 0
    peak = sm.prefill_latency(model, chip, chips=chips, tokens=tokens, mfu=1.0, compute=compute)
    assert peak <= lat * (1 + 1e-12)
    assert lat * chips * mfu == pytest.approx(
        sm.prefill_flops(model, tokens=tokens) / sm.get_chip(chip).flops(compute), rel=1e-9
    )


@FAST
@given(
    model=models,
    cc=chip_and_compute(),
    weights=dtypes,
    kv=dtypes,
    chips=st.integers(1, 1024),
    seq=st.integers(1, 200_000),
    batches=st.tuples(st.integers(1, 100_000), st.integers(1, 100_000)),
)
def test_breakdown_adds_up_and_communication_grows_with_batch(
    model: str, cc: tuple[str, str], weights: str, kv: str, chips: int, seq: int, batches: tuple[int, int]
) -> None:
    chip, compute = cc
    small, big = sorted(batches)
    kw: dict[str, Any] = dict(chips=chips, seq=seq, weights=weights, kv=kv, compute=compute)
    kw.update(check_fit=False, allow_beyond_context=True)
    b = breakdown(model, chip, batch=small, **kw)
    s = b.step
    streamed = sum(o.weight_bytes for o in b.ops if o.key != "embedding" or sm.get_model(model).book)
    assert streamed == pytest.approx(s.weight_bytes, rel=1e-9)
    assert sum(o.flops for o in b.ops if o.key != "attention") == pytest.approx(s.flops, rel=1e-9)
    assert b.time_s >= s.step_time_s * (1 - 1e-9) and _finite(b.time_s)
    big_step = sm.decode_step(model, chip, batch=big, **kw)
    assert big_step.comm_time_s >= s.comm_time_s >= 0
    assert (chips == 1) == (s.comm_time_s == 0)
    full = sm.decode_step(model, chip, batch=small, overlap="full", **kw)
    assert max(s.compute_time_s, s.comm_time_s) == full.step_time_s <= s.step_time_s


@FAST
@given(model=models, tp=st.integers(1, 4096), batch=st.integers(1, 1000), seq=st.integers(1, 10_000))
def test_kv_replication_is_whole_heads(model: str, tp: int, batch: int, seq: int) -> None:
    m = sm.get_model(model)
    r = sm.kv_replication(m, tp=tp)
    assert r >= 1 and (r * m.K) % 1 == 0  # whole KV heads are stored
    assert (r == 1) == (m.K % tp == 0)  # no copies exactly when the heads split evenly
    one = sm.kv_cache_bytes(m, "bf16", batch=batch, seq=seq, allow_beyond_context=True)
    held = sm.kv_cache_bytes(m, "bf16", batch=batch, seq=seq, tp=tp, allow_beyond_context=True)
    assert held == pytest.approx(r * one, rel=1e-12)
    assert sm.kv_replication(m, tp=tp, kv_sharding="batch") == 1


@FAST
@given(experts=st.integers(1, 256), data=st.data())
def test_expected_experts_between_k_and_e_and_monotone(experts: int, data: st.DataObject) -> None:
    k = data.draw(st.integers(1, experts))
    b1, b2 = sorted(data.draw(st.tuples(st.integers(1, 10**6), st.integers(1, 10**6))))
    lo, hi = (
        sm.expected_experts_touched(experts, k, batch=b1),
        sm.expected_experts_touched(experts, k, batch=b2),
    )
    assert k * (1 - 1e-12) <= lo <= hi <= experts * (1 + 1e-12)
    assert sm.expected_experts_touched(experts, k, batch=1) == pytest.approx(k, rel=1e-12)


# ----------------------------------------------------------------------------- bad input, library


def _bad_numbers(*, integer: bool, maximum: float) -> st.SearchStrategy[object]:
    """Values the library must refuse: out of range, non-finite, non-integer, wrong type."""
    common: list[st.SearchStrategy[object]] = [
        st.integers(max_value=0),
        st.floats(max_value=0.0, allow_nan=False),
        st.integers(min_value=int(maximum) + 1),
        st.sampled_from([math.nan, math.inf, -math.inf, 10**400, -(10**400)]),
        st.booleans(),
        st.none(),
        st.text(max_size=8),
        st.lists(st.integers(1, 10), max_size=2),
    ]
    if integer:
        common.append(st.floats(min_value=0.01, max_value=maximum).filter(lambda x: not x.is_integer()))
    else:
        common.append(st.floats(min_value=1.0, exclude_min=True, allow_infinity=False))
    return st.one_of(common)


_STEP = sm.decode_step("llama3-70b", "tpu-v5e", chips=8, batch=32, seq=8192, weights="int8", kv="int8")
_Q3: dict[str, Any] = dict(chips=8, batch=32, seq=8192, weights="int8", kv="int8")


def _with(**kw: object) -> dict[str, Any]:
    return {**_Q3, **kw}


# parameter -> (the largest value it takes, is it an integer, calls that must reject a bad value)
PUBLIC_API: dict[str, tuple[float, bool, list[Callable[[Any], object]]]] = {
    "batch": (
        MAX_BATCH,
        True,
        [
            lambda v: sm.decode_step("llama3-70b", "tpu-v5e", **_with(batch=v)),
            lambda v: sm.decode_step("llama3-70b", "tpu-v5e", **_with(batch=v), check_fit=False),
            lambda v: sm.kv_cache_bytes("llama3-70b", "int8", batch=v, seq=8192),
            lambda v: sm.memory_budget("llama3-70b", "tpu-v5e", weights="int8", kv="int8", batch=v, seq=1),
            lambda v: sm.completions_per_step(batch=v, decode_len=512),
        ],
    ),
    "seq": (
        MAX_SEQ,
        True,
        [
            lambda v: sm.decode_step("llama3-70b", "tpu-v5e", **_with(seq=v)),
            lambda v: sm.max_batch("llama3-70b", "tpu-v5e", chips=8, weights="int8", kv="int8", seq=v),
            lambda v: sm.largest_fitting_step(
                "llama3-70b", "tpu-v5e", chips=8, weights="int8", kv="int8", seq=v
            ),
            lambda v: sm.decode_sweep("llama3-70b", "tpu-v5e", chips=8, weights="int8", kv="int8", seq=v),
        ],
    ),
    "chips": (
        10**6,
        True,
        [
            lambda v: sm.decode_step("llama3-70b", "tpu-v5e", **_with(chips=v)),
            lambda v: sm.max_batch("llama3-70b", "tpu-v5e", chips=v, weights="int8", kv="int8", seq=8192),
            lambda v: sm.hbm_left_for_kv("llama3-70b", "tpu-v5e", chips=v, weights="int8"),
            lambda v: sm.prefill_latency("llama3-70b", "tpu-v5e", chips=v, tokens=8192, mfu=0.4),
            lambda v: sm.decode_sweep("llama3-70b", "tpu-v5e", chips=v, weights="int8", kv="int8", seq=8192),
        ],
    ),
    "mfu": (
        1,
        False,
        [lambda v: sm.prefill_latency("llama3-70b", "tpu-v5e", chips=16, tokens=8192, mfu=v)],
    ),
    "tokens": (
        10**8,
        True,
        [
            lambda v: sm.prefill_flops("llama3-70b", tokens=v),
            lambda v: sm.prefill_latency("llama3-70b", "tpu-v5e", chips=16, tokens=v, mfu=0.4),
        ],
    ),
    "decode_len": (
        10**8,  # throughput() stops at 10**7, completions_per_step() at 10**8
        True,
        [
            lambda v: sm.throughput(_STEP, decode_len=v),
            lambda v: sm.completions_per_step(batch=32, decode_len=v),
        ],
    ),
}


@pytest.mark.parametrize("param", list(PUBLIC_API))
def test_public_api_rejects_bad_values(param: str) -> None:
    maximum, integer, calls = PUBLIC_API[param]

    @FAST
    @given(value=_bad_numbers(integer=integer, maximum=maximum), which=st.sampled_from(range(len(calls))))
    def check(value: object, which: int) -> None:
        with pytest.raises(InvalidInputError) as info:
            calls[which](value)
        assert info.value.param == param
        assert param in str(info.value)
        assert "\n" not in str(info.value)

    check()


_ALIASES = {"v5e", "v5p", "v6e", "bfloat16", "float8", "e4m3"}


def _exists(name: str) -> bool:
    try:
        return Path(name).exists()
    except (OSError, ValueError):  # too long for a path, or a NUL byte
        return False


names = st.text(st.characters(codec="utf-8"), max_size=300).filter(
    lambda s: (
        s.lower() not in {*sm.MODELS, *sm.CHIPS, *sm.DTYPES, *_ALIASES}
        and not s.endswith(".json")
        and not _exists(s)
    )
)


@FAST
@given(name=names)
def test_unknown_names(name: str) -> None:
    for lookup, param in ((sm.get_model, "model"), (sm.get_chip, "chip"), (sm.get_dtype, "dtype")):
        with pytest.raises(UnknownNameError) as info:
            lookup(name)
        assert info.value.param == param and param in str(info.value)
    with pytest.raises(UnknownNameError):
        sm.decode_step("llama3-70b", "tpu-v5e", **_with(kv=name))


# ----------------------------------------------------------------------------- bad input, CLI

_DECODE = ["decode", "--model", "llama3-70b", "--chips", "8", "--batch", "32", "--seq", "8192"]
_DECODE += ["--weights", "int8", "--kv", "int8"]
_FIT = ["fit", "--model", "llama3-70b", "--seq", "8192", "--weights", "bf16", "--kv", "bf16"]
_PREFILL = ["prefill", "--model", "llama3-70b", "--chips", "16", "--tokens", "8192", "--mfu", "0.4"]
_MEMORY = ["memory", "--model", "llama3-70b", "--weights", "int8", "--kv", "int8", "--batch", "32"]
_MEMORY += ["--seq", "8192"]

# (command line, option, largest value or None for a fraction in (0, 1])
CLI_OPTIONS: list[tuple[list[str], str, int | None]] = [
    (_DECODE, "--batch", MAX_BATCH),
    (_DECODE, "--seq", MAX_SEQ),
    (_DECODE, "--chips", 10**6),
    (_DECODE, "--decode-len", 10**7),
    (_MEMORY, "--batch", MAX_BATCH),
    (_MEMORY, "--seq", MAX_SEQ),
    (_FIT, "--chips", 10**6),
    (_FIT, "--seq", MAX_SEQ),
    (_PREFILL, "--tokens", 10**8),
    (_PREFILL, "--chips", 10**6),
    (_PREFILL, "--mfu", None),
]


def _valid(text: str, maximum: int | None) -> bool:
    """Would the CLI accept ``text`` for an option with this range?"""
    try:
        x = float(text)
    except ValueError:
        return False
    if not math.isfinite(x):
        return False
    return 0 < x <= 1 if maximum is None else x.is_integer() and 1 <= x <= maximum


def _bad_texts(maximum: int | None) -> st.SearchStrategy[str]:
    top = 1 if maximum is None else maximum
    return st.one_of(
        st.integers(max_value=0).map(str),
        st.integers(min_value=top + 1).map(str),
        st.floats().map(repr),
        st.sampled_from(["nan", "NaN", "inf", "-inf", "Infinity", "1e400", "abc", "", "0x10", "1/2", "８"]),
        st.text(max_size=12),
    ).filter(lambda s: not _valid(s, maximum))


def _run(argv: list[str]) -> tuple[int, str, str]:
    out, err = io.StringIO(), io.StringIO()
    with redirect_stdout(out), redirect_stderr(err):
        code = main(argv)
    return code, out.getvalue(), err.getvalue()


@pytest.mark.parametrize(
    ("argv", "option", "maximum"), CLI_OPTIONS, ids=lambda x: x if isinstance(x, str) else None
)
def test_cli_rejects_bad_numbers(argv: list[str], option: str, maximum: int | None) -> None:
    assert _run(argv)[0] == 0  # the base command line is valid

    @FAST
    @given(text=_bad_texts(maximum))
    def check(text: str) -> None:
        if option in argv:
            i = argv.index(option)
            bad = [*argv[:i], *argv[i + 2 :], f"{option}={text}"]
        else:
            bad = [*argv, f"{option}={text}"]
        code, out, err = _run(bad)
        assert code == 2
        assert out == ""
        assert err.startswith(f"servingmath: error: {option}"), err
        assert err.count("\n") == 1
        assert "Traceback" not in err

    check()
