// The trainee page's script: waiting words in the learner's language, the name kept by the
// browser, and the address following the part shown. Words come from the SOP (window.rkWords,
// served by the app as refundkit/words.js); without them the page keeps Voila's words.
(function () {
  var KEY = "refundkit.learner";
  var params = new URLSearchParams(window.location.search);
  var lang = params.get("lang") === "en" ? "en" : "zh";
  function word(key, fallback) {
    var w = window.rkWords && window.rkWords[lang];
    return (w && w[key]) || fallback;
  }
  // While the kernel runs the page: one sentence in the learner's language, not "Executing 1 of 2".
  var loading = document.getElementById("loading_text");
  if (loading) loading.textContent = word("app_loading", loading.textContent);
  window.voila_process = function () {
    var el = document.getElementById("loading_text");
    if (el) el.textContent = word("app_loading", el.textContent);
  };
  function relabel(node) {  // ipywidgets writes "Loading widget..." into a placeholder until it draws
    if (node.nodeType === 3 && node.nodeValue === "Loading widget...") {
      node.nodeValue = word("app_loading_widget", node.nodeValue);
    }
  }
  function nameBox() {
    var input = document.querySelector(".rk-app-name input");
    if (!input || input.dataset.rkKept) return;
    input.dataset.rkKept = "1";
    var saved = null;
    try { saved = window.localStorage.getItem(KEY); } catch (e) { /* storage off: type it each time */ }
    if (saved && !input.value && !input.disabled) {
      input.value = saved;
      input.dispatchEvent(new Event("input", { bubbles: true }));
      input.dispatchEvent(new Event("change", { bubbles: true }));
    }
    input.addEventListener("change", function () {
      // Kept as the kernel spells it (it folds full-width forms and stray spaces): read it a moment later.
      setTimeout(function () {
        try { window.localStorage.setItem(KEY, input.value.trim()); } catch (e) { /* as above */ }
        address();  // this tab's learner is now the browser's: their work is the one kept
      }, 800);
    });
  }
  function ownLearner() {  // this tab shows the learner the browser last kept (or nobody has a name yet)
    var input = document.querySelector(".rk-app-name input");
    var saved = null;
    try { saved = window.localStorage.getItem(KEY); } catch (e) { /* storage off */ }
    return (input ? input.value.trim() : "") === (saved || "");
  }
  function mark() {  // for the browser: the page's language (Chinese drawn with the glyphs used in China,
    // not Japanese ones) and its tab's title, as the app's bar shows it
    var want = lang === "en" ? "en" : "zh-CN";
    if (document.documentElement.lang !== want) document.documentElement.lang = want;
    var bar = document.querySelector(".rk-app-title");
    var title = bar && bar.textContent.trim();
    if (title && document.title !== title) document.title = title;
  }
  mark();
  function address() {  // rk-at-<part>, rk-at-id-<exercise>, rk-lang-<lang> on the app say where it is,
    // rk-state-<key>-<value> what a reload takes up
    var app = document.querySelector(".rk-app");
    if (!app) return;
    var q = new URLSearchParams();
    app.classList.forEach(function (c) {
      if (c.indexOf("rk-state-") === 0) {  // rk-state-<key>-<value>: what a reload takes up (the wizard's walk)
        var kv = c.slice(9), cut = kv.indexOf("-");
        if (cut > 0) q.set(kv.slice(0, cut), kv.slice(cut + 1));
      }
      else if (c.indexOf("rk-at-id-") === 0) q.set("id", c.slice(9));
      else if (c.indexOf("rk-at-") === 0) q.set("part", c.slice(6));
      else if (c.indexOf("rk-lang-") === 0) q.set("lang", c.slice(8));
    });
    if (q.get("part") === "start") q.delete("part");
    lang = q.get("lang") === "en" ? "en" : "zh";
    var kept = window.rkKept;
    if (kept) {  // for the next page opened without them (a second tab, the entrance): refundkit/app/remember.py
      var base = window.location.pathname.split("voila/render/")[0];
      document.cookie = kept.lang + "=" + lang + "; path=" + base + "; max-age=31536000; samesite=lax";
      var work = new URLSearchParams();
      q.forEach(function (v, k) { if (kept.workKeys.indexOf(k) >= 0) work.set(k, v); });
      var text = encodeURIComponent(work.toString());
      var age = text && text.length <= kept.workMax ? kept.workDays * 86400 : 0;  // 0: nothing under way
      if (ownLearner()) {  // an older tab of another learner (a shared computer) does not hand its work on
        document.cookie = kept.work + "=" + (age ? text : "") + "; path=" + base + "; max-age=" + age + "; samesite=lax";
      }
    }
    var next = window.location.pathname + "?" + q.toString();
    if (next !== window.location.pathname + window.location.search) window.history.replaceState(null, "", next);
  }
  new MutationObserver(function (changes) {
    changes.forEach(function (ch) {
      if (ch.type === "childList") ch.addedNodes.forEach(relabel);
      else if (ch.type === "characterData") relabel(ch.target);
      else if (ch.type === "attributes" && ch.target.classList && ch.target.classList.contains("rk-app")) address();
    });
    nameBox();
    mark();
  }).observe(document.documentElement, { childList: true, subtree: true, characterData: true,
                                         attributes: true, attributeFilter: ["class"] });
})();
