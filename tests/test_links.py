"""Every internal link, asset and anchor of the built site resolves.

MkDocs' own validation (mkdocs.yml ``validation:``, fatal under ``--strict``) checks the links
written in Markdown. This checker reads the HTML that was actually written, so it also covers
links made by the theme, plugins (mkdocstrings, mkdocs-jupyter, markdown-exec) and hooks, and
``url(...)`` references inside the site's CSS.
"""

from __future__ import annotations

import posixpath
import re
from dataclasses import dataclass, field
from functools import cache
from html.parser import HTMLParser
from pathlib import Path
from urllib.parse import unquote, urlsplit

import pytest

# Attributes that point at another resource or page.
URL_ATTRS = ("href", "src", "poster", "data")
CSS_URL = re.compile(r"""url\(\s*(['"]?)([^'")]+)\1\s*\)|@import\s+(['"])([^'"]+)\3""")


@dataclass
class ParsedPage:
    """What one HTML file links to, and which fragments it offers."""

    ids: set[str] = field(default_factory=set)
    refs: list[tuple[str, str, str]] = field(default_factory=list)  # (tag, attribute, url)
    styles: list[str] = field(default_factory=list)  # inline <style> text and style="" attributes


class _Parser(HTMLParser):
    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.page = ParsedPage()
        self._in_style = False

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        values = {k: v for k, v in attrs if v is not None}
        if "id" in values:
            self.page.ids.add(values["id"])
        if tag == "a" and "name" in values:
            self.page.ids.add(values["name"])
        for attr in URL_ATTRS:
            if attr in values and not (attr == "data" and tag != "object"):
                self.page.refs.append((tag, attr, values[attr]))
        for attr in ("srcset",):
            for candidate in values.get(attr, "").split(","):
                if candidate.strip():
                    self.page.refs.append((tag, attr, candidate.split()[0]))
        if "style" in values:
            self.page.styles.append(values["style"])
        self._in_style = tag == "style"

    def handle_startendtag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.handle_starttag(tag, attrs)
        self._in_style = False

    def handle_endtag(self, tag: str) -> None:
        if tag == "style":
            self._in_style = False

    def handle_data(self, data: str) -> None:
        if self._in_style:
            self.page.styles.append(data)


def parse_html(text: str) -> ParsedPage:
    """Ids and outgoing references of one HTML document."""
    parser = _Parser()
    parser.feed(text)
    parser.close()
    return parser.page


def css_urls(css: str) -> list[str]:
    """Every ``url(...)`` and ``@import "..."`` target in a style sheet."""
    return [m.group(2) or m.group(4) for m in CSS_URL.finditer(css)]


def is_external(url: str) -> bool:
    """True for URLs with a scheme or host (http:, mailto:, data:, //host/...)."""
    parts = urlsplit(url)
    return bool(parts.scheme or parts.netloc)


@dataclass(frozen=True)
class Broken:
    """One reference that does not resolve."""

    source: str  # file in the site that holds the reference
    url: str
    reason: str

    def __str__(self) -> str:
        return f"{self.source}: {self.url!r} ({self.reason})"


class SiteChecker:
    """Resolve internal references of a built site against its files."""

    def __init__(self, site: Path) -> None:
        self.site = site

    @cache  # noqa: B019 -- one checker per site, dropped with it
    def page(self, rel: str) -> ParsedPage:
        return parse_html((self.site / rel).read_text(encoding="utf-8", errors="replace"))

    def target(self, source: str, url: str) -> tuple[str | None, str, str]:
        """(target file relative to the site or None, fragment, reason if unresolved)."""
        parts = urlsplit(url)
        path, fragment = unquote(parts.path), unquote(parts.fragment)
        if not path:
            return source, fragment, ""
        joined = path.lstrip("/") if path.startswith("/") else posixpath.join(posixpath.dirname(source), path)
        rel = posixpath.normpath(joined) if joined else "."
        if rel == ".." or rel.startswith("../"):
            return None, fragment, "points outside the site"
        file = self.site / rel
        if path.endswith("/") or file.is_dir():
            rel = posixpath.normpath(posixpath.join(rel, "index.html"))
            file = self.site / rel
        if not file.is_file():
            return None, fragment, "no such file"
        return rel, fragment, ""

    def check_ref(self, source: str, url: str, *, check_fragment: bool = True) -> Broken | None:
        if is_external(url.strip()):
            return None
        rel, fragment, reason = self.target(source, url.strip())
        if rel is None:
            return Broken(source, url, reason)
        if check_fragment and fragment and rel.endswith(".html") and fragment not in self.page(rel).ids:
            return Broken(source, url, f"no element with id {fragment!r} in {rel}")
        return None

    def broken(self) -> list[Broken]:
        """Every internal reference in every HTML and CSS file that does not resolve."""
        found: list[Broken] = []
        for file in sorted(self.site.rglob("*.html")):
            source = file.relative_to(self.site).as_posix()
            page = self.page(source)
            urls = [url for _, _, url in page.refs]
            urls += [u for style in page.styles for u in css_urls(style)]
            found += [b for url in urls if (b := self.check_ref(source, url)) is not None]
        for file in sorted(self.site.rglob("*.css")):
            source = file.relative_to(self.site).as_posix()
            for url in css_urls(file.read_text(encoding="utf-8", errors="replace")):
                if url.startswith("#"):  # SVG filter / marker references inside the sheet
                    continue
                if (b := self.check_ref(source, url, check_fragment=False)) is not None:
                    found.append(b)
        return found


def broken_links(site: Path) -> list[Broken]:
    """Every broken internal link, asset reference or anchor in ``site``."""
    return SiteChecker(site).broken()


# ----------------------------------------------------------------------------- the checker


def _write(root: Path, rel: str, text: str) -> None:
    path = root / rel
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text, encoding="utf-8")


def test_checker_finds_every_kind_of_broken_reference(tmp_path: Path) -> None:
    _write(
        tmp_path,
        "index.html",
        """<html><head><link rel="stylesheet" href="assets/site.css">
        <link rel="canonical" href="http://127.0.0.1:8000/"><script src="assets/gone.js"></script>
        <style>.x { background: url("img/missing.png") }</style></head>
        <body id="top"><a href="a/">ok</a> <a href="a/#sec">ok</a> <a href="a/index.html#sec">ok</a>
        <a href="/a/#sec">ok</a> <a href="#top">ok</a> <a href="#">ok</a> <a href="a/?q=1#sec">ok</a>
        <a href="a/#nope">bad anchor</a> <a href="#nowhere">bad self anchor</a>
        <a href="missing/">bad page</a> <a href="../outside/">outside</a>
        <a href="https://example.org/x#y">citation</a> <a href="mailto:x@example.org">mail</a>
        <img src="data:image/png;base64,AAAA"> <img src="img/ok%20name.png">
        <a name="legacy"></a><a href="#legacy">ok</a></body></html>""",
    )
    _write(
        tmp_path,
        "a/index.html",
        '<h2 id="sec">s</h2><a href="../#top">ok</a><a href="../#gone">bad</a><a href="../b.html">bad</a>',
    )
    _write(tmp_path, "img/ok name.png", "png")
    _write(tmp_path, "assets/site.css", '.a{background:url(../img/ok%20name.png)} .b{mask:url("x.svg")}')
    broken = {(b.source, b.url) for b in broken_links(tmp_path)}
    assert broken == {
        ("index.html", "assets/gone.js"),
        ("index.html", "img/missing.png"),
        ("index.html", "a/#nope"),
        ("index.html", "#nowhere"),
        ("index.html", "missing/"),
        ("index.html", "../outside/"),
        ("a/index.html", "../#gone"),
        ("a/index.html", "../b.html"),
        ("assets/site.css", "x.svg"),
    }


def test_checker_passes_a_clean_site(tmp_path: Path) -> None:
    _write(tmp_path, "index.html", '<a href="p/#h">p</a><a id="t" href="p/">p</a>')
    _write(tmp_path, "p/index.html", '<h1 id="h">p</h1><a href="../#t">back</a>')
    assert broken_links(tmp_path) == []


def test_mkdocs_validation_covers_links_and_anchors() -> None:
    from mkdocs.utils.yaml import yaml_load

    root = Path(__file__).resolve().parents[1]
    with open(root / "mkdocs.yml", encoding="utf-8") as f:
        config = yaml_load(f)
    validation = config["validation"]
    for key in ("not_found", "anchors", "absolute_links", "unrecognized_links"):
        assert validation["links"][key] == "warn", key
    for key in ("omitted_files", "not_found", "absolute_links"):
        assert validation["nav"][key] == "warn", key


# ----------------------------------------------------------------------------- the site


@pytest.mark.build
def test_every_internal_link_and_anchor_resolves(built_site: Path) -> None:
    pages = list(built_site.rglob("*.html"))
    assert len(pages) >= 9
    broken = broken_links(built_site)
    assert not broken, f"{len(broken)} broken internal references:\n" + "\n".join(map(str, broken))
