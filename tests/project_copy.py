"""Make a throw-away copy of the project, to build or serve it with a change."""

from __future__ import annotations

import shutil
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
PARTS = (
    "mkdocs.yml", "docs", "hooks", "overrides", "search", "servingmath", "requirements.lock",
    "package.json", "package-lock.json",
)  # fmt: skip
# Installed browser assets are read, never edited, by a build: linked, not copied.
LINKED = ("node_modules",)


def copy_project(dest: Path) -> Path:
    """Copy what a site build reads into ``dest``; the copy's servingmath is importable from it."""
    dest.mkdir(parents=True, exist_ok=True)
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


def edit(path: Path, old: str, new: str) -> None:
    """Replace ``old`` (which must occur) with ``new`` in ``path``."""
    text = path.read_text(encoding="utf-8")
    assert old in text, f"{old!r} not found in {path}"
    path.write_text(text.replace(old, new, 1), encoding="utf-8")
