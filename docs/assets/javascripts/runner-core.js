/* servingmath runner, the part fetched on the first press of "编辑并运行" (runner.js, loaded on
 * every page, finds the blocks, adds the buttons and fetches this file then). The press opens the
 * block's code (the text of its source tab, which is the code that ran at build time) in an
 * editable textarea, "运行" runs it in the browser with Pyodide in a Web Worker
 * (runner-worker.js), "停止" terminates the worker, "还原" restores the original code. The output
 * appears under the block as "你的运行结果".
 *
 * Session semantics as at build time: the blocks of a page share one namespace in page order.
 * Running block N first runs the page's earlier blocks (their original code, or the reader's code
 * if the reader edited and ran them), then block N. Of blocks duplicated per constant set
 * (div.sm-c[data-constants]), only those of the block's own set take part (blocks outside any
 * set always do).
 * Nothing else is fetched before this press (the worker, Pyodide and servingmath.zip all come
 * from this site's assets/).
 */
(function () {
  "use strict";

  var here = document.currentScript && document.currentScript.src;
  if (!here) return;
  var WORKER_URL = here.replace(/runner-core\.js(\?.*)?$/, "runner-worker.js");
  var TAB = "    ";

  var worker = null;
  var pending = {}; // id -> callback(message)
  var nextId = 1;

  // ── the worker ──────────────────────────────────────────────────────────
  function getWorker() {
    if (worker) return worker;
    worker = new Worker(WORKER_URL, { type: "module" });
    worker.onmessage = function (e) {
      var cb = pending[e.data.id];
      if (!cb) return;
      if (e.data.type !== "status") delete pending[e.data.id];
      cb(e.data);
    };
    worker.onerror = function (e) {
      e.preventDefault();
      finishAll({ type: "fatal", error: (e && e.message) || "无法启动 Web Worker" });
      if (worker) worker.terminate();
      worker = null;
    };
    return worker;
  }

  function finishAll(message) {
    var callbacks = pending;
    pending = {};
    Object.keys(callbacks).forEach(function (id) { callbacks[id](message); });
  }

  function stopWorker() {
    if (worker) worker.terminate();
    worker = null;
    finishAll({ type: "stopped" });
  }

  function send(blocks, mode, cb) {
    var id = nextId++;
    pending[id] = cb;
    getWorker().postMessage({ id: id, blocks: blocks, mode: mode });
  }

  function constantSet(el) {
    var v = el.closest(".sm-c[data-constants]");
    return v ? v.getAttribute("data-constants") : null;
  }

  function currentSet() {
    return document.documentElement.getAttribute("data-sm-constants") || "book";
  }

  // The blocks that run before `target` (and target itself), in page order.
  function sessionFor(page, target) {
    var want = constantSet(target.el) || currentSet();
    var blocks = [];
    for (var i = 0; i < page.blocks.length; i++) {
      var b = page.blocks[i];
      if (b === target) break;
      var set = constantSet(b.el);
      if (!set || set === want) blocks.push({ code: b.lastRun || b.code, label: b.label });
    }
    blocks.push({ code: target.textarea.value, label: target.label });
    return blocks;
  }

  // ── the control ─────────────────────────────────────────────────────────
  function el(tag, cls, text) {
    var e = document.createElement(tag);
    if (cls) e.className = cls;
    if (text) e.textContent = text;
    return e;
  }

  function button(text, cls) {
    var b = el("button", "md-button sm-run__button" + (cls ? " " + cls : ""), text);
    b.type = "button";
    return b;
  }

  // The first press: runner.js has made block.box, block.open and the empty block.panel.
  function build(block, page) {
    var box = block.box, panel = block.panel;
    var label = el("label", "sm-run__label", "在浏览器里运行" + block.label + "（可以修改代码；Ctrl+Enter 运行，Esc 后按 Tab 离开编辑框）");
    var area = el("textarea", "sm-run__code");
    area.id = panel.id + "-code";
    label.htmlFor = area.id;
    area.value = block.code;
    area.spellcheck = false;
    area.setAttribute("autocapitalize", "off");
    area.setAttribute("autocomplete", "off");
    area.setAttribute("autocorrect", "off");
    area.setAttribute("wrap", "off");

    var actions = el("div", "sm-run__actions");
    var run = button("运行", "md-button--primary sm-run__go");
    var stop = button("停止", "sm-run__stop");
    var reset = button("还原", "sm-run__reset");
    stop.disabled = true;
    var status = el("span", "sm-run__status");
    status.setAttribute("role", "status");
    status.setAttribute("aria-live", "polite");
    actions.append(run, stop, reset, status);

    var result = el("section", "sm-run__result");
    result.hidden = true;
    result.setAttribute("aria-label", "你的运行结果");
    var title = el("div", "sm-run__title", "你的运行结果");
    title.setAttribute("role", "heading");
    title.setAttribute("aria-level", "4");
    var output = el("div", "sm-run__output");
    result.append(title, output);

    panel.append(label, area, actions, result);
    block.textarea = area;

    function running(on) {
      run.disabled = on;
      stop.disabled = !on;
    }

    function go() {
      if (run.disabled) return;
      running(true);
      var t0 = performance.now();
      var code = area.value;
      status.textContent = "正在准备…";
      send(sessionFor(page, block), page.kind, function (msg) {
        if (msg.type === "status") {
          status.textContent = msg.stage === "loading" ? "正在载入 Python 运行环境（第一次需要下载，之后由浏览器缓存）…" : "正在运行…";
          return;
        }
        running(false);
        var seconds = ((performance.now() - t0) / 1000).toFixed(1);
        if (msg.type === "stopped") {
          status.textContent = "已停止";
          show(null, "运行已停止（Python 运行环境已关闭，下次运行会重新载入）。");
        } else if (msg.type === "fatal") {
          status.textContent = "出错了";
          show(null, "Python 运行环境出错：\n" + msg.error);
        } else {
          var r = msg.result;
          block.lastRun = code;
          box.dataset.timings = JSON.stringify(msg.timings || {}); // read by scripts/bench_pyodide.py
          status.textContent = (r.ok ? "完成" : "出错了") + "，用时 " + seconds + " 秒";
          if (r.ok) show(r.html || "<p>（没有输出：代码没有打印任何内容）</p>", null);
          else {
            var head = r.earlier ? "本页前面的" + r.failed + "出错了（运行这个代码块之前会先运行它）：\n\n" : "";
            show(r.html || "", head + r.error, r.hint);
          }
        }
      });
    }

    function show(html, error, hint) {
      output.innerHTML = html || "";
      if (error) {
        var pre = el("pre", "sm-run__error");
        pre.textContent = error;
        output.appendChild(pre);
      }
      if (hint) output.appendChild(el("p", "sm-run__hint", hint));
      result.classList.toggle("sm-run__result--error", !!error);
      result.hidden = false;
    }

    run.addEventListener("click", go);
    stop.addEventListener("click", stopWorker);
    reset.addEventListener("click", function () {
      area.value = block.code;
      block.lastRun = null;
      result.hidden = true;
      output.textContent = "";
      status.textContent = "已还原原来的代码";
      fit(area);
      area.scrollLeft = 0;
      area.scrollTop = 0;
    });
    editorKeys(area, go);
  }

  // A press of "编辑并运行": show or hide the block's editor.
  function toggle(block, page) {
    if (!block.textarea) build(block, page);
    var show = block.panel.hidden;
    block.panel.hidden = !show;
    block.open.setAttribute("aria-expanded", String(show));
    if (show) {
      fit(block.textarea);
      getWorker().postMessage({ warm: true }); // start loading Pyodide: "运行" waits less
      block.textarea.focus({ preventScroll: true });
    }
  }

  function fit(area) {
    var lines = area.value.split("\n").length;
    area.rows = Math.max(4, Math.min(lines + 1, 30));
  }

  // Tab indents (Shift+Tab dedents) the current line(s); Esc then Tab leaves the textarea.
  function editorKeys(area, go) {
    var escaped = false;
    area.addEventListener("input", function () { fit(area); });
    area.addEventListener("keydown", function (e) {
      if (e.key === "Escape") { escaped = true; return; }
      if (e.key === "Enter" && (e.ctrlKey || e.metaKey)) { e.preventDefault(); go(); return; }
      if (e.key !== "Tab" || escaped || e.altKey || e.ctrlKey || e.metaKey) { escaped = false; return; }
      e.preventDefault();
      var v = area.value, s = area.selectionStart, end = area.selectionEnd;
      var lineStart = v.lastIndexOf("\n", s - 1) + 1;
      if (!e.shiftKey && s === end) {
        area.setRangeText(TAB, s, end, "end");
      } else {
        var block = v.slice(lineStart, end);
        var changed = e.shiftKey
          ? block.replace(/^( {1,4}|\t)/gm, "")
          : block.replace(/^/gm, TAB);
        area.setRangeText(changed, lineStart, end, "select");
      }
      area.dispatchEvent(new Event("input"));
    });
  }

  window.__smRunnerCore = { toggle: toggle };
})();
