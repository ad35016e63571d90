"""The constant-set switch in Chromium: 原书常数 ⇄ 厂商规格 changes every number that differs,
in prose, tables, formulas and answer outputs; the choice survives instant navigation and a
reload; nothing is requested off the site."""

from __future__ import annotations

from typing import Any

import pytest
from conftest import PageWatch, serve_sitemap_for

from servingmath.book.chapter import Q2, chapter_chip
from servingmath.memory import memory_budget
from servingmath.models import LLAMA3_70B
from servingmath.units import fmt

pytestmark = pytest.mark.browser

# Per constant set: which copies are visible, and in which kinds of place they sit.
STATE = """() => {
  const out = {set: document.documentElement.dataset.smConstants || "book", visible: {book: 0, spec: 0},
               hidden: {book: 0, spec: 0}, kinds: {prose: 0, table: 0, formula: 0, answer: 0}};
  for (const el of document.querySelectorAll(".sm-c[data-constants]")) {
    const k = el.dataset.constants;
    const shown = el.getClientRects().length > 0 || getComputedStyle(el).display !== "none";
    (shown ? out.visible : out.hidden)[k] += 1;
    if (el.closest("td, th")) out.kinds.table += 1;
    else if (el.querySelector("math")) out.kinds.formula += 1;
    else if (el.querySelector(".tabbed-set")) out.kinds.answer += 1;
    else if (el.closest("p, li")) out.kinds.prose += 1;
  }
  return out;
}"""


def state(page: Any) -> dict:
    page.evaluate("document.querySelectorAll('details').forEach(d => d.open = true)")
    return page.evaluate(STATE)


def q2_result(page: Any) -> str:
    """The text of question 2's answer output (结果 tab) in the copy the reader sees."""
    return page.evaluate(
        """() => { const sec = [...document.querySelectorAll('h3')].find(h => h.id === 'q2-min-chips');
          let el = sec.nextElementSibling; while (el && el.tagName !== 'DETAILS') el = el.nextElementSibling;
          el.open = true;
          const copy = [...el.querySelectorAll('.sm-c')].find(c => getComputedStyle(c).display !== 'none'
                                                                  && c.querySelector('.tabbed-set'));
          return copy.querySelectorAll('.tabbed-block')[1].textContent; }"""
    )


def test_switch_changes_every_differing_number(site_url: str, watched_page: PageWatch) -> None:
    page = watched_page.page
    page.goto(site_url + "chapter/basics/")
    before = state(page)
    assert before["set"] == "book"
    # every copy that differs is in the page twice, and exactly the book copies show
    assert before["visible"]["book"] == before["hidden"]["spec"] > 0
    assert before["visible"]["spec"] == 0 and before["hidden"]["book"] == 0
    for kind in ("prose", "table", "formula", "answer"):
        assert before["kinds"][kind] > 0, f"no {kind} varies between the sets on the basics page"

    book, spec = (
        memory_budget(LLAMA3_70B, chapter_chip(k), weights=Q2.weights, kv=Q2.kv, batch=Q2.batch, seq=Q2.seq)
        for k in ("book", "spec")
    )
    assert f"至少 {fmt(book.min_chips)} 张" in q2_result(page)

    button = page.locator(".sm-constants-switch")
    assert button.get_attribute("aria-pressed") == "false"
    button.click()
    after = state(page)
    assert after["set"] == "spec"
    assert after["visible"]["spec"] == after["hidden"]["book"] == before["visible"]["book"]
    assert after["visible"]["book"] == 0
    assert button.get_attribute("aria-pressed") == "true"
    assert f"至少 {fmt(spec.min_chips)} 张" in q2_result(page)
    assert not watched_page.external_requests, watched_page.external_requests
    assert not watched_page.console_errors, watched_page.console_errors


def test_choice_persists_across_instant_navigation_and_reload(site_url: str, watched_page: PageWatch) -> None:
    page = watched_page.page
    serve_sitemap_for(page, site_url)
    page.goto(site_url + "chapter/basics/")
    page.locator(".sm-constants-switch").click()
    assert state(page)["set"] == "spec"
    # instant navigation: follow the nav link, no full page load
    page.evaluate("window.__same_document = true")
    page.locator("nav.md-nav a[href$='throughput/']").first.click()
    page.wait_for_url("**/chapter/throughput/")
    page.wait_for_timeout(300)
    assert page.evaluate("window.__same_document === true"), "instant navigation reloaded the page"
    s = state(page)
    assert s["set"] == "spec" and s["visible"]["spec"] > 0 and s["visible"]["book"] == 0
    for kind in ("table", "formula", "answer"):
        assert s["kinds"][kind] > 0, f"no {kind} varies between the sets on the throughput page"
    assert page.locator(".sm-constants-switch").count() == 1
    page.reload()
    s = state(page)
    assert s["set"] == "spec" and s["visible"]["book"] == 0
    page.locator(".sm-constants-switch").click()
    assert state(page)["set"] == "book"
    assert not watched_page.external_requests, watched_page.external_requests


def test_without_javascript_the_book_copy_shows(browser: Any, site_url: str) -> None:
    context = browser.new_context(java_script_enabled=False)
    try:
        page = context.new_page()
        page.goto(site_url + "chapter/basics/")
        shown = page.evaluate  # JS is off for the page's scripts, not for evaluate
        counts = shown(
            """() => [...document.querySelectorAll('.sm-c')].reduce((a, el) => {
                 const hidden = getComputedStyle(el).display === 'none';
                 a[el.dataset.constants + (hidden ? '-hidden' : '-shown')] += 1;
                 return a; }, {'book-shown': 0, 'book-hidden': 0, 'spec-shown': 0, 'spec-hidden': 0})"""
        )
        assert counts["book-hidden"] == 0 and counts["spec-shown"] == 0 and counts["book-shown"] > 0, counts
    finally:
        context.close()
