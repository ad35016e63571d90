"""servingmath: back-of-the-envelope LLM serving arithmetic, every number computed.

>>> import servingmath as sm
>>> step = sm.decode_step("llama3-70b", "tpu-v5e", chips=8, batch=32, seq=8192,
...                       weights="int8", kv="int8")
>>> sm.fmt(step.step_time_s, "s")
'17.2 ms'

Chip figures come in two named sets: ``spec`` (the vendors', the default) and ``book`` (what
*How to Scale Your Model* states); pass a chip from either:

>>> book = sm.get_chip("tpu-v5e", constants="book")
>>> sm.fmt(sm.decode_step("llama3-70b", book, chips=8, batch=32, seq=8192, weights="int8",
...                       kv="int8").step_time_s, "s")
'17.4 ms'
"""

from servingmath.chips import CHIP_SETS, CHIPS, CONSTANT_SETS, Chip, get_chip, slice_chips, slice_name
from servingmath.dtypes import DTYPES, DType, get_dtype
from servingmath.errors import DoesNotFitError, InvalidInputError, UnknownNameError
from servingmath.memory import (
    MemoryBudget,
    hbm_left_for_kv,
    kv_bytes_per_token,
    kv_cache_bytes,
    max_batch,
    memory_budget,
    min_chips,
    param_bytes,
)
from servingmath.models import MODELS, Model, from_hf_config, get_model
from servingmath.prefill import (
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
    "CHIPS", "CHIP_SETS", "CONSTANT_SETS", "DTYPES", "MODELS", "Chip", "DType", "DecodeStep", "DecodeSweep",
    "DoesNotFitError", "InvalidInputError", "MatmulTimes", "MemoryBudget", "Model",
    "Throughput", "UnknownNameError", "completions_per_step", "critical_batch",
    "decode_step", "decode_sweep", "decode_sweeps", "evicted_kv_tokens_per_step", "fmt",
    "from_hf_config", "get_chip", "get_dtype", "get_model", "hbm_left_for_kv",
    "kv_bytes_per_token", "kv_cache_bytes", "largest_fitting_step", "max_batch",
    "memory_budget", "min_chips", "mlp_matmul_times", "num", "param_bytes", "prefill_flops",
    "prefill_latency", "prefill_servers_per_generate_server", "sci", "slice_chips",
    "slice_name", "throughput", "tp_limit_bandwidth_bound", "tp_limit_compute_bound",
]  # fmt: skip
