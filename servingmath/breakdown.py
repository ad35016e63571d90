"""One decode step, operation by operation: time, bytes, FLOPs and bound of each.

Per layer (``L`` times): the QKV projection, attention (reading the KV cache), the output
projection, the MLP (dense, or the router and the experts the batch touches), the norms,
and the tensor-parallel all-reduces; once per step: the input embedding lookup and the LM
head. Each operation's time is its own roofline, ``max(FLOPs / C, bytes / W_hbm)`` over
the ``chips`` chips, and its bound says which side won; the collectives take
:func:`~servingmath.comm.decode_comm`'s time.

The operations' weight bytes and matmul FLOPs add up to
:func:`~servingmath.roofline.decode_step`'s (under ``book`` they are scaled so the total is
the nominal count, as the chapter does), except the embedding lookup's ``B`` rows under
``spec``, shown but left out of the step (a few kB). The sum of the operations' times can exceed the
step's ``max(FLOPs, weights) + KV`` a little when some operations are compute-bound and
others memory-bound: the step formula lets one operation's FLOPs hide another's loads.

>>> b = breakdown("llama3-70b", "tpu-v5e", chips=8, batch=32, seq=8192, weights="int8", kv="int8")
>>> [(o.key, o.bound) for o in b.ops]  # doctest: +NORMALIZE_WHITESPACE
[('embedding', 'memory'), ('qkv_proj', 'memory'), ('attention', 'memory'), ('o_proj', 'memory'),
 ('mlp', 'memory'), ('norms', 'memory'), ('collectives', 'communication'), ('lm_head', 'memory')]
>>> round(b.time_s * 1e3, 2), round(b.step.step_time_s * 1e3, 2)
(20.07, 20.07)
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

from servingmath.chips import Chip, get_chip
from servingmath.comm import decode_comm
from servingmath.dtypes import DType, get_dtype
from servingmath.models import Model, get_model
from servingmath.moe import expected_experts_touched
from servingmath.roofline import DecodeStep, decode_step

OpBound = Literal["memory", "compute", "communication"]
LayerType = Literal["layer", "model"]

# Chinese labels for the pages and the CLI.
LABELS = {
    "embedding": "输入嵌入查表",
    "qkv_proj": "QKV 投影",
    "attention": "注意力（读 KV 缓存）",
    "o_proj": "输出投影（O）",
    "mlp": "MLP",
    "moe": "MoE（路由 + 专家）",
    "norms": "归一化（RMSNorm）",
    "collectives": "张量并行 all-reduce",
    "lm_head": "LM head（输出投影到词表）",
}


@dataclass(frozen=True)
class OpCost:
    """One operation in one decode step, all its ``count`` occurrences (layers) together."""

    key: str
    label: str
    layer_type: LayerType  # "layer": once per decoder layer; "model": once per step
    count: int  # occurrences per step (L for per-layer operations)
    flops: float  # all chips, all occurrences
    weight_bytes: float
    kv_bytes: float
    comm_bytes: float  # per chip, all-reduced
    flops_time_s: float
    hbm_time_s: float
    comm_time_s: float

    @property
    def bytes(self) -> float:
        """HBM bytes read: weights plus KV cache.

        >>> b = breakdown("llama3-8b", "h100", chips=1, batch=1, seq=8192, weights="bf16", kv="bf16")
        >>> b.ops[2].key, b.ops[2].bytes == b.step.kv_bytes
        ('attention', True)
        """
        return self.weight_bytes + self.kv_bytes

    @property
    def time_s(self) -> float:
        """The operation's roofline time (for collectives, their communication time).

        >>> o = breakdown("llama3-8b", "h100", chips=1, batch=1, seq=1, weights="bf16", kv="bf16").ops[-1]
        >>> o.key, o.time_s == max(o.flops_time_s, o.hbm_time_s)
        ('lm_head', True)
        """
        if self.key == "collectives":
            return self.comm_time_s
        return max(self.flops_time_s, self.hbm_time_s)

    @property
    def bound(self) -> OpBound:
        """``compute`` when FLOPs outlast the HBM reads, ``memory`` otherwise;
        ``communication`` for the collectives.

        >>> b = breakdown("llama3-8b", "h100", chips=2, batch=512, seq=128, weights="int4", kv="bf16")
        >>> {o.key: o.bound for o in b.ops}["mlp"], {o.key: o.bound for o in b.ops}["collectives"]
        ('compute', 'communication')
        """
        if self.key == "collectives":
            return "communication"
        return "compute" if self.flops_time_s > self.hbm_time_s else "memory"

    @property
    def per_layer_time_s(self) -> float:
        """Time of one occurrence.

        >>> o = breakdown("llama3-8b", "h100", chips=1, batch=1, seq=1, weights="bf16", kv="bf16").ops[1]
        >>> o.key, o.count, o.per_layer_time_s * o.count == o.time_s
        ('qkv_proj', 32, True)
        """
        return self.time_s / self.count


@dataclass(frozen=True)
class Breakdown:
    """A decode step split into operations, with the step it refines."""

    ops: tuple[OpCost, ...]
    step: DecodeStep

    @property
    def time_s(self) -> float:
        """Sum of the operations' times (communication added unless the step overlaps it).

        >>> b = breakdown("llama3-8b", "h100", chips=1, batch=1, seq=8192, weights="bf16", kv="bf16")
        >>> round(b.time_s * 1e3, 3), round(b.step.step_time_s * 1e3, 3)
        (4.801, 4.801)
        """
        work = sum(o.time_s for o in self.ops if o.key != "collectives")
        comm = sum(o.time_s for o in self.ops if o.key == "collectives")
        return max(work, comm) if self.step.overlap == "full" else work + comm

    def by_layer_type(self) -> dict[str, float]:
        """Seconds per layer type: ``layer`` (all decoder layers) and ``model`` (embedding,
        LM head).

        >>> b = breakdown("llama3-8b", "h100", chips=1, batch=1, seq=8192, weights="bf16", kv="bf16")
        >>> {k: round(v * 1e3, 3) for k, v in b.by_layer_type().items()}
        {'layer': 4.487, 'model': 0.314}
        """
        out: dict[str, float] = {"layer": 0.0, "model": 0.0}
        for o in self.ops:
            out[o.layer_type] += o.time_s
        return out


def breakdown(
    model: Model | str,
    chip: Chip | str,
    *,
    chips: int,
    batch: int,
    seq: int,
    weights: DType | str,
    kv: DType | str,
    compute: DType | str = "bf16",
    check_fit: bool = True,
    kv_sharding: str | None = None,
    allow_beyond_context: bool = False,
    comm: bool | None = None,
    overlap: str = "none",
) -> Breakdown:
    """The decode step of :func:`~servingmath.roofline.decode_step`, operation by operation.

    Attention's FLOPs (``4 B S N H`` per layer: ``QK^T`` and ``AV``) are shown but do not
    enter the step formula, where attention waits on its KV reads (as in the chapter).

    >>> b = breakdown("mixtral-8x7b", "h100", chips=2, batch=1, seq=4096, weights="bf16", kv="bf16")
    >>> moe = next(o for o in b.ops if o.key == "moe")
    >>> round(moe.weight_bytes / 1e9, 1), moe.bound
    (22.6, 'memory')
    """
    m, c = get_model(model), get_chip(chip)
    step = decode_step(
        m, c, chips=chips, batch=batch, seq=seq, weights=weights, kv=kv, compute=compute,
        check_fit=check_fit, kv_sharding=kv_sharding, allow_beyond_context=allow_beyond_context,
        comm=comm, overlap=overlap,
    )  # fmt: skip
    n, b = step.chips, step.batch
    w = get_dtype(weights).bytes
    bw, peak = n * c.hbm_bw, n * c.flops(compute)

    # Parameters read per step (weights) and used per token (FLOPs), by operation.
    qkv = m.D * (m.N + 2 * m.K) * m.H
    o_proj = m.N * m.H * m.D
    norms_layer = 2 * m.D
    if m.is_moe:
        touched = expected_experts_touched(m.experts, m.experts_per_token, batch=b)
        mlp_read = m.router_params_per_layer + touched * m.expert_params
        mlp_used = m.router_params_per_layer + m.experts_per_token * m.expert_params
    else:
        mlp_read = mlp_used = m.expert_params
    lookup = not m.book and not m.tied_embeddings  # the table is looked up, not read
    emb_read = b * m.D if lookup else (0 if m.tied_embeddings else m.embedding_params)
    emb_used = 0 if lookup or m.tied_embeddings else m.embedding_params
    rows: list[tuple[str, LayerType, int, float, float]] = [  # key, type, count, read, used
        ("embedding", "model", 1, emb_read, emb_used),
        ("qkv_proj", "layer", m.L, m.L * qkv, m.L * qkv),
        ("o_proj", "layer", m.L, m.L * o_proj, m.L * o_proj),
        ("moe" if m.is_moe else "mlp", "layer", m.L, m.L * mlp_read, m.L * mlp_used),
        ("norms", "layer", m.L, m.L * norms_layer + m.D, m.L * norms_layer + m.D),
        ("lm_head", "model", 1, m.lm_head_params, m.lm_head_params),
    ]
    # Scale to the step's totals: exactly 1 under spec; the nominal count under book. The
    # lookup's B rows are shown but are not part of the step's weight traffic.
    streamed = sum(r[3] for r in rows if not (lookup and r[0] == "embedding"))
    read_scale = step.weight_bytes / (w * streamed)
    used_scale = step.flops / (2 * b * sum(r[4] for r in rows))
    ops: dict[str, OpCost] = {}
    for key, layer_type, count, read, used in rows:
        scale = 1.0 if lookup and key == "embedding" else read_scale
        wb, fl = read * w * scale, 2 * b * used * used_scale
        ops[key] = OpCost(key, LABELS[key], layer_type, count, fl, wb, 0.0, 0.0, fl / peak, wb / bw, 0.0)
    attn_flops = 4 * b * seq * m.N * m.H * m.L
    ops["attention"] = OpCost(
        "attention", LABELS["attention"], "layer", m.L, attn_flops, 0.0, step.kv_bytes, 0.0,
        attn_flops / peak, step.kv_bytes / bw, 0.0,
    )  # fmt: skip
    cc = decode_comm(m, c, chips=n, batch=b, compute=compute)
    counted = step.comm_time_s > 0
    ops["collectives"] = OpCost(
        "collectives", LABELS["collectives"], "layer", m.L, 0.0, 0.0, 0.0,
        cc.bytes if counted else 0.0, 0.0, 0.0, step.comm_time_s,
    )  # fmt: skip
    order = ("embedding", "qkv_proj", "attention", "o_proj", "moe", "mlp", "norms", "collectives", "lm_head")
    return Breakdown(ops=tuple(ops[k] for k in order if k in ops), step=step)
