"""Command-line calculator: ``servingmath`` or ``python -m servingmath``.

Every number comes from the library and is shown through :func:`servingmath.units.fmt`;
``--json`` prints one JSON value in base units (bytes, seconds, plain numbers) instead.
Bad input exits with status 2 and one line on stderr, in Chinese like the help and output,
naming the option at fault and its allowed range (:mod:`servingmath.cli_messages`).
Every command takes ``--constants book|spec`` (the chip figures: the book's, or the vendors',
by default ``spec``) and says which set it used.

>>> main(["decode", "--model", "llama3-70b", "--chip", "tpu-v5e", "--chips", "8", "--batch", "32",
...       "--seq", "8192", "--weights", "int8", "--kv", "int8"])
常数：厂商规格（--constants spec）
模型：LLaMA 3-70B（权重 int8，KV 缓存 int8，计算 bf16）
芯片：8 × TPU v5e
批大小：32，序列长度：8,192，解码长度：512
每步时间：20.1 ms（受内存带宽限制）
...
0
>>> main(["decode", "--model", "llama3-70b", "--chips", "8", "--batch", "0", "--seq", "8192",
...       "--weights", "int8", "--kv", "int8"])
2
"""

from __future__ import annotations

import argparse
import io
import json
import os
import sys
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import asdict
from pathlib import Path
from typing import Any, NoReturn

from servingmath.breakdown import breakdown
from servingmath.chip_file import load_chip_file
from servingmath.chips import (
    CHIP_SETS,
    CONSTANT_LABELS,
    CONSTANT_SETS,
    DEFAULT_CONSTANTS,
    Chip,
    check_constants,
    get_chip,
    slice_chips,
    slice_name,
)
from servingmath.cli_messages import zh
from servingmath.comm import CommCost, decode_comm
from servingmath.dtypes import DType, get_dtype
from servingmath.errors import (
    MAX_BATCH,
    MAX_CHIPS,
    MAX_DECODE_LEN,
    MAX_SEQ,
    MAX_TOKENS,
    DoesNotFitError,
    InvalidInputError,
    check_count,
    check_fraction,
)
from servingmath.memory import (
    KV_SHARDINGS,
    hbm_left_for_kv,
    kv_bytes_per_token,
    kv_cache_bytes,
    kv_replication_note,
    memory_budget,
    min_chips,
    param_bytes,
)
from servingmath.models import MODELS, Model, get_model
from servingmath.prefill import prefill_flops, prefill_latency
from servingmath.roofline import OVERLAPS, DecodeStep, decode_step, largest_fitting_step, throughput
from servingmath.units import fmt

PROG = "servingmath"
ERROR_PREFIX = f"{PROG}：错误："
# CLI option -> the library parameter it feeds (as named in InvalidInputError.param).
PARAM_FOR_OPTION = {
    "--model": "model",
    "--chip": "chip",
    "--chips": "chips",
    "--batch": "batch",
    "--seq": "seq",
    "--decode-len": "decode_len",
    "--tokens": "tokens",
    "--mfu": "mfu",
    "--compute": "compute",
    "--chip-file": "chip_file",
    "--constants": "constants",
}
OPTION_FOR_PARAM = {param: option for option, param in PARAM_FOR_OPTION.items()}

Json = dict[str, Any]
Report = tuple[Json | list[Json], list[str]]  # (--json value, human-readable lines)


class CliError(Exception):
    """Bad input; the message already names the command-line option."""


class _Parser(argparse.ArgumentParser):
    """argparse that reports errors as :class:`CliError` (one line, no usage dump)."""

    def error(self, message: str) -> NoReturn:
        raise CliError(f"{message} (see '{self.prog} --help')")


def _one_line(text: str) -> str:
    return " ".join(text.split())


def _message(option: str | None, err: InvalidInputError) -> str:
    """The library's message with its parameter name swapped for the CLI option."""
    msg = _one_line(str(err))
    if option is None or msg.startswith(f"{option} "):
        return msg
    if PARAM_FOR_OPTION.get(option) == err.param and msg.startswith(f"{err.param} "):
        return option + msg[len(err.param) :]
    return f"{option}: {msg}"


@contextmanager
def _blame(option: str | None = None) -> Iterator[None]:
    """Turn an :class:`InvalidInputError` into a :class:`CliError` naming ``option``
    (by default the option that feeds the library parameter in the error)."""
    try:
        yield
    except InvalidInputError as e:
        raise CliError(_message(option or OPTION_FOR_PARAM.get(e.param), e)) from e


def _number(text: str) -> int | float | str:
    """``text`` as an int, else a float, else unchanged (the library then rejects it by name)."""
    for convert in (int, float):
        try:
            return convert(text)
        except ValueError:
            pass
    return text


def _count(option: str, text: str, maximum: int) -> int:
    with _blame(option):
        return check_count(option, _number(text), maximum=maximum)


def _model_path(text: str) -> str:
    """A Hugging Face model directory stands for its config.json; anything else is kept."""
    path = Path(text)
    try:
        is_dir = path.is_dir()
    except (OSError, ValueError):  # a name too long to be a path
        is_dir = False
    if not is_dir:
        return text
    if not (path / "config.json").is_file():
        raise CliError(f"--model：目录 {text!r} 里没有 config.json（Hugging Face 模型目录应该有）")
    return str(path / "config.json")


def _model_of(args: argparse.Namespace) -> Model:
    """--model (a preset, a config.json or a model directory) under the chosen constant set
    (``book``: the chapter's premises)."""
    path = _model_path(args.model)
    with _blame("--model"):
        return get_model(path, constants=_constants(args))


def _slice_count(text: str, chip: Chip) -> int:
    """``--chips``: a chip count that is one of ``chip``'s offered slices."""
    chips = _count("--chips", text, MAX_CHIPS)
    offered = [slice_chips(s) for s in chip.slices]
    if chips not in offered:
        sizes = ", ".join(str(n) for n in offered)
        raise CliError(f"--chips {chips} 不是 {chip.name} 提供的切片大小；可选：{sizes}")
    return chips


def _constants(args: argparse.Namespace) -> str:
    with _blame("--constants"):
        return check_constants(args.constants)


def _chip_of(args: argparse.Namespace) -> Chip:
    """--chip (a preset under the chosen constant set) or --chip-file (a chip described in a
    TOML or JSON file; errors name the file's field)."""
    path = getattr(args, "chip_file", None)
    if path is None:
        with _blame("--chip"):
            return get_chip(args.chip or "tpu-v5e", constants=_constants(args))
    if args.chip is not None:
        raise CliError("--chip-file: give either --chip or --chip-file, not both")
    with _blame("--chip-file"):
        return load_chip_file(path)


def _constants_line(constants: str) -> str:
    return f"常数：{CONSTANT_LABELS[constants]}（--constants {constants}）"


def _with_constants(report: Report, constants: str) -> Report:
    """Say which constant set a command used: a first line, and a field in the JSON object."""
    data, lines = report
    if isinstance(data, dict):
        data = {"constants": constants, **data}
    return data, [_constants_line(constants), *lines]


def _dtype(option: str, text: str) -> DType:
    with _blame(option):
        return get_dtype(text)


def _compute(text: str, chip: Chip) -> DType:
    d = _dtype("--compute", text)
    with _blame("--compute"):
        chip.flops(d)
    return d


def _bytes(value: float) -> str:
    """Bytes in SI prefixes, with the IEC figure beside it when it reads differently."""
    si, iec = fmt(value, "B"), fmt(value, "B", system="iec")
    return si if si == iec else f"{si}（{iec}）"


def _largest_slice(chip: Chip) -> tuple[str, int]:
    shape = chip.slices[-1]
    return slice_name(shape), slice_chips(shape)


def _too_big(option: str, what: str, need: float, chip: Chip, advice: str) -> CliError:
    name, n = _largest_slice(chip)
    return CliError(
        f"{option}: {what} need {fmt(need, 'B')}, more than the largest {chip.name} slice "
        f"({name}, {fmt(n)} chips, {fmt(n * chip.hbm_bytes, 'B')}) holds; {advice}"
    )


# ----------------------------------------------------------------------------- chips, models


def _chip_json(c: Chip) -> Json:
    data = asdict(c)
    data["slices"] = [slice_name(s) for s in c.slices]
    return data


_WRAP = {"axis16": "长度为 16 的轴有环回链路", "cube4": "4 的倍数长的轴有环回链路", "switch": "交换机全连接"}


def _hbm_text(c: Chip) -> str:
    """HBM as each set states it: GiB (the physical size) under spec, GB under book; bytes beside."""
    system = "iec" if c.constants == "spec" else "si"
    return f"{fmt(c.hbm_bytes, 'B', system=system)}（{fmt(c.hbm_bytes, sig=6)} 字节）"


def _chip_lines(c: Chip) -> list[str]:
    fp8 = fmt(c.fp8_flops, "FLOP/s") if c.fp8_flops is not None else "不支持"
    price = f"{fmt(c.price_per_hour, '$')} / 芯片·小时" if c.price_per_hour is not None else "无公开价格"
    rows = [
        ("bf16 算力", fmt(c.bf16_flops, "FLOP/s"), "bf16_flops"),
        ("int8 算力", fmt(c.int8_ops, "OP/s"), "int8_ops"),
        ("fp8 算力", fp8, "fp8_flops"),
        ("HBM 容量", _hbm_text(c), "hbm_bytes"),
        ("HBM 带宽", fmt(c.hbm_bw, "B/s"), "hbm_bw"),
        ("互联带宽（每条链路，双向）", f"{fmt(c.ici_bw, 'B/s')}；{_WRAP[c.wraparound]}", "ici_bw"),
        ("价格", price, "price_per_hour"),
    ]
    return [
        f"{c.key}：{c.name}",
        *(f"  {label}：{value}  [来源：{c.source(field)}]" for label, value, field in rows),
        f"  切片：{', '.join(slice_name(s) for s in c.slices)}",
    ]


def cmd_chips(args: argparse.Namespace) -> Report:
    if args.chip_file is not None:
        with _blame("--chip-file"):
            chips = [load_chip_file(args.chip_file)]
    else:
        chips = list(CHIP_SETS[_constants(args)].values())
    lines = [line for c in chips for line in _chip_lines(c)]
    return [_chip_json(c) for c in chips], lines


def _model_json(m: Model) -> Json:
    data = asdict(m)
    data.update(
        param_count=m.param_count,
        exact_param_count=m.exact_param_count,
        active_param_count=m.active_param_count,
        streamed_param_count_batch_1=m.streamed_param_count(batch=1),
        kv_elements_per_token=m.kv_elements_per_token,
    )
    return data


def _model_lines(m: Model) -> list[str]:
    return [
        f"{m.key}：{m.name}",
        f"  参数量：{fmt(m.param_count, 'params')}",
        f"  按形状精确计算的参数量：{fmt(m.exact_param_count, 'params', sig=6)}",
        f"  层数 L：{fmt(m.L)}；隐藏维度 D：{fmt(m.D)}；前馈维度 F：{fmt(m.F)}",
        f"  查询头 N：{fmt(m.N)}；KV 头 K：{fmt(m.K)}；头维度 H：{fmt(m.H)}；词表 V：{fmt(m.V)}",
        f"  每 token 的 KV 缓存元素数（2KHL）：{fmt(m.kv_elements_per_token)}",
        *_model_extra_lines(m),
    ]


def _model_extra_lines(m: Model) -> list[str]:
    lines = []
    if m.is_moe:
        lines.append(
            f"  混合专家：{fmt(m.experts)} 个专家，每 token 选 {fmt(m.experts_per_token)} 个；"
            f"每 token 激活的参数量：{fmt(m.active_param_count, 'params', sig=4)}"
        )
    if m.max_positions is not None:
        lines.append(f"  上下文窗口（max_position_embeddings）：{fmt(m.max_positions)} 个 token")
    return lines


def cmd_models(args: argparse.Namespace) -> Report:
    models = [get_model(key, constants=_constants(args)) for key in MODELS]
    lines = [line for m in models for line in _model_lines(m)]
    return [_model_json(m) for m in models], lines


# ----------------------------------------------------------------------------- memory


def _comm_options(args: argparse.Namespace) -> dict[str, Any]:
    """--no-comm and --overlap as library keyword arguments."""
    return {"comm": False if args.no_comm else None, "overlap": args.overlap}


def _comm_line(s: DecodeStep, comm: CommCost) -> str:
    if comm.collectives == 0:
        return "  张量并行通信：无（单芯片）"
    where = "×".join(str(a) for a in comm.axes)
    wrap = (
        "有环绕链路"
        if all(comm.wraparound)
        else "无环绕链路"
        if not any(comm.wraparound)
        else "部分轴有环绕链路"
    )
    link = {"ici": f"ICI {where}，{wrap}", "nvlink": "NVLink", "network": "跨节点网络"}[comm.interconnect]
    what = f"{fmt(comm.collectives)} 次 all-reduce，{link}"
    if s.comm_time_s == 0:
        return f"  张量并行通信：未计入（按原章的模型；若计入为 {fmt(comm.time_s, 's')}，{what}）"
    mode = "与计算完全重叠" if s.overlap == "full" else "不与计算重叠，直接相加"
    return f"  张量并行通信：{fmt(s.comm_time_s, 's')}（{what}；{mode}）"


def _kv_options(args: argparse.Namespace) -> dict[str, Any]:
    """--kv-sharding and --allow-beyond-context as library keyword arguments."""
    return {"kv_sharding": args.kv_sharding, "allow_beyond_context": args.allow_beyond_context}


def _replication_line(m: Model, tp: int, kv_sharding: str | None) -> list[str]:
    note = kv_replication_note(m, tp=tp, kv_sharding=kv_sharding)
    return [f"  注：{note}"] if note else []


def cmd_memory(args: argparse.Namespace) -> Report:
    m, c = _model_of(args), _chip_of(args)
    w, kv = _dtype("--weights", args.weights), _dtype("--kv", args.kv)
    batch = _count("--batch", args.batch, MAX_BATCH)
    seq = _count("--seq", args.seq, MAX_SEQ)
    kw = _kv_options(args)
    with _blame():
        p = param_bytes(m, w)
        k = kv_cache_bytes(m, kv, batch=batch, seq=seq, allow_beyond_context=args.allow_beyond_context)
        if min_chips(p, c) > _largest_slice(c)[1]:
            raise _too_big("--model", f"{m.name}'s {w.name} weights", p, c, "use --weights int8/int4")
        if min_chips(p + k, c) > _largest_slice(c)[1]:
            raise _too_big("--batch", "weights and KV caches", p + k, c, "lower --batch or --seq")
        try:
            b = memory_budget(m, c, weights=w, kv=kv, batch=batch, seq=seq, **kw)
        except DoesNotFitError:  # replicated KV heads outgrow every slice
            raise _too_big("--batch", "weights and KV caches", p + k, c, "lower --batch or --seq") from None
    data: Json = {
        "model": m.key,
        "chip": c.key,
        "weights": w.name,
        "kv": kv.name,
        "batch": batch,
        "seq": seq,
        "param_bytes": b.param_bytes,
        "kv_bytes_per_token": kv_bytes_per_token(m, kv),
        "kv_bytes": b.kv_bytes,
        "kv_replication": b.kv_replication,
        "kv_note": kv_replication_note(m, tp=b.slice_chips, kv_sharding=args.kv_sharding),
        "total_bytes": b.total_bytes,
        "hbm_bytes_per_chip": c.hbm_bytes,
        "min_chips": b.min_chips,
        "slice": b.slice_name,
        "slice_chips": b.slice_chips,
    }
    lines = [
        f"模型：{m.name}（权重 {w.name}，KV 缓存 {kv.name}）",
        f"芯片：{c.name}，每芯片 HBM {_bytes(c.hbm_bytes)}",
        f"权重：{_bytes(b.param_bytes)}",
        f"每 token 的 KV 缓存：{_bytes(data['kv_bytes_per_token'])}",
        f"KV 缓存（批大小 {fmt(batch)} × 序列长度 {fmt(seq)}）：{_bytes(b.kv_bytes)}",
        *_replication_line(m, b.slice_chips, args.kv_sharding),
        f"合计：{_bytes(b.total_bytes)}",
        f"最少芯片数：{fmt(b.min_chips)}",
        f"最小切片：{b.slice_name}（{fmt(b.slice_chips)} 个芯片）",
    ]
    return data, lines


# ----------------------------------------------------------------------------- decode, fit

_BOUND = {"memory": "受内存带宽限制", "compute": "受算力限制"}


def _price_line(usd: float | None, c: Chip) -> str:
    value = fmt(usd, "$") if usd is not None else f"无（{c.name} 没有公开价格）"
    return f"每百万 token 成本：{value}"


def _step_inputs(args: argparse.Namespace) -> tuple[Model, Chip, DType, DType, DType, int, int, int]:
    """Model, chip, weights, KV and compute dtypes, chips, batch and seq of a decode step, validated."""
    m, c = _model_of(args), _chip_of(args)
    w, kv = _dtype("--weights", args.weights), _dtype("--kv", args.kv)
    compute = _compute(args.compute, c)
    chips = _slice_count(args.chips, c)
    batch = _count("--batch", args.batch, MAX_BATCH)
    seq = _count("--seq", args.seq, MAX_SEQ)
    return m, c, w, kv, compute, chips, batch, seq


def _step_json(
    m: Model, c: Chip, w: DType, kv: DType, compute: DType, chips: int, batch: int, seq: int
) -> Json:
    """The inputs of a decode step, as every step command reports them in JSON."""
    return {
        "model": m.key, "chip": c.key, "chips": chips, "batch": batch, "seq": seq,
        "weights": w.name, "kv": kv.name, "compute": compute.name,
    }  # fmt: skip


def cmd_decode(args: argparse.Namespace) -> Report:
    m, c, w, kv, compute, chips, batch, seq = _step_inputs(args)
    decode_len = _count("--decode-len", args.decode_len, MAX_DECODE_LEN)
    with _blame():
        hbm_left_for_kv(m, c, chips=chips, weights=w)  # weights alone too big: blame --chips
        s = decode_step(
            m, c, chips=chips, batch=batch, seq=seq, weights=w, kv=kv, compute=compute,
            **_kv_options(args), **_comm_options(args),
        )  # fmt: skip
        comm = decode_comm(m, c, chips=chips, batch=batch, compute=compute)
        t = throughput(s, decode_len=decode_len, chip=c)
    data: Json = {
        **_step_json(m, c, w, kv, compute, chips, batch, seq),
        "decode_len": decode_len,
        "step_time_s": s.step_time_s,
        "param_time_s": s.param_time_s,
        "kv_time_s": s.kv_time_s,
        "flops_time_s": s.flops_time_s,
        "mlp_time_s": s.mlp_time_s,
        "comm_time_s": s.comm_time_s,
        "overlap": s.overlap,
        "compute_time_s": s.compute_time_s,
        "comm_if_counted_s": comm.time_s,
        "weight_bytes": s.weight_bytes,
        "kv_bytes": s.kv_bytes,
        "flops": s.flops,
        "kv_replication": s.kv_replication,
        "kv_note": kv_replication_note(m, tp=chips, kv_sharding=args.kv_sharding),
        "bound": s.bound,
        "tokens_per_s": t.tokens_per_s,
        "tokens_per_s_per_chip": t.tokens_per_s_per_chip,
        "queries_per_s_per_chip": t.queries_per_s_per_chip,
        "usd_per_million_tokens": t.usd_per_million_tokens,
    }
    lines = [
        f"模型：{m.name}（权重 {w.name}，KV 缓存 {kv.name}，计算 {compute.name}）",
        f"芯片：{fmt(chips)} × {c.name}",
        f"批大小：{fmt(batch)}，序列长度：{fmt(seq)}，解码长度：{fmt(decode_len)}",
        f"每步时间：{fmt(s.step_time_s, 's')}（{_BOUND[s.bound]}）",
        f"  加载权重：{fmt(s.param_time_s, 's')}",
        f"  加载 KV 缓存：{fmt(s.kv_time_s, 's')}",
        *_replication_line(m, chips, args.kv_sharding),
        f"  矩阵乘法计算：{fmt(s.flops_time_s, 's')}",
        _comm_line(s, comm),
        f"吞吐量：{fmt(t.tokens_per_s, 'token/s')}",
        f"每芯片吞吐量：{fmt(t.tokens_per_s_per_chip, 'token/s')}",
        f"每芯片每秒完成请求数：{fmt(t.queries_per_s_per_chip, '个/s')}",
        _price_line(t.usd_per_million_tokens, c),
    ]
    return data, lines


def cmd_fit(args: argparse.Namespace) -> Report:
    m, c = _model_of(args), _chip_of(args)
    w, kv = _dtype("--weights", args.weights), _dtype("--kv", args.kv)
    compute = _compute(args.compute, c)
    seq = _count("--seq", args.seq, MAX_SEQ)
    decode_len = _count("--decode-len", args.decode_len, MAX_DECODE_LEN)
    with _blame():
        if args.chips is None:
            p = param_bytes(m, w)
            if min_chips(p, c) > _largest_slice(c)[1]:
                raise _too_big("--model", f"{m.name}'s {w.name} weights", p, c, "use --weights int8/int4")
            shape: tuple[int, ...] | None = c.smallest_slice(min_chips(p, c))
            chips = slice_chips(shape)
        else:
            chips = _slice_count(args.chips, c)
            shape = next((s for s in c.slices if slice_chips(s) == chips), None)
        s = largest_fitting_step(
            m, c, chips=chips, seq=seq, weights=w, kv=kv, compute=compute,
            **_kv_options(args), **_comm_options(args),
        )  # fmt: skip
        t = throughput(s, decode_len=decode_len, chip=c)
    data: Json = {
        "model": m.key,
        "chip": c.key,
        "chips": chips,
        "slice": slice_name(shape) if shape is not None else None,
        "seq": seq,
        "weights": w.name,
        "kv": kv.name,
        "compute": compute.name,
        "decode_len": decode_len,
        "max_batch": s.batch,
        "comm_time_s": s.comm_time_s,
        "overlap": s.overlap,
        "kv_replication": s.kv_replication,
        "kv_note": kv_replication_note(m, tp=chips, kv_sharding=args.kv_sharding),
        "step_time_s": s.step_time_s,
        "bound": s.bound,
        "tokens_per_s": t.tokens_per_s,
        "tokens_per_s_per_chip": t.tokens_per_s_per_chip,
        "queries_per_s_per_chip": t.queries_per_s_per_chip,
        "usd_per_million_tokens": t.usd_per_million_tokens,
    }
    where = f"切片 {slice_name(shape)}" if shape is not None else f"不是 {c.name} 的标准切片"
    lines = [
        f"模型：{m.name}（权重 {w.name}，KV 缓存 {kv.name}，计算 {compute.name}）",
        f"芯片：{fmt(chips)} × {c.name}（{where}）",
        f"序列长度：{fmt(seq)}，解码长度：{fmt(decode_len)}",
        f"最大批大小：{fmt(s.batch)}",
        *_replication_line(m, chips, args.kv_sharding),
        f"每步时间：{fmt(s.step_time_s, 's')}（{_BOUND[s.bound]}）",
        f"吞吐量：{fmt(t.tokens_per_s, 'token/s')}",
        f"每芯片吞吐量：{fmt(t.tokens_per_s_per_chip, 'token/s')}",
        f"每芯片每秒完成请求数：{fmt(t.queries_per_s_per_chip, '个/s')}",
        _price_line(t.usd_per_million_tokens, c),
    ]
    return data, lines


# ----------------------------------------------------------------------------- breakdown

_OP_BOUND = {"memory": "内存带宽", "compute": "算力", "communication": "通信"}


def cmd_breakdown(args: argparse.Namespace) -> Report:
    m, c, w, kv, compute, chips, batch, seq = _step_inputs(args)
    with _blame():
        hbm_left_for_kv(m, c, chips=chips, weights=w)  # weights alone too big: blame --chips
        b = breakdown(
            m, c, chips=chips, batch=batch, seq=seq, weights=w, kv=kv, compute=compute,
            **_kv_options(args), **_comm_options(args),
        )  # fmt: skip
    ops = [
        {
            "key": o.key,
            "label": o.label,
            "layer_type": o.layer_type,
            "count": o.count,
            "time_s": o.time_s,
            "per_layer_time_s": o.per_layer_time_s,
            "flops": o.flops,
            "weight_bytes": o.weight_bytes,
            "kv_bytes": o.kv_bytes,
            "comm_bytes": o.comm_bytes,
            "flops_time_s": o.flops_time_s,
            "hbm_time_s": o.hbm_time_s,
            "comm_time_s": o.comm_time_s,
            "bound": o.bound,
        }
        for o in b.ops
    ]
    data: Json = {
        **_step_json(m, c, w, kv, compute, chips, batch, seq),
        "overlap": b.step.overlap,
        "ops": ops,
        "by_layer_type_s": b.by_layer_type(),
        "ops_time_s": b.time_s,
        "step_time_s": b.step.step_time_s,
    }
    lines = [
        f"模型：{m.name}（权重 {w.name}，KV 缓存 {kv.name}，计算 {compute.name}）",
        f"芯片：{fmt(chips)} × {c.name}；批大小 {fmt(batch)}，序列长度 {fmt(seq)}",
        "",
        "| 操作 | 每步次数 | 时间 | 每层一次 | 读 HBM | FLOPs | 受限于 |",
        "|:---|---:|---:|---:|---:|---:|:---:|",
    ]
    for o in b.ops:
        moved = fmt(o.comm_bytes, "B") + "（通信）" if o.key == "collectives" else fmt(o.bytes, "B")
        lines.append(
            f"| {o.label} | {fmt(o.count)} | {fmt(o.time_s, 's')} | {fmt(o.per_layer_time_s, 's')} | "
            f"{moved} | {fmt(o.flops, 'FLOPs')} | {_OP_BOUND[o.bound]} |"
        )
    layer, head = b.by_layer_type()["layer"], b.by_layer_type()["model"]
    lines += [
        "",
        f"解码层合计：{fmt(layer, 's')}；嵌入与 LM head：{fmt(head, 's')}",
        f"各操作相加：{fmt(b.time_s, 's')}；整步公式：{fmt(b.step.step_time_s, 's')}",
        *_replication_line(m, chips, args.kv_sharding),
    ]
    return data, lines


# ----------------------------------------------------------------------------- prefill


_ATTN = {True: "含", False: "不含"}


def cmd_prefill(args: argparse.Namespace) -> Report:
    m, c = _model_of(args), _chip_of(args)
    compute = _compute(args.compute, c)
    chips = _count("--chips", args.chips, MAX_CHIPS)
    tokens = _count("--tokens", args.tokens, MAX_TOKENS)
    with _blame("--mfu"):
        mfu = check_fraction("--mfu", _number(args.mfu))
    with _blame():
        flops = prefill_flops(m, tokens=tokens, attention=args.attention_flops)
        latency = prefill_latency(
            m, c, chips=chips, tokens=tokens, mfu=mfu, compute=compute, attention=args.attention_flops
        )
    data: Json = {
        "model": m.key,
        "chip": c.key,
        "chips": chips,
        "tokens": tokens,
        "mfu": mfu,
        "compute": compute.name,
        "attention_flops": args.attention_flops,
        "flops": flops,
        "latency_s": latency,
    }
    lines = [
        f"模型：{m.name}（计算 {compute.name}）",
        f"芯片：{fmt(chips)} × {c.name}，MFU：{fmt(mfu * 100, '%')}",
        f"预填充 token 数：{fmt(tokens)}",
        f"预填充计算量：{fmt(flops, 'FLOPs')}（{_ATTN[args.attention_flops]}因果注意力的 FLOPs）",
        f"预填充延迟：{fmt(latency, 's')}",
    ]
    return data, lines


# ----------------------------------------------------------------------------- parser, main


def build_parser() -> argparse.ArgumentParser:
    """The ``servingmath`` argument parser (numbers stay strings; the commands validate them)."""
    parser = _Parser(
        prog=PROG,
        description="LLM 推理服务的估算：显存、解码步时间、吞吐量、预填充延迟。",
        allow_abbrev=False,
    )
    parser.add_argument("--json", action="store_true", dest="json_first", help="输出 JSON（基本单位）")
    sub = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")

    common = _Parser(add_help=False, allow_abbrev=False)
    common.add_argument("--json", action="store_true", help="输出一个 JSON 值（字节、秒等基本单位）")
    common.add_argument(
        "--constants",
        default=DEFAULT_CONSTANTS,
        metavar="SET",
        help=f"常数：book（原书常数与原章的模型：名义参数量、不计通信）或 spec（厂商规格与完整的服务模型："
        f"按形状的参数量、嵌入表只查表、张量并行通信、KV 头复制、上下文长度检查；默认 {DEFAULT_CONSTANTS}）"
        f"；可选 {', '.join(CONSTANT_SETS)}",
    )

    def add(name: str, run: Callable[[argparse.Namespace], Report], text: str) -> argparse.ArgumentParser:
        p = sub.add_parser(name, parents=[common], help=text, description=text, allow_abbrev=False)
        p.set_defaults(run=run)
        return p

    def model_chip(p: argparse.ArgumentParser) -> None:
        p.add_argument("--model", required=True, help="模型名（见 servingmath models）或 config.json 路径")
        p.add_argument("--chip", default=None, help="芯片名（见 servingmath chips），默认 tpu-v5e")
        p.add_argument("--chip-file", metavar="PATH", help="从 TOML 或 JSON 文件读入芯片参数（代替 --chip）")

    def dtypes(p: argparse.ArgumentParser, *, compute: bool) -> None:
        p.add_argument("--weights", required=True, help="权重精度：bf16、fp8、int8、int4")
        p.add_argument("--kv", required=True, help="KV 缓存精度：bf16、fp8、int8、int4")
        if compute:
            p.add_argument("--compute", default="bf16", help="矩阵乘法输入精度，默认 bf16")

    def kv_options(p: argparse.ArgumentParser) -> None:
        p.add_argument(
            "--kv-sharding", choices=KV_SHARDINGS, default=None,
            help="KV 缓存怎样分到张量并行的芯片上：heads（按头，芯片多于 KV 头时复制）或 batch（按序列），"
            "默认按常数集（spec 为 heads）",
        )  # fmt: skip
        p.add_argument(
            "--allow-beyond-context", action="store_true",
            help="允许序列长度超过模型的上下文窗口（max_position_embeddings）",
        )  # fmt: skip

    def comm_options(p: argparse.ArgumentParser) -> None:
        p.add_argument("--no-comm", action="store_true", help="不计张量并行的通信时间（原章的模型）")
        p.add_argument(
            "--overlap", choices=OVERLAPS, default="none",
            help="通信与计算的重叠假设：none（相加，默认）或 full（完全重叠，取较长者）",
        )  # fmt: skip

    p = add("chips", cmd_chips, "列出芯片预设（或检查并显示 --chip-file 描述的芯片）")
    p.add_argument("--chip-file", metavar="PATH", help="只显示这个 TOML 或 JSON 文件描述的芯片")
    add("models", cmd_models, "列出模型预设")

    p = add("memory", cmd_memory, "权重和 KV 缓存占多少显存，至少要几个芯片")
    model_chip(p)
    dtypes(p, compute=False)
    p.add_argument("--batch", required=True, metavar="N", help="批大小（并发序列数）")
    p.add_argument("--seq", required=True, metavar="N", help="每个序列的 token 数")
    kv_options(p)

    p = add("decode", cmd_decode, "一个解码步的时间、吞吐量和成本")
    model_chip(p)
    p.add_argument("--chips", required=True, metavar="N", help="芯片数")
    p.add_argument("--batch", required=True, metavar="N", help="批大小（并发序列数）")
    p.add_argument("--seq", required=True, metavar="N", help="每个序列缓存的 token 数")
    dtypes(p, compute=True)
    p.add_argument("--decode-len", default="512", metavar="N", help="每个请求生成的 token 数，默认 512")
    kv_options(p)
    comm_options(p)

    p = add("fit", cmd_fit, "放得下的最大批大小及其解码步时间")
    model_chip(p)
    p.add_argument("--seq", required=True, metavar="N", help="每个序列缓存的 token 数")
    p.add_argument("--chips", metavar="N", help="芯片数；默认取能放下权重的最小切片")
    dtypes(p, compute=True)
    p.add_argument("--decode-len", default="512", metavar="N", help="每个请求生成的 token 数，默认 512")
    kv_options(p)
    comm_options(p)

    p = add("breakdown", cmd_breakdown, "一个解码步按操作拆开：时间、字节、FLOPs 与瓶颈")
    model_chip(p)
    p.add_argument("--chips", required=True, metavar="N", help="芯片数")
    p.add_argument("--batch", required=True, metavar="N", help="批大小（并发序列数）")
    p.add_argument("--seq", required=True, metavar="N", help="每个序列缓存的 token 数")
    dtypes(p, compute=True)
    kv_options(p)
    comm_options(p)

    p = add("prefill", cmd_prefill, "预填充延迟")
    model_chip(p)
    p.add_argument("--chips", required=True, metavar="N", help="芯片数")
    p.add_argument("--tokens", required=True, metavar="N", help="预填充的 token 数")
    p.add_argument("--mfu", required=True, metavar="X", help="模型 FLOPs 利用率，(0, 1] 之间")
    p.add_argument("--compute", default="bf16", help="矩阵乘法输入精度，默认 bf16")
    p.add_argument("--attention-flops", action="store_true", help="计入因果注意力的 FLOPs（原章不计）")
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    """Run the CLI; return the exit status (0 ok, 2 bad input)."""
    parser = build_parser()
    try:
        args = parser.parse_args(argv)
        data, lines = _with_constants(args.run(args), _constants(args))
        if args.json or args.json_first:
            out = json.dumps(data, ensure_ascii=False, allow_nan=False, indent=2)
        else:
            out = "\n".join(lines)
    except SystemExit as e:  # --help
        return e.code if isinstance(e.code, int) else 0
    except CliError as e:
        print(f"{ERROR_PREFIX}{zh(_one_line(str(e)))}", file=sys.stderr)
        return 2
    except InvalidInputError as e:  # a library check no option accounts for
        print(f"{ERROR_PREFIX}{zh(_message(OPTION_FOR_PARAM.get(e.param), e))}", file=sys.stderr)
        return 2
    return _print(out)


def _print(out: str) -> int:
    """Print ``out``; a reader that stops early (``servingmath chips | head -1``) is no error."""
    try:
        print(out)
        sys.stdout.flush()
    except BrokenPipeError:
        # Python would report the pipe again when it flushes stdout at exit: point it elsewhere.
        try:
            devnull = os.open(os.devnull, os.O_WRONLY)
            os.dup2(devnull, sys.stdout.fileno())
        except (OSError, ValueError, io.UnsupportedOperation):
            pass
    return 0
