"""What a first view does not fetch: the search index and worker, the runner's editor code.

docs/assets/javascripts/search-lazy.js holds back Material's request for
search/search_index.json and its search worker until the reader starts searching: focus in the
search box (a click, or the "/" key), or a page opened with Material's ?q= deep link.
docs/assets/javascripts/runner.js adds the 编辑并运行 buttons and fetches runner-core.js on the
first press.
"""

from __future__ import annotations

from typing import Any

import pytest
from conftest import PageWatch, serve_sitemap_for

pytestmark = pytest.mark.browser

INDEX = "/search/search_index.json"
WORKER = "/assets/javascripts/workers/search."
INITIALIZING = "正在初始化搜索引擎"  # Material's search.result.initializer (zh)
# the glossary defines 预填充; searching it from the home page lists the entry
QUERY, EXPECTED = "预填充", "glossary/#prefill"


class Requests:
    """Every request the page's context made for the search index and the search worker."""

    def __init__(self, page: Any) -> None:
        self.urls: list[str] = []
        page.context.on("request", lambda r: self.urls.append(r.url))

    def count(self, part: str) -> int:
        return sum(part in url.split("?")[0] for url in self.urls)


def results(page: Any) -> list[str]:
    page.locator(".md-search-result__item").first.wait_for(timeout=15000)
    return page.evaluate(
        "() => [...document.querySelectorAll('.md-search-result__item a.md-search-result__link')]"
        ".map(a => a.pathname + a.hash)"
    )


def type_query(page: Any, query: str) -> list[str]:
    """Results for ``query`` (never the list of an earlier query: the box is cleared first)."""
    box = page.locator("input.md-search__input")
    box.fill("")
    box.press("End")  # Material searches on keyup
    page.locator(".md-search-result__item").first.wait_for(state="detached", timeout=15000)
    box.fill(query)
    box.press("End")  # Material searches on keyup
    return results(page)


def meta(page: Any) -> str:
    return " ".join(page.locator(".md-search-result__meta").text_content().split())


@pytest.mark.parametrize("path", ["", "chapter/visualize/"])
def test_first_view_fetches_no_search_index(site_url: str, watched_page: PageWatch, path: str) -> None:
    page = watched_page.page
    seen = Requests(page)
    page.goto(site_url + path, wait_until="networkidle")
    page.wait_for_timeout(500)
    # scrolling and moving the pointer is not search intent
    page.mouse.move(400, 400)
    page.mouse.wheel(0, 1500)
    page.wait_for_timeout(300)
    assert seen.count(INDEX) == 0, [u for u in seen.urls if INDEX in u]
    assert seen.count(WORKER) == 0, [u for u in seen.urls if WORKER in u]
    assert not watched_page.console_errors, watched_page.console_errors


def test_first_search_fetches_the_index_once_and_instant_navigation_keeps_it(
    site_url: str, watched_page: PageWatch
) -> None:
    page = watched_page.page
    serve_sitemap_for(page, site_url)
    seen = Requests(page)
    held: list[Any] = []  # the index request, answered once the loading state has been seen
    page.route(f"**{INDEX}", lambda route: held.append(route))
    page.goto(site_url)
    page.wait_for_timeout(500)
    assert seen.count(INDEX) == 0

    page.locator("input.md-search__input").click()
    for _ in range(100):  # route handlers run while Playwright waits
        if held:
            break
        page.wait_for_timeout(50)
    page.wait_for_timeout(200)  # a second request would show up here
    assert len(held) == 1, f"a click in the search box fetched the index {len(held)} times"
    assert meta(page) == INITIALIZING, meta(page)  # the box says the search engine is loading
    held.pop().continue_()
    page.unroute(f"**{INDEX}")

    hrefs = type_query(page, QUERY)
    assert any(h.endswith(EXPECTED) for h in hrefs[:3]), hrefs
    assert seen.count(INDEX) == 1
    assert seen.count(WORKER) == 1

    # follow a result by instant navigation: highlighted there, and a new search needs no new index
    page.evaluate("window.__sm_same_document = true")
    link = f".md-search-result__item a.md-search-result__link[href*='{EXPECTED.split('#')[0]}']"
    page.locator(link).first.click()
    page.wait_for_url("**/glossary/?h=*", timeout=10000)
    page.locator("mark[data-md-highlight]").first.wait_for(timeout=10000)
    assert page.evaluate("window.__sm_same_document === true"), "the result link reloaded the page"
    page.locator("nav.md-nav--primary a[href$='chapter/prefill/']").first.click()
    page.wait_for_url("**/chapter/prefill/", timeout=10000)
    assert page.evaluate("window.__sm_same_document === true"), "the nav link reloaded the page"
    page.locator("input.md-search__input").click()
    hrefs = type_query(page, "临界批次")
    assert any(h.endswith("glossary/#b-crit") for h in hrefs[:3]), hrefs
    assert seen.count(INDEX) == 1, [u for u in seen.urls if INDEX in u]
    assert seen.count(WORKER) == 1, [u for u in seen.urls if WORKER in u]
    assert not watched_page.console_errors, watched_page.console_errors
    assert not watched_page.external_requests, watched_page.external_requests


def test_slash_key_is_search_intent(site_url: str, watched_page: PageWatch) -> None:
    page = watched_page.page
    seen = Requests(page)
    page.goto(site_url + "chapter/basics/", wait_until="networkidle")
    assert seen.count(INDEX) == 0
    page.locator("body").press("/")
    hrefs = type_query(page, QUERY)
    assert any(h.endswith(EXPECTED) for h in hrefs[:3]), hrefs
    assert seen.count(INDEX) == 1
    assert not watched_page.console_errors, watched_page.console_errors


def test_search_deep_link_loads_the_index(site_url: str, watched_page: PageWatch) -> None:
    page = watched_page.page
    seen = Requests(page)
    page.goto(site_url + "?q=" + QUERY)
    hrefs = results(page)  # no interaction: Material's ?q= opens search with the query
    assert any(h.endswith(EXPECTED) for h in hrefs[:3]), hrefs
    assert seen.count(INDEX) == 1
    assert not watched_page.console_errors, watched_page.console_errors


RUNNER_CORE = "/assets/javascripts/runner-core.js"


def test_runner_code_is_fetched_on_the_first_press_only(site_url: str, watched_page: PageWatch) -> None:
    page = watched_page.page
    page.route("**/assets/pyodide/**", lambda route: route.abort())  # not needed here: spare the CPU
    seen = Requests(page)
    page.goto(site_url + "chapter/basics/", wait_until="networkidle")
    page.wait_for_timeout(300)
    assert page.locator(".sm-run__open").count() >= 3
    assert seen.count(RUNNER_CORE) == 0, [u for u in seen.urls if RUNNER_CORE in u]

    answers = page.locator("details:has(.sm-run__open)")
    for i in range(2):  # two blocks' editors: one fetch
        answer = answers.nth(i)
        answer.locator("summary").first.click()
        opener = answer.locator(".sm-run__open:visible").first
        opener.click()
        area = answer.locator("textarea.sm-run__code:visible")
        area.wait_for(timeout=10000)
        assert opener.get_attribute("aria-expanded") == "true"
        assert area.evaluate("a => a === document.activeElement")
        assert area.input_value().strip(), "the editor is empty"
    assert seen.count(RUNNER_CORE) == 1, [u for u in seen.urls if RUNNER_CORE in u]
    assert not watched_page.external_requests, watched_page.external_requests
