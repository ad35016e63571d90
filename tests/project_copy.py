"""Make a throw-away copy of the project, to build or serve it with a change."""

from __future__ import annotations

import shutil
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
PARTS = (
    "mkdocs.yml", "docs", "hooks", "overrides", "search", "servingmath", "requirements.lock",
    "package.json", "package-lock.json",
    ".github",  # docs/publishing.md shows the workflow files
)  # fmt: skip
# Installed browser assets are read, never edited, by a build: linked, not copied.
LINKED = ("node_modules",)
# The build caches (notebook page, its CSS, compiled templates): every entry is keyed on the
# content it was made from, so a copy with an edited library or page misses where it must.
CACHE = ".cache"


def copy_project(dest: Path, *, cache: bool = True) -> Path:
    """Copy what a site build reads into ``dest``; the copy's servingmath is importable from it.

    ``cache``: start from a copy of the checkout's build cache (``.cache/``), as a second build
    of a checkout would; False gives the copy none, as a fresh clone.
    """
    dest.mkdir(parents=True, exist_ok=True)
    if cache and (ROOT / CACHE).is_dir():
        _copy_cache(ROOT / CACHE, dest / CACHE)
    for part in PARTS:
        src = ROOT / part
        if src.is_dir():
            shutil.copytree(src, dest / part, ignore=shutil.ignore_patterns("__pycache__"))
        elif src.exists():
            shutil.copy2(src, dest / part)
    for part in LINKED:
        if (ROOT / part).exists():
            (dest / part).symlink_to(ROOT / part, target_is_directory=True)
    return dest


def _copy_cache(src: Path, dest: Path) -> None:
    """Copy a build cache that a concurrent build of the checkout may be pruning: an entry that
    disappears while it is copied is left out (the copy's build computes it), never an error."""
    for path in src.rglob("*"):
        if not path.is_file() or (path.name.startswith(".") and path.name.endswith(".tmp")):
            continue
        target = dest / path.relative_to(src)
        target.parent.mkdir(parents=True, exist_ok=True)
        try:
            shutil.copy2(path, target)
        except FileNotFoundError:
            continue


def edit(path: Path, old: str, new: str) -> None:
    """Replace ``old`` (which must occur) with ``new`` in ``path``."""
    text = path.read_text(encoding="utf-8")
    assert old in text, f"{old!r} not found in {path}"
    path.write_text(text.replace(old, new, 1), encoding="utf-8")
