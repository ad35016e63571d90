"""Units and the one formatting helper every page uses to show a number.

Bytes are plain numbers of bytes everywhere in the library; prefixes appear only
when a number is shown. ``si`` prefixes are powers of 1000 (kB, MB, GB, TB),
``iec`` prefixes powers of 1024 (KiB, MiB, GiB, TiB). Times are seconds.

>>> fmt(163_840, "B", system="iec")
'160 KiB'
>>> fmt(163_840, "B")
'164 kB'
>>> fmt(0.017244, "s")
'17.2 ms'
>>> fmt(8192)
'8,192'
>>> fmt(1.97e14, "FLOP/s")
'1.97e14 FLOP/s'
>>> fmt(1.97e14, "FLOP/s", style="latex")
'1.97 \\\\times 10^{14}\\\\,\\\\text{FLOP/s}'
"""

from __future__ import annotations

import math
from typing import Literal

from servingmath.errors import InvalidInputError

KB, MB, GB, TB = 1e3, 1e6, 1e9, 1e12
KiB, MiB, GiB, TiB = 2.0**10, 2.0**20, 2.0**30, 2.0**40
MS, US = 1e-3, 1e-6

System = Literal["si", "iec"]
Style = Literal["text", "latex"]

_SI = [(TB, "TB"), (GB, "GB"), (MB, "MB"), (KB, "kB")]
_IEC = [(TiB, "TiB"), (GiB, "GiB"), (MiB, "MiB"), (KiB, "KiB")]
_TIME = [(1.0, "s"), (MS, "ms"), (US, "μs"), (1e-9, "ns")]
# Units shown in scientific notation (big rates and counts).
_SCI_UNITS = {"FLOP/s", "FLOPs", "OP/s", "FLOPs/$", "B/s", "params"}


def _check(value: float) -> float:
    if isinstance(value, bool) or not isinstance(value, int | float) or not math.isfinite(value):
        raise InvalidInputError("value", f"value to format must be a finite number, got {value!r}")
    return float(value)


def num(value: float, sig: int = 3) -> str:
    """Round to ``sig`` significant digits, group thousands, drop exponent for everyday sizes.

    >>> num(1856.2)
    '1,856'
    >>> num(0.2916, 2)
    '0.29'
    >>> num(96.0)
    '96'
    """
    return _num(_check(value), sig)


def _num(x: float, sig: int) -> str:
    if x == 0:
        return "0"
    exp = math.floor(math.log10(abs(x)))
    decimals = max(sig - 1 - exp, 0)
    rounded = round(x, decimals)
    text = f"{rounded:,.{decimals}f}"
    return text.rstrip("0").rstrip(".") if "." in text else text


def sci(value: float, sig: int = 3, style: Style = "text") -> str:
    """Scientific notation as the chapter writes it.

    >>> sci(5.91e17, 2)
    '5.9e17'
    >>> sci(5.91e17, 2, style="latex")
    '5.9 \\\\times 10^{17}'
    """
    return _sci(_check(value), sig, style)


def _sci(x: float, sig: int, style: Style) -> str:
    if x == 0:
        return "0"
    mant, exp = f"{x:.{sig - 1}e}".split("e")
    mant = mant.rstrip("0").rstrip(".") if "." in mant else mant
    e = int(exp)
    return f"{mant} \\times 10^{{{e}}}" if style == "latex" else f"{mant}e{e}"


def _scaled(x: float, table: list[tuple[float, str]], base: str) -> tuple[float, str]:
    for factor, name in table:
        if abs(x) >= factor:
            return x / factor, name
    return x, base


def fmt(
    value: float,
    unit: str = "",
    *,
    sig: int = 3,
    system: System = "si",
    style: Style = "text",
) -> str:
    """Format ``value`` (in base units: bytes, seconds, FLOP/s, $) for people.

    ``unit`` picks the rendering: ``"B"`` bytes with ``system`` prefixes, ``"s"`` time
    (s/ms/μs), ``"$"`` money, big rates such as ``"FLOP/s"`` in scientific notation,
    anything else is appended after the number. ``style="latex"`` returns TeX.

    >>> fmt(42.95e9, "B", system="iec")
    '40 GiB'
    >>> fmt(1.2, "$")
    '$1.20'
    >>> fmt(float("nan"))
    Traceback (most recent call last):
    ...
    servingmath.errors.InvalidInputError: value to format must be a finite number, got nan
    """
    return _fmt(_check(value), unit, sig, system, style)


def _fmt(x: float, unit: str, sig: int, system: System, style: Style) -> str:
    if unit == "B":
        scaled, name = _scaled(x, _IEC if system == "iec" else _SI, "B")
        number, unit_text = num(scaled, sig), name
    elif unit == "s":
        scaled, name = _scaled(x, _TIME, "s")
        number, unit_text = num(scaled, sig), name
    elif unit == "$":
        text = f"${x:,.2f}" if abs(x) >= 0.01 else f"${num(x, sig)}"
        return text.replace("$", "\\$") if style == "latex" else text
    elif unit in _SCI_UNITS:
        number, unit_text = sci(x, sig, style), unit
    else:
        number, unit_text = num(x, sig), unit
    if style == "latex":
        number = number.replace(",", "")  # MathML renders a grouping comma as punctuation
        unit_tex = unit_text.replace("$", "\\$")
        return f"{number}\\,\\text{{{unit_tex}}}" if unit_text else number
    return f"{number} {unit_text}" if unit_text else number
