"""Read a built page as a reader sees it under one constant set.

Pages hold a ``book`` and a ``spec`` copy of every number that differs between the sets
(elements ``.sm-c[data-constants=…]``); CSS shows one. :func:`view` drops the other copy.
"""

from __future__ import annotations

from html.parser import HTMLParser

VOID = {"area", "base", "br", "col", "embed", "hr", "img", "input", "link", "meta", "source", "track", "wbr"}


class _Drop(HTMLParser):
    def __init__(self, hide: str) -> None:
        super().__init__(convert_charrefs=False)
        self.hide = hide
        self.out: list[str] = []
        self.depth = 0  # >0 while inside a hidden element

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        a = dict(attrs)
        if self.depth:
            if tag not in VOID:
                self.depth += 1
            return
        if "sm-c" in (a.get("class") or "").split() and a.get("data-constants") == self.hide:
            self.depth = 1
            return
        self.out.append(self.get_starttag_text() or "")

    def handle_startendtag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if not self.depth:
            self.out.append(self.get_starttag_text() or "")

    def handle_endtag(self, tag: str) -> None:
        if self.depth:
            if tag not in VOID:
                self.depth -= 1
            return
        self.out.append(f"</{tag}>")

    def handle_data(self, data: str) -> None:
        if not self.depth:
            self.out.append(data)

    def handle_entityref(self, name: str) -> None:
        self.handle_data(f"&{name};")

    def handle_charref(self, name: str) -> None:
        self.handle_data(f"&#{name};")

    def handle_comment(self, data: str) -> None:
        self.handle_data(f"<!--{data}-->")


def view(page_html: str, constants: str) -> str:
    """``page_html`` with the other constant set's copies removed.

    >>> view('<p>a <span class="sm-c" data-constants="book">1</span>'
    ...      '<span class="sm-c" data-constants="spec">2</span></p>', "spec")
    '<p>a <span class="sm-c" data-constants="spec">2</span></p>'
    """
    parser = _Drop("spec" if constants == "book" else "book")
    parser.feed(page_html)
    parser.close()
    return "".join(parser.out)
