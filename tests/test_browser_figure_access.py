"""Figures in Chromium: keyboard controls, legends clear of the plot, plotly.js only near a figure, CSV."""

from __future__ import annotations

import csv
import io
import json
from pathlib import Path

import pytest

pytestmark = pytest.mark.browser

PAGES = {"chapter/visualize/": 2, "beyond/measured/": 1, "beyond/playground/": 1}
BUNDLE = "assets/javascripts/plotly-basic.min.js"
DRAWN = "e => !!e.querySelector('.scatterlayer .trace .js-line, .barlayer .trace path')"


def _paths(page, fig: str) -> str:
    return page.evaluate("() => " + _paths_js(fig))


def _draw(page, fig: str) -> None:
    page.locator(fig).scroll_into_view_if_needed()
    page.wait_for_function(DRAWN, arg=page.locator(fig).element_handle(), timeout=30_000)


def _new_page(browser, width: int, height: int = 900):
    context = browser.new_context(viewport={"width": width, "height": height})
    page = context.new_page()
    requests: list[str] = []
    errors: list[str] = []
    page.on("request", lambda r: requests.append(r.url))
    page.on("pageerror", lambda e: errors.append(str(e)))
    page.on("console", lambda m: errors.append(m.text) if m.type == "error" else None)
    return context, page, requests, errors


def test_controls_work_from_the_keyboard(browser, site_url) -> None:
    context, page, _, errors = _new_page(browser, 1280)
    page.goto(site_url + "chapter/visualize/")
    _draw(page, "#fig-pareto")
    rng = page.locator("#fig-pareto-seq")
    assert rng.get_attribute("aria-valuetext") == "8k"
    before = _paths(page, "#fig-pareto")
    rng.focus()
    page.keyboard.press("ArrowLeft")
    page.wait_for_function("b => " + _paths_js("#fig-pareto") + " !== b", arg=before)
    assert rng.get_attribute("aria-valuetext") == "4k"
    assert page.locator(".sm-figure-box:has(#fig-pareto) output").inner_text() == "4k"
    # The data table follows: only the selected state's rows are shown.
    shown = page.eval_on_selector_all(
        ".sm-figure-box:has(#fig-pareto) tbody[data-sm-state]",
        "els => els.filter(e => !e.hidden && e.closest('.sm-c').checkVisibility())"
        ".map(e => e.dataset.smState)",
    )
    assert shown == ["1,2"]

    before = _paths(page, "#fig-pareto")
    page.locator("input[name=fig-pareto-weights]:checked").focus()
    page.keyboard.press("ArrowRight")  # radio group: the next option (int4) is checked
    assert page.locator("input[name=fig-pareto-weights]:checked").get_attribute("value") == "2"
    page.wait_for_function("b => " + _paths_js("#fig-pareto") + " !== b", arg=before)
    legend = page.eval_on_selector_all("ul[data-for=fig-pareto] li", "els => els.map(e => e.textContent)")
    assert any("int4" in t and "4k" in t for t in legend), legend
    assert errors == []
    context.close()


def _paths_js(fig: str) -> str:
    return (
        f"[...document.querySelectorAll('{fig} .scatterlayer .trace .js-line')]"
        ".map(p => p.getAttribute('d')).join('|')"
    )


OVERLAP = """fig => {
  const gd = document.getElementById(fig);
  const box = gd.closest('.sm-figure-box');
  const r = e => {
    const b = e.getBoundingClientRect();
    return {l: b.left, t: b.top, r: b.right, b: b.bottom};
  };
  const hit = (a, b) => a.l < b.r && b.l < a.r && a.t < b.b && b.t < a.b;
  const plot = r(gd.querySelector('.nsewdrag'));
  const legend = box.querySelector('ul.sm-figure-legend');
  const title = box.querySelector('.sm-figure-title');
  const items = legend ? [...legend.querySelectorAll('li')].map(r) : [];
  return {
    items: items.length,
    visible: items.every(i => i.r - i.l > 0 && i.l >= 0 && i.r <= innerWidth + 1),
    legendOverPlot: items.some(i => hit(i, plot))
      || (legend ? hit(r(legend), r(gd.querySelector('.main-svg'))) : true),
    titleOverPlot: title ? hit(r(title), r(gd)) : false,
    titleOverLegend: title && legend ? hit(r(title), r(legend)) : false,
    svgLegend: gd.querySelectorAll('.legend .traces').length,
    fill: gd.getBoundingClientRect().width / box.parentElement.getBoundingClientRect().width,
  };
}"""


@pytest.mark.parametrize("width", [390, 1280])
def test_every_figure_has_a_legend_clear_of_plot_and_title(browser, site_url, width) -> None:
    context, page, requests, errors = _new_page(browser, width)
    seen = 0
    for path, count in PAGES.items():
        page.goto(site_url + path)
        ids = page.eval_on_selector_all(".sm-figure", "els => els.map(e => e.id)")
        assert len(ids) == count, (path, ids)
        for fig in ids:
            _draw(page, f"#{fig}")
            state = page.evaluate(OVERLAP, fig)
            assert state["items"] >= 1, (path, fig, state)
            assert state["visible"] and not state["legendOverPlot"], (path, fig, width, state)
            assert not state["titleOverPlot"] and not state["titleOverLegend"], (path, fig, width, state)
            assert state["svgLegend"] == 0  # plotly's own legend (drawn over the plot) is off
            assert state["fill"] > 0.95, (path, fig, width, state)  # the plot takes the column's width
            assert page.locator(f"#{fig} .modebar").count() == 0  # no toolbar over the title
            seen += 1
    assert seen == sum(PAGES.values())
    # From the site only, once per page load (each goto is a fresh load).
    assert [u for u in requests if "plotly" in u] == [site_url + BUNDLE] * len(PAGES)
    assert errors == []
    context.close()


def test_no_plotly_before_scrolling_to_a_figure_below_the_fold(browser, site_url) -> None:
    height = 600
    context, page, requests, errors = _new_page(browser, 1280, height)
    page.goto(site_url + "beyond/measured/", wait_until="networkidle")
    page.wait_for_timeout(1000)
    top = page.eval_on_selector("#fig-measured", "e => e.getBoundingClientRect().top")
    assert top > height + 300 + 100, "the figure must start well below the fold for this test"
    assert not [u for u in requests if "plotly" in u or (u.endswith(".json") and "fig-" in u)], requests
    assert page.locator("#fig-measured svg").count() == 0
    page.locator("#fig-measured").scroll_into_view_if_needed()
    page.wait_for_function(DRAWN, arg=page.locator("#fig-measured").element_handle(), timeout=30_000)
    assert [u for u in requests if "plotly" in u] == [site_url + BUNDLE]
    assert site_url + "beyond/measured/fig-measured-book.json" in requests  # the book set: the default
    assert all(u.startswith(site_url) or u.startswith("data:") for u in requests), requests
    assert errors == []
    context.close()


def test_a_figure_in_a_closed_details_is_drawn_when_opened(browser, site_url) -> None:
    context, page, _, errors = _new_page(browser, 1280)
    page.goto(site_url + "chapter/visualize/")
    page.evaluate(  # move the (not yet drawn) breakdown figure into a closed <details> at the top
        """() => { const d = document.createElement('details'); d.id = 'tmp-details';
        d.innerHTML = '<summary>s</summary>';
        d.appendChild(document.querySelector('#fig-breakdown').closest('.sm-figure-box'));
        document.querySelector('.md-content__inner').prepend(d); }"""
    )
    page.wait_for_timeout(800)
    assert page.locator("#fig-breakdown svg").count() == 0
    page.locator("#tmp-details > summary").click()
    page.wait_for_function(DRAWN, arg=page.locator("#fig-breakdown").element_handle(), timeout=30_000)
    width = page.eval_on_selector("#fig-breakdown .main-svg", "e => e.getBoundingClientRect().width")
    assert width > 500, width  # drawn at its shown size, not the hidden one
    assert errors == []
    context.close()


@pytest.mark.parametrize(
    ("path", "fig"), [("chapter/visualize/", "fig-pareto"), ("beyond/measured/", "fig-measured")]
)
def test_csv_download_matches_the_page_data(browser, site_url, tmp_path: Path, path, fig) -> None:
    context = browser.new_context(viewport={"width": 1280, "height": 900}, accept_downloads=True)
    page = context.new_page()
    page.goto(site_url + path)
    _draw(page, f"#{fig}")
    link = page.locator(f".sm-figure-box:has(#{fig}) .sm-figure-download a:visible")  # the set shown
    with page.expect_download() as info:
        link.click()
    download = info.value
    assert download.suggested_filename == f"{fig}-book.csv"
    target = tmp_path / download.suggested_filename
    download.save_as(target)
    rows = list(csv.reader(io.StringIO(target.read_text(encoding="utf-8-sig"))))
    assert f"{len(rows) - 1:,} 行" in link.inner_text()
    spec = json.loads(
        page.evaluate(
            f"() => fetch(document.querySelector('#{fig} template[data-constants=book]').dataset.src)"
            ".then(r => r.text())"
        )
    )
    if fig == "fig-measured":  # one row per system, one column per bar trace
        bars = spec["data"]
        assert [r[0] for r in rows[1:]] == bars[0]["x"]
        for k, t in enumerate(bars):
            assert rows[0][1 + k] == t["name"]
            assert [json.loads(r[1 + k]) for r in rows[1:]] == t["y"]
    else:  # every batch is a row (weights, seq, batch, latency, throughput, cost); the curve draws some
        curve = next(t for t in spec["data"] if t.get("visible") is True and "customdata" in t)
        weights, seq = curve["name"].split(" · ")
        mine = {int(r[2]): r for r in rows[1:] if r[0] == weights and r[1] == seq.removesuffix(" 上下文")}
        assert sorted(mine) == list(range(1, curve["customdata"][-1] + 1))  # every batch size
        drawn = [mine[b] for b in curve["customdata"]]
        assert [json.loads(r[3]) for r in drawn] == curve["x"]
        assert [json.loads(r[4]) for r in drawn] == curve["y"]
    context.close()


def test_switching_the_constant_set_redraws_the_figure(browser, site_url) -> None:
    context, page, requests, errors = _new_page(browser, 1280)
    page.goto(site_url + "chapter/visualize/")
    _draw(page, "#fig-pareto")
    assert page.get_attribute("#fig-pareto", "aria-describedby") == "fig-pareto-desc-book"
    assert f"{site_url}chapter/visualize/fig-pareto-book.json" in requests
    before = _paths(page, "#fig-pareto")
    page.locator(".sm-constants-switch").first.click()
    page.wait_for_function("() => document.documentElement.dataset.smConstants === 'spec'")
    page.wait_for_function("b => " + _paths_js("#fig-pareto") + " !== b", arg=before)
    assert page.get_attribute("#fig-pareto", "aria-describedby") == "fig-pareto-desc-spec"
    assert f"{site_url}chapter/visualize/fig-pareto-spec.json" in requests
    box = ".sm-figure-box:has(#fig-pareto)"
    assert page.locator(f"{box} #fig-pareto-desc-spec").is_visible()
    assert not page.locator(f"{box} #fig-pareto-desc-book").is_visible()
    href = page.locator(f"{box} .sm-figure-download a:visible").get_attribute("href")
    assert href and href.endswith("/chapter/visualize/fig-pareto-spec.csv"), href
    # The controls keep their state across the switch.
    page.locator("#fig-pareto-seq").focus()
    page.keyboard.press("ArrowRight")
    page.wait_for_function(
        "() => [...document.querySelectorAll('ul[data-for=fig-pareto] li')]"
        ".some(e => e.textContent.includes('16k'))"
    )
    assert errors == []
    context.close()


@pytest.mark.parametrize("scheme", [0, 1], ids=["light", "dark"])
def test_figures_pass_axe(browser, site_url, scheme) -> None:
    """axe-core (pinned in package-lock.json) finds nothing in the figures, data tables open, at 390 px."""
    axe = (Path(__file__).resolve().parents[1] / "node_modules" / "axe-core" / "axe.min.js").read_text()
    context, page, _, errors = _new_page(browser, 390)
    context.add_init_script(f"localStorage.setItem('/.__palette', JSON.stringify({{index: {scheme}}}))")
    found = {}
    for path, count in PAGES.items():
        page.goto(site_url + path)
        for i in range(count):
            fig = page.locator(".sm-figure").nth(i)
            _draw(page, f"#{fig.get_attribute('id')}")
        page.evaluate("() => document.querySelectorAll('.sm-figure-table').forEach(d => { d.open = true; })")
        page.add_script_tag(content=axe)
        found[path] = page.evaluate(
            "() => axe.run({include: [['.sm-figure-box']]})"
            ".then(r => r.violations.map(v => [v.id, v.nodes.map(n => n.target.join(' '))]))"
        )
    assert found == {p: [] for p in PAGES}
    assert errors == []
    context.close()
