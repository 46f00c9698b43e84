/* Line charts of per-minute throughput, drawn with the vendored Chart.js from carriers
 * <div hidden data-chart="CANVAS_ID" data-series='{labels, series}'>. The carriers sit inside
 * polled parts (an attribute, not a <script> block, because htmx drops scripts from swapped
 * content), so after each htmx refresh the charts are updated in place.
 * Minute labels are ISO UTC instants shown as HH:MM in the zone chosen in Settings. */
(function () {
  "use strict";
  var PALETTE = ["#2f6fdf", "#1f8a4c", "#c62f3a", "#e3b341", "#8e6fdf", "#f08c3a", "#17a2b8", "#6d9cff", "#a0522d", "#555"];
  var NAMED = { succeeded: "#1f8a4c", failed: "#c62f3a", processed: "#2f6fdf" };
  var charts = {};

  function label(iso) {
    var prefs = window.pyasynqPrefs;
    return prefs ? prefs.formatMinute(iso) : iso.slice(11, 16);
  }
  function datasets(series) {
    return Object.keys(series).map(function (name, i) {
      var color = NAMED[name] || PALETTE[i % PALETTE.length];
      return {
        label: name, data: series[name], borderColor: color, backgroundColor: color,
        fill: false, tension: 0.2, pointRadius: 0, spanGaps: false, borderWidth: 1.5
      };
    });
  }
  function draw(block) {
    var canvas = document.getElementById(block.getAttribute("data-chart"));
    if (!canvas || !window.Chart) return;
    var spec;
    try { spec = JSON.parse(block.getAttribute("data-series")); } catch (e) { return; }
    var data = { labels: (spec.labels || []).map(label), datasets: datasets(spec.series || {}) };
    var existing = charts[canvas.id];
    if (existing && existing.canvas === canvas) {
      existing.data = data;
      existing.update("none");
      return;
    }
    if (existing) existing.destroy();
    charts[canvas.id] = new window.Chart(canvas, {
      type: "line",
      data: data,
      options: {
        responsive: true, maintainAspectRatio: false, animation: false,
        interaction: { mode: "index", intersect: false },
        plugins: { legend: { position: "bottom" } },
        scales: { x: { ticks: { maxTicksLimit: 12, autoSkip: true } },
                  y: { beginAtZero: true, ticks: { precision: 0 } } }
      }
    });
  }
  function render() {
    document.querySelectorAll("[data-chart][data-series]").forEach(draw);
  }
  document.addEventListener("DOMContentLoaded", render);
  document.addEventListener("htmx:afterSettle", render);
  document.addEventListener("pyasynq:prefs", render);
})();
