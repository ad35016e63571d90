"""Re-import servingmath when it changed, so `mkdocs serve` shows library edits at the next reload.

`mkdocs serve` lives in one Python process: without this, the first imported version of
servingmath (and every value computed from it) would be served until the server restarts. The
modules are dropped from the import cache only when a file under servingmath/ changed (a hash
of every ``.py`` and ``.json`` file's path and bytes, taken at each build's start): after a page
edit the library and the values it already computed (the placeholder registry) are reused.
"""

from __future__ import annotations

import hashlib
import importlib
import importlib.util
import logging
import sys
from pathlib import Path

log = logging.getLogger("mkdocs.hooks.reload_library")

SUFFIXES = {".py", ".json"}
_state = {"digest": ""}


def library_digest(package: Path) -> str:
    """A hash of every source and data file under ``package``.

    >>> import tempfile, pathlib
    >>> d = pathlib.Path(tempfile.mkdtemp())
    >>> _ = (d / "a.py").write_text("x = 1")
    >>> before = library_digest(d)
    >>> _ = (d / "a.py").write_text("x = 2")
    >>> before != library_digest(d)
    True
    """
    h = hashlib.sha256()
    for f in sorted(package.rglob("*")):
        if f.suffix in SUFFIXES and f.is_file() and "__pycache__" not in f.parts:
            h.update(f.relative_to(package).as_posix().encode() + b"\0")
            h.update(f.read_bytes())
    return h.hexdigest()


def purge_library() -> int:
    """Drop servingmath and its submodules from the import cache; return how many."""
    names = [n for n in sys.modules if n == "servingmath" or n.startswith("servingmath.")]
    for name in names:
        del sys.modules[name]
    importlib.invalidate_caches()
    return len(names)


def _package_dir() -> Path | None:
    """The servingmath this process imports (the checkout's, or a copy's on PYTHONPATH)."""
    module = sys.modules.get("servingmath")
    if module is not None and getattr(module, "__file__", None):
        return Path(module.__file__).parent
    spec = importlib.util.find_spec("servingmath")
    return Path(spec.origin).parent if spec and spec.origin else None


def on_config(config):
    package = _package_dir()
    digest = library_digest(package) if package else ""
    if digest and digest == _state["digest"]:
        return config  # unchanged since the last build: keep the imported library
    dropped = purge_library()
    _state["digest"] = digest
    if dropped:
        log.debug("re-importing servingmath (%d modules dropped)", dropped)
    return config
