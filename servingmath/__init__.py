"""servingmath: back-of-the-envelope LLM serving arithmetic, every number computed.

Numbers come in two named constant sets: ``spec`` (the default: the vendors' chip figures, and
models counted exactly from their shapes, the input embedding looked up rather than read, KV
heads replicated when tensor parallelism outnumbers them, the all-reduces counted) and
``book`` (what *How to Scale Your Model* states and assumes):

>>> import servingmath as sm
>>> chapter = sm.get_model("llama3-70b", constants="book")  # 70e9 parameters, no communication
>>> book = sm.get_chip("tpu-v5e", constants="book")  # 8.1e11 B/s
>>> sm.fmt(sm.decode_step(chapter, book, chips=8, batch=32, seq=8192, weights="int8",
...                       kv="int8").step_time_s, "s")
'17.4 ms'
>>> step = sm.decode_step("llama3-70b", "tpu-v5e", chips=8, batch=32, seq=8192,
...                       weights="int8", kv="int8")
>>> sm.fmt(step.compute_time_s, "s"), sm.fmt(step.comm_time_s, "s"), sm.fmt(step.step_time_s, "s")
('17.2 ms', '2.91 ms', '20.1 ms')
"""

from servingmath.breakdown import Breakdown, OpCost, breakdown
from servingmath.chip_file import load_chip_file
from servingmath.chips import CHIP_SETS, CHIPS, CONSTANT_SETS, Chip, get_chip, slice_chips, slice_name
from servingmath.comm import CommCost, decode_comm
from servingmath.dtypes import DTYPES, DType, get_dtype
from servingmath.errors import DoesNotFitError, InvalidInputError, UnknownNameError
from servingmath.memory import (
    MemoryBudget,
    hbm_left_for_kv,
    kv_bytes_per_token,
    kv_cache_bytes,
    kv_replication,
    max_batch,
    memory_budget,
    min_chips,
    param_bytes,
)
from servingmath.models import MODELS, Model, from_hf_config, get_model
from servingmath.moe import expected_experts_touched
from servingmath.prefill import (
    attention_flops,
    completions_per_step,
    evicted_kv_tokens_per_step,
    prefill_flops,
    prefill_latency,
    prefill_servers_per_generate_server,
)
from servingmath.roofline import (
    DecodeStep,
    Throughput,
    critical_batch,
    decode_step,
    largest_fitting_step,
    throughput,
)
from servingmath.sharding import (
    MatmulTimes,
    mlp_matmul_times,
    tp_limit_bandwidth_bound,
    tp_limit_compute_bound,
)
from servingmath.sweep import DecodeSweep, decode_sweep, decode_sweeps
from servingmath.units import fmt, num, sci

__all__ = [
    "CHIPS",
    "CHIP_SETS",
    "CONSTANT_SETS",
    "DTYPES",
    "MODELS",
    "Breakdown",
    "Chip",
    "CommCost",
    "DType",
    "DecodeStep",
    "DecodeSweep",
    "DoesNotFitError",
    "InvalidInputError",
    "MatmulTimes",
    "MemoryBudget",
    "Model",
    "OpCost",
    "Throughput",
    "UnknownNameError",
    "attention_flops",
    "breakdown",
    "completions_per_step",
    "critical_batch",
    "decode_comm",
    "decode_step",
    "decode_sweep",
    "decode_sweeps",
    "evicted_kv_tokens_per_step",
    "expected_experts_touched",
    "fmt",
    "from_hf_config",
    "get_chip",
    "get_dtype",
    "get_model",
    "hbm_left_for_kv",
    "kv_bytes_per_token",
    "kv_cache_bytes",
    "kv_replication",
    "largest_fitting_step",
    "load_chip_file",
    "max_batch",
    "memory_budget",
    "min_chips",
    "mlp_matmul_times",
    "num",
    "param_bytes",
    "prefill_flops",
    "prefill_latency",
    "prefill_servers_per_generate_server",
    "sci",
    "slice_chips",
    "slice_name",
    "throughput",
    "tp_limit_bandwidth_bound",
    "tp_limit_compute_bound",
]  # fmt: skip
