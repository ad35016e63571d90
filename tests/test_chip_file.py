"""Chips from TOML/JSON files (--chip-file), the A100 presets, and `servingmath chips`."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

import servingmath as sm
from servingmath.chip_file import chip_from_dict, load_chip_file
from servingmath.cli import main
from servingmath.errors import InvalidInputError

A100_TOML = """\
name = "NVIDIA A100 SXM 40GB"
bf16_flops = "312 TFLOP/s"
int8_ops = "624 TOP/s"
hbm_bytes = "40 GiB"
hbm_bw = "1555 GB/s"
ici_bw = "600 GB/s"
slices = ["1", "2", "4", "8"]
[sources]
hbm_bw = "NVIDIA A100 datasheet"
"""
FIELDS = {
    "name": "NVIDIA A100 SXM 40GB",
    "bf16_flops": 3.12e14,
    "int8_ops": "624 TOP/s",
    "hbm_bytes": "40 GiB",
    "hbm_bw": 1.555e12,
    "ici_bw": "600 GB/s",
}
DECODE = ["decode", "--model", "llama3-8b", "--chips", "1", "--batch", "1", "--seq", "2048",
          "--weights", "bf16", "--kv", "bf16"]  # fmt: skip


def run(capsys: pytest.CaptureFixture[str], *argv: str) -> tuple[int, str, str]:
    code = main(list(argv))
    out, err = capsys.readouterr()
    return code, out, err


def write(tmp_path: Path, text: str, name: str = "my_chip.toml") -> Path:
    path = tmp_path / name
    path.write_text(text, encoding="utf-8")
    return path


def test_toml_and_json_give_the_same_chip(tmp_path: Path) -> None:
    toml_chip = load_chip_file(write(tmp_path, A100_TOML, "a100.toml"))
    json_chip = load_chip_file(write(tmp_path, json.dumps({**FIELDS, "slices": [1, 2, 4, 8]}), "a100.json"))
    assert toml_chip == json_chip
    preset = sm.get_chip("a100-40gb")
    for f in ("bf16_flops", "int8_ops", "hbm_bytes", "hbm_bw", "ici_bw"):
        assert getattr(toml_chip, f) == getattr(preset, f), f
    assert toml_chip.constants == "file" and toml_chip.fp8_flops is None
    assert toml_chip.source("hbm_bw") == "NVIDIA A100 datasheet"
    assert "a100.toml" in toml_chip.source("bf16_flops")


def test_file_chip_through_the_cli_matches_the_preset(
    capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    path = write(tmp_path, A100_TOML)
    code, out, err = run(capsys, *DECODE, "--chip-file", str(path), "--json")
    assert (code, err) == (0, "")
    preset = json.loads(run(capsys, *DECODE, "--chip", "a100-40gb", "--json")[1])
    assert json.loads(out)["step_time_s"] == preset["step_time_s"]


@pytest.mark.parametrize(
    ("change", "field"),
    [
        (lambda t: t.replace('hbm_bw = "1555 GB/s"\n', ""), "hbm_bw"),  # missing
        (lambda t: t.replace('hbm_bw = "1555 GB/s"', 'hbm_bw = "-1555 GB/s"'), "hbm_bw"),  # negative
        (lambda t: t.replace('hbm_bw = "1555 GB/s"', 'hbm_bw = "1555 GB/fortnight"'), "hbm_bw"),  # unit
        (lambda t: t.replace('ici_bw = "600 GB/s"', "ici_bw = 0"), "ici_bw"),  # zero
        (lambda t: t.replace('hbm_bytes = "40 GiB"', 'hbm_bytes = "40 GB/s"'), "hbm_bytes"),  # wrong kind
        (lambda t: t.replace('bf16_flops = "312 TFLOP/s"', 'bf16_flops = "fast"'), "bf16_flops"),
        (lambda t: 'hbm_bandwith = "1 TB/s"\n' + t, "hbm_bandwith"),  # a typo: unknown field
        (lambda t: t.replace('name = "NVIDIA A100 SXM 40GB"\n', ""), "name"),
        (lambda t: t.replace('["1", "2", "4", "8"]', '["1", "two"]'), "slices"),
    ],
    ids=[
        "missing",
        "negative",
        "unknown-unit",
        "zero",
        "wrong-kind",
        "not-a-number",
        "unknown-field",
        "no-name",
        "bad-slices",
    ],
)
def test_bad_chip_file_exits_2_naming_the_field(
    capsys: pytest.CaptureFixture[str], tmp_path: Path, change: object, field: str
) -> None:
    text = change(A100_TOML)  # type: ignore[operator]
    assert text != A100_TOML
    path = write(tmp_path, text)
    with pytest.raises(InvalidInputError) as e:
        load_chip_file(path)
    assert e.value.param == field
    code, out, err = run(capsys, *DECODE, "--chip-file", str(path))
    assert (code, out) == (2, "")
    assert err.startswith("servingmath: error: --chip-file:") and field in err and err.count("\n") == 1


def test_unreadable_or_malformed_file(capsys: pytest.CaptureFixture[str], tmp_path: Path) -> None:
    for path, needle in (
        (tmp_path / "nope.toml", "cannot be read"),
        (write(tmp_path, "name = [", "bad.toml"), "not valid TOML"),
        (write(tmp_path, "{", "bad.json"), "not valid JSON"),
        (write(tmp_path, "[1]", "list.json"), "table of fields"),
    ):
        code, _, err = run(capsys, *DECODE, "--chip-file", str(path))
        assert code == 2 and needle in err and "--chip-file" in err


def test_chip_and_chip_file_together(capsys: pytest.CaptureFixture[str], tmp_path: Path) -> None:
    code, _, err = run(capsys, *DECODE, "--chip", "h100", "--chip-file", str(write(tmp_path, A100_TOML)))
    assert code == 2 and "either --chip or --chip-file" in err


def test_tpu_file_chip_uses_its_wraparound(tmp_path: Path) -> None:
    chip = chip_from_dict(
        {**FIELDS, "slices": ["4x4", "16x16"], "wraparound": "axis16", "ici_bw": "90 GB/s"}, "tpu.toml"
    )
    assert chip.has_wraparound(16) and not chip.has_wraparound(4)
    with pytest.raises(InvalidInputError, match="wraparound must be one of"):
        chip_from_dict({**FIELDS, "wraparound": "ring"})


def test_chips_lists_presets_including_a100(capsys: pytest.CaptureFixture[str], tmp_path: Path) -> None:
    code, out, _ = run(capsys, "chips", "--json")
    keys = [c["key"] for c in json.loads(out)]
    assert code == 0 and {"a100-40gb", "a100-80gb", "h100", "tpu-v5e"} <= set(keys)
    code, out, _ = run(capsys, "chips", "--chip-file", str(write(tmp_path, A100_TOML)))
    assert code == 0 and "NVIDIA A100 SXM 40GB" in out and "h100" not in out


def test_a100_presets_have_sources() -> None:
    for key, hbm_gib, bw in (("a100-40gb", 40, 1.555e12), ("a100-80gb", 80, 2.039e12)):
        c = sm.get_chip(key)
        assert c.hbm_bytes == hbm_gib * 2**30 and c.hbm_bw == bw and c.bf16_flops == 3.12e14
        assert all("nvidia.com" in c.source(f) for f in ("bf16_flops", "hbm_bw", "hbm_bytes", "ici_bw"))
        assert sm.get_chip(key, constants="book").hbm_bw == bw  # the book states no A100 figure
