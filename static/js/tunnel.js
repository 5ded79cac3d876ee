// Tunnel page charts: packets and errors per second for both ends, from the history API, with a range picker.
(function () {
  "use strict";
  var section = document.getElementById("charts");
  if (!section || typeof Chart === "undefined") { return; }
  var url = section.getAttribute("data-history-url");
  var note = document.getElementById("chart-note");
  var palette = ["#1f4e9e", "#2e9e5b", "#b26a00", "#c62828"];
  var charts = {};
  window.vpnportalCharts = charts;

  function formatTime(ms, range) {
    var d = new Date(ms);
    if (range === "hour" || range === "day") { return d.toLocaleTimeString([], { hour: "2-digit", minute: "2-digit" }); }
    if (range === "year") { return d.toLocaleDateString([], { year: "2-digit", month: "short", day: "numeric" }); }
    return d.toLocaleDateString([], { month: "short", day: "numeric" }) + " " + d.toLocaleTimeString([], { hour: "2-digit" });
  }

  function makeChart(canvasId, yTitle) {
    var canvas = document.getElementById(canvasId);
    return new Chart(canvas, {
      type: "line",
      data: { datasets: [] },
      options: {
        animation: false,
        parsing: false,
        normalized: true,
        spanGaps: false,
        responsive: true,
        maintainAspectRatio: false,
        interaction: { mode: "nearest", axis: "x", intersect: false },
        elements: { point: { radius: 0, hitRadius: 6 }, line: { borderWidth: 1.5, tension: 0 } },
        scales: {
          x: { type: "linear", ticks: { maxTicksLimit: 8, callback: function (v) { return formatTime(v, section.getAttribute("data-range")); } } },
          y: { beginAtZero: true, title: { display: true, text: yTitle } }
        },
        plugins: {
          legend: { position: "bottom" },
          tooltip: { callbacks: { title: function (items) { return items.length ? new Date(items[0].parsed.x).toLocaleString() : ""; } } }
        }
      }
    });
  }

  function fetchMetric(metric, range) {
    var q = url + "?metric=" + encodeURIComponent(metric) + "&range=" + encodeURIComponent(range);
    return fetch(q, { credentials: "same-origin", headers: { Accept: "application/json" } }).then(function (r) {
      if (!r.ok) { throw new Error("HTTP " + r.status); }
      return r.json();
    });
  }

  function datasets(history, label, offset) {
    return history.series.map(function (s, i) {
      var color = palette[(offset + i * 2) % palette.length];
      return {
        label: s.device + " " + label,
        borderColor: color,
        backgroundColor: color,
        data: s.points.map(function (p) { return { x: Date.parse(p.at), y: p.rate }; })
      };
    });
  }

  function load(range) {
    section.setAttribute("data-range", range);
    section.setAttribute("data-state", "loading");
    section.querySelectorAll("[data-range]").forEach(function (b) {
      if (b.tagName === "BUTTON") { b.classList.toggle("active", b.getAttribute("data-range") === range); }
    });
    Promise.all([fetchMetric("encaps", range), fetchMetric("decaps", range), fetchMetric("errors", range)])
      .then(function (results) {
        charts.packets.data.datasets = datasets(results[0], "encaps", 0).concat(datasets(results[1], "decaps", 1));
        charts.errors.data.datasets = datasets(results[2], "errors", 3);
        // The x axis spans the range asked for, so a gap in the data shows as a gap, not a zoom.
        [charts.packets, charts.errors].forEach(function (chart) {
          chart.options.scales.x.min = Date.parse(results[0].since);
          chart.options.scales.x.max = Date.parse(results[0].until);
        });
        charts.packets.update();
        charts.errors.update();
        var n = 0;
        results.forEach(function (h) { h.series.forEach(function (s) { n += s.points.length; }); });
        if (note) { note.textContent = n ? "from " + results[0].resolution + " data, " + n + " points" : "No history in this range yet."; }
        section.setAttribute("data-state", "drawn");
      })
      .catch(function (err) {
        if (note) { note.textContent = "Could not load the history: " + err.message; }
        section.setAttribute("data-state", "error");
      });
  }

  charts.packets = makeChart("chart-packets", "packets/s");
  charts.errors = makeChart("chart-errors", "errors/s");
  section.querySelectorAll("button[data-range]").forEach(function (b) {
    b.addEventListener("click", function () { load(b.getAttribute("data-range")); });
  });
  load("day");
})();
