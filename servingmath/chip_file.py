"""A chip described in a TOML or JSON file: ``servingmath decode --chip-file my_chip.toml``.

Every figure is a number in base units (bytes, bytes/s, FLOP/s) or a string with a unit:

.. code-block:: toml

    name = "NVIDIA A100 SXM4 80GB"
    bf16_flops = "312 TFLOP/s"      # required
    hbm_bytes = "80 GiB"            # required
    hbm_bw = "2039 GB/s"            # required
    ici_bw = "600 GB/s"             # required: per link (TPU) or per GPU (NVLink), both directions
    int8_ops = "624 TOP/s"          # optional; without it int8 matmuls are refused
    fp8_flops = "1979 TFLOP/s"      # optional
    price_per_hour = 1.5            # optional, US dollars per chip-hour
    slices = ["1", "2", "4", "8"]   # optional: offered chip counts or TPU shapes ("4x2")
    wraparound = "switch"           # optional: switch (NVLink), axis16 (v5e/v6e), cube4 (v5p)
    [sources]                       # optional: where each figure comes from
    hbm_bw = "NVIDIA A100 datasheet"

A missing required field, an unknown field, a value that is not a positive finite number,
or an unknown unit raises :class:`~servingmath.errors.InvalidInputError` naming the field
(the CLI exits with status 2). The chip belongs to its own constant set, ``"file"``.

>>> import tempfile, pathlib
>>> p = pathlib.Path(tempfile.mkdtemp()) / "a100.toml"
>>> _ = p.write_text('name = "A100"\\nbf16_flops = "312 TFLOP/s"\\nhbm_bytes = "40 GiB"\\n'
...                  'hbm_bw = "1555 GB/s"\\nici_bw = "600 GB/s"\\n')
>>> c = load_chip_file(p)
>>> c.key, c.bf16_flops, c.hbm_bytes / 2**30, c.hbm_bw, c.constants
('a100', 312000000000000.0, 40.0, 1555000000000.0, 'file')
>>> _ = p.write_text('name = "A100"\\nbf16_flops = "312 TFLOP/s"\\nhbm_bytes = "40 GiB"\\n'
...                  'hbm_bw = "-1555 GB/s"\\nici_bw = "600 GB/s"\\n')
>>> load_chip_file(p)
Traceback (most recent call last):
...
servingmath.errors.InvalidInputError: hbm_bw must be a finite number > 0, got -1555000000000.0 ...
"""

from __future__ import annotations

import json
import math
import re
import tomllib
from pathlib import Path
from typing import Any

from servingmath.chips import Chip, Shape
from servingmath.errors import InvalidInputError

FILE_CONSTANTS = "file"  # the constant set of a chip read from a file

REQUIRED = ("name", "bf16_flops", "hbm_bytes", "hbm_bw", "ici_bw")
OPTIONAL = ("key", "int8_ops", "fp8_flops", "price_per_hour", "slices", "wraparound", "sources")
WRAPAROUNDS = ("switch", "axis16", "cube4")

# Units each kind of figure accepts, as multipliers to base units.
_PREFIX = {"": 1.0, "k": 1e3, "M": 1e6, "G": 1e9, "T": 1e12, "P": 1e15}
_BINARY = {"Ki": 2.0**10, "Mi": 2.0**20, "Gi": 2.0**30, "Ti": 2.0**40}
UNITS: dict[str, dict[str, float]] = {
    "bytes": {f"{p}B": v for p, v in (_PREFIX | _BINARY).items()},
    "bandwidth": {f"{p}B/s": v for p, v in (_PREFIX | _BINARY).items()},
    "flops": {
        **{f"{p}FLOP/s": v for p, v in _PREFIX.items()},
        **{f"{p}OP/s": v for p, v in _PREFIX.items()},
    },
}
KIND = {
    "bf16_flops": "flops",
    "int8_ops": "flops",
    "fp8_flops": "flops",
    "hbm_bytes": "bytes",
    "hbm_bw": "bandwidth",
    "ici_bw": "bandwidth",
}
_VALUE = re.compile(r"^\s*([-+]?(?:\d+(?:\.\d*)?|\.\d+)(?:[eE][-+]?\d+)?)\s*([A-Za-z/]*)\s*$")


def _err(field: str, message: str, path: Path) -> InvalidInputError:
    return InvalidInputError(field, f"{message} (in {path})")


def parse_quantity(field: str, value: object, path: Path) -> float:
    """A figure as a positive float in base units: a number, or a string ``"<number> <unit>"``.

    >>> parse_quantity("hbm_bw", "3.35 TB/s", Path("h100.toml"))
    3350000000000.0
    >>> parse_quantity("hbm_bw", "3.35 TB/h", Path("h100.toml"))
    Traceback (most recent call last):
    ...
    servingmath.errors.InvalidInputError: hbm_bw has unknown unit 'TB/h'; choose one of: B/s, kB/s, ...
    """
    kind = KIND[field]
    if isinstance(value, bool) or not isinstance(value, (int, float, str)):
        raise _err(field, f"{field} must be a number or a string such as '1.5 TB/s', got {value!r}", path)
    if isinstance(value, str):
        m = _VALUE.match(value)
        if m is None:
            raise _err(field, f"{field} must look like '<number> <unit>', got {value!r}", path)
        number, unit = float(m.group(1)), m.group(2)
        table = UNITS[kind]
        if unit == "":
            scale = 1.0  # a bare number in a string: base units
        elif unit in table:
            scale = table[unit]
        else:
            raise _err(field, f"{field} has unknown unit {unit!r}; choose one of: {', '.join(table)}", path)
        value = number * scale
    v = float(value)
    if not math.isfinite(v) or v <= 0:
        raise _err(field, f"{field} must be a finite number > 0, got {v!r}", path)
    return v


def _slices(value: object, path: Path) -> tuple[Shape, ...]:
    if not isinstance(value, list) or not value:
        raise _err("slices", "slices must be a non-empty list such as ['1', '8'] or ['4x2', '4x4']", path)
    shapes = []
    for item in value:
        text = str(item)
        if isinstance(item, bool) or not re.fullmatch(r"[1-9]\d*(x[1-9]\d*){0,2}", text):
            msg = f"slices entries must be chip counts or shapes like '4x2', got {item!r}"
            raise _err("slices", msg, path)
        shapes.append(tuple(int(a) for a in text.split("x")))
    return tuple(sorted(shapes, key=math.prod))


def read_chip_file(path: str | Path) -> dict[str, Any]:
    """The file's table (TOML, or JSON for ``.json``), or an error naming the problem.

    >>> read_chip_file("/nonexistent/chip.toml")
    Traceback (most recent call last):
    ...
    servingmath.errors.InvalidInputError: chip file '/nonexistent/chip.toml' cannot be read: ...
    """
    p = Path(path)
    try:
        text = p.read_text(encoding="utf-8")
    except (OSError, ValueError) as e:
        raise InvalidInputError("chip_file", f"chip file {str(p)!r} cannot be read: {e}") from e
    try:
        data = json.loads(text) if p.suffix.lower() == ".json" else tomllib.loads(text)
    except (json.JSONDecodeError, tomllib.TOMLDecodeError, RecursionError) as e:
        kind = "JSON" if p.suffix.lower() == ".json" else "TOML"
        raise InvalidInputError("chip_file", f"chip file {str(p)!r} is not valid {kind}: {e}") from e
    if not isinstance(data, dict):
        raise InvalidInputError("chip_file", f"chip file {str(p)!r} must hold a table of fields")
    return data


def chip_from_dict(data: dict[str, Any], path: str | Path = "<chip file>") -> Chip:
    """Validate a chip description and build the :class:`~servingmath.chips.Chip`.

    >>> chip_from_dict({"name": "X", "bf16_flops": 1e15, "hbm_bytes": 1e11, "hbm_bw": 4e12})
    Traceback (most recent call last):
    ...
    servingmath.errors.InvalidInputError: chip file is missing the required field 'ici_bw' (in <chip file>)
    """
    p = Path(path)
    unknown_fields = sorted(set(data) - set(REQUIRED) - set(OPTIONAL))
    if unknown_fields:
        f = unknown_fields[0]
        allowed = ", ".join((*REQUIRED, *OPTIONAL))
        raise _err(f, f"chip file has unknown field {f!r}; allowed: {allowed}", p)
    for f in REQUIRED:
        if f not in data:
            raise _err(f, f"chip file is missing the required field {f!r}", p)
    name = data["name"]
    if not isinstance(name, str) or not name.strip():
        raise _err("name", "name must be a non-empty string", p)
    default_key = (
        p.stem if p.stem not in ("", "<chip file>") else re.sub(r"[^A-Za-z0-9]+", "-", name).strip("-")
    )
    key = data.get("key", default_key)
    if not isinstance(key, str) or not re.fullmatch(r"[A-Za-z0-9][A-Za-z0-9._-]{0,63}", key):
        raise _err("key", f"key must be letters, digits, '.', '_' or '-' (at most 64), got {key!r}", p)
    figures = {f: parse_quantity(f, data[f], p) for f in KIND if f in data}
    price = data.get("price_per_hour")
    number = isinstance(price, (int, float)) and not isinstance(price, bool)
    if price is not None and (not number or not math.isfinite(price) or price <= 0):
        raise _err("price_per_hour", f"price_per_hour must be a finite number > 0, got {price!r}", p)
    wrap = data.get("wraparound", "switch")
    if wrap not in WRAPAROUNDS:
        raise _err("wraparound", f"wraparound must be one of {', '.join(WRAPAROUNDS)}, got {wrap!r}", p)
    sources = data.get("sources", {})
    if not isinstance(sources, dict) or not all(isinstance(v, str) for v in sources.values()):
        raise _err("sources", 'sources must be a table of field = "where it comes from"', p)
    bad = sorted(set(sources) - set(KIND) - {"price_per_hour"})
    if bad:
        raise _err("sources", f"sources names unknown field {bad[0]!r}", p)
    default_slices = [str(n) for n in (1, 2, 4, 8)]
    slices = _slices(data.get("slices", default_slices), p)
    where = f"chip file {p}"
    return Chip(
        key=key.lower(),
        name=name.strip(),
        bf16_flops=figures["bf16_flops"],
        int8_ops=figures.get("int8_ops"),  # type: ignore[arg-type]
        fp8_flops=figures.get("fp8_flops"),
        hbm_bytes=figures["hbm_bytes"],
        hbm_bw=figures["hbm_bw"],
        ici_bw=figures["ici_bw"],
        price_per_hour=None if price is None else float(price),
        slices=slices,
        wraparound=wrap,
        constants=FILE_CONSTANTS,
        sources={f: sources.get(f, where) for f in (*KIND, "price_per_hour")},
    )


def load_chip_file(path: str | Path) -> Chip:
    """Read and validate a chip file (TOML, or JSON when it ends in ``.json``).

    >>> import json, tempfile, pathlib
    >>> p = pathlib.Path(tempfile.mkdtemp()) / "mi300x.json"
    >>> _ = p.write_text(json.dumps({"name": "AMD MI300X", "bf16_flops": "1307 TFLOP/s",
    ...     "hbm_bytes": "192 GiB", "hbm_bw": "5.3 TB/s", "ici_bw": "896 GB/s"}))
    >>> c = load_chip_file(p)
    >>> c.key, c.hbm_bw, c.int8_ops
    ('mi300x', 5300000000000.0, None)
    """
    return chip_from_dict(read_chip_file(path), path)
