"""Render pages ahead on the other core, so that the build finds them in its cache.

A build renders its pages one after another on one core. Once the pages are known (``on_nav``),
this hook forks a child process that renders them too, in another order: the notebook pages
first (the slowest), then the others from the last to the first, while this process goes from
the first to the last. Everything the child computes lands in the build cache
(``hooks/build_cache.py``: answer blocks, the notebook page, the API reference, MathML...), where
this process finds it when it reaches those pages; the two meet in the middle. The child writes
nothing else and shows nothing (its logging and output are switched off): errors are reported by
this process, which computes whatever the child did not finish, exactly as without the child.
Once this process has rendered every page (``on_env``) the child is stopped.

Correct because every cache entry is keyed on everything it depends on: the child computes the
same bytes this process would (the builds are deterministic, tests check byte-identical sites).
Only where ``fork`` is safe and useful: Linux, more than one CPU. ``SERVINGMATH_RENDER_AHEAD=0``
turns it off (``make bench`` and the tests build both ways).
"""

from __future__ import annotations

import contextlib
import logging
import os
import re
import signal
import sys
from pathlib import Path
from typing import Any

import build_cache
from mkdocs.plugins import event_priority

log = logging.getLogger("mkdocs.hooks.render_ahead")

_child = build_cache.memory("render-ahead")  # pid, root: outlives a `make serve` rebuild's reload


def enabled() -> bool:
    return (
        sys.platform.startswith("linux")
        and hasattr(os, "fork")
        and (os.cpu_count() or 1) > 1
        and os.environ.get("SERVINGMATH_RENDER_AHEAD", "1") != "0"
    )


def child_order(pages: list[Any], is_notebook: Any, is_api: Any) -> list[Any]:
    """The notebook pages first, then the others from the last to the first; not the API
    reference (mkdocstrings records cross-references there from what it has loaded so far, so
    that page is rendered by this process, in its own order).

    >>> child_order(["a", "b", "nb", "c", "api"], lambda p: p == "nb", lambda p: p == "api")
    ['nb', 'c', 'b', 'a']
    """
    rest = [p for p in reversed(pages) if not is_notebook(p) and not is_api(p)]
    return [p for p in pages if is_notebook(p)] + rest


AUTODOC = re.compile(r"^:::", re.M)  # a mkdocstrings block


def _is_api(page: Any) -> bool:
    return bool(AUTODOC.search(Path(page.file.abs_src_path).read_text(encoding="utf-8")))


def _silence() -> None:
    """The child shows nothing: no logging, standard output and error to /dev/null."""
    logging.disable(logging.CRITICAL)
    null = os.open(os.devnull, os.O_WRONLY)
    os.dup2(null, 1)
    os.dup2(null, 2)


def _render(pages: list[Any], config: Any, files: Any) -> None:
    from mkdocs.commands.build import _populate_page

    for page in pages:
        try:
            _populate_page(page, config, files)
        except BaseException:  # this process renders it again and reports why
            continue


@event_priority(-100)  # last: the navigation is final
def on_nav(nav, config, files):
    stop()  # a child left by an earlier `make serve` build
    if not enabled():
        return nav
    plugin = config.plugins.get("mkdocs-jupyter")
    pages = [f.page for f in files.documentation_pages() if f.page is not None]
    order = child_order(pages, lambda p: plugin is not None and plugin.should_include(p.file), _is_api)
    _child["root"] = Path(config.config_file_path).parent
    pid = os.fork()
    if pid:
        _child["pid"] = pid
        return nav
    try:  # the child
        _silence()
        _render(order, config, files)
    finally:
        os._exit(0)  # no atexit handlers, no flushing of the parent's buffers


def stop() -> None:
    """Stop the child (its remaining work is done) and remove its unfinished cache writes."""
    pid = _child.pop("pid", None)
    if pid is None:
        return
    with contextlib.suppress(ProcessLookupError):
        os.kill(pid, signal.SIGKILL)
    os.waitpid(pid, 0)
    root = _child.get("root")
    if root is not None:
        for tmp in build_cache.cache_root(root).glob(f"*/.*.{pid}.tmp"):
            tmp.unlink(missing_ok=True)


@event_priority(100)  # first: every page has been rendered by now
def on_env(env, config, files):
    stop()
    return env


def on_build_error(error, **kwargs):
    stop()
