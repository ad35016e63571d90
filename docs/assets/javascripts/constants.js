// The constant-set switch: 原书常数 (the chapter's own constants, the default) ⇄ 厂商规格 (vendor
// figures). Every number that differs between the two sets is in the page twice, computed at
// build time; this only chooses which copy shows (CSS in constants.css), remembers the choice
// across pages (localStorage) and tells other scripts (event "sm:constants").
(function () {
  "use strict";
  const KEY = "servingmath.constants";
  const LABELS = { book: "原书常数", spec: "厂商规格" };

  function stored() {
    try {
      return localStorage.getItem(KEY) === "spec" ? "spec" : "book";
    } catch (e) {
      return "book";
    }
  }

  function render(button, k) {
    const other = k === "book" ? "spec" : "book";
    button.setAttribute("aria-pressed", String(k === "spec"));
    button.setAttribute("aria-label", `数值所用常数：${LABELS[k]}。按下切换到${LABELS[other]}`);
    button.title = `本页数值按${LABELS[k]}计算，点击切换到${LABELS[other]}`;
    button.querySelector(".sm-constants-switch__current").textContent = LABELS[k];
    button.querySelector(".sm-constants-switch__other").textContent = `⇄ ${LABELS[other]}`;
  }

  function apply(k, notify) {
    document.documentElement.dataset.smConstants = k;
    document.querySelectorAll(".sm-constants-switch").forEach((b) => render(b, k));
    if (notify) {
      document.dispatchEvent(new CustomEvent("sm:constants", { detail: { constants: k } }));
    }
  }

  function choose(k) {
    try {
      localStorage.setItem(KEY, k);
    } catch (e) {
      /* private mode: the choice lasts for this page */
    }
    apply(k, true);
  }

  function ensureSwitch() {
    const header = document.querySelector(".md-header__inner");
    if (!header || header.querySelector(".sm-constants-switch")) return;
    const button = document.createElement("button");
    button.type = "button";
    button.className = "sm-constants-switch";
    button.innerHTML =
      '<span class="sm-constants-switch__current"></span><span class="sm-constants-switch__other"></span>';
    button.addEventListener("click", () => {
      choose(document.documentElement.dataset.smConstants === "spec" ? "book" : "spec");
    });
    const anchor = header.querySelector(".md-header__option") || header.querySelector(".md-search");
    header.insertBefore(button, anchor);
  }

  function init() {
    ensureSwitch();
    apply(stored(), false);
  }

  if (typeof document$ !== "undefined") {
    document$.subscribe(init); // every page, instant navigation included
  } else {
    init();
  }
  window.addEventListener("storage", (e) => {
    if (e.key === KEY) apply(stored(), true); // another tab switched
  });
})();
