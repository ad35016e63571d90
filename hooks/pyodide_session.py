"""The Python half of the in-browser runner: runs a page's answer blocks inside Pyodide.

Not an MkDocs hook. ``hooks/pyodide_assets.py`` packs this file into the site's
``assets/pyodide/servingmath.zip`` as ``sm_session.py`` (next to ``servingmath/`` and
``markdown/``), and ``docs/assets/javascripts/runner-worker.js`` calls :func:`run_json` in a Web
Worker. It is plain Python, so the tests run it in CPython, too.

A run gets the blocks of one session in page order; the last one is the block the reader runs.
All of them execute in one fresh namespace (markdown-exec's session semantics at build time);
only the last block's output is shown. ``mode="markdown"`` renders what the block printed as
Markdown, like markdown-exec does at build time (the core Python-Markdown extensions of
mkdocs.yml plus pymdownx.arithmatex, then TeX to MathML as ``hooks/mathml.py`` does);
``mode="notebook"`` shows printed text, ``display(Markdown(...))``/``display(HTML(...))`` and the
value of a final expression, like Jupyter (the playground page).
"""

from __future__ import annotations

import ast
import contextlib
import html
import io
import json
import linecache
import re
import sys
import traceback
import types
from pathlib import Path
from typing import Any

# Written by hooks/pyodide_assets.py from mkdocs.yml: {"extensions": [...], "configs": {...}}.
CONFIG_FILE = Path(__file__).with_name("sm_session.json")
DEFAULT_CONFIG: dict[str, Any] = {"extensions": ["tables", "md_in_html"], "configs": {}}

# Modules the browser has no copy of: the hint the reader gets instead of a bare ImportError.
NOT_IN_BROWSER = {
    "numpy": "numpy",
    "plotly": "plotly",
    "IPython": "IPython",
    "pandas": "pandas",
}
HINT = (
    "浏览器里的运行环境只有 Python 标准库、servingmath（纯 Python 部分）和 Markdown，没有 {name}。"
    '这个代码块需要 {name}，请在本地运行：在仓库根目录执行 pip install -e ".[figures]"，再运行这段代码。'
)

# The same patterns as hooks/mathml.py (arithmatex's generic output -> MathML).
INLINE_MATH = re.compile(r'<span class="arithmatex">\\\((.*?)\\\)</span>', re.S)
BLOCK_MATH = re.compile(r'<div class="arithmatex">\\\[(.*?)\\\]</div>', re.S)


def load_config() -> dict[str, Any]:
    if CONFIG_FILE.is_file():
        return json.loads(CONFIG_FILE.read_text(encoding="utf-8"))
    return DEFAULT_CONFIG


def render_markdown(text: str, config: dict[str, Any] | None = None) -> str:
    """HTML of the Markdown a block printed, math as MathML (as on the built page)."""
    import markdown

    cfg = config or load_config()
    md = markdown.Markdown(extensions=cfg["extensions"], extension_configs=cfg["configs"])
    return math_to_mathml(md.convert(text))


def math_to_mathml(content: str) -> str:
    from latex2mathml.converter import convert  # shipped in the archive: never silently skipped

    def sub(m: re.Match[str], display: str) -> str:
        tag = "div" if display == "block" else "span"
        try:
            mathml = convert(html.unescape(m.group(1)).strip(), display=display)
        except Exception:  # latex2mathml raises many types; the reader sees the TeX
            return m.group(0)
        return f'<{tag} class="arithmatex sm-math">{mathml}</{tag}>'

    content = BLOCK_MATH.sub(lambda m: sub(m, "block"), content)
    return INLINE_MATH.sub(lambda m: sub(m, "inline"), content)


class _Output:
    """What a block shows, in order: printed text and displayed objects."""

    def __init__(self) -> None:
        self.parts: list[tuple[str, str]] = []  # (kind, text): "text", "markdown" or "html"
        self.stdout = io.StringIO()

    def flush(self) -> None:
        text = self.stdout.getvalue()
        if text:
            self.parts.append(("text", text))
            self.stdout.seek(0)
            self.stdout.truncate()

    def display(self, *objs: Any) -> None:
        for obj in objs:
            self.flush()
            md = getattr(obj, "_repr_markdown_", None)
            rich = getattr(obj, "_repr_html_", None)
            if md is not None:
                self.parts.append(("markdown", md()))
            elif rich is not None:
                self.parts.append(("html", rich()))
            elif obj is not None:
                self.parts.append(("text", repr(obj) + "\n"))


class Markdown:
    """IPython.display.Markdown for the browser (IPython is not in Pyodide)."""

    def __init__(self, data: str) -> None:
        self.data = data

    def _repr_markdown_(self) -> str:
        return self.data


class HTML:
    """IPython.display.HTML for the browser."""

    def __init__(self, data: str) -> None:
        self.data = data

    def _repr_html_(self) -> str:
        return self.data


_current: list[_Output] = []


def display(*objs: Any) -> None:
    """IPython.display.display for the browser: shows each object under the cell."""
    if _current:
        _current[-1].display(*objs)


@contextlib.contextmanager
def ipython_shim() -> Any:
    """``from IPython.display import HTML, Markdown, display`` works inside (notebook mode):
    Pyodide has no IPython; in CPython a real one is put back afterwards."""
    names = ("IPython", "IPython.display")
    saved = {n: sys.modules.get(n) for n in names}
    pkg = types.ModuleType("IPython")
    mod = types.ModuleType("IPython.display")
    mod.display, mod.Markdown, mod.HTML = display, Markdown, HTML  # type: ignore[attr-defined]
    pkg.display = mod  # type: ignore[attr-defined]
    sys.modules["IPython"], sys.modules["IPython.display"] = pkg, mod
    try:
        yield
    finally:
        for n, m in saved.items():
            if m is None:
                sys.modules.pop(n, None)
            else:
                sys.modules[n] = m


def _error_text(exc: BaseException) -> str:
    """The traceback from the reader's code down (the runner's own frame left out)."""
    if isinstance(exc, SyntaxError):  # raised while compiling: no frame of the reader's
        return "".join(traceback.format_exception_only(type(exc), exc))
    tb = exc.__traceback__
    if tb is not None and tb.tb_frame.f_code.co_filename == __file__:
        tb = tb.tb_next
    return "".join(traceback.format_exception(type(exc), exc, tb))


def _hint(exc: BaseException) -> str | None:
    if isinstance(exc, ModuleNotFoundError) and exc.name:
        top = exc.name.split(".")[0]
        if top in NOT_IN_BROWSER:
            return HINT.format(name=NOT_IN_BROWSER[top])
    return None


def _exec(code: str, filename: str, ns: dict[str, Any], out: _Output, notebook: bool) -> BaseException | None:
    linecache.cache[filename] = (len(code), None, code.splitlines(True), filename)
    _current.append(out)
    try:
        with contextlib.redirect_stdout(out.stdout):
            tree = ast.parse(code, filename, "exec")
            last = tree.body[-1] if notebook and tree.body and isinstance(tree.body[-1], ast.Expr) else None
            if last is not None:
                tree.body.pop()
            exec(compile(tree, filename, "exec"), ns)
            if last is not None:
                value = eval(compile(ast.Expression(last.value), filename, "eval"), ns)
                if value is not None:
                    out.display(value)
    except BaseException as e:  # the reader's code: anything, SystemExit and KeyboardInterrupt too
        return e
    finally:
        _current.pop()
        out.flush()
    return None


def run(blocks: list[dict[str, str]], mode: str = "markdown") -> dict[str, Any]:
    """Run ``blocks`` ([{"code", "label"}], page order) in one namespace; report the last one.

    The result: ``ok``; ``html`` (the last block's output); on failure ``error`` (traceback text),
    ``failed`` (the label of the block that failed: an earlier block or the last one) and ``hint``.
    """
    notebook = mode == "notebook"
    with ipython_shim() if notebook else contextlib.nullcontext():
        return _run(blocks, notebook)


def _run(blocks: list[dict[str, str]], notebook: bool) -> dict[str, Any]:
    ns: dict[str, Any] = {"__name__": "__main__"}
    out = _Output()
    for i, block in enumerate(blocks):
        out = _Output()
        filename = f"<{block.get('label') or f'block {i + 1}'}>"
        exc = _exec(block["code"], filename, ns, out, notebook)
        if exc is not None:
            shown = _to_html(out, notebook) if i == len(blocks) - 1 else ""
            return {
                "ok": False,
                "html": shown,
                "error": _error_text(exc),
                "failed": block.get("label", ""),
                "earlier": i < len(blocks) - 1,
                "hint": _hint(exc),
            }
    return {"ok": True, "html": _to_html(out, notebook)}


def _to_html(out: _Output, notebook: bool) -> str:
    if not notebook:
        text = "".join(t for kind, t in out.parts if kind == "text")
        return render_markdown(text) if text.strip() else ""
    html_parts = []
    for kind, text in out.parts:
        if kind == "text":
            html_parts.append(f'<pre class="sm-run__stream">{html.escape(text)}</pre>')
        elif kind == "markdown":
            html_parts.append(render_markdown(text))
        else:
            html_parts.append(text)
    return "\n".join(html_parts)


def warm() -> None:
    """Import what answer blocks use and render once, while the reader reads the code."""
    import servingmath.book.chapter  # noqa: F401  (imports servingmath, too)

    render_markdown("**warm**")


def run_json(request: str) -> str:
    """The worker's entry point: a JSON request {"blocks", "mode"} -> a JSON result."""
    req = json.loads(request)
    return json.dumps(run(req["blocks"], req.get("mode", "markdown")), ensure_ascii=False)
