"""Cache the API reference's ``::: module`` blocks per servingmath version.

mkdocstrings loads servingmath with griffe and renders every ``::: servingmath.x`` block through
its Jinja templates at every build: about a fifth of a build's time, repeated under
``make serve`` after every page edit. Its output depends only on the library's sources, this
site's configuration and the tools' versions. This hook caches, for each block, what mkdocstrings'
block processor produced: the HTML, the headings it reported for the table of contents,
cross-references and the inventory, and the aliases of each heading's object. On a hit the block
processor returns those as they were, so mkdocstrings registers the same anchors and inventory
entries as after rendering; griffe and the templates are not touched.

Key: the block (identifier, options, heading level, page), servingmath's sources
(hooks/build_cache.py's digest), mkdocs.yml, hooks/griffe_doctests.py, this file, and the
versions of mkdocstrings, its Python handler, griffe, autorefs, Markdown, pymdown-extensions,
Pygments, Jinja2 and the theme. Memory under ``make serve``, ``.cache/api/`` on disk.
"""

from __future__ import annotations

import ast
import functools
import hashlib
import logging
from pathlib import Path
from typing import Any
from xml.etree import ElementTree

import build_cache

log = logging.getLogger("mkdocs.hooks.api_cache")

PACKAGES = (
    "mkdocstrings", "mkdocstrings-python", "griffelib", "mkdocs-autorefs", "markdown", "pymdown-extensions",
    "pygments", "jinja2", "mkdocs-material", "mkdocs",
)  # fmt: skip
_state: dict[str, Any] = {"prefix": None, "root": None, "page": ""}
_SOURCE = Path(__file__).read_bytes()  # this file, in every key (read once per hook load)
stats = {"hits": 0, "misses": 0}


def block_key(identifier: str, yaml_block: str, heading_level: int) -> str | None:
    if _state["prefix"] is None:
        return None
    h = hashlib.sha256(_state["prefix"].encode())
    for part in (_state["page"], identifier, yaml_block, str(heading_level)):
        h.update(b"\0" + part.encode())
    return h.hexdigest()[:24]


def _load(key: str) -> dict[str, Any] | None:
    return build_cache.load(Path(_state["root"]), "api", key)


def _store(key: str, entry: dict[str, Any]) -> None:
    build_cache.store(Path(_state["root"]), "api", key, entry)


def _patch() -> None:
    """Wrap mkdocstrings' block processor and the handlers' alias lookup (once per process)."""
    from mkdocstrings._internal.extension import AutoDocProcessor
    from mkdocstrings._internal.handlers.base import BaseHandler

    if getattr(AutoDocProcessor, "_sm_api_cache", False):
        return
    process = AutoDocProcessor._process_block

    @functools.lru_cache(maxsize=64)
    def handler_name(handlers: Any, yaml_block: str) -> str:
        import yaml

        return handlers.get_handler_name(yaml.safe_load(yaml_block) or {})

    def cached_process_block(self, identifier: str, yaml_block: str, heading_level: int = 0):  # type: ignore[no-untyped-def]
        key = block_key(identifier, yaml_block, heading_level)
        entry = _load(key) if key else None
        if entry is not None:
            handler = self._handlers.get_handler(handler_name(self._handlers, yaml_block))
            if handler.outer_layer:
                stats["hits"] += 1
                handler._headings.extend(ElementTree.fromstring(h) for h in entry["headings"])
                handler._sm_aliases = {k: tuple(v) for k, v in entry["aliases"].items()}
                return entry["html"], handler, None
        html, handler, data = process(self, identifier, yaml_block, heading_level)
        if key and handler.outer_layer:
            stats["misses"] += 1
            headings = list(handler._headings)
            aliases = {h.attrib["id"]: list(handler.get_aliases(h.attrib["id"])) for h in headings}
            entry = {
                "html": html,
                "headings": [ElementTree.tostring(h, encoding="unicode") for h in headings],
                "aliases": aliases,
            }
            _store(key, entry)
        return html, handler, data

    get_aliases = BaseHandler.get_aliases

    def aliases_from_cache(self, identifier: str) -> tuple[str, ...]:  # type: ignore[no-untyped-def]
        cached = getattr(self, "_sm_aliases", {})
        if identifier in cached:
            return cached[identifier]
        return type(self)._sm_real_get_aliases(self, identifier)

    AutoDocProcessor._process_block = cached_process_block  # type: ignore[method-assign]
    AutoDocProcessor._sm_api_cache = True  # type: ignore[attr-defined]
    import mkdocstrings_handlers.python._internal.handler as python_handler

    cls = python_handler.PythonHandler
    cls._sm_real_get_aliases = cls.get_aliases if "get_aliases" in cls.__dict__ else get_aliases  # type: ignore[attr-defined]
    cls.get_aliases = aliases_from_cache  # type: ignore[method-assign]


def api_digest(package: Path, *, undocumented_shown: bool = False) -> str:
    r"""A hash of what the API reference can render of the package in ``package``: each module's
    syntax tree without what mkdocstrings does not show (line numbers, the bodies of functions
    other than ``__init__`` except their docstrings, the values of module attributes that have no
    docstring, which the page does not list). An edit inside a function's body or to an
    undocumented table leaves it unchanged; a signature, a docstring or a name does not.

    >>> import tempfile, pathlib
    >>> d = pathlib.Path(tempfile.mkdtemp())
    >>> src = "TABLE = {1: 2}\n\ndef f(x: int = 2) -> int:\n    'Doc.'\n    return x\n"
    >>> def api_after(old, new):
    ...     _ = (d / "__init__.py").write_text(src.replace(old, new))
    ...     return api_digest(d)
    >>> before = api_after("", "")
    >>> api_after("{1: 2}", "{1: 3}") == before, api_after("return x", "\n\n    return x + 1") == before
    (True, True)
    >>> api_after("x: int = 2", "x: int = 3") == before, api_after("'Doc.'", "'Docs.'") == before
    (False, False)
    >>> api_after("TABLE = {1: 2}", "TABLE = {1: 2}\n'Documented.'") == before
    False
    """
    parts = []
    for path in sorted(package.rglob("*.py")):
        if "__pycache__" not in path.parts:
            api = _module_api(path.read_bytes(), undocumented_shown)
            parts += [path.relative_to(package).as_posix(), api]
    return build_cache.key(*parts)


def _module_api(source: bytes, undocumented_shown: bool) -> str:
    """One module's part of :func:`api_digest` (kept in memory by the source's hash: a library
    edit re-parses the edited module only)."""
    key = build_cache.key(source, str(undocumented_shown), _SOURCE)
    cached = build_cache.memory("api-module").get(key)
    if cached is not None:
        return cached
    tree = ast.parse(source)
    for node in ast.walk(tree):
        if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef) and node.name != "__init__":
            node.body = node.body[:1] if ast.get_docstring(node) is not None else []
    if not undocumented_shown:
        _drop_undocumented_values(tree.body)
    return build_cache.remember("api-module", key, ast.dump(tree, include_attributes=False))


def _drop_undocumented_values(body: list[ast.stmt]) -> None:
    """Blank the value of each module-level assignment not followed by a docstring (``__all__``
    and other dunder names keep theirs: they decide what the module exports)."""
    for stmt, after in zip(body, [*body[1:], None], strict=True):
        documented = (
            isinstance(after, ast.Expr)
            and isinstance(after.value, ast.Constant)
            and isinstance(after.value.value, str)
        )
        if documented or not isinstance(stmt, ast.Assign | ast.AnnAssign):
            continue
        targets = stmt.targets if isinstance(stmt, ast.Assign) else [stmt.target]
        if any(isinstance(t, ast.Name) and t.id.startswith("__") for t in targets):
            continue
        stmt.value = ast.Constant(None) if isinstance(stmt, ast.Assign) else None


def _api_digest_cached(root: Path, config) -> str:
    """:func:`api_digest` of servingmath, looked up by the hash of its files (``build_cache``) so
    that a build of unchanged sources does not parse them."""
    handlers = config.plugins["mkdocstrings"].config.get("handlers") or {}
    shown = bool(((handlers.get("python") or {}).get("options") or {}).get("show_if_no_docstring"))
    files = build_cache.key(build_cache.inputs_digest(root), _SOURCE, str(shown))
    digest = build_cache.load(root, "api-digest", files)
    if digest is None:
        digest = api_digest(root / "servingmath", undocumented_shown=shown)
        build_cache.store(root, "api-digest", files, digest)
    return digest


def on_config(config):
    if config.plugins.get("mkdocstrings") is None:
        return config
    root = Path(config.config_file_path).parent
    h = hashlib.sha256(_api_digest_cached(root, config).encode())
    h.update(Path(config.config_file_path).read_bytes())
    h.update((root / "hooks" / "griffe_doctests.py").read_bytes())
    h.update(_SOURCE)
    h.update(build_cache.versions(PACKAGES).encode())
    _state.update(prefix=h.hexdigest(), root=root)
    _patch()
    return config


def on_page_markdown(markdown, page, config, files):
    _state["page"] = page.file.src_uri
    return markdown
