// Certificate and CRL timeline: one horizontal bar per certificate (NotBefore..NotAfter) and CRL
// (LastUpdate..NextUpdate) on one time axis, coloured by time left, with now and the warning thresholds.
(function () {
  "use strict";
  var box = document.getElementById("timeline");
  var source = document.getElementById("timeline-data");
  if (!box || !source || typeof Chart === "undefined") { return; }
  var data = JSON.parse(source.textContent);
  var rows = data.rows;
  var DAY = 86400000;
  var now = Date.parse(data.now);
  var note = document.getElementById("timeline-note");
  // Texts come from the JavaScript catalogue (/jsi18n/, loaded before this script); without it, English.
  var gettext = window.gettext || function (s) { return s; };
  var ngettext = window.ngettext || function (s, p, n) { return n === 1 ? s : p; };
  var interpolate = window.interpolate || function (fmt, obj) {
    return fmt.replace(/%\(\w+\)s/g, function (m) { return String(obj[m.slice(2, -2)]); });
  };
  var lang = document.documentElement.lang || [];
  var zone = Intl.DateTimeFormat().resolvedOptions().timeZone || gettext("local time");

  function colour(row) {
    var left = Date.parse(row.end) - now;
    var c = left < 0 ? "#6d1010" : left < 7 * DAY ? "#c62828" : left < 30 * DAY ? "#b26a00" : "#1e7d32";
    return row.kind === "crl" ? c + "99" : c;  // CRLs lighter
  }

  // Vertical markers: now, each certificate warning threshold and the CRL one, each with its label.
  var markers = [{ at: now, label: gettext("now"), now: true, colour: "#1d2330", dash: [] }];
  data.cert_warn_days.forEach(function (d) {
    markers.push({ at: now + d * DAY, label: interpolate(ngettext("%(n)s d", "%(n)s d", d), { n: d }, true), colour: "#b26a00", dash: [6, 4] });
  });
  markers.push({ at: now + data.crl_warn_hours * 3600000,
                 label: interpolate(ngettext("CRL %(n)s h", "CRL %(n)s h", data.crl_warn_hours), { n: data.crl_warn_hours }, true),
                 colour: "#6b7385", dash: [2, 4] });
  var markerPlugin = {
    id: "vpnportalMarkers",
    afterDatasetsDraw: function (chart) {
      var x = chart.scales.x, area = chart.chartArea, ctx = chart.ctx, lastLabel = -1e9;
      ctx.save();
      markers.forEach(function (m) {
        if (m.at < x.min || m.at > x.max) { return; }
        var px = x.getPixelForValue(m.at);
        ctx.strokeStyle = m.colour; ctx.lineWidth = m.now ? 2 : 1; ctx.setLineDash(m.dash);
        ctx.beginPath(); ctx.moveTo(px, area.top); ctx.lineTo(px, area.bottom); ctx.stroke();
        if (px - lastLabel > 40) {  // thresholds a few pixels apart share one label slot
          ctx.setLineDash([]); ctx.fillStyle = m.colour; ctx.font = "11px system-ui, sans-serif";
          ctx.fillText(m.label, px + 3, area.top + 11);
          lastLabel = px;
        }
      });
      ctx.restore();
    }
  };

  var starts = rows.map(function (r) { return Date.parse(r.start); });
  var ends = rows.map(function (r) { return Date.parse(r.end); });
  var lastWarn = now + Math.max.apply(null, data.cert_warn_days.concat([1])) * DAY;
  var windows = {
    all: [Math.min.apply(null, starts.concat([now - 30 * DAY])), Math.max.apply(null, ends.concat([lastWarn + 5 * DAY]))],
    year: [now - 365 * DAY, now + 365 * DAY],
    quarter: [now - 7 * DAY, now + 90 * DAY]
  };
  for (var w in windows) {  // a little margin either side
    var span = windows[w][1] - windows[w][0];
    windows[w] = [windows[w][0] - span * 0.01, windows[w][1] + span * 0.01];
  }

  function formatDate(ms) {
    var d = new Date(ms), span = chart ? chart.scales.x.max - chart.scales.x.min : 0;
    if (span > 3 * 365 * DAY) { return String(d.getFullYear()); }
    return d.toLocaleDateString(lang, { year: "2-digit", month: "short", day: "numeric" });
  }

  // A bar wholly outside the window is drawn as a stub at that edge (its tooltip tells the real dates), so
  // every certificate and CRL stays on the chart whichever window is shown.
  function barsFor(win) {
    var stub = (win[1] - win[0]) * 0.004;
    return rows.map(function (r, i) {
      var s = Math.max(starts[i], win[0]), e = Math.min(ends[i], win[1]);
      if (ends[i] < win[0]) { s = win[0]; e = win[0] + stub; }
      if (starts[i] > win[1]) { s = win[1] - stub; e = win[1]; }
      return [s, Math.max(e, s + stub)];
    });
  }

  var wrap = document.getElementById("timeline-wrap");
  wrap.style.height = Math.max(160, rows.length * 22 + 90) + "px";
  var chart = null;
  chart = new Chart(document.getElementById("chart-timeline"), {
    type: "bar",
    plugins: [markerPlugin],
    data: {
      labels: rows.map(function (r) { return r.label; }),
      datasets: [{
        label: gettext("valid"),
        data: barsFor(windows.all),
        backgroundColor: rows.map(colour),
        borderSkipped: false,
        borderRadius: 3,
        barPercentage: 0.8,
        categoryPercentage: 0.9,
        minBarLength: 4
      }]
    },
    options: {
      indexAxis: "y",
      animation: false,
      responsive: true,
      maintainAspectRatio: false,
      scales: {
        x: { type: "linear", min: windows.all[0], max: windows.all[1], position: "top",
             title: { display: true, text: interpolate(gettext("date (%(zone)s)"), { zone: zone }, true) },
             ticks: { maxTicksLimit: 10, callback: function (v) { return formatDate(v); } } },
        y: { ticks: { autoSkip: false, font: { size: 11 } } }
      },
      plugins: {
        legend: { display: false },
        tooltip: { callbacks: {
          title: function (items) { return items.length ? rows[items[0].dataIndex].title : ""; },
          label: function (item) {
            var r = rows[item.dataIndex], left = (Date.parse(r.end) - now) / DAY;
            var when = new Date(Date.parse(r.end)).toLocaleString(lang) + " " + zone;
            var shown = left >= 0 ? left.toFixed(left < 2 ? 1 : 0) : (-left).toFixed(0);
            var count = Math.round(Number(shown));
            var relative = left >= 0 ? interpolate(ngettext("in %(n)s d", "in %(n)s d", count), { n: shown }, true)
              : interpolate(ngettext("%(n)s d ago", "%(n)s d ago", count), { n: shown }, true);
            return (r.kind === "crl" ? "NextUpdate " : "NotAfter ") + when + " (" + relative + ")";
          }
        } }
      },
      onClick: function (event, elements) {
        if (elements.length) { window.location.href = rows[elements[0].index].url; }
      },
      onHover: function (event, elements) {
        event.native.target.style.cursor = elements.length ? "pointer" : "default";
      }
    }
  });
  window.vpnportalTimeline = chart;

  function show(name) {
    chart.options.scales.x.min = windows[name][0];
    chart.options.scales.x.max = windows[name][1];
    chart.data.datasets[0].data = barsFor(windows[name]);
    chart.update();
    box.setAttribute("data-window", name);
    document.querySelectorAll("button[data-window]").forEach(function (b) {
      b.classList.toggle("active", b.getAttribute("data-window") === name);
    });
  }
  document.querySelectorAll("button[data-window]").forEach(function (b) {
    b.addEventListener("click", function () { show(b.getAttribute("data-window")); });
  });
  var expired = rows.filter(function (r) { return Date.parse(r.end) < now; }).length;
  if (note) {
    var crls = rows.filter(function (r) { return r.kind === "crl"; }).length;
    note.textContent = interpolate(gettext("%(bars)s (%(crls)s), %(expired)s; times in %(zone)s."), {
      bars: interpolate(ngettext("%(n)s bar", "%(n)s bars", rows.length), { n: rows.length }, true),
      crls: interpolate(ngettext("%(n)s CRL", "%(n)s CRLs", crls), { n: crls }, true),
      expired: interpolate(ngettext("%(n)s already expired", "%(n)s already expired", expired), { n: expired }, true),
      zone: zone
    }, true);
  }
  // Decades of history squeeze the weeks that matter into a few pixels: then open on a year either side of now.
  var wide = windows.all[1] - windows.all[0] > 3 * 365 * DAY;
  show(wide ? "year" : "all");
  box.setAttribute("data-state", "drawn");
})();
