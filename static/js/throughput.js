/* Line charts of per-minute throughput, drawn with the vendored Chart.js from carriers
 * <div hidden data-chart="CANVAS_ID" data-series='{labels, series}'>. The carriers sit inside
 * polled parts (an attribute, not a <script> block, because htmx drops scripts from swapped
 * content), so after each htmx refresh the charts are updated in place.
 * Minute labels are ISO UTC instants shown as HH:MM in the zone chosen in Settings.
 *
 * Sparse data reads at a glance:
 * - the x axis spans the data: leading minutes with no sample are dropped (at least MIN_SPAN
 *   minutes stay), so a fresh deployment's few points do not hug the right edge;
 * - points are drawn when there are few of them, and always when a point has no neighbour
 *   (a single sampled minute is a dot, not nothing);
 * - monotone interpolation: a smoothed line never overshoots below zero or above a peak;
 * - while fewer than NOTE_UNTIL minutes are sampled, a note under the chart says since when
 *   data is being collected. */
(function () {
  "use strict";
  var PALETTE = ["#2f6fdf", "#1f8a4c", "#c62f3a", "#e3b341", "#8e6fdf", "#f08c3a", "#17a2b8", "#6d9cff", "#a0522d", "#555"];
  var NAMED = { succeeded: "#1f8a4c", failed: "#c62f3a", processed: "#2f6fdf" };
  var MIN_SPAN = 10;
  var NOTE_UNTIL = 10;
  var FEW_POINTS = 40;
  var charts = {};

  function label(iso) {
    var prefs = window.pyasynqPrefs;
    return prefs ? prefs.formatMinute(iso) : iso.slice(11, 16);
  }
  function present(v) { return v !== null && v !== undefined; }

  /* {labels, series, sampled, firstLabel}: the span worth drawing and how much of it has data. */
  function trim(spec) {
    var labels = spec.labels || [];
    var series = spec.series || {};
    var names = Object.keys(series);
    var first = -1;
    var sampled = 0;
    for (var i = 0; i < labels.length; i++) {
      var any = names.some(function (n) { return present((series[n] || [])[i]); });
      if (any) { sampled++; if (first < 0) first = i; }
    }
    var start = first < 0 ? Math.max(0, labels.length - MIN_SPAN)
      : Math.max(0, Math.min(first, labels.length - MIN_SPAN));
    var out = {};
    names.forEach(function (n) { out[n] = (series[n] || []).slice(start); });
    return { labels: labels.slice(start), series: out, sampled: sampled, firstLabel: first < 0 ? null : labels[first] };
  }
  function isolated(values, i) {
    return present(values[i]) && !present(values[i - 1]) && !present(values[i + 1]);
  }
  function datasets(series, sampled) {
    return Object.keys(series).map(function (name, i) {
      var color = NAMED[name] || PALETTE[i % PALETTE.length];
      var values = series[name];
      return {
        label: name, data: values, borderColor: color, backgroundColor: color,
        fill: false, cubicInterpolationMode: "monotone", spanGaps: false, borderWidth: 1.5,
        pointRadius: function (ctx) {
          if (sampled <= FEW_POINTS) return 2.5;
          return isolated(values, ctx.dataIndex) ? 2.5 : 0;
        },
        pointHoverRadius: 4
      };
    });
  }
  function note(canvas, trimmed) {
    var box = canvas.closest(".chart-box") || canvas.parentNode;
    var el = box.nextElementSibling;
    if (!el || !el.classList.contains("collecting-note")) {
      el = document.createElement("p");
      el.className = "small muted collecting-note";
      el.setAttribute("data-collecting", canvas.id);
      box.insertAdjacentElement("afterend", el);
    }
    if (trimmed.sampled >= NOTE_UNTIL) { el.hidden = true; return; }
    el.hidden = false;
    el.textContent = trimmed.firstLabel
      ? "Collecting since " + label(trimmed.firstLabel) + ": " + trimmed.sampled + " minute" +
        (trimmed.sampled === 1 ? "" : "s") + " sampled so far; the chart fills in minute by minute."
      : "Collecting: the first per-minute figure appears once two samples a minute apart exist.";
  }
  function draw(block) {
    var canvas = document.getElementById(block.getAttribute("data-chart"));
    if (!canvas || !window.Chart) return;
    var spec;
    try { spec = JSON.parse(block.getAttribute("data-series")); } catch (e) { return; }
    var trimmed = trim(spec);
    note(canvas, trimmed);
    var data = { labels: trimmed.labels.map(label), datasets: datasets(trimmed.series, trimmed.sampled) };
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
                  y: { beginAtZero: true, suggestedMax: 5, ticks: { precision: 0 } } }
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
