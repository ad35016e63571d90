"""Site search in Chromium, as a reader types it: the defining entry first, whole terms highlighted."""

from __future__ import annotations

from urllib.parse import parse_qs, urlsplit

import pytest
from conftest import PageWatch

pytestmark = pytest.mark.browser

# query -> where its definition lives (the glossary entry, which links to the chapter section)
TERMS = {
    "临界批次": "glossary/#b-crit",
    "B_crit": "glossary/#b-crit",
    "KV 缓存": "glossary/#kv-cache",
    "预填充": "glossary/#prefill",
    "连续批处理": "glossary/#continuous-batching",
    "v5e": "glossary/#v5e",
}

# the other name of each: the same entry first (checked without following the link)
SYNONYMS = {
    "critical batch": "glossary/#b-crit",
    "prefill": "glossary/#prefill",
    "KV cache": "glossary/#kv-cache",
    "continuous batching": "glossary/#continuous-batching",
    "decode": "glossary/#decode",
    "生成": "glossary/#decode",
}

RESULTS_JS = """() => [...document.querySelectorAll('.md-search-result__item')].map(li =>
  [...li.querySelectorAll('a.md-search-result__link')].map(a => ({
    href: a.href,
    more: !!a.closest('details'),
  })))"""

SECTION_MARKS_JS = """(id) => {
  const heading = document.getElementById(id)
  const marks = []
  for (let el = heading; el; el = el.nextElementSibling) {
    if (el !== heading && /^H[1-3]$/.test(el.tagName)) break
    el.querySelectorAll('mark[data-md-highlight]').forEach(m => marks.push(m.textContent))
  }
  return marks
}"""


def open_site(page, site_url: str) -> None:
    page.goto(site_url)
    page.locator("input.md-search__input").click()


def search(page, query: str) -> list[list[dict]]:
    """Type ``query`` into the search box of the current page; the results, grouped by page."""
    box = page.locator("input.md-search__input")
    box.click()
    box.fill("")
    box.press("End")  # Material searches on keyup
    page.locator(".md-search-result__item").first.wait_for(state="detached", timeout=15000)
    box.fill(query)
    box.press("End")
    page.locator(".md-search-result__item").first.wait_for(timeout=15000)
    return page.evaluate(RESULTS_JS)


def site_path(site_url: str, href: str) -> str:
    parts = urlsplit(href)
    path = parts.path[len(urlsplit(site_url).path) :]
    return path + (f"#{parts.fragment}" if parts.fragment else "")


def highlight_param(href: str) -> str | None:
    values = parse_qs(urlsplit(href).query, keep_blank_values=True).get("h")
    return values[0] if values else None


def check_term(page, site_url: str, query: str, expected: str, *, follow: bool = True) -> list[str]:
    """What is wrong with searching ``query`` (empty: nothing)."""
    problems: list[str] = []
    groups = search(page, query)

    # every result link highlights the query, never single characters or nothing
    for group in groups:
        for link in group:
            h = highlight_param(link["href"])
            if not h:
                problems.append(f"{query}: empty ?h= on {link['href']}")
            elif not set(h.split()) <= set(query.lower().split()):
                problems.append(f"{query}: ?h={h!r} on {link['href']}")

    # the first result: its page, then its best section, which must be the definition
    first = groups[0]
    sections = [site_path(site_url, a["href"]) for a in first if "#" in a["href"] and not a["more"]]
    if not sections or sections[0] != expected:
        return [*problems, f"{query}: first result {sections[:1] or first}, not {expected}"]
    if not follow:
        return problems

    # following it (a click, as a reader does), the landing section marks the whole term
    index = next(i for i, a in enumerate(first) if site_path(site_url, a["href"]) == expected)
    page.locator(".md-search-result__item").first.locator("a.md-search-result__link").nth(index).click()
    anchor = expected.split("#", 1)[1]
    page.wait_for_url(f"**/{expected.split('#')[0]}?h=*#{anchor}", timeout=10000)
    try:
        page.wait_for_function(
            "(id) => document.getElementById(id)?.parentElement.querySelector('mark[data-md-highlight]')",
            arg=anchor,
            timeout=10000,
        )
    except Exception:
        return [*problems, f"{query}: nothing highlighted on {page.url}"]
    marks = [" ".join(m.split()).lower() for m in page.evaluate(SECTION_MARKS_JS, anchor)]
    if query.lower() not in marks:
        problems.append(f"{query}: the whole term is not marked in #{anchor}: {marks}")
    words = set(query.lower().split())
    problems += [f"{query}: partial highlight {m!r}" for m in marks if not set(m.split()) <= words]
    return problems


def test_search_ranks_the_definition_first_and_highlights_the_whole_term(
    site_url: str, watched_page: PageWatch
) -> None:
    page = watched_page.page
    open_site(page, site_url)
    problems = [p for query, expected in TERMS.items() for p in check_term(page, site_url, query, expected)]
    problems += [
        p
        for query, expected in SYNONYMS.items()
        for p in check_term(page, site_url, query, expected, follow=False)
    ]
    assert not problems, "\n".join(problems)
    assert not watched_page.console_errors, watched_page.console_errors
    assert not watched_page.external_requests, watched_page.external_requests


def test_partial_and_run_together_queries(site_url: str, watched_page: PageWatch) -> None:
    page = watched_page.page
    open_site(page, site_url)
    # the start of a term (the reader is still typing) matches the term
    hrefs = [site_path(site_url, a["href"]) for g in search(page, "临界批") for a in g]
    assert "glossary/#b-crit" in hrefs, hrefs
    # several terms typed without spaces are cut into whole index terms
    groups = search(page, "连续批处理驱逐率")
    hs = {highlight_param(a["href"]) for g in groups for a in g}
    assert any(h and set(h.split()) == {"连续批处理", "驱逐率"} for h in hs), hs
    hrefs = [site_path(site_url, a["href"]) for g in groups for a in g]
    assert "chapter/prefill/#q11-eviction-rate" in hrefs, hrefs
    # Chinese written against Latin letters is split there: KV缓存 searches as KV 缓存
    groups = search(page, "KV缓存")
    first = [site_path(site_url, a["href"]) for a in groups[0] if "#" in a["href"] and not a["more"]]
    assert first[:1] == ["glossary/#kv-cache"], first
    hs = {highlight_param(a["href"]) for g in groups for a in g}
    assert "kv 缓存" in hs and all(h and set(h.split()) <= {"kv", "缓存"} for h in hs), hs
