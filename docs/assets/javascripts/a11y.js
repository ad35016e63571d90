/* servingmath accessibility: scroll affordances and names for Material's own markup.
 *
 * Anything in the page body that scrolls sideways (a display formula, a code block, a table,
 * a notebook cell: any element with overflow-x auto/scroll whose content is wider than its box)
 * gets, while it actually scrolls:
 *   - data-sm-scroll, which a11y.css turns into scroll shadows at the edge where content hides;
 *   - tabindex="0" (unless it is focusable already), so arrow keys can scroll it, with
 *     role="group" and a Chinese aria-label saying what it is (not a landmark: no
 *     landmark-unique clash however many there are).
 * When it fits again (wider window, bigger column) these are removed. Re-checked on each
 * page load (instant navigation too) and whenever a box changes size (window, tabs, details).
 *
 * Material's copy button sits in a <nav class="md-code__nav"> per code block: dozens of unnamed
 * navigation landmarks per page. It is a toolbar of one button, not navigation: role="none".
 */
(function () {
  "use strict";

  var LABELS = [
    [".arithmatex", "公式（可左右滚动）"],
    ["table, .md-typeset__scrollwrap, .md-typeset__table", "表格（可左右滚动）"],
    ["code, pre, .highlight, .highlight-ipynb", "代码（可左右滚动）"],
  ];
  var observer = "ResizeObserver" in window ? new ResizeObserver(function (entries) {
    entries.forEach(function (e) { update(e.target); });
  }) : null;
  var watched = [];

  function label(el) {
    for (var i = 0; i < LABELS.length; i++) if (el.matches(LABELS[i][0])) return LABELS[i][1];
    return "可左右滚动的内容";
  }

  function update(el) {
    var scrolls = el.scrollWidth > el.clientWidth + 1 && el.clientWidth > 0;
    if (scrolls && !el.hasAttribute("data-sm-scroll")) {
      el.setAttribute("data-sm-scroll", "");
      if (!el.hasAttribute("tabindex")) {
        el.setAttribute("tabindex", "0");
        el.setAttribute("data-sm-added", "");
        if (!el.hasAttribute("role")) {
          el.setAttribute("role", "group");
          el.setAttribute("aria-label", label(el));
        }
      }
    } else if (!scrolls && el.hasAttribute("data-sm-scroll")) {
      el.removeAttribute("data-sm-scroll");
      if (el.hasAttribute("data-sm-added")) {
        ["data-sm-added", "tabindex", "role", "aria-label"].forEach(function (a) { el.removeAttribute(a); });
      }
    }
  }

  function scrollers(root) {
    var out = [];
    root.querySelectorAll("*").forEach(function (el) {
      if (el.closest("svg, .js-plotly-plot")) return; // figures draw their own controls
      var ox = getComputedStyle(el).overflowX;
      if (ox === "auto" || ox === "scroll") out.push(el);
    });
    return out;
  }

  function nameCodeToolbars(root) {
    root.querySelectorAll("nav.md-code__nav:not([role])").forEach(function (nav) {
      nav.setAttribute("role", "none");
    });
  }

  function scan() {
    if (observer) watched.forEach(function (el) { observer.unobserve(el); });
    var main = document.querySelector(".md-main") || document.body;
    watched = scrollers(main);
    watched.forEach(function (el) {
      update(el);
      if (observer) observer.observe(el);
    });
    nameCodeToolbars(document);
  }

  // Material adds code toolbars and table wrappers (.md-typeset__scrollwrap) after the content
  // is in the page; other scripts add content too. Rescan the content once per frame.
  var pending = false;
  function rescan() {
    if (pending) return;
    pending = true;
    requestAnimationFrame(function () { pending = false; scan(); });
  }
  new MutationObserver(function (records) {
    for (var i = 0; i < records.length; i++) {
      var r = records[i];
      if (!r.addedNodes.length || !r.target.closest || !r.target.closest(".md-content")) continue;
      for (var j = 0; j < r.addedNodes.length; j++) {
        var n = r.addedNodes[j];
        if (n.nodeType !== 1) continue;
        if (n.matches("nav.md-code__nav")) n.setAttribute("role", "none");
        else rescan();
      }
    }
  }).observe(document.body, { childList: true, subtree: true });

  if (window.document$) window.document$.subscribe(rescan);
  else document.addEventListener("DOMContentLoaded", scan);
  window.addEventListener("resize", function () { watched.forEach(update); });
})();
