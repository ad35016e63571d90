/* servingmath figures: draw every div.sm-figure from the JSON in its <template> (written at build
 * time by servingmath.book.figures.embed; not a <script>, which instant navigation would re-run).
 * Runs on each page load, instant navigation included (Material's document$), waits for
 * plotly.js, follows the light/dark palette, resizes with its container (window, tabs,
 * details), and purges plots whose page was navigated away from.
 * Controls: a slider/button set with a `name` updates that control's state; layout.meta.sm.groups
 * says, per trace, which state it belongs to (null = any), so several controls combine. */
(function () {
  "use strict";

  var live = []; // [{gd, observer}] drawn on the current page

  // plotly.js (~1.5 MB gzip) is fetched only by pages that have a figure, once per visit:
  // it sits next to this file (copied from the plotly package at build time).
  var here = document.currentScript && document.currentScript.src;
  var plotlySrc = here ? here.replace(/figures\.js(\?.*)?$/, "plotly.min.js") : null;
  var waiting = [];

  function whenPlotly(fn) {
    if (window.Plotly) return fn();
    waiting.push(fn);
    if (document.querySelector("script[data-sm-plotly]") || !plotlySrc) return;
    var tag = document.createElement("script");
    tag.src = plotlySrc;
    tag.async = true;
    tag.dataset.smPlotly = "1";
    tag.addEventListener("load", function () {
      var queued = waiting; waiting = [];
      queued.forEach(function (f) { f(); });
    }, { once: true });
    document.head.appendChild(tag);
  }

  function theme() {
    var css = getComputedStyle(document.body);
    var dark = document.body.getAttribute("data-md-color-scheme") === "slate";
    function v(name, fallback) { return css.getPropertyValue(name).trim() || fallback; }
    return {
      bg: v("--md-default-bg-color", dark ? "#1e2129" : "#ffffff"),
      fg: v("--md-default-fg-color", dark ? "#e2e4e9" : "#000000de"),
      faint: v("--md-default-fg-color--light", dark ? "#e2e4e999" : "#0000008a"),
      grid: v("--md-default-fg-color--lightest", dark ? "#e2e4e91f" : "#00000012"),
      font: css.fontFamily
    };
  }

  // Flat relayout update ("xaxis.gridcolor": ...) that paints a layout in the current palette.
  function themeUpdate(layout) {
    var t = theme(), u = {
      paper_bgcolor: t.bg, plot_bgcolor: t.bg, "font.color": t.fg, "font.family": t.font
    };
    Object.keys(layout).forEach(function (k) {
      if (/^[xy]axis\d*$/.test(k)) {
        u[k + ".gridcolor"] = t.grid; u[k + ".linecolor"] = t.faint; u[k + ".zerolinecolor"] = t.grid;
      }
    });
    (layout.sliders || []).forEach(function (_, i) {
      var p = "sliders[" + i + "].";
      u[p + "bgcolor"] = t.grid; u[p + "bordercolor"] = t.faint; u[p + "activebgcolor"] = t.fg;
      u[p + "tickcolor"] = t.faint; u[p + "font.color"] = t.fg; u[p + "currentvalue.font.color"] = t.fg;
    });
    return u;
  }

  function setPath(obj, path, value) { // "sliders[0].font.color" on a plain object
    var keys = path.replace(/\[(\d+)\]/g, ".$1").split(".");
    keys.slice(0, -1).forEach(function (k) { obj = obj[k] = obj[k] || {}; });
    obj[keys[keys.length - 1]] = value;
  }

  function linkControls(gd) {
    var sm = (gd.layout.meta || {}).sm;
    if (!sm) return;
    var state = {};
    (gd.layout.sliders || []).concat(gd.layout.updatemenus || []).forEach(function (c) {
      if (c.name) state[c.name] = c.active || 0;
    });
    function show() {
      var visible = sm.groups.map(function (g) {
        return !g || sm.controls.every(function (name, i) { return g[i] === null || g[i] === state[name]; });
      });
      Plotly.restyle(gd, { visible: visible });
    }
    gd.on("plotly_sliderchange", function (e) { state[e.slider.name] = e.slider.active; show(); });
    gd.on("plotly_buttonclicked", function (e) { state[e.menu.name] = e.active; show(); });
  }

  // On narrow screens the legend would cover the curves (and there is no free margin: the
  // slider sits below the plot, the buttons above): hide it; the text under each figure and
  // the hover labels name the traces.
  var NARROW = 600;
  function showLegend(gd, width) { return gd._smLegend && width >= NARROW; }

  function resize(gd) {
    if (gd.offsetWidth > 0 && gd.offsetHeight > 0 && gd._fullLayout) {
      var want = showLegend(gd, gd.offsetWidth);
      if (want !== gd._fullLayout.showlegend && gd._smLegend) Plotly.relayout(gd, { showlegend: want });
      Plotly.Plots.resize(gd).catch(function () {});
    }
  }

  function draw(gd) {
    var tag = gd.querySelector("template.sm-figure-data");
    if (!tag || gd.dataset.smDrawn) return;
    gd.dataset.smDrawn = "1";
    var spec = JSON.parse(tag.content.textContent);
    var update = themeUpdate(spec.layout);
    Object.keys(update).forEach(function (k) { setPath(spec.layout, k, update[k]); });
    gd._smLegend = spec.layout.showlegend !== false && !!spec.layout.legend;
    if (gd._smLegend) spec.layout.showlegend = showLegend(gd, gd.offsetWidth);
    var config = { responsive: true, displaylogo: false, modeBarButtonsToRemove: ["lasso2d", "select2d"] };
    Plotly.newPlot(gd, spec.data, spec.layout, config).then(function () {
      linkControls(gd);
      var frame = 0;
      var observer = new ResizeObserver(function () { // tabs, details, sidebar, window
        cancelAnimationFrame(frame);
        frame = requestAnimationFrame(function () { resize(gd); });
      });
      observer.observe(gd);
      live.push({ gd: gd, observer: observer });
    });
  }

  function purgeGone() {
    live = live.filter(function (p) {
      if (document.body.contains(p.gd)) return true;
      p.observer.disconnect();
      Plotly.purge(p.gd);
      return false;
    });
  }

  function onPage() {
    if (!document.querySelector(".sm-figure") && !live.length) return;
    whenPlotly(function () {
      purgeGone();
      document.querySelectorAll(".sm-figure").forEach(draw);
    });
  }

  new MutationObserver(function () {
    if (!window.Plotly) return;
    live.forEach(function (p) { Plotly.relayout(p.gd, themeUpdate(p.gd.layout)); });
  }).observe(document.body, { attributes: true, attributeFilter: ["data-md-color-scheme"] });

  window.addEventListener("resize", function () { live.forEach(function (p) { resize(p.gd); }); });

  if (window.document$) window.document$.subscribe(onPage);
  else if (document.readyState === "loading") document.addEventListener("DOMContentLoaded", onPage);
  else onPage();
})();
