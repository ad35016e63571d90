# ---
# jupyter:
#   jupytext:
#     text_representation:
#       extension: .py
#       format_name: percent
#   kernelspec:
#     display_name: Python 3
#     language: python
#     name: python3
# ---

# %% [markdown]
# # Playground 笔记本：换个模型，换块芯片
#
# 这一页是一个 Jupyter 笔记本，每次构建网站时都会从头运行一遍，所以下面的输出总是当前版本的
# servingmath 算出来的。它演示怎样用同一个库，把原章的答案换成**另一个模型**、**另一块芯片**重算。
#
# - 下载这个笔记本：<a href="playground.ipynb" download="playground.ipynb">playground.ipynb</a>
#   （Jupyter 笔记本，不含输出，下载后自己运行），
#   或 <a href="playground.py" download="playground.py">playground.py</a>（jupytext 的 percent 格式：
#   VS Code 可以逐个单元格运行，也可以当普通 Python 脚本运行）。
# - 它读取的模型配置：<a href="../tiny-config.json" download="tiny-config.json">tiny-config.json</a>，
#   一个 Hugging Face 格式的 `config.json`，形状取自 Llama 3.2 1B。和笔记本下载到同一个文件夹即可。
#
# 运行前先安装 servingmath（在仓库根目录 `pip install -e ".[figures]"`）。

# %%
from pathlib import Path

from IPython.display import HTML, Markdown, display

import servingmath as sm
from servingmath.book.chapter import Q2, Q7, chapter_chip
from servingmath.book.chip_compare import chips_under, serving_row

fmt = sm.fmt
# "book": the chapter's own constants (16e9 B of HBM, 8.1e11 B/s for TPU v5e); "spec": the vendors' figures.
CONSTANTS = "book"
CHIP = chapter_chip(CONSTANTS)
CHIPS = chips_under(CONSTANTS)


def table(header: list[str], rows: list[list[object]]) -> Markdown:
    """A Markdown table: one header row, then one row per list of cells."""
    lines = [header, [":---"] + ["---:"] * (len(header) - 1), *rows]
    return Markdown("\n".join("| " + " | ".join(map(str, r)) + " |" for r in lines))


# Next to the downloaded notebook, or in the repository when the site is built.
REPO = Path(sm.__file__).parents[1] / "docs" / "beyond"
CANDIDATES = [Path("tiny-config.json"), REPO / "tiny-config.json"]
FOUND = [p for p in CANDIDATES if p.is_file()]
if not FOUND:
    raise FileNotFoundError(
        "找不到模型配置 tiny-config.json。请从 Playground 页面下载它，和这个笔记本放在同一个文件夹"
        f"（当前文件夹：{Path.cwd()}），或者把 CONFIG 改成任何 LLaMA 风格的 config.json 的路径。"
        f"找过：{', '.join(str(p) for p in CANDIDATES)}"
    )
CONFIG = FOUND[0]
model = sm.from_hf_config(CONFIG)

shapes = "，".join(f"{k} = {fmt(getattr(model, k))}" for k in "LDFNKHV")
params = fmt(model.param_count, "params", sig=4)
display(Markdown(f"读入 **{model.name}**：{shapes}；参数量 {params}。"))

# %% [markdown]
# ## 换个模型（Model）
#
# 原章问题 2 问 LLaMA 3-70B 在给定的批次、上下文长度和 dtype 下要多少内存、最小拓扑是什么；
# 问题 3 接着算每步时间。下面用原章的同一组设定（`servingmath.book.chapter.Q2`），把模型换成上面读入的配置。
# 改 `SCENARIO` 里的值就能换设定。

# %%
BOUND = {"compute": "算力受限", "memory": "带宽受限"}
SCENARIO = {
    "batch": Q2.batch,
    "seq": Q2.seq,
    "weights": Q2.weights,
    "kv": Q2.kv,
}

budget = sm.memory_budget(model, CHIP, **SCENARIO)
n = budget.slice_chips
step = sm.decode_step(model, CHIP, chips=n, **SCENARIO)
tput = sm.throughput(step, decode_len=Q7.decode_len, chip=CHIP)

kv_label = f"KV 缓存（{SCENARIO['batch']} 条 × {fmt(SCENARIO['seq'])} token）"
display(
    table(
        ["项目", f"{model.name} on {CHIP.name}"],
        [
            ["参数", fmt(budget.param_bytes, "B")],
            [kv_label, fmt(budget.kv_bytes, "B")],
            ["最少芯片数", budget.min_chips],
            ["最小拓扑", budget.slice_name],
            ["每步时间", f"{fmt(step.step_time_s, 's')}（{BOUND[step.bound]}）"],
            ["token/s/chip", fmt(tput.tokens_per_s_per_chip)],
            ["每百万 token", fmt(tput.usd_per_million_tokens, "$")],
        ],
    )
)

b_crit = sm.critical_batch(CHIP, weights=SCENARIO["weights"])
display(
    Markdown(
        f"批次 {SCENARIO['batch']}，临界批次 {fmt(b_crit)}。"
        f"这一步读权重 {fmt(step.param_time_s, 's')}，"
        f"读 KV 缓存 {fmt(step.kv_time_s, 's')}，"
        f"算 FLOPs {fmt(step.flops_time_s, 's')}。"
    )
)

# %% [markdown]
# 小模型的权重很小，HBM 大部分空着：只要装得下更多序列，每芯片吞吐量就还能涨——下一节把批次加到装满为止。

# %% [markdown]
# ## 换块芯片（Chips）
#
# 装满之后，每块芯片能做多少？
#
# `servingmath.book.chip_compare.serving_row` 就是「换一块芯片会怎样」页面用的函数：找能装下权重的最小拓扑，
# 再放尽可能多的原章上下文长度的序列（KV 缓存与权重同 dtype），算出每步时间和吞吐量。
# 给它传 `model=` 就能换模型。

# %%
rows = []
for chip in CHIPS:
    r = serving_row(chip, "int8", model=model)
    rows.append(
        [
            f"{chip.name.removeprefix('NVIDIA ')}（{r.slice_name}）",
            fmt(r.max_batch),
            fmt(r.step_time_s, "s"),
            fmt(r.tokens_per_s_per_chip),
        ]
    )
header = ["芯片（拓扑）", "批次", "每步时间", "token/s/chip"]
display(table(header, rows))

# %% [markdown]
# ## 画出来（Plot）
#
# 延迟 vs 吞吐量。
#
# 每条曲线是一块芯片（一张卡）从最小批次加到装满：横轴是每步时间，纵轴是每芯片吞吐量。
# 曲线先陡后平——批次小的时候加批次几乎不增加延迟（权重读取被更多 token 分摊），之后 KV 缓存的读取占了上风。

# %%
# Plotting needs plotly and numpy, which the in-browser runner lacks. sm-runner: off
import plotly.graph_objects as go

from servingmath.book.figures import embed

seq = Q2.seq
fig = go.Figure(
    layout={
        "template": {},  # the site's figure loader applies its light/dark theme
        "height": 440,
        "margin": {"l": 64, "r": 24, "t": 64, "b": 56},
        "title": {
            "text": f"{model.name}<br><sub>int8，{fmt(seq)} token 上下文，单卡</sub>",
            "x": 0,
            "xanchor": "left",
        },
        "xaxis": {"title": {"text": "每步时间（ms）"}, "type": "log", "dtick": 1},
        "yaxis": {"title": {"text": "token/s/chip"}, "type": "log", "dtick": 1},
        "legend": {"x": 0.98, "xanchor": "right", "y": 0.04, "yanchor": "bottom"},
    }
)
for chip in ("tpu-v5e", "tpu-v6e", "h100", "b200"):
    s = sm.decode_sweep(model, chip, chips=1, seq=seq, weights="int8", kv="int8")
    fig.add_scatter(
        x=[round(float(t) * 1e3, 4) for t in s.step_time_s],
        y=[round(float(v), 1) for v in s.tokens_per_s_per_chip],
        customdata=[int(b) for b in s.batch],
        hovertemplate="批次 %{customdata}<br>%{x} ms<br>%{y} token/s/chip",
        mode="lines",
        name=sm.get_chip(chip).name.removeprefix("NVIDIA "),
    )
display(HTML(embed(fig, "playground-pareto")))

# %% [markdown]
# ## 自己动手（DIY）
#
# - 换模型：把 `CONFIG` 指向任何 LLaMA 风格的 `config.json`（需要 `hidden_size`、`intermediate_size`、
#   `num_hidden_layers`、`num_attention_heads`、`num_key_value_heads`、`vocab_size`），
#   或者用预设：`sm.get_model("llama3-8b")`。
# - 换芯片：`sm.get_chip("tpu-v5p")`，可选的键见 `sm.CHIPS`。
# - 换设定：改 `SCENARIO` 里的批次、上下文长度和 dtype（`"bf16"`、`"int8"`、`"int4"`）。
#   放不下时会抛出 `DoesNotFitError`，错误信息会说明该减少什么。
