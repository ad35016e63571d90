"""Find directives that reached a built page unprocessed (a guard for every HTML file of a site).

A page's visible text must not show authoring syntax: a snippet marker (``--8<--``, or the
``--8 < --`` that ``ruff format`` once made of it), an answer-block fence (``exec="``), a
placeholder (``{{ key }}``), a Jinja tag (``{% … %}``), a mkdocstrings directive (``::: module``),
or an internal placeholder of Python-Markdown or markdown-exec. A few pages document that syntax
on purpose, inside code: ``SYNTAX_SHOWN_IN_CODE`` lists them and what they may show there. Prose,
headings, tables and formulas never may.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from html.parser import HTMLParser
from pathlib import Path

# Never allowed anywhere (not even in code): nothing documents them.
ALWAYS = {
    "snippet marker": re.compile(r"-{1,2}8\s*<\s*-{1,2}"),
    "Python-Markdown stash placeholder": re.compile(r"\x02|\x03|wzxhzdk|klzzwxh"),
}
# In the HTML itself: markdown-exec's stand-in for an output it failed to put back.
RAW = {
    "markdown-exec output placeholder": re.compile(
        r'<div class="[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}"></div>'
    ),
}
# Allowed inside code only on the pages of SYNTAX_SHOWN_IN_CODE.
SYNTAX = {
    "answer-block fence": re.compile(r"exec=\""),
    "placeholder": re.compile(r"\{\{|\}\}"),
    "Jinja tag": re.compile(r"\{%|%\}"),
    "mkdocstrings directive": re.compile(r"(?m)^\s*:::"),
}
# GitHub Actions expressions (``${{ github.sha }}``) in the workflow files shown as code.
GITHUB_EXPRESSION = re.compile(r"\$\{\{[^{}]*\}\}")

# Page (site-relative directory) -> the syntax its code elements show on purpose.
SYNTAX_SHOWN_IN_CODE: dict[str, frozenset[str]] = {
    "": frozenset({"placeholder"}),  # home page: how numbers get onto a page
    "contributing/": frozenset({"placeholder", "answer-block fence"}),  # the authoring guide
    "reference/api/": frozenset({"placeholder", "answer-block fence"}),  # docstrings (registry, ledger)
}

_SKIP = {"script", "style", "template"}  # not shown to readers
_CODE = {"code", "pre", "kbd", "samp"}


@dataclass(frozen=True)
class Leftover:
    page: str
    what: str
    context: str

    def __str__(self) -> str:
        return f"{self.page or '/'}: {self.what}: …{self.context}…"


class _Text(HTMLParser):
    """Visible text of a page, split into prose and code."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.skip = 0
        self.code = 0
        self.prose: list[str] = []
        self.code_text: list[str] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag in _SKIP:
            self.skip += 1
        elif tag in _CODE:
            self.code += 1

    def handle_endtag(self, tag: str) -> None:
        if tag in _SKIP:
            self.skip = max(0, self.skip - 1)
        elif tag in _CODE:
            self.code = max(0, self.code - 1)

    def handle_data(self, data: str) -> None:
        if not self.skip:
            (self.code_text if self.code else self.prose).append(data)


def _context(text: str, m: re.Match[str]) -> str:
    return " ".join(text[max(0, m.start() - 40) : m.end() + 40].split())


def find_leftovers(html: str, page: str) -> list[Leftover]:
    """Unprocessed directives in the visible text of one page (``page``: its site directory).

    >>> find_leftovers('<p>批次 {{ q2.batch }}</p>', "chapter/basics/")[0].what
    'placeholder'
    >>> find_leftovers('<pre><code>{{ q2.batch }}</code></pre>', "contributing/")
    []
    >>> [x.what for x in find_leftovers('<pre><code>--8 < --"a.py:b"</code></pre>', "contributing/")]
    ['snippet marker']
    """
    parser = _Text()
    parser.feed(html)
    parser.close()
    prose, code = "".join(parser.prose), "".join(parser.code_text)
    code = GITHUB_EXPRESSION.sub("", code)
    shown = SYNTAX_SHOWN_IN_CODE.get(page, frozenset())
    found = [Leftover(page, what, m.group(0)) for what, p in RAW.items() for m in p.finditer(html)]
    for what, pattern in ALWAYS.items():
        for text in (prose, code):
            found += [Leftover(page, what, _context(text, m)) for m in pattern.finditer(text)]
    for what, pattern in SYNTAX.items():
        texts = (prose,) if what in shown else (prose, code)
        for text in texts:
            found += [Leftover(page, what, _context(text, m)) for m in pattern.finditer(text)]
    return found


def site_leftovers(site: Path) -> list[Leftover]:
    """Leftovers in every HTML file of a built site."""
    found: list[Leftover] = []
    for path in sorted(site.rglob("*.html")):
        rel = path.relative_to(site).as_posix()
        page = rel[: -len("index.html")] if rel.endswith("index.html") else rel
        found += find_leftovers(path.read_text(encoding="utf-8"), page)
    return found
