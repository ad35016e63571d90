"""Link each chapter section to the same section of the English original.

The mapping lives in ``servingmath.book.original.SECTIONS`` (page, heading id -> anchor). After a
page is rendered, every mapped heading gets a small "原文" link (English, opens the original at
that section) before its permalink; the link is left out of the search index. A mapped heading
that is missing from its page fails the build, naming both, so the mapping cannot go stale.
"""

from __future__ import annotations

import html
import re

from mkdocs.exceptions import PluginError

TITLE = "英文原文的这一节"


def link(url: str) -> str:
    """The link put into a heading.

    >>> link("https://x.org/a/#b")
    '<a class="sm-original" href="https://x.org/a/#b" hreflang="en" title="英文原文的这一节" ...>原文</a>'
    """
    return (
        f'<a class="sm-original" href="{html.escape(url)}" hreflang="en" '
        f'title="{TITLE}" data-search-exclude>原文</a>'
    )


def add_links(page_html: str, page: str) -> str:
    """``page_html`` with the original's link in each mapped heading; raises if one is missing.

    >>> add_links('<h1 id="prefill-page">预填充</h1>', "chapter/prefill.md")
    Traceback (most recent call last):
    ...
    mkdocs.exceptions.PluginError: docs/chapter/prefill.md: no heading with id 'prefill', ...
    """
    from servingmath.book.original import headings_of, original_url

    for heading_id in headings_of(page):
        url = original_url(page, heading_id)
        pattern = re.compile(rf'(<h[1-6][^>]*\bid="{re.escape(heading_id)}"[^>]*>)(.*?)(</h[1-6]>)', re.S)
        m = pattern.search(page_html)
        if not m or url is None:
            raise PluginError(
                f"docs/{page}: no heading with id '{heading_id}', which servingmath/book/original.py "
                "links to the English original; update the mapping or restore the heading's { #id }"
            )
        inner = m.group(2)
        cut = inner.find('<a class="headerlink"')
        inner = inner + link(url) if cut < 0 else inner[:cut] + link(url) + inner[cut:]
        page_html = page_html[: m.start()] + m.group(1) + inner + m.group(3) + page_html[m.end() :]
    return page_html


def on_page_content(html_text, page, config, files):
    return add_links(html_text, page.file.src_uri)
