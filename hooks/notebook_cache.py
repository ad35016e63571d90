"""Key mkdocs-jupyter's output cache on the library too, so a cached notebook is never stale.

mkdocs-jupyter caches an executed notebook under a hash of the notebook text and its own
options only: after an edit to servingmath it would serve numbers computed by the old code.
This hook points its ``cache_dir`` at a folder named by a hash of everything the notebook's
outputs depend on (servingmath's sources and data, the notebook's inputs under docs/, the
lock file, the Python version). Any change there is a cache miss and a fresh execution; an
unrelated page edit under ``make serve`` reuses the executed notebook.
"""

from __future__ import annotations

import hashlib
import sys
from pathlib import Path

INPUTS = ("servingmath", "docs/beyond", "requirements.lock")
SUFFIXES = {".py", ".json", ".lock"}


def inputs_digest(root: Path) -> str:
    """A short hash of every input file's path and bytes under ``root``.

    >>> import tempfile, pathlib
    >>> d = pathlib.Path(tempfile.mkdtemp()); (d / "servingmath").mkdir()
    >>> _ = (d / "servingmath" / "a.py").write_text("x = 1")
    >>> before = inputs_digest(d)
    >>> _ = (d / "servingmath" / "a.py").write_text("x = 2")
    >>> before != inputs_digest(d)
    True
    """
    h = hashlib.sha256(sys.version.encode())
    for name in INPUTS:
        base = root / name
        files = sorted(base.rglob("*")) if base.is_dir() else [base]
        for f in files:
            if f.is_file() and f.suffix in SUFFIXES and "__pycache__" not in f.parts:
                h.update(f.relative_to(root).as_posix().encode())
                h.update(f.read_bytes())
    return h.hexdigest()[:16]


def on_config(config):
    plugin = config.plugins.get("mkdocs-jupyter")
    if plugin is not None and plugin.config.get("cache"):
        root = Path(config.config_file_path).parent
        plugin.config["cache_dir"] = str(root / ".cache" / "mkdocs-jupyter" / inputs_digest(root))
    return config
