/* Applies the theme chosen in Settings before the page paints (loaded in <head>, not deferred,
 * so there is no light flash on a dark choice). "system" (or nothing stored) leaves the choice
 * to prefers-color-scheme. A separate file, not an inline script, so a strict CSP still works. */
(function () {
  "use strict";
  try {
    var theme = window.localStorage.getItem("pyasynq:theme");
    if (theme === "light" || theme === "dark") document.documentElement.setAttribute("data-theme", theme);
  } catch (e) { /* storage blocked: follow the system */ }
})();
