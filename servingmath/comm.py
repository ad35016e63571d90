"""Tensor-parallel communication in a decode step: collectives on ICI tori and NVLink.

With Megatron-style tensor parallelism each layer ends its attention block (after the output
projection) and its MLP block (after the down projection) with partial sums that every chip
of the group must add up: **two all-reduces per layer** of the ``B x D`` activations
(``a`` bytes each: the matmul input dtype). An all-reduce is a reduce-scatter followed by an
all-gather, so it costs twice an all-gather (the book's sharding chapter).

An all-gather whose result is ``V`` bytes per chip, over a ring of ``n`` chips, moves
``(n - 1) / n x V`` bytes into each chip:

* **TPU ICI, with wraparound** (a real ring): both directions of each link carry data, at the
  bidirectional link bandwidth ``W_ici``: ``T = (n - 1)/n x V / W_ici``.
* **TPU ICI, without wraparound** (a line): the data from one end must cross to the other in
  one direction, at ``W_ici / 2``: twice the time ("typically doubles the time of most
  communication", the book's TPU chapter). Which axes wrap is the chip's
  (:meth:`~servingmath.chips.Chip.has_wraparound`): TPU v5e / v6e only at size 16; TPU v5p
  only in slices made of whole ``4x4x4`` cubes (every axis a multiple of 4).
* Over several mesh axes at once the axes' bandwidths add up (the book's ``n_axes``).
* **NVLink** (GPUs in one NVSwitch node): a ring over the GPUs at the unidirectional NVLink
  bandwidth per GPU (``W / 2``), as NCCL's ring algorithm.

Each hop also costs a fixed latency: about 1 µs per ICI hop (the book's TPU chapter). Hops
per all-gather: ``n // 2`` on a ring with wraparound, ``n - 1`` without, summed over axes.
For NVLink servingmath assumes the same 1 µs per ring step (an assumption, not a datasheet
figure; real small all-reduces within an 8-GPU node take several µs).

At decode batch sizes the messages are small (``B x D x a`` = 16 kB for LLaMA 3-70B at batch
1), so the latency term dominates.

>>> from servingmath.models import LLAMA3_70B
>>> c = decode_comm(LLAMA3_70B, "tpu-v5e", chips=8, batch=32)
>>> c.axes, c.wraparound, c.collectives
((4, 2), (False, False), 160)
>>> round(c.per_collective_s * 1e6, 2), round(c.time_s * 1e3, 2)
(18.19, 2.91)
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Literal

from servingmath.chips import Chip, Shape, get_chip
from servingmath.dtypes import DType, get_dtype
from servingmath.errors import MAX_BATCH, MAX_CHIPS, InvalidInputError, check_count, check_positive
from servingmath.models import Model, get_model

# About 1 µs per ICI hop: the book's TPU chapter ("the latency of each hop is about 1us").
ICI_HOP_LATENCY_S = 1e-6
# NVLink: no datasheet figure; the same 1 µs per ring step is assumed.
NVLINK_HOP_LATENCY_S = 1e-6
GPUS_PER_NODE = 8  # one NVLink (NVSwitch) domain: HGX / DGX H100, H200, B200
# Between nodes: one 400 Gb/s ConnectX-7 port per GPU (NVIDIA DGX H100 datasheet), 50 GB/s
# per direction.
NODE_NETWORK_BW = 50e9
COLLECTIVES_PER_LAYER = 2  # all-reduce after attention's output projection and after the MLP

Interconnect = Literal["ici", "nvlink", "network"]


@dataclass(frozen=True)
class Topology:
    """The links a tensor-parallel group of chips communicates over."""

    interconnect: Interconnect
    axes: Shape  # mesh axes the group spans (one axis for NVLink)
    wraparound: tuple[bool, ...]  # per axis (NVLink: a ring through the switch, True)
    link_bw: float  # bytes/s per link (per GPU for NVLink), both directions (Chip.ici_bw)
    hop_latency_s: float

    @property
    def chips(self) -> int:
        """Chips in the group.

        >>> tp_topology("tpu-v5e", chips=8).chips
        8
        """
        return math.prod(self.axes)

    @property
    def hops(self) -> int:
        """Latency steps of one all-gather: ``a // 2`` per axis with wraparound, ``a - 1``
        without; ``n - 1`` ring steps on NVLink.

        >>> tp_topology("tpu-v5e", chips=16).hops, tp_topology("h100", chips=8).hops
        (6, 7)
        """
        if self.interconnect != "ici":
            return self.chips - 1
        return sum(a // 2 if w else a - 1 for a, w in zip(self.axes, self.wraparound, strict=True) if a > 1)

    @property
    def gather_bw(self) -> float:
        """Bytes/s into each chip during an all-gather: the axes' effective bandwidths added.

        >>> tp_topology("tpu-v5e", chips=8).gather_bw  # 4x2, no wraparound: 2 x 9e10 / 2
        90000000000.0
        """
        if self.interconnect != "ici":
            return self.link_bw / 2
        return sum(
            self.link_bw if w else self.link_bw / 2
            for a, w in zip(self.axes, self.wraparound, strict=True)
            if a > 1
        )


def _tpu_wraparound(chip: Chip, shape: Shape) -> tuple[bool, ...]:
    return chip.slice_wraparound(shape)


def is_gpu(chip: Chip | str) -> bool:
    """Whether the chip's group talks through a switch (NVLink) rather than an ICI torus.

    >>> is_gpu("h100"), is_gpu("tpu-v5e")
    (True, False)
    """
    return get_chip(chip).wraparound == "switch"


def tp_topology(chip: Chip | str, *, chips: int, hop_latency_s: float | None = None) -> Topology:
    """The topology of a tensor-parallel group of ``chips`` chips.

    On TPUs the group is the offered slice with that many chips (``4x2`` for 8 TPU v5e);
    another count is taken as a line of chips without wraparound. On GPUs a group of at most
    8 is one NVLink node; a bigger group is taken as one ring whose slowest links are the
    nodes' network (:data:`NODE_NETWORK_BW` per GPU and direction), a rough upper estimate.

    >>> t = tp_topology("tpu-v5p", chips=64)
    >>> t.axes, t.wraparound
    ((4, 4, 4), (True, True, True))
    >>> tp_topology("tpu-v5p", chips=16).wraparound  # 2x2x4: no optical wraparound
    (False, False, False)
    >>> t = tp_topology("h100", chips=16)  # two nodes: the ring crosses the network
    >>> t.interconnect, t.hops, t.gather_bw
    ('network', 15, 50000000000.0)
    """
    c = get_chip(chip)
    n = check_count("chips", chips, maximum=MAX_CHIPS)
    if is_gpu(c):
        lat = NVLINK_HOP_LATENCY_S if hop_latency_s is None else hop_latency_s
        if n > GPUS_PER_NODE:
            return Topology(
                "network", (n,), (True,), 2 * NODE_NETWORK_BW, check_positive("hop_latency_s", lat)
            )
        return Topology("nvlink", (n,), (True,), c.ici_bw, check_positive("hop_latency_s", lat))
    shape = next((s for s in c.slices if math.prod(s) == n), (n,))
    wrap = _tpu_wraparound(c, shape) if shape != (n,) else (False,)
    lat = ICI_HOP_LATENCY_S if hop_latency_s is None else hop_latency_s
    return Topology("ici", shape, wrap, c.ici_bw, check_positive("hop_latency_s", lat))


def all_gather_time(result_bytes: float, topology: Topology) -> float:
    """Seconds for an all-gather whose result is ``result_bytes`` per chip.

    >>> t = tp_topology("tpu-v5e", chips=16)  # 4x4, no wraparound
    >>> round(all_gather_time(16384, t) * 1e6, 3)
    6.171
    """
    v = float(result_bytes)
    if v < 0 or not math.isfinite(v):
        raise InvalidInputError(
            "result_bytes", f"result_bytes must be a finite number >= 0, got {result_bytes!r}"
        )
    n = topology.chips
    if n == 1:
        return 0.0
    return (n - 1) / n * v / topology.gather_bw + topology.hops * topology.hop_latency_s


def all_reduce_time(bytes_: float, topology: Topology) -> float:
    """Seconds for an all-reduce of ``bytes_`` per chip: a reduce-scatter plus an all-gather,
    twice :func:`all_gather_time`.

    >>> round(all_reduce_time(16384, tp_topology("h100", chips=8)) * 1e6, 3)
    14.064
    """
    return 2 * all_gather_time(bytes_, topology)


@dataclass(frozen=True)
class CommCost:
    """The tensor-parallel collectives of one decode step."""

    collectives: int  # all-reduces per step
    bytes_per_collective: float  # per chip
    per_collective_s: float
    latency_part_s: float  # of per_collective_s: the hops' fixed latency
    axes: Shape
    wraparound: tuple[bool, ...]
    interconnect: Interconnect

    @property
    def time_s(self) -> float:
        """All the step's collectives, one after another.

        >>> c = decode_comm("llama3-8b", "h100", chips=2, batch=1)
        >>> c.time_s == c.collectives * c.per_collective_s
        True
        """
        return self.collectives * self.per_collective_s

    @property
    def bytes(self) -> float:
        """Bytes all-reduced per chip in the step.

        >>> decode_comm("llama3-8b", "h100", chips=2, batch=1).bytes  # 64 all-reduces of 4096 bf16
        524288.0
        """
        return self.collectives * self.bytes_per_collective


def decode_comm(
    model: Model | str,
    chip: Chip | str,
    *,
    chips: int,
    batch: int,
    compute: DType | str = "bf16",
    hop_latency_s: float | None = None,
) -> CommCost:
    """Collectives of one decode step with ``chips``-way tensor parallelism: two all-reduces
    of ``batch x D`` activations per layer.

    >>> c = decode_comm("llama3-70b", "h100", chips=8, batch=1)
    >>> c.collectives, round(c.time_s * 1e3, 2)
    (160, 2.25)
    >>> decode_comm("llama3-70b", "h100", chips=1, batch=1).time_s
    0.0
    """
    m, c = get_model(model), get_chip(chip)
    b = check_count("batch", batch, maximum=MAX_BATCH)
    topo = tp_topology(c, chips=chips, hop_latency_s=hop_latency_s)
    v = b * m.D * get_dtype(compute).bytes
    per = all_reduce_time(v, topo)
    latency = 2 * topo.hops * topo.hop_latency_s if topo.chips > 1 else 0.0
    return CommCost(
        collectives=COLLECTIVES_PER_LAYER * m.L if topo.chips > 1 else 0,
        bytes_per_collective=v,
        per_collective_s=per,
        latency_part_s=latency,
        axes=topo.axes,
        wraparound=topo.wraparound,
        interconnect=topo.interconnect,
    )
