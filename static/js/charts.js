/* Dashboard charts drawn with the vendored Chart.js from the JSON in #chart-data's
 * data-charts attribute.
 * The data block is inside the polled part of the page, so after each htmx refresh the
 * existing charts are updated in place (no flicker, no inline script). */
(function () {
  "use strict";
  var COLORS = {
    active: "#2f6fdf", pending: "#6d9cff", aggregating: "#8e6fdf", scheduled: "#e3b341",
    retry: "#f08c3a", archived: "#c62f3a", completed: "#1f8a4c",
    succeeded: "#1f8a4c", failed: "#c62f3a"
  };
  var charts = {};

  function readData() {
    var el = document.getElementById("chart-data");
    if (!el) return null;
    try { return JSON.parse(el.getAttribute("data-charts")); } catch (e) { return null; }
  }
  function datasets(series, kind) {
    return Object.keys(series).map(function (name) {
      return {
        label: name.charAt(0).toUpperCase() + name.slice(1),
        data: series[name],
        backgroundColor: COLORS[name] || "#888",
        borderColor: COLORS[name] || "#888",
        fill: false,
        // monotone: a smoothed line never overshoots (no dip below zero between two days)
        cubicInterpolationMode: "monotone",
        // few days (a fresh deployment): every point visible, a single day is a dot
        pointRadius: kind === "line" ? (series[name].length <= 31 ? 3 : 1.5) : 0
      };
    });
  }
  function draw(id, kind, stacked, spec) {
    var canvas = document.getElementById(id);
    if (!canvas || !window.Chart) return;
    var data = { labels: spec.labels, datasets: datasets(spec.series, kind) };
    var existing = charts[id];
    if (existing && existing.config.type === kind && existing.canvas === canvas) {
      existing.data = data;
      existing.update("none");
      return;
    }
    if (existing) existing.destroy();
    charts[id] = new window.Chart(canvas, {
      type: kind,
      data: data,
      options: {
        responsive: true, maintainAspectRatio: false, animation: false,
        plugins: { legend: { position: "bottom" } },
        scales: {
          x: { stacked: stacked },
          y: { stacked: stacked, beginAtZero: true, suggestedMax: 5, ticks: { precision: 0 } }
        }
      }
    });
  }
  function render() {
    var data = readData();
    if (!data) return;
    draw("chart-sizes", "bar", true, data.sizes);
    draw("chart-processed", data.processed.kind, data.processed.kind === "bar", data.processed);
  }
  document.addEventListener("DOMContentLoaded", render);
  document.addEventListener("htmx:afterSettle", render);
})();
