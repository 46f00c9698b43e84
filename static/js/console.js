/* pyasynq console behaviour. Progressive enhancement only: every page works without it.
 * - a pause/resume control for live (htmx polling) updates, remembered in localStorage;
 * - polling skips a refresh while the user is working in the part it would replace
 *   (rows ticked, a field focused, a <details> opened), so selections are never lost;
 * - "select all on this page" and auto-submitting <select data-autosubmit>;
 * - a notice when a refresh fails (e.g. Redis down), cleared when one succeeds.
 * No inline scripts: this file works under a CSP without 'unsafe-inline'. */
(function () {
  "use strict";
  var KEY = "pyasynq:poll-paused";

  function paused() {
    try { return window.localStorage.getItem(KEY) === "1"; } catch (e) { return false; }
  }
  function setPaused(value) {
    try { window.localStorage.setItem(KEY, value ? "1" : "0"); } catch (e) { /* private mode */ }
    renderToggle();
  }
  function renderToggle() {
    var btn = document.getElementById("poll-toggle");
    if (!btn) return;
    btn.hidden = false;
    var p = paused();
    btn.textContent = p ? btn.getAttribute("data-label-off") : btn.getAttribute("data-label-on");
    btn.setAttribute("aria-pressed", p ? "true" : "false");
  }
  function busy(elt) {
    if (elt.querySelector("input[name=ids]:checked, details[open][data-touched]")) return true;
    var active = document.activeElement;
    return !!(active && active !== document.body && elt.contains(active) &&
      /^(INPUT|SELECT|TEXTAREA)$/.test(active.tagName));
  }
  function status(text) {
    var s = document.getElementById("poll-status");
    if (s) s.textContent = text;
  }

  document.addEventListener("DOMContentLoaded", function () {
    renderToggle();
    var btn = document.getElementById("poll-toggle");
    if (btn) btn.addEventListener("click", function () { setPaused(!paused()); });
    wire(document);
  });

  function wire(root) {
    root.querySelectorAll("input[data-select-all]").forEach(function (box) {
      box.hidden = false;
      box.addEventListener("change", function () {
        var form = box.closest("form");
        if (!form) return;
        form.querySelectorAll("input[name=ids]").forEach(function (c) { c.checked = box.checked; });
      });
    });
    root.querySelectorAll("select[data-autosubmit]").forEach(function (sel) {
      sel.addEventListener("change", function () { if (sel.form) sel.form.requestSubmit(); });
    });
  }

  // <details> the user opened or closed: keep polling from undoing that.
  document.addEventListener("toggle", function (evt) {
    if (evt.target && evt.target.tagName === "DETAILS") evt.target.setAttribute("data-touched", "");
  }, true);

  document.addEventListener("htmx:beforeRequest", function (evt) {
    var elt = evt.detail && evt.detail.elt;
    if (!elt || !elt.hasAttribute("data-poll")) return;
    if (paused() || document.hidden || busy(elt)) evt.preventDefault();
  });
  // A poll sent before the user ticked a row may answer after it: drop that answer too.
  document.addEventListener("htmx:beforeSwap", function (evt) {
    var elt = evt.detail && evt.detail.elt;
    if (!elt || !elt.hasAttribute("data-poll")) return;
    if (evt.detail.requestConfig && evt.detail.requestConfig.verb !== "get") return;
    if (paused() || busy(elt)) evt.detail.shouldSwap = false;
  });
  document.addEventListener("htmx:afterSettle", function (evt) {
    status("");
    if (evt.detail && evt.detail.elt) wire(evt.detail.elt);
  });
  document.addEventListener("htmx:responseError", function (evt) {
    var code = evt.detail && evt.detail.xhr ? evt.detail.xhr.status : "";
    status(code === 503 ? "Redis unavailable; showing the last data" : "Live update failed (" + code + ")");
  });
  document.addEventListener("htmx:sendError", function () {
    status("Console unreachable; showing the last data");
  });
})();
