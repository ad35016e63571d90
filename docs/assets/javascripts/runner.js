/* servingmath runner: every answer block (markdown-exec output with a source tab) and every code
 * cell of the playground notebook gets "编辑并运行", which opens an editor to run the block's code
 * in the browser with Pyodide. This file, loaded on every page, only finds the blocks and adds
 * the buttons; the first press fetches runner-core.js (the editor, the worker, the session
 * semantics: read its header). Opt out: a block whose code has a comment "sm-runner: off" gets
 * no control and is left out of its page's session (e.g. a block that reads local files). */
(function () {
  "use strict";

  var here = document.currentScript && document.currentScript.src;
  if (!here || typeof Worker === "undefined") return;
  var CORE_URL = here.replace(/runner\.js(\?.*)?$/, "runner-core.js");
  var OPT_OUT = /#.*\bsm-runner:\s*off\b/;

  var page = null; // {kind, blocks: [block]} of the current page

  // ── runner-core.js, fetched on the first press ──────────────────────────
  var core = null;
  var loading = false;

  function withCore(fn) {
    if (core) return fn(core);
    if (loading) return; // a second press while it loads: the first one opens the editor
    loading = true;
    var script = document.createElement("script");
    script.src = CORE_URL;
    script.onload = function () {
      loading = false;
      core = window.__smRunnerCore || null;
      if (core) fn(core);
    };
    script.onerror = function () {
      loading = false; // the next press tries again
      script.remove();
    };
    document.head.appendChild(script);
  }

  // ── finding blocks ──────────────────────────────────────────────────────
  function trimCode(text) {
    return text.replace(/\n$/, "");
  }

  function markdownBlocks(root) {
    var out = [];
    root.querySelectorAll(".tabbed-set").forEach(function (set) {
      var first = set.querySelector(":scope > input");
      var labels = set.querySelectorAll(":scope > .tabbed-labels > label");
      var code = set.querySelector(":scope > .tabbed-content > .tabbed-block:first-child .highlight code");
      if (!first || !/^exec-/.test(first.id) || labels.length !== 2 || !code) return;
      out.push({ el: set, anchor: set, code: trimCode(code.textContent) });
    });
    return out;
  }

  function notebookBlocks(root) {
    var out = [];
    root.querySelectorAll(".jp-CodeCell").forEach(function (cell) {
      if (cell.querySelector(".jp-CodeCell")) return; // mkdocs-jupyter nests a wrapper
      var pre = cell.querySelector(".jp-InputArea .highlight-ipynb pre");
      if (!pre) return;
      out.push({ el: cell, anchor: cell, code: trimCode(pre.textContent) });
    });
    return out;
  }

  function constantSet(el) {
    var v = el.closest(".sm-c[data-constants]");
    return v ? v.getAttribute("data-constants") : null;
  }

  // ── the button (the editor inside the panel comes with runner-core.js) ─
  var uid = 0;

  function addControl(block) {
    uid += 1;
    var box = document.createElement("div");
    box.className = "sm-run";
    var open = document.createElement("button");
    open.type = "button";
    open.className = "md-button sm-run__button sm-run__open";
    open.textContent = "编辑并运行";
    var panel = document.createElement("div");
    panel.className = "sm-run__panel";
    panel.id = "sm-run-" + uid;
    panel.hidden = true;
    open.setAttribute("aria-expanded", "false");
    open.setAttribute("aria-controls", panel.id);
    box.append(open, panel);
    block.anchor.insertAdjacentElement("afterend", box);
    block.box = box;
    block.open = open;
    block.panel = panel;
    var mine = page;
    open.addEventListener("click", function () {
      withCore(function (c) { c.toggle(block, mine); });
    });
  }

  // ── per page ────────────────────────────────────────────────────────────
  function onPage() {
    var root = document.querySelector(".md-content") || document.body;
    var notebook = !!root.querySelector(".jp-Notebook, .jupyter-wrapper");
    var found = notebook ? notebookBlocks(root) : markdownBlocks(root);
    var blocks = found.filter(function (b) { return !OPT_OUT.test(b.code); });
    page = { kind: notebook ? "notebook" : "markdown", blocks: blocks };
    blocks.forEach(function (b, i) {
      // Numbered as the reader sees them: among the blocks of its own constant set.
      var set = constantSet(b.el) || "book";
      var n = blocks.slice(0, i + 1).filter(function (o) {
        var s = constantSet(o.el);
        return !s || s === set;
      }).length;
      b.label = (notebook ? "单元格 " : "代码块 ") + n;
      b.lastRun = null;
      addControl(b);
    });
  }

  if (window.document$) window.document$.subscribe(onPage);
  else if (document.readyState === "loading") document.addEventListener("DOMContentLoaded", onPage);
  else onPage();
})();
