"""Named values that pages show inline: the registry behind ``{{ key }}`` placeholders.

A :class:`Shown` is a computed number with its unit and its formatted text (through
:func:`servingmath.units.fmt`, the one formatting helper), so prose, tables and formulas
can cite a value by name instead of typing it.

>>> s = shown("q2.batch", 32)
>>> s.text, s.tex
('32', '32')
>>> shown("q1.kv", 163840.0, "B", system="iec").text
'160 KiB'
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

from servingmath.units import System, fmt


@dataclass(frozen=True)
class Shown:
    """A value as a page shows it: ``text`` in prose and tables, ``tex`` inside formulas."""

    key: str
    value: float | str
    unit: str
    text: str
    tex: str


def shown(key: str, value: float | str, unit: str = "", *, sig: int = 3, system: System = "si") -> Shown:
    """Format ``value`` once, for text and for TeX. Strings (slice names, dtypes) pass through."""
    if isinstance(value, str):
        return Shown(key, value, unit, value, f"\\text{{{value}}}")
    return Shown(
        key,
        value,
        unit,
        fmt(value, unit, sig=sig, system=system),
        fmt(value, unit, sig=sig, system=system, style="latex"),
    )


def as_registry(items: Iterable[Shown]) -> dict[str, Shown]:
    """Index values by key, refusing duplicates (a key names exactly one value)."""
    out: dict[str, Shown] = {}
    for item in items:
        if item.key in out:
            raise ValueError(f"value key {item.key!r} is defined twice")
        out[item.key] = item
    return out
