"""Accessibility and narrow-screen checks of built pages in a Playwright page.

Shared by ``tests/test_browser_a11y.py`` and ``scripts/screenshots.py``. Nothing here starts a
browser: callers pass a Playwright ``page`` that has loaded a page of the site.

A *scroll affordance* (what the 390 px test requires of every element whose content is wider
than its box) is, precisely:

1. the element scrolls: computed ``overflow-x`` is ``auto`` or ``scroll``;
2. it is reachable by keyboard: the element has ``tabindex >= 0`` or is natively focusable
   (or, as axe-core's ``scrollable-region-focusable`` also accepts, holds a focusable element);
3. it shows a visible cue that more content lies to the side: scroll shadows, i.e. a
   ``background-image`` of at least two gradients whose ``background-attachment`` mixes
   ``local`` (covers that move with the content) and ``scroll`` (shadows fixed at the edges),
   so a shadow is drawn at each edge where content is hidden (see ``a11y.css``).

Content clipped by ``overflow: hidden``/``clip`` has no affordance and always fails, as does a
page that scrolls sideways as a whole. Elements that are not rendered (``display: none``,
``visibility: hidden``, in a closed drawer outside the viewport) are not checked, nor boxes of
at most 1 px, the usual screen-reader-only pattern (a reflowed table's header row).
"""

from __future__ import annotations

import contextlib
from dataclasses import dataclass
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
AXE = ROOT / "node_modules" / "axe-core" / "axe.min.js"
SCHEMES = ("default", "slate")
WIDTHS = (1280, 390)

# Open every <details> (answers, errata notes) without animation, as a reader clicking them would.
EXPAND_JS = """() => {
  document.querySelectorAll('details:not([open])').forEach(d => d.setAttribute('open', ''));
  return document.querySelectorAll('details').length;
}"""

# Material keeps the scheme on <body data-md-color-scheme>; the palette toggle sets the same.
SCHEME_JS = """scheme => {
  document.body.setAttribute('data-md-color-scheme', scheme);
  return getComputedStyle(document.body).backgroundColor;
}"""

# Content tabs (计算过程 | 结果): a reader sees one panel at a time; each is checked in turn.
# Checking an input is what clicking its label does (pymdownx.tabbed is CSS only).
TABS_JS = """() => Math.max(0, ...[...document.querySelectorAll('.tabbed-set')]
  .map(s => s.querySelectorAll(':scope > input').length))"""
SHOW_TAB_JS = """k => {
  document.querySelectorAll('.tabbed-set').forEach(s => {
    const inputs = s.querySelectorAll(':scope > input');
    if (inputs.length >= k) inputs[k - 1].checked = true;
  });
}"""

AXE_JS = """async include => {
  const context = include ? {include: [include]} : document;
  const r = await axe.run(context, {resultTypes: ['violations']});
  return r.violations.map(v => ({
    id: v.id, impact: v.impact, help: v.help,
    nodes: v.nodes.map(n => ({target: n.target.join(' '), summary: n.failureSummary || ''})),
  }));
}"""

OVERFLOW_JS = """() => {
  const out = [];
  const vw = window.innerWidth;
  const doc = document.documentElement;
  if (doc.scrollWidth > vw + 1) {
    out.push({what: 'page', reason: `page scrolls sideways: ${doc.scrollWidth} > ${vw}`});
  }
  const focusable = el => el.tabIndex >= 0 && (el.hasAttribute('tabindex') ||
      el.matches('a[href], button, input, select, textarea, summary, [contenteditable]'));
  const holdsFocusable = el => [...el.querySelectorAll(
      'a[href], button, input, select, textarea, [tabindex]:not([tabindex="-1"])')].some(focusable);
  const cue = cs => {
    const gradients = (cs.backgroundImage.match(/gradient\\(/g) || []).length;
    const att = cs.backgroundAttachment;
    return gradients >= 2 && att.includes('local') && att.includes('scroll');
  };
  const name = el => {
    let s = el.tagName.toLowerCase();
    if (el.id) s += '#' + el.id;
    if (typeof el.className === 'string' && el.className.trim())
      s += '.' + el.className.trim().split(/\\s+/).join('.');
    const p = el.parentElement;
    return p ? `${p.tagName.toLowerCase()}${p.className && typeof p.className === 'string'
        ? '.' + p.className.trim().split(/\\s+/).join('.') : ''} > ${s}` : s;
  };
  for (const el of document.body.querySelectorAll('*')) {
    if (el.scrollWidth <= el.clientWidth + 1 || el.clientWidth === 0) continue;
    if (!el.checkVisibility({visibilityProperty: true, opacityProperty: true})) continue;
    const r = el.getBoundingClientRect();
    // off-screen, or a 1 px screen-reader-only box (visually hidden on purpose)
    if (r.right <= 0 || r.left >= vw || r.width <= 1 || r.height <= 1) continue;
    const cs = getComputedStyle(el);
    const ox = cs.overflowX;
    if (ox === 'visible') continue;  // spills over; whoever clips it (or the page) is reported
    const text = (el.innerText || el.textContent || '').trim().slice(0, 60);
    const size = `${el.scrollWidth} > ${el.clientWidth}`;
    if (ox === 'hidden' || ox === 'clip') {
      out.push({what: name(el), reason: `clipped (overflow-x: ${ox}) ${size}`, text});
      continue;
    }
    const missing = [];
    if (!focusable(el) && !holdsFocusable(el)) missing.push('not keyboard-focusable');
    if (!cue(cs)) missing.push('no scroll-shadow cue');
    if (missing.length) out.push({what: name(el), reason: `scrolls ${size}: ${missing.join(', ')}`, text});
  }
  return out;
}"""


@dataclass(frozen=True)
class Finding:
    """One problem on one page, at one width and colour scheme."""

    path: str
    width: int
    scheme: str
    rule: str
    detail: str

    def __str__(self) -> str:
        return f"/{self.path} @{self.width}px {self.scheme}: {self.rule}: {self.detail}"


# Colour transitions would let axe sample a colour halfway between two schemes.
NO_TRANSITIONS = "*, *::before, *::after { transition: none !important; }"


def load(page: Any, url: str) -> None:
    """Go to ``url``, wait for it, open every ``<details>`` and make sure axe-core is present."""
    page.goto(url, wait_until="load")
    page.add_style_tag(content=NO_TRANSITIONS)
    page.evaluate(EXPAND_JS)
    if not page.evaluate("() => typeof axe !== 'undefined'"):
        page.add_script_tag(path=str(AXE))
    page.wait_for_timeout(150)


def set_scheme(page: Any, scheme: str) -> None:
    page.evaluate(SCHEME_JS, scheme)


def tab_count(page: Any) -> int:
    """The most tabs any tabbed set on the page has (0 without tabs)."""
    return int(page.evaluate(TABS_JS))


def show_tab(page: Any, k: int) -> None:
    """Show the ``k``-th tab (1-based) of every tabbed set that has one."""
    page.evaluate(SHOW_TAB_JS, k)


def tab_panels(k: int) -> str:
    """A selector for the ``k``-th panels, to check only what showing tab ``k`` revealed."""
    return f".tabbed-set > .tabbed-content > .tabbed-block:nth-child({k})"


# True once a11y.js has marked every box that scrolls sideways (its ResizeObserver reports a
# resize, a scheme or a shown tab one frame or more later).
SETTLED_JS = """() => [...document.querySelectorAll('.md-main *')].every(el => {
  const ox = getComputedStyle(el).overflowX;
  if ((ox !== 'auto' && ox !== 'scroll') || el.closest('svg, .js-plotly-plot')) return true;
  const scrolls = el.scrollWidth > el.clientWidth + 1 && el.clientWidth > 0;
  return scrolls === el.hasAttribute('data-sm-scroll');
})"""


# Resolves after two rendering steps: layout, then the ResizeObserver callbacks and the frame after.
NEXT_FRAMES_JS = "() => new Promise(r => requestAnimationFrame(() => requestAnimationFrame(r)))"


def next_frames(page: Any) -> None:
    """Wait until the page has rendered twice since the last change (a resize, a shown tab)."""
    page.evaluate(NEXT_FRAMES_JS)


def settle(page: Any, timeout_ms: int = 3000) -> None:
    """Wait until the page's scroll affordances are up to date (a page that never settles is
    left as it is: axe then reports what is wrong)."""
    with contextlib.suppress(Exception):  # playwright's TimeoutError: nothing more to wait for
        page.wait_for_function(SETTLED_JS, timeout=timeout_ms)


def axe_findings(page: Any, path: str, width: int, scheme: str, include: str | None = None) -> list[Finding]:
    """axe-core's violations on the page (or only inside the elements ``include`` selects)."""
    settle(page)
    out = []
    for v in page.evaluate(AXE_JS, include):
        for n in v["nodes"]:
            summary = " ".join(n["summary"].split()).replace("Fix any of the following: ", "")
            detail = f"{n['target']} ({v['impact']}) {summary[:240]}"
            out.append(Finding(path, width, scheme, v["id"], detail))
    return out


def overflow_findings(page: Any, path: str, width: int, scheme: str) -> list[Finding]:
    return [
        Finding(path, width, scheme, "overflow", f"{o['what']}: {o['reason']} {o.get('text', '')!r}")
        for o in page.evaluate(OVERFLOW_JS)
    ]
