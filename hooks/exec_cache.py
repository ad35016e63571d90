"""Answer blocks run again only when what their output depends on changed.

markdown-exec runs every ``exec="on"`` block at every build, and under `make serve` at every
rebuild, although a block's printed output depends only on its own code, the code of the blocks
before it in its session (they fill the namespace it reads), the library and the data it reads.
This hook caches each block's output under a key of exactly that: the page, the session's code
up to and including the block, the block's options, ``build_cache.inputs_digest`` (servingmath's
sources and data, the notebook's inputs, the lock file, the Python version), markdown-exec's
version and this file. An edit to a page's prose re-runs nothing; an edit to a block re-runs that
block and the ones after it in its session; an edit to the library re-runs every block, once.

A block whose output comes from the cache is not executed, so its session's namespace is not
filled. When a later block of that session must run, the session is first replayed from its
first block into an empty namespace (outputs discarded), so the block sees exactly the namespace
a full run gives it — and never a leftover from an earlier `make serve` rebuild. A block that
fails is never cached: its error fails the build as before.

Also the lifecycle of the build cache: which entries this build used (``on_config``), and the
disk entries no build uses any more removed when a build succeeds (``on_post_build``).
"""

from __future__ import annotations

import json
import logging
from pathlib import Path
from typing import Any

import build_cache
from markupsafe import Markup
from mkdocs.plugins import event_priority

log = logging.getLogger("mkdocs.hooks.exec_cache")

NAMESPACE = "exec"  # a block's printed output
HTML_NAMESPACE = "exec-html"  # a block's whole HTML
_state: dict[str, Any] = {"root": None, "prefix": "", "page": "", "markdown": "", "failed": False}
# session -> the blocks seen in this build: (code, options, key), and whether the namespace holds
# their effects (False after a block was served from the cache)
_sessions: dict[str, dict[str, Any]] = {}
stats = {"hits": 0, "runs": 0, "replays": 0, "html_hits": 0}


def _markdown_exec() -> Any:
    import markdown_exec._internal.formatters.python as module

    return module


def _block_options(returncode: int | None, block_id: str | None, extra: dict[str, str]) -> str:
    return json.dumps({"returncode": returncode, "id": block_id, **extra}, sort_keys=True)


def _run_key(
    code: str, returncode: int | None, session: str | None, block_id: str | None, extra: dict
) -> str:
    """The key of a block's output: the page, the session's code so far, the block, the library."""
    options = _block_options(returncode, block_id, extra)
    if session is None:
        return build_cache.key(_state["prefix"], _state["page"], options, code)
    blocks = _sessions.get(session, {}).get("blocks", [])
    chain = [part for block in blocks for part in block[:2]]
    return build_cache.key(_state["prefix"], _state["page"], session, *chain, options, code)


def _note_block(code: str, returncode: int | None, session: str, block_id: str | None, extra: dict) -> dict:
    state = _sessions.setdefault(session, {"blocks": [], "filled": True})
    state["blocks"].append((code, _block_options(returncode, block_id, extra), (returncode, block_id, extra)))
    return state


def cached_run_python(
    code: str,
    returncode: int | None = None,
    session: str | None = None,
    id: str | None = None,  # markdown-exec's parameter name
    **extra: str,
) -> str:
    """Stands in for markdown-exec's ``_run_python`` (same arguments, same result)."""
    mx = _markdown_exec()
    run = mx._sm_exec_cache_original
    key = _run_key(code, returncode, session, id, extra)
    if session is None:
        return _cached(key, lambda: run(code, returncode, session, id, **extra), mx, id, None, extra)
    state = _note_block(code, returncode, session, id, extra)

    def execute() -> str:
        if not state["filled"]:
            _replay(mx, run, session, state["blocks"][:-1])
        elif len(state["blocks"]) == 1:  # a session starts empty, not with an earlier rebuild's names
            mx._sessions_globals[session] = {}
        state["filled"] = True
        return run(code, returncode, session, id, **extra)

    return _cached(key, execute, mx, id, session, extra, state)


def _cached(key, execute, mx, block_id, session, extra, state=None) -> str:  # type: ignore[no-untyped-def]
    root = _state["root"]
    output = build_cache.load(root, NAMESPACE, key) if root else None
    if output is not None:
        stats["hits"] += 1
        _skip(mx, block_id, session, extra, state)
        return output
    stats["runs"] += 1
    try:
        output = execute()
    except Exception:
        _state["failed"] = True  # the formatter shows the error: its page is not cached either
        raise
    if root:
        build_cache.store(root, NAMESPACE, key, output)
    return output


def _skip(mx: Any, block_id: str | None, session: str | None, extra: dict, state: dict | None) -> None:
    """What markdown-exec would have done for a block that is not run: number it, and note that its
    session's namespace lacks its effects."""
    mx._code_block_id(block_id, session, extra.get("title"))  # keeps later blocks' names
    if state is not None:
        state["filled"] = False


def cached_format_python(**kwargs: Any) -> str:
    """Stands in for markdown-exec's Python formatter: a block's whole HTML (its output rendered,
    its code highlighted, the tabs) comes from the cache when its output's key, its options, the
    Markdown configuration and markdown-exec's id counter (ids in the HTML carry it) are the same."""
    from markdown_exec._internal.rendering import MarkdownConverter

    mx = _markdown_exec()
    code, session, extra = kwargs["code"], kwargs.get("session"), kwargs.get("extra") or {}
    returncode, block_id = kwargs.get("returncode", 0), kwargs.get("id", "")
    options = {k: v for k, v in kwargs.items() if k not in ("md", "code")}
    options_text = json.dumps(options, sort_keys=True, default=str)
    run_key = _run_key(code, returncode, session, block_id, extra)
    key = build_cache.key(run_key, options_text, _state["markdown"], str(MarkdownConverter.counter))
    root = _state["root"]
    entry = build_cache.load(root, HTML_NAMESPACE, key) if root else None
    if entry is not None:
        stats["html_hits"] += 1
        state = _note_block(code, returncode, session, block_id, extra) if session else None
        _skip(mx, block_id, session, extra, state)
        MarkdownConverter.counter += entry["conversions"]
        return Markup(entry["html"])  # markdown-exec's own HTML, as it returned it
    before, _state["failed"] = MarkdownConverter.counter, False
    html = mx._sm_format_original(**kwargs)
    if root and not _state["failed"] and not _reports_headings(kwargs["md"], html):
        entry = {"html": str(html), "conversions": MarkdownConverter.counter - before}
        build_cache.store(root, HTML_NAMESPACE, key, entry)
    return html


def _reports_headings(md: Any, html: str) -> bool:
    """Whether the block's output has headings for the page's table of contents (not cached:
    markdown-exec hands them to the page's Markdown instance)."""
    from markdown_exec._internal.processors import InsertHeadings

    if InsertHeadings.name not in md.treeprocessors:
        return False
    return bool(md.treeprocessors[InsertHeadings.name].headings.get(html))


def _replay(mx: Any, run: Any, session: str, blocks: list[tuple[str, str, Any]]) -> None:
    """Run the session's earlier ``blocks`` again, from an empty namespace, under the names they
    had (markdown-exec numbers a session's blocks)."""
    stats["replays"] += 1
    mx._sessions_globals[session] = {}
    mx._sessions_counter[session] -= len(blocks)
    for code, _, (returncode, block_id, extra) in blocks:
        run(code, returncode, session, block_id, **extra)


def _install() -> None:
    import markdown_exec._internal.main as main

    mx = _markdown_exec()
    if not hasattr(mx, "_sm_exec_cache_original"):
        mx._sm_exec_cache_original = mx._run_python
        mx._sm_format_original = mx._format_python
    mx._run_python = cached_run_python
    for language in ("python", "py"):
        main.formatters[language] = cached_format_python


@event_priority(100)  # first: the other caching hooks load entries from on_config on
def on_config(config):
    root = Path(config.config_file_path).parent
    build_cache.begin_build()
    digest = build_cache.inputs_digest(root)
    tools = build_cache.versions(("markdown-exec",))
    _state.update(root=root, prefix=build_cache.key(digest, tools, Path(__file__).read_bytes()))
    rendering = build_cache.versions(("markdown", "pymdown-extensions", "pygments", "markdown-exec"))
    _state["markdown"] = build_cache.key(Path(config.config_file_path).read_bytes(), rendering)
    _install()
    return config


def on_pre_build(config):
    _sessions.clear()


def on_page_markdown(markdown, page, config, files):
    _state["page"] = page.file.src_uri
    return markdown


@event_priority(-100)  # last: the build succeeded
def on_post_build(config):
    removed = build_cache.prune(_state["root"])
    if removed:
        log.debug("build cache: %d unused entries removed", removed)
