// Tunnel page charts: packets and errors per second for both ends, from the history API, with a range picker.
// Each end has its colour, each direction its dash; an end with errors is drawn red; sparse data shows points.
(function () {
  "use strict";
  var section = document.getElementById("charts");
  if (!section || typeof Chart === "undefined") { return; }
  var url = section.getAttribute("data-history-url");
  var note = document.getElementById("chart-note");
  var endColors = ["#1f4e9e", "#b26a00"];   // end A blue, end B amber
  var cleanColors = ["#7f95bd", "#c9a66b"];  // the same ends, muted, on the errors chart when clean
  var errorColor = "#c62828";
  var charts = {};
  window.vpnportalCharts = charts;
  // Texts come from the JavaScript catalogue (/jsi18n/, loaded before this script); without it, English.
  var gettext = window.gettext || function (s) { return s; };
  var pgettext = window.pgettext || function (context, s) { return s; };
  var ngettext = window.ngettext || function (s, p, n) { return n === 1 ? s : p; };
  var interpolate = window.interpolate || function (fmt, obj) {
    return fmt.replace(/%\(\w+\)s/g, function (m) { return String(obj[m.slice(2, -2)]); });
  };
  var lang = document.documentElement.lang || [];
  // The history API names the store it read: raw samples, hourly or daily rollups.
  var resolutions = { raw: pgettext("history resolution", "raw"), hour: pgettext("history resolution", "hour"),
                      day: pgettext("history resolution", "day") };
  var zone = (Intl.DateTimeFormat().resolvedOptions().timeZone || gettext("local time"));
  var offsetMin = -new Date().getTimezoneOffset();
  var offset = "UTC" + (offsetMin >= 0 ? "+" : "-") + String(Math.floor(Math.abs(offsetMin) / 60)).padStart(2, "0") +
    ":" + String(Math.abs(offsetMin) % 60).padStart(2, "0");
  var axisTitle = interpolate(gettext("time (%(zone)s, %(offset)s)"), { zone: zone, offset: offset }, true);

  function formatTime(ms, range) {
    var d = new Date(ms);
    if (range === "hour" || range === "day") { return d.toLocaleTimeString(lang, { hour: "2-digit", minute: "2-digit" }); }
    if (range === "year") { return d.toLocaleDateString(lang, { year: "2-digit", month: "short", day: "numeric" }); }
    return d.toLocaleDateString(lang, { month: "short", day: "numeric" }) + " " + d.toLocaleTimeString(lang, { hour: "2-digit" });
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
        elements: { point: { radius: 0, hitRadius: 6 }, line: { borderWidth: 2, tension: 0 } },
        scales: {
          x: { type: "linear", title: { display: true, text: axisTitle },
               ticks: { maxTicksLimit: 8, callback: function (v) { return formatTime(v, section.getAttribute("data-range")); } } },
          y: { beginAtZero: true, title: { display: true, text: yTitle } }
        },
        plugins: {
          legend: { position: "bottom", labels: { boxWidth: 30, boxHeight: 6 } },
          tooltip: { callbacks: {
            title: function (items) { return items.length ? new Date(items[0].parsed.x).toLocaleString(lang) + " " + zone : ""; },
            label: function (item) { return item.dataset.label + ": " + item.parsed.y.toFixed(2) + " " + yTitle; }
          } }
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

  // Few points in range: draw each one, so two samples are two dots and a line, not an invisible sliver.
  function pointRadius(n) { return n < 3 ? 4 : (n < 40 ? 2.5 : 0); }

  function series(s) {
    return s.points.filter(function (p) { return p.rate !== null; })
      .map(function (p) { return { x: Date.parse(p.at), y: p.rate }; });
  }

  function packetSets(encaps, decaps) {
    var out = [];
    [[encaps, gettext("%(device)s sent (encaps)"), []], [decaps, gettext("%(device)s received (decaps)"), [6, 4]]].forEach(function (kind) {
      kind[0].series.forEach(function (s, i) {
        var data = series(s);
        var color = endColors[i % endColors.length];
        out.push({ label: interpolate(kind[1], { device: s.device }, true), borderColor: color, backgroundColor: kind[2].length ? "#fff" : color, borderDash: kind[2],
                   pointRadius: pointRadius(data.length), data: data });
      });
    });
    return out;
  }

  function errorSets(errors) {
    return errors.series.map(function (s, i) {
      var data = series(s);
      var total = data.reduce(function (sum, p) { return sum + p.y; }, 0);
      var color = total > 0 ? errorColor : cleanColors[i % cleanColors.length];
      var label = total > 0 ? gettext("%(device)s errors") : gettext("%(device)s errors (none)");
      return { label: interpolate(label, { device: s.device }, true), borderColor: color, backgroundColor: i % 2 ? "#fff" : color,
               borderDash: i % 2 ? [6, 4] : [], pointRadius: pointRadius(data.length), data: data, hasErrors: total > 0 };
    });
  }

  function load(range) {
    section.setAttribute("data-range", range);
    section.setAttribute("data-state", "loading");
    section.querySelectorAll("button[data-range]").forEach(function (b) {
      b.classList.toggle("active", b.getAttribute("data-range") === range);
    });
    Promise.all([fetchMetric("encaps", range), fetchMetric("decaps", range), fetchMetric("errors", range)])
      .then(function (results) {
        charts.packets.data.datasets = packetSets(results[0], results[1]);
        charts.errors.data.datasets = errorSets(results[2]);
        // The x axis spans the range asked for, so a gap in the data shows as a gap, not a zoom.
        [charts.packets, charts.errors].forEach(function (chart) {
          chart.options.scales.x.min = Date.parse(results[0].since);
          chart.options.scales.x.max = Date.parse(results[0].until);
        });
        charts.packets.update();
        charts.errors.update();
        var n = 0;
        charts.packets.data.datasets.concat(charts.errors.data.datasets).forEach(function (d) { n += d.data.length; });
        if (note) {
          note.textContent = n ? interpolate(ngettext("from %(resolution)s data, %(n)s point; times in %(zone)s (%(offset)s)",
                                                      "from %(resolution)s data, %(n)s points; times in %(zone)s (%(offset)s)", n),
                                             { resolution: resolutions[results[0].resolution] || results[0].resolution, n: n, zone: zone, offset: offset }, true)
            : gettext("No history in this range yet.");
        }
        section.setAttribute("data-state", "drawn");
      })
      .catch(function (err) {
        if (note) { note.textContent = interpolate(gettext("Could not load the history: %(error)s"), { error: err.message }, true); }
        section.setAttribute("data-state", "error");
      });
  }

  charts.packets = makeChart("chart-packets", gettext("packets/s"));
  charts.errors = makeChart("chart-errors", gettext("errors/s"));
  section.querySelectorAll("button[data-range]").forEach(function (b) {
    b.addEventListener("click", function () { load(b.getAttribute("data-range")); });
  });
  load(section.getAttribute("data-default-range") || "day");
})();
