"""Load one of the site's hooks (``hooks/<name>.py``) as a fresh module, as MkDocs loads it."""

from __future__ import annotations

import importlib.util
from pathlib import Path
from types import ModuleType

HOOKS = Path(__file__).resolve().parents[1] / "hooks"


def load_hook(name: str) -> ModuleType:
    """A new module object for ``hooks/<name>.py`` (module state starts empty at every call, as
    at every `make serve` rebuild); it imports ``hooks/build_cache.py`` through ``sys.path``."""
    spec = importlib.util.spec_from_file_location(f"hook_{name}", HOOKS / f"{name}.py")
    assert spec and spec.loader, name
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module
