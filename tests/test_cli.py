"""The command-line calculator: JSON values match the library, bad input exits 2 cleanly."""

from __future__ import annotations

import json
import math
import os
import subprocess
import sys
from importlib.metadata import entry_points
from pathlib import Path
from typing import Any

import pytest

import servingmath as sm
from servingmath.cli import main

Q3 = ["--model", "llama3-70b", "--chip", "tpu-v5e", "--chips", "8", "--batch", "32", "--seq", "8192"]
Q3 += ["--weights", "int8", "--kv", "int8"]
MEMORY = ["memory", "--model", "llama3-70b", "--weights", "int8", "--kv", "int8", "--batch", "32"]
MEMORY += ["--seq", "8192"]
FIT = ["fit", "--model", "llama3-70b", "--chip", "tpu-v5e", "--weights", "bf16", "--kv", "bf16"]
FIT += ["--seq", "8192"]
PREFILL = ["prefill", "--model", "llama3-70b", "--chip", "tpu-v5e", "--chips", "16", "--tokens", "8192"]
PREFILL += ["--mfu", "0.4"]

LLAMA3_8B_CONFIG = {
    "_name_or_path": "meta-llama/Meta-Llama-3-8B",
    "num_hidden_layers": 32,
    "hidden_size": 4096,
    "intermediate_size": 14336,
    "num_attention_heads": 32,
    "num_key_value_heads": 8,
    "vocab_size": 128256,
}


def _reject_constant(name: str) -> float:
    raise AssertionError(f"JSON output contains {name}")


def run(capsys: pytest.CaptureFixture[str], *argv: str) -> tuple[int, str, str]:
    code = main(list(argv))
    out, err = capsys.readouterr()
    return code, out, err


def run_json(capsys: pytest.CaptureFixture[str], *argv: str) -> Any:
    code, out, err = run(capsys, *argv, "--json")
    assert (code, err) == (0, "")
    return json.loads(out, parse_constant=_reject_constant)  # NaN / Infinity would fail here


def with_option(argv: list[str], option: str, value: str) -> list[str]:
    """``argv`` with ``option``'s value replaced (or the option appended)."""
    if option in argv:
        i = argv.index(option)
        return [*argv[:i], f"{option}={value}", *argv[i + 2 :]]
    return [*argv, f"{option}={value}"]


def assert_bad_input(capsys: pytest.CaptureFixture[str], argv: list[str], option: str) -> str:
    code, out, err = run(capsys, *argv)
    assert code == 2, err
    assert out == ""
    assert "Traceback" not in err
    assert err.startswith("servingmath: error: ")
    assert err.count("\n") == 1 and err.endswith("\n"), err
    assert option in err, err
    return err


# ----------------------------------------------------------------------------- presets


def test_chips_json_lists_every_preset(capsys: pytest.CaptureFixture[str]) -> None:
    data = run_json(capsys, "chips")
    assert [c["key"] for c in data] == list(sm.CHIPS)
    v5e = next(c for c in data if c["key"] == "tpu-v5e")
    chip = sm.get_chip("tpu-v5e")
    assert v5e["hbm_bytes"] == chip.hbm_bytes and v5e["bf16_flops"] == chip.bf16_flops
    assert v5e["slices"] == [sm.slice_name(s) for s in chip.slices]
    assert "4x2" in v5e["slices"]


def test_models_json_lists_every_preset(capsys: pytest.CaptureFixture[str]) -> None:
    data = run_json(capsys, "models")
    assert [m["key"] for m in data] == list(sm.MODELS)
    m70 = next(m for m in data if m["key"] == "llama3-70b")
    model = sm.get_model("llama3-70b")
    assert (m70["L"], m70["D"], m70["K"]) == (model.L, model.D, model.K)
    assert m70["param_count"] == model.param_count
    assert m70["exact_param_count"] == model.exact_param_count


@pytest.mark.parametrize("command", ["chips", "models"])
def test_preset_lists_human(capsys: pytest.CaptureFixture[str], command: str) -> None:
    code, out, err = run(capsys, command)
    assert (code, err) == (0, "")
    assert "llama3-70b" in out if command == "models" else "tpu-v5e" in out
    assert "：" in out


# ----------------------------------------------------------------------------- memory


def test_memory_json_matches_library(capsys: pytest.CaptureFixture[str]) -> None:
    data = run_json(capsys, *MEMORY)
    b = sm.memory_budget("llama3-70b", "tpu-v5e", weights="int8", kv="int8", batch=32, seq=8192)
    expected = {
        "param_bytes": b.param_bytes,
        "kv_bytes": b.kv_bytes,
        "total_bytes": b.total_bytes,
        "min_chips": b.min_chips,
        "slice": b.slice_name,
        "slice_chips": b.slice_chips,
        "kv_bytes_per_token": sm.kv_bytes_per_token("llama3-70b", "int8"),
    }
    assert {k: data[k] for k in expected} == expected
    assert isinstance(data["slice"], str) and isinstance(data["min_chips"], int)


def test_memory_human_is_chinese_and_formatted(capsys: pytest.CaptureFixture[str]) -> None:
    code, out, _ = run(capsys, *MEMORY)
    assert code == 0
    b = sm.memory_budget("llama3-70b", "tpu-v5e", weights="int8", kv="int8", batch=32, seq=8192)
    assert f"合计：{sm.fmt(b.total_bytes, 'B')}" in out
    assert f"最小切片：{b.slice_name}" in out
    assert sm.fmt(sm.kv_bytes_per_token("llama3-70b", "int8"), "B", system="iec") in out


def test_memory_default_chip_is_v5e(capsys: pytest.CaptureFixture[str]) -> None:
    assert "--chip" not in MEMORY
    assert run_json(capsys, *MEMORY)["chip"] == "tpu-v5e"


# ----------------------------------------------------------------------------- decode


def test_decode_json_matches_library(capsys: pytest.CaptureFixture[str]) -> None:
    data = run_json(capsys, "decode", *Q3)
    step = sm.decode_step("llama3-70b", "tpu-v5e", chips=8, batch=32, seq=8192, weights="int8", kv="int8")
    t = sm.throughput(step, decode_len=512, chip="tpu-v5e")
    assert data["step_time_s"] == step.step_time_s
    assert 15e-3 < data["compute_time_s"] < 19e-3
    assert data["comm_time_s"] == step.comm_time_s > 0
    assert data["step_time_s"] == pytest.approx(data["compute_time_s"] + data["comm_time_s"], rel=1e-12)
    assert data["param_time_s"] == step.param_time_s
    assert data["kv_time_s"] == step.kv_time_s
    assert data["flops_time_s"] == step.flops_time_s
    assert data["tokens_per_s"] == t.tokens_per_s
    assert data["tokens_per_s_per_chip"] == t.tokens_per_s_per_chip
    assert data["queries_per_s_per_chip"] == t.queries_per_s_per_chip
    assert data["usd_per_million_tokens"] == t.usd_per_million_tokens
    assert data["bound"] == step.bound == "memory"
    assert (data["chips"], data["batch"], data["seq"], data["decode_len"]) == (8, 32, 8192, 512)


def test_decode_options_reach_the_library(capsys: pytest.CaptureFixture[str]) -> None:
    argv = with_option(with_option(["decode", *Q3], "--compute", "int8"), "--decode-len", "1000")
    data = run_json(capsys, *argv)
    step = sm.decode_step(
        "llama3-70b", "tpu-v5e", chips=8, batch=32, seq=8192, weights="int8", kv="int8", compute="int8"
    )
    assert data["flops_time_s"] == step.flops_time_s
    assert data["queries_per_s_per_chip"] == sm.throughput(step, decode_len=1000).queries_per_s_per_chip


def test_decode_without_price_gives_null_cost(capsys: pytest.CaptureFixture[str]) -> None:
    assert sm.get_chip("h200").price_per_hour is None
    argv = with_option(with_option(["decode", *Q3], "--chip", "h200"), "--chips", "2")
    data = run_json(capsys, *argv)
    assert data["usd_per_million_tokens"] is None
    code, out, _ = run(capsys, *argv)
    assert code == 0 and "每百万 token 成本" in out


def test_decode_human_output(capsys: pytest.CaptureFixture[str]) -> None:
    code, out, err = run(capsys, "decode", *Q3)
    assert (code, err) == (0, "")
    step = sm.decode_step("llama3-70b", "tpu-v5e", chips=8, batch=32, seq=8192, weights="int8", kv="int8")
    t = sm.throughput(step, decode_len=512, chip="tpu-v5e")
    assert f"每步时间：{sm.fmt(step.step_time_s, 's')}" in out
    assert f"每芯片吞吐量：{sm.fmt(t.tokens_per_s_per_chip, 'token/s')}" in out
    assert "受内存带宽限制" in out
    assert "nan" not in out.lower() and "inf" not in out.lower()


def test_root_json_flag(capsys: pytest.CaptureFixture[str]) -> None:
    code, out, _ = run(capsys, "--json", "decode", *Q3)
    assert code == 0
    assert json.loads(out)["step_time_s"] == run_json(capsys, "decode", *Q3)["step_time_s"]


# ----------------------------------------------------------------------------- fit, prefill


def test_fit_picks_smallest_slice_holding_the_weights(capsys: pytest.CaptureFixture[str]) -> None:
    data = run_json(capsys, *FIT)
    chip = sm.get_chip("tpu-v5e")
    shape = chip.smallest_slice(sm.min_chips(sm.param_bytes("llama3-70b", "bf16"), chip))
    chips = sm.slice_chips(shape)
    step = sm.largest_fitting_step("llama3-70b", chip, chips=chips, seq=8192, weights="bf16", kv="bf16")
    assert (data["chips"], data["slice"]) == (chips, sm.slice_name(shape))
    assert data["max_batch"] == sm.max_batch(
        "llama3-70b", chip, chips=chips, weights="bf16", kv="bf16", seq=8192
    )
    assert data["step_time_s"] == step.step_time_s
    assert data["tokens_per_s_per_chip"] == sm.throughput(step).tokens_per_s_per_chip
    assert data["queries_per_s_per_chip"] == sm.throughput(step).queries_per_s_per_chip


@pytest.mark.parametrize(("chips", "slice_"), [("8", "4x2"), ("12", None)])
def test_fit_with_chips(capsys: pytest.CaptureFixture[str], chips: str, slice_: str | None) -> None:
    data = run_json(capsys, *FIT, "--chips", chips, "--weights", "int8", "--kv", "int8")
    step = sm.largest_fitting_step(
        "llama3-70b", "tpu-v5e", chips=int(chips), seq=8192, weights="int8", kv="int8"
    )
    assert (data["chips"], data["slice"]) == (int(chips), slice_)
    assert (data["max_batch"], data["step_time_s"]) == (step.batch, step.step_time_s)


def test_fit_human_output(capsys: pytest.CaptureFixture[str]) -> None:
    code, out, _ = run(capsys, *FIT)
    data = run_json(capsys, *FIT)
    assert code == 0
    assert f"最大批大小：{sm.fmt(data['max_batch'])}" in out
    assert f"每步时间：{sm.fmt(data['step_time_s'], 's')}" in out


def test_prefill_matches_library(capsys: pytest.CaptureFixture[str]) -> None:
    data = run_json(capsys, *PREFILL)
    latency = sm.prefill_latency("llama3-70b", "tpu-v5e", chips=16, tokens=8192, mfu=0.4)
    assert data["latency_s"] == latency
    assert data["flops"] == sm.prefill_flops("llama3-70b", tokens=8192)
    code, out, _ = run(capsys, *PREFILL)
    assert code == 0 and f"预填充延迟：{sm.fmt(latency, 's')}" in out


# ----------------------------------------------------------------------------- config.json


def test_model_from_config_json(capsys: pytest.CaptureFixture[str], tmp_path: Path) -> None:
    path = tmp_path / "llama" / "config.json"
    path.parent.mkdir()
    path.write_text(json.dumps(LLAMA3_8B_CONFIG), encoding="utf-8")
    model = sm.from_hf_config(path)
    data = run_json(capsys, "memory", "--model", str(path), "--weights", "bf16", "--kv", "bf16",
                    "--batch", "4", "--seq", "1024")  # fmt: skip
    assert data["param_bytes"] == sm.param_bytes(model, "bf16") == model.exact_param_count * 2
    assert data["kv_bytes"] == sm.kv_cache_bytes(model, "bf16", batch=4, seq=1024)
    step = run_json(capsys, "decode", *with_option(Q3, "--model", str(path)))
    expected = sm.decode_step(model, "tpu-v5e", chips=8, batch=32, seq=8192, weights="int8", kv="int8")
    assert step["step_time_s"] == expected.step_time_s


@pytest.mark.parametrize(
    ("content", "needle"),
    [
        ('{"hidden_size": 4096', "not valid JSON"),
        ("[1, 2, 3]", "JSON object"),
        (json.dumps({k: v for k, v in LLAMA3_8B_CONFIG.items() if k != "vocab_size"}), "vocab_size"),
        (json.dumps({**LLAMA3_8B_CONFIG, "num_hidden_layers": 0}), "num_hidden_layers"),
        (json.dumps({**LLAMA3_8B_CONFIG, "num_key_value_heads": 7}), "num_key_value_heads"),
        (b"\xff\xfe\x00\x01", "cannot be read"),
        ("[" * 100_000 + "]" * 100_000, "not valid JSON"),
    ],
    ids=["truncated", "array", "missing-key", "zero-layers", "bad-heads", "binary", "deep"],
)
def test_malformed_config_json(
    capsys: pytest.CaptureFixture[str], tmp_path: Path, content: str | bytes, needle: str
) -> None:
    path = tmp_path / "config.json"
    if isinstance(content, bytes):
        path.write_bytes(content)
    else:
        path.write_text(content, encoding="utf-8")
    err = assert_bad_input(capsys, ["decode", *with_option(Q3, "--model", str(path))], "--model")
    assert needle in err


def test_missing_config_file(capsys: pytest.CaptureFixture[str], tmp_path: Path) -> None:
    assert_bad_input(capsys, with_option(MEMORY, "--model", str(tmp_path / "nope.json")), "--model")


# ----------------------------------------------------------------------------- bad input

BAD_NUMBERS = [
    "0",
    "-1",
    "nan",
    "NaN",
    "inf",
    "-inf",
    "abc",
    "",
    "1e400",
    "99999999999999",
    "2.5",
    "1" * 5000,
]
COUNT_OPTIONS = [
    (["decode", *Q3], "--batch"),
    (["decode", *Q3], "--seq"),
    (["decode", *Q3], "--chips"),
    (["decode", *Q3], "--decode-len"),
    (MEMORY, "--batch"),
    (MEMORY, "--seq"),
    (FIT, "--seq"),
    (FIT, "--chips"),
    (FIT, "--decode-len"),
    (PREFILL, "--chips"),
    (PREFILL, "--tokens"),
]


@pytest.mark.parametrize("value", BAD_NUMBERS)
@pytest.mark.parametrize(("argv", "option"), COUNT_OPTIONS, ids=lambda x: x if isinstance(x, str) else x[0])
def test_bad_counts_exit_2(
    capsys: pytest.CaptureFixture[str], argv: list[str], option: str, value: str
) -> None:
    err = assert_bad_input(capsys, with_option(argv, option, value), option)
    assert "must be an integer" in err


def test_batch_zero_message(capsys: pytest.CaptureFixture[str]) -> None:
    err = assert_bad_input(capsys, with_option(["decode", *Q3], "--batch", "0"), "--batch")
    assert err == f"servingmath: error: --batch must be an integer in [1, {sm.memory.MAX_BATCH}], got 0\n"


@pytest.mark.parametrize("value", ["0", "-0.5", "1.5", "nan", "inf", "abc", "", "1" + "0" * 400])
def test_bad_mfu_exit_2(capsys: pytest.CaptureFixture[str], value: str) -> None:
    assert_bad_input(capsys, with_option(PREFILL, "--mfu", value), "--mfu")


def test_negative_value_as_separate_argument(capsys: pytest.CaptureFixture[str]) -> None:
    i = Q3.index("--batch")
    assert_bad_input(capsys, ["decode", *Q3[:i], *Q3[i + 2 :], "--batch", "-1"], "--batch")
    assert_bad_input(capsys, ["decode", *Q3[:i], *Q3[i + 2 :], "--batch", "-inf"], "--batch")


@pytest.mark.parametrize(
    ("option", "value", "needle"),
    [
        ("--model", "gpt-5", "unknown model"),
        ("--chip", "tpu-v9", "unknown chip"),
        ("--weights", "fp32", "unknown dtype"),
        ("--kv", "fp32", "unknown dtype"),
        ("--compute", "fp32", "unknown dtype"),
        ("--compute", "fp8", "not supported by TPU v5e"),
        ("--compute", "int4", "not supported"),
    ],
)
def test_unknown_names_exit_2(
    capsys: pytest.CaptureFixture[str], option: str, value: str, needle: str
) -> None:
    err = assert_bad_input(capsys, with_option(["decode", *Q3], option, value), option)
    assert needle in err


def test_does_not_fit(capsys: pytest.CaptureFixture[str]) -> None:
    big = with_option(
        with_option(with_option(Q3, "--model", "llama3-405b"), "--weights", "bf16"), "--chips", "1"
    )
    err = assert_bad_input(capsys, ["decode", *big], "--chips")
    need = sm.min_chips(sm.param_bytes("llama3-405b", "bf16"), "tpu-v5e")
    assert f">= {need}" in err
    fit = with_option(with_option(FIT, "--model", "llama3-405b"), "--chips", "1")
    assert_bad_input(capsys, fit, "--chips")
    # the weights fit but the KV caches do not
    assert_bad_input(capsys, with_option(["decode", *Q3], "--batch", "1000"), "--batch")
    # not one sequence fits beside the weights
    assert_bad_input(capsys, [*FIT, "--chips", "9", "--seq", "8000000"], "--seq")


def test_too_big_for_any_slice(capsys: pytest.CaptureFixture[str]) -> None:
    argv = with_option(with_option(MEMORY, "--model", "llama3-405b"), "--batch", "100000")
    err = assert_bad_input(capsys, argv, "--batch")
    assert "largest TPU v5e slice" in err


def test_model_too_big_for_any_slice(capsys: pytest.CaptureFixture[str], tmp_path: Path) -> None:
    path = tmp_path / "config.json"
    path.write_text(json.dumps({**LLAMA3_8B_CONFIG, "num_hidden_layers": 10**6}), encoding="utf-8")
    model = sm.from_hf_config(path)
    chip = sm.get_chip("tpu-v5e")
    assert sm.min_chips(sm.param_bytes(model, "int4"), chip) > sm.slice_chips(chip.slices[-1])
    assert_bad_input(capsys, with_option(FIT, "--model", str(path)), "--model")
    assert_bad_input(capsys, with_option(MEMORY, "--model", str(path)), "--model")


@pytest.mark.parametrize(
    "argv",
    [[], ["bogus"], ["decode"], ["decode", "--model", "llama3-70b"], ["decode", *Q3, "--frobnicate", "1"]],
    ids=["no-command", "unknown-command", "no-options", "missing-options", "unknown-option"],
)
def test_argparse_errors_exit_2(capsys: pytest.CaptureFixture[str], argv: list[str]) -> None:
    code, out, err = run(capsys, *argv)
    assert code == 2 and out == ""
    assert err.startswith("servingmath: error: ") and err.count("\n") == 1
    assert "Traceback" not in err


def test_help_exits_0(capsys: pytest.CaptureFixture[str]) -> None:
    code, out, _ = run(capsys, "decode", "--help")
    assert code == 0 and "--batch" in out


# ----------------------------------------------------------------------------- as a program


def _subprocess(*argv: str) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "PYTHONIOENCODING": "utf-8"}
    return subprocess.run(
        [sys.executable, "-m", "servingmath", *argv],
        capture_output=True,
        text=True,
        encoding="utf-8",
        env=env,
        timeout=120,
        check=False,
    )


def test_python_dash_m_json() -> None:
    proc = _subprocess("decode", *Q3, "--json")
    assert (proc.returncode, proc.stderr) == (0, "")
    step = sm.decode_step("llama3-70b", "tpu-v5e", chips=8, batch=32, seq=8192, weights="int8", kv="int8")
    assert json.loads(proc.stdout)["step_time_s"] == step.step_time_s


def test_python_dash_m_human_and_error() -> None:
    proc = _subprocess("decode", *Q3)
    assert proc.returncode == 0 and "每步时间：" in proc.stdout
    proc = _subprocess("decode", *with_option(Q3, "--batch", "0"))
    assert proc.returncode == 2 and proc.stdout == ""
    assert proc.stderr.startswith("servingmath: error: --batch") and "Traceback" not in proc.stderr
    assert proc.stderr.count("\n") == 1


def test_console_script_declared() -> None:
    (script,) = [e for e in entry_points(group="console_scripts") if e.name == "servingmath"]
    assert script.load() is main


def test_json_numbers_are_finite(capsys: pytest.CaptureFixture[str]) -> None:
    for argv in (["decode", *Q3], MEMORY, FIT, PREFILL):
        data = run_json(capsys, *argv)
        numbers = [v for v in data.values() if isinstance(v, float)]
        assert numbers and all(math.isfinite(v) for v in numbers)
