"""The command line's errors are Chinese like its help and output; pipes, model directories, slices."""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
from pathlib import Path

import pytest
from test_cli import COUNT_OPTIONS, FIT, LLAMA3_8B_CONFIG, MEMORY, PREFILL, Q3, run, with_option

import servingmath as sm
from servingmath.cli import ERROR_PREFIX
from servingmath.cli_messages import zh

CJK = re.compile(r"[\u4e00-\u9fff]")


def chinese_error(capsys: pytest.CaptureFixture[str], argv: list[str], *needles: str) -> str:
    """Run a bad command line: status 2, one line, Chinese after the prefix, every needle kept."""
    code, out, err = run(capsys, *argv)
    assert (code, out) == (2, ""), err
    assert err.startswith(ERROR_PREFIX) and err.count("\n") == 1, err
    message = err[len(ERROR_PREFIX) :]
    assert CJK.search(message), f"not Chinese: {err}"
    assert " must " not in message and "choose one of" not in message, f"half translated: {err}"
    for needle in needles:
        assert needle in err, (needle, err)
    return err


@pytest.mark.parametrize("value", ["0", "-1", "2.5", "abc", "1" + "0" * 30])
@pytest.mark.parametrize(("argv", "option"), COUNT_OPTIONS, ids=lambda x: x if isinstance(x, str) else x[0])
def test_count_errors_are_chinese_with_option_and_range(
    capsys: pytest.CaptureFixture[str], argv: list[str], option: str, value: str
) -> None:
    err = chinese_error(capsys, with_option(argv, option, value), option, "[1, ")
    assert "之间的整数" in err


@pytest.mark.parametrize(
    ("argv", "needles"),
    [
        (with_option(["decode", *Q3], "--model", "gpt-5"), ("--model", "gpt-5", "llama3-70b")),
        (with_option(["decode", *Q3], "--chip", "tpu-v9"), ("--chip", "tpu-v5e")),
        (with_option(["decode", *Q3], "--weights", "fp32"), ("--weights", "int8")),
        ([*with_option(["decode", *Q3], "--constants", "foo")], ("--constants", "book, spec")),
        (with_option(["decode", *Q3], "--compute", "int4"), ("--compute", "int4", "bf16")),
        (with_option(PREFILL, "--mfu", "2"), ("--mfu", "(0, 1]")),
        (with_option(PREFILL, "--mfu", "0"), ("--mfu", "0")),
        (with_option(["decode", *Q3], "--batch", "1000"), ("--batch", "1000")),
        (with_option(MEMORY, "--batch", "100000"), ("--batch", "16x16")),
        (with_option(with_option(FIT, "--model", "llama3-405b"), "--chips", "1"), ("--chips", ">= ")),
        ([*FIT, "--chips", "16", "--seq", "8000000", "--allow-beyond-context"], ("--seq", "<= ")),
        ([*FIT, "--chips", "16", "--seq", "8000000"], ("--seq", "8192", "--allow-beyond-context")),
        ([*with_option(["decode", *Q3], "--chip-file", "/nonexistent.toml")], ("--chip-file",)),
        ([], ("COMMAND",)),
        (["bogus"], ("bogus", "decode")),
        (["decode", "--model", "llama3-70b"], ("--chips", "--batch")),
        (["decode", *Q3, "--frobnicate", "1"], ("--frobnicate",)),
        (["decode", "--model", "llama3-70b", "--chips"], ("--chips",)),
    ],
    ids=lambda x: None,
)
def test_other_errors_are_chinese(
    capsys: pytest.CaptureFixture[str], argv: list[str], needles: tuple[str]
) -> None:
    chinese_error(capsys, argv, *needles)


@pytest.mark.parametrize("content", ['{"hidden_size": 4096', "[1, 2, 3]", json.dumps({"hidden_size": 8})])
def test_config_errors_are_chinese(capsys: pytest.CaptureFixture[str], tmp_path: Path, content: str) -> None:
    path = tmp_path / "config.json"
    path.write_text(content, encoding="utf-8")
    chinese_error(capsys, ["decode", *with_option(Q3, "--model", str(path))], "--model")


def test_an_unknown_message_is_kept_whole() -> None:
    assert zh("--batch: something servingmath adds later") == "--batch: something servingmath adds later"


# ----------------------------------------------------------------------------- slices


@pytest.mark.parametrize("command", [["decode", *Q3], [*FIT, "--chips", "8"]], ids=["decode", "fit"])
def test_chip_counts_must_be_offered_slices(capsys: pytest.CaptureFixture[str], command: list[str]) -> None:
    sizes = ", ".join(str(sm.slice_chips(s)) for s in sm.get_chip("tpu-v5e").slices)
    err = chinese_error(capsys, with_option(command, "--chips", "5"), "--chips 5", sizes)
    assert "切片" in err
    code, _, err = run(capsys, *with_option(command, "--chips", "16"))
    assert (code, err) == (0, "")


# ----------------------------------------------------------------------------- model directories


def test_a_hugging_face_model_directory_reads_its_config(
    capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    model_dir = tmp_path / "Meta-Llama-3-8B"
    model_dir.mkdir()
    (model_dir / "config.json").write_text(json.dumps(LLAMA3_8B_CONFIG), encoding="utf-8")
    (model_dir / "tokenizer.json").write_text("{}", encoding="utf-8")
    code, out, err = run(capsys, *with_option(MEMORY, "--model", str(model_dir)), "--json")
    assert (code, err) == (0, "")
    by_dir = json.loads(out)
    by_file = json.loads(
        run(capsys, *with_option(MEMORY, "--model", str(model_dir / "config.json")), "--json")[1]
    )
    assert {k: v for k, v in by_dir.items() if k != "model"} == {
        k: v for k, v in by_file.items() if k != "model"
    }
    assert by_dir["param_bytes"] == sm.param_bytes(sm.from_hf_config(model_dir / "config.json"), "int8")


def test_a_directory_without_config_is_refused(capsys: pytest.CaptureFixture[str], tmp_path: Path) -> None:
    chinese_error(
        capsys, with_option(MEMORY, "--model", str(tmp_path)), "--model", "config.json", str(tmp_path)
    )


# ----------------------------------------------------------------------------- pipes


@pytest.mark.parametrize("argv", [["--json", "chips"], ["models"]])
def test_a_closed_pipe_is_no_error(argv: list[str]) -> None:
    """``servingmath --json chips | true``: the reader leaves before the output; no traceback."""
    proc = subprocess.Popen(
        [sys.executable, "-m", "servingmath", *argv],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        env={**os.environ, "PYTHONIOENCODING": "utf-8"},
    )
    assert proc.stdout is not None and proc.stderr is not None
    proc.stdout.close()  # like `| true`: nobody reads
    err = proc.stderr.read().decode("utf-8")
    proc.wait(timeout=120)
    assert err == "", err
    assert proc.returncode == 0


@pytest.mark.parametrize(
    ("old", "new", "field"),
    [
        ('bf16_flops = "312 TFLOP/s"', 'bf16_flops = "fast"', "bf16_flops"),
        ('bf16_flops = "312 TFLOP/s"', 'bf16_flops = "312 TFLOP/fortnight"', "bf16_flops"),
        ('bf16_flops = "312 TFLOP/s"\n', "", "bf16_flops"),
        ('bf16_flops = "312 TFLOP/s"', 'bf16_flops = "312 TFLOP/s"\nhbm_bandwith = "1 TB/s"', "hbm_bandwith"),
        ('["1", "2", "4", "8"]', '["1", "two"]', "slices"),
    ],
    ids=["not-a-quantity", "unknown-unit", "missing", "unknown-field", "bad-slices"],
)
def test_chip_file_errors_are_chinese(
    capsys: pytest.CaptureFixture[str], tmp_path: Path, old: str, new: str, field: str
) -> None:
    from test_chip_file import A100_TOML, DECODE

    assert old in A100_TOML
    path = tmp_path / "chip.toml"
    path.write_text(A100_TOML.replace(old, new, 1), encoding="utf-8")
    chinese_error(capsys, [*DECODE, "--chip-file", str(path)], "--chip-file", field, str(path))
