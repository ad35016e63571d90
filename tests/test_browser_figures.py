"""The figure page in Chromium: drawn after instant navigation, controls work, palette follows, offline."""

from __future__ import annotations

import json

import pytest
from conftest import serve_sitemap_for

pytestmark = pytest.mark.browser

FIGS = ("#fig-pareto", "#fig-breakdown")


def _curve_paths(page, fig: str) -> list[str]:
    return page.eval_on_selector_all(
        f"{fig} .scatterlayer .trace .js-line", "els => els.map(e => e.getAttribute('d'))"
    )


def _legend(page, fig: str) -> list[str]:
    return page.eval_on_selector_all(f"{fig} .legendtext", "els => els.map(e => e.textContent)")


def _background(page, fig: str) -> str:
    return page.eval_on_selector(f"{fig} .main-svg", "e => e.style.background")


def _open_figure_page(page, site_url: str) -> None:
    serve_sitemap_for(page, site_url)
    page.goto(site_url)
    page.wait_for_selector(".md-nav--primary")
    page.evaluate("window.__sm_marker = 1")
    page.locator(".md-nav--primary a.md-nav__link", has_text="延迟 vs 吞吐量：可视化").first.click()
    page.wait_for_url("**/chapter/visualize/")
    for fig in FIGS:
        page.wait_for_selector(f"{fig} .scatterlayer .trace .js-line", state="attached", timeout=30_000)


def _click_slider_step(page, fig: str, step: int, steps: int) -> None:
    touch = page.locator(f"{fig} .slider-rail-touch-rect").first
    touch.scroll_into_view_if_needed()
    rail = touch.bounding_box()
    assert rail is not None
    inset = 8  # plotly keeps the first and last step slightly inside the rail's ends
    x = rail["x"] + inset + (rail["width"] - 2 * inset) * step / (steps - 1)
    page.mouse.click(x, rail["y"] + rail["height"] / 2)


def test_figures_draw_after_instant_navigation_and_respond(watched_page, site_url) -> None:
    page = watched_page.page
    _open_figure_page(page, site_url)
    assert page.evaluate("window.__sm_marker") == 1, "the click reloaded the page (no instant navigation)"

    for fig in FIGS:
        assert page.locator(f"{fig} .scatterlayer .trace").count() >= 3
        assert page.eval_on_selector(fig, "e => e.getBoundingClientRect().width") > 400
    assert any("8k" in t for t in _legend(page, "#fig-pareto"))

    # The slider: move to the first step (shortest context); the curve changes.
    before = _curve_paths(page, "#fig-pareto")
    _click_slider_step(page, "#fig-pareto", 0, 6)
    page.wait_for_function(
        "() => [...document.querySelectorAll('#fig-pareto .legendtext')]"
        ".some(e => e.textContent.includes('1k'))"
    )
    assert _curve_paths(page, "#fig-pareto") != before

    # The weight buttons combine with the slider: int4 at 1k, not int4 at the default length.
    before = _curve_paths(page, "#fig-pareto")
    page.locator("#fig-pareto .updatemenu-button", has_text="int4").click()
    page.wait_for_function(
        "() => [...document.querySelectorAll('#fig-pareto .legendtext')]"
        ".some(e => e.textContent.includes('int4') && e.textContent.includes('1k'))"
    )
    assert _curve_paths(page, "#fig-pareto") != before

    # The breakdown figure has its own slider.
    before = _curve_paths(page, "#fig-breakdown")
    _click_slider_step(page, "#fig-breakdown", 5, 6)
    page.wait_for_function(
        "b => JSON.stringify([...document.querySelectorAll('#fig-breakdown .scatterlayer .trace .js-line')]"
        ".map(e => e.getAttribute('d'))) !== b",
        arg=json.dumps(before),
    )

    # Dark palette: the figures' background follows.
    light = [_background(page, fig) for fig in FIGS]
    assert all(light)
    page.locator('label[for="__palette_1"]').click()
    page.wait_for_function("() => document.body.getAttribute('data-md-color-scheme') === 'slate'")
    page.wait_for_function(
        "l => document.querySelector('#fig-breakdown .main-svg').style.background !== l", arg=light[1]
    )
    dark = [_background(page, fig) for fig in FIGS]
    assert all(d != w for d, w in zip(dark, light, strict=True)), (light, dark)

    # Narrower window: the figure follows its container.
    wide = page.eval_on_selector("#fig-pareto .main-svg", "e => e.getBoundingClientRect().width")
    page.set_viewport_size({"width": 480, "height": 900})
    page.wait_for_function(
        "w => { const gd = document.querySelector('#fig-pareto');"
        " const x = gd.querySelector('.main-svg').getBoundingClientRect().width;"
        " return x < w - 100 && Math.abs(x - gd.clientWidth) < 2; }",
        arg=wide,
    )

    assert watched_page.external_requests == []
    assert watched_page.console_errors == []


def test_leaving_and_coming_back_redraws_without_errors(watched_page, site_url) -> None:
    page = watched_page.page
    _open_figure_page(page, site_url)
    page.locator(".md-nav--primary a.md-nav__link", has_text="练习题").first.click()
    page.wait_for_url("**/chapter/exercises/")
    page.wait_for_function("() => !document.querySelector('.sm-figure')")  # content swapped in
    page.go_back()
    page.wait_for_url("**/chapter/visualize/")
    for fig in FIGS:
        page.wait_for_selector(f"{fig} .scatterlayer .trace .js-line", state="attached", timeout=30_000)
    assert page.evaluate("window.__sm_marker") == 1
    assert page.locator("#fig-pareto .main-svg").count() >= 1
    assert watched_page.external_requests == []
    assert watched_page.console_errors == []
