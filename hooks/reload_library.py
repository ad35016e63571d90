"""Re-import servingmath on every build, so `mkdocs serve` shows library edits at the next reload.

`mkdocs serve` lives in one Python process: without this, the first imported version of
servingmath (and every value computed from it) would be served until the server restarts.
"""

from __future__ import annotations

import importlib
import logging
import sys

log = logging.getLogger("mkdocs.hooks.reload_library")


def purge_library() -> int:
    """Drop servingmath and its submodules from the import cache; return how many."""
    names = [n for n in sys.modules if n == "servingmath" or n.startswith("servingmath.")]
    for name in names:
        del sys.modules[name]
    importlib.invalidate_caches()
    return len(names)


def on_config(config):
    dropped = purge_library()
    if dropped:
        log.debug("re-importing servingmath (%d modules dropped)", dropped)
    return config
