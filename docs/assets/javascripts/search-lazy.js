/* servingmath: the search index and the search worker are fetched when the reader starts
 * searching, not with every page (most readers never search; the index was 40% of a page's
 * first view).
 *
 * Material's bundle (mkdocs-material 9.x) asks for search/search_index.json with an
 * XMLHttpRequest while it starts, and creates its search worker (new Worker(config.search))
 * at the same time; the worker's first message is the index. This file runs right before the
 * bundle (overrides/main.html, block scripts) and holds both back until the reader shows
 * search intent:
 *
 * - the GET of search/search_index.json is opened as Material asks, but sent only then;
 * - the search worker is a stand-in that keeps Material's listeners and creates the real
 *   worker on search intent (or at its first message, which is the index).
 *
 * Search intent: focus inside the search form (a click or tap on the box or the magnifier,
 * the keys "/", "s", "f", which make Material focus the box), opening the search overlay, or
 * a page opened with ?q= (Material's search deep link) or ?h= (highlighting a result, which
 * needs the index's separator), also after instant navigation. Until the index has loaded,
 * Material's own state shows under the box: "正在初始化搜索引擎".
 * Nothing else changes: the index is fetched once (Material keeps it across instant
 * navigation) and the same worker code runs, including search/worker.js.
 * Without JavaScript nothing changes. Under file:// Material already waits for the overlay.
 */
(function () {
  "use strict";

  if (!/^https?:$/.test(location.protocol) || typeof XMLHttpRequest === "undefined") return;

  var INDEX = /\/search\/search_index\.json$/;
  var WORKER = /\/assets\/javascripts\/workers\/search\.[0-9a-f]+\.min\.js$/;
  var wanted = false;
  var held = []; // [xhr, arguments of send] waiting for search intent
  var isIndex = new WeakMap(); // xhr -> true if it GETs the search index
  var starters = []; // stand-in workers' start functions, called on search intent

  function pathOf(url) {
    try {
      return new URL(String(url), document.baseURI).pathname;
    } catch (e) {
      return "";
    }
  }

  // ── the index request: opened when Material asks, sent on search intent ──
  var xhr = XMLHttpRequest.prototype;
  var open = xhr.open, send = xhr.send, abort = xhr.abort;
  xhr.open = function (method, url) {
    isIndex.set(this, String(method).toUpperCase() === "GET" && INDEX.test(pathOf(url)));
    return open.apply(this, arguments);
  };
  xhr.send = function () {
    if (!wanted && isIndex.get(this)) {
      held.push([this, arguments]);
      return undefined;
    }
    return send.apply(this, arguments);
  };
  xhr.abort = function () {
    var self = this;
    held = held.filter(function (h) { return h[0] !== self; });
    return abort.apply(this, arguments);
  };

  // ── the search worker: created at its first message ──
  var RealWorker = window.Worker;
  if (typeof RealWorker === "function") {
    var LazyWorker = function (url, options) {
      var real = null, listeners = [], handlers = {};
      function start() {
        if (real) return real;
        real = new RealWorker(url, options);
        listeners.forEach(function (l) { real.addEventListener.apply(real, l); });
        Object.keys(handlers).forEach(function (k) { real[k] = handlers[k]; });
        return real;
      }
      if (wanted) start();
      else starters.push(start);
      this.addEventListener = function () {
        listeners.push(arguments);
        if (real) real.addEventListener.apply(real, arguments);
      };
      this.removeEventListener = function (type, fn) {
        listeners = listeners.filter(function (l) { return l[0] !== type || l[1] !== fn; });
        if (real) real.removeEventListener.apply(real, arguments);
      };
      this.postMessage = function () {
        var w = start();
        return w.postMessage.apply(w, arguments);
      };
      this.terminate = function () {
        if (real) real.terminate();
      };
      ["onmessage", "onmessageerror", "onerror"].forEach(function (k) {
        Object.defineProperty(this, k, {
          get: function () { return handlers[k] || null; },
          set: function (fn) { handlers[k] = fn; if (real) real[k] = fn; },
        });
      }, this);
    };
    var Worker = function (url, options) {
      if (!(this instanceof Worker)) return RealWorker(url, options); // throws, as the original
      return WORKER.test(pathOf(url)) ? new LazyWorker(url, options) : new RealWorker(url, options);
    };
    Worker.prototype = RealWorker.prototype;
    LazyWorker.prototype = RealWorker.prototype;
    window.Worker = Worker;
  }

  // ── search intent ──
  function want() {
    if (wanted) return;
    wanted = true;
    document.removeEventListener("focusin", onFocus, true);
    document.removeEventListener("change", onToggle, true);
    var waiting = held;
    held = [];
    waiting.forEach(function (h) { send.apply(h[0], h[1]); });
    starters.splice(0).forEach(function (start) { start(); }); // the worker loads meanwhile
  }

  function onFocus(e) {
    if (e.target instanceof Element && e.target.closest(".md-search")) want();
  }

  function onToggle(e) {
    if (e.target && e.target.id === "__search" && e.target.checked) want();
  }

  function checkLocation(url) {
    var params = new URL(String(url), location.href).searchParams;
    if (params.has("q") || params.has("h")) want();
  }

  document.addEventListener("focusin", onFocus, true);
  document.addEventListener("change", onToggle, true);
  checkLocation(location.href);
  // after instant navigation (Material's location$, defined by the bundle that runs next)
  document.addEventListener("DOMContentLoaded", function () {
    if (!wanted && window.location$ && typeof window.location$.subscribe === "function")
      window.location$.subscribe(checkLocation);
  });
})();
