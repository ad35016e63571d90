"""Library unit tests beyond the doctests: sweeps vs scalars, fmt, config.json loading."""

from __future__ import annotations

import json
import math
from pathlib import Path
from typing import Any

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import servingmath as sm
from servingmath.errors import MAX_BATCH, DoesNotFitError, InvalidInputError, UnknownNameError, check_count

# (model, chip, chips, weights, kv, compute)
SWEEP_CASES: list[tuple[str, str, int, str, str, str]] = [
    ("llama3-70b", "tpu-v5e", 16, "int8", "int8", "bf16"),
    ("llama3-70b", "tpu-v5e", 8, "int8", "int8", "int8"),
    ("llama3-8b", "h100", 1, "bf16", "bf16", "bf16"),
    ("llama3-405b", "h200", 8, "fp8", "fp8", "fp8"),
    ("llama2-70b", "tpu-v6e", 8, "bf16", "int8", "bf16"),
    ("llama3-70b", "tpu-v5e", 32, "bf16", "bf16", "bf16"),  # 4 copies of each KV head
    ("mixtral-8x7b", "h100", 2, "bf16", "bf16", "bf16"),  # weight traffic grows with batch
]
SEQS = [1024, 8192, 32768]


@pytest.mark.parametrize("case", SWEEP_CASES, ids=lambda c: "-".join(map(str, c)))
def test_sweep_matches_scalar_decode_step(case: tuple[str, str, int, str, str, str]) -> None:
    model, chip, chips, weights, kv, compute = case
    sweeps = [
        sm.decode_sweep(
            model,
            chip,
            chips=chips,
            seq=seq,
            weights=weights,
            kv=kv,
            compute=compute,
            allow_beyond_context=True,
        )
        for seq in SEQS
    ]
    assert [s.seq for s in sweeps] == SEQS
    for sweep in sweeps:
        assert sweep.batch[0] == 1
        assert np.array_equal(sweep.batch, np.arange(1, len(sweep.batch) + 1))
        last = len(sweep.batch) - 1
        for i in sorted({0, last // 2, last}):
            b = int(sweep.batch[i])
            step = sm.decode_step(
                model, chip, chips=chips, batch=b, seq=sweep.seq, weights=weights, kv=kv, compute=compute,
                allow_beyond_context=True,
            )  # fmt: skip
            t = sm.throughput(step, chip=chip)
            assert float(sweep.param_time_s[i]) == pytest.approx(step.param_time_s, rel=1e-12)
            assert float(sweep.kv_time_s[i]) == pytest.approx(step.kv_time_s, rel=1e-12)
            assert float(sweep.flops_time_s[i]) == pytest.approx(step.flops_time_s, rel=1e-12)
            assert float(sweep.step_time_s[i]) == pytest.approx(step.step_time_s, rel=1e-12)
            assert float(sweep.tokens_per_s_per_chip[i]) == pytest.approx(t.tokens_per_s_per_chip, rel=1e-12)
            assert bool(sweep.compute_bound[i]) == (step.bound == "compute")
            usd = sweep.usd_per_million_tokens
            if t.usd_per_million_tokens is None:
                assert usd is None
            else:
                assert usd is not None
                assert float(usd[i]) == pytest.approx(t.usd_per_million_tokens, rel=1e-12)


@pytest.mark.parametrize("case", SWEEP_CASES, ids=lambda c: "-".join(map(str, c)))
def test_sweep_ends_at_largest_fitting_batch(case: tuple[str, str, int, str, str, str]) -> None:
    model, chip, chips, weights, kv, compute = case
    kw: dict[str, Any] = dict(chips=chips, weights=weights, kv=kv, compute=compute, allow_beyond_context=True)
    for sweep in (sm.decode_sweep(model, chip, seq=seq, **kw) for seq in SEQS):
        top = int(sweep.batch[-1])
        assert top == sm.max_batch(
            model, chip, chips=chips, weights=weights, kv=kv, seq=sweep.seq, allow_beyond_context=True
        )
        sm.decode_step(model, chip, batch=top, seq=sweep.seq, **kw)  # fits: does not raise
        with pytest.raises(DoesNotFitError):
            sm.decode_step(model, chip, batch=top + 1, seq=sweep.seq, **kw)
        fitting = sm.largest_fitting_step(model, chip, seq=sweep.seq, **kw)
        assert fitting.batch == top
        assert fitting.step_time_s == pytest.approx(float(sweep.step_time_s[-1]), rel=1e-12)


def test_sweep_arrays_finite_and_monotone() -> None:
    s = sm.decode_sweep("llama3-70b", "tpu-v5e", chips=16, seq=8192, weights="int8", kv="int8")
    for arr in (s.param_time_s, s.kv_time_s, s.flops_time_s, s.step_time_s, s.tokens_per_s_per_chip):
        assert np.all(np.isfinite(arr))
    assert np.all(np.diff(s.step_time_s) > 0)
    tps = s.tokens_per_s_per_chip  # bigger batches amortise the weights, until compute-bound (flat)
    assert np.all(np.diff(tps) >= -1e-12 * tps.max())
    assert tps[-1] > tps[0]


def test_sweep_limit() -> None:
    s = sm.decode_sweep(
        "llama3-70b", "tpu-v5e", chips=16, seq=8192, weights="int8", kv="int8", max_batch_limit=10
    )
    assert s.batch.tolist() == list(range(1, 11))
    with pytest.raises(InvalidInputError, match="max_batch_limit"):
        sm.decode_sweep(
            "llama3-70b", "tpu-v5e", chips=16, seq=8192, weights="int8", kv="int8", max_batch_limit=0
        )


def test_sweep_that_does_not_fit() -> None:
    with pytest.raises(DoesNotFitError, match="chips"):
        sm.decode_sweep("llama3-405b", "tpu-v5e", chips=1, seq=8192, weights="bf16", kv="bf16")


# ----------------------------------------------------------------------------- fmt


@settings(max_examples=100, deadline=None)
@given(
    value=st.floats(allow_nan=False, allow_infinity=False) | st.integers(-(10**15), 10**15),
    unit=st.sampled_from(["", "B", "s", "$", "FLOP/s", "FLOPs", "params", "token/s"]),
    system=st.sampled_from(["si", "iec"]),
    style=st.sampled_from(["text", "latex"]),
    sig=st.integers(1, 6),
)
def test_fmt_never_emits_nan_or_inf(value: float, unit: str, system: Any, style: Any, sig: int) -> None:
    text = sm.fmt(value, unit, sig=sig, system=system, style=style)
    assert text
    assert "nan" not in text.lower() and "inf" not in text.lower()


@pytest.mark.parametrize("value", [math.nan, math.inf, -math.inf, True, None, "1"])
@pytest.mark.parametrize("unit", ["", "B", "s", "$", "FLOP/s"])
def test_fmt_rejects_non_finite(value: Any, unit: str) -> None:
    with pytest.raises(InvalidInputError, match="finite"):
        sm.fmt(value, unit)


def test_fmt_units() -> None:
    assert sm.fmt(sm.units.GiB, "B", system="iec") == "1 GiB"
    assert sm.fmt(sm.units.GiB, "B") == sm.fmt(sm.units.GiB / sm.units.GB, "GB")
    assert sm.fmt(2.5e-3, "s") == "2.5 ms"
    assert sm.fmt(0, "s") == "0 s"
    assert sm.fmt(-1234.5) == "-1,234"  # rounds half to even at 3 significant digits


# ----------------------------------------------------------------------------- config.json

LLAMA3_70B_CONFIG: dict[str, Any] = {
    "_name_or_path": "meta-llama/Meta-Llama-3-70B",
    "num_hidden_layers": 80,
    "hidden_size": 8192,
    "intermediate_size": 28672,
    "num_attention_heads": 64,
    "num_key_value_heads": 8,
    "vocab_size": 128256,
    "tie_word_embeddings": False,
}


def _write(tmp_path: Path, content: object, name: str = "config.json") -> Path:
    path = tmp_path / name
    if isinstance(content, bytes):
        path.write_bytes(content)
    else:
        path.write_text(content if isinstance(content, str) else json.dumps(content), encoding="utf-8")
    return path


def test_from_hf_config_round_trip(tmp_path: Path) -> None:
    m = sm.from_hf_config(_write(tmp_path, LLAMA3_70B_CONFIG))
    preset = sm.get_model("llama3-70b")
    assert (m.L, m.D, m.F, m.N, m.K, m.H, m.V) == (
        preset.L,
        preset.D,
        preset.F,
        preset.N,
        preset.K,
        preset.H,
        preset.V,
    )
    assert m.exact_param_count == preset.exact_param_count
    assert m.param_count == m.exact_param_count  # no nominal count from a file
    assert m.name == "meta-llama/Meta-Llama-3-70B"
    assert sm.get_model(str(tmp_path / "config.json")) == m


def test_from_hf_config_defaults_and_tied(tmp_path: Path) -> None:
    cfg = {k: v for k, v in LLAMA3_70B_CONFIG.items() if k != "num_key_value_heads"}
    m = sm.from_hf_config(_write(tmp_path, {**cfg, "tie_word_embeddings": True}))
    assert m.K == m.N  # multi-head attention when the key is absent
    assert m.H == m.D // m.N
    untied = sm.from_hf_config(_write(tmp_path, cfg, "untied.json"))
    assert untied.exact_param_count - m.exact_param_count == m.V * m.D
    assert untied.key == "untied"


@pytest.mark.parametrize(
    "key", [k for k in LLAMA3_70B_CONFIG if k.startswith(("num_h", "hidden", "inter", "vocab"))]
)
def test_from_hf_config_missing_key(tmp_path: Path, key: str) -> None:
    cfg = {k: v for k, v in LLAMA3_70B_CONFIG.items() if k != key}
    with pytest.raises(InvalidInputError) as info:
        sm.from_hf_config(_write(tmp_path, cfg))
    assert info.value.param == key and key in str(info.value)
    with pytest.raises(InvalidInputError) as info:
        sm.from_hf_config(_write(tmp_path, {**LLAMA3_70B_CONFIG, key: None}))
    assert info.value.param == key and "missing" in str(info.value)


@pytest.mark.parametrize("value", [0, -8, 2.5, "80", True, [80], 10**8])
def test_from_hf_config_bad_value(tmp_path: Path, value: object) -> None:
    with pytest.raises(InvalidInputError) as info:
        sm.from_hf_config(_write(tmp_path, {**LLAMA3_70B_CONFIG, "num_hidden_layers": value}))
    assert info.value.param == "num_hidden_layers" and "num_hidden_layers" in str(info.value)


def test_from_hf_config_heads_must_divide(tmp_path: Path) -> None:
    with pytest.raises(InvalidInputError) as info:
        sm.from_hf_config(_write(tmp_path, {**LLAMA3_70B_CONFIG, "num_key_value_heads": 7}))
    assert info.value.param == "num_key_value_heads"


@pytest.mark.parametrize(
    ("content", "needle"),
    [
        ("[1, 2]", "JSON object"),
        ('"llama"', "JSON object"),
        ("42", "JSON object"),
        ("null", "JSON object"),
        ('{"hidden_size": 8192,', "not valid JSON"),
        ("", "not valid JSON"),
        ("{'single': 'quotes'}", "not valid JSON"),
        ("[" * 100_000 + "]" * 100_000, "not valid JSON"),
        (b"\x89PNG\r\n\x1a\n\x00\xff", "cannot be read"),
    ],
    ids=["list", "string", "number", "null", "truncated", "empty", "quotes", "deep", "binary"],
)
def test_from_hf_config_not_a_config(tmp_path: Path, content: str | bytes, needle: str) -> None:
    path = _write(tmp_path, content)
    for load in (sm.from_hf_config, sm.get_model):
        with pytest.raises(InvalidInputError) as info:
            load(path)
        assert info.value.param == "model"
        assert needle in str(info.value) and str(path) in str(info.value)


def test_from_hf_config_unreadable(tmp_path: Path) -> None:
    with pytest.raises(InvalidInputError, match="cannot be read") as info:
        sm.get_model(str(tmp_path / "missing.json"))
    assert info.value.param == "model"
    with pytest.raises(InvalidInputError, match="cannot be read"):
        sm.from_hf_config(tmp_path)  # a directory


# ----------------------------------------------------------------------------- edge cases fixed


def test_max_batch_is_capped_where_the_library_stops() -> None:
    b = sm.max_batch("llama3-8b", "b200", chips=10**6, weights="int4", kv="int4", seq=1)
    assert b == MAX_BATCH
    step = sm.largest_fitting_step("llama3-8b", "b200", chips=10**6, weights="int4", kv="int4", seq=1)
    assert step.batch == MAX_BATCH


def test_huge_ints_rejected_not_overflowing() -> None:
    with pytest.raises(InvalidInputError, match="mfu"):
        sm.prefill_latency("llama3-70b", "tpu-v5e", chips=16, tokens=8192, mfu=10**400)
    with pytest.raises(InvalidInputError, match="batch"):
        check_count("batch", 10**5000)
    with pytest.raises(InvalidInputError, match="chips"):
        sm.get_chip("tpu-v5e").smallest_slice(10**400)


def test_long_or_odd_model_names_are_unknown() -> None:
    for name in ("x" * 5000, "a\x00b", "", "/"):
        with pytest.raises(UnknownNameError, match="model"):
            sm.get_model(name)
    with pytest.raises(InvalidInputError, match="model"):
        sm.get_model("x" * 5000 + ".json")
