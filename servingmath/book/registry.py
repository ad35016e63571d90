"""All values the site cites by name, gathered from the page modules that compute them,
under each constant set (``book``: the chapter's own constants; ``spec``: vendor figures).

Each provider module has a ``values(constants) -> dict[str, Shown]`` function. A key may be
defined by one provider only, and every key exists under every constant set.

>>> book, spec = all_values("book"), all_values("spec")
>>> book["q3.step.8"].text, spec["q3.step.8"].text
('17.4 ms', '17.2 ms')
>>> sorted(book) == sorted(spec)
True
"""

from __future__ import annotations

import functools
import importlib
from collections.abc import Mapping
from types import MappingProxyType

from servingmath.book.shown import Shown, as_registry
from servingmath.chips import CONSTANT_SETS, check_constants

# One module per page family; each key prefix belongs to one module.
PROVIDERS: tuple[str, ...] = (
    "servingmath.book.chapter",
    "servingmath.book.exercises",
    "servingmath.book.chip_compare",
    "servingmath.book.observations",
    "servingmath.book.measured",
)


def all_values(constants: str) -> Mapping[str, Shown]:
    """Every named value under one constant set, from every provider; duplicate keys are an error.

    Computed once per process (the values depend only on the code, which the site build
    re-imports on every rebuild), and read-only.
    """
    return MappingProxyType(_computed(check_constants(constants)))


@functools.cache
def differing_keys() -> frozenset[str]:
    """Keys whose shown text differs between the constant sets.

    >>> "q2.min_chips" in differing_keys(), "model.layers" in differing_keys()
    (True, False)
    """
    book, spec = (all_values(k) for k in CONSTANT_SETS)
    return frozenset(k for k in book if book[k].text != spec[k].text or book[k].tex != spec[k].tex)


@functools.cache
def _computed(constants: str) -> dict[str, Shown]:
    items: list[Shown] = []
    for name in PROVIDERS:
        items.extend(importlib.import_module(name).values(constants).values())
    return as_registry(items)
