"""Accessibility and narrow screens, in Chromium, on every built page.

One pass over the site (one browser page, reused): each page is loaded once with every
``<details>`` (answers, errata notes) open, then checked at 1280 px and 390 px wide, in the
light and the dark scheme, with each content tab (计算过程 | 结果) shown in turn, by axe-core
(the pinned ``node_modules/axe-core``, injected into the page) and, at 390 px, by the
clipped-content check of ``tests/a11y_tools.py`` (its docstring defines the scroll affordance
precisely). No axe rule is disabled.

Run alone: ``.venv/bin/pytest tests/test_browser_a11y.py``.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from a11y_tools import (
    AXE,
    SCHEMES,
    WIDTHS,
    Finding,
    axe_findings,
    load,
    next_frames,
    overflow_findings,
    set_scheme,
    show_tab,
    tab_count,
    tab_panels,
)
from conftest import _is_local
from site_tools import site_pages

pytestmark = pytest.mark.browser
NARROW = 390


@pytest.fixture(scope="module")
def page(browser: Any) -> Iterator[Any]:
    """One page for the whole module; requests that leave 127.0.0.1 are refused."""
    context = browser.new_context(viewport={"width": WIDTHS[0], "height": 900})
    context.route("**/*", lambda r: r.continue_() if _is_local(r.request.url) else r.abort())
    p = context.new_page()
    yield p
    context.close()


def resize(page: Any, width: int) -> None:
    page.set_viewport_size({"width": width, "height": 900})
    next_frames(page)  # ResizeObserver callbacks (a11y.js) run after layout


@pytest.fixture(scope="module")
def audit(built_site: Path, site_url: str, page: Any) -> list[Finding]:
    """Every axe violation and clipped element on every page, width and scheme."""
    assert AXE.exists(), f"{AXE} missing: run `make install` (npm ci)"
    pages = site_pages(built_site)
    assert len(pages) >= 9, pages
    found: list[Finding] = []
    for path in pages:
        load(page, site_url + path)
        tabs = tab_count(page)
        for width in WIDTHS:
            resize(page, width)
            for scheme in SCHEMES:
                set_scheme(page, scheme)
                found += axe_findings(page, path, width, scheme)
                if width == NARROW:
                    found += overflow_findings(page, path, width, scheme)
                for k in range(2, tabs + 1):  # the other tabs' panels (结果), one at a time
                    show_tab(page, k)
                    next_frames(page)
                    found += axe_findings(page, path, width, f"{scheme}, tab {k}", tab_panels(k))
                    if width == NARROW:
                        found += overflow_findings(page, path, width, f"{scheme}, tab {k}")
                    show_tab(page, 1)
        resize(page, WIDTHS[0])
    return found


def _report(findings: list[Finding]) -> str:
    return f"{len(findings)} problems:\n" + "\n".join(str(f) for f in findings[:60])


def test_axe_reports_no_violations(audit: list[Finding]) -> None:
    violations = [f for f in audit if f.rule != "overflow"]
    assert not violations, _report(violations)


def test_nothing_is_clipped_at_390px(audit: list[Finding]) -> None:
    clipped = [f for f in audit if f.rule == "overflow"]
    assert not clipped, _report(clipped)


# ── Focused checks: each names one thing a reader would see ─────────────────────────────

WIDEST_FORMULA = """() => {
  const boxes = [...document.querySelectorAll('article div.arithmatex')];
  const box = boxes.reduce((a, b) => (b.scrollWidth > a.scrollWidth ? b : a));
  box.scrollLeft = box.scrollWidth;
  const math = box.querySelector('math').getBoundingClientRect();
  const r = box.getBoundingClientRect();
  return {scrollWidth: box.scrollWidth, clientWidth: box.clientWidth, mathWidth: math.width,
          mathRight: math.right, boxRight: r.right, scrolled: box.scrollLeft,
          marked: box.hasAttribute('data-sm-scroll'), tabindex: box.getAttribute('tabindex'),
          role: box.getAttribute('role'), label: box.getAttribute('aria-label'),
          shadow: getComputedStyle(box).backgroundImage};
}"""


def test_wide_formula_scrolls_to_its_end_and_is_focusable(site_url: str, page: Any) -> None:
    load(page, site_url + "chapter/basics/")
    resize(page, NARROW)
    f = page.evaluate(WIDEST_FORMULA)
    assert f["scrollWidth"] > f["clientWidth"], f"expected a formula wider than 390 px: {f}"
    # the whole formula is reachable: scrolled to the end, its right edge is inside the box
    assert f["mathRight"] <= f["boxRight"] + 1, f
    assert f["scrollWidth"] >= f["mathWidth"], f
    assert f["marked"] and f["tabindex"] == "0" and f["role"] == "group" and f["label"], f
    assert f["shadow"].count("gradient(") >= 2, f
    resize(page, 1280)
    wide = page.evaluate(WIDEST_FORMULA)
    assert wide["scrollWidth"] <= wide["clientWidth"] + 1, f"fits at 1280 px: {wide}"
    assert not wide["marked"] and wide["tabindex"] is None, f"no tab stop when it fits: {wide}"


def test_scrolling_formula_is_reached_by_tab(site_url: str, page: Any) -> None:
    load(page, site_url + "chapter/basics/")
    resize(page, NARROW)
    page.evaluate("() => document.querySelector('div.arithmatex[data-sm-scroll]').focus()")
    assert page.evaluate("() => document.activeElement.matches('div.arithmatex')")
    before = page.evaluate("() => document.activeElement.scrollLeft")
    page.keyboard.press("ArrowRight")
    page.wait_for_timeout(200)
    assert page.evaluate("() => document.activeElement.scrollLeft") > before
    resize(page, 1280)


REFLOWED = """() => [...document.querySelectorAll('article .sm-reflow table')].map(t => {
  const cells = [...t.querySelectorAll('tbody td')];
  const vw = window.innerWidth;
  return {
    rows: t.querySelectorAll('tbody tr').length,
    tooWide: [...t.querySelectorAll('tbody tr')].filter(r => r.getBoundingClientRect().right > vw).length,
    unlabelled: cells.filter(c => !c.dataset.label).length,
    labelShown: cells.length ? getComputedStyle(cells[0], '::before').content : '',
    firstLabel: cells.length ? cells[0].dataset.label : '',
    header: t.querySelector('th') ? t.querySelector('th').textContent.trim() : '',
  };
})"""


def test_errata_tables_read_as_cards_at_390px(site_url: str, page: Any) -> None:
    load(page, site_url + "errata/")
    resize(page, NARROW)
    tables = page.evaluate(REFLOWED)
    assert len(tables) >= 10, tables
    for t in tables:
        assert t["rows"] >= 1 and t["tooWide"] == 0 and t["unlabelled"] == 0, t
        assert t["firstLabel"] == t["header"] and t["labelShown"] == f'"{t["header"]}"', t
    resize(page, 1280)
    assert page.evaluate("() => getComputedStyle(document.querySelector('.sm-reflow table')).display") in (
        "table",
        "inline-block",
    ), "a normal table on a desktop screen"


TABLE_FIT = """() => [...document.querySelectorAll('article .sm-compact table')].map(t => {
  const wrap = t.closest('.md-typeset__scrollwrap') || t.parentElement;
  const qps = [...t.querySelectorAll('th')].find(th => th.textContent.includes('QPS/chip'));
  return {
    tableScroll: t.scrollWidth - t.clientWidth,
    wrapScroll: wrap.scrollWidth - wrap.clientWidth,
    width: t.getBoundingClientRect().width,
    column: t.closest('article').getBoundingClientRect().width,
    qpsRight: qps ? qps.getBoundingClientRect().right : null,
    wrapRight: wrap.getBoundingClientRect().right,
  };
})"""


def test_throughput_tables_fit_the_desktop_column(site_url: str, page: Any) -> None:
    load(page, site_url + "chapter/throughput/")
    resize(page, 1280)
    tables = page.evaluate(TABLE_FIT)
    assert len(tables) >= 2, tables
    for t in tables:
        assert t["tableScroll"] <= 1 and t["wrapScroll"] <= 1, f"needs a sideways scroll: {t}"
        assert t["width"] <= t["column"], t
    # the key column (Q7, Q8) is on screen without scrolling
    with_qps = [t for t in tables if t["qpsRight"] is not None]
    assert len(with_qps) >= 2, tables
    assert all(t["qpsRight"] <= t["wrapRight"] for t in with_qps), tables


def test_formula_numbers_are_grouped_like_prose(built_site: Path) -> None:
    """A formula shows 163,840 as one number, as prose does (not 163840, nor 163, 840)."""
    ungrouped, grouped = [], 0
    for html in built_site.rglob("*.html"):
        text = html.read_text(encoding="utf-8")
        ungrouped += [
            f"{html.relative_to(built_site)}: {m}" for m in re.findall(r"<mn>\d{4,}\b[^<]*</mn>", text)
        ]
        grouped += len(re.findall(r"<mn>\d{1,3}(?:,\d{3})+(?:\.\d+)?</mn>", text))
    assert not ungrouped, ungrouped[:20]
    assert grouped >= 5, "expected grouped numbers such as <mn>163,840</mn> in the chapter's formulas"
