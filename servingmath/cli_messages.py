"""Chinese wording for the command line's error messages (its help and output are Chinese).

The library raises English messages that name the parameter and its allowed range; the CLI swaps
the parameter for its option (``--batch``) and this module rewords the message in Chinese,
keeping the option, the values and the range exactly as they were. A message no rule knows stays
as it is (after the Chinese "错误：" prefix), so nothing is ever lost in translation.

>>> zh("--batch must be an integer in [1, 10000000], got 0")
'--batch 必须是 [1, 10000000] 之间的整数，收到 0'
>>> zh("argument COMMAND: invalid choice: 'bogus' (choose from 'chips', 'models') (see 'servingmath --help')")
"参数 COMMAND：无效的选择 'bogus'（可选：'chips', 'models'）（用法见 'servingmath --help'）"
>>> zh("something new")
'something new'
"""

from __future__ import annotations

import re
from collections.abc import Callable

_WHAT = {"model": "模型", "chip": "芯片", "dtype": "精度", "constants": "常数集", "field": "字段"}
_ADVICE = {
    "use --weights int8/int4": "请改用 --weights int8 或 int4",
    "lower --batch or --seq": "请减小 --batch 或 --seq",
}


def _choices(text: str) -> str:
    return text.replace(", or a path to a config.json", "，或 config.json 文件（或含它的模型目录）的路径")


def _option(text: str | None) -> str:
    return f"{text.strip().rstrip(':')}：" if text else ""


def _what_needs(text: str) -> str:
    if text == "weights and KV caches":
        return "权重和 KV 缓存"
    m = re.fullmatch(r"(?P<model>.+)'s (?P<dtype>\S+) weights", text)
    return f"{m['model']} 的 {m['dtype']} 权重" if m else text


Rule = tuple[re.Pattern[str], Callable[[re.Match[str]], str]]

_RULES: list[Rule] = [
    (
        re.compile(r"(?P<p>\S+) must be an integer in \[(?P<lo>[^,\]]+), (?P<hi>[^\]]+)\], got (?P<v>.*)"),
        lambda m: f"{m['p']} 必须是 [{m['lo']}, {m['hi']}] 之间的整数，收到 {m['v']}",
    ),
    (
        re.compile(r"(?P<p>\S+) must be a finite number > 0, got (?P<v>.*)"),
        lambda m: f"{m['p']} 必须是大于 0 的有限数，收到 {m['v']}",
    ),
    (
        re.compile(r"(?P<p>\S+) must be in \(0, 1\], got (?P<v>.*)"),
        lambda m: f"{m['p']} 必须在 (0, 1] 范围内，收到 {m['v']}",
    ),
    (
        re.compile(r"unknown (?P<what>\S+) (?P<name>.*?); choose one of: (?P<known>.*)"),
        lambda m: f"未知的{_WHAT.get(m['what'], m['what'])} {m['name']}；可选：{_choices(m['known'])}",
    ),
    (
        re.compile(r"(?P<p>\S+) dtype (?P<d>\S+) is not supported by (?P<chip>.+); choose one of: (?P<k>.*)"),
        lambda m: f"{m['p']}：{m['chip']} 不支持计算精度 {m['d']}；可选：{m['k']}",
    ),
    (
        re.compile(r"(?P<p>\S+) must be <= (?P<n>\S+) \(largest (?P<chip>.+) slice\), got (?P<v>.*)"),
        lambda m: f"{m['p']} 必须 <= {m['n']}（{m['chip']} 最大的切片），收到 {m['v']}",
    ),
    (
        re.compile(
            r"(?P<p>\S+) must be >= (?P<n>\S+) to hold (?P<model>.+) in (?P<d>\S+) on (?P<chip>.+), "
            r"got (?P<v>.*)"
        ),
        lambda m: (
            f"{m['p']} 必须 >= {m['n']} 才放得下 {m['d']} 的 {m['model']}（{m['chip']}），收到 {m['v']}"
        ),
    ),
    (
        re.compile(
            r"(?P<p>\S+) must be <= (?P<n>\S+) for one sequence to fit on (?P<c>\S+) chips, got (?P<v>.*)"
        ),
        lambda m: f"{m['p']} 必须 <= {m['n']}，{m['c']} 个芯片上才放得下一条序列，收到 {m['v']}",
    ),
    (
        re.compile(
            r"(?P<p>\S+) (?P<b>\S+) at seq (?P<s>\S+) needs (?P<need>.+), more than the (?P<cap>.+) of "
            r"(?P<n>\S+) x (?P<chip>.+); lower batch or seq, or add chips"
        ),
        lambda m: (
            f"{m['p']} {m['b']}（序列长度 {m['s']}）需要 {m['need']}，超过 {m['n']} × {m['chip']} 的 "
            f"{m['cap']}；请减小 --batch 或 --seq，或增加 --chips"
        ),
    ),
    (
        re.compile(
            r"(?P<what>[^:]+) need (?P<need>.+), more than the largest (?P<chip>.+) slice "
            r"\((?P<name>[^,]+), (?P<n>\S+) chips, (?P<cap>[^)]+)\) holds; (?P<advice>.*)"
        ),
        lambda m: (
            f"{_what_needs(m['what'])}需要 {m['need']}，超过 {m['chip']} 最大的切片"
            f"（{m['name']}，{m['n']} 个芯片，{m['cap']}）；{_ADVICE.get(m['advice'], m['advice'])}"
        ),
    ),
    (
        re.compile(r"config\.json is missing (?P<k>.*)"),
        lambda m: f"config.json 缺少 {m['k']}",
    ),
    (
        re.compile(r"(?P<p>\S+ )?(?:model )?config (?P<f>.+?) cannot be read: (?P<e>.*)"),
        lambda m: f"{_option(m['p'])}无法读取模型配置 {m['f']}：{m['e']}",
    ),
    (
        re.compile(r"(?P<p>\S+ )?(?:model )?config (?P<f>.+?) is not valid JSON: (?P<e>.*)"),
        lambda m: f"{_option(m['p'])}模型配置 {m['f']} 不是合法的 JSON：{m['e']}",
    ),
    (
        re.compile(r"(?P<p>\S+ )?(?:model )?config (?P<f>.+?) must be a JSON object"),
        lambda m: f"{_option(m['p'])}模型配置 {m['f']} 必须是一个 JSON 对象",
    ),
    (
        re.compile(
            r"(?P<a>\S+) must divide (?P<b>\S+) \((?P<n>\S+)\) and "
            r"(?P<c>\S+) must divide (?P<d>\S+) \((?P<m>\S+)\)"
        ),
        lambda m: f"{m['a']} 必须整除 {m['b']}（{m['n']}），且 {m['c']} 必须整除 {m['d']}（{m['m']}）",
    ),
    (
        re.compile(
            r"(?P<p>\S+) must be <= (?P<n>\S+) \(max_position_embeddings of (?P<model>.+)\), got (?P<v>\S+); "
            r"pass allow_beyond_context=True \(--allow-beyond-context\) to go on anyway"
        ),
        lambda m: (
            f"{m['p']} 必须 <= {m['n']}（{m['model']} 的 max_position_embeddings），收到 {m['v']}；"
            "仍要计算就加上 --allow-beyond-context"
        ),
    ),
    (
        re.compile(r"(?P<p>\S+) must be <= (?P<n>\S+) for a (?P<chip>.+) slice, got (?P<v>.*)"),
        lambda m: f"{m['p']} 必须 <= {m['n']}（{m['chip']} 的切片），收到 {m['v']}",
    ),
    (
        re.compile(
            r"(?P<p>\S+) must be in \[(?P<lo>[^,\]]+), (?P<hi>[^\]]+)\] \((?P<note>[^)]*)\), got (?P<v>.*)"
        ),
        lambda m: f"{m['p']} 必须在 [{m['lo']}, {m['hi']}] 之间（{m['note']}），收到 {m['v']}",
    ),
    (
        re.compile(r"(?P<p>\S+) must be a finite number >= 0, got (?P<v>.*)"),
        lambda m: f"{m['p']} 必须是 >= 0 的有限数，收到 {m['v']}",
    ),
    (
        re.compile(r"(?P<p>\S+) must be one of (?P<k>.+), got (?P<v>.*)"),
        lambda m: f"{m['p']} 必须是 {m['k']} 之一，收到 {m['v']}",
    ),
    (
        re.compile(
            r"(?P<p>\S+) (?P<b>\S+) at seq (?P<s>\S+): one KV head's cache \((?P<one>[^)]+)\) exceeds a "
            r"(?P<chip>.+)'s HBM \((?P<hbm>[^)]+)\); lower batch or seq, or use kv_sharding='batch'"
        ),
        lambda m: (
            f"{m['p']} {m['b']}（序列长度 {m['s']}）：一个 KV 头的缓存（{m['one']}）"
            f"超过一块 {m['chip']} 的 HBM（{m['hbm']}）；请减小 --batch 或 --seq，或用 --kv-sharding batch"
        ),
    ),
    (
        re.compile(
            r"config\.json field (?P<f>\S+) \((?P<what>[^)]*)\) is not supported; servingmath reads dense "
            r"LLaMA-style models and Mixtral-style num_local_experts / num_experts_per_tok"
        ),
        lambda m: (
            f"config.json 的字段 {m['f']}（{m['what']}）不受支持；servingmath 只读稠密的 LLaMA 式模型，"
            "以及 Mixtral 式的 num_local_experts / num_experts_per_tok"
        ),
    ),
    (
        re.compile(r"(?P<p>\S+ )?chip file (?P<f>.+?) cannot be read: (?P<e>.*)"),
        lambda m: f"{_option(m['p'])}无法读取芯片文件 {m['f']}：{m['e']}",
    ),
    (
        re.compile(r"(?P<p>\S+ )?chip file (?P<f>.+?) is not valid (?P<kind>JSON|TOML): (?P<e>.*)"),
        lambda m: f"{_option(m['p'])}芯片文件 {m['f']} 不是合法的 {m['kind']}：{m['e']}",
    ),
    (
        re.compile(r"(?P<p>\S+ )?chip file (?P<f>.+?) must hold a table of fields"),
        lambda m: f"{_option(m['p'])}芯片文件 {m['f']} 必须是一张字段表",
    ),
    (
        re.compile(r"give either (?P<a>\S+) or (?P<b>\S+), not both"),
        lambda m: f"{m['a']} 和 {m['b']} 只能给一个",
    ),
    (
        re.compile(r"(?P<chip>.+) has no price per chip-hour in servingmath"),
        lambda m: f"servingmath 里没有 {m['chip']} 的每芯片小时价格",
    ),
    # chip files (--chip-file)
    (
        re.compile(r"chip file is missing the required field (?P<f>.+)"),
        lambda m: f"芯片文件缺少必需的字段 {m['f']}",
    ),
    (
        re.compile(r"chip file has unknown field (?P<f>.+?); allowed: (?P<k>.*)"),
        lambda m: f"芯片文件里有未知的字段 {m['f']}；可用的字段：{m['k']}",
    ),
    (
        re.compile(r"(?P<p>\S+) has unknown unit (?P<u>.+?); choose one of: (?P<k>.*)"),
        lambda m: f"{m['p']} 的单位 {m['u']} 未知；可选：{m['k']}",
    ),
    (
        re.compile(r"(?P<p>\S+) must look like '<number> <unit>', got (?P<v>.*)"),
        lambda m: f"{m['p']} 应写成 '<数> <单位>'，收到 {m['v']}",
    ),
    (
        re.compile(r"(?P<p>\S+) must be a number or a string such as (?P<ex>'[^']*'), got (?P<v>.*)"),
        lambda m: f"{m['p']} 必须是数字或 {m['ex']} 这样的字符串，收到 {m['v']}",
    ),
    (
        re.compile(r"slices entries must be chip counts or shapes like '4x2', got (?P<v>.*)"),
        lambda m: f"slices 的每一项必须是芯片数或 '4x2' 这样的形状，收到 {m['v']}",
    ),
    (
        re.compile(r"slices must be a non-empty list such as (?P<a>\[[^]]*\]) or (?P<b>\[[^]]*\])"),
        lambda m: f"slices 必须是非空列表，例如 {m['a']} 或 {m['b']}",
    ),
    (re.compile(r"name must be a non-empty string"), lambda m: "name 必须是非空字符串"),
    (
        re.compile(r"key must be letters, digits, '\.', '_' or '-' \(at most (?P<n>\d+)\), got (?P<v>.*)"),
        lambda m: f"key 只能由字母、数字、'.'、'_'、'-' 组成（最多 {m['n']} 个字符），收到 {m['v']}",
    ),
    (
        re.compile(r'sources must be a table of field = "where it comes from"'),
        lambda m: 'sources 必须是“字段 = "出处"”的表',
    ),
    (re.compile(r"sources names unknown field (?P<f>.*)"), lambda m: f"sources 里有未知的字段 {m['f']}"),
    # argparse
    (
        re.compile(r"the following arguments are required: (?P<a>.*)"),
        lambda m: f"缺少必需的参数：{m['a']}",
    ),
    (
        re.compile(r"argument (?P<a>\S+): invalid choice: (?P<v>.*?) \(choose from (?P<c>.*)\)"),
        lambda m: f"参数 {m['a']}：无效的选择 {m['v']}（可选：{m['c']}）",
    ),
    (
        re.compile(r"argument (?P<a>\S+): expected one argument"),
        lambda m: f"参数 {m['a']} 需要一个值",
    ),
    (
        re.compile(r"argument (?P<a>\S+): ignored explicit argument (?P<v>.*)"),
        lambda m: f"参数 {m['a']} 不接受值 {m['v']}",
    ),
    (re.compile(r"unrecognized arguments: (?P<a>.*)"), lambda m: f"无法识别的参数：{m['a']}"),
]
_SEE_HELP = re.compile(r"^(?P<msg>.*) \(see '(?P<help>[^']+)'\)$")
_OPTION = re.compile(r"^(?P<option>--[\w-]+): (?P<rest>.*)$")


def zh(message: str) -> str:
    """``message`` (one line) in Chinese, when a rule knows it; else unchanged."""
    help_hint = ""
    if m := _SEE_HELP.match(message):
        message, help_hint = m["msg"], f"（用法见 '{m['help']}'）"
    return _translate(message) + help_hint


_IN_FILE = re.compile(r"^(?P<msg>.*) \(in (?P<path>[^()]+)\)$")


def _translate(message: str) -> str:
    if m := _IN_FILE.match(message):  # "<a message> (in chips/a100.toml)"
        inner = _translate(m["msg"])
        return f"{inner}（在 {m['path']} 中）" if inner != m["msg"] else message
    for pattern, render in _RULES:
        if m := pattern.fullmatch(message):
            return render(m)
    if m := _OPTION.match(message):  # "--model: <a library message>"
        rest = _translate(m["rest"])
        return f"{m['option']}：{rest}" if rest != m["rest"] else message
    return message
