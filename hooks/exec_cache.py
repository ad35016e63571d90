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
from mkdocs.plugins import event_priority

log = logging.getLogger("mkdocs.hooks.exec_cache")

NAMESPACE = "exec"
_state: dict[str, Any] = {"root": None, "prefix": "", "page": ""}
# session -> the blocks seen in this build: (code, options, key), and whether the namespace holds
# their effects (False after a block was served from the cache)
_sessions: dict[str, dict[str, Any]] = {}
stats = {"hits": 0, "runs": 0, "replays": 0}


def _markdown_exec() -> Any:
    import markdown_exec._internal.formatters.python as module

    return module


def _block_options(returncode: int | None, block_id: str | None, extra: dict[str, str]) -> str:
    return json.dumps({"returncode": returncode, "id": block_id, **extra}, sort_keys=True)


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
    options = _block_options(returncode, id, extra)
    if session is None:
        key = build_cache.key(_state["prefix"], _state["page"], options, code)
        return _cached(key, lambda: run(code, returncode, session, id, **extra), mx, id, None, extra)
    state = _sessions.setdefault(session, {"blocks": [], "filled": True})
    chain = [part for block in state["blocks"] for part in block[:2]]
    key = build_cache.key(_state["prefix"], _state["page"], session, *chain, options, code)
    state["blocks"].append((code, options, (returncode, id, extra)))

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
        mx._code_block_id(block_id, session, extra.get("title"))  # keeps later blocks' names
        if state is not None:
            state["filled"] = False
        return output
    stats["runs"] += 1
    output = execute()
    if root:
        build_cache.store(root, NAMESPACE, key, output)
    return output


def _replay(mx: Any, run: Any, session: str, blocks: list[tuple[str, str, Any]]) -> None:
    """Run the session's earlier ``blocks`` again, from an empty namespace, under the names they
    had (markdown-exec numbers a session's blocks)."""
    stats["replays"] += 1
    mx._sessions_globals[session] = {}
    mx._sessions_counter[session] -= len(blocks)
    for code, _, (returncode, block_id, extra) in blocks:
        run(code, returncode, session, block_id, **extra)


def _install() -> None:
    mx = _markdown_exec()
    if not hasattr(mx, "_sm_exec_cache_original"):
        mx._sm_exec_cache_original = mx._run_python
    mx._run_python = cached_run_python


@event_priority(100)  # first: the other caching hooks load entries from on_config on
def on_config(config):
    root = Path(config.config_file_path).parent
    build_cache.begin_build()
    digest = build_cache.inputs_digest(root)
    tools = build_cache.versions(("markdown-exec",))
    _state.update(root=root, prefix=build_cache.key(digest, tools, Path(__file__).read_bytes()))
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
