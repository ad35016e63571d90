"""What the figures show, as numbers: the chapter's "观察要点" and "关键发现", recomputed.

Every value comes from the same sweeps the figures plot (:func:`servingmath.book.figures.scenario_sweeps`:
LLaMA 3-70B, TPU v5e 4x4, int8 KV, bf16 FLOPs), so prose and figures cannot disagree.
Keys start with ``fig.``.

Definitions:

* ``fig.double.*``: at the default sequence length, batch 1 against the largest batch whose
  step time is at most twice batch 1's ("latency doubles"): the cost ratio between them.
* ``fig.extreme.*``: at the shortest sequence, batch 1 against the largest batch that fits.
* ``fig.plateau.*``: throughput at the batch nearest ``B_crit`` and at the largest batch.
* ``fig.kv_flops.*``: KV time over FLOPs time does not depend on batch (both grow with it),
  so above one sequence length KV loading outlasts the FLOPs at every batch.

>>> v = values("book")
>>> v["fig.bcrit"].text, v["fig.seq.8192.max_batch"].text, v["fig.kv_flops.first_seq"].text
('122', '138', '4k')
"""

from __future__ import annotations

import numpy as np

from servingmath.book.chapter import chapter_chip
from servingmath.book.figures import VIS, scenario_sweeps, seq_label
from servingmath.book.shown import Shown, as_registry, shown
from servingmath.chips import slice_name
from servingmath.dtypes import DType
from servingmath.roofline import critical_batch
from servingmath.sweep import DecodeSweep

LATENCY_FACTOR = 2  # "延迟翻倍"


def _at(seq: int, weights: DType = VIS.weights, constants: str = "book") -> DecodeSweep:
    return scenario_sweeps(weights, VIS.seqs, constants)[VIS.seqs.index(seq)]


def _cost(s: DecodeSweep) -> np.ndarray:
    usd = s.usd_per_million_tokens
    if usd is None:
        raise ValueError("the chip has no price per chip-hour")
    return usd


def doubling(s: DecodeSweep, factor: float = LATENCY_FACTOR) -> int:
    """Index of the largest batch whose step time is at most ``factor`` x batch 1's.

    >>> int(_at(8192).batch[doubling(_at(8192))])
    54
    """
    ok = np.nonzero(s.step_time_s <= factor * s.step_time_s[0])[0]
    return int(ok[-1])


def kv_over_flops_seq(weights: DType = VIS.weights, constants: str = "book") -> float:
    """Sequence length at which KV loading takes as long as the FLOPs (at any batch).

    >>> round(kv_over_flops_seq())
    3513
    """
    s = scenario_sweeps(weights, VIS.seqs, constants)[0]
    return s.seq * float(s.flops_time_s[0] / s.kv_time_s[0])


def _ms(key: str, seconds: float) -> Shown:
    return shown(key, seconds, "s")


def scenario_values(k: str) -> list[Shown]:
    out = [
        shown("fig.slice", slice_name(VIS.slice)),
        shown("fig.chips", VIS.chips),
        shown("fig.weights", VIS.weights.label),
        shown("fig.kv", VIS.kv.label),
        shown("fig.compute", VIS.compute.label),
        shown("fig.seq_min", seq_label(VIS.seqs[0])),
        shown("fig.seq_max", seq_label(VIS.seqs[-1])),
        shown("fig.seq_default", seq_label(VIS.default_seq)),
        shown("fig.seq_default_tokens", VIS.default_seq, sig=6),
        shown("fig.price", chapter_chip(k).price_per_hour or 0.0, "$"),
        shown("fig.bcrit", critical_batch(chapter_chip(k), weights=VIS.weights, compute=VIS.compute)),
        shown("fig.latency_factor", LATENCY_FACTOR),
        shown("fig.min_batch", int(scenario_sweeps(VIS.weights, VIS.seqs, k)[0].batch[0])),
    ]
    for s in scenario_sweeps(VIS.weights, VIS.seqs, k):
        p = f"fig.seq.{s.seq}"
        out += [
            shown(f"{p}.label", seq_label(s.seq)),
            shown(f"{p}.max_batch", int(s.batch[-1])),
            _ms(f"{p}.step_min", float(s.step_time_s[0])),
            _ms(f"{p}.step_max", float(s.step_time_s[-1])),
            shown(f"{p}.tps_max", float(s.tokens_per_s_per_chip[-1]), "token/s/chip"),
            shown(f"{p}.cost_min", float(_cost(s)[-1]), "$"),
        ]
    return out


def tradeoff_values(k: str) -> list[Shown]:
    """Observation 1: how much cost a longer step buys."""
    s = _at(VIS.default_seq, constants=k)
    i, cost = doubling(s), _cost(s)
    e = _at(VIS.seqs[0], constants=k)
    ecost = _cost(e)
    return [
        shown("fig.double.seq", seq_label(s.seq)),
        _ms("fig.double.step1", float(s.step_time_s[0])),
        shown("fig.double.batch", int(s.batch[i])),
        _ms("fig.double.step", float(s.step_time_s[i])),
        shown("fig.double.cost1", float(cost[0]), "$"),
        shown("fig.double.cost", float(cost[i]), "$"),
        shown("fig.double.cost_ratio", float(cost[0] / cost[i]), "倍", sig=2),
        shown("fig.extreme.seq", seq_label(e.seq)),
        shown("fig.extreme.batch", int(e.batch[-1])),
        shown("fig.extreme.cost_ratio", float(ecost[0] / ecost[-1]), "倍", sig=2),
        shown("fig.extreme.latency_ratio", float(e.step_time_s[-1] / e.step_time_s[0]), "倍", sig=2),
    ]


def plateau_values(k: str) -> list[Shown]:
    """Observations 2 and 3: throughput stops growing near B_crit; long contexts never get there."""
    bcrit = critical_batch(chapter_chip(k), weights=VIS.weights, compute=VIS.compute)
    s = _at(VIS.plateau_seq, constants=k)
    b = round(bcrit)
    tps = s.tokens_per_s_per_chip
    roof = 1 / (float(s.flops_time_s[0]) * s.chips)
    short = [x.seq for x in scenario_sweeps(VIS.weights, VIS.seqs, k) if x.batch[-1] < bcrit]
    out = [
        shown("fig.plateau.seq", seq_label(s.seq)),
        shown("fig.plateau.batch", b),
        shown("fig.plateau.tps", float(tps[b - 1]), "token/s/chip"),
        _ms("fig.plateau.step", float(s.step_time_s[b - 1])),
        _ms("fig.plateau.step_max", float(s.step_time_s[-1])),
        shown("fig.plateau.max_batch", int(s.batch[-1])),
        shown("fig.plateau.tps_max", float(tps[-1]), "token/s/chip"),
        shown("fig.plateau.gain_pct", float((tps[-1] / tps[b - 1] - 1) * 100), sig=2),
        shown("fig.roof", roof, "token/s/chip"),
    ]
    if short:
        out.append(shown("fig.unsaturated_seq", seq_label(short[0])))
    return out


def breakdown_values(k: str) -> list[Shown]:
    """Observation 4 and the key findings: who dominates the step time, and when."""
    s = _at(VIS.default_seq, constants=k)
    step = s.step_time_s
    sweeps = scenario_sweeps(VIS.weights, VIS.seqs, k)
    kv_wins = [x.seq for x in sweeps if np.all(x.kv_time_s > x.flops_time_s)]
    return [
        shown("fig.small.param_share_pct", float(s.param_time_s[0] / step[0] * 100), sig=3),
        shown("fig.big.batch", int(s.batch[-1])),
        shown("fig.big.kv_share_pct", float(s.kv_time_s[-1] / step[-1] * 100), sig=2),
        shown("fig.big.kv_over_param", float(s.kv_time_s[-1] / s.param_time_s[-1]), "倍", sig=2),
        shown("fig.kv_flops.seq", kv_over_flops_seq(constants=k), sig=4),
        shown("fig.kv_flops.first_seq", seq_label(kv_wins[0]) if kv_wins else "—"),
    ]


def dtype_values(k: str) -> list[Shown]:
    """Beyond the chapter: the weight dtype buttons, at the default sequence length."""
    out: list[Shown] = []
    for w in VIS.weight_options:
        s = _at(VIS.default_seq, w, constants=k)
        out += [
            shown(f"fig.w.{w.name}.label", w.label),
            shown(f"fig.w.{w.name}.bcrit", critical_batch(chapter_chip(k), weights=w, compute=VIS.compute)),
            shown(f"fig.w.{w.name}.max_batch", int(s.batch[-1])),
            _ms(f"fig.w.{w.name}.step1", float(s.step_time_s[0])),
            shown(f"fig.w.{w.name}.tps_max", float(s.tokens_per_s_per_chip[-1]), "token/s/chip"),
            shown(f"fig.w.{w.name}.cost_min", float(_cost(s)[-1]), "$"),
        ]
    return out


def values(constants: str) -> dict[str, Shown]:
    """Every value the figure page cites by name (keys ``fig.*``), under a constant set."""
    k = constants
    return as_registry(
        scenario_values(k) + tradeoff_values(k) + plateau_values(k) + breakdown_values(k) + dtype_values(k)
    )
