"""Make two builds of the same commit byte-identical.

* Dates. MkDocs stamps every page with the build date (sitemap.xml ``<lastmod>``) and uses it
  as the gzip mtime of sitemap.xml.gz, unless ``SOURCE_DATE_EPOCH`` is set
  (``mkdocs.utils.get_build_datetime``). This hook sets it, when the caller has not, to the
  commit time of ``HEAD`` (``git log -1 --format=%ct``), or to a fixed date outside a git
  checkout, so any ``mkdocs build``/``serve`` is reproducible without extra flags.
* Notebook cell ids. jupytext gives every cell of docs/beyond/playground.py a random id
  (nbformat's ``random_cell_id``) and nbconvert writes it into the page as
  ``id="cell-id=…"``; nothing links to those ids, so they are renumbered in page order.
"""

from __future__ import annotations

import logging
import os
import re
import subprocess
from pathlib import Path

log = logging.getLogger("mkdocs.hooks.reproducible")

ENV = "SOURCE_DATE_EPOCH"
OURS = "SERVINGMATH_SOURCE_DATE_EPOCH"  # the value this hook set (so a later build may refresh it)
FALLBACK_EPOCH = 1735689600  # 2025-01-01T00:00:00Z, for builds outside a git checkout
CELL_ID = re.compile(r'id="cell-id=[^"]*"')


def commit_epoch(directory: Path) -> int | None:
    """Commit time (Unix seconds) of ``HEAD`` of the git checkout holding ``directory``, or None.

    >>> commit_epoch(Path("/")) is None or commit_epoch(Path("/")) > 0
    True
    """
    try:
        out = subprocess.run(
            ["git", "-C", str(directory), "log", "-1", "--format=%ct"],
            capture_output=True,
            text=True,
            timeout=20,
            check=False,
        )
    except (OSError, subprocess.SubprocessError):
        return None
    text = out.stdout.strip()
    return int(text) if out.returncode == 0 and text.isdigit() else None


def source_epoch(directory: Path) -> int:
    """The epoch a build of ``directory`` is dated with: HEAD's commit time, else a fixed date.

    >>> source_epoch(Path("/nonexistent")) == FALLBACK_EPOCH
    True
    """
    epoch = commit_epoch(directory)
    return FALLBACK_EPOCH if epoch is None else epoch


def renumber_cell_ids(html: str) -> str:
    """Replace nbconvert's random ``cell-id`` attributes by their position on the page.

    >>> renumber_cell_ids('<div id="cell-id=9ca9a572"></div><div id="cell-id=x1"></div>')
    '<div id="cell-id=1"></div><div id="cell-id=2"></div>'
    """
    counter = iter(range(1, 1 << 30))
    return CELL_ID.sub(lambda _: f'id="cell-id={next(counter)}"', html)


def on_config(config):
    current = os.environ.get(ENV)
    if current is None or current == os.environ.get(OURS):
        epoch = str(source_epoch(Path(config.config_file_path).parent))
        os.environ[ENV] = os.environ[OURS] = epoch
        log.debug("%s=%s (from git, or the fixed fallback)", ENV, epoch)
    return config


def on_post_page(output, page, config):
    return renumber_cell_ids(output) if "cell-id=" in output else output
