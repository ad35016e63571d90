"""A search index that reads like the pages, and a search worker that keeps Chinese terms whole.

Material's search plugin builds the index from each page's HTML. This hook gives it a copy
of that HTML prepared for searching (the page itself is not changed):

* formulas (MathML) become their ASCII spelling, ``B_crit = C / W_hbm``, so a reader who
  types ``B_crit`` finds the formula, and the teaser does not read ``Bcrit=CWhbm``;
* every table row becomes one sentence, ``临界批次：原文 120；本站计算 120``, so a result's
  teaser is not a run of cells;
* the variants of an answer for the other constant set (``data-constants="spec"``) are left
  out: one copy of each answer in the index;
* code blocks (answer code, doctest examples, notebook cells) are left out: their output
  and the prose around them are indexed, and results do not show a wall of code as their
  teaser; a page whose front matter says ``search: {code: true}`` keeps its code blocks;
* the API reference's ``dataclass``/``property`` heading labels are left out;
* a heading with ``data-search-boost="4"`` (the glossary's entries) ranks its section higher.

The index is written as UTF-8 (the plugin escapes every Chinese character as ``\\uXXXX``).

In the reader's browser, Material's search worker cuts a Chinese query into pieces with a
greedy scan that never looks at the query's last character, so 临界批次 became 临界 + 批
and the landing page highlighted 批. ``search/worker.js`` (appended to the worker's Chinese
language file, which the worker loads before it builds the index) cuts Chinese queries into
whole index terms instead. See that file.
"""

from __future__ import annotations

import html
import json
import logging
import re
import xml.etree.ElementTree as ET
from pathlib import Path
from typing import Any

import build_cache
from mkdocs.structure.files import File, Files

try:  # Material loads jieba's dictionaries in its on_config; keep jieba's progress lines quiet
    import jieba

    jieba.setLogLevel(logging.WARNING)
except ImportError:  # pragma: no cover - search then works without Chinese segmentation
    pass

ROOT = Path(__file__).resolve().parents[1]
WORKER_SHIM = ROOT / "search" / "worker.js"
LUNR_ZH = "assets/javascripts/lunr/min/lunr.zh.min.js"

MATH = re.compile(r"<math\b.*?</math>", re.S)
TABLE = re.compile(r"<table\b.*?</table>", re.S)
ROW = re.compile(r"<tr\b[^>]*>(.*?)</tr>", re.S)
CELL = re.compile(r"<t([hd])\b[^>]*>(.*?)</t\1>", re.S)
THEAD = re.compile(r"<thead\b.*?</thead>", re.S)
TAG = re.compile(r"<[^>]+>")
SPEC_VARIANT = re.compile(r"(<[a-z]+\b[^>]*\bdata-constants=\"spec\")")
API_LABELS = re.compile(r"(<span class=\"doc doc-labels\")")
CODE_BLOCK = re.compile(r"(<div class=\"[^\"]*\bhighlight\b[^\"]*\")")
# notebook chrome: "In [1]:" prompts, the copy buttons' "Copied!" and the hidden plain-text copy of
# each cell's code that the copy button reads
NOTEBOOK_CHROME = re.compile(
    r"(<div class=\"(?:jp-InputPrompt|jp-OutputPrompt|zeroclipboard-container|clipboard-copy-txt)\b[^\"]*\")"
)
EXCLUDED_START = re.compile(r"<([a-zA-Z][a-zA-Z0-9]*)\b[^>]*\sdata-search-exclude\b[^>]*>")
VOID = {"area", "br", "col", "embed", "hr", "img", "input", "link", "meta", "source", "track", "wbr"}
BOOST_ATTR = "data-search-boost"
_state: dict[str, Any] = {"root": ROOT, "prefix": ""}  # the index's settings digest (on_config)

_SPACED_OPERATORS = set("=+−-×÷/<>≤≥≈≠·,")


def _math_text(el: ET.Element) -> str:
    """ASCII-ish text for one MathML element (``msub`` -> ``base_sub``, ``mfrac`` -> ``a / b``)."""
    tag = el.tag.rsplit("}", 1)[-1]
    kids = list(el)
    if tag == "msub" and len(kids) == 2:
        return f"{_math_text(kids[0])}_{_math_text(kids[1])}".replace(" ", "")
    if tag == "msup" and len(kids) == 2:
        return f"{_math_text(kids[0])}^{_math_text(kids[1])}".replace(" ", "")
    if tag == "msubsup" and len(kids) == 3:
        return f"{_math_text(kids[0])}_{_math_text(kids[1])}^{_math_text(kids[2])}".replace(" ", "")
    if tag == "mfrac" and len(kids) == 2:
        return f"{_math_text(kids[0])} / {_math_text(kids[1])}"
    if tag in ("msqrt", "mroot"):
        return "sqrt(" + " ".join(_math_text(k) for k in kids) + ")"
    if tag in ("mi", "mn", "mtext", "ms"):
        return (el.text or "").strip()
    if tag == "mo":
        op = (el.text or "").strip()
        return f" {op} " if op in _SPACED_OPERATORS else op
    if tag in ("mspace", "annotation", "annotation-xml"):
        return " "
    return " ".join(_math_text(k) for k in kids)


def math_to_text(mathml: str) -> str:
    """The ASCII spelling of a ``<math>`` element, HTML-escaped, on one line."""
    try:
        root = ET.fromstring(mathml)
    except ET.ParseError:
        return html.escape(html.unescape(TAG.sub(" ", mathml)))
    text = re.sub(r"\s+", " ", _math_text(root)).strip()
    text = re.sub(r"\(\s+", "(", re.sub(r"\s+\)", ")", text))
    return f" {html.escape(text, quote=False)} "


def _cell_text(cell: str) -> str:
    return re.sub(r"\s+", " ", cell).strip()


def table_to_sentences(table: str) -> str:
    """One ``<p>`` per body row: ``first cell：header value；header value``."""
    head_match = THEAD.search(table)
    headers = [_cell_text(c) for _, c in CELL.findall(head_match.group(0))] if head_match else []
    body = THEAD.sub("", table)
    sentences = []
    for row in ROW.findall(body):
        cells = [_cell_text(c) for _, c in CELL.findall(row)]
        if not any(TAG.sub("", c).strip() for c in cells):
            continue
        first, rest = cells[0], cells[1:]
        parts = []
        for i, cell in enumerate(rest, start=1):
            if not TAG.sub("", cell).strip():
                continue
            label = TAG.sub("", headers[i]).strip() if i < len(headers) else ""
            parts.append(f"{label} {cell}" if label else cell)
        sentence = f"{first}：{'；'.join(parts)}" if parts else first
        sentences.append(f"<p>{sentence}</p>")
    return "\n".join(sentences)


def _exclude(pattern: re.Pattern[str], content: str) -> str:
    return pattern.sub(r"\1 data-search-exclude", content)


def empty_excluded(content: str) -> str:
    """Drop what is inside every element marked ``data-search-exclude`` (the element stays, so the
    index reads the page exactly as before): Material's HTML parser then skips highlighted code and
    the other constant set's copies without walking their thousands of tags.

    >>> empty_excluded('<p>a<div data-search-exclude><div>x</div><b>y</b></div>b</p>')
    '<p>a<div data-search-exclude></div>b</p>'
    """
    out, pos = [], 0
    for m in EXCLUDED_START.finditer(content):
        if m.start() < pos or m.group(1).lower() in VOID:
            continue
        end = _matching_end(content, m.group(1), m.end())
        if end is None:
            continue  # unbalanced: leave it to the parser
        out += [content[pos : m.end()]]
        pos = end
    out.append(content[pos:])
    return "".join(out)


def _matching_end(content: str, name: str, start: int) -> int | None:
    """Where the close tag of the ``name`` element whose content begins at ``start`` begins."""
    depth = 1
    for t in re.finditer(rf"<(/?){name}\b[^>]*>", content[start:]):
        depth += -1 if t.group(1) else 1
        if depth == 0:
            return start + t.start()
    return None


def searchable_html(content: str, meta: dict[str, Any]) -> str:
    """The page HTML as the search index should read it."""
    search = meta.get("search") or {}
    content = _exclude(NOTEBOOK_CHROME, _exclude(API_LABELS, _exclude(SPEC_VARIANT, content)))
    if not search.get("code", False):
        content = _exclude(CODE_BLOCK, content)
    content = empty_excluded(content)
    content = MATH.sub(lambda m: math_to_text(m.group(0)), content)
    return TABLE.sub(lambda m: table_to_sentences(m.group(0)), content)


def _site_index_class(base: type) -> type:
    from material.plugins.search.plugin import Parser

    class SiteSearchIndex(base):  # type: ignore[misc, valid-type]
        """Material's index, fed the searchable copy of each page; per-section boosts; UTF-8."""

        def add_entry_from_context(self, page: Any) -> None:
            search = page.meta.get("search") or {}
            if search.get("exclude"):
                return
            key = _entries_key(page)
            cached = build_cache.load(_state["root"], "search", key) if key else None
            if cached is None:
                before = len(self.entries)
                self._add_entries(page)
                cached = self.entries[before:]
                if key:
                    build_cache.store(_state["root"], "search", key, cached)
            else:
                self.entries.extend(dict(entry) for entry in cached)

        def _add_entries(self, page: Any) -> None:
            parser = Parser()
            parser.feed(searchable_html(page.content, page.meta))
            parser.close()
            for section in parser.data:
                if section.is_excluded():
                    continue
                before = len(self.entries)
                self.create_entry_for_section(section, page.toc, page.url, page)
                boost = section.el.attrs.get(BOOST_ATTR)
                if boost is not None and len(self.entries) > before:
                    entry = self.entries[-1]
                    entry["boost"] = float(boost) * float(entry.get("boost", 1))

        def generate_search_index(self, prev: Any) -> str:
            data = json.loads(super().generate_search_index(prev))
            return json.dumps(data, ensure_ascii=False, separators=(",", ":"))

    return SiteSearchIndex


def _search_plugin(config: Any) -> Any:
    for name in ("material/search", "search"):
        plugin = config.plugins.get(name)
        if plugin is not None and hasattr(plugin, "search_index"):
            return plugin
    return None


def _toc_urls(items: Any) -> list[str]:
    return [u for item in items for u in (f"{item.id}={item.url}", *_toc_urls(item.children))]


def _entries_key(page: Any) -> str | None:
    """What a page's index entries depend on: its searchable HTML, address, title, front matter and
    table of contents, with the index's settings (``_state["prefix"]``)."""
    if not _state["prefix"]:
        return None
    meta = json.dumps(page.meta, sort_keys=True, default=str)
    toc = "\n".join(_toc_urls(page.toc))
    return build_cache.key(_state["prefix"], page.content, page.url, str(page.title), meta, toc)


def _settings_digest(plugin: Any, root: Path) -> str:
    """The index's settings: the plugin's options, the dictionaries' bytes, jieba's and the
    theme's versions and this file."""
    options = json.dumps(dict(plugin.config), sort_keys=True, default=str)
    dictionaries = [
        (root / path).read_bytes()
        for path in (plugin.config.get("jieba_dict"), plugin.config.get("jieba_dict_user"))
        if path and (root / path).is_file()
    ]
    tools = build_cache.versions(("mkdocs-material", "jieba"))
    return build_cache.key(options, *dictionaries, tools, Path(__file__).read_bytes())


def on_config(config: Any) -> None:
    plugin = _search_plugin(config)
    if plugin is None or not plugin.config.enabled:
        return
    _state["root"] = Path(config.config_file_path).parent
    _state["prefix"] = _settings_digest(plugin, _state["root"])
    cls = _site_index_class(type(plugin.search_index))
    plugin.search_index = cls(**plugin.config)


def on_files(files: Files, config: Any) -> Files:
    """Append search/worker.js to the search worker's Chinese language file."""
    theme_file = files.get_file_from_path(LUNR_ZH)
    if theme_file is None:
        return files
    original = Path(theme_file.abs_src_path).read_text(encoding="utf-8")
    shim = WORKER_SHIM.read_text(encoding="utf-8")
    files.remove(theme_file)
    files.append(File.generated(config, LUNR_ZH, content=original.rstrip() + "\n" + shim))
    return files
