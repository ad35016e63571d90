"""Replace ``{{ key }}`` in page Markdown with values computed by servingmath.

* ``{{ q2.batch }}``       the value as text (formatted by ``servingmath.units.fmt``)
* ``{{ q2.batch|tex }}``   the same value as TeX, for formulas
* ``{{ errata:q2 }}``      the errata notes for question 2 (may be empty)

An unknown key, filter or namespace fails the build and names the page. Fenced code blocks
and inline code are left alone, so code shown to readers is exactly the code that ran.
"""

from __future__ import annotations

import re
from collections.abc import Callable

from mkdocs.exceptions import PluginError

PLACEHOLDER = re.compile(r"\{\{\s*([^{}]*?)\s*\}\}")
# Fenced blocks (``` or ~~~, any indent) and inline code spans are not touched.
CODE = re.compile(r"(^[ \t]*(`{3,}|~{3,})[^\n]*\n.*?^[ \t]*\2[ \t]*$|`[^`\n]+`)", re.M | re.S)
KEY = re.compile(r"^[A-Za-z0-9_]+(\.[A-Za-z0-9_]+)*$")


def _namespaces() -> dict[str, Callable[[str], str]]:
    from servingmath.book import errata

    return {"errata": errata.note_markdown}


def resolve(expr: str, where: str) -> str:
    """The replacement text for one placeholder expression; raises PluginError if unknown."""
    from servingmath.book.registry import all_values

    if ":" in expr:
        space, _, arg = expr.partition(":")
        handlers = _namespaces()
        if space.strip() not in handlers:
            raise PluginError(f"{where}: unknown placeholder namespace in '{{{{ {expr} }}}}'")
        try:
            return handlers[space.strip()](arg.strip())
        except (KeyError, ValueError) as e:
            raise PluginError(f"{where}: placeholder '{{{{ {expr} }}}}' failed: {e}") from e
    key, _, flt = expr.partition("|")
    key, flt = key.strip(), flt.strip()
    if not KEY.match(key):
        raise PluginError(f"{where}: malformed placeholder '{{{{ {expr} }}}}'")
    values = all_values()
    if key not in values:
        raise PluginError(f"{where}: unknown placeholder '{{{{ {key} }}}}' (not defined in servingmath)")
    if flt not in ("", "tex"):
        raise PluginError(f"{where}: unknown filter '|{flt}' in '{{{{ {expr} }}}}' (allowed: |tex)")
    shown = values[key]
    text = shown.tex if flt == "tex" else shown.text
    from servingmath.book import ledger

    ledger.cite(f"{key}|tex" if flt else key, shown.value, shown.unit, text)  # -> site/numbers.json
    return text


def _indented(text: str, markdown: str, pos: int) -> str:
    """Indent the continuation lines of a multi-line replacement (an errata note inside an
    answer admonition) like the line the placeholder at ``pos`` sits on."""
    start = markdown.rfind("\n", 0, pos) + 1
    indent = re.match(r"[ \t]*", markdown[start:pos]).group(0)  # type: ignore[union-attr]
    return text.replace("\n", "\n" + indent) if indent and "\n" in text else text


def substitute(markdown: str, where: str) -> str:
    """Resolve every placeholder outside code."""
    out: list[str] = []
    pos = 0

    def sub(segment: str, offset: int) -> str:
        return PLACEHOLDER.sub(
            lambda p: _indented(resolve(p.group(1), where), markdown, offset + p.start()), segment
        )

    for m in CODE.finditer(markdown):
        out.append(sub(markdown[pos : m.start()], pos))
        out.append(m.group(0))
        pos = m.end()
    out.append(sub(markdown[pos:], pos))
    return "".join(out)


def on_page_markdown(markdown, page, config, files):
    return substitute(markdown, page.file.src_uri)
