/* servingmath: whole Chinese terms in site search.
 *
 * hooks/search_index.py appends this file to Material's lunr.zh.min.js, which the search
 * worker loads (importScripts) right before it builds the index. It runs in the worker.
 *
 * Material cuts a Chinese query with a greedy scan of the index's terms that never looks at
 * the query's last character (so 临界批次 became 临界 + 批, and 预填充 became 预 + 填充) and
 * highlights the pieces. Here the query is cut before Material sees it, into whole terms
 * of the index (the site's jieba dictionary makes 临界批次, 预填充, 连续批处理 single terms):
 *
 * 1. Chinese next to Latin letters or digits is split there (KV缓存 is KV 缓存); a run of
 *    Chinese characters that is a term, or the beginning of one (the reader is
 *    still typing), stays whole; any other run is cut into the fewest index terms, a
 *    character that starts no term standing alone;
 * 2. Material's own scan is switched off for Chinese (it asks `term in invertedIndex`;
 *    the index answers no for Chinese terms), so it keeps the pieces from step 1;
 * 3. every result carries the query's matched terms, so no result links to `?h=` (empty).
 */
(function () {
  "use strict"

  var HAN = /\p{sc=Han}/u
  var HAN_RUN = /\p{sc=Han}+/gu
  var HAN_LATIN = /(\p{sc=Han})(?=[\p{L}\p{N}])(?!\p{sc=Han})|([\p{L}\p{N}])(?<!\p{sc=Han})(?=\p{sc=Han})/gu
  var QUERY = 2   // Material's SearchMessageType.QUERY
  var RESULT = 3  // Material's SearchMessageType.RESULT

  var terms = null  // the index's terms (lunr's inverted index)
  var sorted = []   // the same, sorted, for prefix lookups
  var longest = 1

  var build = lunr.Builder.prototype.build
  lunr.Builder.prototype.build = function () {
    var index = build.apply(this, arguments)
    terms = index.invertedIndex
    sorted = Object.keys(terms).sort()
    longest = sorted.reduce(function (n, t) { return Math.max(n, t.length) }, 1)
    index.invertedIndex = new Proxy(terms, {
      has: function (target, key) {
        return typeof key === "string" && HAN.test(key) ? false : key in target
      }
    })
    return index
  }

  function isTerm(s) {
    return Object.prototype.hasOwnProperty.call(terms, s)
  }

  function startsTerm(s) {
    var lo = 0, hi = sorted.length
    while (lo < hi) {
      var mid = (lo + hi) >> 1
      if (sorted[mid] < s) lo = mid + 1
      else hi = mid
    }
    return lo < sorted.length && sorted[lo].lastIndexOf(s, 0) === 0
  }

  /* The fewest pieces that are index terms; a character that is not stands alone (cost 3);
   * the last piece may be the beginning of a term. */
  function cut(run) {
    if (terms === null || startsTerm(run)) return run
    var n = run.length
    var cost = [0], from = [0]
    for (var i = 1; i <= n; i++) {
      cost[i] = Infinity
      for (var j = Math.max(0, i - longest); j < i; j++) {
        var piece = run.slice(j, i)
        var c = isTerm(piece) || (i === n && startsTerm(piece)) ? 1 : i - j === 1 ? 3 : Infinity
        if (cost[j] + c < cost[i]) {
          cost[i] = cost[j] + c
          from[i] = j
        }
      }
    }
    var pieces = []
    for (var k = n; k > 0; k = from[k]) pieces.unshift(run.slice(from[k], k))
    return pieces.join(" ")
  }

  /* Material's listener reads the query from the message event; cut it on the way. (A
   * listener of our own would run after Material's, which was added first.) */
  var cutMessages = new WeakSet()
  var eventData = typeof MessageEvent !== "undefined"
    && Object.getOwnPropertyDescriptor(MessageEvent.prototype, "data")
  if (eventData && eventData.configurable) Object.defineProperty(MessageEvent.prototype, "data", {
    configurable: true,
    enumerable: eventData.enumerable,
    get: function () {
      var message = eventData.get.call(this)
      if (message && message.type === QUERY && typeof message.data === "string" && !cutMessages.has(message)) {
        cutMessages.add(message)
        // "KV缓存" is two terms of the index, as "KV 缓存" is
        message.data = message.data.replace(HAN_LATIN, "$1$2 ").replace(HAN_RUN, cut)
      }
      return message
    }
  })

  /* A page with no matching text of its own is still listed (as the parent of its matching
   * sections) with no terms; give it its sections' terms, so its link highlights them. */
  function fillTerms(groups) {
    groups.forEach(function (items) {
      var matched = {}
      items.forEach(function (item) {
        Object.keys(item.terms || {}).forEach(function (t) {
          if (item.terms[t]) matched[t] = true
        })
      })
      if (!Object.keys(matched).length) return
      items.forEach(function (item) {
        var own = item.terms || {}
        if (!Object.keys(own).some(function (t) { return own[t] })) item.terms = matched
      })
    })
  }

  var post = self.postMessage
  self.postMessage = function (message) {
    if (message && message.type === RESULT && message.data && Array.isArray(message.data.items))
      fillTerms(message.data.items)
    return post.apply(self, arguments)
  }
})();
