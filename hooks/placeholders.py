"""Replace ``{{ key }}`` in page Markdown with values computed by servingmath, under both
constant sets (``book``: the chapter's own constants; ``spec``: vendor figures).

* ``{{ q2.batch }}``       the value as text (formatted by ``servingmath.units.fmt``)
* ``{{ q2.batch|tex }}``   the same value as TeX, for formulas
* ``{{ errata:q2 }}``      the errata notes for question 2 (may be empty)
* ``{{ errata-table:list }}`` a table of the errata page (``summary``, ``list``,
  ``inconsistencies``, ``constants``, or a section id)

Where the two sets give the same text, the text is written once. Where they differ, both are
written, each wrapped in an element the page's constant switch shows or hides
(``class="sm-c" data-constants="book|spec"``): a ``<span>`` in prose and tables, a copy of the
whole formula for TeX (inline ``\\( … \\)`` in a span, display math in a ``<div markdown>``).
Without JavaScript the ``book`` copy shows.

An unknown key, filter or namespace fails the build and names the page. Fenced code blocks
and inline code are left alone, so code shown to readers is exactly the code that ran.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from pathlib import Path
from typing import Any

import build_cache
from mkdocs.exceptions import PluginError

SETS = ("book", "spec")
PLACEHOLDER = re.compile(r"\{\{\s*([^{}]*?)\s*\}\}")
# Fenced blocks (``` or ~~~, any indent) and inline code spans are not touched.
CODE = re.compile(r"(^[ \t]*(`{3,}|~{3,})[^\n]*\n.*?^[ \t]*\2[ \t]*$|`[^`\n]+`)", re.M | re.S)
KEY = re.compile(r"^[A-Za-z0-9_]+(\.[A-Za-z0-9_]+)*$")
# TeX regions: display ($$ … $$, \[ … \], \begin{…} … \end{…}) and inline (\( … \)).
DISPLAY_MATH = re.compile(r"\$\$.*?\$\$|\\\[.*?\\\]|\\begin\{([A-Za-z*]+)\}.*?\\end\{\1\}", re.S)
INLINE_MATH = re.compile(r"\\\(.*?\\\)", re.S)


def _namespaces() -> dict[str, Callable[[str], str]]:
    from servingmath.book import errata

    return {"errata": errata.note_markdown, "errata-table": errata.table_markdown}


def _ledger():  # the same module object the number_ledger hook activates (re-imported per build)
    from servingmath.book import ledger

    return ledger


# ── The registry's values, from the build cache when the library did not change ──────────────
# One entry per library version (``build_cache.inputs_digest``): every value under each constant
# set as [value, unit, text, tex], and each namespace placeholder's text. A build of unchanged
# sources reads them instead of importing and running the page modules; `make serve` keeps them
# in memory. Filled lazily; written after a successful build when something was added.
_cache: dict[str, Any] = {"entry": None, "root": None, "key": "", "dirty": False, "differing": None}


def _values(constants: str) -> dict[str, list[Any]]:
    """Every registry value under ``constants``: key -> [value, unit, text, tex]."""
    entry = _cache["entry"]
    if entry is not None and constants in entry["values"]:
        return entry["values"][constants]
    from servingmath.book.registry import all_values

    rows = {k: [v.value, v.unit, v.text, v.tex] for k, v in all_values(constants).items()}
    if entry is not None:
        entry["values"][constants] = rows
        _cache["dirty"] = True
    return rows


def _differing_keys() -> frozenset[str]:
    """Keys whose text or TeX differs between the constant sets (once per build)."""
    if _cache.get("differing") is None:
        book, spec = (_values(k) for k in SETS)
        _cache["differing"] = frozenset(k for k in book if book[k][2:] != spec[k][2:])
    return _cache["differing"]


def _namespace_text(space: str, arg: str) -> str:
    entry, expr = _cache["entry"], f"{space}:{arg}"
    if entry is not None and expr in entry["namespaces"]:
        return entry["namespaces"][expr]
    text = _namespaces()[space](arg)
    if entry is not None:
        entry["namespaces"][expr] = text
        _cache["dirty"] = True
    return text


def on_config(config):
    root = Path(config.config_file_path).parent
    key = build_cache.key(build_cache.inputs_digest(root), Path(__file__).read_bytes())
    entry = build_cache.load(root, "registry", key) or {"values": {}, "namespaces": {}}
    _cache.update(entry=entry, root=root, key=key, dirty=False, differing=None)
    return config


def on_post_build(config):
    if _cache["dirty"] and _cache["entry"] is not None:
        build_cache.store(_cache["root"], "registry", _cache["key"], _cache["entry"])
        _cache["dirty"] = False


def _namespace(expr: str, where: str) -> str:
    space, _, arg = expr.partition(":")
    if space.strip() not in _namespaces():
        raise PluginError(f"{where}: unknown placeholder namespace in '{{{{ {expr} }}}}'")
    try:
        text = _namespace_text(space.strip(), arg.strip())
    except (KeyError, ValueError) as e:
        raise PluginError(f"{where}: placeholder '{{{{ {expr} }}}}' failed: {e}") from e
    ledger = _ledger()
    ledger.cite_text(ledger.active(), f"{space.strip()}:{arg.strip()}", text, constants="book")
    return text


def resolve(expr: str, where: str, constants: str = "book") -> str:
    """The replacement text for one placeholder under one constant set; raises PluginError if unknown."""
    if ":" in expr:
        return _namespace(expr, where)
    key, _, flt = expr.partition("|")
    key, flt = key.strip(), flt.strip()
    if not KEY.match(key):
        raise PluginError(f"{where}: malformed placeholder '{{{{ {expr} }}}}'")
    values = _values(constants)
    if key not in values:
        raise PluginError(f"{where}: unknown placeholder '{{{{ {key} }}}}' (not defined in servingmath)")
    if flt not in ("", "tex"):
        raise PluginError(f"{where}: unknown filter '|{flt}' in '{{{{ {expr} }}}}' (allowed: |tex)")
    _, _, text, tex = values[key]
    return tex if flt == "tex" else text


def _cite(expr: str, constants: str) -> None:
    """Record a shown registry value in the page's ledger (book always, spec where it differs)."""
    key, _, flt = expr.partition("|")
    value, unit, text, tex = _values(constants)[key.strip()]
    label = f"{key.strip()}|tex" if flt.strip() else key.strip()
    ledger = _ledger()
    ledger.cite(ledger.active(), label, value, unit, tex if flt.strip() else text, constants=constants)


def _indent_of(markdown: str, pos: int) -> str:
    start = markdown.rfind("\n", 0, pos) + 1
    return re.match(r"[ \t]*", markdown[start:pos]).group(0)  # type: ignore[union-attr]


def _indented(text: str, indent: str) -> str:
    """Indent the continuation lines of a multi-line replacement like its first line."""
    return text.replace("\n", "\n" + indent) if indent and "\n" in text else text


def _variants(render: Callable[[str], str], inline: bool, indent: str) -> str:
    """``render(constants)`` once if both sets agree, else one wrapped copy per set."""
    book, spec = (render(k) for k in SETS)
    if book == spec:
        return book
    pairs = zip(SETS, (book, spec), strict=True)
    if inline:
        return "".join(f'<span class="sm-c" data-constants="{k}">{t}</span>' for k, t in pairs)
    blocks = [f'<div class="sm-c" data-constants="{k}" markdown>\n\n{t}\n\n</div>' for k, t in pairs]
    return _indented("\n\n".join(blocks), indent)


def _fill(segment: str, where: str, constants: str) -> str:
    return PLACEHOLDER.sub(lambda p: resolve(p.group(1), where, constants), segment)


def _cite_all(segment: str) -> None:
    for p in PLACEHOLDER.finditer(segment):
        expr = p.group(1)
        if ":" in expr:
            continue
        _cite(expr, "book")
        if expr.partition("|")[0].strip() in _differing_keys():
            _cite(expr, "spec")


def _prose(segment: str, where: str, markdown: str, offset: int) -> str:
    """Placeholders outside math: text, or a span per constant set where the sets differ."""

    def one(p: re.Match[str]) -> str:
        expr = p.group(1)
        if ":" in expr:
            return _indented(_namespace(expr, where), _indent_of(markdown, offset + p.start()))
        text = _variants(lambda k: resolve(expr, where, k), inline=True, indent="")  # raises if unknown
        _cite_all(p.group(0))
        return text

    return PLACEHOLDER.sub(one, segment)


def _math_and_prose(segment: str, where: str, markdown: str, offset: int) -> str:
    out: list[str] = []
    pos = 0
    regions = sorted(
        [(m, False) for m in DISPLAY_MATH.finditer(segment)]
        + [(m, True) for m in INLINE_MATH.finditer(segment)],
        key=lambda r: r[0].start(),
    )
    for m, inline in regions:
        if m.start() < pos:  # inline math inside a display block
            continue
        out.append(_prose(segment[pos : m.start()], where, markdown, offset + pos))
        tex = m.group(0)
        if PLACEHOLDER.search(tex):
            for p in PLACEHOLDER.finditer(tex):
                if ":" in p.group(1):
                    raise PluginError(f"{where}: '{p.group(0)}' cannot stand inside a formula")
            indent = _indent_of(markdown, offset + m.start())
            out.append(_variants(lambda k, tex=tex: _fill(tex, where, k), inline=inline, indent=indent))
            _cite_all(tex)
        else:
            out.append(tex)
        pos = m.end()
    out.append(_prose(segment[pos:], where, markdown, offset + pos))
    return "".join(out)


def substitute(markdown: str, where: str) -> str:
    """Resolve every placeholder outside code, under both constant sets."""
    out: list[str] = []
    pos = 0
    for m in CODE.finditer(markdown):
        out.append(_math_and_prose(markdown[pos : m.start()], where, markdown, pos))
        out.append(m.group(0))
        pos = m.end()
    out.append(_math_and_prose(markdown[pos:], where, markdown, pos))
    return "".join(out)


def on_page_markdown(markdown, page, config, files):
    return substitute(markdown, page.file.src_uri)
