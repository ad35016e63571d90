/* servingmath figures: draw every div.sm-figure from the JSON its <template data-src> names (a
 * file next to the page, written at build time by servingmath.book.figures.embed and
 * hooks/plotly_assets.py; not a <script>, which instant navigation would re-run).
 *
 * - plotly.js (the basic bundle, next to this file) and the figure's JSON are fetched only when
 *   a figure comes within ROOT_MARGIN of the viewport (IntersectionObserver), so a page whose
 *   figures are below the fold transfers neither until the reader scrolls there. A figure in a closed <details> or
 *   a hidden tab has no box, so it is drawn when it is shown.
 * - Runs on each page load, instant navigation included (Material's document$), follows the
 *   light/dark palette, resizes with its container, purges plots whose page was left.
 * - Controls are HTML (a radio group, a range input) written by embed(); layout.meta.sm.groups
 *   says, per trace, which option of each control it belongs to (null = any): the loader only
 *   chooses which traces (and which rows of the data table) to show.
 * - Constant sets: a figure may hold one <template data-constants="book|spec"> per set; the one
 *   matching <html data-sm-constants> is drawn, and figures are redrawn on "sm:constants".
 * - The legend is HTML under the plot (ul.sm-figure-legend, from the traces plotly shows): it
 *   wraps on a narrow screen and can never cover a curve; plotly's own legend is off. */
(function () {
  "use strict";

  var ROOT_MARGIN = "300px 0px";
  var live = []; // [{gd, observer}] drawn on the current page
  var watcher = null; // the IntersectionObserver of the current page

  var here = document.currentScript && document.currentScript.src;
  var plotlySrc = here ? here.replace(/figures\.js(\?.*)?$/, "plotly-basic.min.js") : null;
  var plotlyReady = null;

  function plotly() { // a promise of window.Plotly; the script is added once per visit
    if (window.Plotly) return Promise.resolve(window.Plotly);
    if (!plotlyReady) {
      plotlyReady = new Promise(function (resolve, reject) {
        var tag = document.createElement("script");
        tag.src = plotlySrc;
        tag.async = true;
        tag.dataset.smPlotly = "1";
        tag.addEventListener("load", function () { resolve(window.Plotly); }, { once: true });
        tag.addEventListener("error", function () { plotlyReady = null; reject(new Error("plotly.js did not load")); }, { once: true });
        document.head.appendChild(tag);
      });
    }
    return plotlyReady;
  }

  // A figure's JSON sits in a file next to its page (<template data-src>, written at build time);
  // it is fetched with plotly.js, when the figure comes near the viewport. Inline JSON works too.
  var texts = {};
  function payload(tag) {
    var url = tag.getAttribute("data-sm-url");
    if (!url) return Promise.resolve(tag.content.textContent);
    if (!texts[url]) {
      texts[url] = fetch(url).then(function (r) {
        if (!r.ok) { delete texts[url]; throw new Error(url + ": HTTP " + r.status); }
        return r.text();
      });
    }
    return texts[url];
  }

  function constants() {
    return document.documentElement.getAttribute("data-sm-constants") || "book";
  }

  // The data template for the current constant set (a template without data-constants serves all).
  function templateFor(gd) {
    var set = constants();
    var tags = gd.querySelectorAll("template.sm-figure-data");
    var any = null;
    for (var i = 0; i < tags.length; i++) {
      var c = tags[i].getAttribute("data-constants");
      if (c === set) return tags[i];
      if (!c && !any) any = tags[i];
    }
    return any || tags[0] || null;
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
    return u;
  }

  function setPath(obj, path, value) { // "xaxis.gridcolor" on a plain object
    var keys = path.split(".");
    keys.slice(0, -1).forEach(function (k) { obj = obj[k] = obj[k] || {}; });
    obj[keys[keys.length - 1]] = value;
  }

  // ── Controls (HTML, wired before plotly.js is even fetched) ─────────────────────────────

  function box(gd) { return gd.closest(".sm-figure-box") || gd.parentNode; }

  function controlsOf(gd) {
    return Array.prototype.slice.call(box(gd).querySelectorAll("[data-sm-control]"));
  }

  function readState(gd) { // {weights: 1, seq: 3} from the HTML controls
    var state = {};
    controlsOf(gd).forEach(function (c) {
      var name = c.getAttribute("data-sm-control");
      var range = c.querySelector("input[type=range]");
      var radio = c.querySelector("input[type=radio]:checked");
      if (range) state[name] = Number(range.value);
      else if (radio) state[name] = Number(radio.value);
    });
    return state;
  }

  function matches(group, names, state) {
    return !group || names.every(function (name, i) {
      return group[i] === null || state[name] === undefined || group[i] === state[name];
    });
  }

  function visibility(sm, state) {
    var names = sm.controls.map(function (c) { return c.name; });
    return sm.groups.map(function (g) { return matches(g, names, state); });
  }

  // The data tables: one <tbody data-sm-state="w,s"> per control state; show the selected one.
  function showRows(gd, names, state) {
    box(gd).querySelectorAll("tbody[data-sm-state]").forEach(function (tb) {
      var g = tb.getAttribute("data-sm-state").split(",").map(function (x) { return x === "" ? null : Number(x); });
      tb.hidden = !matches(g, names, state);
    });
  }

  function controlNames(gd) {
    return controlsOf(gd).map(function (c) { return c.getAttribute("data-sm-control"); });
  }

  function onControl(gd) {
    var state = readState(gd);
    controlsOf(gd).forEach(function (c) { // the range's visible value and its spoken text
      var range = c.querySelector("input[type=range]");
      if (!range) return;
      var labels = JSON.parse(range.getAttribute("data-sm-labels") || "[]");
      var text = labels[Number(range.value)] || range.value;
      range.setAttribute("aria-valuetext", text);
      var out = c.querySelector("output");
      if (out) out.textContent = text;
    });
    showRows(gd, controlNames(gd), state);
    if (gd._smSpec && window.Plotly) {
      Plotly.restyle(gd, { visible: visibility(gd._smSpec.layout.meta.sm, state) }).then(function () { legend(gd); });
    }
  }

  function wireControls(gd) {
    if (gd.dataset.smWired) return;
    gd.dataset.smWired = "1";
    var controls = controlsOf(gd);
    controls.forEach(function (c) {
      c.addEventListener("input", function () { onControl(gd); });
      c.addEventListener("change", function () { onControl(gd); });
    });
    if (controls.length) showRows(gd, controlNames(gd), readState(gd));
  }

  // ── Drawing ──────────────────────────────────────────────────────────────────────────────

  function specFrom(gd, tag, text) {
    var spec = JSON.parse(text);
    var update = themeUpdate(spec.layout);
    Object.keys(update).forEach(function (k) { setPath(spec.layout, k, update[k]); });
    var sm = (spec.layout.meta || {}).sm;
    if (sm && sm.controls) {
      var vis = visibility(sm, readState(gd));
      spec.data.forEach(function (t, i) { t.visible = vis[i]; });
    }
    spec.layout.showlegend = false; // drawn in HTML under the plot: legend()
    ["xaxis", "yaxis"].concat(Object.keys(spec.layout)).forEach(function (k) { // room for long tick labels
      if (!/^[xy]axis\d*$/.test(k)) return;
      var axis = spec.layout[k] = spec.layout[k] || {};
      if (axis.automargin === undefined) axis.automargin = true;
    });
    spec._set = tag.getAttribute("data-constants") || "";
    return spec;
  }

  function describe(gd, set) { // the caption of the set drawn describes the plot
    var id = gd.id + "-desc" + (set ? "-" + set : "");
    if (document.getElementById(id)) gd.setAttribute("aria-describedby", id);
  }

  var CONFIG = { responsive: true, displaylogo: false, displayModeBar: false };

  function swatch(t) { // a small picture of the trace: line (solid/dash/dot), marker, or box
    var s = document.createElement("span");
    s.className = "sm-swatch";
    s.setAttribute("aria-hidden", "true");
    var line = t.line || {}, marker = t.marker || {};
    var color = t.type === "bar" ? marker.color : (t.fill === "toself" ? t.fillcolor : (line.color || marker.color));
    s.style.setProperty("--sm-swatch", color || "currentColor");
    var mode = t.mode || "";
    if (t.type === "bar" || t.fill === "toself") s.classList.add("sm-swatch--box");
    else if (mode.indexOf("lines") >= 0) {
      s.classList.add("sm-swatch--line");
      s.style.borderTopStyle = line.dash === "dot" ? "dotted" : (line.dash && line.dash !== "solid" ? "dashed" : "solid");
      if (mode.indexOf("markers") >= 0) s.classList.add("sm-swatch--dot");
    } else s.classList.add(/diamond/.test(marker.symbol || "") ? "sm-swatch--diamond" : "sm-swatch--circle");
    return s;
  }

  function legend(gd) {
    var ul = box(gd).querySelector("ul.sm-figure-legend[data-for='" + gd.id + "']");
    if (!ul) {
      ul = document.createElement("ul");
      ul.className = "sm-figure-legend";
      ul.setAttribute("data-for", gd.id);
      ul.setAttribute("aria-label", "图例");
      gd.insertAdjacentElement("afterend", ul);
    }
    ul.textContent = "";
    (gd._fullData || []).forEach(function (t) {
      if (t.visible !== true || t.showlegend === false || !t.name) return;
      var li = document.createElement("li");
      li.appendChild(swatch(t));
      li.appendChild(document.createTextNode(t.name));
      ul.appendChild(li);
    });
  }

  function resize(gd) {
    if (gd.offsetWidth > 0 && gd.offsetHeight > 0 && gd._fullLayout) {
      Plotly.Plots.resize(gd).catch(function () {});
    }
  }

  function specFor(gd) { // a promise of [the spec of the current constant set, Plotly]
    var tag = templateFor(gd);
    if (!tag) return Promise.reject(new Error(gd.id + ": no figure data"));
    return Promise.all([payload(tag), plotly()]).then(function (got) {
      return specFrom(gd, tag, got[0]);
    });
  }

  function draw(gd) {
    if (gd.dataset.smDrawn) return;
    gd.dataset.smDrawn = "1";
    specFor(gd).then(function (spec) {
      if (!document.body.contains(gd)) return null; // the reader left the page meanwhile
      gd._smSpec = spec;
      describe(gd, spec._set);
      return Plotly.newPlot(gd, spec.data, spec.layout, CONFIG);
    }).then(function (drawn) {
      if (!drawn) return;
      legend(gd);
      var frame = 0;
      var observer = new ResizeObserver(function () { // tabs, details, sidebar, window
        cancelAnimationFrame(frame);
        frame = requestAnimationFrame(function () { resize(gd); });
      });
      observer.observe(gd);
      live.push({ gd: gd, observer: observer });
      gd.dispatchEvent(new CustomEvent("sm:drawn", { bubbles: true }));
    }).catch(function (e) {
      delete gd.dataset.smDrawn;
      console.error("servingmath figure " + gd.id + ": " + e.message);
    });
  }

  function redraw(gd) { // another constant set: same controls, other numbers
    var tag = templateFor(gd);
    if (!tag || !gd._smSpec || (tag.getAttribute("data-constants") || "") === gd._smSpec._set) return;
    specFor(gd).then(function (spec) {
      gd._smSpec = spec;
      describe(gd, spec._set);
      return Plotly.react(gd, spec.data, spec.layout, CONFIG);
    }).then(function () { legend(gd); });
  }

  function purgeGone() {
    live = live.filter(function (p) {
      if (document.body.contains(p.gd)) return true;
      p.observer.disconnect();
      if (window.Plotly) Plotly.purge(p.gd);
      return false;
    });
  }

  function onPage() {
    purgeGone();
    if (watcher) { watcher.disconnect(); watcher = null; }
    var figures = document.querySelectorAll(".sm-figure");
    if (!figures.length) return;
    figures.forEach(wireControls);
    document.querySelectorAll("template.sm-figure-data[data-src]").forEach(function (t) {
      t.setAttribute("data-sm-url", new URL(t.getAttribute("data-src"), location.href).href);
    });
    watcher = new IntersectionObserver(function (entries, obs) {
      entries.forEach(function (e) {
        if (!e.isIntersecting) return;
        obs.unobserve(e.target);
        draw(e.target);
      });
    }, { rootMargin: ROOT_MARGIN });
    figures.forEach(function (gd) { watcher.observe(gd); });
  }

  new MutationObserver(function () {
    if (!window.Plotly) return;
    live.forEach(function (p) { Plotly.relayout(p.gd, themeUpdate(p.gd.layout)); });
  }).observe(document.body, { attributes: true, attributeFilter: ["data-md-color-scheme"] });

  document.addEventListener("sm:constants", function () {
    if (!window.Plotly) return;
    live.forEach(function (p) { redraw(p.gd); });
  });

  window.addEventListener("resize", function () {
    if (window.Plotly) live.forEach(function (p) { resize(p.gd); });
  });

  if (window.document$) window.document$.subscribe(onPage);
  else if (document.readyState === "loading") document.addEventListener("DOMContentLoaded", onPage);
  else onPage();
})();
