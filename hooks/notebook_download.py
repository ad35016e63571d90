"""Offer the playground notebook as a real ``.ipynb`` download next to its page.

The notebook lives in docs/ as a jupytext percent script (readable diffs, no outputs). This
hook converts it with jupytext while the site builds and adds the ``.ipynb`` to the site, at
``<page>/<name>.ipynb``, beside the ``.py`` that mkdocs-jupyter's ``include_source`` copies.
Nothing generated is committed.
"""

from __future__ import annotations

from pathlib import PurePosixPath

import jupytext
from mkdocs.structure.files import File

NOTEBOOKS = ("beyond/playground.py",)


def ipynb_uri(src_uri: str) -> str:
    """Where the download goes: ``beyond/playground.py`` -> ``beyond/playground/playground.ipynb``.

    >>> ipynb_uri("beyond/playground.py")
    'beyond/playground/playground.ipynb'
    """
    p = PurePosixPath(src_uri)
    return str(p.parent / p.stem / f"{p.stem}.ipynb")


def to_ipynb(script: str) -> str:
    """The jupytext percent ``script`` as notebook JSON (no outputs, stable cell ids).

    >>> '"id": "cell-1"' in to_ipynb("# %%\\nx = 1\\n")
    True
    """
    nb = jupytext.reads(script, fmt="py:percent")
    for i, cell in enumerate(nb.cells, start=1):
        cell["id"] = f"cell-{i}"  # nbformat would pick random ids: builds must be byte-identical
    return jupytext.writes(nb, fmt="ipynb")


def on_files(files, config):
    for src_uri in NOTEBOOKS:
        source = files.get_file_from_path(src_uri)
        if source is None:
            continue
        with open(source.abs_src_path, encoding="utf-8") as f:
            content = to_ipynb(f.read())
        files.append(File.generated(config, ipynb_uri(src_uri), content=content))
    return files
