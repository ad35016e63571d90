"""The site works with no network but 127.0.0.1: nothing is fetched from elsewhere, nothing breaks.

A static pass over the built files (no resource URL leaves the site) and a browser pass (every
page with every request outside 127.0.0.1 blocked: no attempt made; fonts, math, figures and
search all work).
"""

from __future__ import annotations

import contextlib
from html.parser import HTMLParser
from pathlib import Path
from urllib.parse import urlsplit

import pytest
from conftest import PageWatch
from site_tools import site_pages
from test_links import css_urls

LOCAL_HOSTS = {"127.0.0.1", "localhost"}
# Tags whose URL attributes make the browser fetch something (an <a href> is a citation, not a fetch).
RESOURCE_TAGS = {"script", "link", "img", "iframe", "source", "video", "audio", "embed", "object", "track"}
# <link rel=...> values that name a page rather than fetch one.
NON_FETCHING_RELS = {"canonical", "alternate", "prev", "next", "author", "license", "me", "search"}


def is_remote(url: str) -> bool:
    """True if fetching ``url`` would leave the machine (http(s) or protocol-relative, not 127.0.0.1).

    >>> [is_remote(u) for u in ("a.js", "/a.css", "data:x", "http://127.0.0.1:8000/x", "//cdn.x/y")]
    [False, False, False, False, True]
    """
    parts = urlsplit(url.strip())
    if parts.scheme in ("", "http", "https") and parts.netloc:
        return parts.hostname not in LOCAL_HOSTS
    return False


class _Resources(HTMLParser):
    """(tag, attribute, url) of everything a browser would fetch, plus the text of <style>s."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.fetched: list[tuple[str, str, str]] = []
        self.styles: list[str] = []
        self._in_style = False

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        a = {k: v for k, v in attrs if v is not None}
        self._in_style = tag == "style"
        if "style" in a:
            self.styles.append(a["style"])
        if tag not in RESOURCE_TAGS:
            return
        if tag == "link" and set(a.get("rel", "").lower().split()) <= NON_FETCHING_RELS and a.get("rel"):
            return
        for attr in ("src", "href", "poster", "data"):
            if attr in a:
                self.fetched.append((tag, attr, a[attr]))
        for candidate in a.get("srcset", "").split(","):
            if candidate.strip():
                self.fetched.append((tag, "srcset", candidate.split()[0]))

    def handle_endtag(self, tag: str) -> None:
        if tag == "style":
            self._in_style = False

    def handle_data(self, data: str) -> None:
        if self._in_style:
            self.styles.append(data)


def remote_resources(site: Path) -> list[str]:
    """Every resource URL in the built HTML and CSS that points outside 127.0.0.1."""
    found: list[str] = []
    for file in sorted(site.rglob("*.html")):
        rel = file.relative_to(site).as_posix()
        parser = _Resources()
        parser.feed(file.read_text(encoding="utf-8", errors="replace"))
        parser.close()
        found += [f"{rel}: <{tag} {attr}={url!r}>" for tag, attr, url in parser.fetched if is_remote(url)]
        found += [f"{rel}: <style> url({u!r})" for s in parser.styles for u in css_urls(s) if is_remote(u)]
    for file in sorted(site.rglob("*.css")):
        rel = file.relative_to(site).as_posix()
        found += [f"{rel}: url({u!r})" for u in css_urls(file.read_text(encoding="utf-8")) if is_remote(u)]
    return found


def test_remote_resources_are_found(tmp_path: Path) -> None:
    (tmp_path / "a").mkdir()
    (tmp_path / "a" / "index.html").write_text(
        '<link rel="canonical" href="https://example.org/a/"><link rel="stylesheet" href="https://cdn.x/s.css">'
        '<link rel="preconnect" href="https://fonts.gstatic.com"><script src="/ok.js"></script>'
        '<script src="//cdn.x/p.js"></script><img src="http://127.0.0.1:8000/i.png">'
        '<a href="https://arxiv.org/abs/1">citation</a><style>@import url(https://fonts.googleapis.com/x);</style>',
        encoding="utf-8",
    )
    (tmp_path / "s.css").write_text(
        "@font-face{src:url(https://fonts.gstatic.com/r.woff2)}", encoding="utf-8"
    )
    assert remote_resources(tmp_path) == [
        "a/index.html: <link href='https://cdn.x/s.css'>",
        "a/index.html: <link href='https://fonts.gstatic.com'>",
        "a/index.html: <script src='//cdn.x/p.js'>",
        "a/index.html: <style> url('https://fonts.googleapis.com/x')",
        "s.css: url('https://fonts.gstatic.com/r.woff2')",
    ]


@pytest.mark.build
def test_no_resource_is_loaded_from_outside(built_site: Path) -> None:
    remote = remote_resources(built_site)
    assert not remote, "resources from outside 127.0.0.1:\n" + "\n".join(remote)


PAGE_STATE = """() => {
  const arith = [...document.querySelectorAll('.arithmatex')];
  const figures = [...document.querySelectorAll('.sm-figure')];
  const h1 = document.querySelector('h1');
  const box = h1 ? h1.getBoundingClientRect() : null;
  return {
    fonts: [...document.fonts].map(f => [f.family, f.status]),
    h1: box ? [box.width, box.height] : null,
    bodyFont: getComputedStyle(document.body).fontFamily,
    arithmatex: arith.length,
    withMath: arith.filter(a => a.querySelector('math')).length,
    figures: figures.length,
    figuresWithSvg: figures.filter(f => f.querySelector('svg')).length,
  };
}"""


@pytest.mark.browser
def test_every_page_works_with_only_localhost(
    built_site: Path, site_url: str, watched_page: PageWatch
) -> None:
    pages = site_pages(built_site)
    assert len(pages) >= 9, pages
    page = watched_page.page
    problems: list[str] = []
    figure_pages = 0
    for path in pages:
        response = page.goto(site_url + path, wait_until="load")
        assert response is not None and response.ok, path
        page.evaluate("() => document.fonts.ready.then(() => true)")
        if page.locator(".sm-figure").count():
            figure_pages += 1
            # Figures are drawn when they come near the viewport (figures.js): visit each one.
            for i in range(page.locator(".sm-figure").count()):
                fig = page.locator(".sm-figure").nth(i)
                fig.scroll_into_view_if_needed()
                with contextlib.suppress(Exception):  # reported below with the counts
                    fig.locator("svg").first.wait_for(state="attached", timeout=30_000)
            with contextlib.suppress(Exception):  # reported below with the counts
                page.wait_for_function(
                    "() => [...document.querySelectorAll('.sm-figure')].every(f => f.querySelector('svg'))",
                    timeout=30_000,
                )
        state = page.evaluate(PAGE_STATE)
        failed_fonts = [f for f in state["fonts"] if f[1] == "error"]
        if failed_fonts:
            problems.append(f"{path}: fonts failed to load {failed_fonts}")
        if not state["h1"] or state["h1"][0] <= 0 or state["h1"][1] <= 0:
            problems.append(f"{path}: heading text not laid out ({state['bodyFont']})")
        if state["withMath"] != state["arithmatex"]:
            problems.append(f"{path}: {state['arithmatex'] - state['withMath']} formulas without MathML")
        if state["figuresWithSvg"] != state["figures"]:
            problems.append(f"{path}: {state['figures'] - state['figuresWithSvg']} figures not drawn")
    assert figure_pages >= 1, "no page has a .sm-figure"
    problems += [f"request outside 127.0.0.1 (blocked): {url}" for url in watched_page.external_requests]
    problems += [f"console error: {message}" for message in watched_page.console_errors]
    assert not problems, "\n".join(problems)


# Material shows "正在初始化搜索引擎" (Initializing search) until its worker has loaded the index.
SEARCH_READY = """() => {
  const meta = document.querySelector('.md-search-result__meta');
  return meta !== null && meta.textContent.trim() !== '' && !/初始化|Initializing/.test(meta.textContent);
}"""


@pytest.mark.browser
def test_search_index_loads_locally_and_answers(site_url: str, watched_page: PageWatch) -> None:
    page = watched_page.page
    index_responses: list[int] = []
    page.on("response", lambda r: index_responses.append(r.status) if "search_index.json" in r.url else None)
    page.goto(site_url + "chapter/throughput/")
    search = page.locator("input.md-search__input")
    search.click()
    page.wait_for_function(SEARCH_READY, timeout=60_000)  # the worker has fetched and indexed
    search.press_sequentially("TPU", delay=50)  # Material searches on key events; fill() sends none
    results = page.locator(".md-search-result__item")
    results.first.wait_for(timeout=30_000)
    assert results.count() > 0
    assert index_responses and all(s == 200 for s in index_responses), index_responses
    assert not watched_page.external_requests, watched_page.external_requests
    assert not watched_page.console_errors, watched_page.console_errors
