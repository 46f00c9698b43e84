/* Charts of the Prometheus metrics page, drawn with the vendored Chart.js from carriers
 * <div hidden data-prom-chart="CANVAS_ID" data-unit="/s" data-series='{labels, series}'>
 * rendered by the console (which asked Prometheus itself). They sit in the polled part of the
 * page, so each htmx refresh updates the charts in place. Values may be fractions (rates). */
(function () {
  "use strict";
  var PALETTE = ["#2f6fdf", "#1f8a4c", "#c62f3a", "#e3b341", "#8e6fdf", "#f08c3a", "#17a2b8", "#6d9cff", "#a0522d", "#555"];
  var charts = {};

  function label(iso) {
    var prefs = window.pyasynqPrefs;
    return prefs && prefs.formatMinute ? prefs.formatMinute(iso) : iso.slice(5, 16).replace("T", " ");
  }
  function tick(unit) {
    return function (value) {
      if (unit === "bytes") {
        var units = ["B", "kB", "MB", "GB", "TB"], i = 0, v = value;
        while (Math.abs(v) >= 1000 && i < units.length - 1) { v /= 1000; i++; }
        return (Math.round(v * 10) / 10) + " " + units[i];
      }
      var text = Math.abs(value) < 10 ? String(Math.round(value * 1000) / 1000) : String(Math.round(value));
      return unit === "tasks" ? text : text + " " + unit;
    };
  }
  function draw(block) {
    var canvas = document.getElementById(block.getAttribute("data-prom-chart"));
    if (!canvas || !window.Chart) return;
    var spec;
    try { spec = JSON.parse(block.getAttribute("data-series")); } catch (e) { return; }
    var names = Object.keys(spec.series || {});
    var data = {
      labels: (spec.labels || []).map(label),
      datasets: names.map(function (name, i) {
        var color = PALETTE[i % PALETTE.length];
        var known = spec.series[name].filter(function (v) { return v !== null; }).length;
        return { label: name, data: spec.series[name], borderColor: color, backgroundColor: color,
                 fill: false, tension: 0.2, pointRadius: known < 20 ? 2 : 0, spanGaps: false,
                 borderWidth: 1.5 };
      })
    };
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
                  y: { beginAtZero: true, ticks: { callback: tick(block.getAttribute("data-unit")) } } }
      }
    });
  }
  function render() {
    document.querySelectorAll("[data-prom-chart][data-series]").forEach(draw);
  }
  document.addEventListener("DOMContentLoaded", render);
  document.addEventListener("htmx:afterSettle", render);
  document.addEventListener("pyasynq:prefs", render);
})();
