"""Number formats and their sizes.

>>> get_dtype("int8").bytes
1.0
>>> get_dtype("int4").bytes
0.5
"""

from __future__ import annotations

from dataclasses import dataclass

from servingmath.errors import unknown


@dataclass(frozen=True)
class DType:
    """A number format used for weights, KV caches or matmul inputs."""

    name: str
    bytes: float  # bytes per element
    label: str  # how the pages write it


BF16 = DType("bf16", 2.0, "bf16")
FP8 = DType("fp8", 1.0, "fp8")
INT8 = DType("int8", 1.0, "int8")
INT4 = DType("int4", 0.5, "int4")

DTYPES: dict[str, DType] = {d.name: d for d in (BF16, FP8, INT8, INT4)}
_ALIASES = {"bfloat16": "bf16", "float8": "fp8", "e4m3": "fp8"}


def get_dtype(name: str | DType) -> DType:
    """Look a dtype up by name (``bf16``, ``fp8``, ``int8``, ``int4``).

    >>> get_dtype("fp32")
    Traceback (most recent call last):
    ...
    servingmath.errors.UnknownNameError: unknown dtype 'fp32'; choose one of: bf16, fp8, int8, int4
    """
    if isinstance(name, DType):
        return name
    key = _ALIASES.get(str(name).lower(), str(name).lower())
    if key not in DTYPES:
        raise unknown("dtype", name, list(DTYPES))
    return DTYPES[key]
