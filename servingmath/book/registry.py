"""All values the site cites by name, gathered from the page modules that compute them.

Each provider module has a ``values() -> dict[str, Shown]`` function. A key may be defined
by one provider only.

>>> v = all_values()
>>> v["q3.step.8"].text
'17.2 ms'
"""

from __future__ import annotations

import functools
import importlib
from collections.abc import Mapping
from types import MappingProxyType

from servingmath.book.shown import Shown, as_registry

# One module per page family; each key prefix belongs to one module.
PROVIDERS: tuple[str, ...] = (
    "servingmath.book.chapter",
    "servingmath.book.exercises",
    "servingmath.book.chip_compare",
    "servingmath.book.observations",
    "servingmath.book.measured",
)


def all_values() -> Mapping[str, Shown]:
    """Every named value, from every provider; duplicate keys are an error.

    Computed once per process (the values depend only on the code, which the site build
    re-imports on every rebuild), and read-only.
    """
    return MappingProxyType(_computed())


@functools.cache
def _computed() -> dict[str, Shown]:
    items: list[Shown] = []
    for name in PROVIDERS:
        items.extend(importlib.import_module(name).values().values())
    return as_registry(items)
