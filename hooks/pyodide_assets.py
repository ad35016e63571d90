"""Ship what the in-browser runner needs with the site (never a CDN): Pyodide and servingmath.

* ``assets/pyodide/``: Pyodide's runtime, copied from ``node_modules/pyodide`` (pinned with its
  integrity hash in package-lock.json, installed by ``make install``): only the files
  ``loadPyodide`` fetches.
* ``assets/pyodide/servingmath.zip``: the pure-Python ``servingmath`` package, Python-Markdown,
  pymdownx's arithmatex and latex2mathml with their distribution metadata (so a block's printed
  Markdown renders as at build time), the runner's Python half (``hooks/pyodide_session.py`` as
  ``sm_session.py``) with the Markdown configuration of mkdocs.yml, and the data file the
  playground notebook reads.
  Deterministic bytes: sorted entries, fixed timestamps and permissions.

``docs/assets/javascripts/runner.js`` fetches none of it until the reader first presses
"编辑并运行"; the worker then unpacks the zip with ``pyodide.unpackArchive``.
"""

from __future__ import annotations

import importlib
import importlib.metadata
import io
import json
import zipfile
from collections.abc import Iterable
from pathlib import Path
from typing import Any

import build_cache
from mkdocs.exceptions import PluginError
from mkdocs.structure.files import File

ROOT = Path(__file__).resolve().parents[1]
DEST = "assets/pyodide/"
ARCHIVE = DEST + "servingmath.zip"
PYODIDE_DIR = ROOT / "node_modules" / "pyodide"
# What loadPyodide({indexURL}) fetches from a module worker (pyodide.mjs imports pyodide.asm.mjs).
PYODIDE_FILES = (
    "pyodide.mjs",
    "pyodide.asm.mjs",
    "pyodide.asm.wasm",
    "python_stdlib.zip",
    "pyodide-lock.json",
)
# Whole packages (pure Python), and single modules of a package (pymdownx is large; the runner
# needs arithmatex only).
PACKAGES = ("servingmath", "markdown", "latex2mathml")
MODULES = {"pymdownx": ("__init__.py", "__meta__.py", "arithmatex.py", "util.py")}
SESSION = ROOT / "hooks" / "pyodide_session.py"
# Files read by runnable code, at their repository paths (the playground finds its model config
# next to the servingmath package, as in a checkout).
DATA_FILES = ("docs/beyond/tiny-config.json",)
# Markdown extensions the browser can load: Python-Markdown's own, and these.
EXTRA_EXTENSIONS = ("pymdownx.arithmatex",)
ZIP_TIME = (1980, 1, 1, 0, 0, 0)


def package_dir(name: str) -> Path:
    mod = importlib.import_module(name)
    if mod.__file__ is None:
        raise PluginError(f"cannot locate the package {name}")
    return Path(mod.__file__).parent


def package_files(name: str) -> list[tuple[str, Path]]:
    """(path in the archive, file) for every file of a package, caches left out."""
    base = package_dir(name)
    wanted = MODULES.get(name)
    out = []
    for path in base.rglob("*"):
        rel = path.relative_to(base)
        if not path.is_file() or "__pycache__" in rel.parts or path.suffix in (".pyc", ".pyo"):
            continue
        if wanted is not None and rel.as_posix() not in wanted:
            continue
        out.append((f"{name}/{rel.as_posix()}", path))
    return out


def distributions_of(name: str) -> list[importlib.metadata.Distribution]:
    """The installed distributions that provide the top-level package ``name``: the
    ``*.dist-info`` folders beside it whose ``top_level.txt`` (else ``RECORD``) names it.

    The same answer as ``importlib.metadata.packages_distributions()[name]``, without reading the
    file list of every installed distribution (0.3-0.6 s at every build and rebuild).

    >>> [d.metadata["Name"] for d in distributions_of("markdown")]
    ['Markdown']
    """
    site = package_dir(name).parent
    key = f"{name}\0{site}\0{site.stat().st_mtime_ns}"  # an install or removal changes the folder
    cached = build_cache.memory("distributions").get(key)
    if cached is not None:
        return cached
    found = []
    for info in sorted(site.glob("*.dist-info")):
        top, record = info / "top_level.txt", info / "RECORD"
        if top.is_file():
            provides = name in top.read_text(encoding="utf-8").split()
        else:
            lines = record.read_text(encoding="utf-8").splitlines() if record.is_file() else []
            provides = any(line.startswith(f"{name}/") for line in lines)
        if provides:
            found.append(importlib.metadata.PathDistribution(info))
    return build_cache.remember("distributions", key, found)


def metadata_files(name: str) -> list[tuple[str, bytes]]:
    """The distribution metadata of the package ``name`` (``importlib.metadata`` reads it:
    latex2mathml asks for its own version when imported), when it is installed from a wheel."""
    out: list[tuple[str, bytes]] = []
    for dist in distributions_of(name):
        for rel in ("METADATA", "entry_points.txt", "top_level.txt"):
            text = dist.read_text(rel)
            if text is not None:
                folder = f"{dist.metadata['Name'].replace('-', '_')}-{dist.version}.dist-info"
                out.append((f"{folder}/{rel}", text.encode()))
    return out


def markdown_config(extensions: Iterable[Any], configs: dict[str, Any]) -> dict[str, Any]:
    """The mkdocs.yml extensions the browser runner can load, as importable names, with their
    JSON-serialisable options (Python-Markdown finds extensions by entry point, which an
    unpacked zip has none of, so short names become module paths)."""
    names, opts = [], {}
    for ext in extensions:
        if not isinstance(ext, str):
            continue
        full = ext if "." in ext else f"markdown.extensions.{ext}"
        if not (full.startswith("markdown.extensions.") or full in EXTRA_EXTENSIONS):
            continue
        try:
            importlib.import_module(full)
            cfg = json.loads(json.dumps(configs.get(ext, {})))
        except (ImportError, TypeError, ValueError):
            continue  # not importable or options that are not data (a slugify function)
        names.append(full)
        if cfg:
            opts[full] = cfg
    for required in ("markdown.extensions.tables", "markdown.extensions.md_in_html"):
        if required not in names:  # markdown-exec adds them too
            names.append(required)
    return {"extensions": names, "configs": opts}


def build_archive(entries: Iterable[tuple[str, bytes]]) -> bytes:
    """A zip with the same bytes for the same entries: sorted, fixed time and mode."""
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w") as zf:
        for name, data in sorted(entries):
            info = zipfile.ZipInfo(name, date_time=ZIP_TIME)
            info.compress_type = zipfile.ZIP_DEFLATED
            info.external_attr = 0o644 << 16
            info.create_system = 3
            zf.writestr(info, data, compresslevel=9)
    return buf.getvalue()


def archive_entries(md_config: dict[str, Any], root: Path = ROOT) -> list[tuple[str, bytes]]:
    files = [f for name in (*PACKAGES, *MODULES) for f in package_files(name)]
    entries = [(arc, path.read_bytes()) for arc, path in files]
    entries += [f for name in (*PACKAGES, *MODULES) if name != "servingmath" for f in metadata_files(name)]
    entries += [(rel, (root / rel).read_bytes()) for rel in DATA_FILES]
    entries.append(("sm_session.py", SESSION.read_bytes()))
    entries.append(("sm_session.json", json.dumps(md_config, sort_keys=True, indent=1).encode()))
    return entries


def runtime_files() -> list[Path]:
    missing = [n for n in PYODIDE_FILES if not (PYODIDE_DIR / n).is_file()]
    if missing:
        raise PluginError(
            f"Pyodide files missing in {PYODIDE_DIR}: {', '.join(missing)} (run `make install`)"
        )
    return [PYODIDE_DIR / n for n in PYODIDE_FILES]


def on_files(files, config):
    for path in runtime_files():
        if files.get_file_from_path(DEST + path.name) is None:
            files.append(File.generated(config, DEST + path.name, abs_src_path=str(path)))
    md = markdown_config(config.markdown_extensions, config.mdx_configs)
    entries = archive_entries(md)
    key = build_cache.key(*(part for name, data in sorted(entries) for part in (name, data)))
    data = build_cache.memory("pyodide-zip").get(key)  # the same bytes at every `make serve` rebuild
    if data is None:
        data = build_cache.remember("pyodide-zip", key, build_archive(entries))
    old = files.get_file_from_path(ARCHIVE)
    if old is not None:
        files.remove(old)
    files.append(File.generated(config, ARCHIVE, content=data))
    return files
