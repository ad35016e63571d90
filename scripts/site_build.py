"""The scripts' shared step: build a project's site into a temporary directory, read from it."""

from __future__ import annotations

import os
import subprocess
import sys
import tempfile
from collections.abc import Callable
from pathlib import Path
from typing import TypeVar

T = TypeVar("T")


def build_and_read(project: Path, read: Callable[[Path], T], *, strict: bool, unchanged: str) -> T:
    """Run ``mkdocs build`` (``--strict`` if asked) for ``project`` into a temporary directory and
    return ``read(site)``; on a failed build, print its output and exit saying ``unchanged`` was
    left unchanged."""
    command = "mkdocs build --strict" if strict else "mkdocs build"
    with tempfile.TemporaryDirectory(prefix="servingmath-build-") as tmp:
        proc = subprocess.run(
            [sys.executable, "-m", *command.split(), "--site-dir", tmp],
            cwd=project,
            env={**os.environ, "NO_MKDOCS_2_WARNING": "1"},
            capture_output=True,
            text=True,
        )
        if proc.returncode != 0:
            sys.stderr.write(proc.stdout + proc.stderr)
            raise SystemExit(f"{command} failed (exit {proc.returncode}); {unchanged} unchanged")
        return read(Path(tmp))
