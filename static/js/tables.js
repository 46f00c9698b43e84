/* Reading aids, progressive enhancement only (every page works without them):
 * - sortable tables: click a column header of any .table to sort its rows (numbers, sizes,
 *   percentages and times sort by value); the choice is remembered for this tab
 *   (sessionStorage) and re-applied after every live refresh. Paged tables sort the rows shown.
 * - copy to clipboard: a small "Copy" button beside task IDs (tables and the task page) and
 *   every payload/result/error block (pre.data).
 * No inline scripts: this file works under the console's CSP. */
(function () {
  "use strict";
  var SORT_KEY = "pyasynq:sort:";
  var UNITS = { b: 1, kib: 1024, mib: 1048576, gib: 1073741824, tib: 1099511627776 };

  // -- sorting ---------------------------------------------------------------------------
  function cellValue(cell) {
    if (!cell) return "";
    if (cell.hasAttribute("data-sort")) return cell.getAttribute("data-sort");
    var t = cell.querySelector("time[datetime]");
    if (t) return Date.parse(t.getAttribute("datetime")) || 0;
    var text = cell.textContent.trim();
    var m = /^(-?[\d.,]+)\s*(%|b|kib|mib|gib|tib)?$/i.exec(text);
    if (m) {
      var n = parseFloat(m[1].replace(/,/g, ""));
      if (!isNaN(n)) return n * (m[2] && m[2] !== "%" ? UNITS[m[2].toLowerCase()] : 1);
    }
    return text.toLowerCase();
  }
  function compare(a, b) {
    if (typeof a === "number" && typeof b === "number") return a - b;
    if (typeof a === "number") return -1;
    if (typeof b === "number") return 1;
    return String(a).localeCompare(String(b));
  }
  function tableKey(table) {
    return SORT_KEY + window.location.pathname + "#" + (table.id || "table");
  }
  function sortBy(table, index, dir) {
    var body = table.tBodies[0];
    if (!body) return;
    var rows = Array.prototype.slice.call(body.rows);
    rows.sort(function (r1, r2) {
      return dir * compare(cellValue(r1.cells[index]), cellValue(r2.cells[index]));
    });
    rows.forEach(function (r) { body.appendChild(r); });
    var heads = table.tHead ? table.tHead.rows[0].cells : [];
    Array.prototype.forEach.call(heads, function (th, i) {
      if (i === index) th.setAttribute("aria-sort", dir > 0 ? "ascending" : "descending");
      else if (th.hasAttribute("aria-sort")) th.removeAttribute("aria-sort");
    });
  }
  function wireSorting(root) {
    root.querySelectorAll("table.table").forEach(function (table) {
      if (!table.tHead || !table.tBodies[0] || table.tBodies[0].rows.length < 2) return;
      var heads = table.tHead.rows[0].cells;
      Array.prototype.forEach.call(heads, function (th, index) {
        if (th.classList.contains("check") || th.hasAttribute("data-sortable")) return;
        if (/^actions$/i.test(th.textContent.trim())) return;
        th.setAttribute("data-sortable", "");
        th.tabIndex = 0;
        th.title = "Sort by " + th.textContent.trim();
        function toggle() {
          var dir = th.getAttribute("aria-sort") === "ascending" ? -1 : 1;
          sortBy(table, index, dir);
          try { window.sessionStorage.setItem(tableKey(table), index + ":" + dir); } catch (e) { /* private mode */ }
        }
        th.addEventListener("click", toggle);
        th.addEventListener("keydown", function (evt) {
          if (evt.key === "Enter" || evt.key === " ") { evt.preventDefault(); toggle(); }
        });
      });
      var saved = "";
      try { saved = window.sessionStorage.getItem(tableKey(table)) || ""; } catch (e) { /* none */ }
      var parts = saved.split(":");
      if (parts.length === 2 && heads[+parts[0]]) sortBy(table, +parts[0], +parts[1] < 0 ? -1 : 1);
    });
  }

  // -- copy to clipboard -------------------------------------------------------------------
  function copyText(text, button) {
    function done(ok) {
      button.textContent = ok ? "Copied" : "Press Ctrl+C";
      window.setTimeout(function () { button.textContent = "Copy"; }, 1500);
    }
    if (navigator.clipboard && window.isSecureContext) {
      navigator.clipboard.writeText(text).then(function () { done(true); }, function () { done(false); });
      return;
    }
    // plain http on another host: the clipboard API is off, fall back to a selection
    var area = document.createElement("textarea");
    area.value = text;
    area.setAttribute("readonly", "");
    area.className = "sr-only";
    document.body.appendChild(area);
    area.select();
    var ok = false;
    try { ok = document.execCommand("copy"); } catch (e) { ok = false; }
    document.body.removeChild(area);
    done(ok);
  }
  function addCopy(target, getText, label) {
    if (!target || target.hasAttribute("data-copyable")) return;
    target.setAttribute("data-copyable", "");
    var button = document.createElement("button");
    button.type = "button";
    button.className = "btn btn-small copy-btn";
    button.textContent = "Copy";
    button.setAttribute("aria-label", label);
    button.addEventListener("click", function (evt) {
      evt.preventDefault();
      copyText(getText(), button);
    });
    target.insertAdjacentElement("afterend", button);
  }
  function wireCopy(root) {
    root.querySelectorAll("td.id a[title]").forEach(function (a) {
      addCopy(a, function () { return a.getAttribute("title"); }, "Copy task ID " + a.getAttribute("title"));
    });
    root.querySelectorAll("dl.fields dt").forEach(function (dt) {
      if (dt.textContent.trim() !== "ID") return;
      var code = dt.nextElementSibling && dt.nextElementSibling.querySelector("code");
      if (code) addCopy(code, function () { return code.textContent; }, "Copy task ID");
    });
    root.querySelectorAll("pre.data").forEach(function (pre) {
      addCopy(pre, function () { return pre.textContent; }, "Copy this data");
    });
  }

  function wire(root) {
    wireSorting(root);
    wireCopy(root);
  }
  document.addEventListener("DOMContentLoaded", function () { wire(document); });
  document.addEventListener("htmx:afterSettle", function (evt) {
    wire(document);
  });
})();
