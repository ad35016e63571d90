"""All values the site cites by name, gathered from the page modules that compute them.

Each provider module has a ``values() -> dict[str, Shown]`` function. A key may be defined
by one provider only.

>>> v = all_values()
>>> v["q3.step.8"].text
'17.2 ms'
"""

from __future__ import annotations

import importlib

from servingmath.shown import Shown, as_registry

# One module per page family; each key prefix belongs to one module.
PROVIDERS: tuple[str, ...] = ("servingmath.chapter",)


def all_values() -> dict[str, Shown]:
    """Every named value, from every provider; duplicate keys are an error."""
    items: list[Shown] = []
    for name in PROVIDERS:
        items.extend(importlib.import_module(name).values().values())
    return as_registry(items)
