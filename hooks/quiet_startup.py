"""Keep the build's output to what an author needs to read (warnings and errors stay).

* jieba (Chinese word segmentation for the search index) logs four lines at DEBUG level to
  stderr on every build ("Building prefix dict from the default dictionary ..."): its logger is
  set to WARNING, so its warnings and errors still show.
* The playground notebook runs in a Jupyter kernel. Over the default TCP transport, ipykernel
  warns at every start that the connection is not encrypted. The kernel is local to the build,
  so it now uses the IPC transport (Unix sockets in Jupyter's runtime folder), as the warning
  advises: hooks/jupyter/jupyter_nbconvert_config.json, found by nbconvert through
  ``JUPYTER_CONFIG_PATH``, which this hook extends (never replaces).
"""

from __future__ import annotations

import logging
import os
from pathlib import Path

JUPYTER_CONFIG = Path(__file__).resolve().parent / "jupyter"


def extended_path(current: str | None, extra: Path) -> str:
    """``current`` (a PATH-like list) with ``extra`` first, once.

    >>> extended_path("/a", Path("/j")) == os.pathsep.join(["/j", "/a"])
    True
    >>> extended_path(os.pathsep.join(["/j", "/a"]), Path("/j")) == os.pathsep.join(["/j", "/a"])
    True
    >>> extended_path(None, Path("/j"))
    '/j'
    """
    parts = [p for p in (current or "").split(os.pathsep) if p]
    return os.pathsep.join([str(extra), *(p for p in parts if p != str(extra))])


def on_config(config):
    import jieba

    jieba.setLogLevel(logging.WARNING)
    os.environ["JUPYTER_CONFIG_PATH"] = extended_path(os.environ.get("JUPYTER_CONFIG_PATH"), JUPYTER_CONFIG)
    return config
