/* Personal settings kept in localStorage and applied on every page:
 * - theme (light / dark / system): data-theme on <html> (theme.js sets it early);
 * - display time zone (UTC / the browser's): every <time datetime> gets its title, and every
 *   <time data-abs> its text, rewritten in the chosen zone; the server always renders UTC;
 * - live refresh interval: the "every Nms" of polled parts (data-poll) is rewritten before
 *   htmx reads it, on the first load and on every swapped-in fragment.
 * Loaded deferred after htmx, so it runs before htmx processes the page on DOMContentLoaded. */
(function () {
  "use strict";
  var K = { theme: "pyasynq:theme", tz: "pyasynq:tz", poll: "pyasynq:poll" };

  function get(key) {
    try { return window.localStorage.getItem(key) || ""; } catch (e) { return ""; }
  }
  function set(key, value) {
    try {
      if (value) window.localStorage.setItem(key, value); else window.localStorage.removeItem(key);
    } catch (e) { /* private mode: the choice lasts for this page only */ }
  }

  // -- theme -------------------------------------------------------------------------------
  function applyTheme() {
    var t = get(K.theme);
    if (t === "light" || t === "dark") document.documentElement.setAttribute("data-theme", t);
    else document.documentElement.removeAttribute("data-theme");
  }

  // -- time zone ---------------------------------------------------------------------------
  function tz() { return get(K.tz) === "local" ? "local" : "utc"; }
  function pad(n) { return (n < 10 ? "0" : "") + n; }
  function zoneName(d) {
    try {
      var parts = new Intl.DateTimeFormat(undefined, { timeZoneName: "short" }).formatToParts(d);
      for (var i = 0; i < parts.length; i++) if (parts[i].type === "timeZoneName") return parts[i].value;
    } catch (e) { /* old browser */ }
    var off = -d.getTimezoneOffset();
    return "UTC" + (off >= 0 ? "+" : "-") + pad(Math.floor(Math.abs(off) / 60)) + ":" + pad(Math.abs(off) % 60);
  }
  function format(d) {
    if (tz() === "local") {
      return d.getFullYear() + "-" + pad(d.getMonth() + 1) + "-" + pad(d.getDate()) + " " +
        pad(d.getHours()) + ":" + pad(d.getMinutes()) + ":" + pad(d.getSeconds()) + " " + zoneName(d);
    }
    return d.getUTCFullYear() + "-" + pad(d.getUTCMonth() + 1) + "-" + pad(d.getUTCDate()) + " " +
      pad(d.getUTCHours()) + ":" + pad(d.getUTCMinutes()) + ":" + pad(d.getUTCSeconds()) + " UTC";
  }
  function formatMinute(iso) {
    var d = new Date(iso);
    if (isNaN(d.getTime())) return iso;
    return tz() === "local" ? pad(d.getHours()) + ":" + pad(d.getMinutes())
      : pad(d.getUTCHours()) + ":" + pad(d.getUTCMinutes());
  }
  function applyTimes(root) {
    (root || document).querySelectorAll("time[datetime]").forEach(function (el) {
      var d = new Date(el.getAttribute("datetime"));
      if (isNaN(d.getTime())) return;
      if (el.hasAttribute("data-abs")) el.textContent = format(d);
      else el.setAttribute("title", format(d));
    });
    document.querySelectorAll("[data-tz-label]").forEach(function (el) {
      el.textContent = tz() === "local" ? zoneName(new Date()) : "UTC";
    });
  }

  // -- poll interval -----------------------------------------------------------------------
  function pollMs() {
    var s = parseFloat(get(K.poll));
    return s >= 1 && s <= 3600 ? Math.round(s * 1000) : 0;
  }
  function applyPoll(elt) {
    var ms = pollMs();
    if (!ms || !elt || !elt.getAttribute) return;
    var trig = elt.getAttribute("hx-trigger");
    if (trig && /every \d+m?s/.test(trig)) elt.setAttribute("hx-trigger", trig.replace(/every \d+m?s/, "every " + ms + "ms"));
  }
  function applyPollAll(root) {
    (root || document).querySelectorAll("[hx-trigger*='every ']").forEach(applyPoll);
    var btn = document.getElementById("poll-toggle");
    var ms = pollMs();
    if (btn && ms && btn.getAttribute("data-label-on")) {
      btn.setAttribute("data-label-on", btn.getAttribute("data-label-on").replace(/every [\d.]+s/, "every " + ms / 1000 + "s"));
    }
  }

  // Run now: the DOM is parsed (deferred script) and htmx has not processed it yet.
  applyTheme();
  applyPollAll(document);
  applyTimes(document);

  document.addEventListener("htmx:beforeProcessNode", function (evt) {
    var elt = evt.detail && evt.detail.elt;
    if (elt && elt.querySelectorAll) { applyPoll(elt); applyPollAll(elt); }
  });
  document.addEventListener("htmx:afterSettle", function (evt) {
    applyTimes(evt.detail && evt.detail.elt ? evt.detail.elt : document);
  });
  // Another tab changed a setting: follow it.
  window.addEventListener("storage", function (evt) {
    if (evt.key === K.theme) applyTheme();
    if (evt.key === K.tz) { applyTimes(document); notify(); }
  });

  function notify() {
    try { document.dispatchEvent(new CustomEvent("pyasynq:prefs")); } catch (e) { /* old browser */ }
  }

  // -- the settings form -------------------------------------------------------------------
  function wireForm() {
    var form = document.querySelector("form[data-settings]");
    if (!form) return;
    var saved = document.getElementById("settings-saved");
    form.addEventListener("submit", function (evt) { evt.preventDefault(); });
    form.querySelectorAll("[data-pref]").forEach(function (sel) {
      var key = K[sel.getAttribute("data-pref")];
      var current = get(key);
      sel.value = current || (sel.getAttribute("data-pref") === "theme" ? "system" : sel.getAttribute("data-pref") === "tz" ? "utc" : "");
      sel.addEventListener("change", function () {
        var value = sel.value;
        set(key, value === "system" || (sel.getAttribute("data-pref") === "tz" && value === "utc") ? "" : value);
        applyTheme();
        applyTimes(document);
        notify();
        if (saved) saved.textContent = sel.getAttribute("data-pref") === "poll"
          ? "Saved. The new refresh interval applies from the next page you open."
          : "Saved.";
      });
    });
  }
  if (document.readyState === "loading") document.addEventListener("DOMContentLoaded", wireForm);
  else wireForm();

  window.pyasynqPrefs = { tz: tz, format: format, formatMinute: formatMinute };
})();
