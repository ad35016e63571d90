"""The footer stamp: which commit, of which date, and which servingmath computed a page's numbers.

``config.extra.build_stamp`` (read by overrides/partials/copyright.html) holds the commit of
``HEAD``, its commit date (not the build's: builds of one commit stay byte-identical, as with
hooks/reproducible.py), whether the working tree had uncommitted changes, and the installed
servingmath version. Outside a git checkout the commit is unknown and the stamp says so.
"""

from __future__ import annotations

import subprocess
from dataclasses import asdict, dataclass
from datetime import UTC, datetime
from importlib import metadata
from pathlib import Path


@dataclass(frozen=True)
class Stamp:
    version: str
    commit: str = ""  # full hash, "" outside a git checkout
    date: str = ""  # commit date, YYYY-MM-DD (UTC)
    dirty: bool = False  # tracked files differ from the commit

    @property
    def short(self) -> str:
        return self.commit[:12]


def _git(directory: Path, *args: str) -> str | None:
    try:
        out = subprocess.run(
            ["git", "-C", str(directory), *args], capture_output=True, text=True, timeout=20, check=False
        )
    except (OSError, subprocess.SubprocessError):
        return None
    return out.stdout.strip() if out.returncode == 0 else None


def servingmath_version() -> str:
    try:
        return metadata.version("servingmath")
    except metadata.PackageNotFoundError:
        return "（未安装）"


def build_stamp(directory: Path) -> Stamp:
    """The stamp for a build of the project in ``directory``.

    >>> build_stamp(Path("/")).commit == "" or len(build_stamp(Path("/")).commit) == 40
    True
    """
    version = servingmath_version()
    line = _git(directory, "log", "-1", "--format=%H %ct")
    if not line:
        return Stamp(version)
    commit, epoch = line.split()
    date = datetime.fromtimestamp(int(epoch), tz=UTC).strftime("%Y-%m-%d")
    status = _git(directory, "status", "--porcelain", "--untracked-files=no")
    return Stamp(version, commit, date, dirty=bool(status))


def on_config(config):
    stamp = build_stamp(Path(config.config_file_path).parent)
    config.extra["build_stamp"] = {**asdict(stamp), "short": stamp.short}
    return config
