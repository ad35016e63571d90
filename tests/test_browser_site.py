"""The built site in Chromium, as a reader uses it (served on 127.0.0.1, nothing from outside)."""

from __future__ import annotations

from pathlib import Path

import pytest
from conftest import PageWatch
from site_tools import site_pages

pytestmark = pytest.mark.browser


def test_every_page_loads_cleanly(built_site: Path, site_url: str, watched_page: PageWatch) -> None:
    pages = site_pages(built_site)
    assert len(pages) >= 9, pages
    page = watched_page.page
    for path in pages:
        response = page.goto(site_url + path, wait_until="load")
        assert response is not None and response.ok, path
        page.wait_for_timeout(150)
        assert page.locator("h1").count() >= 1, f"{path}: no heading"
        assert not watched_page.console_errors, f"{path}: console errors {watched_page.console_errors}"
    assert not watched_page.external_requests, watched_page.external_requests


def test_answers_are_collapsed_and_open_on_click(site_url: str, watched_page: PageWatch) -> None:
    page = watched_page.page
    page.goto(site_url + "chapter/basics/")
    answers = page.locator("details:has(> summary:text-is('答案'))")
    assert answers.count() >= 3
    first = answers.first
    assert first.get_attribute("open") is None
    body = first.locator(".tabbed-set").first
    assert not body.is_visible()
    first.locator("summary").click()
    assert first.get_attribute("open") is not None
    assert body.is_visible()


def test_math_is_rendered_not_raw_tex(site_url: str, watched_page: PageWatch) -> None:
    page = watched_page.page
    for path in ("chapter/basics/", "chapter/throughput/", "chapter/prefill/"):
        page.goto(site_url + path)
        page.locator("details > summary").evaluate_all("els => els.forEach(e => e.click())")
        maths = page.locator("math")
        assert maths.count() > 0, f"{path}: no MathML"
        box = maths.first.bounding_box()
        assert box and box["width"] > 0 and box["height"] > 0, f"{path}: MathML not laid out"
        text = page.locator("article").inner_text()
        for raw in ("\\frac", "\\times", "$$", "\\(", "{{"):
            assert raw not in text, f"{path}: raw {raw!r} visible"


def test_chinese_search_finds_the_chapter(site_url: str, watched_page: PageWatch) -> None:
    page = watched_page.page
    page.goto(site_url)
    box = page.locator("input.md-search__input")
    box.click()
    box.fill("KV 缓存")
    results = page.locator(".md-search-result__item a")
    results.first.wait_for(timeout=15000)
    hrefs = results.evaluate_all("els => els.map(e => e.getAttribute('href'))")
    assert any("chapter/basics" in (h or "") for h in hrefs), hrefs
    assert not watched_page.external_requests


def test_dark_mode_toggles(site_url: str, watched_page: PageWatch) -> None:
    page = watched_page.page
    page.goto(site_url + "chapter/basics/")

    def scheme_and_background() -> tuple[str, str]:
        return page.evaluate(
            "() => [document.body.getAttribute('data-md-color-scheme'),"
            " getComputedStyle(document.body).backgroundColor]"
        )

    before = scheme_and_background()
    page.locator("form[data-md-component='palette'] label:visible").first.click()
    page.wait_for_timeout(200)
    after = scheme_and_background()
    assert after[0] != before[0] and after[1] != before[1], (before, after)
    assert "slate" in (before[0], after[0])
