"""The hooks' one build cache: memory that outlives `make serve` rebuilds, and ``.cache/`` on disk.

Not a hook itself: the caching hooks import it (MkDocs puts ``hooks/`` on ``sys.path`` while it
loads a hook). MkDocs re-executes every hook file at each `make serve` rebuild, which resets a
hook's module-level state; this module is imported once per process, so what it keeps survives.

Every entry is found by a key that hashes everything its value depends on (the inputs' bytes,
the tools' versions, the caching hook's own source), so an entry is never stale: a changed input
is another key. On disk an entry is one JSON file, ``.cache/<namespace>/<key>.json``, written
atomically; ``$SERVINGMATH_CACHE_DIR`` moves the cache (tests use an empty one to check that a
cold build equals a cached one).
"""

from __future__ import annotations

import hashlib
import json
import os
import sys
from collections import OrderedDict
from importlib.metadata import PackageNotFoundError, version
from pathlib import Path
from typing import Any

# What answer blocks, the notebook and the API reference read besides their own text: the
# library's sources and data, the notebook's inputs, the pinned dependencies.
INPUTS = ("servingmath", "docs/beyond", "requirements.lock")
SUFFIXES = {".py", ".json", ".lock", ".toml", ".csv"}
MEMORY_ENTRIES = 256  # per namespace; a site has ~100 answer blocks, 15 pages

_memory: dict[str, OrderedDict[str, Any]] = {}
_used: dict[str, set[str]] = {}  # namespace -> keys this build loaded or stored


def cache_root(project: Path) -> Path:
    """``.cache/`` in the project, or ``$SERVINGMATH_CACHE_DIR`` when set."""
    return Path(os.environ.get("SERVINGMATH_CACHE_DIR") or project / ".cache")


def inputs_digest(root: Path) -> str:
    """A short hash of the Python version and every input file's path and bytes under ``root``.

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


def versions(packages: tuple[str, ...]) -> str:
    """``name=version;...`` of installed distributions (``-`` when absent), for cache keys.

    >>> versions(("markdown", "no-such-package-here"))  # doctest: +ELLIPSIS
    'markdown=...;no-such-package-here=-'
    """
    out = []
    for name in packages:
        try:
            out.append(f"{name}={version(name)}")
        except PackageNotFoundError:
            out.append(f"{name}=-")
    return ";".join(out)


def key(*parts: str | bytes) -> str:
    """A cache key: the hash of ``parts``, kept apart so that ``("ab", "c") != ("a", "bc")``.

    >>> key("ab", "c") != key("a", "bc")
    True
    """
    h = hashlib.sha256()
    for part in parts:
        data = part.encode() if isinstance(part, str) else part
        h.update(len(data).to_bytes(8, "little") + data)
    return h.hexdigest()[:24]


def memory(namespace: str) -> OrderedDict[str, Any]:
    """This process's entries of ``namespace`` (oldest first)."""
    return _memory.setdefault(namespace, OrderedDict())


def remember(namespace: str, entry_key: str, value: Any) -> Any:
    """Keep ``value`` in memory (the least recently used entries go past ``MEMORY_ENTRIES``)."""
    entries = memory(namespace)
    entries[entry_key] = value
    entries.move_to_end(entry_key)
    while len(entries) > MEMORY_ENTRIES:
        entries.popitem(last=False)
    return value


def _file(root: Path, namespace: str, entry_key: str) -> Path:
    return cache_root(root) / namespace / f"{entry_key}.json"


def load(root: Path, namespace: str, entry_key: str, *, disk: bool = True) -> Any | None:
    """The entry from memory, else from ``.cache/`` (then remembered), else ``None``."""
    _used.setdefault(namespace, set()).add(entry_key)
    entries = memory(namespace)
    if entry_key in entries:
        entries.move_to_end(entry_key)
        return entries[entry_key]
    if not disk:
        return None
    try:
        text = _file(root, namespace, entry_key).read_text(encoding="utf-8")
    except FileNotFoundError:  # not cached, or removed by a concurrent build's prune()
        return None
    return remember(namespace, entry_key, json.loads(text))


def store(root: Path, namespace: str, entry_key: str, value: Any, *, disk: bool = True) -> Any:
    """Remember ``value`` and write it to ``.cache/`` (atomically: a concurrent build never reads
    half a file)."""
    _used.setdefault(namespace, set()).add(entry_key)
    remember(namespace, entry_key, value)
    if disk:
        write_atomically(_file(root, namespace, entry_key), json.dumps(value, ensure_ascii=False))
    return value


def write_atomically(path: Path, text: str) -> None:
    """Write ``text`` to ``path`` through a temporary file and a rename."""
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(f".{path.name}.{os.getpid()}.tmp")
    tmp.write_text(text, encoding="utf-8")
    os.replace(tmp, path)


def begin_build() -> None:
    """Start counting which entries this build uses (for :func:`prune`)."""
    _used.clear()


def prune(root: Path) -> int:
    """Remove the disk entries of every namespace this build used that this build did not use
    (an older library's answers, a page's previous text): ``.cache/`` stays the size of one site.
    Returns how many files were removed."""
    removed = 0
    for namespace, keys in _used.items():
        folder = cache_root(root) / namespace
        for path in folder.glob("*.json") if folder.is_dir() else ():
            if path.stem not in keys:
                path.unlink(missing_ok=True)
                removed += 1
    return removed
